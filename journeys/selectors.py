"""Read-side queries for pages: a constant number of queries whatever the data size."""

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, OuterRef, Q
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from journeys.models import Journey, JourneyEvent, Step
from journeys.querysets import stalled_condition
from units.models import Unit


@dataclass(frozen=True)
class StepRow:
    """A step as a page shows it: the steps it still waits for, and how long its unit has had
    it (days in the unit's hands, not counting time waiting for the applicant)."""

    step: Step
    blocked_by: list[str]
    days_with_unit: int | None = None


def _days_with_unit(step: Step, now: dt.datetime | None) -> int | None:
    if now is None or step.activated_at is None or step.status not in Step.ACTIVE_STATUSES:
        return None
    held = now - step.activated_at
    if step.paused_at:
        held -= now - step.paused_at
    return max(held.days - step.paused_days, 0)


def journey_steps(journey: Journey, *, now: dt.datetime | None = None) -> list[StepRow]:
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
                dep.display_name
                for dep in step.step_type.depends_on.all()
                if dep.pk in by_type and by_type[dep.pk].status != Step.Status.APPROVED
            ]
        rows.append(
            StepRow(step=step, blocked_by=blockers, days_with_unit=_days_with_unit(step, now))
        )
    return rows


def journey_type_stages(journey_type) -> list[list]:
    """The journey type's steps in stages: each stage's steps run at the same time, and start
    when the stages before them are approved (the dependency graph's levels)."""
    step_types = list(journey_type.steps.select_related("unit").prefetch_related("depends_on"))
    level: dict[int, int] = {}
    remaining = list(step_types)
    while remaining:
        for step_type in list(remaining):
            deps = [d.pk for d in step_type.depends_on.all()]
            if all(d in level for d in deps):
                level[step_type.pk] = 1 + max((level[d] for d in deps), default=-1)
                remaining.remove(step_type)
    stages: list[list] = [[] for _ in range(max(level.values(), default=-1) + 1)]
    for step_type in step_types:
        stages[level[step_type.pk]].append(step_type)
    return stages


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


# Coordination ---------------------------------------------------------------------------------

COORDINATION_VIEWS = {
    "journeys": _("Journeys in progress"),
    "overdue": _("Overdue steps"),
    "stalled": _("Stalled journeys"),
    "handoffs": _("Failed handoffs"),
    "unanswered": _("Unanswered requests"),
    "decision_requests": _("Requests for a decision"),
    "failed_tasks": _("Failed tasks"),
}


@dataclass(frozen=True)
class CoordinationFilters:
    unit: str = ""
    journey_type: str = ""
    min_age_days: int = 0

    def journeys(self, journeys, *, now: dt.datetime):
        if self.journey_type:
            journeys = journeys.filter(journey_type__slug=self.journey_type)
        if self.unit:
            journeys = journeys.filter(
                Exists(
                    Step.objects.filter(
                        journey=OuterRef("pk"),
                        unit__slug=self.unit,
                        status__in=Step.ACTIVE_STATUSES,
                    )
                )
            )
        if self.min_age_days:
            journeys = journeys.filter(submitted_at__lte=now - dt.timedelta(days=self.min_age_days))
        return journeys

    def steps(self, steps, *, now: dt.datetime, prefix: str = ""):
        if self.journey_type:
            steps = steps.filter(**{f"{prefix}journey__journey_type__slug": self.journey_type})
        if self.unit:
            steps = steps.filter(**{f"{prefix}unit__slug": self.unit})
        if self.min_age_days:
            steps = steps.filter(
                **{f"{prefix}activated_at__lte": now - dt.timedelta(days=self.min_age_days)}
            )
        return steps


def coordination_rows(view: str, *, now: dt.datetime, filters: CoordinationFilters):
    """The rows of one dashboard view, filtered; each names the journey, the unit holding it
    and since when."""
    from journeys.models import DecisionRequest, Handoff, InformationRequest

    if view == "overdue":
        return filters.steps(
            Step.objects.overdue(now=now)
            .select_related("journey__journey_type", "step_type", "unit", "assignee")
            .order_by("due_at", "pk"),
            now=now,
        )
    if view == "handoffs":
        return filters.steps(
            Handoff.objects.overdue_for_delivery(now=now)
            .select_related("step__journey__journey_type", "step__step_type", "unit")
            .order_by("created_at", "pk"),
            now=now,
            prefix="step__",
        )
    if view == "unanswered":
        return filters.steps(
            InformationRequest.objects.filter(
                answered_at__isnull=True, due_date__lt=timezone.localdate(now)
            )
            .select_related("step__journey__journey_type", "step__step_type", "step__unit")
            .order_by("due_date", "pk"),
            now=now,
            prefix="step__",
        )
    if view == "decision_requests":
        return filters.steps(
            DecisionRequest.objects.filter(step__status__in=Step.ACTIVE_STATUSES)
            .select_related("step__journey__journey_type", "step__step_type", "step__unit")
            .order_by("due_at", "pk"),
            now=now,
            prefix="step__",
        )
    if view == "failed_tasks":
        from journeys.models import FailedTask

        return FailedTask.objects.select_related(
            "handoff__step__journey__journey_type", "handoff__step__step_type", "handoff__unit"
        ).order_by("-failed_at", "-pk")
    journeys = coordination_journeys(now=now)
    if view == "stalled":
        journeys = journeys.filter(stalled_condition(now))
    return filters.journeys(journeys, now=now)


def coordination_counts(*, now: dt.datetime, filters: CoordinationFilters) -> dict[str, int]:
    return {
        view: coordination_rows(view, now=now, filters=filters).count()
        for view in COORDINATION_VIEWS
    }
