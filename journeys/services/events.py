import datetime as dt
from collections.abc import Callable

from journeys.models import Journey, JourneyEvent, Step

# Called with each event as it is written, inside the change's transaction: what must leave the
# portal with the change (the webhooks' outbox rows) is written by a listener, registered by its
# app's ready(), so this domain module imports none of them.
EVENT_LISTENERS: list[Callable[[JourneyEvent], None]] = []


def event_listen(listener: Callable[[JourneyEvent], None]) -> None:
    if listener not in EVENT_LISTENERS:
        EVENT_LISTENERS.append(listener)


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
    for listener in EVENT_LISTENERS:
        listener(event)
    return event
