"""The unit's side of a conversation: the queue marks and filters the cases the applicant wrote
about that nobody in the unit has read, the case page shows the thread (reading it) and takes an
answer from any member; coordinators read it; a unit working in its own system answers through
the API, not here."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from journeys import services
from journeys.models import ApplicantMessage, ConversationMessage, Document, JourneyEvent
from tests.factories import decide, make_caseworker, make_coordinator, submitted_journey
from tests.html import parse
from tests.journey_types import journey_type

QUESTION = "Is the fire exit on the plan wide enough?"
PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture
def journey(db):
    return submitted_journey(journey_type(parallel=2, chain=1))


@pytest.fixture
def permit(journey):
    return journey.steps.select_related("unit", "journey").get(step_type__key="parallel-1")


def ask(journey, step, body: str = QUESTION, **extra):
    return services.conversation_message_send(
        step=step, by=journey.applicant, body=body, now=timezone.now(), **extra
    )


def queue(client, user, filter: str = "all"):
    client.force_login(user)
    response = client.get(reverse("casework:queue"), {"filter": filter})
    assert response.status_code == 200
    return parse(response.content)


def row_of(page, journey):
    (row,) = [row for row in page.find("tbody").find_all("tr") if journey.reference in row.text]
    return row


def test_the_queue_marks_a_case_with_a_new_message_and_filters_them(client, journey, permit):
    planner = make_caseworker(permit.unit)
    quiet = submitted_journey(journey.journey_type)
    ask(journey, permit)
    page = queue(client, planner)
    assert "New message" in row_of(page, journey).text
    assert "New message" not in row_of(page, quiet).text
    link = page.find("a", href=f"?unit={permit.unit.slug}&filter=messages")
    assert link.text == "New messages (1)"
    filtered = queue(client, planner, "messages")
    assert [journey.reference] == [r.find("th").text for r in filtered.find("tbody").find_all("tr")]


def test_a_decided_step_written_about_is_in_the_filter_too(client, journey):
    decided = decide(journey.steps.get(step_type__key="parallel-2"))
    ask(journey, decided)
    page = queue(client, make_caseworker(decided.unit), "messages")
    assert row_of(page, journey).find("th").text == journey.reference


def test_opening_the_case_reads_the_message_and_clears_the_mark(client, journey, permit):
    planner = make_caseworker(permit.unit)
    ask(journey, permit)
    client.force_login(planner)
    page = parse(client.get(reverse("casework:case", args=[permit.pk])).content)
    assert "The applicant has written 1 new message about this step" in page.text
    section = page.find("section", id="conversation")
    assert QUESTION in section.text and "New" in section.find("strong", "govuk-tag").text
    assert ConversationMessage.objects.get().read_at is not None
    assert "New message" not in row_of(queue(client, planner), journey).text
    assert queue(client, planner, "messages").find_all("tbody") == []


def test_a_coordinator_reads_the_thread_without_marking_it_or_answering(client, journey, permit):
    ask(journey, permit, files=[SimpleUploadedFile("exit.pdf", PDF)])
    client.force_login(make_coordinator())
    page = parse(client.get(reverse("casework:case", args=[permit.pk])).content)
    section = page.find("section", id="conversation")
    assert QUESTION in section.text and "exit.pdf" in section.text
    assert not section.find_all("a")  # no download: not the unit's documents to open
    assert not section.find_all("form")
    assert ConversationMessage.objects.get().read_at is None


def test_any_member_answers_with_a_file_and_the_applicant_is_told(client, journey, permit):
    ask(journey, permit)
    member = make_caseworker(permit.unit)  # has not taken the case
    client.force_login(member)
    response = client.post(
        reverse("casework:message", args=[permit.pk]),
        {"body": "Yes, 1.2 m is enough.", "upload": SimpleUploadedFile("rules.pdf", PDF)},
    )
    assert response.status_code == 302
    assert response.url == reverse("casework:case", args=[permit.pk]) + "#conversation"
    answer = ConversationMessage.objects.get(from_applicant=False)
    assert answer.author == member and answer.body == "Yes, 1.2 m is enough."
    (document,) = answer.attachments.all()
    assert document.name == "rules.pdf"
    assert journey.events.filter(kind=JourneyEvent.Kind.MESSAGE_SENT, actor=member).exists()
    told = ApplicantMessage.objects.filter(journey=journey, subject__contains="has written")
    assert told.exists()
    section = parse(client.get(response.url).content).find("section", id="conversation")
    assert "Yes, 1.2 m is enough." in section.text
    assert section.find("a", href=reverse("casework:document", args=[permit.pk, document.pk]))


def test_an_empty_answer_is_an_error_and_nothing_is_sent(client, permit):
    client.force_login(make_caseworker(permit.unit))
    response = client.post(reverse("casework:message", args=[permit.pk]), {"body": ""})
    assert response.status_code == 422
    summary = parse(response.content).find("div", "govuk-error-summary")
    assert summary.find("a", href="#message-body").text == "Enter your message"
    assert not ConversationMessage.objects.exists() and not Document.objects.exists()


def test_a_closed_journeys_thread_takes_no_answer(client, journey, permit):
    ask(journey, permit)
    decide(journey.steps.get(step_type__key="parallel-2"), "reject")
    client.force_login(make_caseworker(permit.unit))
    page = parse(client.get(reverse("casework:case", args=[permit.pk])).content)
    assert not page.find("section", id="conversation").find_all("form")
    response = client.post(reverse("casework:message", args=[permit.pk]), {"body": "Too late."})
    assert response.status_code == 409
    page = parse(response.content)
    assert "The application is closed" in page.find("div", "govuk-error-summary").text
    assert ConversationMessage.objects.count() == 1


def test_another_units_caseworker_finds_no_thread_and_cannot_answer(client, journey, permit):
    ask(journey, permit)
    client.force_login(make_caseworker(journey.steps.get(step_type__key="parallel-2").unit))
    assert client.get(reverse("casework:case", args=[permit.pk])).status_code == 404
    response = client.post(reverse("casework:message", args=[permit.pk]), {"body": "Hello."})
    assert response.status_code == 404
    assert ConversationMessage.objects.count() == 1


def test_a_unit_in_its_own_system_reads_here_and_answers_through_the_api(client, journey, permit):
    permit.unit.works_in_own_system = True
    permit.unit.save(update_fields=["works_in_own_system"])
    ask(journey, permit)
    client.force_login(make_caseworker(permit.unit))
    page = parse(client.get(reverse("casework:case", args=[permit.pk])).content)
    section = page.find("section", id="conversation")
    assert QUESTION in section.text and not section.find_all("form")
    assert ConversationMessage.objects.get().read_at is None  # its system reads it
    response = client.post(reverse("casework:message", args=[permit.pk]), {"body": "Hello."})
    assert response.status_code == 403
    assert ConversationMessage.objects.count() == 1
