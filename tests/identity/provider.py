"""A real OpenID provider for the tests: npm's oidc-provider (tests/identity/provider.mjs) in a
process of its own, reached through a proxy in the test process that forwards every request
and can swap the ID token in a token response for one the test made. The portal's own
validation (Authlib) is never mocked: a test that wants a token with a wrong claim, a broken
signature or an unknown key makes one and lets the portal refuse it."""

import base64
import http.client
import json
import secrets
import shutil
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from joserfc import jwt
from joserfc.jwk import RSAKey

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("provider.mjs")

PERSON_NUMBER = "https://id.oidc.se/claim/personalIdentityNumber"
NATURAL_PERSON = "https://id.oidc.se/scope/naturalPersonNumber"
LOA2 = "http://id.elegnamnden.se/loa/1.0/loa2"  # low
LOA3 = "http://id.elegnamnden.se/loa/1.0/loa3"  # substantial
LOA4 = "http://id.elegnamnden.se/loa/1.0/loa4"  # high

EID_CLIENT = {"client_id": "portal-eid", "client_secret": "eid-secret-for-tests-only"}
STAFF_CLIENT = {"client_id": "portal-staff", "client_secret": "staff-secret-for-tests-only"}


def person(given: str, family: str, number: str | None, acr: str = LOA3) -> dict:
    claims = {"given_name": given, "family_name": family, "name": f"{given} {family}"}
    if number:
        claims[PERSON_NUMBER] = number
    return {"label": f"{given} {family}", "acr": acr, "claims": claims}


def staff(given: str, family: str, username: str, groups: list[str]) -> dict:
    claims = {
        "given_name": given,
        "family_name": family,
        "name": f"{given} {family}",
        "preferred_username": username,
        "email": f"{username}@kommun.example",
        "email_verified": True,
        "groups": groups,
    }
    return {"label": f"{given} {family} (staff)", "acr": LOA3, "claims": claims}


# The test persons: e-ID holders (personal identity numbers with a valid check digit), one whose
# e-ID is of a low assurance level, one without a Swedish number; and staff with groups.
ACCOUNTS = {
    "anna": person("Anna", "Andersson", "199001012385"),
    "bertil": person("Bertil", "Berg", "198506152381"),
    "cecilia": person("Cecilia", "Carlsson", "197203042382"),
    "david": person("David", "Dahl", "195005202383", acr=LOA2),
    "eva": person("Eva", "Ek", None),
    "kim": staff("Kim", "Karlsson", "kim", ["planning-caseworkers"]),
    "lena": staff("Lena", "Lund", "lena", ["coordinators"]),
    "olle": staff("Olle", "Olsson", "olle", ["kitchen-staff"]),
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def signing_key(kid: str) -> RSAKey:
    return RSAKey.generate_key(2048, {"kid": kid, "use": "sig", "alg": "RS256"}, private=True)


def token_claims(id_token: str) -> dict:
    """The claims of a token, unverified: the test's own look at what the provider issued."""
    payload = id_token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


class TamperingProxy(ThreadingHTTPServer):
    """Forwards everything to the provider; while `tamper` is set, the `id_token` of each token
    response passes through it (original token in, the token the portal receives out)."""

    daemon_threads = True

    def __init__(self, upstream_port: int):
        self.upstream_port = upstream_port
        self.tamper: Callable[[str], str] | None = None
        self.token_responses: list[dict] = []
        super().__init__(("127.0.0.1", 0), _ProxyHandler)

    @property
    def port(self) -> int:
        return self.server_address[1]


class _ProxyHandler(BaseHTTPRequestHandler):
    server: TamperingProxy

    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass

    def _forward(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        upstream = http.client.HTTPConnection("127.0.0.1", self.server.upstream_port, timeout=30)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        headers["Host"] = self.headers.get("Host", f"127.0.0.1:{self.server.port}")
        headers["X-Forwarded-Proto"] = "http"
        try:
            upstream.request(self.command, self.path, body=body, headers=headers)
            response = upstream.getresponse()
            content = response.read()
        except OSError:
            self.send_error(502)
            return
        finally:
            upstream.close()
        if self.path.split("?")[0] == "/token" and response.status == 200:
            content = self._tampered(content)
        self.send_response(response.status)
        for name, value in response.getheaders():
            if name.lower() not in HOP_BY_HOP:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(content)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(content)

    def _tampered(self, content: bytes) -> bytes:
        document = json.loads(content)
        self.server.token_responses.append(dict(document))
        if self.server.tamper is not None and "id_token" in document:
            replaced = self.server.tamper(document["id_token"])
            if replaced is None:
                del document["id_token"]
            else:
                document["id_token"] = replaced
        return json.dumps(document).encode()

    do_GET = do_POST = do_HEAD = _forward


class IdentityProvider:
    """oidc-provider in a Node process, its issuer address the proxy's. `accounts` are the test
    persons; `set_account` changes one as the provider's administrator would (it applies at
    their next sign-in); `rotate_keys` restarts the provider with new signing keys."""

    def __init__(self, workdir: Path, site_urls: list[str]):
        node = shutil.which("node")
        if not node or not (ROOT / "node_modules" / "oidc-provider").exists():
            raise RuntimeError("The identity tests need Node.js and `npm install` (oidc-provider).")
        self.node = node
        self.workdir = workdir
        self.site_urls = site_urls
        self.port = free_port()
        self.proxy = TamperingProxy(self.port)
        threading.Thread(target=self.proxy.serve_forever, daemon=True).start()
        self.issuer = f"http://127.0.0.1:{self.proxy.port}"
        self.accounts = json.loads(json.dumps(ACCOUNTS))
        self.keys = [signing_key("first-key")]
        self.process: subprocess.Popen | None = None
        self.log = workdir / "provider.log"

    # -- the process --------------------------------------------------------------------
    def _client(self, credentials: dict, callback: str) -> dict:
        return {
            **credentials,
            "redirect_uris": [f"{site}{callback}" for site in self.site_urls],
            "post_logout_redirect_uris": [f"{site}/" for site in self.site_urls],
            "grant_types": ["authorization_code"],
            "response_types": ["code"],
            "token_endpoint_auth_method": "client_secret_basic",
        }

    def _write_accounts(self) -> None:
        path = self.workdir / "accounts.json"
        path.with_suffix(".tmp").write_text(json.dumps(self.accounts))
        path.with_suffix(".tmp").replace(path)  # atomic: the provider never reads half a file

    def start(self) -> "IdentityProvider":
        self._write_accounts()
        config = {
            "issuer": self.issuer,
            "port": self.port,
            "jwks": {"keys": [key.as_dict(private=True) for key in self.keys]},
            "clients": [
                self._client(EID_CLIENT, "/accounts/e-id/callback/"),
                self._client(STAFF_CLIENT, "/accounts/staff/callback/"),
            ],
            "acrValues": [LOA2, LOA3, LOA4],
            "accountsFile": str(self.workdir / "accounts.json"),
            "cookieKey": secrets.token_urlsafe(32),
        }
        config_path = self.workdir / "provider.json"
        config_path.write_text(json.dumps(config))
        with self.log.open("ab") as output:
            self.process = subprocess.Popen(
                [self.node, str(SCRIPT), str(config_path)],
                cwd=ROOT,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 30
        while True:
            try:
                discovery = self.discovery()
                if discovery["issuer"] == self.issuer:
                    return self
            except (urllib.error.URLError, ConnectionError, ValueError):
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"The OpenID provider did not start:\n{self.log.read_text()}")
            time.sleep(0.2)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def close(self) -> None:
        self.stop()
        self.proxy.shutdown()
        self.proxy.server_close()

    def rotate_keys(self) -> RSAKey:
        """Restart with a new signing key only (the old one retired), as after a key rollover."""
        self.keys = [signing_key(f"key-{time.time_ns()}")]
        self.stop()
        self.start()
        return self.keys[0]

    def discovery(self) -> dict:
        url = f"{self.issuer}/.well-known/openid-configuration"
        with urllib.request.urlopen(url, timeout=5) as response:
            return json.load(response)

    # -- the test persons ---------------------------------------------------------------
    def set_account(self, account_id: str, **changes) -> None:
        """Change a test person: `acr=...`, or claims such as `groups=[...]`."""
        account = self.accounts[account_id]
        if "acr" in changes:
            account["acr"] = changes.pop("acr")
        account["claims"].update(changes)
        self._write_accounts()

    def reset(self) -> None:
        self.proxy.tamper = None
        self.proxy.token_responses.clear()
        if self.accounts != ACCOUNTS:
            self.accounts = json.loads(json.dumps(ACCOUNTS))
            self._write_accounts()

    # -- tokens the tests make ----------------------------------------------------------
    def mint(self, claims: dict, *, key: RSAKey | None = None) -> str:
        """An ID token signed with `key` (default: the provider's current key)."""
        key = key or self.keys[0]
        header = {"alg": "RS256", "kid": key.kid, "typ": "JWT"}
        return jwt.encode(header, claims, key)

    def tamper_claims(self, **changes) -> None:
        """The portal receives the provider's ID token with `changes` (None: claim removed),
        signed again with the provider's own key."""

        def tampered(original: str) -> str:
            claims = token_claims(original)
            for name, value in changes.items():
                if value is None:
                    claims.pop(name, None)
                else:
                    claims[name] = value
            return self.mint(claims)

        self.proxy.tamper = tampered

    # -- a browser's part, for Django's test client -------------------------------------
    def cancel(self, authorization_url: str) -> str:
        """Go to the provider and cancel there; returns the portal's callback address."""
        return self.authenticate(authorization_url, "", action="abort")

    def authenticate(self, authorization_url: str, login: str, action: str = "login") -> str:
        """Go through the provider as a browser would, signing in as `login`; returns the
        address the provider sends the browser back to (the portal's callback)."""
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(), _NoRedirect())
        url, data = authorization_url, None
        for _ in range(10):
            request = urllib.request.Request(url, data=data)
            try:
                response = opener.open(request, timeout=10)
                body = response.read().decode()
                if "/interaction/" in url and data is None:
                    url = urllib.parse.urljoin(url, f"{urllib.parse.urlsplit(url).path}/{action}")
                    data = urllib.parse.urlencode({"login": login}).encode()
                    continue
                raise AssertionError(f"The provider stopped at {url}:\n{body[:2000]}")
            except urllib.error.HTTPError as redirect:
                if redirect.code not in (302, 303):
                    raise AssertionError(
                        f"{redirect.code} from {url}: {redirect.read().decode()[:2000]}"
                    ) from None
                url = urllib.parse.urljoin(url, redirect.headers["Location"])
                data = None
                if not url.startswith(self.issuer):
                    return url
        raise AssertionError("The provider redirected too many times")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None
