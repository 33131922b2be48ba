"""The applicant and the unit of a step write to each other: each message is journaled (seen by
that unit only), the other side is told by e-mail without what was written, files are the
journey's documents under the upload checks, and nobody outside the two sides writes."""

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from api.events import EVENT_TYPES, audience_unit_ids, cloud_event, published_events
from journeys import selectors, services
from journeys.disclosure import disclosed_documents, journey_disclosure
from journeys.models import (
    ApplicantMessage,
    ConversationMessage,
    Document,
    JourneyEvent,
    OutgoingEmail,
    Step,
)
from tests.factories import (
    decide,
    make_caseworker,
    make_coordinator,
    make_user,
    send_emails,
    submitted_journey,
)
from tests.journey_types import journey_type

QUESTION = "May we open the terrace before the permit is decided? Our lease starts in May."
ANSWER = "No: the terrace needs the permit first. We expect to decide within two weeks."
PDF = b"%PDF-1.7\n1 0 obj << >> endobj\n%%EOF\n"


@pytest.fixture
def journey(db):
    """parallel-1 and -2 queued in their units; chain-1 waits for parallel-1."""
    return submitted_journey(journey_type(parallel=2, chain=1))


def step(journey, key: str) -> Step:
    return journey.steps.select_related("unit", "journey").get(step_type__key=key)


def write(step, by, body: str = QUESTION, **extra):
    return services.conversation_message_send(
        step=step, by=by, body=body, now=timezone.now(), **extra
    )


def test_the_applicant_writes_to_a_steps_unit_and_it_is_in_the_journal(journey):
    permit = step(journey, "parallel-1")
    message = write(permit, journey.applicant, f"  {QUESTION}\n")
    assert message.from_applicant and message.unit == permit.unit
    assert message.body == QUESTION and message.read_at is None
    event = journey.events.get(kind=JourneyEvent.Kind.MESSAGE_RECEIVED)
    assert (event.step, event.actor, event.message) == (permit, journey.applicant, QUESTION)
    assert event.visible_to_applicant


def test_the_units_members_are_emailed_a_link_not_the_message(journey):
    permit = step(journey, "parallel-1")
    make_caseworker(permit.unit, username="planner")
    write(permit, journey.applicant)
    emailed = OutgoingEmail.objects.get(kind=OutgoingEmail.Kind.CONVERSATION_MESSAGE)
    assert emailed.step == permit
    assert send_emails(kind=OutgoingEmail.Kind.CONVERSATION_MESSAGE) == 1
    (email,) = mail.outbox
    assert email.to == ["planner@example.org"]
    assert journey.reference in email.subject
    assert f"/work/steps/{permit.pk}/" in email.body
    assert "terrace" not in email.body and "terrace" not in email.subject


def test_the_unit_answers_and_the_applicant_is_told_without_the_answer(journey):
    permit = step(journey, "parallel-1")
    planner = make_caseworker(permit.unit)
    question = write(permit, journey.applicant)
    answer = write(permit, planner, ANSWER)
    assert not answer.from_applicant and answer.author == planner
    question.refresh_from_db()
    assert question.read_at == answer.created_at  # answering it is reading it
    sent = journey.events.get(kind=JourneyEvent.Kind.MESSAGE_SENT)
    assert sent.message == ANSWER and sent.actor == planner
    notice = ApplicantMessage.objects.get(journey=journey, subject__contains="has written to you")
    thread_url = f"/applications/{journey.public_id}/steps/{permit.pk}/messages/"
    assert thread_url in notice.body
    assert "terrace" not in notice.body
    assert send_emails() >= 1
    (email,) = [m for m in mail.outbox if m.subject == notice.subject]
    assert email.to == [journey.applicant.email]
    assert thread_url in email.body and "terrace" not in email.body
    # The unit is not e-mailed about its own answer.
    assert not OutgoingEmail.objects.filter(
        kind=OutgoingEmail.Kind.CONVERSATION_MESSAGE, event=sent
    ).exists()


def test_a_message_changes_nothing_a_caseworkers_open_form_was_loaded_with(journey):
    permit = step(journey, "parallel-1")
    planner = make_caseworker(permit.unit)
    held = services.step_claim(step=permit, by=planner, now=timezone.now())
    write(held, journey.applicant)
    permit.refresh_from_db()
    assert permit.version == held.version and permit.status == Step.Status.IN_PROGRESS
    services.step_decide(
        step=permit,
        by=planner,
        outcome="approve",
        reasons="Fine.",
        expected_version=held.version,
        now=timezone.now(),
    )


@pytest.mark.parametrize("who", ["another citizen", "another unit", "coordinator"])
def test_nobody_outside_the_two_sides_writes(journey, who):
    permit = step(journey, "parallel-1")
    by = {
        "another citizen": make_user,
        "another unit": lambda: make_caseworker(step(journey, "parallel-2").unit),
        "coordinator": make_coordinator,
    }[who]()
    with pytest.raises(services.NotInConversation):
        write(permit, by)
    assert not ConversationMessage.objects.exists()
    assert not journey.events.filter(kind=JourneyEvent.Kind.MESSAGE_RECEIVED).exists()


def test_a_step_no_unit_has_yet_takes_no_message(journey):
    waiting = step(journey, "chain-1")
    assert waiting.status == Step.Status.WAITING
    with pytest.raises(services.ConversationClosed):
        write(waiting, journey.applicant)
    assert not ConversationMessage.objects.exists()


def test_a_decided_step_takes_messages_while_the_journey_is_open(journey):
    decided = decide(step(journey, "parallel-2"))
    assert write(decided, journey.applicant).step == decided


def test_a_closed_journey_keeps_its_threads_and_takes_no_more(journey):
    permit = step(journey, "parallel-1")
    write(permit, journey.applicant)
    decide(step(journey, "parallel-2"), "reject")
    with pytest.raises(services.ConversationClosed):
        write(permit, journey.applicant, "One more thing.")
    with pytest.raises(services.ConversationClosed):
        write(permit, make_caseworker(permit.unit), ANSWER)
    thread = selectors.conversation_thread(step(journey, "parallel-1"))
    assert [m.body for m in thread.messages] == [QUESTION] and not thread.is_open


def test_a_file_is_a_document_of_the_step_that_only_its_unit_and_the_applicant_see(journey):
    permit = step(journey, "parallel-1")
    message = write(
        permit, journey.applicant, files=[SimpleUploadedFile("lease.pdf", PDF, "application/pdf")]
    )
    (document,) = message.attachments.all()
    assert document.name == "lease.pdf" and document.content_type == "application/pdf"
    assert list(document.steps.all()) == [permit]
    planner = make_caseworker(permit.unit)
    assert document in disclosed_documents(journey, journey_disclosure(journey, planner))
    other = make_caseworker(step(journey, "parallel-2").unit)
    assert document not in disclosed_documents(journey, journey_disclosure(journey, other))


def test_a_file_that_fails_the_upload_checks_leaves_no_message(journey):
    permit = step(journey, "parallel-1")
    disguised = SimpleUploadedFile("lease.pdf", b"<html><script>alert(1)</script></html>")
    with pytest.raises(ValidationError):
        write(permit, journey.applicant, files=[disguised])
    assert not ConversationMessage.objects.exists() and not Document.objects.exists()


def test_an_empty_message_is_refused(journey):
    with pytest.raises(ValueError):
        write(step(journey, "parallel-1"), journey.applicant, " \n ")


def test_reading_marks_the_other_sides_messages_only_and_a_coordinator_marks_none(journey):
    permit = step(journey, "parallel-1")
    planner = make_caseworker(permit.unit)
    question = write(permit, journey.applicant)
    now = timezone.now()
    coordinator = make_coordinator()
    assert services.conversation_read(journey=journey, step=permit, by=coordinator, now=now) == 0
    question.refresh_from_db()
    assert question.read_at is None
    assert services.conversation_read(journey=journey, by=journey.applicant, now=now) == 0
    assert services.conversation_read(journey=journey, step=permit, by=planner, now=now) == 1
    assert services.conversation_read(journey=journey, step=permit, by=planner, now=now) == 0
    question.refresh_from_db()
    assert question.read_at == now
    answer = write(permit, planner, ANSWER)
    assert services.conversation_read(journey=journey, by=journey.applicant, now=now) == 1
    answer.refresh_from_db()
    assert answer.read_at == now


def test_another_unit_reads_the_journal_entry_without_what_was_written(journey):
    permit = step(journey, "parallel-1")
    write(permit, journey.applicant)
    write(permit, make_caseworker(permit.unit), ANSWER)
    reader = make_caseworker(step(journey, "parallel-2").unit)
    shown = selectors.journey_timeline(
        journey, for_applicant=False, disclosure=journey_disclosure(journey, reader)
    )
    conversation = [
        e
        for e in shown
        if e.kind in (JourneyEvent.Kind.MESSAGE_RECEIVED, JourneyEvent.Kind.MESSAGE_SENT)
    ]
    assert len(conversation) == 2
    assert all(e.withheld and e.message == "" for e in conversation)


def test_a_unit_working_in_its_own_system_gets_the_event_not_an_email(journey):
    permit = step(journey, "parallel-1")
    permit.unit.works_in_own_system = True
    permit.unit.save(update_fields=["works_in_own_system"])
    write(permit, journey.applicant)
    assert not OutgoingEmail.objects.filter(kind=OutgoingEmail.Kind.CONVERSATION_MESSAGE).exists()
    event = published_events().get(kind=JourneyEvent.Kind.MESSAGE_RECEIVED)
    assert EVENT_TYPES[event.kind] == "step.message_received"
    document = cloud_event(event)
    assert document["type"] == "step.message_received"
    assert document["subject"] == f"journeys/{journey.public_id}/steps/{permit.pk}"
    assert QUESTION not in str(document)  # thin: the system reads the message through the API
    assert audience_unit_ids(event) == {permit.unit_id}


def test_the_units_answer_is_not_a_published_event(journey):
    permit = step(journey, "parallel-1")
    write(permit, make_caseworker(permit.unit), ANSWER)
    assert not published_events().filter(kind=JourneyEvent.Kind.MESSAGE_SENT).exists()
