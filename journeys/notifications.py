"""E-mails: to a unit's members (a case landed in or left their queue, an escalation, the daily
digest of overdue cases), each in the member's language, and to applicants (the messages the
portal wrote to them). Links are absolute, from settings.SITE_URL. The outbox
(journeys.services.emails) decides when; this module writes and sends them."""

import datetime as dt
from itertools import groupby

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from journeys.models import ApplicantMessage, Consultation, JourneyEvent, OutgoingEmail, Step
from journeys.templatetags.people import STAFF_NAME_RELATED
from units.models import Unit


def absolute_url(path: str) -> str:
    """A page's address for someone reading an e-mail outside the portal."""
    return f"{settings.SITE_URL}{path}"


def _send(unit: Unit, template: str, context: dict, *, leads_only: bool = False) -> int:
    """One e-mail per language the unit's members read, each written in that language.
    Returns how many e-mails were sent."""
    recipients = sorted(unit.member_recipients(leads_only=leads_only), key=lambda r: r[1])
    sent = 0
    for language, group in groupby(recipients, key=lambda r: r[1]):
        with translation.override(language):
            subject, _, body = render_to_string(template, context).strip().partition("\n")
        sent += send_mail(subject.strip(), body.strip(), None, [email for email, _ in group])
    return sent


def outgoing_email_deliver(email: OutgoingEmail) -> int:
    """Write and send one outbox e-mail to its recipients as they are now. Returns how many
    e-mails went out (none when nobody has an address)."""
    if email.kind == OutgoingEmail.Kind.APPLICANT_MESSAGE:
        return applicant_message_email(email.message)
    if email.kind == OutgoingEmail.Kind.ACCOUNT:
        return account_email(email)
    if email.kind == OutgoingEmail.Kind.ESCALATION:
        return unit_escalation_email(email.event_id)
    if email.kind == OutgoingEmail.Kind.CONSULTATION:
        return unit_consultation_email(email.consultation_id)
    if email.kind == OutgoingEmail.Kind.CONSULTATION_WITHDRAWN:
        return unit_consultation_email(
            email.consultation_id, "emails/unit_consultation_withdrawn.txt"
        )
    if email.kind == OutgoingEmail.Kind.ANSWERS_CHANGED:
        return unit_step_email(email.step_id, "answers_changed", "emails/unit_answers_changed.txt")
    if email.kind == OutgoingEmail.Kind.CONVERSATION_MESSAGE:
        return unit_step_email(email.step_id, "message", "emails/unit_conversation_message.txt")
    what = {
        OutgoingEmail.Kind.STEP_QUEUED: "queued",
        OutgoingEmail.Kind.STEP_RESUMED: "resumed",
        OutgoingEmail.Kind.STEP_CANCELLED: "cancelled",
        OutgoingEmail.Kind.STEP_RECALLED: "recalled",
    }[email.kind]
    return unit_step_email(email.step_id, what)


def unit_step_email(step_id: int, what: str, template: str = "emails/unit_step.txt") -> int:
    """Tell the unit's members that a step in their queue was queued, resumed, cancelled or
    recalled, or that the applicant changed answers it needs or wrote to them about it."""
    step = (
        Step.objects.select_related("journey__journey_type", "step_type", "unit")
        .filter(pk=step_id)
        .first()
    )
    if step is None:
        return 0
    return _send(
        step.unit,
        template,
        {
            "step": step,
            "what": what,
            "case_url": absolute_url(reverse("casework:case", args=[step.pk])),
        },
    )


def unit_escalation_email(event_id: int) -> int:
    """E-mail a coordinator's escalation to the leads of the step's unit."""
    event = (
        JourneyEvent.objects.select_related("journey", "step__step_type", "step__unit", "actor")
        .filter(pk=event_id, kind=JourneyEvent.Kind.ESCALATED)
        .first()
    )
    if event is None or event.step is None:
        return 0
    return _send(
        event.step.unit,
        "emails/unit_escalation.txt",
        {
            "event": event,
            "case_url": absolute_url(reverse("casework:case", args=[event.step_id])),
        },
        leads_only=True,
    )


def unit_consultation_email(
    consultation_id: int, template: str = "emails/unit_consultation.txt"
) -> int:
    """Tell the consulted unit's members that another unit asks their opinion, or (with the
    withdrawal's template) that it no longer does."""
    consultation = (
        Consultation.objects.select_related(
            "step__journey", "step__step_type", "step__unit", "unit"
        )
        .filter(pk=consultation_id)
        .first()
    )
    if consultation is None:
        return 0
    return _send(
        consultation.unit,
        template,
        {
            "consultation": consultation,
            "consultation_url": absolute_url(
                reverse("casework:consultation", args=[consultation.pk])
            ),
        },
    )


def applicant_message_email(message: ApplicantMessage) -> int:
    """E-mail a portal message to its recipient's current address, with links to the
    application's page and to the message, in the journey's language."""
    address = message.recipient.email
    if not address:
        return 0
    journey = message.journey
    with translation.override(journey.language):
        links = render_to_string(
            "emails/applicant_links.txt",
            {
                "tracking_url": absolute_url(
                    reverse("citizens:application_track", args=[journey.public_id])
                ),
                "message_url": absolute_url(f"{reverse('citizens:messages')}#message-{message.pk}"),
            },
        ).strip()
    return send_mail(message.subject, f"{message.body}\n\n{links}\n", None, [address])


def units_overdue_digest(*, now: dt.datetime) -> int:
    """One e-mail per unit with overdue cases (per language), listing them earliest due first."""
    overdue = (
        Step.objects.overdue(now=now)
        .select_related("journey", "step_type", f"assignee__{STAFF_NAME_RELATED}")
        .order_by("unit_id", "due_at")
    )
    by_unit: dict[int, list[Step]] = {}
    for step in overdue:
        by_unit.setdefault(step.unit_id, []).append(step)
    sent = 0
    for unit in Unit.objects.filter(pk__in=by_unit):
        sent += _send(
            unit, "emails/unit_overdue_digest.txt", {"unit": unit, "steps": by_unit[unit.pk]}
        )
    return sent


def account_email(email: OutgoingEmail) -> int:
    """An e-mail about an account (finishing a sign-up, failed sign-ins), written from its
    template and context in the language of the person it was written for."""
    with translation.override(email.language or settings.LANGUAGE_CODE):
        text = render_to_string(
            f"emails/{email.template}.txt", {**email.context, "site_url": settings.SITE_URL}
        )
    subject, _, body = text.strip().partition("\n")
    return send_mail(subject.strip(), body.strip() + "\n", None, [email.address])
