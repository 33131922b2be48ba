"""The applicant is told, in the portal and by e-mail, at each turn of their journey."""

import datetime as dt

from django.core import mail
from django.utils import timezone, translation

from journeys import notifications, services
from journeys.models import ApplicantMessage
from tests.factories import (
    CAFE_ANSWERS,
    decide,
    deliver_all,
    make_caseworker,
    submitted_journey,
)


def subjects(journey) -> list[str]:
    return list(journey.messages.order_by("created_at", "pk").values_list("subject", flat=True))


def test_receipt_request_decisions_and_completion_each_write_a_message(cafe):
    quiet = {**CAFE_ANSWERS, "serves_alcohol": False, "outdoor_seating": False, "uses_lpg": False}
    journey = submitted_journey(cafe, answers=quiet)
    permit = journey.steps.get(step_type__key="building-permit")
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
    for key in ("company-registration", "food-registration"):
        decide(journey.steps.get(step_type__key=key))
        deliver_all()
    ref = journey.reference
    assert subjects(journey) == [
        f"We have received your application {ref}",
        f"More information needed for {ref}",
        f"Approved: Building permit for change of use and signs ({ref})",
        f"Approved: Register the company, F-tax and VAT ({ref})",
        f"Approved: Register the food business ({ref})",
        f"Every step is approved: {ref}",
    ]


def test_messages_are_written_in_the_language_the_applicant_applied_in(cafe):
    with translation.override("sv"):
        journey = submitted_journey(cafe)
    decide(journey.steps.get(step_type__key="building-permit"), "reject")
    receipt, rejection = journey.messages.order_by("created_at", "pk")
    assert receipt.subject == f"Vi har tagit emot din ansökan {journey.reference}"
    assert "Bygglov för ändrad användning och skyltar" in rejection.subject
    assert "Skatteverket" in receipt.body


def test_each_message_is_emailed_once(cafe):
    journey = submitted_journey(cafe)
    message = ApplicantMessage.objects.get(journey=journey)
    assert notifications.applicant_message_email(message_id=message.pk) is True
    assert notifications.applicant_message_email(message_id=message.pk) is False
    (email,) = mail.outbox
    assert email.to == [journey.applicant.email] and email.subject == message.subject
