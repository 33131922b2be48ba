"""A subscription gets the events its client may see and asked for, written with the change:
a unit's system never gets another unit's step events."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from api.clients import api_client_create
from api.events import EVENT_TYPES
from journeys import services
from journeys.models import JourneyEvent, Step
from tests.factories import decide, deliver_all, make_caseworker, submitted_journey
from tests.journey_types import journey_type, make_test_units
from tests.webhooks.factories import make_subscription
from units.models import Unit
from webhooks.deliveries import deliveries_create
from webhooks.models import Delivery, Subscription

ALL = sorted(set(EVENT_TYPES.values()))


def subscription(client, event_types=ALL) -> Subscription:
    return make_subscription(client, event_types=event_types)


def received(sub: Subscription) -> list[tuple[str, int | None]]:
    return [
        (d.event_type, d.event.step.unit.slug if d.event.step_id else None)
        for d in Delivery.objects.filter(subscription=sub)
        .select_related("event__step__unit")
        .order_by("pk")
    ]


def test_a_units_subscription_gets_only_its_own_steps_and_the_journeys_end(db):
    kind = journey_type(parallel=2, chain=0)
    own_unit = Unit.objects.get(slug="office-parallel-1")
    own = subscription(api_client_create(name="Own", unit=own_unit, now=timezone.now())[0])
    everything = subscription(api_client_create(name="Coordination", now=timezone.now())[0])
    queued_only = subscription(
        api_client_create(name="Queued", unit=own_unit, now=timezone.now())[0], ["step.queued"]
    )
    journey = submitted_journey(kind)
    for step in journey.steps.order_by("step_type__key"):
        decide(step)
    assert received(own) == [
        ("step.queued", "office-parallel-1"),
        ("step.taken", "office-parallel-1"),
        ("step.decided", "office-parallel-1"),
        ("journey.completed", None),
    ]
    assert received(queued_only) == [("step.queued", "office-parallel-1")]
    assert len(received(everything)) == 8  # submitted, 2 x (queued, taken, decided), completed
    assert {"office-parallel-2"} == {u for _, u in received(everything) if u} - {
        "office-parallel-1"
    }


def test_a_paused_subscription_still_gets_its_rows_and_a_revoked_client_none(db):
    from api.clients import api_client_revoke

    paused = subscription(api_client_create(name="Paused", now=timezone.now())[0])
    Subscription.objects.filter(pk=paused.pk).update(status="paused", paused_at=timezone.now())
    revoked_client = api_client_create(name="Revoked", now=timezone.now())[0]
    revoked = subscription(revoked_client)
    api_client_revoke(client=revoked_client, now=timezone.now())
    submitted_journey(journey_type(parallel=1, chain=0))
    assert len(received(paused)) == 2  # submitted, queued: waiting for the resume
    assert received(revoked) == []


def test_an_event_costs_one_query_when_nobody_subscribed(db):
    journey = submitted_journey(journey_type(parallel=1, chain=0))
    event = JourneyEvent.objects.filter(journey=journey, kind="step_queued").get()
    with CaptureQueriesContext(connection) as queries:
        assert deliveries_create(event) == []
    assert len(queries) == 1
    note = JourneyEvent(journey=journey, kind=JourneyEvent.Kind.NOTE, created_at=timezone.now())
    with CaptureQueriesContext(connection) as queries:
        assert deliveries_create(note) == []  # not published: no query at all
    assert len(queries) == 0


# The journey-level transitions (issue 16): each reaches the units it concerns, and no other.


@pytest.fixture
def listening(db):
    """A subscription to every type for each unit of a parallel-1 -> chain-1 -> chain-2 trail
    with parallel-2 beside it, one for a unit a step may be transferred to, and a coordination
    one; keyed by unit slug ("coordination" for the last)."""
    journey_type(parallel=2, chain=2)
    units = make_test_units("office-right")
    now = timezone.now()
    subscriptions = {
        unit.slug: subscription(api_client_create(name=unit.slug, unit=unit, now=now)[0])
        for unit in Unit.objects.filter(slug__startswith="office-")
    }
    subscriptions["coordination"] = subscription(api_client_create(name="Coord", now=now)[0])
    assert "office-right" in subscriptions and units
    return subscriptions


def hearing(subscriptions: dict[str, Subscription], event_type: str, step=None) -> set[str]:
    """Who received an event of this type (of this step)."""
    rows = Delivery.objects.filter(event__kind__in=kinds_of(event_type))
    if step is not None:
        rows = rows.filter(event__step=step)
    names = {s.pk: name for name, s in subscriptions.items()}
    return {names[pk] for pk in rows.values_list("subscription", flat=True)}


def kinds_of(event_type: str) -> list[str]:
    return [kind for kind, published in EVENT_TYPES.items() if published == event_type]


def trail_journey():
    journey = submitted_journey(journey_type(parallel=2, chain=2))
    return journey, {s.step_type.key: s for s in journey.steps.select_related("step_type")}


def fresh(step: Step) -> Step:
    return Step.objects.select_related("unit", "step_type").get(pk=step.pk)


def test_a_journey_wide_clock_stop_reaches_each_paused_steps_unit(listening):
    journey, steps = trail_journey()
    worker = make_caseworker(steps["parallel-1"].unit)
    asking = services.step_claim(step=steps["parallel-1"], by=worker, now=timezone.now())
    services.information_request_create(
        step=asking,
        by=worker,
        items=["Floor plan"],
        due_date=timezone.localdate() + dt.timedelta(days=14),
        now=timezone.now(),
        blocks=[steps["parallel-2"]],
    )
    assert hearing(listening, "step.paused") == {"office-parallel-2", "coordination"}
    assert hearing(listening, "step.information_requested") == {
        "office-parallel-1",
        "coordination",
    }


def test_a_reopening_reaches_its_unit_and_the_recall_and_review_flag_theirs(listening):
    journey, steps = trail_journey()
    worker = make_caseworker(steps["parallel-1"].unit)
    decide(steps["parallel-1"], by=worker)
    deliver_all()
    decide(fresh(steps["chain-1"]))  # chain-2 is queued in its unit
    deliver_all()

    services.step_reopen(
        step=fresh(steps["parallel-1"]), by=worker, reason="Wrong drawing.", now=timezone.now()
    )
    deliver_all()  # the recall reaches chain-2's unit

    assert hearing(listening, "step.reopened") == {"office-parallel-1", "coordination"}
    assert hearing(listening, "step.review_flagged") == {"office-chain-1", "coordination"}
    assert hearing(listening, "step.recalled") == {"office-chain-2", "coordination"}


def test_a_send_back_reaches_the_earlier_steps_unit_and_the_sending_one(listening):
    journey, steps = trail_journey()
    decide(steps["parallel-1"])
    deliver_all()
    worker = make_caseworker(steps["chain-1"].unit)
    sending = services.step_claim(step=fresh(steps["chain-1"]), by=worker, now=timezone.now())

    services.step_send_back(
        step=sending,
        to=fresh(steps["parallel-1"]),
        by=worker,
        reason="Amend the permit first.",
        now=timezone.now(),
    )

    assert hearing(listening, "step.sent_back") == {"office-parallel-1", "coordination"}
    assert hearing(listening, "step.recalled") == {"office-chain-1", "coordination"}


def test_a_consultation_reaches_the_asking_and_the_consulted_unit(listening):
    journey, steps = trail_journey()
    worker = make_caseworker(steps["parallel-1"].unit)
    asking = services.step_claim(step=steps["parallel-1"], by=worker, now=timezone.now())
    consulted = steps["parallel-2"].unit
    consultation = services.consultation_request(
        step=asking,
        by=worker,
        unit=consulted,
        question="A noise permit?",
        due_date=timezone.localdate() + dt.timedelta(days=10),
        now=timezone.now(),
    )
    services.consultation_answer(
        consultation=consultation,
        by=make_caseworker(consulted),
        answer="Not needed.",
        now=timezone.now(),
    )
    both = {"office-parallel-1", "office-parallel-2", "coordination"}
    assert hearing(listening, "step.consultation_requested") == both
    assert hearing(listening, "step.consultation_answered") == both


def test_after_a_transfer_each_unit_gets_the_events_of_its_time_and_both_the_transfer(listening):
    journey, steps = trail_journey()
    moved = steps["parallel-2"]
    services.step_transfer(
        step=moved,
        to=Unit.objects.get(slug="office-right"),
        by=make_caseworker(moved.unit),
        reason="A district matter.",
        now=timezone.now(),
    )
    deliver_all()
    decide(fresh(moved))  # taken and decided in the receiving unit

    def types(name: str) -> list[str]:
        rows = Delivery.objects.filter(subscription=listening[name], event__step=moved)
        return [d.event_type for d in rows.select_related("event").order_by("pk")]

    assert types("office-parallel-2") == ["step.queued", "step.transferred"]
    assert types("office-right") == [
        "step.transferred",
        "step.queued",
        "step.taken",
        "step.decided",
    ]
    assert len(types("coordination")) == 5
