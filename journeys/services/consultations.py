"""Consultation between units (remiss): a caseworker asks another unit's opinion on their step;
the question waits in that unit's queue, and the answer is attached to the asking step."""

import datetime as dt

from django.db import transaction

from journeys.models import Consultation, Journey, JourneyEvent, OutgoingEmail, Step
from journeys.services.casework import NotAssignee, StepChanged, StepClosed, _bump, _locked
from journeys.services.emails import outgoing_emails_create
from journeys.services.events import journey_event_record
from units.models import Unit


class SameUnit(StepChanged):
    """A unit cannot consult itself."""


class ConsultationAnswered(StepChanged):
    """The consultation was answered already."""


class ConsultationWithdrawn(StepChanged):
    """The asking unit no longer needs the opinion: the consultation was withdrawn."""


@transaction.atomic
def consultation_request(
    *,
    step: Step,
    by,
    unit: Unit,
    question: str,
    due_date: dt.date,
    now: dt.datetime,
    expected_version: int | None = None,
) -> Consultation:
    """Ask `unit` for its opinion on `step` by `due_date`. The step's caseworker asks, while the
    case is with the unit; the consulted unit is told through the e-mail outbox."""
    journey, step = _locked(step, expected_version)
    if step.status not in Step.ACTIVE_STATUSES or not journey.is_open:
        raise StepClosed
    if step.assignee_id != by.pk:
        raise NotAssignee
    if unit.pk == step.unit_id:
        raise SameUnit
    consultation = Consultation.objects.create(
        step=step,
        unit=unit,
        question=question,
        due_date=due_date,
        requested_by=by,
        requested_at=now,
    )
    _bump(step)
    journey_event_record(
        journey=journey,
        step=step,
        kind=JourneyEvent.Kind.CONSULTATION_REQUESTED,
        actor=by,
        now=now,
        message=unit.name,
        other_unit=unit,  # the question is in the consulted unit's queue: its systems hear too
    )
    outgoing_emails_create(
        kind=OutgoingEmail.Kind.CONSULTATION,
        now=now,
        journey=journey,
        step=step,
        consultation=consultation,
        queue=unit.queue_name,  # on the consulted unit's queue, as a handed step's notice is
    )
    return consultation


@transaction.atomic
def consultation_answer(
    *, consultation: Consultation, by, answer: str, now: dt.datetime
) -> Consultation:
    """Record the consulted unit's answer, once, while the consultation is open; it is attached
    to the asking step. A withdrawn consultation takes no answer."""
    journey = Journey.objects.select_for_update().get(pk=consultation.step.journey_id)
    answered = (
        Consultation.objects.open()
        .filter(pk=consultation.pk)
        .update(answer=answer, answered_by=by, answered_at=now)
    )
    consultation.refresh_from_db()
    if not answered:
        raise ConsultationWithdrawn if consultation.is_withdrawn else ConsultationAnswered
    journey_event_record(
        journey=journey,
        step=consultation.step,
        kind=JourneyEvent.Kind.CONSULTATION_ANSWERED,
        actor=by,
        now=now,
        message=consultation.unit.name,
        other_unit=consultation.unit,
    )
    return consultation
