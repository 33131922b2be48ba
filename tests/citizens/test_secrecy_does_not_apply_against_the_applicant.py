"""Secrecy for a person's own protection does not apply against that person (OSL 12 kap. 1 §):
the applicant still sees, and downloads, their answers and the documents visible to them after
a unit marked them as secret, and is not shown the marking itself."""

from django.urls import reverse

from tests.api.conftest import add_document
from tests.factories import mark_secret, submitted_journey
from tests.journey_types import TRAIL_ANSWERS, journey_type


def test_the_applicant_sees_their_marked_answer_and_document(client, db):
    journey = submitted_journey(journey_type(parallel=2, chain=0))
    step = journey.steps.get(step_type__key="parallel-1")
    document = add_document(journey, step, "medical-certificate.pdf")
    mark_secret(step, field_key="contact_email", reason="Says where the applicant lives.")
    mark_secret(step, document=document)
    client.force_login(journey.applicant)
    page = client.get(reverse("citizens:application_track", args=[journey.public_id]))
    text = page.content.decode()
    assert TRAIL_ANSWERS["contact_email"] in text and "medical-certificate.pdf" in text
    assert "OSL" not in text and "Says where the applicant lives." not in text
    download = client.get(reverse("citizens:document", args=[journey.public_id, document.pk]))
    assert download.status_code == 200
