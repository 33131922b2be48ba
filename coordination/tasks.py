"""The coordinator's periodic work: the insight figures, recomputed for every current service."""

from celery import shared_task
from django.utils import timezone

from coordination import insight


@shared_task(name="coordination.tasks.insight_refresh")
def insight_refresh() -> int:
    return insight.insight_refresh_defaults(today=timezone.localdate())
