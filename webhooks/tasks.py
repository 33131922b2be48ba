"""The webhooks' task: thin, on the `webhooks` queue (see webhooks.deliveries)."""

from celery import shared_task
from django.utils import timezone

from journeys.tasks import RecordedTask
from webhooks import deliveries


@shared_task(name="webhooks.tasks.delivery_attempt", base=RecordedTask)
def delivery_attempt(delivery_id: int) -> list[str]:
    """Post the delivery if it may be posted now, and after a success the subscription's next
    ones (deliveries_drain). A failed post is not an error of the task: the row keeps it and
    its schedule; only a database error is retried here."""
    return deliveries.deliveries_drain(delivery_id=delivery_id, clock=timezone.now)
