"""The tracking page shows a thread with each unit that has a step, with a link to write to it;
the message page sends a message (a file too), says what is wrong in the applicant's language
with what was written kept, and is found by nobody but the applicant's side."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from journeys import services
from journeys.models import ConversationMessage, Document
from tests.factories import decide, make_caseworker, make_user, submitted_journey
from tests.html import parse
from tests.journey_types import journey_type

QUESTION = "Can the inspection be on a Friday?"
PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture
def journey(db):
    """parallel-1 and -2 with their units; chain-1 waits for parallel-1."""
    return submitted_journey(journey_type(parallel=2, chain=1))


def step(journey, key: str):
    return journey.steps.select_related("unit").get(step_type__key=key)


def thread_url(journey, step) -> str:
    return reverse("citizens:conversation", args=[journey.public_id, step.pk])


def track(client, journey):
    client.force_login(journey.applicant)
    response = client.get(reverse("citizens:application_track", args=[journey.public_id]))
    assert response.status_code == 200
    return parse(response.content).find("section", id="messages")


def test_each_step_a_unit_has_gets_a_thread_and_a_link_to_write(client, journey):
    section = track(client, journey)
    links = {a.attrs["href"] for a in section.find_all("a")}
    assert links == {thread_url(journey, step(journey, k)) for k in ("parallel-1", "parallel-2")}
    link = section.find("a", href=thread_url(journey, step(journey, "parallel-1")))
    assert link.text == "Write to Office parallel 1 about “Parallel step 1”"


def test_a_message_is_sent_and_shown_in_its_thread_on_the_tracking_page(client, journey):
    permit = step(journey, "parallel-1")
    client.force_login(journey.applicant)
    response = client.post(
        thread_url(journey, permit),
        {"body": QUESTION, "upload": SimpleUploadedFile("plan.pdf", PDF)},
        follow=True,
    )
    assert response.redirect_chain[-1][0].endswith(f"#conversation-{permit.pk}")
    page = parse(response.content)
    assert "Your message has been sent to Office parallel 1." in page.text
    thread = page.find("section", id=f"conversation-{permit.pk}")
    assert QUESTION in thread.text and "You" in thread.text and "not read yet" in thread.text
    document = Document.objects.get(conversation_message__isnull=False)
    download = reverse("citizens:document", args=[journey.public_id, document.pk])
    assert thread.find("a", href=download)


def test_the_units_answer_is_new_once_and_then_read(client, journey):
    permit = step(journey, "parallel-1")
    planner = make_caseworker(permit.unit)
    services.conversation_message_send(
        step=permit, by=planner, body="Yes, Friday works.", now=timezone.now()
    )
    thread = track(client, journey).find("section", id=f"conversation-{permit.pk}")
    assert "Yes, Friday works." in thread.text and "New" in thread.find("strong", "govuk-tag").text
    assert ConversationMessage.objects.get().read_at is not None
    thread = track(client, journey).find("section", id=f"conversation-{permit.pk}")
    assert not thread.find_all("strong", "govuk-tag")


def test_the_refresh_of_the_progress_marks_nothing_read(client, journey):
    permit = step(journey, "parallel-1")
    services.conversation_message_send(
        step=permit, by=make_caseworker(permit.unit), body="Noted.", now=timezone.now()
    )
    client.force_login(journey.applicant)
    url = reverse("citizens:application_track", args=[journey.public_id])
    assert client.get(url, headers={"HX-Request": "true"}).status_code == 200
    assert ConversationMessage.objects.get().read_at is None


def test_an_empty_message_is_an_error_in_the_summary_and_the_field(client, journey):
    client.force_login(journey.applicant)
    response = client.post(thread_url(journey, step(journey, "parallel-1")), {"body": "  "})
    assert response.status_code == 422
    page = parse(response.content)
    summary = page.find("div", "govuk-error-summary")
    assert summary.find("a", href="#id_body").text == "Enter your message"
    assert page.find("title").text.startswith("Error:")
    assert not ConversationMessage.objects.exists()


def test_in_swedish_a_too_long_message_is_refused_and_kept_to_shorten(client, journey):
    client.force_login(journey.applicant)
    long = "Lång text. " * 500
    response = client.post(
        thread_url(journey, step(journey, "parallel-1")),
        {"body": long},
        HTTP_ACCEPT_LANGUAGE="sv",
    )
    assert response.status_code == 422
    page = parse(response.content)
    assert "Korta ditt meddelande till högst 5000 tecken" in (
        page.find("div", "govuk-error-summary").text
    )
    assert page.find("textarea", id="id_body").text.strip() == long.strip()


def test_a_file_that_is_not_a_document_is_refused_and_the_text_kept(client, journey):
    client.force_login(journey.applicant)
    response = client.post(
        thread_url(journey, step(journey, "parallel-1")),
        {"body": QUESTION, "upload": SimpleUploadedFile("plan.pdf", b"<html>not a pdf</html>")},
    )
    assert response.status_code == 422
    page = parse(response.content)
    assert "The file must be a PDF, JPG or PNG" in page.find("div", "govuk-error-summary").text
    assert page.find("textarea", id="id_body").text.strip() == QUESTION
    assert not Document.objects.exists()


def test_a_good_file_with_a_bad_message_asks_for_the_file_again(client, journey):
    client.force_login(journey.applicant)
    response = client.post(
        thread_url(journey, step(journey, "parallel-1")),
        {"body": "", "upload": SimpleUploadedFile("plan.pdf", PDF)},
    )
    assert response.status_code == 422
    summary = parse(response.content).find("div", "govuk-error-summary").text
    assert "Enter your message" in summary and "Choose the file again" in summary


def test_a_closed_application_shows_its_threads_and_takes_no_message(client, journey):
    permit = step(journey, "parallel-1")
    client.force_login(journey.applicant)
    client.post(thread_url(journey, permit), {"body": QUESTION})
    decide(step(journey, "parallel-2"), "reject")
    page = parse(client.get(thread_url(journey, permit)).content)
    assert QUESTION in page.text and not page.find_all("form", enctype="multipart/form-data")
    assert "This application is closed" in page.find("div", "govuk-inset-text").text
    response = client.post(thread_url(journey, permit), {"body": "And another thing"})
    assert response.status_code == 409
    page = parse(response.content)
    assert "This application is closed" in page.find("div", "govuk-error-summary").text
    assert page.find("textarea", id="id_body").text.strip() == "And another thing"
    assert ConversationMessage.objects.count() == 1
    section = track(client, journey)
    assert not section.find_all("a", href=thread_url(journey, permit))


def test_a_step_no_unit_has_yet_has_no_thread(client, journey):
    client.force_login(journey.applicant)
    assert client.get(thread_url(journey, step(journey, "chain-1"))).status_code == 404


def test_someone_else_finds_no_thread(client, journey):
    url = thread_url(journey, step(journey, "parallel-1"))
    for user in (make_user(), make_caseworker(step(journey, "parallel-1").unit)):
        client.force_login(user)
        assert client.get(url).status_code == 404
        assert client.post(url, {"body": QUESTION}).status_code == 404
    assert not ConversationMessage.objects.exists()


def test_a_step_of_another_journey_is_not_found(client, journey):
    other = submitted_journey(journey.journey_type)
    client.force_login(journey.applicant)
    url = thread_url(journey, step(other, "parallel-1"))
    assert client.get(url).status_code == 404
