"""Use-cases that change journeys: each runs in one transaction, writes its events, and publishes
its handoffs only after commit (DESIGN.md, "The handoff protocol")."""

import datetime as dt
import logging
from functools import partial

from celery import current_app
from django.db import transaction
from django.db.models import F

from journeys.models import (
    Handoff,
    Journey,
    JourneyEvent,
    JourneyType,
    ReferenceSequence,
    Step,
)

logger = logging.getLogger(__name__)

HANDOFF_TASK = "journeys.tasks.handoff_deliver"


class StepChanged(Exception):
    """The step is no longer in the state the caseworker saw; nothing was changed."""


class NotAssignee(StepChanged):
    """Only the caseworker who took the step may decide it."""


# Events ---------------------------------------------------------------------------------------


def journey_event_record(
    *,
    journey: Journey,
    kind: str,
    now: dt.datetime,
    actor=None,
    step: Step | None = None,
    status_before: str = "",
    status_after: str = "",
    message: str = "",
    visible_to_applicant: bool = True,
) -> JourneyEvent:
    event = JourneyEvent.objects.create(
        journey=journey,
        step=step,
        kind=kind,
        actor=actor,
        created_at=now,
        status_before=status_before,
        status_after=status_after,
        message=message,
        visible_to_applicant=visible_to_applicant,
    )
    Journey.objects.filter(pk=journey.pk, last_event_at__lt=now).update(last_event_at=now)
    return event


# Citizen side ---------------------------------------------------------------------------------


@transaction.atomic
def journey_start(*, journey_type: JourneyType, applicant, now: dt.datetime) -> Journey:
    journey = Journey.objects.create(
        journey_type=journey_type, applicant=applicant, created_at=now, last_event_at=now
    )
    journey_event_record(journey=journey, kind=JourneyEvent.Kind.STARTED, actor=applicant, now=now)
    return journey


def journey_save_answers(*, journey: Journey, answers: dict) -> Journey:
    """Store answers to a draft; a submitted journey's data no longer changes here."""
    if journey.status != Journey.Status.DRAFT:
        return journey
    journey.data = {**journey.data, **answers}
    journey.save(update_fields=["data"])
    return journey


def _next_reference(prefix: str, year: int) -> str:
    sequence, _ = ReferenceSequence.objects.select_for_update().get_or_create(
        prefix=prefix, year=year
    )
    ReferenceSequence.objects.filter(pk=sequence.pk).update(last_number=F("last_number") + 1)
    sequence.refresh_from_db(fields=["last_number"])
    return f"{prefix}-{year}-{sequence.last_number:06d}"


@transaction.atomic
def journey_submit(*, journey: Journey, by, now: dt.datetime) -> Journey:
    """Give the journey its reference, create its steps and hand the first ones to their units."""
    journey = Journey.objects.select_for_update().get(pk=journey.pk)
    if journey.status != Journey.Status.DRAFT:
        return journey
    journey.reference = _next_reference(journey.journey_type.reference_prefix, now.year)
    journey.status = Journey.Status.SUBMITTED
    journey.submitted_at = now
    journey.save(update_fields=["reference", "status", "submitted_at"])
    Step.objects.bulk_create(
        Step(journey=journey, step_type=step_type, unit_id=step_type.unit_id)
        for step_type in journey.journey_type.steps.all()
        if step_type.applies_to(journey.data)
    )
    journey_event_record(
        journey=journey,
        kind=JourneyEvent.Kind.SUBMITTED,
        actor=by,
        now=now,
        status_before=Journey.Status.DRAFT,
        status_after=Journey.Status.SUBMITTED,
    )
    _handoffs_create(journey=journey, steps=_ready_steps(journey), now=now)
    return journey


# Caseworker side ------------------------------------------------------------------------------


@transaction.atomic
def step_claim(*, step: Step, by, now: dt.datetime) -> Step:
    """Take a received step; claiming a step one already holds changes nothing."""
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
            visible_to_applicant=True,
        )
    elif step.assignee_id != by.pk:
        raise StepChanged
    return step


@transaction.atomic
def step_decide(
    *,
    step: Step,
    by,
    outcome: str,
    reasons: str,
    now: dt.datetime,
    expected_version: int | None = None,
) -> Step:
    """Approve or reject a step in progress, and hand the journey on (or close it).

    The journey row is locked first, so two decisions in one journey are taken one after the
    other and see each other's result: no successor is handed off twice or missed.
    """
    journey = Journey.objects.select_for_update().get(pk=step.journey_id)
    step = Step.objects.select_related("step_type").get(pk=step.pk)
    if expected_version is not None and step.version != expected_version:
        raise StepChanged
    if step.status != Step.Status.IN_PROGRESS or not journey.is_open:
        raise StepChanged
    if step.assignee_id != by.pk:
        raise NotAssignee
    approved = outcome == Step.Outcome.APPROVE
    new_status = Step.Status.APPROVED if approved else Step.Status.REJECTED
    Step.objects.filter(pk=step.pk).update(
        status=new_status, decided_at=now, reasons=reasons, version=F("version") + 1
    )
    journey_event_record(
        journey=journey,
        step=step,
        kind=JourneyEvent.Kind.STEP_APPROVED if approved else JourneyEvent.Kind.STEP_REJECTED,
        actor=by,
        now=now,
        status_before=step.status,
        status_after=new_status,
        message=reasons,
    )
    if approved:
        _after_approval(journey=journey, now=now)
    else:
        _close_rejected(journey=journey, now=now, by=by)
    step.refresh_from_db()
    return step


def _after_approval(*, journey: Journey, now: dt.datetime) -> None:
    steps = list(journey.steps.all())
    if all(s.status == Step.Status.APPROVED for s in steps):
        Journey.objects.filter(pk=journey.pk).update(status=Journey.Status.COMPLETED, closed_at=now)
        journey_event_record(
            journey=journey,
            kind=JourneyEvent.Kind.COMPLETED,
            now=now,
            status_before=journey.status,
            status_after=Journey.Status.COMPLETED,
        )
        return
    _handoffs_create(journey=journey, steps=_ready_steps(journey), now=now)


def _close_rejected(*, journey: Journey, now: dt.datetime, by) -> None:
    """A rejection ends the journey: steps not yet started are cancelled here, steps in other
    units' queues through a cancel handoff, so those units are told."""
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
        Step.objects.filter(pk=step.pk).update(
            status=Step.Status.CANCELLED, decided_at=now, version=F("version") + 1
        )
        journey_event_record(
            journey=journey,
            step=step,
            kind=JourneyEvent.Kind.STEP_CANCELLED,
            now=now,
            status_before=Step.Status.WAITING,
            status_after=Step.Status.CANCELLED,
        )
    _handoffs_create(
        journey=journey,
        steps=list(journey.steps.in_queue()),
        now=now,
        kind=Handoff.Kind.CANCEL,
    )


def _ready_steps(journey: Journey) -> list[Step]:
    """Waiting steps whose every dependency is approved (or not part of this journey)."""
    steps = list(
        journey.steps.select_related("step_type").prefetch_related("step_type__depends_on")
    )
    status_by_type = {s.step_type_id: s.status for s in steps}
    return [
        s
        for s in steps
        if s.status == Step.Status.WAITING
        and all(
            status_by_type.get(dep.pk, Step.Status.APPROVED) == Step.Status.APPROVED
            for dep in s.step_type.depends_on.all()
        )
    ]


# Handoffs -------------------------------------------------------------------------------------


def _handoffs_create(
    *, journey: Journey, steps: list[Step], now: dt.datetime, kind: str = Handoff.Kind.ACTIVATE
) -> list[Handoff]:
    """Write one outbox row per step (never a second one of a kind) and publish after commit."""
    already = set(
        Handoff.objects.filter(step__journey=journey, kind=kind).values_list("step_id", flat=True)
    )
    handoffs = Handoff.objects.bulk_create(
        Handoff(step=s, unit_id=s.unit_id, kind=kind, created_at=now)
        for s in steps
        if s.pk not in already
    )
    for handoff in handoffs:
        if kind == Handoff.Kind.ACTIVATE:
            journey_event_record(
                journey=journey,
                step=handoff.step,
                kind=JourneyEvent.Kind.HANDOFF_SENT,
                now=now,
                visible_to_applicant=False,
            )
    if handoffs:
        transaction.on_commit(partial(handoffs_publish, [h.pk for h in handoffs]))
    return handoffs


def handoffs_publish(handoff_ids: list[int], *, now: dt.datetime | None = None) -> int:
    """Send each handoff's task to its unit's queue. A failure is recorded, not raised: the
    sweep publishes it again. Returns how many were published."""
    from django.utils import timezone

    now = now or timezone.now()
    published = 0
    for handoff in Handoff.objects.filter(pk__in=handoff_ids).select_related("unit"):
        try:
            current_app.send_task(HANDOFF_TASK, args=[handoff.pk], queue=handoff.unit.queue_name)
        except Exception as error:  # the broker is down or unreachable: the sweep retries
            logger.warning("Handoff %s not published: %s", handoff.pk, error)
            Handoff.objects.filter(pk=handoff.pk).update(last_error=f"publish: {error}"[:2000])
            continue
        Handoff.objects.filter(pk=handoff.pk).update(
            published_at=now, publish_count=F("publish_count") + 1
        )
        published += 1
    return published


@transaction.atomic
def handoff_deliver(*, handoff_id: int, now: dt.datetime) -> Handoff | None:
    """Carry out a handoff in the receiving unit. Safe to repeat: a delivered handoff, or a step
    already past the state it expects, changes nothing."""
    handoff = (
        Handoff.objects.select_for_update()
        .select_related("step__step_type", "step__journey", "unit")
        .filter(pk=handoff_id)
        .first()
    )
    if handoff is None or handoff.delivered_at is not None:
        return handoff
    step = handoff.step
    if handoff.kind == Handoff.Kind.ACTIVATE:
        _step_activate(step=step, unit=handoff.unit, now=now)
    else:
        _step_cancel(step=step, now=now)
    Handoff.objects.filter(pk=handoff.pk).update(
        delivered_at=now, attempts=F("attempts") + 1, last_error=""
    )
    handoff.refresh_from_db()
    return handoff


def _step_activate(*, step: Step, unit, now: dt.datetime) -> None:
    step_type = step.step_type
    due_at = (
        unit.due_at(now, step_type.deadline_days, working_days=step_type.deadline_working_days)
        if step_type.deadline_days
        else None
    )
    activated = Step.objects.filter(pk=step.pk, status=Step.Status.WAITING).update(
        status=Step.Status.QUEUED, activated_at=now, due_at=due_at, version=F("version") + 1
    )
    if not activated:
        return
    Journey.objects.filter(pk=step.journey_id, status=Journey.Status.SUBMITTED).update(
        status=Journey.Status.IN_PROGRESS
    )
    journey_event_record(
        journey=step.journey,
        step=step,
        kind=JourneyEvent.Kind.STEP_QUEUED,
        now=now,
        status_before=Step.Status.WAITING,
        status_after=Step.Status.QUEUED,
    )


def _step_cancel(*, step: Step, now: dt.datetime) -> None:
    cancelled = Step.objects.filter(pk=step.pk, status__in=Step.ACTIVE_STATUSES).update(
        status=Step.Status.CANCELLED, decided_at=now, version=F("version") + 1
    )
    if cancelled:
        journey_event_record(
            journey=step.journey,
            step=step,
            kind=JourneyEvent.Kind.STEP_CANCELLED,
            now=now,
            status_before=step.status,
            status_after=Step.Status.CANCELLED,
        )


def handoffs_sweep(*, now: dt.datetime) -> int:
    """Publish again every handoff left undelivered past the grace period. Returns the count."""
    stuck = list(Handoff.objects.overdue_for_delivery(now=now).values_list("pk", flat=True))
    return handoffs_publish(stuck, now=now) if stuck else 0
