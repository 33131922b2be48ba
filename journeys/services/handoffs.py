"""The outbox: a handoff is a database fact first, a message second."""

import datetime as dt
from functools import partial

from django.db import transaction
from django.db.models import DateTimeField, F, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from journeys.graph import graph_ready, step_dependencies
from journeys.models import (
    Consultation,
    FailedTask,
    Handoff,
    InformationRequest,
    Journey,
    JourneyEvent,
    OutgoingEmail,
    Step,
)
from journeys.services.consultation_withdrawal import consultations_withdraw
from journeys.services.emails import outgoing_emails_create
from journeys.services.events import journey_event_record
from journeys.services.outbox import outbox_of_task, outbox_publish
from journeys.services.registration import step_register
from journeys.versions import lists_changed
from payments.services import invoices_cancel


def ready_steps(journey: Journey) -> list[Step]:
    """Waiting steps whose every dependency is approved (or not part of this journey)."""
    steps = {s.step_type_id: s for s in journey.steps.select_related("step_type")}
    status = {type_id: s.status for type_id, s in steps.items()}
    return [steps[t] for t in graph_ready(step_dependencies(journey.journey_type_id), status)]


def handoffs_create(
    *,
    journey: Journey,
    steps: list[Step],
    now: dt.datetime,
    kind: str = Handoff.Kind.ACTIVATE,
    information_request: InformationRequest | None = None,
) -> list[Handoff]:
    """Write one outbox row per step (never a second activation or cancellation of a step) and
    publish them after commit. The caller holds the journey's row lock."""
    already = set()
    if kind != Handoff.Kind.RESUME:
        already = set(
            Handoff.objects.filter(
                step__journey=journey, kind=kind, superseded_at__isnull=True
            ).values_list("step_id", flat=True)
        )
    handoffs = Handoff.objects.bulk_create(
        Handoff(
            step=s,
            unit_id=s.unit_id,
            kind=kind,
            created_at=now,
            information_request=information_request,
        )
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


def handoffs_publish(
    handoff_ids: list[int], *, now: dt.datetime | None = None, after_commit: bool = True
) -> int:
    """Send each handoff's task to its unit's queue. A failure is recorded, not raised: the
    relay publishes it again (see outbox_publish). Returns how many were published."""
    return outbox_publish(
        Handoff.objects.filter(pk__in=handoff_ids).select_related("unit"),
        now=now or timezone.now(),
        after_commit=after_commit,
    )


@transaction.atomic
def handoff_deliver(*, handoff_id: int, now: dt.datetime) -> Handoff | None:
    """Carry out a handoff in the receiving unit. Safe to repeat: a delivered handoff, or a step
    already past the state it expects, changes nothing."""
    # Lock the handoff, its step and the journey (so a delivery and a decision in one journey
    # take turns), not the unit and step type joined in: locking those made every delivery to a
    # unit wait for the one before and held up other journeys' inserts that refer to them.
    # The journey's row first, as every change within a journey takes it (a reopening that
    # supersedes this very handoff holds the journey and then writes the handoff's row: taking
    # them the other way round here deadlocked the two).
    Journey.objects.select_for_update(of=("self",)).filter(steps__handoffs__pk=handoff_id).exists()
    handoff = (
        Handoff.objects.select_for_update(of=("self", "step", "step__journey"))
        .select_related("step__step_type", "step__journey", "unit")
        .filter(pk=handoff_id)
        .first()
    )
    if handoff is None or handoff.delivered_at is not None:
        return handoff
    if handoff.superseded_at is not None:
        return handoff  # a reopening, send-back or transfer cancelled it before it arrived
    deliver = {
        Handoff.Kind.ACTIVATE: _step_activate,
        Handoff.Kind.RESUME: _step_resume,
        Handoff.Kind.CANCEL: _step_cancel,
        Handoff.Kind.RECALL: _step_recall,
    }[handoff.kind]
    deliver(step=handoff.step, unit=handoff.unit, now=now)
    Handoff.objects.filter(pk=handoff.pk).update(
        delivered_at=now, attempts=F("attempts") + 1, last_error=""
    )
    # The row is locked, so what was written is known without reading it back.
    handoff.delivered_at, handoff.attempts, handoff.last_error = now, handoff.attempts + 1, ""
    # A handoff delivered late leaves the dashboard's failed ones (one that changed its step
    # moved the lists already, with its event: the same statement after the commit).
    lists_changed()
    return handoff


def _notify_unit(step: Step, unit, kind: OutgoingEmail.Kind, now: dt.datetime) -> None:
    """Tell the unit's members by e-mail (an outbox row in this transaction), sent from a task on
    the unit's own queue after commit. A unit that works in its own system is not e-mailed: the
    system learns of the change from the same event, as a webhook or in the change feed."""
    if unit.works_in_own_system:
        return
    outgoing_emails_create(
        kind=kind, journey=step.journey, step=step, queue=unit.queue_name, now=now
    )


def _step_activate(*, step: Step, unit, now: dt.datetime) -> None:
    step_type = step.step_type
    due_at = (
        unit.due_at(now, step_type.deadline_days, working_days=step_type.deadline_working_days)
        if step_type.deadline_days
        else None
    )
    # A transferred step keeps the due date it had: the applicant's clock does not restart
    # because the case reached the wrong unit first.
    activated = Step.objects.filter(pk=step.pk, status=Step.Status.WAITING).update(
        status=Step.Status.QUEUED,
        activated_at=Coalesce(F("activated_at"), Value(now)),
        due_at=Coalesce(F("due_at"), Value(due_at, output_field=DateTimeField())),
        version=F("version") + 1,
    )
    if not activated:
        return
    registered = step_register(step=step, unit=unit, now=now)
    if step.journey.status == Journey.Status.SUBMITTED:  # read under the journey's lock
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
        message=registered,
    )
    _notify_unit(step, unit, OutgoingEmail.Kind.STEP_QUEUED, now)


def _step_resume(*, step: Step, unit, now: dt.datetime) -> None:
    """Back to the caseworker after the applicant's answer; the due date moves by the pause."""
    step = Step.objects.select_for_update(of=("self",)).select_related("step_type").get(pk=step.pk)
    if step.status != Step.Status.WAITING_FOR_APPLICANT:
        return
    if step.blocking_requests.filter(answered_at__isnull=True).exists():
        return  # another request still pauses it: it resumes with that one's answer
    # Back to whoever held it; a step paused before anyone took it goes back to the queue.
    resumed = Step.Status.IN_PROGRESS if step.assignee_id else Step.Status.QUEUED
    paused_at = step.paused_at or now
    due_at = step.due_at
    if due_at is not None:
        due_at = unit.due_after_pause(
            due_at, paused_at, now, working_days=step.step_type.deadline_working_days
        )
    paused_days = (timezone.localtime(now).date() - timezone.localtime(paused_at).date()).days
    Step.objects.filter(pk=step.pk).update(
        status=resumed,
        due_at=due_at,
        paused_at=None,
        paused_days=F("paused_days") + paused_days,
        version=F("version") + 1,
    )
    if not step.journey.steps.filter(status=Step.Status.WAITING_FOR_APPLICANT).exists():
        Journey.objects.filter(
            pk=step.journey_id, status=Journey.Status.WAITING_FOR_APPLICANT
        ).update(status=Journey.Status.IN_PROGRESS)
    journey_event_record(
        journey=step.journey,
        step=step,
        kind=JourneyEvent.Kind.STEP_RESUMED,
        now=now,
        status_before=Step.Status.WAITING_FOR_APPLICANT,
        status_after=resumed,
    )
    _notify_unit(step, unit, OutgoingEmail.Kind.STEP_RESUMED, now)


def _step_cancel(*, step: Step, unit, now: dt.datetime) -> None:
    """Out of the unit's hands: the consultations it asked are withdrawn and its unpaid invoice
    is cancelled (the fee of a step nobody decides is not owed). Any open step: a withdrawal
    cancels steps still waiting for earlier ones this way too (journeys.services.withdrawing);
    only a unit the case had reached is told."""
    cancelled = Step.objects.filter(pk=step.pk, status__in=Step.OPEN_STATUSES).update(
        status=Step.Status.CANCELLED, decided_at=now, version=F("version") + 1
    )
    if cancelled:
        consultations_withdraw(
            step=step, because=Consultation.WithdrawnBecause.STEP_CANCELLED, now=now
        )
        invoices_cancel(steps=[step], now=now)
        journey_event_record(
            journey=step.journey,
            step=step,
            kind=JourneyEvent.Kind.STEP_CANCELLED,
            now=now,
            status_before=step.status,
            status_after=Step.Status.CANCELLED,
        )
        if step.status in Step.ACTIVE_STATUSES:
            _notify_unit(step, unit, OutgoingEmail.Kind.STEP_CANCELLED, now)


def _step_recall(*, step: Step, unit, now: dt.datetime) -> None:
    """A step it depended on was reopened or sent back: out of the unit's queue, back to
    waiting for it, with the warnings of this round cleared, and the unit is told. If that step
    was decided again before this arrived, the case is handed on again at once."""
    status_before = Step.objects.filter(pk=step.pk).values_list("status", flat=True).get()
    recalled = Step.objects.filter(pk=step.pk, status__in=Step.ACTIVE_STATUSES).update(
        status=Step.Status.WAITING,
        assignee=None,
        activated_at=None,
        started_at=None,
        due_at=None,
        paused_at=None,
        version=F("version") + 1,
        **Step.WARNINGS_CLEARED,
    )
    if not recalled:
        return
    journey = step.journey
    if not journey.steps.filter(status=Step.Status.WAITING_FOR_APPLICANT).exists():
        Journey.objects.filter(pk=journey.pk, status=Journey.Status.WAITING_FOR_APPLICANT).update(
            status=Journey.Status.IN_PROGRESS
        )
    journey_event_record(
        journey=journey,
        step=step,
        kind=JourneyEvent.Kind.STEP_RECALLED,
        now=now,
        status_before=status_before,
        status_after=Step.Status.WAITING,
    )
    _notify_unit(step, unit, OutgoingEmail.Kind.STEP_RECALLED, now)
    # Waiting for the earlier step again, the unit no longer needs the opinions it asked.
    consultations_withdraw(step=step, because=Consultation.WithdrawnBecause.STEP_RECALLED, now=now)
    Handoff.objects.filter(
        step=step, kind=Handoff.Kind.ACTIVATE, superseded_at__isnull=True
    ).update(superseded_at=now)
    ready = [s for s in ready_steps(journey) if s.pk == step.pk]
    handoffs_create(journey=journey, steps=ready, now=now)


def handoffs_sweep(*, now: dt.datetime) -> int:
    """Publish again every handoff left undelivered past the grace period. Returns the count."""
    stuck = list(Handoff.objects.overdue_for_delivery(now=now).values_list("pk", flat=True))
    return handoffs_publish(stuck, now=now, after_commit=False) if stuck else 0


def handoffs_relay(*, now: dt.datetime, after: dt.timedelta) -> int:
    """Publish every undelivered handoff never published and older than `after` (its publish
    after commit failed, or never ran). Returns the count."""
    unpublished = Handoff.objects.unpublished(before=now - after).values_list("pk", flat=True)
    ids = list(unpublished)
    return handoffs_publish(ids, now=now, after_commit=False) if ids else 0


def task_failure_record(
    *, task_id: str, task_name: str, args: list, error: str, now: dt.datetime
) -> None:
    """Keep a task that failed after its last retry as a dead-letter row (once per task id);
    a failed handoff or e-mail also keeps the error, so coordinators see it beside the journey.
    A dead-lettered e-mail is left out of the sweep: it needs a person."""
    outbox = outbox_of_task(task_name)
    row_id = args[0] if outbox is not None and args else None
    if row_id is not None and not outbox.objects.filter(pk=row_id).exists():
        row_id = None
    _, created = FailedTask.objects.get_or_create(
        task_id=task_id,
        defaults={
            "task_name": task_name,
            "args": args,
            "error": error[:5000],
            "failed_at": now,
            "handoff_id": row_id if outbox is Handoff else None,
            "outgoing_email_id": row_id if outbox is OutgoingEmail else None,
        },
    )
    if created and row_id is not None:
        outbox.objects.filter(pk=row_id).update(last_error=error[:2000])
    if created:
        lists_changed()  # the dashboard lists failed tasks, and failed handoffs' errors
