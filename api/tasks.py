"""The API's periodic work: a thin task per service, as in journeys/tasks.py."""

from celery import shared_task
from django.utils import timezone

from api import idempotency


@shared_task(name="api.tasks.idempotency_keys_sweep")
def idempotency_keys_sweep() -> int:
    return idempotency.idempotency_keys_sweep(now=timezone.now())
