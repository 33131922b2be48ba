"""Read-side queries for pages: a constant number of queries whatever the data size."""

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _

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


QUEUE_FILTERS = {
    "all": _("All"),
    "new": _("New"),
    "in_progress": _("In progress"),
    "mine": _("Mine"),
    "waiting": _("Waiting for the applicant"),
    "overdue": _("Overdue"),
    "due_soon": _("Due within 7 days"),
}


def _queue_conditions(*, user, now: dt.datetime) -> dict[str, Q]:
    return {
        "all": Q(),
        "new": Q(status=Step.Status.QUEUED),
        "in_progress": Q(status=Step.Status.IN_PROGRESS),
        "mine": Q(assignee=user),
        "waiting": Q(status=Step.Status.WAITING_FOR_APPLICANT),
        "overdue": Q(due_at__lt=now),
        "due_soon": Q(due_at__gte=now, due_at__lt=now + dt.timedelta(days=7)),
    }


def unit_queue(unit: Unit, *, user=None, now: dt.datetime | None = None, filter: str = "all"):
    """The unit's received, in-progress and waiting steps, earliest due first."""
    steps = Step.objects.for_unit(unit).in_queue()
    if filter != "all":
        steps = steps.filter(_queue_conditions(user=user, now=now)[filter])
    return steps.select_related("journey__journey_type", "step_type", "assignee").queue_order()


def unit_queue_counts(unit: Unit, *, user, now: dt.datetime) -> dict[str, int]:
    """How many cases each queue filter shows, in one query."""
    conditions = _queue_conditions(user=user, now=now)
    return (
        Step.objects.for_unit(unit)
        .in_queue()
        .aggregate(
            **{name: Count("pk", filter=condition) for name, condition in conditions.items()}
        )
    )


def unit_workload(unit: Unit, *, now: dt.datetime):
    """The unit's members with their open and overdue cases, for the unit lead."""
    mine = Q(assigned_steps__unit=unit, assigned_steps__status__in=Step.ACTIVE_STATUSES)
    return (
        get_user_model()
        .objects.filter(memberships__unit=unit)
        .annotate(
            open_cases=Count("assigned_steps", filter=mine),
            overdue_cases=Count("assigned_steps", filter=mine & Q(assigned_steps__due_at__lt=now)),
        )
        .order_by("username")
    )


def coordination_journeys(*, now: dt.datetime):
    return (
        Journey.objects.open()
        .select_related("journey_type")
        .with_coordination_flags(now=now)
        .coordination_order()
    )


def journey_information_requests(journey: Journey):
    from journeys.models import InformationRequest

    return list(
        InformationRequest.objects.filter(step__journey=journey)
        .select_related("step__step_type", "step__unit", "requested_by")
        .order_by("-requested_at")
    )
