"""Publishing outbox rows (handoffs, outgoing e-mails): a row is the truth, its task a message.

Publishing runs after commit, in the request or task that wrote the rows, so it must neither
raise nor wait long: a failure is logged and kept on the row, and the sweep publishes it again.
"""

import datetime as dt
import logging
from collections.abc import Callable

from celery import Task
from django.db.models import F, Model, QuerySet

logger = logging.getLogger(__name__)

# One immediate reconnect-and-retry (a pooled connection gone stale after a broker restart), no
# sleeping between tries: a broker that is down costs the request milliseconds, not seconds.
PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0,
    "interval_max": 0,
}


def outbox_publish(
    rows: QuerySet, *, task: Task, queue: Callable[[Model], str], now: dt.datetime
) -> int:
    """Send `task(row.pk)` for each row to its queue and count the publish on the row. A failure
    is recorded as the row's last error, not raised. Returns how many were published."""
    published = 0
    model = rows.model
    for row in rows:
        try:
            task.apply_async(
                args=[row.pk], queue=queue(row), retry=True, retry_policy=PUBLISH_RETRY_POLICY
            )
        except Exception as error:  # the broker is down or unreachable: the sweep retries
            logger.warning("%s %s not published: %s", model.__name__, row.pk, error)
            model.objects.filter(pk=row.pk).update(last_error=f"publish: {error}"[:2000])
            continue
        model.objects.filter(pk=row.pk).update(
            published_at=now, publish_count=F("publish_count") + 1
        )
        published += 1
    return published
