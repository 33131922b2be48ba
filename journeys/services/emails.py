"""The e-mail outbox: every e-mail a change causes is a row written in that change's transaction,
published after commit, sent once by a task, and published again by the sweep while unsent.

Delivery is **at least once**. The sending task locks its row, returns if it is sent, sends and
marks it sent in the same transaction. Two runs at once take turns on the lock, so the second
sends nothing; what can repeat an e-mail is a crash (or a lost database connection) after the
mail server accepted it and before the mark committed: the row is still unsent, and a retry or
the sweep sends it again. Marking first would turn that into a lost e-mail instead; a decision,
a request for information or a new case told twice is harmless, one never told is not.
"""

import datetime as dt
from functools import partial

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from journeys import notifications
from journeys.models import ApplicantMessage, Journey, JourneyEvent, OutgoingEmail, Step
from journeys.services.outbox import outbox_publish

PORTAL_QUEUE = "portal"


def outgoing_emails_create(
    *,
    kind: OutgoingEmail.Kind,
    now: dt.datetime,
    journey: Journey | None = None,
    step: Step | None = None,
    event: JourneyEvent | None = None,
    message: ApplicantMessage | None = None,
    queue: str = PORTAL_QUEUE,
    **account,
) -> OutgoingEmail:
    """Write the outbox row in the caller's transaction and publish it once that commits. An
    account e-mail gives `address`, `template`, `context` and `language` instead of a journey."""
    email = OutgoingEmail.objects.create(
        kind=kind,
        journey=journey,
        step=step,
        event=event,
        message=message,
        queue=queue,
        created_at=now,
        **account,
    )
    transaction.on_commit(partial(outgoing_emails_publish, [email.pk]))
    return email


def outgoing_emails_publish(
    email_ids: list[int], *, now: dt.datetime | None = None, after_commit: bool = True
) -> int:
    """Send each e-mail's task to its queue; never raises (see outbox_publish). Returns how many
    were published."""
    return outbox_publish(
        OutgoingEmail.objects.filter(pk__in=email_ids, sent_at__isnull=True),
        now=now or timezone.now(),
        after_commit=after_commit,
    )


def outgoing_email_send(*, email_id: int, now: dt.datetime) -> bool:
    """Send one outbox e-mail and mark it sent. Safe to repeat: a sent e-mail is not sent again.
    Returns whether this call sent it. A failure is counted on the row and raised (to retry)."""
    try:
        with transaction.atomic():
            email = (
                OutgoingEmail.objects.select_for_update(of=("self",))
                .select_related("message__recipient", "journey")
                .filter(pk=email_id)
                .first()
            )
            if email is None or email.sent_at is not None:
                return False
            notifications.outgoing_email_deliver(email)
            OutgoingEmail.objects.filter(pk=email.pk).update(
                sent_at=now, attempts=F("attempts") + 1, last_error=""
            )
            if email.message_id:
                ApplicantMessage.objects.filter(pk=email.message_id).update(emailed_at=now)
    except Exception as error:
        OutgoingEmail.objects.filter(pk=email_id, sent_at__isnull=True).update(
            attempts=F("attempts") + 1, last_error=f"send: {error!r}"[:2000]
        )
        raise
    return True


def outgoing_emails_sweep(*, now: dt.datetime) -> int:
    """Publish again every e-mail left unsent past the grace period. Returns the count."""
    stuck = list(OutgoingEmail.objects.overdue_for_sending(now=now).values_list("pk", flat=True))
    return outgoing_emails_publish(stuck, now=now, after_commit=False) if stuck else 0


def outgoing_emails_relay(*, now: dt.datetime, after: dt.timedelta) -> int:
    """Publish every unsent e-mail never published and older than `after` (its publish after
    commit failed, or never ran). Returns the count."""
    unpublished = OutgoingEmail.objects.unpublished(before=now - after).values_list("pk", flat=True)
    ids = list(unpublished)
    return outgoing_emails_publish(ids, now=now, after_commit=False) if ids else 0
