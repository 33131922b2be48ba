"""A journey's log as a unit's system sees it: what the case page's history shows that unit."""

from journeys.models import JourneyEvent
from tests.factories import decide, submitted_journey
from tests.journey_types import journey_type


def test_a_unit_reads_the_journeys_log_oldest_first(two_units):
    world = two_units
    decide(world.other)
    response = world.caller.get(f"/api/v1/journeys/{world.journey.public_id}/events/")
    assert response.status_code == 200, response.content
    events = response.json()["results"]
    assert [e["id"] for e in events] == sorted(
        JourneyEvent.objects.filter(journey=world.journey).values_list("pk", flat=True)
    )
    decided = next(e for e in events if e["kind"] == "step_approved")
    assert decided["type"] == "step.decided"
    assert decided["step"] == {
        "id": world.other.pk,
        "key": "parallel-2",
        "unit": "office-parallel-2",
    }
    assert decided["title"] == "Step approved"
    taken = next(e for e in events if e["kind"] == "step_claimed")
    assert taken["actor"]  # staff see who did it, as on the case page


def test_another_steps_applicant_data_is_withheld(two_units):
    world = two_units
    response = world.caller.get(f"/api/v1/journeys/{world.journey.public_id}/events/")
    added = [e for e in response.json()["results"] if e["kind"] == "document_added"]
    by_step = {e["step"]["id"]: e for e in added}
    world.own.refresh_from_db()
    # The journal names the document by its registration number within the case and its name.
    assert by_step[world.own.pk]["message"] == f"{world.own.registration_number}-1 own-plan.pdf"
    assert by_step[world.own.pk]["withheld"] is False
    assert by_step[world.other.pk]["message"] == ""
    assert by_step[world.other.pk]["withheld"] is True
    assert "other-plan" not in response.content.decode()


def test_titles_come_in_the_clients_language(two_units):
    world = two_units
    response = world.caller.get(
        f"/api/v1/journeys/{world.journey.public_id}/events/", headers={"Accept-Language": "sv"}
    )
    submitted = next(e for e in response.json()["results"] if e["kind"] == "submitted")
    assert submitted["title"] == "Ansökan inskickad"


def test_a_journey_outside_the_scope_has_no_log(two_units):
    kind = journey_type(parallel=1, chain=0, slug="other", prefix="OTH", units={"parallel-1": "x"})
    elsewhere = submitted_journey(kind)
    response = two_units.caller.get(f"/api/v1/journeys/{elsewhere.public_id}/events/")
    assert response.status_code == 404
    assert elsewhere.reference not in response.content.decode()
