"""Fixtures for signing in through the real OpenID provider (tests/identity/provider.py)."""

import urllib.parse

import pytest
from django.urls import reverse

from tests.identity.provider import EID_CLIENT, STAFF_CLIENT, IdentityProvider

# What the test provider's staff groups grant (OIDC_STAFF_GROUPS).
STAFF_GROUPS = {
    "planning-caseworkers": {"unit": "urban-planning", "role": "caseworker"},
    "planning-leads": {"unit": "urban-planning", "role": "lead"},
    "fire-caseworkers": {"unit": "fire-rescue", "role": "caseworker"},
    "coordinators": "coordinator",
}


@pytest.fixture(scope="session")
def identity_provider(tmp_path_factory):
    """oidc-provider for the session, its clients' addresses at SITE_URL (Django's test client
    takes the callback's path and query from there)."""
    from django.conf import settings

    provider = IdentityProvider(tmp_path_factory.mktemp("provider"), [settings.SITE_URL]).start()
    yield provider
    provider.close()


def configure(settings, provider: IdentityProvider, *, eid: bool = True, staff: bool = True):
    """Point the portal's OIDC_* settings at `provider`."""
    if eid:
        settings.OIDC_EID_ISSUER = provider.issuer
        settings.OIDC_EID_CLIENT_ID = EID_CLIENT["client_id"]
        settings.OIDC_EID_CLIENT_SECRET = EID_CLIENT["client_secret"]
    if staff:
        settings.OIDC_STAFF_ISSUER = provider.issuer
        settings.OIDC_STAFF_CLIENT_ID = STAFF_CLIENT["client_id"]
        settings.OIDC_STAFF_CLIENT_SECRET = STAFF_CLIENT["client_secret"]
        settings.OIDC_STAFF_GROUPS = STAFF_GROUPS


@pytest.fixture
def eid(identity_provider, settings):
    """The portal with e-ID sign-in (and staff single sign-on) through the test provider."""
    identity_provider.reset()
    configure(settings, identity_provider)
    yield identity_provider
    identity_provider.reset()


@pytest.fixture
def staff_sso(identity_provider, settings):
    """The portal with staff single sign-on only (no e-ID)."""
    identity_provider.reset()
    configure(settings, identity_provider, eid=False)
    yield identity_provider
    identity_provider.reset()


def provider_redirect(client, provider: IdentityProvider, login: str, *, via: str = "eid", **data):
    """Start signing in at the portal and sign in as `login` at the provider; returns the
    portal's callback address (path and query) the provider sends the browser back to."""
    from django.conf import settings

    response = client.post(reverse(f"accounts:{via}_start"), data)
    assert response.status_code == 302, response.content.decode()[-2000:]
    callback = provider.authenticate(response.url, login)
    assert callback.startswith(settings.SITE_URL), callback
    return callback.removeprefix(settings.SITE_URL)


def sign_in(client, provider: IdentityProvider, login: str, *, via: str = "eid", **extra):
    """Sign in through the provider with Django's test client; returns the callback's answer."""
    return client.get(provider_redirect(client, provider, login, via=via), **extra)


def query_of(url: str) -> dict[str, str]:
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
