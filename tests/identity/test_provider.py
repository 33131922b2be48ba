"""The test provider is the real thing, configured as an e-ID broker and a staff SSO would be."""

import base64
import hashlib
import json
import secrets
import urllib.parse
import urllib.request

from tests.identity.provider import (
    EID_CLIENT,
    LOA2,
    LOA3,
    NATURAL_PERSON,
    PERSON_NUMBER,
    token_claims,
)


def _code_flow(provider, login: str, scope: str) -> dict:
    """The authorisation code flow with PKCE, by hand: what the portal's Authlib client does."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    redirect_uri = provider.site_urls[0] + "/accounts/e-id/callback/"
    query = urllib.parse.urlencode(
        {
            "client_id": EID_CLIENT["client_id"],
            "response_type": "code",
            "scope": scope,
            "redirect_uri": redirect_uri,
            "state": "state-1",
            "nonce": "nonce-1",
            "code_challenge": challenge.rstrip(b"=").decode(),
            "code_challenge_method": "S256",
            "acr_values": f"{LOA3} {LOA2}",
        }
    )
    back = provider.authenticate(f"{provider.issuer}/auth?{query}", login)
    answer = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(back).query))
    assert answer["state"] == "state-1"
    form = {
        "grant_type": "authorization_code",
        "code": answer["code"],
        "redirect_uri": redirect_uri,
        "code_verifier": verifier,
    }
    request = urllib.request.Request(
        f"{provider.issuer}/token", data=urllib.parse.urlencode(form).encode()
    )
    secret = f"{EID_CLIENT['client_id']}:{EID_CLIENT['client_secret']}".encode()
    request.add_header("Authorization", "Basic " + base64.b64encode(secret).decode())
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def test_discovery_names_the_profiles_scope_levels_and_pkce(identity_provider):
    discovery = identity_provider.discovery()
    assert discovery["issuer"] == identity_provider.issuer
    assert discovery["code_challenge_methods_supported"] == ["S256"]
    assert NATURAL_PERSON in discovery["scopes_supported"]
    assert LOA3 in discovery["acr_values_supported"]
    assert discovery["end_session_endpoint"].startswith(identity_provider.issuer)


def test_the_id_token_carries_the_persons_number_names_level_and_nonce(identity_provider):
    tokens = _code_flow(identity_provider, "anna", f"openid {NATURAL_PERSON}")
    claims = token_claims(tokens["id_token"])
    assert claims[PERSON_NUMBER] == "199001012385"
    assert (claims["given_name"], claims["family_name"]) == ("Anna", "Andersson")
    assert claims["acr"] == LOA3
    assert claims["nonce"] == "nonce-1"
    assert claims["aud"] == EID_CLIENT["client_id"]
    header = json.loads(base64.urlsafe_b64decode(tokens["id_token"].split(".")[0] + "=="))
    assert header["kid"] == identity_provider.keys[0].kid


def test_a_changed_person_applies_at_their_next_sign_in(identity_provider):
    identity_provider.set_account("anna", acr=LOA2)
    try:
        tokens = _code_flow(identity_provider, "anna", f"openid {NATURAL_PERSON}")
        assert token_claims(tokens["id_token"])["acr"] == LOA2
    finally:
        identity_provider.reset()
