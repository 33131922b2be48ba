"""Sign-in throttling slows guessing down and cannot be turned against the account holder: no
lockout of the right password, no lockout of a shared address, and a ceiling across addresses
that tells the holder."""

import pytest
from django.core import mail
from django.urls import reverse

from accounts import throttling
from tests.factories import make_user, send_emails

RIGHT = "pw-for-tests-only"


def sign_in(client, username="anna", password="wrong", address="198.51.100.1", url=None):
    return client.post(
        url or reverse("login"),
        {"username": username, "password": password},
        REMOTE_ADDR=address,
    )


def signed_in(response) -> bool:
    return response.status_code == 302


@pytest.fixture
def clock(monkeypatch):
    """The throttle's clock, moved on by the test instead of waiting."""

    class Clock:
        now = 1_900_000_000.0

        def advance(self, seconds: float) -> None:
            self.now += seconds

    clock = Clock()
    monkeypatch.setattr(throttling, "_clock", lambda: clock.now)
    return clock


def test_failures_from_one_address_slow_that_username_down_then_the_right_password_works(
    client, db, settings, clock
):
    make_user("anna")
    for _ in range(settings.SIGNIN_FREE_FAILURES):
        response = sign_in(client)
        assert response.status_code == 200
        assert "Enter a correct username and password" in response.content.decode()
    refused = sign_in(client, password=RIGHT)
    assert refused.status_code == 429
    assert "wait 30 seconds" in refused.content.decode()
    clock.advance(31)
    assert signed_in(sign_in(client, password=RIGHT))


def test_each_further_failure_doubles_the_wait_up_to_a_ceiling(client, db, settings, clock):
    make_user("anna")
    for _ in range(settings.SIGNIN_FREE_FAILURES):
        sign_in(client)
    waits = []
    for _ in range(8):
        waits.append(throttling.signin_wait(username="anna", address="198.51.100.1"))
        clock.advance(waits[-1])
        sign_in(client)
    assert waits == [30, 60, 120, 240, 480, 900, 900, 900]


def test_a_shared_address_slows_only_the_username_that_failed(client, db, settings, clock):
    make_user("anna")
    make_user("bertil")
    for _ in range(settings.SIGNIN_FREE_FAILURES + 3):
        sign_in(client, "anna")
    assert signed_in(sign_in(client, "bertil", RIGHT))  # a colleague behind the same NAT


def test_failures_elsewhere_do_not_slow_the_holder_at_home(client, db, settings, clock):
    make_user("anna")
    for _ in range(settings.SIGNIN_FREE_FAILURES + 3):
        sign_in(client, address="203.0.113.66")
    assert signed_in(sign_in(client, password=RIGHT, address="198.51.100.1"))


def test_guesses_spread_over_many_addresses_meet_a_ceiling_and_the_holder_is_told(
    client, db, settings, clock
):
    make_user("anna")  # anna@example.org
    ceiling = settings.SIGNIN_USERNAME_CEILING
    per_address = settings.SIGNIN_FREE_FAILURES - 1  # never slowed at any one address
    addresses = [f"203.0.113.{n}" for n in range(ceiling // per_address + 1)]
    attempts = 0
    for address in addresses:
        for _ in range(per_address):
            if attempts < ceiling:
                assert sign_in(client, address=address).status_code == 200
                attempts += 1
    # The username now waits everywhere, the holder's own address too.
    response = sign_in(client, password=RIGHT, address="198.51.100.1")
    assert response.status_code == 429
    send_emails()
    warnings = [m for m in mail.outbox if m.subject.startswith("Many failed attempts")]
    assert [m.to for m in warnings] == [["anna@example.org"]]
    # Told once: more failures after the wait write no second e-mail.
    clock.advance(31)
    sign_in(client, address="203.0.113.200")
    send_emails()
    assert len([m for m in mail.outbox if m.subject.startswith("Many failed")]) == 1
    clock.advance(61)
    assert signed_in(sign_in(client, password=RIGHT, address="198.51.100.1"))


def test_the_admin_sign_in_is_throttled_too(client, db, settings, clock):
    make_user("admin-anna", is_staff=True, is_superuser=True)
    url = reverse("admin:login")
    for _ in range(settings.SIGNIN_FREE_FAILURES):
        sign_in(client, "admin-anna", url=url)
    response = sign_in(client, "admin-anna", RIGHT, url=url)
    assert response.status_code == 200 and "_auth_user_id" not in client.session
    clock.advance(31)
    assert signed_in(sign_in(client, "admin-anna", RIGHT, url=url))


def test_an_unknown_username_is_throttled_like_a_known_one(client, db, settings, clock):
    for _ in range(settings.SIGNIN_FREE_FAILURES):
        assert sign_in(client, "nobody").status_code == 200
    assert sign_in(client, "nobody").status_code == 429


def test_the_wait_is_told_in_the_readers_language(client, db, settings, clock):
    make_user("anna")
    for _ in range(settings.SIGNIN_FREE_FAILURES):
        sign_in(client)
    response = client.post(
        reverse("login"),
        {"username": "anna", "password": "wrong"},
        REMOTE_ADDR="198.51.100.1",
        HTTP_ACCEPT_LANGUAGE="sv",
    )
    assert response.status_code == 429
    assert "30 sekunder" in response.content.decode()
