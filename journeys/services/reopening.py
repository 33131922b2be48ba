"""Undoing the journey's progress on purpose: a unit reopens its own decision, sends a step back
to the unit of an earlier one, or transfers a step that reached the wrong unit. Every change
runs under the journey's row lock and reaches other units through the handoff outbox; a handoff
it makes moot is superseded, so one still in the broker changes nothing when it arrives."""

import datetime as dt

from django.db import transaction
from django.db.models import F

from journeys.graph import graph_descendants, step_dependencies
from journeys.models import (
    Consultation,
    Handoff,
    Journey,
    JourneyEvent,
    OutgoingEmail,
    SecrecyMarking,
    Step,
)
from journeys.services.casework import NotAssignee, StepChanged, _bump, _locked
from journeys.services.consultation_withdrawal import consultations_withdraw
from journeys.services.emails import outgoing_emails_create
from journeys.services.events import journey_event_record
from journeys.services.fees import step_invoices_follow
from journeys.services.handoffs import handoffs_create
from journeys.services.letters import decision_letter_supersede
from journeys.services.messages import applicant_notify
from units.models import Unit


class NotAnEarlierStep(StepChanged):
    """A step is sent back only to an approved step it depends on, directly or through others."""


def _supersede(step: Step, now: dt.datetime, *kinds: str) -> int:
    """Mark the step's live handoffs of these kinds moot (delivered or still in the broker)."""
    return Handoff.objects.filter(
        step=step, kind__in=kinds or (Handoff.Kind.ACTIVATE,), superseded_at__isnull=True
    ).update(superseded_at=now)


def _dependents_reset(
    *, journey: Journey, step: Step, now: dt.datetime, reason: str, skip: Step | None = None
) -> None:
    """Every step after `step` that is not decided goes back to waiting: a queued handoff to it
    is superseded, a step in another unit's queue is recalled through a handoff on that queue.
    A decided one is flagged for its unit to review."""
    below = graph_descendants(step_dependencies(journey.journey_type_id), step.step_type_id)
    recall = []
    for other in journey.steps.filter(step_type_id__in=below).select_related("unit"):
        if skip is not None and other.pk == skip.pk:
            continue
        if other.status == Step.Status.APPROVED:
            _bump(other, review_reason=reason, review_flagged_at=now)
            journey_event_record(
                journey=journey,
                step=other,
                kind=JourneyEvent.Kind.REVIEW_FLAGGED,
                now=now,
                message=reason,
                visible_to_applicant=False,
            )
        elif other.status == Step.Status.WAITING:
            _supersede(other, now, Handoff.Kind.ACTIVATE)
        elif other.status in Step.ACTIVE_STATUSES:
            _supersede(other, now, Handoff.Kind.ACTIVATE, Handoff.Kind.RECALL)
            recall.append(other)
    handoffs_create(journey=journey, steps=recall, now=now, kind=Handoff.Kind.RECALL)


def _due_at(step: Step, now: dt.datetime) -> dt.datetime | None:
    """A step starting a new round is due as on its first activation: its deadline from now, in
    its unit's calendar (working days skip that unit's weekends and public holidays)."""
    step_type = step.step_type
    if not step_type.deadline_days:
        return None
    return step.unit.due_at(
        now, step_type.deadline_days, working_days=step_type.deadline_working_days
    )


def _open_journey(step: Step, expected_version: int | None) -> tuple[Journey, Step]:
    journey, step = _locked(step, expected_version)
    if not journey.is_open:
        raise StepChanged
    return journey, step


@transaction.atomic
def step_reopen(
    *, step: Step, by, reason: str, now: dt.datetime, expected_version: int | None = None
) -> Step:
    """A unit reopens its own approval before the journey completes: the step is back in
    progress with the caseworker who reopened it, the steps after it wait for it again, and
    the applicant is told why."""
    journey, step = _open_journey(step, expected_version)
    if step.status != Step.Status.APPROVED:
        raise StepChanged
    decision_letter_supersede(step=step)
    _bump(
        step,
        status=Step.Status.IN_PROGRESS,
        assignee=by,
        started_at=now,
        decided_at=None,
        due_at=_due_at(step, now),
        reasons="",
        **Step.WARNINGS_CLEARED,
    )
    journey_event_record(
        journey=journey,
        step=step,
        kind=JourneyEvent.Kind.STEP_REOPENED,
        actor=by,
        now=now,
        status_before=Step.Status.APPROVED,
        status_after=Step.Status.IN_PROGRESS,
        message=reason,
    )
    _dependents_reset(journey=journey, step=step, now=now, reason=reason)
    step.refresh_from_db()
    applicant_notify(journey=journey, what="step_reopened", now=now, step=step, reason=reason)
    return step


def send_back_targets(step: Step) -> list[Step]:
    """The approved steps `step` depends on, directly or through others: where it can be sent."""
    graph = step_dependencies(step.journey.journey_type_id)
    earlier = [t for t in graph if step.step_type_id in graph_descendants(graph, t)]
    return list(
        step.journey.steps.filter(step_type_id__in=earlier, status=Step.Status.APPROVED)
        .select_related("step_type", "unit")
        .order_by("step_type__order")
    )


@transaction.atomic
def step_send_back(
    *,
    step: Step,
    to: Step,
    by,
    reason: str,
    now: dt.datetime,
    expected_version: int | None = None,
) -> Step:
    """Send an active step back to the unit of an earlier, approved one ("the building permit
    must be amended first"): the earlier step is back in its unit's queue with a new due date,
    this step waits for it again, and the applicant is told."""
    journey, step = _open_journey(step, expected_version)
    if step.status != Step.Status.IN_PROGRESS:
        raise StepChanged
    if step.assignee_id != by.pk:
        raise NotAssignee
    target = next((t for t in send_back_targets(step) if t.pk == to.pk), None)
    if target is None:
        raise NotAnEarlierStep
    decision_letter_supersede(step=target)
    _bump(
        target,
        status=Step.Status.QUEUED,
        assignee=None,
        activated_at=now,
        started_at=None,
        decided_at=None,
        due_at=_due_at(target, now),
        reasons="",
        **Step.WARNINGS_CLEARED,
    )
    journey_event_record(
        journey=journey,
        step=target,
        kind=JourneyEvent.Kind.STEP_SENT_BACK,
        actor=by,
        now=now,
        status_before=Step.Status.APPROVED,
        status_after=Step.Status.QUEUED,
        message=reason,
    )
    if not target.unit.works_in_own_system:
        outgoing_emails_create(
            kind=OutgoingEmail.Kind.STEP_QUEUED,
            journey=journey,
            step=target,
            queue=target.unit.queue_name,
            now=now,
        )
    # The sending step is this unit's own: it waits for the earlier one again, here and now.
    Step.objects.filter(pk=step.pk).update(
        status=Step.Status.WAITING,
        assignee=None,
        activated_at=None,
        started_at=None,
        due_at=None,
        paused_at=None,
        version=F("version") + 1,
        **Step.WARNINGS_CLEARED,
    )
    _supersede(step, now, Handoff.Kind.ACTIVATE, Handoff.Kind.RECALL)
    journey_event_record(
        journey=journey,
        step=step,
        kind=JourneyEvent.Kind.STEP_RECALLED,
        actor=by,
        now=now,
        status_before=step.status,
        status_after=Step.Status.WAITING,
        message=reason,
    )
    consultations_withdraw(step=step, because=Consultation.WithdrawnBecause.STEP_SENT_BACK, now=now)
    _dependents_reset(journey=journey, step=target, now=now, reason=reason, skip=step)
    target.refresh_from_db()
    applicant_notify(journey=journey, what="step_sent_back", now=now, step=target, reason=reason)
    step.refresh_from_db()
    return step


def transfer_targets(step: Step):
    """The units a step may be transferred to: every other unit."""
    return Unit.objects.exclude(pk=step.unit_id).order_by("name")


@transaction.atomic
def step_transfer(
    *, step: Step, to: Unit, by, reason: str, now: dt.datetime, expected_version: int | None = None
) -> Step:
    """Move a step that reached the wrong unit to another one, through a handoff on the
    receiving unit's queue; it keeps its due date, and the journal names both units. The
    consultations the sending unit asked are withdrawn (the receiving unit asks its own), and
    an unpaid invoice is issued again to the receiving unit, and the secrecy markings made on
    the case are the receiving unit's."""
    journey, step = _open_journey(step, expected_version)
    if step.status not in (Step.Status.QUEUED, Step.Status.IN_PROGRESS) or to.pk == step.unit_id:
        raise StepChanged
    if step.status == Step.Status.IN_PROGRESS and step.assignee_id != by.pk:
        raise NotAssignee  # a case someone holds is theirs to transfer
    sender = step.unit
    _supersede(step, now, Handoff.Kind.ACTIVATE, Handoff.Kind.RECALL)
    _bump(step, status=Step.Status.WAITING, unit=to, assignee=None, started_at=None)
    journey_event_record(
        journey=journey,
        step=step,
        kind=JourneyEvent.Kind.STEP_TRANSFERRED,
        actor=by,
        now=now,
        status_before=step.status,
        status_after=Step.Status.WAITING,
        message=f"{sender.display_name} → {to.display_name}: {reason}",
        # Written in the sender's scope and naming the receiver: both units' systems hear of
        # it; the step's later events are the receiver's.
        unit=sender,
        other_unit=to,
    )
    consultations_withdraw(
        step=step, because=Consultation.WithdrawnBecause.STEP_TRANSFERRED, now=now
    )
    # The case's secrecy markings go with it: the receiving unit holds the case, its marked
    # items and their markings (to keep or remove), and the sender no longer reads it.
    SecrecyMarking.objects.standing().filter(step=step, unit=sender).update(unit=to)
    step.refresh_from_db()
    step_invoices_follow(journey=journey, steps=[step], now=now)
    handoffs_create(journey=journey, steps=[step], now=now)
    return step
