"""The events a system sees: CloudEvents documents, thin, and only within its scope."""

import datetime as dt

from django.utils import timezone

from api.events import audience_unit_ids, cloud_event, in_scope, published_events
from api.models import ApiClient
from journeys import services
from tests.factories import decide, deliver_all, make_caseworker, submitted_journey
from tests.journey_types import journey_type, make_test_units, unit_for
from units.models import Unit


def test_a_decision_is_a_cloud_event_naming_the_journey_step_and_outcome(db):
    kind = journey_type(parallel=1, chain=0)
    journey = submitted_journey(kind)
    decide(journey.steps.get())
    event = published_events().filter(journey=journey, kind="step_approved").get()
    document = cloud_event(event)
    assert document["specversion"] == "1.0"
    assert document["type"] == "step.decided"
    assert document["data"]["outcome"] == "approve"
    assert document["data"]["journey"]["id"] == str(journey.public_id)
    assert document["data"]["step"]["unit"] == unit_for("parallel-1")
    assert "reasons" not in str(document["data"])  # thin: the API has the rest, in scope


def test_a_unit_sees_its_steps_events_and_the_journeys_end_not_other_units_steps(db):
    kind = journey_type(parallel=2, chain=0)
    journey = submitted_journey(kind)
    for step in journey.steps.all():
        decide(step)
    own = journey.steps.get(step_type__key="parallel-1")
    client = ApiClient(kind=ApiClient.Kind.UNIT, unit_id=own.unit_id)
    seen = in_scope(published_events().filter(journey=journey), client)
    types = [(e.step_id, cloud_event(e)["type"]) for e in seen.order_by("pk")]
    assert types == [
        (own.pk, "step.queued"),
        (own.pk, "step.taken"),
        (own.pk, "step.decided"),
        (None, "journey.completed"),
    ]
    everything = in_scope(
        published_events().filter(journey=journey), ApiClient(kind="coordination")
    )
    assert everything.count() == 8  # submitted, 2 x (queued, taken, decided), completed


def transferred_journey():
    """parallel-2 taken in its unit, then transferred to office-right and taken there;
    parallel-1's caseworker consults parallel-2's old unit, which answers."""
    journey = submitted_journey(journey_type(parallel=2, chain=0))
    moved = journey.steps.get(step_type__key="parallel-2")
    sender = moved.unit
    receiver = make_test_units("office-right")["office-right"]
    worker = make_caseworker(sender)
    moved = services.step_claim(step=moved, by=worker, now=timezone.now())
    services.step_transfer(
        step=moved, to=receiver, by=worker, reason="A district matter.", now=timezone.now()
    )
    deliver_all()
    services.step_claim(step=moved, by=make_caseworker(receiver), now=timezone.now())
    asking = journey.steps.get(step_type__key="parallel-1")
    asker = make_caseworker(asking.unit)
    asking = services.step_claim(step=asking, by=asker, now=timezone.now())
    consultation = services.consultation_request(
        step=asking,
        by=asker,
        unit=sender,
        question="Was it yours?",
        due_date=timezone.localdate() + dt.timedelta(days=5),
        now=timezone.now(),
    )
    services.consultation_answer(
        consultation=consultation, by=worker, answer="No.", now=timezone.now()
    )
    return journey, moved, sender, receiver


def test_a_documents_step_unit_is_the_unit_that_held_it_then_and_names_the_other_unit(db):
    journey, moved, sender, receiver = transferred_journey()
    documents = [cloud_event(e) for e in published_events().filter(journey=journey)]
    by_type = {}
    for document in documents:
        if document["data"].get("step", {}).get("id") == moved.pk:
            by_type.setdefault(document["type"], []).append(document["data"])
    first, again = by_type["step.queued"]
    assert first["step"]["unit"] == sender.slug  # written before the transfer: still the sender
    assert again["step"]["unit"] == receiver.slug
    (transfer,) = by_type["step.transferred"]
    assert transfer["step"]["unit"] == sender.slug and transfer["transferred_to"] == receiver.slug
    (taken_there,) = [d for d in by_type["step.taken"] if d["step"]["unit"] == receiver.slug]
    assert taken_there["status_after"] == "in_progress"
    asked = next(d for d in documents if d["type"] == "step.consultation_requested")
    answered = next(d for d in documents if d["type"] == "step.consultation_answered")
    assert asked["data"]["consulted_unit"] == answered["data"]["consulted_unit"] == sender.slug
    assert asked["data"]["step"]["key"] == "parallel-1"


def test_the_feeds_scope_and_the_webhooks_audience_agree_on_every_event(db):
    journey, moved, sender, receiver = transferred_journey()
    events = list(published_events().filter(journey=journey))
    assert {cloud_event(e)["type"] for e in events} >= {
        "step.transferred",
        "step.consultation_requested",
        "step.consultation_answered",
    }
    for unit in Unit.objects.filter(slug__startswith="office-"):
        client = ApiClient(kind=ApiClient.Kind.UNIT, unit=unit)
        seen = set(in_scope(published_events(), client).values_list("pk", flat=True))
        told = {e.pk for e in events if unit.pk in audience_unit_ids(e)}
        assert seen & {e.pk for e in events} == told, unit.slug
