import datetime as dt
from collections.abc import Callable

from django.db import connection
from django.db.models import Case, F, Value, When

from journeys.models import Journey, JourneyEvent, Step
from journeys.retention import DISPOSED
from journeys.versions import lists_changed
from units.models import Unit

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
    unit: Unit | None = None,
    other_unit: Unit | None = None,
) -> JourneyEvent:
    """Append one row to the journey's log, move its version and the lists it is on
    (journeys.versions), and its last-activity time (unless it is not the journey moving on:
    JourneyEvent.NOT_PROGRESS_KINDS).

    `unit`, the unit in whose scope the event is (the API's feed and webhooks show it to that
    unit's systems), is by default the unit holding `step` as the caller has it: once the step
    has reached a unit's queue (the event of its arrival included), none before, and none for
    the journey's own events. A caller that has just moved the step names the unit it was
    with. `other_unit`: a second unit the event concerns (a transfer's receiving unit, a
    consulted unit), which sees it too."""
    unit_id = unit.pk if unit is not None else None
    if unit_id is None and step is not None and event_reached_unit(step, kind):
        unit_id = step.unit_id
    event = JourneyEvent.objects.create(
        journey=journey,
        step=step,
        unit_id=unit_id,
        other_unit=other_unit,
        kind=kind,
        actor=actor,
        created_at=now,
        status_before=status_before,
        status_after=status_after,
        message=message,
        visible_to_applicant=visible_to_applicant,
    )
    # Every event moves the journey's version (its pages' validator, journeys.versions), and
    # the journey's last activity unless it is no progress: one statement for both.
    moved = {"version": F("version") + 1}
    if kind not in JourneyEvent.NOT_PROGRESS_KINDS:
        moved["last_event_at"] = Case(
            When(last_event_at__lt=now, then=Value(now)), default=F("last_event_at")
        )
    Journey.objects.filter(pk=journey.pk).update(**moved)
    lists_changed(
        journey_ids=[journey.pk],
        unit_ids=[unit_id, other_unit.pk if other_unit is not None else None],
    )
    for listener in EVENT_LISTENERS:
        listener(event)
    return event


def event_reached_unit(step: Step, kind: str) -> bool:
    """Whether an event of `step` is in its unit's scope: the step is (or was, as the caller
    loaded it) in the unit's hands, or this is its arrival there."""
    return step.activated_at is not None or kind == JourneyEvent.Kind.STEP_QUEUED


def event_messages_dispose(*, journey: Journey) -> int:
    """Replace the messages of the journey's events with the disposed-of marker, the one change
    the append-only log allows (migration 0029), and only inside this: the transaction is
    marked, the messages replaced, the mark taken off (a caller's transaction around it does
    not go on changing events; a failure rolls the mark back with the rest). Returns how many
    messages went. The caller (records.disposal) runs it in its transaction."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL portal.journey_disposal = 'on'")
        elif connection.vendor == "sqlite":
            cursor.execute(
                "INSERT INTO journeys_event_disposal (started_at) VALUES (%s)",
                [journey.reference or str(journey.pk)],
            )
        disposed = (
            JourneyEvent.objects.filter(journey=journey)
            .exclude(message__in=["", DISPOSED])
            .update(message=DISPOSED)
        )
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL portal.journey_disposal = 'off'")
        elif connection.vendor == "sqlite":
            cursor.execute("DELETE FROM journeys_event_disposal")
    return disposed
