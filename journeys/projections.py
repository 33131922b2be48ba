"""When each step of a journey is expected to start and to be decided, and the journey to end.

Pure: it reads the steps as they are (status, dates, pause) with their units and the journey
type's graph (journeys.graph, cached per process) and asks no query, so a page computes it on
read and it is current after every event. The rules, in the graph's order:

- a decided step keeps its real dates;
- a step in its unit's hands is expected by its due date; while it waits for the applicant the
  clock stands still, so the date moves on by the working days the pause has lasted so far;
  a step past its due date is expected today (no later date is known);
- a waiting step starts when the last step it waits for is expected to be decided (today at
  the earliest) and is expected its deadline later, counted in its unit's calendar (working
  days skip the unit's weekends and holidays); a step with no deadline takes DEFAULT_DAYS;
- the journey is expected to be complete when its last step is expected to be decided.

A step decided early pulls in the steps after it; a pause pushes them out. Each projected date
carries the step that moved it most (`cause`), so a page can say why it is earlier or later
than the projection kept at submission."""

import datetime as dt
import graphlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.utils import timezone

from journeys.states import ACTIVE_STEP, DECIDED_STEP, StepStatus
from units import calendars

# Working days assumed for a step whose type sets no deadline.
DEFAULT_DAYS = 10


class Cause:
    PAUSED = "paused"  # a clock stop: the unit waits for the applicant
    LATE = "late"  # a step past its due date, or decided after it
    EARLY = "early"  # a step decided before it was expected


@dataclass(frozen=True)
class StepProjection:
    start: dt.datetime | None
    decision: dt.datetime | None
    cause: str = ""
    cause_step: object = None  # the Step whose date moved this one

    def moved(self, baseline: dt.datetime | None) -> int:
        """Days later (> 0) or earlier (< 0) than `baseline`, by the calendar date."""
        if baseline is None or self.decision is None:
            return 0
        return (timezone.localtime(self.decision).date() - timezone.localtime(baseline).date()).days


@dataclass(frozen=True)
class JourneyProjection:
    steps: Mapping[int, StepProjection]  # by step type id (a journey has each once)
    completion: dt.datetime | None
    critical_path: list  # the Steps whose dates set the completion date, first to last

    def of(self, step) -> StepProjection | None:
        return self.steps.get(step.step_type_id)


def _add(unit, start: dt.datetime, days: int, working: bool) -> dt.datetime:
    return calendars.add_days(
        start, days, working_days=working, country=unit.country, weekdays=unit.working_weekdays
    )


def _own(step, now: dt.datetime) -> tuple[dt.datetime | None, str]:
    """An active step's expected decision and what moved it, from its own state."""
    step_type, unit = step.step_type, step.unit
    due = step.due_at
    if due is None:
        due = _add(unit, step.activated_at or now, DEFAULT_DAYS, True)
    cause = Cause.PAUSED if step.paused_days else ""
    if step.status == StepStatus.WAITING_FOR_APPLICANT and step.paused_at:
        due = calendars.shift_for_pause(
            due,
            step.paused_at,
            now,
            working_days=step_type.deadline_working_days,
            country=unit.country,
            weekdays=unit.working_weekdays,
        )
        cause = Cause.PAUSED
    if due < now:
        return now, Cause.LATE
    return due, cause


def journey_project(
    steps: Iterable, dependencies: Mapping[int, Iterable[int]], *, now: dt.datetime
) -> JourneyProjection:
    """Project every step of one journey. `steps` are its Step rows with step_type and unit
    loaded; `dependencies` is journeys.graph.step_dependencies of its journey type."""
    by_type = {s.step_type_id: s for s in steps}
    graph = {t: [d for d in dependencies.get(t, ()) if d in by_type] for t in by_type}
    result: dict[int, StepProjection] = {}
    decision_of: dict[int, dt.datetime] = {}
    chain: dict[int, list] = {}
    for type_id in graphlib.TopologicalSorter(graph).static_order():
        step = by_type[type_id]
        before = [d for d in graph[type_id] if d in decision_of]
        last = max(before, key=lambda d: decision_of[d], default=None)
        chain[type_id] = [*chain.get(last, []), step] if last is not None else [step]
        if step.status == StepStatus.CANCELLED:
            chain.pop(type_id)
            continue
        if step.status in DECIDED_STEP:
            decision = step.decided_at or now
            baseline = step.projected_decision_at_submission
            cause = ""
            if baseline is not None:
                days = (
                    timezone.localtime(decision).date() - timezone.localtime(baseline).date()
                ).days
                cause = Cause.EARLY if days < 0 else Cause.LATE if days > 0 else ""
                if days > 0 and step.paused_days:
                    cause = Cause.PAUSED
            projection = StepProjection(step.activated_at, decision, cause, step if cause else None)
        elif step.status in ACTIVE_STEP:
            decision, cause = _own(step, now)
            projection = StepProjection(step.activated_at, decision, cause, step if cause else None)
        else:
            start = max(now, decision_of[last]) if last is not None else now
            days = step.step_type.deadline_days
            decision = _add(
                step.unit,
                start,
                DEFAULT_DAYS if days is None else days,
                step.step_type.deadline_working_days if days is not None else True,
            )
            projection = StepProjection(start, decision)
        if not projection.cause and last is not None and result[last].cause:
            # Received early or late because the step before it was decided so: say that one.
            projection = StepProjection(
                projection.start, projection.decision, result[last].cause, result[last].cause_step
            )
        result[type_id] = projection
        decision_of[type_id] = projection.decision
    end = max(decision_of, key=lambda t: decision_of[t], default=None)
    return JourneyProjection(
        steps=result,
        completion=decision_of[end] if end is not None else None,
        critical_path=chain.get(end, []) if end is not None else [],
    )


def projection_changes_at(steps: Iterable, *, now: dt.datetime) -> dt.datetime | None:
    """The first moment after `now`, other than a midnight, at which journey_project could
    answer otherwise for these steps as they are (`_own` is the only rule that reads the time
    of day): an active step turning late at its due date (as moved by a pause so far), and a
    step waiting for the applicant on calendar days, whose due date moves on with the clock,
    reaching its next day. Every other date it gives moves only with today's date
    (units.calendars.next_midnight). None if nothing does."""
    moments = []
    for step in steps:
        if step.status not in ACTIVE_STEP:
            continue
        decision, cause = _own(step, now)
        if cause != Cause.LATE:
            moments.append(decision)
        paused = step.status == StepStatus.WAITING_FOR_APPLICANT and step.paused_at
        if paused and not step.step_type.deadline_working_days:
            ahead = decision - now  # the moved due date runs with the clock, this far ahead
            moments.append(calendars.next_midnight(now + ahead) - ahead)
    return min((m for m in moments if m > now), default=None)


def journey_at_risk_changes_at(journey, projection: JourneyProjection, *, now: dt.datetime):
    """The first moment after `now` at which `journey_at_risk` could turn true: until the next
    midnight no projected date runs ahead faster than the clock, so not before the expected
    end, moved on by the time left, reaches the service norm. None if it cannot today."""
    norm = journey.journey_type.service_norm_days
    if not norm or journey.submitted_at is None or projection.completion is None:
        return None
    limit = journey.submitted_at + dt.timedelta(days=norm)
    if projection.completion > limit:
        return None  # at risk already, and a projection never moves earlier with time
    return now + (limit - projection.completion)


def journey_at_risk(journey, projection: JourneyProjection) -> bool:
    """An open journey expected to end after its journey type's service norm."""
    norm = journey.journey_type.service_norm_days
    if not norm or journey.submitted_at is None or projection.completion is None:
        return False
    return projection.completion > journey.submitted_at + dt.timedelta(days=norm)
