"""Citizens sign in with e-ID through the real provider; every token the portal must not accept
is refused by its own validation (Authlib), with a page, no session and a line in the log."""

import logging
import time

import pytest
from django.contrib.auth import SESSION_KEY
from django.urls import reverse

from accounts.models import Person
from tests.identity.fixtures import provider_redirect, query_of, sign_in
from tests.identity.provider import LOA3, LOA4, PERSON_NUMBER, signing_key, token_claims

pytestmark = pytest.mark.django_db


def test_the_request_asks_for_the_code_with_pkce_state_nonce_and_assurance(client, eid):
    response = client.post(reverse("accounts:eid_start"))
    query = query_of(response.url)
    assert response.url.startswith(eid.issuer + "/auth?")
    assert query["response_type"] == "code"
    assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) >= 43
    assert len(query["state"]) >= 20 and len(query["nonce"]) >= 20
    assert query["acr_values"] == f"{LOA3} {LOA4}"
    assert query["prompt"] == "login"  # never an earlier sign-in kept at the provider
    assert "https://id.oidc.se/scope/naturalPersonNumber" in query["scope"].split()


def test_a_citizens_account_is_keyed_by_their_personal_identity_number(client, eid):
    response = sign_in(client, eid, "anna")
    assert response.status_code == 302 and response.url == reverse("home")
    person = Person.objects.select_related("user").get()
    assert person.personal_identity_number == "19900101-2385"
    assert person.assurance == LOA3
    assert person.user.get_full_name() == "Anna Andersson"
    assert "19900101" not in person.user.username  # usernames appear in logs and to staff
    assert not person.user.has_usable_password()
    assert int(client.session[SESSION_KEY]) == person.user.pk

    client.post(reverse("logout"))
    assert SESSION_KEY not in client.session
    eid.set_account("anna", family_name="Berglund", acr=LOA4)
    sign_in(client, eid, "anna")
    again = Person.objects.select_related("user").get()
    assert again.user.pk == person.user.pk
    assert again.user.last_name == "Berglund" and again.assurance == LOA4
    assert int(client.session[SESSION_KEY]) == person.user.pk


def test_the_sign_in_returns_to_the_page_that_asked_for_it(client, eid):
    path = provider_redirect(client, eid, "anna", next="/applications/")
    assert client.get(path).url == "/applications/"
    path = provider_redirect(client, eid, "anna", next="https://elsewhere.example/")
    assert client.get(path).url == reverse("home")


def _flipped_signature(token: str) -> str:
    head, payload, signature = token.split(".")
    changed = "A" if signature[10] != "A" else "B"
    return f"{head}.{payload}.{signature[:10]}{changed}{signature[11:]}"


def _unknown_key(provider):
    stranger = signing_key("nobody-knows-this-key")
    return lambda token: provider.mint(token_claims(token), key=stranger)


def _expired(provider):
    now = int(time.time())
    provider.tamper_claims(iat=now - 7200, exp=now - 3600)


TAMPERED = {
    "wrong_issuer": lambda p: p.tamper_claims(iss="https://impostor.example"),
    "wrong_audience": lambda p: p.tamper_claims(aud="another-client"),
    "expired": _expired,
    "bad_signature": lambda p: setattr(p.proxy, "tamper", _flipped_signature),
    "unknown_key": lambda p: setattr(p.proxy, "tamper", _unknown_key(p)),
    "missing_nonce": lambda p: p.tamper_claims(nonce=None),
    "wrong_nonce": lambda p: p.tamper_claims(nonce="a-nonce-from-another-sign-in"),
    "no_id_token": lambda p: setattr(p.proxy, "tamper", lambda token: None),
    "no_number_claim": lambda p: p.tamper_claims(**{PERSON_NUMBER: None}),
}
LOGGED_REASON = {
    "missing_nonce": "wrong_nonce",
    "no_number_claim": "no_personal_number",
}


def assert_refused(response, caplog, reason: str, client, title: str = ""):
    assert response.status_code == 403, response.status_code
    page = response.content.decode()
    assert "You are not signed in" in page or "Du är inte inloggad" in page
    if title:
        assert title in page
    assert SESSION_KEY not in client.session
    assert f"reason={reason} " in caplog.text, caplog.text


@pytest.mark.parametrize("tampering", TAMPERED)
def test_a_token_that_fails_a_check_is_refused(client, eid, caplog, tampering):
    TAMPERED[tampering](eid)
    with caplog.at_level(logging.WARNING, logger="accounts.openid"):
        response = sign_in(client, eid, "anna")
    reason = LOGGED_REASON.get(tampering, tampering)
    title = "Your e-ID gave no Swedish" if reason == "no_personal_number" else "confirm who you are"
    assert_refused(response, caplog, reason, client, title)
    assert not Person.objects.exists()
    assert eid.proxy.token_responses, "the provider issued a token: the portal refused it"


def test_the_provider_signs_a_wrong_claim_with_its_own_key_and_it_is_still_refused(client, eid):
    """The tampered tokens above are signed with the provider's real key: only the claim is
    wrong, so it is the claim check that refuses them, not the signature check."""
    eid.tamper_claims(aud="another-client")
    sign_in(client, eid, "anna")
    assert eid.proxy.token_responses
    assert not Person.objects.exists()


def test_a_replayed_answer_is_refused(client, eid, caplog):
    callback = provider_redirect(client, eid, "anna")
    assert client.get(callback).status_code == 302  # the first use signs in
    with caplog.at_level(logging.WARNING, logger="accounts.openid"):
        response = client.get(callback)
    assert_refused(response, caplog, "state", client, "Start signing in again")


def test_an_answer_carried_to_another_browser_is_refused(client, django_user_model, eid, caplog):
    """A callback address caught in transit does not sign anyone in elsewhere: its state is
    kept in the session of the browser that started."""
    from django.test import Client

    callback = provider_redirect(client, eid, "anna")
    with caplog.at_level(logging.WARNING, logger="accounts.openid"):
        response = (other := Client()).get(callback)
    assert_refused(response, caplog, "state", other)
    assert not Person.objects.exists()


def test_too_low_an_assurance_level_is_refused(client, eid, caplog):
    with caplog.at_level(logging.WARNING, logger="accounts.openid"):
        response = sign_in(client, eid, "david")
    assert_refused(response, caplog, "assurance_too_low", client, "not strong enough")
    assert not Person.objects.exists()


def test_an_eid_without_a_personal_identity_number_is_refused(client, eid, caplog):
    with caplog.at_level(logging.WARNING, logger="accounts.openid"):
        response = sign_in(client, eid, "eva")
    assert_refused(response, caplog, "no_personal_number", client, "no Swedish personal")
    assert not Person.objects.exists()


def test_a_refusal_is_explained_in_the_readers_language(client, eid, caplog):
    client.cookies["django_language"] = "sv"
    with caplog.at_level(logging.WARNING, logger="accounts.openid"):
        response = sign_in(client, eid, "david")
    assert_refused(response, caplog, "assurance_too_low", client)
    assert '<html lang="sv"' in response.content.decode()
    assert "Du är inte inloggad" in response.content.decode()


def test_a_refusal_ends_a_session_that_was_open(client, eid, caplog):
    sign_in(client, eid, "anna")
    assert SESSION_KEY in client.session
    with caplog.at_level(logging.WARNING, logger="accounts.openid"):
        response = sign_in(client, eid, "david")
    assert_refused(response, caplog, "assurance_too_low", client)


def test_cancelling_at_the_provider_is_said_plainly(client, eid, caplog):
    response = client.post(reverse("accounts:eid_start"))
    callback = eid.cancel(response.url)
    with caplog.at_level(logging.WARNING, logger="accounts.openid"):
        response = client.get(callback.removeprefix(eid.site_urls[0]))
    assert_refused(response, caplog, "cancelled", client, "Signing in was cancelled")


def test_a_new_signing_key_is_fetched_when_a_token_names_it(client, eid):
    """Key rollover: the portal holds the provider's old keys; a token signed with a key it has
    not seen makes it fetch the JWKS again, once, and the sign-in goes through."""
    sign_in(client, eid, "anna")  # the portal has fetched (and keeps) the current keys
    client.post(reverse("logout"))
    new_key = eid.rotate_keys()
    response = sign_in(client, eid, "anna")
    assert response.status_code == 302 and SESSION_KEY in client.session
    issued = eid.proxy.token_responses[-1]["id_token"]
    assert f'"kid":"{new_key.kid}"' in _header(issued)


def _header(token: str) -> str:
    import base64

    head = token.split(".")[0]
    return base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)).decode().replace(" ", "")
