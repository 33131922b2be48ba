"""Read-side queries for pages: a constant number of queries whatever the data size."""

import datetime as dt
from dataclasses import dataclass

from django.shortcuts import get_object_or_404

from journeys.disclosure import Disclosure
from journeys.graph import graph_blockers, graph_levels, step_dependencies
from journeys.models import InformationRequest, Journey, JourneyEvent, Step
from journeys.templatetags.people import STAFF_NAME_RELATED


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
    steps = list(journey.steps.select_related("step_type", "unit", "assignee"))
    dependencies = step_dependencies(journey.journey_type_id)
    by_type = {s.step_type_id: s for s in steps}
    status = {type_id: s.status for type_id, s in by_type.items()}
    rows = []
    for step in steps:
        blockers = [
            by_type[dep].step_type.display_name
            for dep in sorted(
                graph_blockers(dependencies, step.step_type_id, status),
                key=lambda d: by_type[d].step_type.order,
            )
        ]
        rows.append(
            StepRow(step=step, blocked_by=blockers, days_with_unit=_days_with_unit(step, now))
        )
    return rows


def journey_type_stages(journey_type) -> list[list]:
    """The journey type's steps in stages: each stage's steps run at the same time, and start
    when the stages before them are approved (the dependency graph's levels). A corrupt graph
    raises GraphError (journeys.graph) at once."""
    step_types = list(journey_type.steps.select_related("unit"))
    level = graph_levels(step_dependencies(journey_type.pk))
    stages: list[list] = [[] for _ in range(max(level.values(), default=-1) + 1)]
    for step_type in step_types:
        stages[level[step_type.pk]].append(step_type)
    return stages


def journey_timeline(
    journey: Journey, *, for_applicant: bool, disclosure: Disclosure | None = None
) -> list[JourneyEvent]:
    """The journey's events, newest first. With a disclosure, an event that carries applicant
    data the reader may not see keeps its title and loses its message (`withheld`)."""
    events = journey.events.select_related(
        "step__step_type", "step__unit", f"actor__{STAFF_NAME_RELATED}"
    )
    if for_applicant:
        events = events.filter(visible_to_applicant=True)
    events = list(events.order_by("-created_at", "-pk"))
    if disclosure is not None:
        for event in events:
            if not disclosure.shows_event(event):
                event.message, event.withheld = "", True
    return events


def journey_for_page(queryset, **lookup) -> Journey:
    return get_object_or_404(queryset.select_related("journey_type", "applicant"), **lookup)


def journey_information_requests(journey: Journey):
    return list(
        InformationRequest.objects.filter(step__journey=journey)
        .select_related("step__step_type", "step__unit", "requested_by")
        .order_by("-requested_at")
    )


def journey_routing_fields(journey) -> list[str]:
    """The fields whose answers route a step of the journey that no unit has had yet (waiting,
    no handoff written): changing one moves that step (journeys.services.steps_reroute)."""
    routes = (
        journey.steps.filter(status=Step.Status.WAITING, handoffs__isnull=True)
        .exclude(step_type__routing={})
        .values_list("step_type__routing", flat=True)
    )
    return sorted({route["by"] for route in routes})
