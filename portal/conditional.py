"""Conditional GETs: a page that is polled or reloaded often answers `304 Not Modified`, without
reading or rendering what it shows, while what it would show is what the asker already has.

Its validator (a weak ETag) is a keyed digest of everything the page is drawn from:

- the page, its address and query, and whether htmx asked for a fragment of it;
- the versions of what it shows (journeys.versions), read by the view in one query;
- who asks and how the page is drawn for them: the user, the name in the header, their roles
  (the menu), their language, and the CSRF secret its forms carry;
- the release: the templates, code and translations that draw it, and the settings it shows;
- the moment time alone would change it (journeys.freshness), written in the tag beside the
  digest: a request after that moment is answered in full, whatever it sends.

A request with flash messages waiting is answered in full (they are shown once, by a render).
The page is sent `Cache-Control: private, no-cache`, so a browser keeps it only for itself and
asks again (with the validator) before showing it; `Vary: HX-Request`, as a fragment and the
whole page share an address.
"""

import dataclasses
import datetime as dt
import functools
import hashlib
import hmac
import os

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.middleware.csrf import get_token
from django.utils.cache import patch_cache_control, patch_vary_headers

from units.roles import roles_of

# The settings a page shows or draws with, beside what the release's files hold.
RELEASE_SETTINGS = (
    "LANGUAGE_CODE",
    "TIME_ZONE",
    "PORTAL_CONTACT",
    "TRACKING_REFRESH_SECONDS",
    "STALLED_AFTER_DAYS",
    "HANDOFF_GRACE_SECONDS",
    "STATIC_URL",
)
RELEASE_SUFFIXES = (".py", ".html", ".txt", ".mo")
RELEASE_SKIPPED = {"tests", "bench", "docs", "var", "build", "node_modules", "staticfiles"}


@functools.cache
def release() -> str:
    """A digest of what draws the pages (first-party code, templates, translations, the static
    files' manifest) and of the settings they show: read once per process, so a new release
    makes every validator of the last one stale."""
    digest = hashlib.blake2b(digest_size=16)
    base = settings.BASE_DIR
    for folder, dirs, files in os.walk(base):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in RELEASE_SKIPPED)
        for name in sorted(files):
            if name.endswith(RELEASE_SUFFIXES):
                path = os.path.join(folder, name)
                digest.update(os.path.relpath(path, base).encode())
                with open(path, "rb") as file:
                    digest.update(file.read())
    manifest = os.path.join(settings.STATIC_ROOT, "staticfiles.json")
    if os.path.exists(manifest):
        with open(manifest, "rb") as file:
            digest.update(file.read())
    digest.update(repr([getattr(settings, name, None) for name in RELEASE_SETTINGS]).encode())
    return digest.hexdigest()


@functools.lru_cache(maxsize=2)
def _key(secret: str) -> bytes:
    return hashlib.sha256(f"portal.conditional:{secret}".encode()).digest()


class PageValidator:
    """One request's page: whether the asker's copy is current, and the validator to send."""

    def __init__(self, request: HttpRequest, page: str, *versions):
        user = request.user
        self.request = request
        self.parts = (
            release(),
            page,
            request.path,
            sorted(request.GET.lists()),
            versions,
            user.pk,
            user.get_full_name() or user.get_username(),
            _canonical(roles_of(user)),
            getattr(request, "LANGUAGE_CODE", settings.LANGUAGE_CODE),
            hashlib.sha256(_csrf_secret(request).encode()).hexdigest(),
        )
        # htmx's requests (a fragment, or a boosted whole page) are pages of their own.
        self.variant = (request.headers.get("HX-Request"), request.headers.get("HX-Boosted"))

    def _digest(self, until: int, variant: tuple) -> str:
        data = repr((self.parts, variant, until)).encode()
        return hashlib.blake2b(data, key=_key(settings.SECRET_KEY), digest_size=16).hexdigest()

    def etag(self, fresh_until: dt.datetime, *, fragment: bool = False) -> str:
        """The validator of the page rendered now, valid until `fresh_until`; with `fragment`,
        of the fragment htmx's polling asks for (the page's own requests send it)."""
        variant = ("true", None) if fragment else self.variant
        until = int(fresh_until.timestamp())  # rounded down: never later than the real one
        return f'W/"{self._digest(until, variant)}-{until:x}"'

    def not_modified(self, *, now: dt.datetime) -> HttpResponse | None:
        """304 if the request holds a validator of the page as it would be drawn now."""
        given = self.request.headers.get("If-None-Match", "")
        if not given or len(messages.get_messages(self.request)):
            return None
        for tag in given.split(","):
            digest, _, until = tag.strip().removeprefix("W/").strip('"').rpartition("-")
            try:
                until = int(until, 16)
            except ValueError:
                continue
            if until > now.timestamp() and hmac.compare_digest(
                digest, self._digest(until, self.variant)
            ):
                return self._headers(HttpResponseNotModified(), f'W/"{digest}-{until:x}"')
        return None

    def finish(self, response: HttpResponse, fresh_until: dt.datetime) -> HttpResponse:
        """Send the validator with a page rendered in full (a successful one only)."""
        if response.status_code == 200:
            self._headers(response, self.etag(fresh_until))
        return response

    def _headers(self, response: HttpResponse, etag: str) -> HttpResponse:
        response["ETag"] = etag
        patch_cache_control(response, private=True, no_cache=True)
        patch_vary_headers(response, ["HX-Request"])
        return response


def _csrf_secret(request: HttpRequest) -> str:
    """The secret the page's forms carry their CSRF token of: the browser's, or, on its first
    visit, the one made now (then sent with the page), so its next request finds the same."""
    return request.META.get("CSRF_COOKIE") or get_token(request) and request.META["CSRF_COOKIE"]


def _canonical(value):
    """A dataclass's fields as one repr reads the same in every process (sets sorted)."""
    return tuple(
        tuple(sorted(v)) if isinstance(v, frozenset | set) else v
        for v in (getattr(value, f.name) for f in dataclasses.fields(value))
    )
