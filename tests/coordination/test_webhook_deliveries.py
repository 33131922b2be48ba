"""Coordinators see the events units' systems did not get, and send them again."""

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.factories import make_coordinator, make_user, submitted_journey
from tests.journey_types import journey_type
from tests.webhooks.factories import make_subscription, paused
from webhooks.models import Delivery, Subscription

PAGE = reverse("coordination:webhook_deliveries")


def failed(delivery: Delivery, **fields) -> Delivery:
    fields = {
        "attempts": 3,
        "last_status": 500,
        "last_error": "HTTP 500 Internal Server Error",
        "next_attempt_at": timezone.now() + dt.timedelta(minutes=5),
        "held_back_at": timezone.now(),
    } | fields
    Delivery.objects.filter(pk=delivery.pk).update(**fields)
    delivery.refresh_from_db()
    return delivery


def test_the_page_lists_failed_deliveries_and_paused_subscriptions(client, db):
    failing = make_subscription(url="https://failing.example.org/hooks")
    stopped = paused(make_subscription(url="https://stopped.example.org/hooks"))
    kind = journey_type(parallel=1, chain=0)
    journey = submitted_journey(kind)
    failed(Delivery.objects.filter(subscription=failing).order_by("pk").first())
    client.force_login(make_coordinator())
    page = client.get(PAGE).content.decode()
    assert journey.reference in page
    assert "https://failing.example.org/hooks" in page and "HTTP 500" in page
    assert "https://stopped.example.org/hooks" in page
    assert reverse("coordination:webhook_resume", args=[stopped.public_id]) in page
    assert page.count('action="/coordination/webhooks/deliveries/') == 1  # only the failed one
    assert "journey.submitted" in page
    swedish = client.get(PAGE, headers={"Accept-Language": "sv"}).content.decode()
    assert "Händelser till enheternas system" in swedish and "Pausade prenumerationer" in swedish


def test_the_page_costs_the_same_queries_for_one_row_or_many(client, db):
    kind = journey_type(parallel=1, chain=0)
    applicant = make_user()
    client.force_login(make_coordinator())
    paused(make_subscription(url="https://one.example.org/"))
    submitted_journey(kind, applicant)
    for delivery in Delivery.objects.all():
        failed(delivery)
    client.get(PAGE)  # the roles are cached from the first request on
    with CaptureQueriesContext(connection) as few:
        assert client.get(PAGE).status_code == 200
    for number in range(3):
        subscription = make_subscription(url=f"https://sub{number}.example.org/")
        if number:
            paused(subscription)
    for _ in range(8):
        submitted_journey(kind, applicant)
    for delivery in Delivery.objects.all():
        failed(delivery)
    assert Delivery.objects.count() > 25  # more than one page
    client.get(PAGE)  # the roles again: making API clients made them stale
    with CaptureQueriesContext(connection) as many:
        assert client.get(PAGE).status_code == 200
    assert len(many) == len(few), "\n".join(q["sql"][:150] for q in many.captured_queries)


def test_sending_again_publishes_the_delivery_now(client, db):
    subscription = make_subscription()
    journey = submitted_journey(journey_type(parallel=1, chain=0))
    Subscription.objects.filter(pk=subscription.pk).update(
        retry_after=timezone.now() + dt.timedelta(hours=1), failures=5
    )
    delivery = failed(Delivery.objects.filter(journey=journey).order_by("pk").first())
    client.force_login(make_coordinator())
    response = client.post(reverse("coordination:webhook_send_again", args=[delivery.pk]))
    assert response.status_code == 302 and response.url == PAGE
    delivery.refresh_from_db()
    assert delivery.next_attempt_at <= timezone.now() and delivery.publish_count == 1
    subscription.refresh_from_db()
    assert subscription.retry_after is None and subscription.failures == 5


def test_resuming_a_paused_subscription_from_the_page(client, db):
    subscription = paused(make_subscription())
    submitted_journey(journey_type(parallel=1, chain=0))
    client.force_login(make_coordinator())
    response = client.post(reverse("coordination:webhook_resume", args=[subscription.public_id]))
    assert response.status_code == 302
    subscription.refresh_from_db()
    assert subscription.status == Subscription.Status.ACTIVE and subscription.failures == 0
    # Sending again a delivery of a paused subscription asks for the resume instead.
    again = paused(make_subscription())
    submitted_journey(journey_type(parallel=1, chain=0))
    delivery = Delivery.objects.filter(subscription=again).first()
    client.post(reverse("coordination:webhook_send_again", args=[delivery.pk]))
    delivery.refresh_from_db()
    assert delivery.publish_count == 0
