"""Projected dates (journeys.projections) on a journey with parallel branches and a join, in
working days across the Christmas holidays, as the services leave the steps."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from journeys import services
from journeys.graph import step_dependencies
from journeys.models import Step
from journeys.projections import Cause, journey_at_risk, journey_project
from tests.factories import decide, deliver_all, make_caseworker, submitted_journey
from tests.journey_types import journey_type

pytestmark = pytest.mark.django_db

# Monday 14 December 2026, 09:00 in Stockholm: five working days later is Monday 21 December;
# then Christmas Eve (de facto), Christmas Day, Boxing Day, New Year's Eve and Day, Epiphany.
MONDAY = dt.datetime(2026, 12, 14, 9, 0, tzinfo=ZoneInfo("Europe/Stockholm"))


def _trail(**extra):
    # parallel-1 -> chain-1 -> join; parallel-2 -> join
    return journey_type(parallel=2, chain=1, join=True, deadline_days=5, working_days=True, **extra)


def _projection(journey, now):
    steps = list(journey.steps.select_related("step_type", "unit"))
    return journey_project(steps, step_dependencies(journey.journey_type_id), now=now), {
        s.step_type.key: s for s in steps
    }


def _day(moment) -> dt.date:
    return timezone.localtime(moment).date()


def test_waiting_steps_follow_the_graph_in_working_days_across_holidays():
    journey = submitted_journey(_trail(), now=MONDAY)
    projection, steps = _projection(journey, MONDAY)
    # The parallel steps: due five working days after Monday 14th: Monday 21st.
    assert _day(projection.of(steps["parallel-1"]).decision) == dt.date(2026, 12, 21)
    assert _day(projection.of(steps["parallel-2"]).decision) == dt.date(2026, 12, 21)
    # chain-1 starts on the 21st; 22, 23, (24-27 holidays and weekend), 28, 29, 30: 30 Dec.
    assert _day(projection.of(steps["chain-1"]).start) == dt.date(2026, 12, 21)
    assert _day(projection.of(steps["chain-1"]).decision) == dt.date(2026, 12, 30)
    # join waits for the later branch (chain-1): 31 Dec and 1 Jan and 6 Jan are holidays:
    # 4, 5, 7, 8, 11 January.
    assert _day(projection.of(steps["join"]).start) == dt.date(2026, 12, 30)
    assert _day(projection.of(steps["join"]).decision) == dt.date(2027, 1, 11)
    assert _day(projection.completion) == dt.date(2027, 1, 11)
    assert [s.step_type.key for s in projection.critical_path] == ["parallel-1", "chain-1", "join"]
    # What submission foresaw is kept, the same dates.
    journey.refresh_from_db()
    assert _day(journey.projected_completion_at_submission) == dt.date(2027, 1, 11)
    assert _day(steps["join"].projected_decision_at_submission) == dt.date(2027, 1, 11)


def test_a_step_decided_early_pulls_its_successors_in():
    journey = submitted_journey(_trail(), now=MONDAY)
    tuesday = MONDAY + dt.timedelta(days=1)
    decide(journey.steps.get(step_type__key="parallel-1"), now=tuesday)
    deliver_all(tuesday)
    projection, steps = _projection(journey, tuesday)
    chain = projection.of(steps["chain-1"])
    # chain-1 received on Tuesday 15th: due five working days later, Tuesday 22nd.
    assert _day(chain.decision) == dt.date(2026, 12, 22)
    join = projection.of(steps["join"])
    # join after the 22nd: 23, 28, 29, 30, 4 January.
    assert _day(join.decision) == dt.date(2027, 1, 4)
    assert join.moved(steps["join"].projected_decision_at_submission) < 0
    assert join.cause == Cause.EARLY and join.cause_step.step_type.key == "parallel-1"


def test_a_clock_stop_pushes_the_steps_after_it_out():
    journey = submitted_journey(_trail(), now=MONDAY)
    step = journey.steps.get(step_type__key="parallel-1")
    caseworker = make_caseworker(step.unit)
    step = services.step_claim(step=step, by=caseworker, now=MONDAY)
    services.information_request_create(
        step=step,
        by=caseworker,
        items=["The floor plan"],
        due_date=dt.date(2026, 12, 31),
        now=MONDAY,
        blocks=[step],  # only the asking step: the other parallel branch runs on
    )
    thursday = MONDAY + dt.timedelta(days=3)
    projection, steps = _projection(journey, thursday)
    # Paused three working days so far: due 21st moves to 24th -> 28th (24-27 are not working).
    paused = projection.of(steps["parallel-1"])
    assert paused.cause == Cause.PAUSED
    assert _day(paused.decision) == dt.date(2026, 12, 28)
    join = projection.of(steps["join"])
    assert join.moved(steps["join"].projected_decision_at_submission) > 0
    assert join.cause == Cause.PAUSED and join.cause_step.pk == step.pk
    # The parallel branch the request does not block keeps its date.
    assert (
        projection.of(steps["parallel-2"]).moved(
            steps["parallel-2"].projected_decision_at_submission
        )
        == 0
    )


def test_an_overdue_step_is_expected_today_and_the_rest_after_it():
    journey = submitted_journey(_trail(), now=MONDAY)
    later = MONDAY + dt.timedelta(days=14)  # 28 December, parallel steps a week overdue
    projection, steps = _projection(journey, later)
    assert projection.of(steps["parallel-2"]).decision == later
    assert projection.of(steps["parallel-2"]).cause == Cause.LATE
    assert _day(projection.of(steps["join"]).start) >= _day(later)


def test_a_journey_projected_past_its_service_norm_is_at_risk_before_it_is_overdue():
    journey = submitted_journey(_trail(service_norm_days=40), now=MONDAY)
    projection, _ = _projection(journey, MONDAY)
    assert not journey_at_risk(journey, projection)  # 28 days expected
    later = MONDAY + dt.timedelta(days=30)  # nothing decided: everything slips
    projection, _ = _projection(journey, later)
    assert journey_at_risk(journey, projection)
    assert later < journey.submitted_at + dt.timedelta(days=40)  # not past the norm yet


def test_cancelled_steps_have_no_projection():
    journey = submitted_journey(_trail(), now=MONDAY)
    step = journey.steps.get(step_type__key="parallel-2")
    decide(step, "reject", now=MONDAY)
    projection, steps = _projection(journey, MONDAY)
    for key, step in steps.items():
        if step.status == Step.Status.CANCELLED:
            assert projection.of(step) is None, key
