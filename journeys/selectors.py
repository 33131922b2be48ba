"""Read-side queries for pages: a constant number of queries whatever the data size."""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
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
)
from journeys.templatetags.people import STAFF_NAME_RELATED


@dataclass(frozen=True)
class StepRow:
    """A step as a page shows it: the steps it still waits for, and how long its unit has had
    it (days in the unit's hands, not counting time waiting for the applicant)."""

    step: Step
    blocked_by: list[str]
    days_with_unit: int | None = None
    projection: StepProjection | None = None

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

    @property
    def critical_path(self) -> list[StepRow]:
        """The steps whose dates set the completion date, with their rows, first to last."""
        by_pk = {row.step.pk: row for row in self.rows}
        return [by_pk[step.pk] for step in self.projection.critical_path]


def _days_with_unit(step: Step, now: dt.datetime | None) -> int | None:
    if now is None or step.activated_at is None or step.status not in Step.ACTIVE_STATUSES:
        return None
    held = now - step.activated_at
    if step.paused_at:
        held -= now - step.paused_at
    return max(held.days - step.paused_days, 0)


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
