"""The portal's events as the outside sees them: CloudEvents 1.0 documents, thin by design.

An event names what happened and to which journey and step, with statuses and ids; a system
reads the rest through the API, where its scope and field-level rules apply. The same document
is posted to webhook subscribers and served by the change feed. Who may see an event is decided
here once, for both: a unit sees the events written in its scope (JourneyEvent.unit, fixed when
the event is written: its steps' events from their arrival in its queue, while it holds them)
and those naming it as the other unit concerned (a transfer to it, a consultation of it), and
the journey's end (completed, rejected, withdrawn) once it has a step there; a coordination
client sees every event. So a transfer leaves the step's earlier events with the old unit and
gives the new one the events from the transfer on; the transfer itself reaches both."""

import json

from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent
from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet

from api.models import ApiClient
from journeys.models import JourneyEvent, Step

Kind = JourneyEvent.Kind

# The journey log's kinds that are published, and their CloudEvents types.
EVENT_TYPES = {
    Kind.SUBMITTED: "journey.submitted",
    Kind.STEP_QUEUED: "step.queued",
    Kind.STEP_CLAIMED: "step.taken",
    Kind.STEP_RELEASED: "step.released",
    Kind.INFORMATION_REQUESTED: "step.information_requested",
    Kind.INFORMATION_ANSWERED: "step.information_answered",
    Kind.STEP_RESUMED: "step.resumed",
    Kind.STEP_APPROVED: "step.decided",
    Kind.STEP_REJECTED: "step.decided",
    Kind.STEP_CANCELLED: "step.cancelled",
    Kind.COMPLETED: "journey.completed",
    Kind.CLOSED_REJECTED: "journey.rejected",
    Kind.ANSWER_CHANGED: "step.answers_changed",
    Kind.STEP_PAUSED: "step.paused",
    Kind.STEP_REOPENED: "step.reopened",
    Kind.STEP_SENT_BACK: "step.sent_back",
    Kind.STEP_RECALLED: "step.recalled",
    Kind.STEP_TRANSFERRED: "step.transferred",
    Kind.REVIEW_FLAGGED: "step.review_flagged",
    Kind.CONSULTATION_REQUESTED: "step.consultation_requested",
    Kind.CONSULTATION_ANSWERED: "step.consultation_answered",
    Kind.WITHDRAWN: "journey.withdrawn",
    Kind.MESSAGE_RECEIVED: "step.message_received",
}
# Published types, each once, for subscriptions and the schema.
PUBLISHED_TYPES = sorted(set(EVENT_TYPES.values()))
# The journey's own published events (no step): how it ended.
JOURNEY_END_KINDS = (Kind.COMPLETED, Kind.CLOSED_REJECTED, Kind.WITHDRAWN)
OUTCOMES = {Kind.STEP_APPROVED: "approve", Kind.STEP_REJECTED: "reject"}
# How a document names the other unit an event concerns (JourneyEvent.other_unit).
OTHER_UNIT_KEYS = {
    Kind.STEP_TRANSFERRED: "transferred_to",
    Kind.CONSULTATION_REQUESTED: "consulted_unit",
    Kind.CONSULTATION_ANSWERED: "consulted_unit",
}


def is_published(event: JourneyEvent) -> bool:
    return event.kind in EVENT_TYPES


def cloud_event(event: JourneyEvent) -> dict:
    """The CloudEvents 1.0 document (structured JSON) for one event, as a dict."""
    return json.loads(cloud_event_body(event))


def cloud_event_body(event: JourneyEvent) -> bytes:
    """The CloudEvents 1.0 document in the JSON format, as posted (content type
    application/cloudevents+json). Reads the event's journey, journey type, step, step type and
    units: select them with the event (`published_events`). The step's `unit` is the unit that
    held it when the event was written, so a document reads the same after a transfer."""
    journey = event.journey
    data = {
        "sequence": event.pk,
        "journey": {
            "id": str(journey.public_id),
            "reference": journey.reference,
            "journey_type": journey.journey_type.slug,
        },
        "status_before": event.status_before,
        "status_after": event.status_after,
    }
    subject = f"journeys/{journey.public_id}"
    if event.step_id is not None:
        step = event.step
        unit = event.unit if event.unit_id is not None else step.unit
        data["step"] = {"id": step.pk, "key": step.step_type.key, "unit": unit.slug}
        subject += f"/steps/{step.pk}"
    if event.kind in OUTCOMES:
        data["outcome"] = OUTCOMES[event.kind]
    if event.kind in OTHER_UNIT_KEYS and event.other_unit_id is not None:
        data[OTHER_UNIT_KEYS[event.kind]] = event.other_unit.slug
    document = CloudEvent(
        {
            "specversion": "1.0",
            "id": f"event-{event.pk}",
            "source": f"{settings.SITE_URL}/api/v1",
            "type": EVENT_TYPES[event.kind],
            "subject": subject,
            "time": event.created_at,
            "datacontenttype": "application/json",
        },
        data,
    )
    return JSONFormat().write(document)


def published_events() -> QuerySet:
    """Published events with what `cloud_event` reads, in one query."""
    return JourneyEvent.objects.filter(kind__in=list(EVENT_TYPES)).select_related(
        "journey__journey_type", "step__step_type", "step__unit", "unit", "other_unit"
    )


def in_scope(events: QuerySet, client: ApiClient) -> QuerySet:
    """The events `client` may see (see the module's docstring)."""
    if client.kind == ApiClient.Kind.COORDINATION:
        return events
    reached = Step.objects.filter(journey=OuterRef("journey"), unit=client.unit_id).exclude(
        activated_at__isnull=True
    )
    return events.filter(
        Q(unit=client.unit_id)
        | Q(other_unit=client.unit_id)
        | Q(step__isnull=True, kind__in=JOURNEY_END_KINDS) & Exists(reached)
    )


def audience_unit_ids(event: JourneyEvent) -> set[int]:
    """The units whose clients may see `event` (coordination clients see every event)."""
    if event.step_id is not None:
        return {u for u in (event.unit_id, event.other_unit_id) if u is not None}
    if event.kind not in JOURNEY_END_KINDS:
        return set()
    return set(
        Step.objects.filter(journey=event.journey_id, activated_at__isnull=False)
        .values_list("unit_id", flat=True)
        .distinct()
    )
