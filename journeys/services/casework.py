"""What a unit's caseworkers do with a step: take it, ask, note, decide; leads reassign."""

import datetime as dt

from django.db import transaction
from django.db.models import F

from journeys.graph import step_dependencies
from journeys.models import (
    Consultation,
    Document,
    InformationRequest,
    Journey,
    JourneyEvent,
    Step,
)
from journeys.services.consultation_withdrawal import consultations_withdraw
from journeys.services.documents import document_store
from journeys.services.events import journey_event_record
from journeys.services.handoffs import handoffs_create, ready_steps
from journeys.services.letters import decision_letter_url, letters_publish
from journeys.services.messages import applicant_notify
from journeys.services.registration import document_register
from organisations.models import Representative
from organisations.selectors import representative_for
from organisations.services import representative_confirm
from payments.services import (
    PaymentDue,
    decision_waits_for_payment,
    invoice_at_decision,
    invoices_cancel,
)

# How many of the queue's first cases "take the next case" tries before it says there is none
# free: the others are being taken or changed at that moment.
TAKE_NEXT_CANDIDATES = 20


class StepChanged(Exception):
    """The step is no longer in the state the caseworker saw; nothing was changed."""


class NotAssignee(StepChanged):
    """Only the caseworker who took the step may do this."""


class StepClosed(StepChanged):
    """The step is no longer in the unit's hands (decided, cancelled, or its journey closed)."""


def _locked(step: Step, expected_version: int | None) -> tuple[Journey, Step]:
    """Lock the journey (so changes within one journey happen one after the other), reload the
    step, and refuse if it changed since the caseworker's form was loaded."""
    journey = Journey.objects.select_for_update().get(pk=step.journey_id)
    step = Step.objects.select_related("step_type", "unit").get(pk=step.pk)
    if expected_version is not None and step.version != expected_version:
        raise StepChanged
    return journey, step


def _bump(step: Step, **fields) -> None:
    Step.objects.filter(pk=step.pk).update(version=F("version") + 1, **fields)


@transaction.atomic
def step_claim(*, step: Step, by, now: dt.datetime) -> Step:
    """Take a received step; claiming a step one already holds changes nothing."""
    # The journey's row first, as every change within a journey takes it: writing the step's
    # row first and then the journey's (its last activity) deadlocked with a handoff delivered
    # to the same journey, which holds the journey and then writes the step.
    Journey.objects.select_for_update(of=("self",)).filter(pk=step.journey_id).exists()
    claimed = Step.objects.filter(pk=step.pk, status=Step.Status.QUEUED).update(
        status=Step.Status.IN_PROGRESS, assignee=by, started_at=now, version=F("version") + 1
    )
    step.refresh_from_db()
    if claimed:
        journey_event_record(
            journey=step.journey,
            step=step,
            kind=JourneyEvent.Kind.STEP_CLAIMED,
            actor=by,
            now=now,
            status_before=Step.Status.QUEUED,
            status_after=Step.Status.IN_PROGRESS,
        )
    elif step.assignee_id != by.pk:
        raise NotAssignee if step.assignee_id else StepChanged
    return step


@transaction.atomic
def step_take_next(*, unit, by, now: dt.datetime) -> Step | None:
    """Claim the unit's earliest-due unclaimed step. Rows another caseworker is claiming at the
    same moment are skipped, so no two caseworkers are ever handed the same case."""
    # The journey's row is taken before the step's, as everywhere; a journey another change
    # holds (a delivery, a decision) is passed over for the next case rather than waited for.
    for step in (
        Step.objects.for_unit(unit)
        .filter(status=Step.Status.QUEUED, assignee__isnull=True)
        .queue_order()
        .only("pk", "journey_id")[:TAKE_NEXT_CANDIDATES]
    ):
        journey = Journey.objects.select_for_update(skip_locked=True).filter(pk=step.journey_id)
        if not journey.exists():
            continue
        step = (
            Step.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(pk=step.pk, status=Step.Status.QUEUED, assignee__isnull=True)
            .first()
        )
        if step is not None:
            return step_claim(step=step, by=by, now=now)
    return None


@transaction.atomic
def step_release(*, step: Step, by, now: dt.datetime, expected_version: int | None = None) -> Step:
    """Put a step one holds back in the unit's queue for someone else to take."""
    journey, step = _locked(step, expected_version)
    if step.status != Step.Status.IN_PROGRESS:
        raise StepChanged
    if step.assignee_id != by.pk:
        raise NotAssignee
    _bump(step, status=Step.Status.QUEUED, assignee=None, started_at=None)
    journey_event_record(
        journey=journey,
        step=step,
        kind=JourneyEvent.Kind.STEP_RELEASED,
        actor=by,
        now=now,
        status_before=Step.Status.IN_PROGRESS,
        status_after=Step.Status.QUEUED,
        visible_to_applicant=False,
    )
    step.refresh_from_db()
    return step


@transaction.atomic
def step_reassign(
    *, step: Step, by, to, now: dt.datetime, expected_version: int | None = None
) -> Step:
    """A unit lead hands a step to another caseworker of the same unit (checked by the caller)."""
    journey, step = _locked(step, expected_version)
    if step.status not in Step.ACTIVE_STATUSES:
        raise StepChanged
    fields = {"assignee": to}
    if step.status == Step.Status.QUEUED:
        fields.update(status=Step.Status.IN_PROGRESS, started_at=now)
    _bump(step, **fields)
    journey_event_record(
        journey=journey,
        step=step,
        kind=JourneyEvent.Kind.STEP_REASSIGNED,
        actor=by,
        now=now,
        status_before=step.status,
        status_after=fields.get("status", step.status),
        message=to.get_username(),
        visible_to_applicant=False,
    )
    step.refresh_from_db()
    return step


def blockable_steps(step: Step) -> list[Step]:
    """The journey's steps an information request from `step` may pause: those in a unit's
    hands (received, in progress, or already waiting for the applicant)."""
    return list(
        Step.objects.filter(journey_id=step.journey_id, status__in=Step.ACTIVE_STATUSES)
        .select_related("step_type", "unit")
        .order_by("step_type__order", "pk")
    )


def default_blocked(step: Step, candidates: list[Step]) -> list[Step]:
    """The asking step and every candidate that needs one of the same fields (fields every
    unit sees, such as the company's name, do not count: they would tie every step together)."""
    shared = {f["key"] for f in step.journey.journey_type.fields if f.get("shared")}
    needs = set(step.step_type.needs) - shared
    return [c for c in candidates if c.pk == step.pk or needs & set(c.step_type.needs)]


@transaction.atomic
def information_request_create(
    *,
    step: Step,
    by,
    items: list[str],
    due_date: dt.date,
    now: dt.datetime,
    expected_version: int | None = None,
    blocks: list[Step] | None = None,
) -> InformationRequest:
    """Ask the applicant for specific items; the clock stops until they answer, for the asking
    step and every step the request blocks (by default the active steps that need the same
    fields), all of which resume together when the answer comes."""
    journey, step = _locked(step, expected_version)
    if step.status != Step.Status.IN_PROGRESS or not journey.is_open:
        raise StepChanged
    if step.assignee_id != by.pk:
        raise NotAssignee
    candidates = blockable_steps(step)
    if blocks is None:
        blocked = default_blocked(step, candidates)
    else:
        wanted = {s.pk for s in blocks} | {step.pk}
        blocked = [c for c in candidates if c.pk in wanted]
    request = InformationRequest.objects.create(
        step=step, items=items, due_date=due_date, requested_by=by, requested_at=now
    )
    request.blocks.set(blocked)
    _bump(step, status=Step.Status.WAITING_FOR_APPLICANT, paused_at=now)
    for other in blocked:
        if other.pk == step.pk or other.status == Step.Status.WAITING_FOR_APPLICANT:
            continue  # already paused (by an earlier request): it waits for both answers
        _bump(other, status=Step.Status.WAITING_FOR_APPLICANT, paused_at=now)
        journey_event_record(
            journey=journey,
            step=other,
            kind=JourneyEvent.Kind.STEP_PAUSED,
            actor=by,
            now=now,
            status_before=other.status,
            status_after=Step.Status.WAITING_FOR_APPLICANT,
            message=step.step_type.name,
        )
    Journey.objects.filter(pk=journey.pk, status__in=Journey.OPEN_STATUSES).update(
        status=Journey.Status.WAITING_FOR_APPLICANT
    )
    journey_event_record(
        journey=journey,
        step=step,
        kind=JourneyEvent.Kind.INFORMATION_REQUESTED,
        actor=by,
        now=now,
        status_before=Step.Status.IN_PROGRESS,
        status_after=Step.Status.WAITING_FOR_APPLICANT,
        message="\n".join(items),
    )
    applicant_notify(journey=journey, what="information_requested", now=now, request=request)
    return request


@transaction.atomic
def note_add(
    *,
    step: Step,
    by,
    kind: str,
    text: str,
    visible_to_applicant: bool,
    now: dt.datetime,
    expected_version: int | None = None,
) -> JourneyEvent:
    """Journal a note, call or site visit on the case, with its author and time, while the case
    is with the unit: a closed case's record is final."""
    journey, step = _locked(step, expected_version)
    if step.status not in Step.ACTIVE_STATUSES or not journey.is_open:
        raise StepClosed
    _bump(step)
    return journey_event_record(
        journey=journey,
        step=step,
        kind=kind,
        actor=by,
        now=now,
        message=text,
        visible_to_applicant=visible_to_applicant,
    )


@transaction.atomic
def step_document_add(
    *,
    step: Step,
    by,
    upload,
    visible_to_applicant: bool,
    now: dt.datetime,
    expected_version: int | None = None,
) -> Document:
    """A unit's own document on its case (a site-visit photo, a letter sent), while the case is
    with the unit: stored once, attached to the step, on the journal; internal unless the
    caseworker shows it to the applicant. Only the unit of the step sees it (disclosure)."""
    journey, step = _locked(step, expected_version)
    if step.status not in Step.ACTIVE_STATUSES or not journey.is_open:
        raise StepClosed
    _bump(step)
    document = document_store(
        journey=journey,
        by=by,
        upload=upload,
        now=now,
        unit=step.unit,
        visible_to_applicant=visible_to_applicant,
    )
    document.steps.add(step)
    document_register(document=document, step=step)
    journey_event_record(
        journey=journey,
        step=step,
        kind=JourneyEvent.Kind.DOCUMENT_ADDED,
        actor=by,
        now=now,
        message=" ".join(filter(None, [document.registration_number, document.name])),
        visible_to_applicant=visible_to_applicant,
    )
    return document


@transaction.atomic
def step_delay_explain(
    *, step: Step, by, reason: str, now: dt.datetime, expected_version: int | None = None
) -> Step:
    """Record why a step will be late; the delay-notice sweep tells the applicant (FL 11 §)."""
    journey, step = _locked(step, expected_version)
    if step.status not in Step.ACTIVE_STATUSES:
        raise StepChanged
    _bump(step, delay_reason=reason)
    journey_event_record(
        journey=journey,
        step=step,
        kind=JourneyEvent.Kind.NOTE,
        actor=by,
        now=now,
        message=reason,
        visible_to_applicant=False,
    )
    step.refresh_from_db()
    return step


@transaction.atomic
def step_decide(
    *,
    step: Step,
    by,
    outcome: str,
    reasons: str,
    now: dt.datetime,
    appeal_instructions: str = "",
    communication_note: str = "",
    expected_version: int | None = None,
) -> Step:
    """Approve or reject a step in progress, and hand the journey on (or close it).

    The journey row is locked first, so two decisions in one journey are taken one after the
    other and see each other's result: no successor is handed off twice or missed. The same
    decision (outcome and reasons) by the same caseworker again returns the step as it is.
    """
    approved = outcome == Step.Outcome.APPROVE
    new_status = Step.Status.APPROVED if approved else Step.Status.REJECTED
    journey, step = _locked(step, None)
    if step.status == new_status and step.assignee_id == by.pk and step.reasons == reasons:
        return step  # the same decision sent again (a double click, a retry): already done
    if expected_version is not None and step.version != expected_version:
        raise StepChanged
    if step.status != Step.Status.IN_PROGRESS or not journey.is_open:
        raise StepChanged
    if step.assignee_id != by.pk:
        raise NotAssignee
    if _waits_for_earlier(step):
        raise StepChanged  # an earlier step was reopened; its recall is on the way
    if approved and decision_waits_for_payment(step=step):
        raise PaymentDue
    _bump(
        step,
        status=new_status,
        decided_at=now,
        reasons=reasons,
        appeal_instructions="" if approved else appeal_instructions,
        communication_note="" if approved else communication_note,
    )
    message = reasons if approved else f"{reasons}\n\n{appeal_instructions}".strip()
    journey_event_record(
        journey=journey,
        step=step,
        kind=JourneyEvent.Kind.STEP_APPROVED if approved else JourneyEvent.Kind.STEP_REJECTED,
        actor=by,
        now=now,
        status_before=step.status,
        status_after=new_status,
        message=message,
    )
    step.refresh_from_db()
    # The unit has decided: the opinions it asked other units for are no longer needed.
    consultations_withdraw(step=step, because=Consultation.WithdrawnBecause.STEP_DECIDED, now=now)
    invoice_at_decision(step=step, now=now)
    letters_publish(step=step)
    applicant_notify(
        journey=journey,
        what="step_decided",
        now=now,
        step=step,
        letter_url=decision_letter_url(step),
    )
    if approved:
        _after_approval(journey=journey, now=now)
    else:
        _close_rejected(journey=journey, now=now, by=by)
    return step


def _waits_for_earlier(step: Step) -> bool:
    """A step it depends on is no longer approved (reopened or sent back to)."""
    earlier = step_dependencies(step.journey.journey_type_id).get(step.step_type_id)
    if not earlier:
        return False
    return (
        Step.objects.filter(journey_id=step.journey_id, step_type_id__in=earlier)
        .exclude(status=Step.Status.APPROVED)
        .exists()
    )


def _after_approval(*, journey: Journey, now: dt.datetime) -> None:
    if not journey.steps.exclude(status=Step.Status.APPROVED).exists():
        Journey.objects.filter(pk=journey.pk).update(status=Journey.Status.COMPLETED, closed_at=now)
        journey_event_record(
            journey=journey,
            kind=JourneyEvent.Kind.COMPLETED,
            now=now,
            status_before=journey.status,
            status_after=Journey.Status.COMPLETED,
        )
        # Each step withdrew its own when decided; this closes any left by another path.
        consultations_withdraw(
            journey=journey, because=Consultation.WithdrawnBecause.JOURNEY_CLOSED, now=now
        )
        applicant_notify(journey=journey, what="completed", now=now)
        return
    handoffs_create(journey=journey, steps=ready_steps(journey), now=now)


def _close_rejected(*, journey: Journey, now: dt.datetime, by) -> None:
    """A rejection ends the journey: steps not yet started are cancelled here, steps in other
    units' queues through a cancel handoff, so those units are told. Every consultation still
    open is withdrawn, and the unpaid invoices of the steps that will not be decided are
    cancelled now (the cancel handoff's delivery finds them so)."""
    Journey.objects.filter(pk=journey.pk).update(status=Journey.Status.REJECTED, closed_at=now)
    journey_event_record(
        journey=journey,
        kind=JourneyEvent.Kind.CLOSED_REJECTED,
        actor=by,
        now=now,
        status_before=journey.status,
        status_after=Journey.Status.REJECTED,
    )
    for step in journey.steps.filter(status=Step.Status.WAITING):
        _bump(step, status=Step.Status.CANCELLED, decided_at=now)
        journey_event_record(
            journey=journey,
            step=step,
            kind=JourneyEvent.Kind.STEP_CANCELLED,
            now=now,
            status_before=Step.Status.WAITING,
            status_after=Step.Status.CANCELLED,
        )
    consultations_withdraw(
        journey=journey, because=Consultation.WithdrawnBecause.JOURNEY_CLOSED, now=now
    )
    undecided = list(journey.steps.exclude(status__in=Step.DECIDED_STATUSES))
    invoices_cancel(steps=undecided, now=now)
    handoffs_create(journey=journey, steps=list(journey.steps.in_queue()), now=now, kind="cancel")


class NoClaimToConfirm(Exception):
    """The journey is not for an organisation, or its applicant's right is recorded already."""


@transaction.atomic
def journey_representative_confirm(*, step: Step, by, now: dt.datetime) -> Representative:
    """A caseworker of a unit that holds the case confirms the applicant's claimed right to
    represent the organisation applied for; from then on its other representatives' rights
    are theirs to grant by invitation, and the journey's log says who confirmed it."""
    journey, step = _locked(step, None)
    if step.status not in Step.ACTIVE_STATUSES or not journey.is_open:
        raise StepClosed
    claim = representative_for(organisation_id=journey.organisation_id, user=journey.applicant)
    if claim is None or claim.is_recorded:
        raise NoClaimToConfirm
    representative = representative_confirm(representative=claim, by=by, now=now)
    journey_event_record(
        journey=journey,
        step=step,
        kind=JourneyEvent.Kind.REPRESENTATIVE_RECORDED,
        actor=by,
        now=now,
        message=f"{representative.name}: {journey.organisation}",
    )
    return representative
