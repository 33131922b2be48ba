"""The records' periodic work: a thin task per service, as in journeys/tasks.py."""

from celery import shared_task
from django.utils import timezone

from records import disposal, services


@shared_task(name="records.tasks.access_log_dispose")
def access_log_dispose() -> int:
    return services.access_log_dispose(now=timezone.now())


@shared_task(name="records.tasks.disposal_sweep")
def disposal_sweep() -> int:
    """Dispose of what the retention rules say is due (records.disposal); how many things went."""
    return len(disposal.disposal_sweep(now=timezone.now()))
