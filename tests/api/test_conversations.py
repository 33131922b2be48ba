"""A unit that works in its own system gets the applicant's message as `step.message_received`,
reads the thread through the API and answers there, as its staff would on the case page."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from api.events import in_scope, published_events
from journeys import services
from journeys.models import ApplicantMessage, ConversationMessage, JourneyEvent
from tests.factories import decide

QUESTION = "Do you need the lease signed by both owners?"
PDF = b"%PDF-1.7\n1 0 obj << >> endobj\n%%EOF\n"


def ask(two_units, body: str = QUESTION, **extra):
    return services.conversation_message_send(
        step=two_units.own, by=two_units.journey.applicant, body=body, now=timezone.now(), **extra
    )


def test_the_units_system_is_told_reads_the_thread_and_its_files(two_units):
    asked = ask(two_units, files=[SimpleUploadedFile("lease.pdf", PDF)])
    event = published_events().get(kind=JourneyEvent.Kind.MESSAGE_RECEIVED)
    assert list(in_scope(published_events(), two_units.caller.client).filter(pk=event.pk))
    response = two_units.caller.get(f"/api/v1/steps/{two_units.own.pk}/messages/")
    assert response.status_code == 200
    (message,) = response.json()["results"]
    assert message["id"] == asked.pk and message["from_applicant"] is True
    assert message["body"] == QUESTION and message["read_at"] is None
    (download,) = message["documents"]
    assert two_units.caller.get(download).status_code == 200


def test_the_units_system_answers_and_the_applicant_is_told(two_units):
    asked = ask(two_units)
    url = f"/api/v1/steps/{two_units.own.pk}/messages/"
    response = two_units.caller.post(url, {"body": "Yes, both owners."})
    assert response.status_code == 201
    assert response.json()["from_applicant"] is False
    answer = ConversationMessage.objects.get(pk=response.json()["id"])
    assert answer.author == two_units.caller.client.user and answer.unit == two_units.own.unit
    asked.refresh_from_db()
    assert asked.read_at == answer.created_at
    assert ApplicantMessage.objects.filter(
        journey=two_units.journey, subject__contains="has written to you"
    ).exists()


def test_a_retried_answer_is_sent_once(two_units):
    url = f"/api/v1/steps/{two_units.own.pk}/messages/"
    headers = {"Idempotency-Key": "answer-1"}
    first = two_units.caller.post(url, {"body": "Noted."}, headers=headers)
    again = two_units.caller.post(url, {"body": "Noted."}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert ConversationMessage.objects.count() == 1


def test_an_empty_or_unknown_body_is_a_400_problem(two_units):
    url = f"/api/v1/steps/{two_units.own.pk}/messages/"
    for body in ({"body": "   "}, {"body": "Hi", "subject": "x"}, {}):
        response = two_units.caller.post(url, body)
        assert response.status_code == 400, body
        assert response["Content-Type"] == "application/problem+json"
    assert not ConversationMessage.objects.exists()


def test_another_units_thread_is_not_found_and_a_closed_one_is_a_409(two_units):
    other = f"/api/v1/steps/{two_units.other.pk}/messages/"
    assert two_units.caller.get(other).status_code == 404
    assert two_units.caller.post(other, {"body": "Hello"}).status_code == 404
    decide(two_units.other, "reject")
    response = two_units.caller.post(
        f"/api/v1/steps/{two_units.own.pk}/messages/", {"body": "Hello"}
    )
    assert response.status_code == 409
    assert response.json()["type"] == "urn:portal:problem:conversation-closed"
    assert not ConversationMessage.objects.exists()


def test_a_coordination_client_reads_and_does_not_write(two_units, api_caller):
    ask(two_units)
    coordination = api_caller()
    url = f"/api/v1/steps/{two_units.own.pk}/messages/"
    assert coordination.get(url).json()["results"][0]["body"] == QUESTION
    assert coordination.post(url, {"body": "Hello"}).status_code == 403
    assert ConversationMessage.objects.count() == 1
