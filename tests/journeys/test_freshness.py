"""A page's validator expires at the first moment time alone could change the page
(journeys.freshness): never later than the change itself. Each moment is checked against what
the page computes just before it and just after."""

import datetime as dt
import re
from types import SimpleNamespace
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from casework.selectors import unit_queue_changes_at, unit_queue_counts
from coordination.dashboard import CoordinationFilters, Dashboard
from journeys import selectors, services
from journeys.freshness import LIST_FRESH_AT_MOST, since_changes_at, tracking_changes_at
from journeys.models import Handoff, Journey, Step
from journeys.projections import Cause, journey_at_risk_changes_at
from journeys.services.watching import may_request_decision
from tests.factories import (
    bulk_queued_steps,
    decide,
    deliver_all,
    make_caseworker,
    submitted_journey,
)
from tests.journey_types import journey_type
from units.calendars import next_midnight

pytestmark = pytest.mark.django_db

STOCKHOLM = ZoneInfo("Europe/Stockholm")
# Tuesday 8 December 2026, 10:00 in Stockholm: the steps reach their units then.
ARRIVED = dt.datetime(2026, 12, 8, 10, 0, tzinfo=STOCKHOLM)
SECOND = dt.timedelta(seconds=1)


@pytest.fixture
def journey(db):
    return submitted_journey(journey_type(parallel=2, chain=1, deadline_days=20), now=ARRIVED)


def first(journey) -> Step:
    return journey.steps.select_related("step_type", "unit").get(step_type__key="parallel-1")


def plan(journey, now):
    return selectors.journey_plan(Journey.objects.get(pk=journey.pk), now=now)


def row(journey, now, key="parallel-1"):
    return next(r for r in plan(journey, now).rows if r.step.step_type.key == key)


def test_next_midnight_is_the_local_days_start():
    late = dt.datetime(2026, 3, 28, 23, 59, tzinfo=STOCKHOLM)
    assert next_midnight(late) == dt.datetime(2026, 3, 29, 0, 0, tzinfo=STOCKHOLM)


def test_the_days_with_the_unit_count_on_a_whole_day_after_the_step_arrived(journey):
    # Wednesday 09:00: not yet a whole day; the count moves at 10:00, before midnight.
    now = ARRIVED + dt.timedelta(hours=23)
    moment = plan(journey, now).changes_at(now)
    assert moment == ARRIVED + dt.timedelta(days=1)
    assert row(journey, moment - SECOND).days_with_unit == 0
    assert row(journey, moment).days_with_unit == 1


def test_a_step_turns_late_at_its_due_date(journey):
    due = first(journey).due_at
    now = due - dt.timedelta(minutes=30)
    assert plan(journey, now).changes_at(now) == due
    assert row(journey, due - SECOND).projection.cause != Cause.LATE
    assert row(journey, due + SECOND).projection.cause == Cause.LATE


def test_a_date_moved_by_a_pause_on_calendar_days_moves_on_when_its_day_does(journey):
    worker = make_caseworker(first(journey).unit)
    held = services.step_claim(step=first(journey), by=worker, now=ARRIVED)
    paused_at = ARRIVED + dt.timedelta(hours=22)  # Wednesday 08:00
    services.information_request_create(
        step=held, by=worker, items=["A plan"], due_date=dt.date(2026, 12, 20), now=paused_at
    )
    # The due date (10:00) moves on with the clock: its day turns at 22:00, before midnight.
    now = paused_at + dt.timedelta(hours=2)
    moment = plan(journey, now).changes_at(now)
    assert moment == paused_at + dt.timedelta(hours=14)
    before, after = row(journey, moment - SECOND), row(journey, moment)
    assert timezone.localtime(after.expected_by).date() == (
        timezone.localtime(before.expected_by).date() + dt.timedelta(days=1)
    )
    assert now < moment < next_midnight(now)


def test_the_offer_to_ask_for_a_decision_appears_six_months_after_submission(db):
    journey = submitted_journey(journey_type(parallel=2, chain=1), now=ARRIVED, deliver=False)
    deliver_all(ARRIVED + dt.timedelta(hours=5))  # its days with the unit turn at 15:00
    step = first(journey)
    offered = ARRIVED + dt.timedelta(days=183)
    now = offered - dt.timedelta(hours=1)
    assert tracking_changes_at(step.journey, plan(journey, now), now=now) == offered
    assert not may_request_decision(step, offered - SECOND)
    assert may_request_decision(step, offered)


def test_a_closed_journey_changes_only_with_the_date(journey):
    decide(first(journey), "reject", now=ARRIVED + dt.timedelta(hours=1))
    deliver_all(ARRIVED + dt.timedelta(hours=1))  # the other steps cancelled
    journey.refresh_from_db()
    now = ARRIVED + dt.timedelta(hours=2)
    assert not journey.is_open
    assert tracking_changes_at(journey, plan(journey, now), now=now) == next_midnight(now)


def test_the_at_risk_flag_cannot_turn_before_the_time_left_to_the_norm_runs_out(db):
    journey = submitted_journey(
        journey_type(parallel=1, chain=0, deadline_days=20, service_norm_days=30), now=ARRIVED
    )
    now = ARRIVED + dt.timedelta(hours=1)
    projection = plan(journey, now).projection
    moment = journey_at_risk_changes_at(journey, projection, now=now)
    limit = journey.submitted_at + dt.timedelta(days=30)
    assert moment == now + (limit - projection.completion)
    assert moment > now


def tracking_fragment(client, journey, moment) -> str:
    """The tracking page's refresh as the view draws it at `moment`, validator left out."""
    clock = SimpleNamespace(now=lambda: moment, localdate=timezone.localdate)
    with mock.patch("citizens.views.timezone", clock):
        response = client.get(
            reverse("citizens:application_track", args=[journey.public_id]),
            headers={"HX-Request": "true"},
        )
    assert response.status_code == 200
    return re.sub(r' data-hx-headers="[^"]*"', "", response.content.decode())


def test_the_tracking_page_reads_the_same_until_its_moment_and_otherwise_after(client, journey):
    client.force_login(journey.applicant)
    now = ARRIVED + dt.timedelta(hours=23)
    moment = tracking_changes_at(journey, plan(journey, now), now=now)
    drawn = tracking_fragment(client, journey, now)
    assert tracking_fragment(client, journey, moment - SECOND) == drawn
    assert tracking_fragment(client, journey, moment) != drawn  # one day with the unit


# The lists


def test_a_queue_changes_when_a_case_becomes_overdue_or_due_within_seven_days(db):
    permit = journey_type(parallel=1, chain=0).steps.get()
    now = timezone.now()
    (soon,) = bulk_queued_steps(permit, 1, now=now, due_at=now + dt.timedelta(minutes=5))
    moment = unit_queue_changes_at(soon.unit, now=now)
    assert moment == soon.due_at
    counts = unit_queue_counts(soon.unit, user=None, now=moment - SECOND)
    assert counts["overdue"] == 0
    assert unit_queue_counts(soon.unit, user=None, now=moment + SECOND)["overdue"] == 1

    Step.objects.filter(pk=soon.pk).update(due_at=now + dt.timedelta(days=7, minutes=3))
    moment = unit_queue_changes_at(soon.unit, now=now)
    assert moment == now + dt.timedelta(minutes=3)
    assert unit_queue_counts(soon.unit, user=None, now=moment - SECOND)["due_soon"] == 0
    assert unit_queue_counts(soon.unit, user=None, now=moment + SECOND)["due_soon"] == 1


def test_a_quiet_queue_expires_at_midnight_or_after_ten_minutes(db):
    unit = journey_type(parallel=1, chain=0).steps.get().unit
    now = timezone.now()
    assert unit_queue_changes_at(unit, now=now) == min(next_midnight(now), now + LIST_FRESH_AT_MOST)


def test_the_dashboard_changes_when_a_journey_stalls(journey):
    quiet_since = Journey.objects.get(pk=journey.pk).last_event_at
    stalls = quiet_since + dt.timedelta(days=settings.STALLED_AFTER_DAYS)
    now = stalls - dt.timedelta(minutes=2)
    board = Dashboard(now=now, filters=CoordinationFilters())
    assert board.changes_at("overdue", []) == stalls
    assert not Journey.objects.stalled(now=stalls - SECOND).exists()
    assert Journey.objects.stalled(now=stalls + SECOND).exists()


def test_the_dashboard_changes_when_a_handoffs_grace_period_ends(journey):
    decide(first(journey), now=ARRIVED + dt.timedelta(hours=1))
    handoff = Handoff.objects.undelivered().get()  # to the chained step's unit
    grace_ends = handoff.created_at + dt.timedelta(seconds=settings.HANDOFF_GRACE_SECONDS)
    board = Dashboard(now=handoff.created_at + SECOND, filters=CoordinationFilters())
    assert board.changes_at("handoffs", []) == grace_ends
    assert not Handoff.objects.overdue_for_delivery(now=grace_ends - SECOND).exists()
    assert Handoff.objects.overdue_for_delivery(now=grace_ends + SECOND).exists()


def test_a_since_column_reads_otherwise_a_whole_minute_on():
    since = dt.datetime(2026, 12, 8, 10, 0, 30, tzinfo=STOCKHOLM)
    now = since + dt.timedelta(hours=2, seconds=10)
    assert since_changes_at([since, None], now=now) == since + dt.timedelta(hours=2, minutes=1)


def test_a_dashboard_filtered_by_age_expires_at_once(journey):
    now = timezone.now()
    board = Dashboard(now=now, filters=CoordinationFilters(min_age_days=30))
    assert board.changes_at("journeys", []) == now
