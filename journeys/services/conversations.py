"""The conversation between the applicant and the unit of each step of their journey: either side
writes (with attachments), the other reads, on the journey's pages and through the API.

Who is which side: the people who act on the journey (its applicant and the organisation's
recorded representatives) are the applicant's; the members of the step's unit are the unit's
(a coordinator reads a thread and writes none). A thread is open for writing once its step has
reached the unit and while the journey is open; after that it is kept, read-only.

Neither side's e-mail carries what was written, only that something was, with a link: unit
e-mails carry no applicant data (docs/security.md), and a message is free text that may hold
any of it, in either direction.
"""

import datetime as dt

from django.db import transaction
from django.urls import reverse

from journeys.models import (
    ConversationMessage,
    Document,
    Journey,
    JourneyEvent,
    OutgoingEmail,
    Step,
)
from journeys.notifications import absolute_url
from journeys.services.applications import document_add
from journeys.services.emails import outgoing_emails_create
from journeys.services.events import journey_event_record
from journeys.services.messages import applicant_notify
from journeys.versions import journeys_changed
from units.roles import acts_in_unit, roles_of


class ConversationClosed(Exception):
    """The step has not reached its unit yet, or the journey is closed: nothing can be written."""


class NotInConversation(Exception):
    """The writer neither acts on the journey nor works in the step's unit."""


def conversation_is_open(step: Step) -> bool:
    """Whether the thread about `step` takes new messages (reads the step's journey)."""
    return step.journey.is_open and step.has_reached_unit


def conversation_side(step: Step, user) -> bool | None:
    """True for the applicant's side, False for the unit's, None for anyone else."""
    if not user.is_authenticated:
        return None
    if Journey.objects.acting_for(user).filter(pk=step.journey_id).exists():
        return True
    if acts_in_unit(roles_of(user), step.unit_id):
        return False
    return None


@transaction.atomic
def conversation_message_send(
    *, step: Step, by, body: str, now: dt.datetime, files=()
) -> ConversationMessage:
    """Write a message in the thread about `step`, from whichever side `by` is on, with its
    files as the journey's documents (attached to the step). What the other side wrote before
    counts as read. The journal records it; the unit's members are e-mailed when the applicant
    writes (a unit that works in its own system gets the event `step.message_received`
    instead), the applicant is sent a notice when the unit does."""
    journey = Journey.objects.select_for_update().get(pk=step.journey_id)
    step = Step.objects.select_related("step_type", "unit").get(pk=step.pk)
    step.journey = journey
    from_applicant = conversation_side(step, by)
    if from_applicant is None:
        raise NotInConversation
    if not conversation_is_open(step):
        raise ConversationClosed
    body = body.strip()
    if not body:
        raise ValueError("A message needs a body.")
    message = ConversationMessage.objects.create(
        journey=journey,
        step=step,
        unit=step.unit,
        author=by,
        from_applicant=from_applicant,
        body=body,
        created_at=now,
    )
    documents = [
        document_add(
            journey=journey,
            by=by,
            upload=upload,
            now=now,
            steps=[step],
            unit=None if from_applicant else step.unit,  # a unit's file, sent to the applicant
        )
        for upload in files
    ]
    Document.objects.filter(pk__in=[d.pk for d in documents]).update(conversation_message=message)
    _read(step, reader_is_applicant=from_applicant, now=now)
    kind = JourneyEvent.Kind.MESSAGE_RECEIVED if from_applicant else JourneyEvent.Kind.MESSAGE_SENT
    event = journey_event_record(
        journey=journey,
        step=step,
        kind=kind,
        actor=by,
        now=now,
        message=body,
    )
    if not from_applicant:
        applicant_notify(
            journey=journey,
            what="unit_message",
            now=now,
            step=step,
            thread_url=absolute_url(
                reverse("citizens:conversation", args=[journey.public_id, step.pk])
            ),
        )
    elif not step.unit.works_in_own_system:
        outgoing_emails_create(
            kind=OutgoingEmail.Kind.CONVERSATION_MESSAGE,
            journey=journey,
            step=step,
            event=event,
            now=now,
        )
    return message


@transaction.atomic
def conversation_read(*, journey: Journey, by, now: dt.datetime, step: Step | None = None) -> int:
    """Mark what the other side wrote as read by `by`'s side: in the thread about `step`, or,
    for the applicant's side, in every thread of the journey (their page shows them all). A
    coordinator's reading marks nothing. Safe to repeat: only unread messages change. Returns
    how many did. A read mark is shown (the "new message" tags, the unit's queue filter), so
    marking moves the journey's version, under its lock like every change of it."""
    if Journey.objects.acting_for(by).filter(pk=journey.pk).exists():
        unread = ConversationMessage.objects.filter(journey=journey, from_applicant=False)
    elif step is not None and acts_in_unit(roles_of(by), step.unit_id):
        unread = ConversationMessage.objects.filter(step=step, from_applicant=True)
    else:
        return 0
    if step is not None:
        unread = unread.filter(step=step)
    Journey.objects.select_for_update(of=("self",)).filter(pk=journey.pk).exists()
    marked = unread.filter(read_at__isnull=True).update(read_at=now)
    if marked:
        journeys_changed([journey.pk])
    return marked


def _read(step: Step, *, reader_is_applicant: bool, now: dt.datetime) -> int:
    return ConversationMessage.objects.filter(
        step=step, from_applicant=not reader_is_applicant, read_at__isnull=True
    ).update(read_at=now)
