"""The sweeps that watch every journey (stalled, overdue, about to be late), and the applicant's
request for a decision after six months (FL 12 §)."""

import datetime as dt

from django.db import transaction
from django.db.models import Q

from journeys.models import DecisionRequest, Journey, JourneyEvent, Step
from journeys.querysets import stalled_condition
from journeys.services.events import journey_event_record
from journeys.services.messages import applicant_notify

DECISION_REQUEST_AFTER = dt.timedelta(days=183)  # six months (FL 12 §)
DECISION_REQUEST_ANSWER_WITHIN = dt.timedelta(weeks=4)
DELAY_NOTICE_BEFORE = dt.timedelta(days=3)


def stuck_sweep(*, now: dt.datetime) -> dict[str, int]:
    """Flag journeys that stalled and steps that went overdue; clear flags that no longer hold.
    Conditional updates only: running it twice changes nothing more."""
    open_journeys = Journey.objects.open()
    stalled = stalled_condition(now)
    active = Step.objects.filter(status__in=Step.ACTIVE_STATUSES)
    return {
        "stalled": open_journeys.filter(stalled, stalled_since__isnull=True).update(
            stalled_since=now
        ),
        "unstalled": Journey.objects.filter(stalled_since__isnull=False)
        .exclude(Q(status__in=Journey.OPEN_STATUSES) & stalled)
        .update(stalled_since=None),
        "overdue": active.filter(due_at__lt=now, overdue_flagged_at__isnull=True).update(
            overdue_flagged_at=now
        ),
        "not_overdue": Step.objects.filter(overdue_flagged_at__isnull=False)
        .exclude(status__in=Step.ACTIVE_STATUSES, due_at__lt=now)
        .update(overdue_flagged_at=None),
    }


def delay_notices_sweep(*, now: dt.datetime) -> int:
    """Tell the applicant, once per step, when a step is about to miss (or has missed) its due
    date, with the reason its caseworker gave (FL 11 §)."""
    at_risk = (
        Step.objects.filter(
            status__in=(Step.Status.QUEUED, Step.Status.IN_PROGRESS),
            due_at__lt=now + DELAY_NOTICE_BEFORE,
            delay_notified_at__isnull=True,
        )
        .select_related("journey__journey_type", "journey__applicant", "step_type", "unit")
        .order_by("pk")
    )
    sent = 0
    for step in at_risk:
        with transaction.atomic():
            if not Step.objects.filter(pk=step.pk, delay_notified_at__isnull=True).update(
                delay_notified_at=now
            ):
                continue
            applicant_notify(journey=step.journey, what="delay", now=now, step=step)
            journey_event_record(
                journey=step.journey,
                step=step,
                kind=JourneyEvent.Kind.DELAY_NOTICE,
                now=now,
                message=step.delay_reason,
            )
            sent += 1
    return sent


def may_request_decision(step: Step, now: dt.datetime) -> bool:
    journey = step.journey
    return (
        journey.is_open
        and step.status in Step.ACTIVE_STATUSES
        and journey.submitted_at is not None
        and now - journey.submitted_at >= DECISION_REQUEST_AFTER
    )


def decision_requestable_from(journey: Journey) -> dt.datetime | None:
    """When the applicant may first ask for a decision (see may_request_decision)."""
    if journey.submitted_at is None:
        return None
    return journey.submitted_at + DECISION_REQUEST_AFTER


@transaction.atomic
def decision_request_create(*, step: Step, by, now: dt.datetime) -> DecisionRequest | None:
    """Record the applicant's request for a decision; the unit has four weeks to answer."""
    if not may_request_decision(step, now):
        return None
    request, created = DecisionRequest.objects.get_or_create(
        step=step,
        defaults={
            "requested_by": by,
            "requested_at": now,
            "due_at": now + DECISION_REQUEST_ANSWER_WITHIN,
        },
    )
    if created:
        journey_event_record(
            journey=step.journey,
            step=step,
            kind=JourneyEvent.Kind.DECISION_REQUESTED,
            actor=by,
            now=now,
        )
    return request
