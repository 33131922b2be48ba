"""An information request stops the clock of every step it blocks, across units: by default every
active step that needs the same fields; they resume together, each due date moved by its own
unit's working-day calendar."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from journeys import services
from journeys.models import Handoff, Journey, JourneyEvent, Step
from tests.factories import deliver_all, make_caseworker, submitted_journey
from tests.journey_types import journey_type

# A Monday morning, so the working days counted below are easy to check by hand.
MONDAY = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def journey(db):
    journey = submitted_journey(
        journey_type(parallel=3, chain=1, deadline_days=20, working_days=True), now=MONDAY
    )
    # The third parallel step's unit works Monday to Thursday: its calendar differs.
    third = journey.steps.get(step_type__key="parallel-3").unit
    third.working_weekdays = "1234"
    third.save(update_fields=["working_weekdays"])
    return journey


def claimed(journey, key, now=MONDAY):
    step = journey.steps.get(step_type__key=key)
    worker = make_caseworker(step.unit)
    return services.step_claim(step=step, by=worker, now=now), worker


def ask(step, worker, now, blocks=None):
    return services.information_request_create(
        step=step,
        by=worker,
        items=["The signed lease"],
        due_date=(now + dt.timedelta(days=14)).date(),
        now=now,
        blocks=blocks,
    )


def test_by_default_every_active_step_that_needs_the_same_fields_pauses(journey):
    step, worker = claimed(journey, "parallel-1")
    blockable = services.blockable_steps(step)
    default = services.default_blocked(step, blockable)
    # The parallel steps all need the contact e-mail; the chained one waits, so is not active.
    assert {s.step_type.key for s in blockable} == {"parallel-1", "parallel-2", "parallel-3"}
    assert {s.step_type.key for s in default} == {"parallel-1", "parallel-2", "parallel-3"}

    request = ask(step, worker, MONDAY + dt.timedelta(days=1))

    assert set(request.blocks.values_list("step_type__key", flat=True)) == {
        "parallel-1",
        "parallel-2",
        "parallel-3",
    }
    statuses = dict(journey.steps.values_list("step_type__key", "status"))
    assert statuses == {
        "parallel-1": Step.Status.WAITING_FOR_APPLICANT,
        "parallel-2": Step.Status.WAITING_FOR_APPLICANT,
        "parallel-3": Step.Status.WAITING_FOR_APPLICANT,
        "chain-1": Step.Status.WAITING,
    }
    paused = journey.events.filter(kind=JourneyEvent.Kind.STEP_PAUSED)
    assert set(paused.values_list("step__step_type__key", flat=True)) == {
        "parallel-2",
        "parallel-3",
    }


def test_the_caseworker_may_pause_only_the_asking_step(journey):
    step, worker = claimed(journey, "parallel-1")
    ask(step, worker, MONDAY, blocks=[])
    statuses = dict(journey.steps.values_list("step_type__key", "status"))
    assert statuses["parallel-1"] == Step.Status.WAITING_FOR_APPLICANT
    assert statuses["parallel-2"] == statuses["parallel-3"] == Step.Status.QUEUED


def test_all_resume_together_each_due_date_moved_by_its_own_calendar(journey):
    step, worker = claimed(journey, "parallel-1")
    before = {s.step_type.key: s.due_at for s in journey.steps.select_related("step_type")}
    asked = MONDAY + dt.timedelta(days=1)  # Tuesday
    request = ask(step, worker, asked)
    answered = asked + dt.timedelta(days=7)  # the next Tuesday
    services.information_request_answer(
        request=request, by=journey.applicant, answer="Attached.", now=answered
    )
    resumes = Handoff.objects.filter(information_request=request, kind=Handoff.Kind.RESUME)
    assert resumes.count() == 3
    assert set(resumes.values_list("unit__slug", flat=True)) == {
        "office-parallel-1",
        "office-parallel-2",
        "office-parallel-3",
    }
    deliver_all(answered)

    steps = {s.step_type.key: s for s in journey.steps.select_related("unit", "step_type")}
    # Back to whoever held it: the claimed step to its caseworker, the others to the queue.
    assert steps["parallel-1"].status == Step.Status.IN_PROGRESS
    assert steps["parallel-2"].status == steps["parallel-3"].status == Step.Status.QUEUED
    for key in ("parallel-1", "parallel-2", "parallel-3"):
        unit = steps[key].unit
        expected = unit.due_after_pause(before[key], asked, answered, working_days=True)
        assert steps[key].due_at == expected, key
        assert steps[key].paused_days == 7
    # Five working days for a Monday-to-Friday unit, four for the Monday-to-Thursday one.
    assert steps["parallel-2"].due_at > before["parallel-2"]
    assert steps["parallel-1"].due_at - before["parallel-1"] != (
        steps["parallel-3"].due_at - before["parallel-3"]
    )
    journey.refresh_from_db()
    assert journey.status == Journey.Status.IN_PROGRESS


def test_a_step_two_requests_pause_resumes_with_the_second_answer(journey):
    first, first_worker = claimed(journey, "parallel-1")
    second, second_worker = claimed(journey, "parallel-2")
    one = ask(first, first_worker, MONDAY, blocks=[second])
    # parallel-2 is paused already, so its own caseworker cannot ask; it is paused by both
    # once the third unit's request names it too.
    third, third_worker = claimed(journey, "parallel-3")
    two = ask(third, third_worker, MONDAY, blocks=[second])
    assert set(two.blocks.values_list("step_type__key", flat=True)) == {"parallel-2", "parallel-3"}

    services.information_request_answer(
        request=one, by=journey.applicant, answer="A.", now=MONDAY + dt.timedelta(days=1)
    )
    deliver_all(MONDAY + dt.timedelta(days=1))
    assert journey.steps.get(pk=second.pk).status == Step.Status.WAITING_FOR_APPLICANT
    assert journey.steps.get(pk=first.pk).status == Step.Status.IN_PROGRESS

    services.information_request_answer(
        request=two, by=journey.applicant, answer="B.", now=MONDAY + dt.timedelta(days=2)
    )
    deliver_all(MONDAY + dt.timedelta(days=2))
    assert journey.steps.get(pk=second.pk).status == Step.Status.IN_PROGRESS
    # Each answer resumed each step at most once: the database says so.
    assert Handoff.objects.filter(step=second, kind=Handoff.Kind.RESUME).count() == 2
    resumed = JourneyEvent.objects.filter(step=second, kind=JourneyEvent.Kind.STEP_RESUMED)
    assert resumed.count() == 1


def test_the_citizen_sees_every_paused_step(client, journey):
    step, worker = claimed(journey, "parallel-1")
    ask(step, worker, MONDAY)
    client.force_login(journey.applicant)
    html = client.get(reverse("citizens:application_track", args=[journey.public_id])).content
    html = html.decode()
    assert "This request pauses" in html
    for key in ("parallel-1", "parallel-2", "parallel-3"):
        name = journey.steps.get(step_type__key=key).step_type.display_name
        assert name in html


def test_the_caseworker_ticks_which_steps_to_pause(client, journey):
    step, worker = claimed(journey, "parallel-1")
    client.force_login(worker)
    url = reverse("casework:case", args=[step.pk])
    html = client.get(url).content.decode()
    others = {s.step_type.key: s for s in journey.steps.select_related("step_type")}
    for key in ("parallel-1", "parallel-2", "parallel-3"):
        assert re.search(rf'value="{others[key].pk}"[^>]* checked', html), key

    response = client.post(
        reverse("casework:request_information", args=[step.pk]),
        {
            "version": step.version,
            "items": "The signed lease",
            "due_date": (timezone.localdate() + dt.timedelta(days=10)).isoformat(),
            "blocks": [others["parallel-2"].pk],
        },
    )
    assert response.status_code == 302
    statuses = dict(journey.steps.values_list("step_type__key", "status"))
    assert statuses["parallel-2"] == Step.Status.WAITING_FOR_APPLICANT
    assert statuses["parallel-3"] == Step.Status.QUEUED
