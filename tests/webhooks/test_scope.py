"""A subscription gets the events its client may see and asked for, written with the change:
a unit's system never gets another unit's step events."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from api.clients import api_client_create
from api.events import EVENT_TYPES
from journeys.models import JourneyEvent
from tests.factories import decide, submitted_journey
from tests.journey_types import journey_type
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
