"""What a coordinator does above the units: escalate a step to its unit's leads, remind the
applicant of unanswered requests, send a failed handoff again."""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from journeys.models import (
    Handoff,
    InformationRequest,
    Journey,
    JourneyEvent,
    OutgoingEmail,
    Step,
)
from journeys.services.emails import outgoing_emails_create
from journeys.services.events import journey_event_record
from journeys.services.handoffs import handoffs_publish
from journeys.services.messages import applicant_notify


@transaction.atomic
def journey_escalate(*, journey: Journey, step: Step, by, message: str, now: dt.datetime):
    """Escalate a step to its unit's leads: on the timeline and by e-mail, with who and when."""
    event = journey_event_record(
        journey=journey,
        step=step,
        kind=JourneyEvent.Kind.ESCALATED,
        actor=by,
        now=now,
        message=message,
        visible_to_applicant=False,
    )
    outgoing_emails_create(
        kind=OutgoingEmail.Kind.ESCALATION, journey=journey, step=step, event=event, now=now
    )
    return event


@transaction.atomic
def applicant_remind(*, journey: Journey, by, now: dt.datetime) -> int:
    """Remind the applicant of every request they have not answered by its due date."""
    if not journey.is_open:
        return 0
    overdue = list(
        _unanswered(journey, timezone.localdate(now)).select_related(
            "step__step_type", "step__unit"
        )
    )
    for request in overdue:
        applicant_notify(journey=journey, what="reminder", now=now, request=request)
        journey_event_record(
            journey=journey,
            step=request.step,
            kind=JourneyEvent.Kind.APPLICANT_REMINDED,
            actor=by,
            now=now,
            visible_to_applicant=False,
        )
    return len(overdue)


def _unanswered(journey: Journey, today: dt.date):
    return InformationRequest.objects.filter(
        step__journey=journey, answered_at__isnull=True, due_date__lt=today
    )


def handoff_republish(*, handoff: Handoff, by, now: dt.datetime) -> bool:
    """Publish an undelivered handoff again at a coordinator's request (logged on the journey)."""
    if handoff.delivered_at is not None:
        return False
    with transaction.atomic():
        journey_event_record(
            journey=handoff.step.journey,
            step=handoff.step,
            kind=JourneyEvent.Kind.HANDOFF_REPUBLISHED,
            actor=by,
            now=now,
            visible_to_applicant=False,
        )
    return handoffs_publish([handoff.pk], now=now, after_commit=False) == 1
