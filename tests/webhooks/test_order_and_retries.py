"""A journey's events arrive in order; a failing subscriber is retried on a schedule of at least
24 hours, holds back only its own deliveries, and is then paused (its unit's leads told)."""

import datetime as dt
import threading
import time

from django.db import connection, transaction
from django.utils import timezone

from api.clients import api_client_create
from journeys.models import OutgoingEmail
from tests.factories import decide, make_caseworker, make_coordinator, submitted_journey
from tests.journey_types import journey_type
from units.models import Unit
from webhooks.deliveries import (
    deliveries_drain,
    deliveries_publish_due,
    delivery_attempt,
    delivery_send_again,
    retry_delay,
    subscription_resume,
)
from webhooks.models import Delivery, Subscription

ALL = ["journey.submitted", "step.queued", "step.taken", "step.decided", "journey.completed"]


def coordination_client(name="Coordination system"):
    return api_client_create(name=name, now=timezone.now())[0]


def test_a_later_event_of_a_journey_waits_for_the_earlier_one(db, start_receiver, subscribe):
    receiver = start_receiver()
    subscription = subscribe(coordination_client(), receiver, ALL)
    journey = submitted_journey(journey_type(parallel=1, chain=0))
    other = submitted_journey(journey_type(parallel=1, chain=0, slug="other", prefix="OTHER"))
    decide(journey.steps.get())
    rows = list(Delivery.objects.filter(journey=journey).order_by("pk"))
    now = timezone.now()
    # The last first: held back, and so is every row before the journey's first.
    assert delivery_attempt(delivery_id=rows[-1].pk, now=now) == "waiting"
    assert Delivery.objects.get(pk=rows[-1].pk).held_back_at == now  # waiting, no message out
    assert delivery_attempt(delivery_id=rows[1].pk, now=now) == "waiting"
    # Another journey's events are not held back by this one's.
    first_of_other = Delivery.objects.filter(journey=other).order_by("pk").first()
    assert delivery_attempt(delivery_id=first_of_other.pk, now=now) == "delivered"
    for row in rows:
        assert delivery_attempt(delivery_id=row.pk, now=now) == "delivered"
    got = [e for e in receiver.events() if e["journey"] == str(journey.public_id)]
    assert [e["sequence"] for e in got] == sorted(e["sequence"] for e in got)
    assert [e["type"] for e in got] == [
        "journey.submitted",
        "step.queued",
        "step.taken",
        "step.decided",
        "journey.completed",
    ]
    assert not Delivery.objects.filter(subscription=subscription, journey=journey).undelivered()


def test_the_schedule_backs_off_for_at_least_24_hours_then_pauses_and_tells_the_leads(
    db, start_receiver, subscribe, settings
):
    unit = Unit.objects.get_or_create(slug="office-parallel-1", defaults={"name": "Office"})[0]
    lead = make_caseworker(unit, lead=True)
    make_caseworker(unit)  # not a lead: not told
    client = api_client_create(name="Office system", unit=unit, now=timezone.now())[0]
    receiver = start_receiver(mode="fail")
    subscription = subscribe(client, receiver, ["step.queued", "step.decided"])
    journey = submitted_journey(journey_type(parallel=1, chain=0))
    decide(journey.steps.get())
    first, second = Delivery.objects.filter(subscription=subscription).order_by("pk")
    started = timezone.now()
    now, outcome, waits = started, "", []
    while outcome != "paused":
        outcome = delivery_attempt(delivery_id=first.pk, now=now)
        assert outcome in ("failed", "paused")
        subscription.refresh_from_db()
        if outcome == "failed":
            # The breaker holds every row of the subscription, the second one too.
            assert subscription.retry_after > now
            assert delivery_attempt(delivery_id=second.pk, now=now) == "waiting"
            assert delivery_attempt(delivery_id=first.pk, now=now) == "waiting"
            waits.append((subscription.retry_after - now).total_seconds())
            now = subscription.retry_after
    elapsed = now - started
    assert waits[:10] == [10, 30, 60, 300, 900, 1800, 3600, 7200, 14400, 28800]
    assert set(waits[10:]) == {28800}
    assert elapsed >= dt.timedelta(hours=24)
    assert elapsed - dt.timedelta(seconds=waits[-1]) < dt.timedelta(hours=24)  # not one later
    assert len(receiver.events()) == len(waits) + 1 == 13
    subscription.refresh_from_db()
    assert subscription.status == Subscription.Status.PAUSED and subscription.paused_at == now
    first.refresh_from_db()
    assert first.given_up_at == now and first.attempts == 13 and first.delivered_at is None
    # Nothing lost: both rows wait; none is tried while paused.
    assert delivery_attempt(delivery_id=second.pk, now=now) == "waiting"
    assert deliveries_publish_due(now=now + dt.timedelta(days=3)) == 0
    (told,) = OutgoingEmail.objects.filter(template="webhook_paused")
    assert told.address == lead.email and told.kind == OutgoingEmail.Kind.ACCOUNT
    assert told.context["url"] == receiver.url and told.context["failures"] == 13
    # Resumed: the oldest row is tried again first, on a fresh schedule.
    receiver.stop()
    receiver.mode = "ok"
    receiver.start()
    later = now + dt.timedelta(hours=2)
    assert subscription_resume(subscription=subscription, now=later)
    subscription.refresh_from_db()
    assert subscription.status == Subscription.Status.ACTIVE and subscription.failures == 0
    assert delivery_attempt(delivery_id=second.pk, now=later) == "waiting"
    assert delivery_attempt(delivery_id=first.pk, now=later) == "delivered"
    assert delivery_attempt(delivery_id=second.pk, now=later) == "delivered"


def test_a_coordination_clients_paused_subscription_tells_the_coordinators(
    db, start_receiver, subscribe, settings
):
    settings.WEBHOOK_GIVE_UP_SECONDS = 0  # the first failure pauses
    coordinator = make_coordinator()
    receiver = start_receiver(mode="fail")
    subscription = subscribe(coordination_client(), receiver, ["journey.submitted"])
    submitted_journey(journey_type(parallel=1, chain=0))
    delivery = Delivery.objects.get(subscription=subscription)
    assert delivery_attempt(delivery_id=delivery.pk, now=timezone.now()) == "paused"
    addresses = set(
        OutgoingEmail.objects.filter(template="webhook_paused").values_list("address", flat=True)
    )
    assert addresses == {coordinator.email}


def test_a_failing_subscriber_does_not_hold_back_another(db, start_receiver, subscribe):
    failing = start_receiver("failing", mode="fail")
    healthy = start_receiver("healthy")
    bad = subscribe(coordination_client("Bad"), failing, ALL)
    good = subscribe(coordination_client("Good"), healthy, ALL)
    journeys = [
        submitted_journey(journey_type(parallel=1, chain=0, slug=f"t{i}", prefix=f"T{i}"))
        for i in range(3)
    ]
    now = timezone.now()
    outcomes = {
        (row.subscription_id, delivery_attempt(delivery_id=row.pk, now=now))
        for row in Delivery.objects.order_by("pk")
    }
    # One attempt failed and set the breaker; the rest of the failing one's rows wait.
    assert (bad.pk, "failed") in outcomes and (bad.pk, "waiting") in outcomes
    assert {o for s, o in outcomes if s == good.pk} == {"delivered"}
    assert len(failing.events()) == 1
    assert len(healthy.events()) == Delivery.objects.filter(subscription=good).count() > 3
    assert {e["journey"] for e in healthy.events()} == {str(j.public_id) for j in journeys}


def test_retry_delays_follow_the_schedule_then_repeat_its_last_step(settings):
    settings.WEBHOOK_RETRY_SCHEDULE = [1, 5, 60]
    assert [retry_delay(n).total_seconds() for n in range(1, 6)] == [1, 5, 60, 60, 60]


def test_sending_again_lifts_the_breaker_and_publishes_the_first_of_the_journey(
    db, start_receiver, subscribe
):
    receiver = start_receiver(mode="fail")
    subscription = subscribe(coordination_client(), receiver, ALL)
    journey = submitted_journey(journey_type(parallel=1, chain=0))
    first, second = Delivery.objects.filter(journey=journey).order_by("pk")[:2]
    assert delivery_attempt(delivery_id=first.pk, now=timezone.now()) == "failed"
    subscription.refresh_from_db()
    assert subscription.retry_after is not None
    assert delivery_send_again(delivery=second, now=timezone.now())
    subscription.refresh_from_db()
    assert subscription.retry_after is None and subscription.failures == 1  # still counted
    first.refresh_from_db()
    assert first.publish_count == 1 and first.published_at is not None
    assert delivery_attempt(delivery_id=first.pk, now=timezone.now()) == "failed"


def test_one_run_drains_a_backlog_journey_by_journey_in_order(
    db, start_receiver, subscribe, django_capture_on_commit_callbacks
):
    receiver = start_receiver()
    subscription = subscribe(coordination_client(), receiver, ALL)
    kind = journey_type(parallel=1, chain=0)
    journeys = [submitted_journey(kind) for _ in range(3)]
    for journey in journeys:
        decide(journey.steps.get())
    rows = Delivery.objects.filter(subscription=subscription).order_by("pk")
    assert rows.count() == 15
    outcomes = deliveries_drain(delivery_id=rows[0].pk, clock=timezone.now)
    assert outcomes == ["delivered"] * 15
    got = receiver.events()
    for journey in journeys:
        mine = [e["sequence"] for e in got if e["journey"] == str(journey.public_id)]
        assert mine == sorted(mine) and len(mine) == 5
    assert deliveries_drain(delivery_id=rows[0].pk, clock=timezone.now) == ["gone"]
    # A run stops after `at_most` rows and publishes the next for another run.
    decide(submitted_journey(kind).steps.get())
    first, _, third = Delivery.objects.undelivered().order_by("pk")[:3]
    with django_capture_on_commit_callbacks(execute=True):
        outcomes = deliveries_drain(delivery_id=first.pk, clock=timezone.now, at_most=2)
    assert outcomes == ["delivered", "delivered"]
    third.refresh_from_db()
    assert third.delivered_at is None and third.publish_count == 1  # for the next run


def test_a_run_waits_a_moment_for_a_row_another_holds_then_leaves_it(
    transactional_db, start_receiver, subscribe
):
    """A publisher marks a row published just after sending its message, so the message's run
    can find the row locked for an instant: it waits. A run that is posting the row holds it
    far longer: the other leaves it to that run."""
    receiver = start_receiver()
    subscribe(coordination_client(), receiver, ["journey.submitted"])
    submitted_journey(journey_type(parallel=1, chain=0))
    delivery = Delivery.objects.get()

    def hold(seconds: float, taken: threading.Event) -> None:
        with transaction.atomic():
            Delivery.objects.select_for_update().get(pk=delivery.pk)
            taken.set()
            time.sleep(seconds)
        connection.close()

    for seconds, outcome in ((3, "busy"), (0.3, "delivered")):
        taken = threading.Event()
        holder = threading.Thread(target=hold, args=(seconds, taken))
        holder.start()
        taken.wait(10)
        # Held 3 s: left to the holder (had it waited that long, it would have delivered).
        assert delivery_attempt(delivery_id=delivery.pk, now=timezone.now()) == outcome
        holder.join()
    assert len(receiver.events()) == 1
