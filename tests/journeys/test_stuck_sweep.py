"""The sweep flags exactly the stuck journeys among many healthy ones, and only once."""

import datetime as dt

from django.core.management import call_command
from django.utils import timezone

from journeys import services
from journeys.models import Journey, Step
from tests.factories import bulk_queued_steps
from tests.journey_types import journey_type


def test_500_healthy_and_50_stuck_journeys_exactly_the_50_are_flagged(db, capsys):
    now = timezone.now()
    permit = journey_type().steps.get(key="parallel-1")
    in_a_month = now + dt.timedelta(days=30)
    healthy = bulk_queued_steps(permit, 500, now=now - dt.timedelta(days=1), due_at=in_a_month)
    stalled = bulk_queued_steps(permit, 25, now=now - dt.timedelta(days=20), due_at=in_a_month)
    overdue = bulk_queued_steps(permit, 25, now=now - dt.timedelta(hours=1))
    Step.objects.filter(pk__in=[s.pk for s in overdue]).update(due_at=now - dt.timedelta(hours=1))

    first = services.stuck_sweep(now=now)
    assert first == {"stalled": 25, "unstalled": 0, "overdue": 25, "not_overdue": 0}
    flagged_journeys = set(Journey.objects.filter(stalled_since=now).values_list("pk", flat=True))
    flagged_steps = set(Step.objects.filter(overdue_flagged_at=now).values_list("pk", flat=True))
    assert flagged_journeys == {s.journey_id for s in stalled}
    assert flagged_steps == {s.pk for s in overdue}
    healthy_ids = {s.pk for s in healthy}
    assert not healthy_ids & flagged_steps
    assert not {s.journey_id for s in healthy} & flagged_journeys

    later = now + dt.timedelta(minutes=15)
    assert services.stuck_sweep(now=later) == {
        "stalled": 0,
        "unstalled": 0,
        "overdue": 0,
        "not_overdue": 0,
    }
    assert Journey.objects.filter(stalled_since=now).count() == 25  # flags kept their time
    call_command("stuck_sweep")
    assert "'stalled': 0" in capsys.readouterr().out


def test_a_flag_is_cleared_when_the_journey_moves_again(db):
    now = timezone.now()
    permit = journey_type().steps.get(key="parallel-1")
    (step,) = bulk_queued_steps(
        permit, 1, now=now - dt.timedelta(days=20), due_at=now + dt.timedelta(days=9)
    )
    services.stuck_sweep(now=now)
    Journey.objects.filter(pk=step.journey_id).update(last_event_at=now)
    assert services.stuck_sweep(now=now)["unstalled"] == 1
    assert Journey.objects.get(pk=step.journey_id).stalled_since is None
