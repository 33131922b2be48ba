"""Read-side queries for pages: a constant number of queries whatever the data size."""

import datetime as dt
from dataclasses import dataclass

from django.shortcuts import get_object_or_404

from journeys.models import Journey, JourneyEvent, Step
from units.models import Unit


@dataclass(frozen=True)
class StepRow:
    """A step as a page shows it, with the names of the steps it still waits for."""

    step: Step
    blocked_by: list[str]


def journey_steps(journey: Journey) -> list[StepRow]:
    steps = list(
        journey.steps.select_related("step_type", "unit", "assignee").prefetch_related(
            "step_type__depends_on"
        )
    )
    by_type = {s.step_type_id: s for s in steps}
    rows = []
    for step in steps:
        blockers = []
        if step.status == Step.Status.WAITING:
            blockers = [
                dep.name
                for dep in step.step_type.depends_on.all()
                if dep.pk in by_type and by_type[dep.pk].status != Step.Status.APPROVED
            ]
        rows.append(StepRow(step=step, blocked_by=blockers))
    return rows


def journey_timeline(journey: Journey, *, for_applicant: bool) -> list[JourneyEvent]:
    events = journey.events.select_related("step__step_type", "step__unit", "actor")
    if for_applicant:
        events = events.filter(visible_to_applicant=True)
    return list(events.order_by("-created_at", "-pk"))


def journey_for_page(queryset, **lookup) -> Journey:
    return get_object_or_404(queryset.select_related("journey_type", "applicant"), **lookup)


def unit_queue(unit: Unit):
    """The unit's received, in-progress and waiting steps, earliest due first."""
    return (
        Step.objects.for_unit(unit)
        .in_queue()
        .select_related("journey__journey_type", "step_type", "assignee")
        .queue_order()
    )


def coordination_journeys(*, now: dt.datetime):
    return (
        Journey.objects.open()
        .select_related("journey_type")
        .with_coordination_flags(now=now)
        .coordination_order()
    )
