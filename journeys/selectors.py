"""Read-side queries for pages: a constant number of queries whatever the data size."""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, replace

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from journeys.disclosure import Disclosure
from journeys.graph import graph_blockers, graph_levels, step_dependencies
from journeys.models import (
    ConversationMessage,
    Document,
    InformationRequest,
    Journey,
    JourneyEvent,
    Step,
)
from journeys.projections import (
    Cause,
    JourneyProjection,
    StepProjection,
    journey_at_risk,
    journey_project,
    projection_changes_at,
)
from journeys.templatetags.people import STAFF_NAME_RELATED
from journeys.templatetags.times import day
from units import calendars


@dataclass(frozen=True)
class StatusReason:
    """Why a step or a journey stands where it does, in the reader's language, and the reason
    someone gave for it (as they wrote it)."""

    text: str
    reason: str = ""


@dataclass(frozen=True)
class StepRow:
    """A step as a page shows it: the steps it still waits for, how long its unit has had it
    (days in the unit's hands, not counting time waiting for the applicant), how long it waited
    for the applicant's answers, and why it stands where it does (`with_status_reasons`)."""

    step: Step
    blocked_by: list[str]
    days_with_unit: int | None = None
    projection: StepProjection | None = None
    days_waiting_for_applicant: int | None = None
    status_reason: StatusReason | None = None

    @property
    def expected_by(self) -> dt.datetime | None:
        """When an open step is expected to be decided (journeys.projections)."""
        if self.projection is None or not self.step.is_open:
            return None
        return self.projection.decision

    @property
    def expected_start(self) -> dt.datetime | None:
        if self.projection is None or self.step.status != Step.Status.WAITING:
            return None
        return self.projection.start

    @property
    def date_moved_reason(self) -> str:
        """Why an open step's expected date differs from the one foreseen at submission."""
        if self.expected_by is None:
            return ""
        return moved_reason(
            self.projection, self.projection.moved(self.step.projected_decision_at_submission)
        )


def moved_reason(projection: StepProjection, days: int) -> str:
    """In the applicant's words: later or earlier than first expected, and why."""
    if not days:
        return ""
    cause, step = projection.cause, projection.cause_step
    name = step.step_type.display_name if step is not None else ""
    if days > 0 and cause == Cause.PAUSED and name:
        return _("Later than first expected because of an information request in “%(step)s”.") % {
            "step": name
        }
    if days > 0 and cause == Cause.LATE and name:
        return _("Later than first expected because “%(step)s” is taking longer.") % {"step": name}
    if days < 0 and cause == Cause.EARLY and name:
        return _("Earlier than first expected because “%(step)s” was decided early.") % {
            "step": name
        }
    return _("Later than first expected.") if days > 0 else _("Earlier than first expected.")


@dataclass(frozen=True)
class JourneyPlan:
    """A journey's steps as a page shows them, with the projection they were read with."""

    rows: list[StepRow]
    projection: JourneyProjection
    journey: Journey

    @property
    def completion(self) -> dt.datetime | None:
        return self.projection.completion if self.journey.is_open else None

    @property
    def completion_moved_reason(self) -> str:
        """Why the journey's expected end differs from the one foreseen at submission: the
        reason of the last step on its critical path."""
        path = self.projection.critical_path
        if self.completion is None or not path:
            return ""
        last = self.projection.of(path[-1])
        return moved_reason(last, last.moved(self.journey.projected_completion_at_submission))

    @property
    def at_risk(self) -> bool:
        return self.journey.is_open and journey_at_risk(self.journey, self.projection)

    def changes_at(self, now: dt.datetime) -> dt.datetime:
        """The first moment after `now` at which these rows, read again from the same steps,
        could show otherwise: the next midnight (every date counted from today), or sooner
        a step turning late or counting one more day with its unit."""
        steps = [row.step for row in self.rows]
        moments = [
            calendars.next_midnight(now),
            projection_changes_at(steps, now=now),
            *(_days_with_unit_changes_at(step, now) for step in steps),
        ]
        return min(moment for moment in moments if moment is not None)

    @property
    def critical_path(self) -> list[StepRow]:
        """The steps whose dates set the completion date, with their rows, first to last."""
        by_pk = {row.step.pk: row for row in self.rows}
        return [by_pk[step.pk] for step in self.projection.critical_path]


def _days_with_unit(step: Step, now: dt.datetime | None) -> int | None:
    """Days in the unit's hands: so far for an active step, in all for a decided one."""
    if now is None or step.activated_at is None:
        return None
    if step.is_decided and step.decided_at is not None:
        held = step.decided_at - step.activated_at
    elif step.status in Step.ACTIVE_STATUSES:
        held = now - step.activated_at
        if step.paused_at:
            held -= now - step.paused_at
    else:
        return None
    return max(held.days - step.paused_days, 0)


def _days_with_unit_changes_at(step: Step, now: dt.datetime) -> dt.datetime | None:
    """When `_days_with_unit` next counts a day more: a whole day (not a date) after the step
    arrived, while it is with the unit and its clock runs (while paused, it stands still)."""
    if step.status not in Step.ACTIVE_STATUSES or step.activated_at is None or step.paused_at:
        return None
    return step.activated_at + dt.timedelta(days=(now - step.activated_at).days + 1)


def _days_waiting_for_applicant(step: Step, now: dt.datetime | None) -> int | None:
    """Days the step's clock stood still for the applicant's answers (the pause under way
    counted so far, as its end counts it); None for a step that never waited for them."""
    paused = step.status == Step.Status.WAITING_FOR_APPLICANT
    days = step.paused_days
    if paused and step.paused_at is not None and now is not None:
        days += (timezone.localtime(now).date() - timezone.localtime(step.paused_at).date()).days
    return days if days or paused else None


def journey_plan(journey: Journey, *, now: dt.datetime) -> JourneyPlan:
    """The steps with their projected dates, and the journey's (the same queries as
    journey_steps: the projection reads only what they load)."""
    steps = list(journey.steps.select_related("step_type", "unit", "assignee"))
    projection = journey_project(steps, step_dependencies(journey.journey_type_id), now=now)
    rows = journey_steps(journey, now=now, steps=steps, projection=projection)
    return JourneyPlan(rows=rows, projection=projection, journey=journey)


def journey_steps(
    journey: Journey,
    *,
    now: dt.datetime | None = None,
    steps: list[Step] | None = None,
    projection: JourneyProjection | None = None,
) -> list[StepRow]:
    if steps is None:
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
            StepRow(
                step=step,
                blocked_by=blockers,
                days_with_unit=_days_with_unit(step, now),
                projection=projection.of(step) if projection is not None else None,
                days_waiting_for_applicant=_days_waiting_for_applicant(step, now),
            )
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
    journey: Journey,
    *,
    for_applicant: bool,
    disclosure: Disclosure | None = None,
    steps: list[Step] | None = None,
) -> list[JourneyEvent]:
    """The journey's events, newest first. With a disclosure, an event that carries applicant
    data the reader may not see keeps its title and loses its message (`withheld`).

    Pass the journey's steps when the page has loaded them (with step type and unit): each
    event then names its step from them instead of joining three tables again for every
    event (on the tracking page that join was the costliest query to build and to read)."""
    # The applicant's timeline names no one; staff pages name who did what.
    events = (
        journey.events.all()
        if for_applicant
        else journey.events.select_related(f"actor__{STAFF_NAME_RELATED}")
    )
    if steps is None:
        events = events.select_related("step__step_type", "step__unit")
    if for_applicant:
        events = events.filter(visible_to_applicant=True)
    events = list(events.order_by("-created_at", "-pk"))
    if steps is not None:
        by_pk = {step.pk: step for step in steps}
        for event in events:
            if event.step_id is not None and event.step_id in by_pk:
                event.step = by_pk[event.step_id]
    if disclosure is not None:
        for event in events:
            if not disclosure.shows_event(event):
                event.message, event.withheld = "", True
    return events


# Why each step stands where it does (issue 17: nothing silent) ------------------------------

Kind = JourneyEvent.Kind
PAUSE_KINDS = (Kind.INFORMATION_REQUESTED, Kind.STEP_PAUSED)
# What moves a step other than forward; the step's decision afterwards makes it history.
MOVE_KINDS = (
    Kind.STEP_RECALLED,
    Kind.STEP_SENT_BACK,
    Kind.STEP_REOPENED,
    Kind.STEP_TRANSFERRED,
    Kind.STEP_REROUTED,
)
DECISION_KINDS = (Kind.STEP_APPROVED, Kind.STEP_REJECTED)


def with_status_reasons(
    rows: list[StepRow], *, journey: Journey, events: list[JourneyEvent]
) -> list[StepRow]:
    """The rows, each with why its step stands where it does when that is more than plain
    progress: paused, cancelled, back to waiting, sent back, reopened, transferred or moved to
    another unit. Read from the journey's events as its timeline loaded them (journey_timeline,
    with their steps' types and units) and the rows' steps: no query of its own."""
    history = sorted(events, key=lambda e: (e.created_at, e.pk))
    by_step: dict[int, list[JourneyEvent]] = defaultdict(list)
    for event in history:
        if event.step_id is not None:
            by_step[event.step_id].append(event)
    steps = [row.step for row in rows]
    return [
        replace(
            row,
            status_reason=_step_reason(
                row.step, by_step[row.step.pk], journey=journey, steps=steps, history=history
            ),
        )
        for row in rows
    ]


def journey_status_reason(
    journey: Journey, *, steps: list[Step], events: list[JourneyEvent]
) -> StatusReason | None:
    """Why the journey stands where it does, when it is not simply going on (no query)."""
    if journey.status == Journey.Status.WITHDRAWN:
        withdrawn = _last(events, (Kind.WITHDRAWN,))
        when = journey.closed_at or (withdrawn.created_at if withdrawn else None)
        return StatusReason(
            _("The application was withdrawn on %(day)s. Every step not yet decided was cancelled.")
            % {"day": day(when)},
            withdrawn.message if withdrawn else "",
        )
    if journey.status == Journey.Status.REJECTED:
        rejected = next((s for s in steps if s.status == Step.Status.REJECTED), None)
        if rejected is not None:
            return StatusReason(
                _(
                    "Closed because “%(step)s” was rejected. Its decision says why and how to "
                    "appeal."
                )
                % {"step": rejected.step_type.display_name}
            )
    if journey.status == Journey.Status.WAITING_FOR_APPLICANT:
        return StatusReason(_("A unit is waiting for your answer to a request for information."))
    return None


def _last(events, kinds) -> JourneyEvent | None:
    return max(
        (e for e in events if e.kind in kinds),
        key=lambda e: (e.created_at, e.pk),
        default=None,
    )


def _name(event: JourneyEvent | None) -> str:
    return event.step.step_type.display_name if event is not None and event.step else ""


def _step_reason(
    step: Step,
    own: list[JourneyEvent],
    *,
    journey: Journey,
    steps: list[Step],
    history: list[JourneyEvent],
) -> StatusReason | None:
    """`own`: the step's events, oldest first; `history`: all the journey's, oldest first."""
    if step.status == Step.Status.CANCELLED:
        return _cancelled_reason(journey, steps)
    if step.status == Step.Status.WAITING_FOR_APPLICANT:
        return _paused_reason(step, _last(own, PAUSE_KINDS), history)
    if step.status not in Step.OPEN_STATUSES:
        return None  # decided: the decision and its reasons say why
    moved = None
    for event in own:
        if event.kind in DECISION_KINDS:
            moved = None
        elif event.kind in MOVE_KINDS:
            moved = event
        elif event.kind == Kind.STEP_QUEUED and moved and moved.kind == Kind.STEP_RECALLED:
            moved = None  # back in its unit's queue: the wait is over
    return _moved_reason(step, moved, history) if moved is not None else None


def _cancelled_reason(journey: Journey, steps: list[Step]) -> StatusReason | None:
    if journey.status == Journey.Status.WITHDRAWN:
        return StatusReason(_("Cancelled because the application was withdrawn."))
    rejected = next((s for s in steps if s.status == Step.Status.REJECTED), None)
    if rejected is not None:
        return StatusReason(
            _("Cancelled because “%(step)s” was rejected.")
            % {"step": rejected.step_type.display_name}
        )
    return None


def _paused_reason(
    step: Step, pause: JourneyEvent | None, history: list[JourneyEvent]
) -> StatusReason:
    if pause is not None and pause.kind == Kind.STEP_PAUSED:
        # Paused by another step's request, asked in the same change.
        asking = next(
            (
                e
                for e in history
                if e.kind == Kind.INFORMATION_REQUESTED
                and e.created_at == pause.created_at
                and e.step_id != step.pk
            ),
            None,
        )
        if asking is not None:
            return StatusReason(
                _(
                    "Paused until you answer the request for information in “%(step)s”. "
                    "Its deadline stands still until then."
                )
                % {"step": _name(asking)}
            )
    return StatusReason(
        _(
            "Paused until you answer the unit's request for information. Its deadline stands "
            "still until then."
        )
    )


def _moved_reason(
    step: Step, moved: JourneyEvent, history: list[JourneyEvent]
) -> StatusReason | None:
    if moved.kind == Kind.STEP_RECALLED:
        if moved.message:  # this step sent the case back to an earlier one
            target = next(
                (
                    e
                    for e in history
                    if e.kind == Kind.STEP_SENT_BACK and e.created_at == moved.created_at
                ),
                None,
            )
            return StatusReason(
                _("Waiting again: the case was sent back to “%(step)s”, to be decided again first.")
                % {"step": _name(target)}
                if target is not None
                else _("Waiting again for an earlier step to be decided again."),
                moved.message,
            )
        # An earlier step was reopened or sent back to: the latest such change before this.
        cause = _last(
            (e for e in history if (e.created_at, e.pk) <= (moved.created_at, moved.pk)),
            (Kind.STEP_REOPENED, Kind.STEP_SENT_BACK),
        )
        if cause is None:
            return StatusReason(_("Waiting again for an earlier step to be decided again."))
        return StatusReason(
            _("Waiting again because “%(step)s” was reopened, to be decided again.")
            % {"step": _name(cause)},
            cause.message,
        )
    if moved.kind == Kind.STEP_SENT_BACK:
        return StatusReason(
            _("Back with the unit: a later step sent the case back here to be looked at again."),
            moved.message,
        )
    if moved.kind == Kind.STEP_REOPENED:
        return StatusReason(_("The unit reopened its decision."), moved.message)
    if moved.kind == Kind.STEP_TRANSFERRED:
        # Written as "<from> → <to>: <reason>" (journeys.services.reopening.step_transfer).
        units, separator, reason = moved.message.partition(": ")
        return StatusReason(
            _("Transferred to %(unit)s, the unit that handles it now.")
            % {"unit": step.unit.display_name},
            reason if separator and " → " in units else moved.message,
        )
    return StatusReason(
        _("Handled by %(unit)s because of an answer you changed.")
        % {"unit": step.unit.display_name}
    )


def journey_for_page(queryset, **lookup) -> Journey:
    return get_object_or_404(queryset.select_related("journey_type", "applicant"), **lookup)


def journey_information_requests(journey: Journey):
    return list(
        InformationRequest.objects.filter(step__journey=journey)
        .select_related("step__step_type", "step__unit", "requested_by")
        .prefetch_related(
            Prefetch(
                "blocks",
                queryset=Step.objects.select_related("step_type", "unit").order_by(
                    "step_type__order", "pk"
                ),
            )
        )
        .order_by("-requested_at")
    )


# Load these with the journey for journey_contact (no query of its own).
CONTACT_RELATED = ("contact__staff_profile", "journey_type__owner_unit")


@dataclass(frozen=True)
class ContactCard:
    """The one person the applicant calls about the journey: name, unit, e-mail, phone."""

    name: str
    unit: str
    email: str
    phone: str
    named: bool  # a person, not the portal's shared contact


def journey_contact(journey: Journey) -> ContactCard:
    """The journey's named contact (journeys.services.contacts), their unit being the one that
    owns the journey type (or journey coordination); without a contact, the portal's shared one.
    The phone is the person's (their staff profile), else their unit's, else the shared one."""
    owner = journey.journey_type.owner_unit
    unit = owner.display_name if owner is not None else _("Journey coordination")
    shared = settings.PORTAL_CONTACT
    person = journey.contact
    if person is None:
        return ContactCard(_("Journey coordination"), unit, shared["email"], shared["phone"], False)
    try:
        phone = person.staff_profile.phone
    except ObjectDoesNotExist:
        phone = ""
    return ContactCard(
        name=person.get_full_name() or person.email,
        unit=unit,
        email=person.email or shared["email"],
        phone=phone or (owner.phone if owner is not None else "") or shared["phone"],
        named=True,
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


@dataclass(frozen=True)
class Thread:
    """The conversation between the applicant and the unit of one step, oldest message first;
    `is_open`: new messages may be written (journeys.services.conversations)."""

    step: Step
    messages: list[ConversationMessage]
    is_open: bool

    def unread(self, *, by_applicant: bool) -> list[ConversationMessage]:
        """The messages the other side wrote that this side has not read."""
        return [m for m in self.messages if m.from_applicant != by_applicant and not m.read_at]


def _conversation_messages(**lookup) -> list[ConversationMessage]:
    """Messages with their authors' names and attachments: two queries, one if there is none."""
    return list(
        ConversationMessage.objects.filter(**lookup)
        .select_related("unit", f"author__{STAFF_NAME_RELATED}")
        .prefetch_related(
            Prefetch(
                "attachments",
                queryset=Document.objects.only("pk", "name", "size", "conversation_message_id"),
            )
        )
        .order_by("created_at", "pk")
    )


def _thread_open(step: Step, journey: Journey) -> bool:
    return journey.is_open and step.has_reached_unit


def conversation_threads(journey: Journey, steps: list[Step]) -> list[Thread]:
    """A thread for each of `steps` (with step types and units) that has reached its unit or
    has messages, in the steps' order: the applicant's view of their conversations."""
    by_step: dict[int, list[ConversationMessage]] = {}
    for message in _conversation_messages(journey=journey):
        by_step.setdefault(message.step_id, []).append(message)
    return [
        Thread(step, by_step.get(step.pk, []), _thread_open(step, journey))
        for step in steps
        if step.pk in by_step or step.has_reached_unit
    ]


def conversation_thread(step: Step) -> Thread:
    """The thread about one step (its journey loaded with it)."""
    return Thread(step, _conversation_messages(step=step), _thread_open(step, step.journey))
