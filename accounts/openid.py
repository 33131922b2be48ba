"""Signing in through OpenID Connect providers, with Authlib doing the protocol.

Two clients: `eid` (citizens, through an e-ID provider or broker following the Swedish OIDC
profile) and `staff` (the organisation's single sign-on). Each uses the authorisation code flow
with PKCE (S256), and a `state` and a `nonce` kept in the session. Authlib checks the ID token's
signature against the provider's JWKS (fetched again when a token names a key it does not know,
so a key rollover needs nothing from us), its expiry, issuer, audience and nonce; a token that
fails any check is refused as a `SignInRefused` with a reason the views log and explain.
"""

import logging
from dataclasses import dataclass

import requests
from authlib.integrations.base_client.errors import MismatchingStateError, OAuthError
from authlib.integrations.django_client import OAuth
from django.conf import settings
from django.urls import reverse
from joserfc import errors as jose

logger = logging.getLogger("accounts.openid")

EID, STAFF = "eid", "staff"
SESSION_NEXT = "openid_next"
HTTP_TIMEOUT_SECONDS = 10
PERSON_NUMBER_CLAIM = "https://id.oidc.se/claim/personalIdentityNumber"


class SignInRefused(Exception):
    """The provider's answer is not accepted; `reason` names the check that failed."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class Provider:
    name: str
    issuer: str
    client_id: str
    client_secret: str
    scopes: tuple[str, ...]
    acr_values: tuple[str, ...] = ()
    # e-ID: the person proves who they are at every sign-in, never by an earlier sign-in kept
    # at the provider (a shared computer); staff's single sign-on reuses theirs, as SSO does.
    prompt: str = ""

    @property
    def metadata_url(self) -> str:
        return self.issuer.rstrip("/") + "/.well-known/openid-configuration"

    @property
    def callback_url(self) -> str:
        # Registered with the provider as it stands, so built from SITE_URL, not the request.
        return settings.SITE_URL + reverse(f"accounts:{self.name}_callback")


def provider(name: str) -> Provider | None:
    """The configured provider, or None when its settings are not set."""
    prefix = "OIDC_EID_" if name == EID else "OIDC_STAFF_"
    issuer = getattr(settings, prefix + "ISSUER")
    client_id = getattr(settings, prefix + "CLIENT_ID")
    if not (issuer and client_id):
        return None
    return Provider(
        name=name,
        issuer=issuer,
        client_id=client_id,
        client_secret=getattr(settings, prefix + "CLIENT_SECRET"),
        scopes=tuple(getattr(settings, prefix + "SCOPES")),
        acr_values=tuple(settings.OIDC_EID_ACR_VALUES) if name == EID else (),
        prompt="login" if name == EID else "",
    )


def eid_enabled() -> bool:
    return provider(EID) is not None


def staff_sso_enabled() -> bool:
    return provider(STAFF) is not None


# One Authlib client per configuration, kept for the process: it caches the provider's metadata
# and keys. A changed configuration (tests change settings) gets a client of its own.
_clients: dict[Provider, object] = {}


def _client(config: Provider):
    client = _clients.get(config)
    if client is None:
        registry = OAuth()
        registry.register(
            name=config.name,
            client_id=config.client_id,
            client_secret=config.client_secret,
            server_metadata_url=config.metadata_url,
            client_kwargs={
                "scope": " ".join(config.scopes),
                "code_challenge_method": "S256",
                "default_timeout": HTTP_TIMEOUT_SECONDS,
            },
        )
        client = _clients[config] = registry.create_client(config.name)
    return client


def sign_in_redirect(request, config: Provider, *, next_url: str):
    """Send the browser to the provider; Authlib keeps state, nonce and PKCE verifier in the
    session for the callback."""
    request.session[SESSION_NEXT] = next_url
    extra = {"acr_values": " ".join(config.acr_values)} if config.acr_values else {}
    if config.prompt:
        extra["prompt"] = config.prompt
    lang = request.LANGUAGE_CODE
    try:
        return _client(config).authorize_redirect(
            request, config.callback_url, ui_locales=lang, **extra
        )
    except requests.RequestException as error:
        raise SignInRefused("provider_unavailable", str(error)) from error


def sign_in_claims(request, config: Provider) -> dict:
    """The claims of the provider's ID token once every check has passed, or SignInRefused."""
    try:
        token = _client(config).authorize_access_token(
            request,
            claims_options={
                "iss": {"essential": True, "value": config.issuer},
                "aud": {"essential": True, "value": config.client_id},
            },
        )
    except MismatchingStateError as error:
        raise SignInRefused("state", "unknown, used or expired state") from error
    except OAuthError as error:
        reason = "cancelled" if error.error == "access_denied" else "provider_error"
        raise SignInRefused(reason, f"{error.error}: {error.description}") from error
    except requests.RequestException as error:
        raise SignInRefused("provider_unavailable", str(error)) from error
    except jose.InvalidKeyIdError as error:
        raise SignInRefused("unknown_key", str(error)) from error
    except jose.BadSignatureError as error:
        raise SignInRefused("bad_signature", str(error)) from error
    except jose.ExpiredTokenError as error:
        raise SignInRefused("expired", str(error)) from error
    except jose.ClaimError as error:
        raise SignInRefused(_CLAIM_REASONS.get(error.claim, "invalid_claim"), str(error)) from error
    except jose.JoseError as error:
        raise SignInRefused("invalid_token", f"{type(error).__name__}: {error}") from error
    claims = token.get("userinfo")
    if claims is None:
        raise SignInRefused("no_id_token")
    return dict(claims)


_CLAIM_REASONS = {
    "iss": "wrong_issuer",
    "aud": "wrong_audience",
    "azp": "wrong_audience",
    "nonce": "wrong_nonce",
    "exp": "expired",
    "nbf": "not_yet_valid",
    "iat": "invalid_claim",
}


def sign_out_url(name: str) -> str | None:
    """The provider's end-session address (RP-initiated logout), back to the home page; None
    when the provider has none or cannot be reached (the portal's session is ended anyway)."""
    config = provider(name)
    if config is None:
        return None
    try:
        return _client(config).create_logout_url(
            post_logout_redirect_uri=settings.SITE_URL + reverse("home"),
            client_id=config.client_id,
        )["url"]
    except (requests.RequestException, RuntimeError) as error:
        logger.warning("No sign-out at provider=%s: %s", name, error)
        return None
