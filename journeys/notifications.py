"""E-mails: to a unit's members (a case landed in or left their queue, the daily digest of
overdue cases) and to applicants (the messages the portal wrote to them)."""

import datetime as dt

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from journeys.models import ApplicantMessage, JourneyEvent, Step
from units.models import Unit


def _send(unit: Unit, template: str, context: dict, *, leads_only: bool = False) -> int:
    recipients = unit.member_emails(leads_only=leads_only)
    if not recipients:
        return 0
    with translation.override(settings.LANGUAGE_CODE):
        subject, _, body = render_to_string(template, context).strip().partition("\n")
    return send_mail(subject.strip(), body.strip(), None, recipients)


def unit_notify(*, step_id: int, what: str) -> int:
    """Tell the unit's members that a step was queued, resumed or cancelled in their queue."""
    step = (
        Step.objects.select_related("journey__journey_type", "step_type", "unit")
        .filter(pk=step_id)
        .first()
    )
    if step is None:
        return 0
    return _send(
        step.unit,
        "emails/unit_step.txt",
        {"step": step, "what": what, "case_path": reverse("casework:case", args=[step.pk])},
    )


def units_overdue_digest(*, now: dt.datetime) -> int:
    """One e-mail per unit with overdue cases, listing them earliest due first."""
    overdue = (
        Step.objects.overdue(now=now)
        .select_related("journey", "step_type", "assignee")
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


def applicant_message_email(*, message_id: int) -> bool:
    """E-mail a portal message to its recipient once; a repeat run sends nothing."""
    message = ApplicantMessage.objects.select_related("recipient").filter(pk=message_id).first()
    if message is None or message.emailed_at is not None or not message.recipient.email:
        return False
    send_mail(message.subject, message.body, None, [message.recipient.email])
    ApplicantMessage.objects.filter(pk=message.pk, emailed_at__isnull=True).update(
        emailed_at=timezone.now()
    )
    return True


def unit_escalation_email(*, event_id: int) -> int:
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
        {"event": event, "case_path": reverse("casework:case", args=[event.step_id])},
        leads_only=True,
    )
