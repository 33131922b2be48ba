"""A caseworker approves the building permit, then reopens the decision before the handoff to
the food-business registration has reached Environment & Health: a real worker takes the message
from the real broker afterwards, and it changes nothing. Approved again, the registration is
handed on once. The applicant is told."""

from django.urls import reverse
from playwright.sync_api import expect

from journeys.models import ApplicantMessage, Handoff, JourneyEvent, Step
from tests.browser.conftest import log_in
from tests.factories import CAFE_ANSWERS, make_caseworker, make_units, submitted_journey
from tests.workers import WorkerProcess, wait_for
from units.models import Unit


def test_reopening_a_decision_cancels_the_handoff_still_in_the_broker(
    page, live_server, celery_broker, cafe, assert_accessible, tmp_path
):
    make_units()
    quiet = {**CAFE_ANSWERS, "outdoor_seating": False, "uses_lpg": False, "serves_alcohol": False}
    journey = submitted_journey(cafe, answers=quiet)  # its steps received in-process
    celery_broker.flush()  # ... so the submission's own messages are dropped
    permit = journey.steps.get(step_type__key="building-permit")
    food = journey.steps.get(step_type__key="food-registration")
    make_caseworker(permit.unit, username="planner")
    make_caseworker(food.unit, username="inspector")

    log_in(page, "planner")
    page.goto(live_server.url + reverse("casework:case", args=[permit.pk]))
    page.get_by_role("button", name="Take this case").click()
    page.get_by_label("Approve").check()
    page.get_by_label("Reasons for the decision").fill("The change of use fits the plan.")
    page.get_by_role("button", name="Record the decision").click()
    expect(page.get_by_text("Decision recorded.")).to_be_visible()
    handoff = Handoff.objects.get(step=food, kind=Handoff.Kind.ACTIVATE)
    wait_for(
        lambda: celery_broker.queue_length(food.unit.queue_name) == 1, 10, "the handoff published"
    )

    # Reopened while the message waits in Environment & Health's queue.
    assert_accessible(page, "case, decided, with the reopen form")
    page.get_by_role("button", name="Reopen").click()  # without a reason: explained
    expect(page.get_by_role("link", name="Enter why the decision is reopened")).to_be_visible()
    page.get_by_label("Why the decision is reopened").fill("The drawing was the wrong one.")
    page.get_by_role("button", name="Reopen").click()
    expect(page.get_by_text("The decision is reopened.")).to_be_visible()
    handoff.refresh_from_db()
    assert handoff.superseded_at is not None
    assert celery_broker.queue_length(food.unit.queue_name) == 1  # still there

    # A real worker now takes it: it runs and changes nothing.
    queues = ["portal", *(unit.queue_name for unit in Unit.objects.all())]
    worker = WorkerProcess(queues, tmp_path / "worker.log").start()
    try:
        wait_for(
            lambda: (
                celery_broker.queue_length(food.unit.queue_name) == 0
                and "handoff_deliver" in worker.output()
                and "succeeded" in worker.output()
            ),
            30,
            "the superseded handoff taken and run",
            worker,
        )
        food.refresh_from_db()
        handoff.refresh_from_db()
        assert food.status == Step.Status.WAITING and handoff.delivered_at is None
        assert not JourneyEvent.objects.filter(step=food, kind="step_queued").exists()
        message = ApplicantMessage.objects.filter(journey=journey).first()
        assert message.subject.startswith("Reopened") and "wrong one" in message.body

        # Decided again: handed on through the worker, once.
        page.get_by_label("Approve").check()
        page.get_by_label("Reasons for the decision").fill("The right drawing fits the plan.")
        page.get_by_role("button", name="Record the decision").click()
        expect(page.get_by_text("Decision recorded.")).to_be_visible()
        wait_for(
            lambda: Step.objects.get(pk=food.pk).status == Step.Status.QUEUED,
            30,
            "the registration received by Environment & Health",
            worker,
        )
    finally:
        worker.stop()
    assert JourneyEvent.objects.filter(step=food, kind="step_queued").count() == 1
    rows = Handoff.objects.filter(step=food, kind=Handoff.Kind.ACTIVATE)
    assert rows.count() == 2 and rows.filter(delivered_at__isnull=False).count() == 1

    # The inspector, now holding the case, sends it back: the permit is in Urban Planning's
    # queue again, and the registration waits for it.
    page.context.clear_cookies()
    log_in(page, "inspector")
    page.goto(live_server.url + reverse("casework:case", args=[food.pk]))
    page.get_by_role("button", name="Take this case").click()
    assert_accessible(page, "case, with the send-back and transfer forms")
    page.get_by_label("Building permit", exact=False).first.check()
    page.get_by_label("What must be done first").fill("The building permit must be amended first.")
    page.get_by_role("button", name="Send back").click()
    expect(page.get_by_text("The case is sent back.")).to_be_visible()
    permit.refresh_from_db()
    food.refresh_from_db()
    assert permit.status == Step.Status.QUEUED and food.status == Step.Status.WAITING
