"""Withdrawing consultations (remiss) whose asking step no longer needs the opinion: the step was
decided, cancelled, recalled to waiting, sent back or transferred, or its journey closed. A
withdrawn consultation leaves the consulted unit's queue and overdue figures and can no longer
be answered; the consulted unit is told by e-mail, and the journey's timeline shows it.

Called by the services that stop or move a step (casework, handoffs, reopening), inside their
transaction and under the journey's row lock, which consultation_answer takes too: an answer
and a withdrawal of one consultation take turns, and the second finds it closed."""

import datetime as dt

from django.db import transaction

from journeys.models import Consultation, Journey, JourneyEvent, OutgoingEmail, Step
from journeys.services.emails import outgoing_emails_create
from journeys.services.events import journey_event_record


@transaction.atomic
def consultations_withdraw(
    *,
    step: Step | None = None,
    journey: Journey | None = None,
    because: Consultation.WithdrawnBecause,
    now: dt.datetime,
) -> list[Consultation]:
    """Withdraw every open consultation `step` asked (or, given `journey`, that any of its
    steps asked), with the reason. Safe to repeat: an answered or withdrawn consultation is
    left as it is. Returns those withdrawn now."""
    if (step is None) == (journey is None):
        raise TypeError("Give either a step or a journey.")
    journey_id = journey.pk if journey is not None else step.journey_id
    journey = Journey.objects.select_for_update().get(pk=journey_id)  # held already by callers
    scope = {"step": step} if step is not None else {"step__journey": journey}
    open_ids = list(Consultation.objects.open().filter(**scope).values_list("pk", flat=True))
    if not open_ids:
        return []
    Consultation.objects.open().filter(pk__in=open_ids).update(
        withdrawn_at=now, withdrawn_because=because
    )
    withdrawn = list(
        Consultation.objects.filter(pk__in=open_ids, withdrawn_at=now)
        .select_related("step", "unit")
        .order_by("pk")
    )
    for consultation in withdrawn:
        journey_event_record(
            journey=journey,
            step=consultation.step,
            kind=JourneyEvent.Kind.CONSULTATION_WITHDRAWN,
            now=now,
            message=consultation.unit.name,
        )
        outgoing_emails_create(
            kind=OutgoingEmail.Kind.CONSULTATION_WITHDRAWN,
            now=now,
            journey=journey,
            step=consultation.step,
            consultation=consultation,
            queue=consultation.unit.queue_name,  # as the question went: the consulted unit's
        )
    return withdrawn
