"""A unit's system takes a step and decides it through the API, guarded by the step's ETag."""

from journeys.models import Step
from tests.factories import submitted_journey
from tests.journey_types import journey_type, unit_for
from units.models import Unit


def _setup(api_caller):
    kind = journey_type(parallel=1, chain=1)
    journey = submitted_journey(kind)
    caller = api_caller(Unit.objects.get(slug=unit_for("parallel-1")))
    step = journey.steps.get(step_type__key="parallel-1")
    return journey, caller, step


def test_take_then_decide_hands_the_journey_on(db, api_caller):
    journey, caller, step = _setup(api_caller)
    taken = caller.post(f"/api/v1/steps/{step.pk}/take/")
    assert taken.status_code == 200
    assert taken.json()["status"] == "in_progress"
    # The unit's system files the case under the number its register gave on arrival.
    assert taken.json()["registration_number"] == step.registration_number != ""

    decided = caller.post(
        f"/api/v1/steps/{step.pk}/decision/",
        {"outcome": "approve", "reasons": "All in order."},
        headers={"If-Match": taken["ETag"]},
    )
    assert decided.status_code == 200, decided.content
    step.refresh_from_db()
    assert step.status == Step.Status.APPROVED
    assert step.reasons == "All in order."
    successor = journey.steps.get(step_type__key="chain-1")
    assert successor.handoffs.exists()


def test_a_stale_etag_changes_nothing(db, api_caller):
    journey, caller, step = _setup(api_caller)
    caller.post(f"/api/v1/steps/{step.pk}/take/")
    response = caller.post(
        f"/api/v1/steps/{step.pk}/decision/",
        {"outcome": "approve", "reasons": "All in order."},
        headers={"If-Match": '"0"'},
    )
    assert response.status_code == 412
    assert response.json()["type"] == "urn:portal:problem:version-mismatch"
    step.refresh_from_db()
    assert step.status == Step.Status.IN_PROGRESS


def test_a_decision_without_if_match_is_refused(db, api_caller):
    journey, caller, step = _setup(api_caller)
    caller.post(f"/api/v1/steps/{step.pk}/take/")
    response = caller.post(
        f"/api/v1/steps/{step.pk}/decision/", {"outcome": "approve", "reasons": "Fine."}
    )
    assert response.status_code == 428


def test_a_rejection_without_appeal_instructions_is_a_problem_in_swedish(db, api_caller):
    journey, caller, step = _setup(api_caller)
    taken = caller.post(f"/api/v1/steps/{step.pk}/take/")
    response = caller.post(
        f"/api/v1/steps/{step.pk}/decision/",
        {"outcome": "reject", "reasons": "No.", "colour": "red"},
        headers={"If-Match": taken["ETag"], "Accept-Language": "sv"},
    )
    assert response.status_code == 400
    problem = response.json()
    assert {e["pointer"] for e in problem["errors"]} == {"/colour"}
    response = caller.post(
        f"/api/v1/steps/{step.pk}/decision/",
        {"outcome": "reject", "reasons": "No."},
        headers={"If-Match": taken["ETag"], "Accept-Language": "sv"},
    )
    problem = response.json()
    assert {e["pointer"] for e in problem["errors"]} == {
        "/appeal_instructions",
        "/communication_note",
    }
    assert problem["title"] == "Begäran har ogiltiga fält"
