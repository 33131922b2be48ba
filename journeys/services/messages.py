"""Messages to the applicant: written in the portal (their language) and e-mailed after commit."""

import datetime as dt
from functools import partial

from celery import current_app
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation

from journeys.models import ApplicantMessage, Journey

EMAIL_TASK = "journeys.tasks.applicant_message_email"


def applicant_notify(
    *, journey: Journey, what: str, now: dt.datetime, **context
) -> ApplicantMessage:
    """Write the message `emails/applicant_<what>.txt` (first line: subject) to the applicant."""
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
    transaction.on_commit(
        partial(current_app.send_task, EMAIL_TASK, args=[message.pk], queue="portal")
    )
    return message
