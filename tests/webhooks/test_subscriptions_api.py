"""/api/v1/subscriptions/: the contract a unit's system codes against (docs/api.md)."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from standardwebhooks import Webhook

from tests.factories import decide, submitted_journey
from tests.journey_types import journey_type
from units.models import Unit
from webhooks.deliveries import delivery_attempt
from webhooks.models import Delivery, Subscription

URL = "/api/v1/subscriptions/"
CREATED_KEYS = {"id", "url", "event_types", "status", "secret", "created_at", "verified_at"}


def test_a_subscription_is_made_after_the_handshake_and_shows_its_secret_once(
    api_caller, start_receiver, private_addresses
):
    caller = api_caller(unit=Unit.objects.get(slug="environment-health"))
    receiver = start_receiver()
    answer = caller.post(URL, {"url": receiver.url, "event_types": ["step.queued", "step.taken"]})
    assert answer.status_code == 201, answer.content
    created = answer.json()
    assert set(created) == CREATED_KEYS
    assert created["status"] == "active" and created["url"] == receiver.url
    assert created["event_types"] == ["step.queued", "step.taken"]
    assert created["secret"].startswith("whsec_")
    assert created["verified_at"]
    # The handshake the receiver got was a signed CloudEvent, verifiable with the secret.
    (handshake,) = receiver.records("webhook.verification")
    assert handshake["headers"]["content-type"] == "application/cloudevents+json"
    document = Webhook(created["secret"]).verify(handshake["body"], handshake["headers"])
    assert document["type"] == "webhook.verification" and document["data"]["challenge"]
    # Read again: no secret.
    shown = caller.get(f"{URL}{created['id']}/").json()
    assert "secret" not in shown and shown["id"] == created["id"] and shown["paused_at"] is None
    listed = caller.get(URL).json()
    assert [s["id"] for s in listed["results"]] == [created["id"]]
    assert "secret" not in listed["results"][0]


@pytest.mark.parametrize(
    ("language", "title"),
    [("en", "The address did not answer the verification"), ("sv", "Adressen svarade inte")],
)
def test_a_failed_handshake_is_a_problem_and_saves_nothing(
    api_caller, start_receiver, private_addresses, language, title
):
    caller = api_caller()
    receiver = start_receiver(extra=["--verification=wrong"])
    answer = caller.post(
        URL,
        {"url": receiver.url, "event_types": ["step.queued"]},
        headers={"Accept-Language": language},
    )
    assert answer.status_code == 422
    assert answer["Content-Type"] == "application/problem+json"
    problem = answer.json()
    assert problem["type"] == "urn:portal:problem:subscription-not-verified"
    assert problem["title"].startswith(title)
    assert problem["detail"]
    assert not Subscription.objects.exists()


REFUSED = [
    "http://127.0.0.1:8000/hooks",
    "http://10.0.0.7/hooks",
    "http://169.254.169.254/latest/meta-data/",
    "http://[::1]:8080/hooks",
    "https://localhost/hooks",  # a name that resolves to loopback
    "http://192.168.1.20/",
    "http://0.0.0.0/",
    "http://[::ffff:127.0.0.1]/",
]


@pytest.mark.parametrize(
    ("language", "title", "detail"),
    [
        ("en", "The portal does not post to this address", "only to public addresses"),
        ("sv", "Portalen skickar inte till den här adressen", "bara till offentliga adresser"),
    ],
)
def test_addresses_inside_the_network_are_refused(api_caller, settings, language, title, detail):
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False
    caller = api_caller()
    for url in REFUSED:
        answer = caller.post(
            URL,
            {"url": url, "event_types": ["step.queued"]},
            headers={"Accept-Language": language},
        )
        assert answer.status_code == 422, (url, answer.content)
        problem = answer.json()
        assert problem["type"] == "urn:portal:problem:url-not-allowed"
        assert problem["title"] == title
        assert detail in problem["detail"], problem
    assert not Subscription.objects.exists()


MALFORMED = [
    ({"url": "ftp://example.org/x", "event_types": ["step.queued"]}, "/url"),
    ({"url": "not a url", "event_types": ["step.queued"]}, "/url"),
    ({"url": "https://example.org/", "event_types": ["step.exploded"]}, "/event_types/0"),
    ({"url": "https://example.org/", "event_types": []}, "/event_types"),
    ({"url": "https://example.org/", "event_types": ["step.queued"] * 2}, "/event_types"),
    ({"url": "https://example.org/", "event_types": "step.queued"}, "/event_types"),
    ({"url": "https://example.org/", "event_types": ["step.queued"], "secret": "x"}, "/secret"),
    ({"event_types": ["step.queued"]}, "/url"),
    ({"url": 7, "event_types": ["step.queued"]}, "/url"),
]


def test_a_malformed_body_is_a_validation_problem(api_caller):
    caller = api_caller()
    for body, pointer in MALFORMED:
        answer = caller.post(URL, body)
        assert answer.status_code == 400, (body, answer.content)
        problem = answer.json()
        assert problem["type"] == "urn:portal:problem:validation-error"
        assert pointer in [error["pointer"] for error in problem["errors"]], (body, problem)
    assert caller.post(URL, "[1, 2]").status_code == 400
    assert not Subscription.objects.exists()


def test_a_client_sees_only_its_own_subscriptions(api_caller, start_receiver, subscribe):
    owner, stranger = api_caller(), api_caller(unit=Unit.objects.get(slug="tax-agency"))
    own = subscribe(owner.client, start_receiver(), ["step.queued"])
    path = f"{URL}{own.public_id}/"
    for answer in (
        stranger.get(path),
        stranger.get(f"{path}deliveries/"),
        stranger.post(f"{path}resume/"),
        stranger.http.delete(path, headers=stranger.headers()),
    ):
        assert answer.status_code == 404
        assert answer.json()["type"] == "urn:portal:problem:not-found"
    assert stranger.get(URL).json()["results"] == []
    assert Subscription.objects.filter(pk=own.pk).exists()
    # The coordination client, read-only elsewhere, manages its own.
    assert owner.client.read_only
    assert owner.http.delete(path, headers=owner.headers()).status_code == 204
    assert not Subscription.objects.exists()
    assert owner.get(path).status_code == 404


def test_a_paused_subscription_is_resumed(api_caller, start_receiver, subscribe):
    caller = api_caller()
    subscription = subscribe(caller.client, start_receiver(), ["step.queued"])
    Subscription.objects.filter(pk=subscription.pk).update(
        status="paused", paused_at=timezone.now(), failures=12
    )
    assert caller.get(f"{URL}{subscription.public_id}/").json()["status"] == "paused"
    answer = caller.post(f"{URL}{subscription.public_id}/resume/")
    assert answer.status_code == 200
    assert answer.json()["status"] == "active" and answer.json()["paused_at"] is None
    assert caller.post(f"{URL}{subscription.public_id}/resume/").status_code == 200  # again


def test_the_deliveries_show_each_events_status_in_constant_queries(
    api_caller, start_receiver, subscribe
):
    caller = api_caller()
    healthy = start_receiver()
    subscription = subscribe(caller.client, healthy, ["journey.submitted", "step.decided"])
    path = f"{URL}{subscription.public_id}/deliveries/"
    kind = journey_type(parallel=1, chain=0)
    journey = submitted_journey(kind)
    decide(journey.steps.get())
    first, second = Delivery.objects.order_by("pk")
    delivery_attempt(delivery_id=first.pk, now=timezone.now())
    healthy.stop()
    delivery_attempt(delivery_id=second.pk, now=timezone.now())
    answer = caller.get(path)
    assert answer.status_code == 200
    rows = answer.json()["results"]
    assert [(r["type"], r["status"]) for r in rows] == [
        ("step.decided", "failing"),
        ("journey.submitted", "delivered"),
    ]
    failing, delivered = rows
    assert failing["id"] == second.webhook_id and failing["event_id"] == f"event-{second.event_id}"
    assert failing["attempts"] == 1 and failing["last_status"] is None
    assert "ConnectionError" in failing["last_error"]
    assert dt.datetime.fromisoformat(failing["next_attempt_at"]) > timezone.now()
    assert failing["journey"] == str(journey.public_id)
    assert delivered["last_status"] == 204 and delivered["delivered_at"]
    with CaptureQueriesContext(connection) as few:
        caller.get(path)
    for _ in range(20):
        submitted_journey(kind, journey.applicant)
    with CaptureQueriesContext(connection) as many:
        answer = caller.get(path + "?page_size=100")
    assert len(answer.json()["results"]) == 22
    assert len(many) == len(few) <= 6
