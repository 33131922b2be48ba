"""Thin Celery tasks: take ids, call one service. Each is safe to run twice; each retries with
backoff and jitter up to a cap, then leaves a dead-letter row (journeys.FailedTask)."""

from celery import shared_task
from celery.contrib.django.task import DjangoTask
from django.conf import settings
from django.utils import timezone

from journeys import notifications, services
from journeys.models import Journey, Step


class RecordedTask(DjangoTask):
    """A task whose final failure is written to the database, not only to a log line."""

    autoretry_for = (Exception,)
    retry_backoff = True
    retry_backoff_max = 300
    retry_jitter = True
    max_retries = settings.CELERY_TASK_MAX_RETRIES

    def on_failure(self, exc, task_id, args, kwargs, einfo):
        services.task_failure_record(
            task_id=task_id,
            task_name=self.name,
            args=list(args),
            error=repr(exc),
            now=timezone.now(),
        )


@shared_task(name="journeys.tasks.handoff_deliver", base=RecordedTask)
def handoff_deliver(handoff_id: int) -> None:
    """Runs on the receiving unit's queue (unit.<slug>)."""
    services.handoff_deliver(handoff_id=handoff_id, now=timezone.now())


@shared_task(name="journeys.tasks.handoffs_sweep")
def handoffs_sweep() -> int:
    return services.handoffs_sweep(now=timezone.now())


@shared_task(name="journeys.tasks.outgoing_email_send", base=RecordedTask)
def outgoing_email_send(email_id: int) -> bool:
    """Runs on the row's queue: a unit's own for its notices, `portal` for the rest."""
    return services.outgoing_email_send(email_id=email_id, now=timezone.now())


@shared_task(name="journeys.tasks.outgoing_emails_sweep")
def outgoing_emails_sweep() -> int:
    return services.outgoing_emails_sweep(now=timezone.now())


@shared_task(name="journeys.tasks.units_overdue_digest")
def units_overdue_digest() -> int:
    return notifications.units_overdue_digest(now=timezone.now())


@shared_task(name="journeys.tasks.stuck_sweep")
def stuck_sweep() -> dict:
    return services.stuck_sweep(now=timezone.now())


@shared_task(name="journeys.tasks.delay_notices_sweep")
def delay_notices_sweep() -> int:
    return services.delay_notices_sweep(now=timezone.now())


@shared_task(name="journeys.tasks.decision_letter_write", base=RecordedTask)
def decision_letter_write(step_id: int) -> int | None:
    """Print and store a decided step's letter (nothing if it exists already)."""
    step = Step.objects.filter(pk=step_id).first()
    if step is None:
        return None
    letter = services.decision_letter_create(step=step, now=timezone.now())
    return letter.pk if letter else None


@shared_task(name="journeys.tasks.receipt_write", base=RecordedTask)
def receipt_write(journey_id: int) -> int | None:
    """Print and store a submitted journey's receipt (nothing if it exists already)."""
    journey = Journey.objects.filter(pk=journey_id).first()
    if journey is None:
        return None
    receipt = services.receipt_create(journey=journey, now=timezone.now())
    return receipt.pk if receipt else None


@shared_task(name="journeys.tasks.always_fails", base=RecordedTask)
def always_fails(label: str) -> None:
    """For the reliability tests and drills: fails every time, so its retries run out."""
    raise RuntimeError(f"always fails: {label}")
