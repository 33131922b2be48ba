"""Where the portal may post: public http(s) addresses only (an SSRF guard).

A subscriber names a URL and the portal's workers post to it from inside the network, so an
address that is, or resolves to, a loopback, link-local, private, shared, multicast, reserved or
unspecified address is refused, unless WEBHOOKS_ALLOW_PRIVATE_ADDRESSES (development and tests).
The check runs when a subscription is made and again on every connection: the HTTP session
below connects only to the address it checked, so a name that resolves elsewhere later (DNS
rebinding) is refused then too. Redirects are never followed and no proxy from the environment
is used, so the checked address is the one the request goes to.
"""

import ipaddress
import socket
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.utils.translation import gettext as _
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

MAX_URL_LENGTH = 2000


class UrlInvalid(ValueError):
    """Not an http(s) URL with a host."""


class AddressRefused(OSError):
    """The host is, or resolves to, an address the portal does not post to. An OSError, so
    that urllib3 treats a refusal at connection time like any failed connection."""


def url_syntax_check(url: str) -> None:
    """Raise UrlInvalid unless `url` is an absolute http(s) URL naming a host."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises ValueError for a port out of range)
    except ValueError as error:
        raise UrlInvalid(_("Enter a valid URL")) from error
    if len(url) > MAX_URL_LENGTH or any(c.isspace() for c in url):
        raise UrlInvalid(_("Enter a valid URL"))
    if parts.scheme not in ("http", "https"):
        raise UrlInvalid(_("Use an http or https address"))
    if not parts.hostname:
        raise UrlInvalid(_("Enter a URL with a host name"))


def refused_reason(address: str) -> str | None:
    """Why the portal does not post to this IP address, or None if it may."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    checks = [
        (ip.is_loopback, _("a loopback address")),
        (ip.is_link_local, _("a link-local address")),
        (ip.is_multicast, _("a multicast address")),
        (ip.is_unspecified, _("an unspecified address")),
        (ip.is_reserved, _("a reserved address")),
        (ip.is_private, _("a private address")),
        (not ip.is_global, _("an address that is not public")),
    ]
    return next((reason for refused, reason in checks if refused), None)


def address_check(host: str, port: int | None = None) -> list[str]:
    """The addresses `host` resolves to, each one allowed; raise AddressRefused if any is not
    (a name with one public and one private address is refused), and socket.gaierror if the
    name does not resolve."""
    infos = socket.getaddrinfo(host, port or 443, type=socket.SOCK_STREAM)
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES:
        return addresses
    for address in addresses:
        reason = refused_reason(address)
        if reason:
            raise AddressRefused(
                _("%(host)s is %(address)s, %(reason)s: the portal posts only to public addresses")
                % {"host": host, "address": address, "reason": reason}
            )
    return addresses


def url_check(url: str) -> None:
    """Raise UrlInvalid, AddressRefused or socket.gaierror unless the portal may post to `url`."""
    url_syntax_check(url)
    parts = urlsplit(url)
    address_check(parts.hostname, parts.port)


def refusal_in(error: BaseException) -> AddressRefused | None:
    """The AddressRefused behind an error requests raised (it wraps it several times)."""
    seen, stack = set(), [error]
    while stack:
        found = stack.pop()
        if not isinstance(found, BaseException) or id(found) in seen:
            continue
        if isinstance(found, AddressRefused):
            return found
        seen.add(id(found))
        stack += [found.__cause__, found.__context__, getattr(found, "reason", None), *found.args]
    return None


class _CheckedConnection:
    """Resolve and check the host as the connection is made, and connect to the address checked
    (the host name still goes in the Host header, in SNI and in the certificate check)."""

    def _new_conn(self):
        self._dns_host = address_check(self._dns_host, self.port)[0]
        return super()._new_conn()


class _CheckedHTTPConnection(_CheckedConnection, HTTPConnection):
    pass


class _CheckedHTTPSConnection(_CheckedConnection, HTTPSConnection):
    pass


class _CheckedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _CheckedHTTPConnection


class _CheckedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _CheckedHTTPSConnection


class _CheckedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _CheckedHTTPPool,
            "https": _CheckedHTTPSPool,
        }


def checked_session() -> requests.Session:
    """A session that posts only to allowed addresses, without the environment's proxies."""
    session = requests.Session()
    session.trust_env = False
    adapter = _CheckedAdapter(max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = "journey-portal-webhooks/1"
    return session
