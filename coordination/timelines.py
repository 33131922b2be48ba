"""Where a journey's time went, step by step: in the unit's queue, in progress, waiting for the
applicant, and the handoff gap before each step reached its unit. Read from the event log."""

import datetime as dt
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from journeys.models import Journey, JourneyEvent, Step

Kind = JourneyEvent.Kind
SEGMENT_LABELS = {
    "handoff": _("Handoff between units"),
    "queued": _("In the unit's queue"),
    "in_progress": _("In progress"),
    "applicant": _("Waiting for the applicant"),
}
# Which event moves a step into which state; None ends the step's time.
TRANSITIONS = {
    Kind.STEP_QUEUED: "queued",
    Kind.STEP_CLAIMED: "in_progress",
    Kind.STEP_REASSIGNED: "in_progress",
    Kind.STEP_RELEASED: "queued",
    Kind.INFORMATION_REQUESTED: "applicant",
    Kind.STEP_RESUMED: "in_progress",
    Kind.STEP_APPROVED: None,
    Kind.STEP_REJECTED: None,
    Kind.STEP_CANCELLED: None,
    Kind.STEP_PAUSED: "applicant",
    Kind.STEP_REOPENED: "in_progress",
    Kind.STEP_SENT_BACK: "queued",
    # Back to waiting for an earlier step, or on the way to another unit: out of any queue.
    Kind.STEP_RECALLED: None,
    Kind.STEP_TRANSFERRED: None,
}


@dataclass
class Segment:
    kind: str
    start: dt.datetime
    end: dt.datetime
    x: float = 0.0  # per cent of the chart's width
    width: float = 0.0

    @property
    def label(self) -> str:
        return SEGMENT_LABELS[self.kind]

    @property
    def duration(self) -> dt.timedelta:
        return self.end - self.start


@dataclass
class GanttRow:
    step: Step
    segments: list[Segment] = field(default_factory=list)
    y: int = 0

    def total(self, kind: str) -> dt.timedelta:
        return sum((s.duration for s in self.segments if s.kind == kind), dt.timedelta())


@dataclass
class Gantt:
    rows: list[GanttRow]
    start: dt.datetime
    end: dt.datetime
    height: int

    @property
    def legend(self):
        return list(SEGMENT_LABELS.items())


ROW_HEIGHT = 28


def journey_gantt(journey: Journey, *, steps: list[Step], now: dt.datetime) -> Gantt:
    """One row per step with its segments placed on a shared time axis."""
    events = journey.events.filter(step__isnull=False).order_by("created_at", "pk")
    rows = {step.pk: GanttRow(step=step) for step in steps}
    state: dict[int, tuple[str, dt.datetime]] = {}
    # journey_id too: the related manager sets each event's journey, which reads it (a query per
    # event if deferred).
    for event in events.only("journey_id", "step_id", "kind", "created_at"):
        row = rows.get(event.step_id)
        if row is None:
            continue
        if event.kind == Kind.HANDOFF_SENT:
            state[event.step_id] = ("handoff", event.created_at)
            continue
        if event.kind not in TRANSITIONS:
            continue
        if event.step_id in state:
            kind, since = state.pop(event.step_id)
            if event.created_at > since:
                row.segments.append(Segment(kind, since, event.created_at))
        if (next_kind := TRANSITIONS[event.kind]) is not None:
            state[event.step_id] = (next_kind, event.created_at)
    end = journey.closed_at or now
    for step_id, (kind, since) in state.items():
        if end > since:
            rows[step_id].segments.append(Segment(kind, since, end))
    start = journey.submitted_at or journey.created_at
    span = max((end - start).total_seconds(), 1.0)
    for index, row in enumerate(rows.values()):
        row.y = index * ROW_HEIGHT
        for segment in row.segments:
            segment.x = round(100 * (segment.start - start).total_seconds() / span, 3)
            segment.width = max(round(100 * segment.duration.total_seconds() / span, 3), 0.3)
    return Gantt(rows=list(rows.values()), start=start, end=end, height=len(rows) * ROW_HEIGHT)
