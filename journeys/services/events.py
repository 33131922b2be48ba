import datetime as dt

from journeys.models import Journey, JourneyEvent, Step


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
    """Append one row to the journey's log and move its last-activity time."""
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
