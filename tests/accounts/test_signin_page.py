"""The sign-in page offers what is configured: the embedded default's local accounts (and says
so), or the e-ID and staff SSO buttons with local sign-up closed."""

import pytest
from django.urls import reverse

from tests.html import parse

pytestmark = pytest.mark.django_db


def _main(client, url=None):
    return parse(client.get(url or reverse("login")).content).find("main")


def _buttons(main) -> list[str]:
    return [button.text for button in main.find_all("button")]


def _links_to(main, url) -> list:
    return main.find_all("a", href=url)


def test_without_providers_the_page_says_local_accounts_are_in_use(client):
    main = _main(client)
    assert _buttons(main) == ["Sign in"]
    assert "runs without an e-ID service" in main.text
    assert _links_to(main, reverse("accounts:signup"))
    assert client.get(reverse("accounts:signup")).status_code == 200


def test_with_providers_the_buttons_appear_and_local_sign_up_is_off(client, eid):
    main = _main(client)
    assert _buttons(main) == ["Sign in with e-ID", "Staff sign-in (SSO)", "Sign in"]
    assert "runs without an e-ID service" not in main.text
    assert not _links_to(main, reverse("accounts:signup"))
    response = client.get(reverse("accounts:signup"))
    assert response.status_code == 404
    assert "Accounts are made by signing in with e-ID" in response.content.decode()
    assert client.post(reverse("accounts:signup"), {"username": "x"}).status_code == 404


def test_without_staff_passwords_only_the_providers_buttons_remain(client, settings, eid):
    settings.STAFF_PASSWORD_SIGNIN = False
    main = _main(client)
    assert _buttons(main) == ["Sign in with e-ID", "Staff sign-in (SSO)"]
    assert not main.find_all("input", name="password")


def test_the_page_that_asked_for_a_sign_in_is_carried_to_the_provider(client, eid):
    main = _main(client, reverse("login") + "?next=/applications/")
    forms = main.find_all("form")
    assert len(forms) == 3
    for form in forms:
        assert form.find("input", name="next").attrs["value"] == "/applications/"


def _form_action(response) -> str:
    policy = response["Content-Security-Policy"]
    return next(d for d in policy.split(";") if d.strip().startswith("form-action")).strip()


def test_forms_may_lead_to_the_configured_providers_only(client, settings, eid):
    # The start and sign-out forms' answers redirect to the provider: form-action covers that.
    assert _form_action(client.get(reverse("login"))) == f"form-action 'self' {eid.issuer}"
    settings.OIDC_EID_ISSUER = settings.OIDC_STAFF_ISSUER = ""
    assert _form_action(client.get(reverse("login"))) == "form-action 'self'"
