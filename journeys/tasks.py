"""Thin Celery tasks: take ids, call one service. Each is safe to run twice."""

from celery import shared_task
from django.utils import timezone

from journeys import services


@shared_task(
    name="journeys.tasks.handoff_deliver",
    autoretry_for=(Exception,),
    retry_backoff=True,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=10,
)
def handoff_deliver(handoff_id: int) -> None:
    """Runs on the receiving unit's queue (unit.<slug>)."""
    services.handoff_deliver(handoff_id=handoff_id, now=timezone.now())


@shared_task(name="journeys.tasks.handoffs_sweep")
def handoffs_sweep() -> int:
    return services.handoffs_sweep(now=timezone.now())
