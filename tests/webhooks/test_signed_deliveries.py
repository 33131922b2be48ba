"""Each event reaches a subscriber as a CloudEvents document signed per Standard Webhooks, which
the `standardwebhooks` library verifies; the handshake comes first."""

import json

import pytest
from django.utils import timezone
from standardwebhooks import Webhook, WebhookVerificationError

from api.clients import api_client_create
from api.events import cloud_event_body, published_events
from tests.factories import decide, submitted_journey
from tests.journey_types import journey_type
from webhooks.deliveries import delivery_attempt
from webhooks.models import Delivery, Subscription
from webhooks.signing import CONTENT_TYPE, signed_headers
from webhooks.subscriptions import NotVerified, subscription_create


def coordination_client():
    return api_client_create(name="Coordination system", now=timezone.now())[0]


def deliver_everything() -> list[str]:
    now = timezone.now()
    return [
        delivery_attempt(delivery_id=pk, now=now)
        for pk in Delivery.objects.order_by("pk").values_list("pk", flat=True)
    ]


def test_the_signature_verifies_with_the_standard_webhooks_library(db):
    journey = submitted_journey(journey_type(parallel=1, chain=0))
    event = published_events().filter(journey=journey).first()
    body = cloud_event_body(event)
    secret = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    headers = signed_headers(secret=secret, webhook_id="msg_1", body=body, now=timezone.now())
    assert headers["Content-Type"] == CONTENT_TYPE
    assert Webhook(secret).verify(body, headers)["type"] == "journey.submitted"
    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + "QW5vdGhlciBzZWNyZXQgYWx0b2dldGhlcg==").verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body.replace(b"journey", b"JOURNEY"), headers)


def test_a_subscriber_receives_each_event_signed_and_verifies_it(db, start_receiver, subscribe):
    receiver = start_receiver()
    subscription = subscribe(coordination_client(), receiver, ["journey.submitted", "step.decided"])
    assert subscription.secret.startswith("whsec_")
    assert subscription.status == Subscription.Status.ACTIVE and subscription.verified_at
    assert len(receiver.records("webhook.verification")) == 1
    journey = submitted_journey(journey_type(parallel=2, chain=0))
    for step in journey.steps.all():
        decide(step)
    assert deliver_everything() == ["delivered"] * 3
    got = receiver.events()
    assert [e["type"] for e in got] == ["journey.submitted", "step.decided", "step.decided"]
    assert all(e["verified"] for e in got)
    assert {e["journey"] for e in got} == {str(journey.public_id)}
    rows = Delivery.objects.filter(subscription=subscription).order_by("pk")
    assert [e["webhook_id"] for e in got] == [d.webhook_id for d in rows]
    assert all(d.delivered_at and d.last_status == 204 and d.attempts == 1 for d in rows)
    # Delivered rows are not posted again.
    assert set(deliver_everything()) == {"gone"}
    assert len(receiver.events()) == 3


def test_a_failed_delivery_is_sent_again_with_the_same_webhook_id(
    db, start_receiver, subscribe, settings
):
    settings.WEBHOOK_RETRY_SCHEDULE = [0]
    receiver = start_receiver(mode="fail")
    subscribe(coordination_client(), receiver, ["journey.submitted"])
    submitted_journey(journey_type(parallel=1, chain=0))
    assert deliver_everything() == ["failed"]
    assert deliver_everything() == ["failed"]
    first, second = receiver.events()
    assert first["webhook_id"] == second["webhook_id"] == Delivery.objects.get().webhook_id
    assert first["verified"] and second["verified"]
    delivery = Delivery.objects.get()
    assert delivery.attempts == 2 and delivery.last_status == 500 and delivery.delivered_at is None
    assert "HTTP 500" in delivery.last_error


def test_the_handshake_echoes_a_signed_challenge(db, start_receiver, private_addresses):
    receiver = start_receiver()
    subscription, secret = subscription_create(
        client=coordination_client(),
        url=receiver.url,
        event_types=["step.queued", "journey.completed"],
        now=timezone.now(),
    )
    assert secret == subscription.secret
    assert subscription.event_types == ["journey.completed", "step.queued"]
    assert receiver.records("webhook.verification")


@pytest.mark.parametrize(
    ("options", "why"),
    [
        ({"extra": ["--verification=wrong"]}, "not the JSON"),
        ({"extra": ["--verification=fail"]}, "HTTP status 500"),
    ],
)
def test_a_wrong_answer_to_the_handshake_saves_nothing(
    db, start_receiver, private_addresses, options, why
):
    receiver = start_receiver(**options)
    with pytest.raises(NotVerified, match=why):
        subscription_create(
            client=coordination_client(),
            url=receiver.url,
            event_types=["step.queued"],
            now=timezone.now(),
        )
    assert not Subscription.objects.exists()


def test_an_address_nobody_listens_on_is_not_verified(db, private_addresses):
    from tests.webhooks.receivers import free_port

    with pytest.raises(NotVerified, match="No connection"):
        subscription_create(
            client=coordination_client(),
            url=f"http://127.0.0.1:{free_port()}/hooks",
            event_types=["step.queued"],
            now=timezone.now(),
        )
    assert not Subscription.objects.exists()


def test_the_verification_event_is_a_cloud_event_with_the_challenge(db):
    from webhooks.signing import verification_body

    document = json.loads(
        verification_body(subscription_id="abc", challenge="xyz", now=timezone.now())
    )
    assert document["type"] == "webhook.verification"
    assert document["specversion"] == "1.0"
    assert document["data"] == {"challenge": "xyz"}
