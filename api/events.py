"""The portal's events as the outside sees them: CloudEvents 1.0 documents, thin by design.

An event names what happened and to which journey and step, with statuses and ids; a system
reads the rest through the API, where its scope and field-level rules apply. The same document
is posted to webhook subscribers and served by the change feed. Who may see an event is decided
here once, for both: a unit sees its steps' events once they reached its queue, and the journey's
own events (submitted, completed, rejected) once it has a step there; a coordination client sees
every event."""

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
    Kind.MESSAGE_RECEIVED: "step.message_received",
}
# Published types, each once, for subscriptions and the schema (journey.withdrawn comes with
# withdrawal, issue 17).
PUBLISHED_TYPES = sorted(set(EVENT_TYPES.values()))
OUTCOMES = {Kind.STEP_APPROVED: "approve", Kind.STEP_REJECTED: "reject"}


def is_published(event: JourneyEvent) -> bool:
    return event.kind in EVENT_TYPES


def cloud_event(event: JourneyEvent) -> dict:
    """The CloudEvents 1.0 document (structured JSON) for one event, as a dict."""
    return json.loads(cloud_event_body(event))


def cloud_event_body(event: JourneyEvent) -> bytes:
    """The CloudEvents 1.0 document in the JSON format, as posted (content type
    application/cloudevents+json). Reads the event's journey, journey type, step, step type and
    unit: select them with the event (`published_events`)."""
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
        data["step"] = {"id": step.pk, "key": step.step_type.key, "unit": step.unit.slug}
        subject += f"/steps/{step.pk}"
    if event.kind in OUTCOMES:
        data["outcome"] = OUTCOMES[event.kind]
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
        "journey__journey_type", "step__step_type", "step__unit"
    )


def in_scope(events: QuerySet, client: ApiClient) -> QuerySet:
    """The events `client` may see (see the module's docstring)."""
    if client.kind == ApiClient.Kind.COORDINATION:
        return events
    reached = Step.objects.filter(journey=OuterRef("journey"), unit=client.unit_id).exclude(
        activated_at__isnull=True
    )
    return events.filter(
        Q(step__unit=client.unit_id, step__activated_at__isnull=False)
        | Q(step__isnull=True, kind__in=[Kind.COMPLETED, Kind.CLOSED_REJECTED]) & Exists(reached)
    )


def audience_unit_ids(event: JourneyEvent) -> set[int]:
    """The units whose clients may see `event` (coordination clients see every event)."""
    if event.step_id is not None:
        step = event.step
        return (
            {step.unit_id}
            if step.activated_at is not None or event.kind == Kind.STEP_QUEUED
            else set()
        )
    return set(
        Step.objects.filter(journey=event.journey_id, activated_at__isnull=False)
        .values_list("unit_id", flat=True)
        .distinct()
    )
