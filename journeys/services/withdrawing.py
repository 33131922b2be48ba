"""The applicant withdraws a submitted application (issue 17): the journey closes as withdrawn,
every step not yet decided is cancelled in its unit through a cancel handoff (the unit is told if
the case had reached it), decided steps keep their decisions, and the applicant is sent a
confirmation. The reason, if given, is on the journey's timeline."""

import datetime as dt

from django.db import transaction

from journeys.models import Handoff, Journey, JourneyEvent, Step
from journeys.services.events import journey_event_record
from journeys.services.handoffs import handoffs_create
from journeys.services.messages import applicant_notify

# Handoffs that would still move a cancelled step: into a queue, back to its unit after an
# answer, back to waiting. One still in the broker changes nothing once superseded.
MOOT_KINDS = (Handoff.Kind.ACTIVATE, Handoff.Kind.RESUME, Handoff.Kind.RECALL)


class NotWithdrawable(Exception):
    """The journey is not open (a draft, completed, closed after a rejection, or withdrawn
    already): nothing was changed."""

    def __init__(self, status: str):
        super().__init__(status)
        self.status = status


@transaction.atomic
def journey_withdraw(*, journey: Journey, by, reason: str, now: dt.datetime) -> Journey:
    """Withdraw an open journey on its applicant's request (or a representative's, who acts on
    it). Raises NotWithdrawable when it is not open."""
    journey = Journey.objects.select_for_update().select_related("journey_type").get(pk=journey.pk)
    if not journey.is_open:
        raise NotWithdrawable(journey.status)
    status_before = journey.status
    journey.status, journey.closed_at = Journey.Status.WITHDRAWN, now
    journey.save(update_fields=["status", "closed_at"])
    reason = reason.strip()
    journey_event_record(
        journey=journey,
        kind=JourneyEvent.Kind.WITHDRAWN,
        actor=by,
        now=now,
        status_before=status_before,
        status_after=Journey.Status.WITHDRAWN,
        message=reason,
    )
    open_steps = list(journey.steps.filter(status__in=Step.OPEN_STATUSES).order_by("pk"))
    Handoff.objects.filter(
        step__in=open_steps,
        kind__in=MOOT_KINDS,
        delivered_at__isnull=True,
        superseded_at__isnull=True,
    ).update(superseded_at=now)
    handoffs_create(journey=journey, steps=open_steps, now=now, kind=Handoff.Kind.CANCEL)
    applicant_notify(
        journey=journey,
        what="withdrawn",
        now=now,
        reason=reason,
        decided=list(
            journey.steps.filter(status__in=Step.DECIDED_STATUSES)
            .select_related("step_type")
            .order_by("step_type__order", "pk")
        ),
    )
    return journey
