"""The applicant is told, in the portal and by e-mail, at each turn of their journey."""

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone, translation

from journeys import services
from journeys.models import ApplicantMessage, OutgoingEmail
from tests.factories import (
    decide,
    deliver_all,
    make_caseworker,
    send_emails,
    submitted_journey,
)
from tests.journey_types import journey_type


@pytest.fixture
def trail(db):
    """parallel-1 -> chain-1, and parallel-2, each in a unit of its own."""
    return journey_type(parallel=2, chain=1)


def subjects(journey) -> list[str]:
    return list(journey.messages.order_by("created_at", "pk").values_list("subject", flat=True))


def test_receipt_request_decisions_and_completion_each_write_a_message(trail):
    journey = submitted_journey(trail)
    permit = journey.steps.get(step_type__key="parallel-1")
    worker = make_caseworker(permit.unit)
    permit = services.step_claim(step=permit, by=worker, now=timezone.now())
    services.information_request_create(
        step=permit,
        by=worker,
        items=["Floor plan"],
        due_date=timezone.localdate() + dt.timedelta(days=5),
        now=timezone.now(),
    )
    services.information_request_answer(
        request=permit.information_requests.get(),
        by=journey.applicant,
        answer="Sent.",
        now=timezone.now(),
    )
    deliver_all()
    services.step_decide(
        step=permit, by=worker, outcome="approve", reasons="Fine.", now=timezone.now()
    )
    deliver_all()
    for key in ("parallel-2", "chain-1"):
        decide(journey.steps.get(step_type__key=key))
        deliver_all()
    ref = journey.reference
    assert subjects(journey) == [
        f"We have received your application {ref}",
        f"More information needed for {ref}",
        f"Approved: Parallel step 1 ({ref})",
        f"Approved: Parallel step 2 ({ref})",
        f"Approved: Chained step 1 ({ref})",
        f"Every step is approved: {ref}",
    ]


def test_messages_are_written_in_the_language_the_applicant_applied_in(trail):
    with translation.override("sv"):
        journey = submitted_journey(trail)
    decide(journey.steps.get(step_type__key="parallel-1"), "reject")
    receipt, rejection = journey.messages.order_by("created_at", "pk")
    assert receipt.subject == f"Vi har tagit emot din ansökan {journey.reference}"
    assert "Parallellt steg 1" in rejection.subject
    assert "Enhet office parallel 2" in receipt.body  # the units' names in Swedish too


def test_each_message_is_emailed_once_with_links_to_the_application_and_the_message(
    trail, settings
):
    settings.SITE_URL = "https://portal.example.org"
    journey = submitted_journey(trail)
    message = ApplicantMessage.objects.get(journey=journey)
    email_row = OutgoingEmail.objects.get(message=message)
    assert email_row.kind == OutgoingEmail.Kind.APPLICANT_MESSAGE and email_row.queue == "portal"
    now = timezone.now()
    assert services.outgoing_email_send(email_id=email_row.pk, now=now) is True
    assert services.outgoing_email_send(email_id=email_row.pk, now=now) is False
    (email,) = mail.outbox
    assert email.to == [journey.applicant.email] and email.subject == message.subject
    assert email.body.startswith(message.body)
    assert (
        f"Your application in the portal: https://portal.example.org/applications/"
        f"{journey.public_id}/" in email.body
    )
    assert (
        f"This message in the portal: https://portal.example.org/messages/#message-{message.pk}"
        in email.body
    )
    message.refresh_from_db()
    email_row.refresh_from_db()
    assert message.emailed_at == now == email_row.sent_at and email_row.attempts == 1


def test_the_links_are_in_the_applicants_language(trail, settings):
    settings.SITE_URL = "https://portal.example.org"
    with translation.override("sv"):
        journey = submitted_journey(trail)
    send_emails()
    (email,) = mail.outbox
    assert "Din ansökan i portalen: https://portal.example.org/applications/" in email.body
    assert "Meddelandet i portalen: https://portal.example.org/messages/#message-" in email.body
    assert email.subject == f"Vi har tagit emot din ansökan {journey.reference}"
