"""Sign-up with a confirmed address: the page says the same whatever exists (only the address's
owner learns whether the name or the address is in use), the link finishes the account, and
asking is rate-limited."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from tests.factories import make_user, send_emails

PASSWORD = "a-long-pass-phrase-2026"


def ask(client, username="newcomer", email="newcomer@example.org", next_url=None, **extra):
    url = reverse("accounts:signup")
    if next_url is not None:
        url += f"?next={next_url}"
    return client.post(url, {"username": username, "email": email}, **extra)


def mailed_link() -> str:
    send_emails()
    found = re.search(r"https?://[^/\s]+(/accounts/signup/\S+)", mail.outbox[-1].body)
    assert found, mail.outbox[-1].body
    return found.group(1)


def finish(client, link: str):
    return client.post(link, {"password1": PASSWORD, "password2": PASSWORD})


def test_the_link_in_the_e_mail_finishes_the_account_and_signs_in(client, db):
    response = ask(client)
    assert response.status_code == 302 and response.url == reverse("accounts:signup_sent")
    assert not get_user_model().objects.filter(username="newcomer").exists()
    link = mailed_link()
    assert mail.outbox[-1].to == ["newcomer@example.org"]
    assert "Choose your password" in client.get(link).content.decode()
    response = finish(client, link)
    assert response.status_code == 302 and response.url == reverse("citizens:services")
    user = get_user_model().objects.get(username="newcomer")
    assert user.email == "newcomer@example.org" and user.check_password(PASSWORD)
    assert client.get(reverse("citizens:applications")).status_code == 200


def test_the_answer_is_the_same_whether_the_name_or_the_address_is_in_use(client, db):
    make_user("taken").__class__.objects.filter(username="taken").update(email="owner@example.org")
    answers = [
        ask(client, "newcomer", "newcomer@example.org"),
        ask(client, "taken", "someone@example.org"),
        ask(client, "another", "owner@example.org"),
    ]
    assert {(r.status_code, r.url) for r in answers} == {(302, reverse("accounts:signup_sent"))}
    send_emails()
    by_address = {message.to[0]: message for message in mail.outbox}
    assert by_address["newcomer@example.org"].subject == "Finish your account"
    assert by_address["someone@example.org"].subject == "That username is taken"
    assert by_address["owner@example.org"].subject == "You already have an account"
    assert "taken" in by_address["owner@example.org"].body  # its username, to its owner only
    assert get_user_model().objects.count() == 1


def test_a_name_taken_while_the_link_was_on_its_way_makes_no_account(client, db):
    ask(client)
    link = mailed_link()
    make_user("Newcomer")
    response = finish(client, link)
    assert response.status_code == 409
    assert "The link cannot be used" in response.content.decode()
    assert not get_user_model().objects.filter(username="newcomer").exists()


@pytest.mark.parametrize("change", ["forged", "expired"])
def test_a_forged_or_expired_link_is_refused(client, db, settings, change):
    ask(client)
    link = mailed_link()
    if change == "forged":
        link = link.replace("/signup/", "/signup/x", 1)
    else:
        settings.SIGNUP_LINK_HOURS = 0
    response = finish(client, link)
    assert response.status_code == 400
    assert "The link is too old" in response.content.decode()
    assert not get_user_model().objects.filter(username="newcomer").exists()


def test_a_mismatched_password_is_asked_again_and_nothing_is_made(client, db):
    ask(client)
    link = mailed_link()
    response = client.post(link, {"password1": PASSWORD, "password2": PASSWORD + "x"})
    assert response.status_code == 200
    assert "Enter the same password twice" in response.content.decode()
    assert not get_user_model().objects.filter(username="newcomer").exists()


@pytest.mark.parametrize(
    ("target", "lands_on"),
    [
        ("/applications/", "/applications/"),
        ("https://evil.example/", "/services/"),
        ("//evil.example/", "/services/"),
        ("/\\evil.example/", "/services/"),
        ("javascript:alert(1)", "/services/"),
    ],
)
def test_after_sign_up_you_land_on_this_site_only(client, db, target, lands_on):
    ask(client, next_url=target)
    response = finish(client, mailed_link())
    assert response.status_code == 302 and response.url == lands_on


def test_sign_ups_from_one_address_are_limited(client, db, settings):
    settings.SIGNUP_LIMIT_PER_ADDRESS = 3
    for n in range(3):
        assert ask(client, f"user{n}", f"user{n}@example.org").status_code == 302
    response = ask(client, "user9", "user9@example.org")
    assert response.status_code == 429
    assert "Too many accounts have been asked for" in response.content.decode()
    other = ask(client, "user8", "user8@example.org", REMOTE_ADDR="192.0.2.8")
    assert other.status_code == 302  # another address is not held up


def test_an_address_gets_a_few_e_mails_a_day_however_often_it_is_asked_for(client, db, settings):
    settings.SIGNUP_LIMIT_PER_EMAIL = 2
    for n in range(5):
        response = ask(client, f"name{n}", "victim@example.org", REMOTE_ADDR=f"192.0.2.{n}")
        assert response.status_code == 302 and response.url == reverse("accounts:signup_sent")
    send_emails()
    assert [m.to for m in mail.outbox] == [["victim@example.org"]] * 2


def test_the_e_mail_is_in_the_language_the_account_was_asked_for_in(client, db):
    ask(client, HTTP_ACCEPT_LANGUAGE="sv")
    send_emails()
    assert mail.outbox[-1].subject == "Slutför ditt konto"
