"""Messages to the applicant: written in the portal (their language) and e-mailed after commit."""

import datetime as dt

from django.template.loader import render_to_string
from django.utils import translation

from journeys.models import ApplicantMessage, Journey, OutgoingEmail
from journeys.services.emails import outgoing_emails_create


def applicant_notify(
    *, journey: Journey, what: str, now: dt.datetime, **context
) -> ApplicantMessage:
    """Write the message `emails/applicant_<what>.txt` (first line: subject) to the applicant, and
    its e-mail in the outbox, in the caller's transaction."""
    with translation.override(journey.language):
        text = render_to_string(f"emails/applicant_{what}.txt", {"journey": journey, **context})
    subject, _, body = text.strip().partition("\n")
    message = ApplicantMessage.objects.create(
        recipient=journey.applicant,
        journey=journey,
        subject=subject.strip(),
        body=body.strip(),
        created_at=now,
    )
    outgoing_emails_create(
        kind=OutgoingEmail.Kind.APPLICANT_MESSAGE, journey=journey, message=message, now=now
    )
    return message
