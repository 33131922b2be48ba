"""An inspector sends a case back to the survey it depends on. The survey had two successors:
the inspection (the case sent back) and the planning step, already in its own unit's queue. The
planning step is recalled to waiting by a handoff a real worker takes from the real broker,
exactly once; when the survey is approved again, both successors are handed on anew, once each."""

from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from journeys.definitions import journey_type_publish
from journeys.models import Handoff, JourneyEvent, Step
from tests.browser.conftest import log_in
from tests.factories import decide, deliver_all, make_caseworker, submitted_journey
from tests.journey_types import FIELDS, TRAIL_ANSWERS, make_test_units
from tests.workers import WorkerProcess, wait_for
from units.models import Unit


def _step(key: str, name: str, name_sv: str, unit: str, depends_on=()) -> dict:
    return {
        "key": key,
        "name": {"en": name, "sv": name_sv},
        "description": {"en": f"The {name.lower()}.", "sv": f"{name_sv}."},
        "needs": ["applicant_name"],
        "legal_basis": {"en": "Test Permits Act (2026:1)", "sv": "Lagen (2026:1) om testtillstånd"},
        "unit": unit,
        "deadline": {"days": 20},
        "depends_on": list(depends_on),
    }


def survey_with_two_successors():
    make_test_units("office-survey", "office-planning", "office-inspection")
    definition = {
        "slug": "survey-trail",
        "name": {"en": "Survey, then planning and inspection", "sv": "Besiktning och sedan två"},
        "summary": {"en": "A journey type made for tests.", "sv": "En ärendetyp för tester."},
        "reference_prefix": "SURV",
        "fields": FIELDS,
        "steps": [
            _step("survey", "Survey", "Besiktning", "office-survey"),
            _step("planning", "Planning", "Planering", "office-planning", ["survey"]),
            _step("inspection", "Inspection", "Inspektion", "office-inspection", ["survey"]),
        ],
    }
    return journey_type_publish(definition, source="tests (send back)")[0]


def events(step: Step, kind: str) -> int:
    return JourneyEvent.objects.filter(step=step, kind=kind).count()


def test_a_send_back_recalls_the_queued_successor_through_a_real_worker(
    page, live_server, celery_broker, assert_accessible, tmp_path
):
    journey_type = survey_with_two_successors()
    answers = {f["key"]: TRAIL_ANSWERS[f["key"]] for f in FIELDS if f["key"] in TRAIL_ANSWERS}
    journey = submitted_journey(journey_type, answers=answers)
    steps = {s.step_type.key: s for s in journey.steps.select_related("step_type", "unit")}
    decide(steps["survey"], now=timezone.now())
    deliver_all()  # both successors received in-process
    celery_broker.flush()  # ... so only what the send-back publishes is in the broker
    planning, inspection = steps["planning"], steps["inspection"]
    planning.refresh_from_db()
    assert planning.status == Step.Status.QUEUED
    make_caseworker(inspection.unit, username="inspector")

    log_in(page, "inspector")
    page.goto(live_server.url + reverse("casework:case", args=[inspection.pk]))
    page.get_by_role("button", name="Take this case").click()
    assert_accessible(page, "case, with the send-back form")
    page.get_by_label("Survey", exact=False).first.check()
    page.get_by_label("What must be done first").fill("The survey must measure the cellar too.")
    page.get_by_role("button", name="Send back").click()
    expect(page.get_by_text("The case is sent back.")).to_be_visible()

    recall = Handoff.objects.get(step=planning, kind=Handoff.Kind.RECALL)
    assert recall.delivered_at is None  # in the broker, for Planning's worker to take
    planning.refresh_from_db()
    assert planning.status == Step.Status.QUEUED

    queues = ["portal", *(unit.queue_name for unit in Unit.objects.all())]
    worker = WorkerProcess(queues, tmp_path / "worker.log").start()
    try:
        wait_for(
            lambda: Step.objects.get(pk=planning.pk).status == Step.Status.WAITING,
            30,
            "the planning step recalled by the worker",
            worker,
        )
        survey = Step.objects.get(pk=steps["survey"].pk)
        assert survey.status == Step.Status.QUEUED
        # Approved again: both successors are handed on through the worker.
        decide(survey, now=timezone.now())
        wait_for(
            lambda: (
                Step.objects.filter(
                    pk__in=[planning.pk, inspection.pk], status=Step.Status.QUEUED
                ).count()
                == 2
            ),
            30,
            "both successors received again",
            worker,
        )
    finally:
        worker.stop()
    recall.refresh_from_db()
    assert recall.delivered_at is not None
    assert events(planning, JourneyEvent.Kind.STEP_RECALLED) == 1
    # Received twice each (before and after the send-back), never more.
    assert events(planning, JourneyEvent.Kind.STEP_QUEUED) == 2
    assert events(inspection, JourneyEvent.Kind.STEP_QUEUED) == 2
    activations = Handoff.objects.filter(step=planning, kind=Handoff.Kind.ACTIVATE)
    assert activations.filter(delivered_at__isnull=False).count() == 2
