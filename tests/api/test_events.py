"""The events a system sees: CloudEvents documents, thin, and only within its scope."""

from api.events import cloud_event, in_scope, published_events
from api.models import ApiClient
from tests.factories import decide, submitted_journey
from tests.journey_types import journey_type, unit_for


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
