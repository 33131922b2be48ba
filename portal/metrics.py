"""What operations watch, as Prometheus metrics at /metrics: each unit's open and overdue cases,
its undelivered handoffs and the oldest one's age, the messages waiting in its broker queue, the
dead letters, unsent e-mails and undelivered webhook events. Read fresh at each scrape by a few
aggregate queries (as many whatever the number of units or cases) and one passive declare per
queue on the broker; nothing is counted in the request path.

The endpoint is closed unless METRICS_TOKEN is set, and then answers only a scraper that sends it
as a bearer token (everyone else gets 404, as for any page outside their scope); put it behind the
network's own restriction as well (docs/deploy.md)."""

import datetime as dt
import hmac
import logging
from collections.abc import Iterator

from django.conf import settings
from django.db.models import Count, Min, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily

from journeys.models import FailedTask, Handoff, OutgoingEmail, Step
from units.models import Unit
from webhooks.models import Delivery

logger = logging.getLogger(__name__)


def _broker_queue_lengths(queues: list[str]) -> dict[str, int] | None:
    """Messages waiting in each queue on the broker; None if the broker does not answer."""
    from portal.celery import app

    lengths = {}
    try:
        with app.connection_for_read() as connection:
            connection.ensure_connection(max_retries=1, timeout=2)
            for queue in queues:
                channel = connection.channel()
                try:
                    lengths[queue] = channel.queue_declare(queue=queue, passive=True).message_count
                except Exception:  # never declared (no worker yet): nothing waiting in it
                    lengths[queue] = 0
                finally:
                    channel.close()
    except Exception:
        logger.warning("metrics: the broker did not answer", exc_info=True)
        return None
    return lengths


class PortalCollector:
    def __init__(self, now: dt.datetime):
        self.now = now

    def collect(self) -> Iterator[GaugeMetricFamily]:
        units = {unit.pk: unit.slug for unit in Unit.objects.only("pk", "slug")}
        cases = Step.objects.filter(status__in=Step.ACTIVE_STATUSES).values("unit_id")
        cases = cases.annotate(open=Count("pk"), overdue=Count("pk", filter=Q(due_at__lt=self.now)))
        open_cases = GaugeMetricFamily(
            "portal_unit_open_cases",
            "Cases with the unit (received, not decided).",
            labels=["unit"],
        )
        overdue_cases = GaugeMetricFamily(
            "portal_unit_overdue_cases",
            "The unit's open cases past their due date.",
            labels=["unit"],
        )
        by_unit = {row["unit_id"]: row for row in cases}
        for pk, slug in units.items():
            row = by_unit.get(pk, {"open": 0, "overdue": 0})
            open_cases.add_metric([slug], row["open"])
            overdue_cases.add_metric([slug], row["overdue"])
        yield open_cases
        yield overdue_cases

        handoffs = Handoff.objects.undelivered().values("unit_id")
        handoffs = {
            row["unit_id"]: row
            for row in handoffs.annotate(waiting=Count("pk"), oldest=Min("created_at"))
        }
        undelivered = GaugeMetricFamily(
            "portal_unit_handoffs_undelivered",
            "Handoffs to the unit not yet carried out by its worker.",
            labels=["unit"],
        )
        age = GaugeMetricFamily(
            "portal_unit_handoff_oldest_seconds",
            "Age of the unit's oldest undelivered handoff (0 when none waits).",
            labels=["unit"],
        )
        for pk, slug in units.items():
            row = handoffs.get(pk)
            undelivered.add_metric([slug], row["waiting"] if row else 0)
            age.add_metric([slug], (self.now - row["oldest"]).total_seconds() if row else 0)
        yield undelivered
        yield age

        queues = {slug: f"unit.{slug}" for slug in units.values()}
        # The dead-letter queue exists on RabbitMQ only (portal/celery.py); elsewhere it reads 0.
        from portal.celery import DEAD_LETTERS

        lengths = _broker_queue_lengths([*queues.values(), "portal", "webhooks", DEAD_LETTERS])
        yield GaugeMetricFamily(
            "portal_broker_up",
            "1 if the broker answered this scrape.",
            value=int(lengths is not None),
        )
        if lengths is not None:
            depth = GaugeMetricFamily(
                "portal_broker_queue_messages",
                "Messages waiting in the queue on the broker.",
                labels=["queue"],
            )
            for queue, length in sorted(lengths.items()):
                depth.add_metric([queue], length)
            yield depth

        yield GaugeMetricFamily(
            "portal_dead_letters",
            "Tasks that failed after their last retry (coordinators see them on the dashboard).",
            value=FailedTask.objects.count(),
        )
        yield GaugeMetricFamily(
            "portal_emails_unsent",
            "E-mails in the outbox not sent yet.",
            value=OutgoingEmail.objects.unsent().count(),
        )
        yield GaugeMetricFamily(
            "portal_webhook_deliveries_undelivered",
            "Events not yet delivered to a subscriber.",
            value=Delivery.objects.undelivered().count(),
        )


def _authorised(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    sent = request.headers.get("Authorization", "")
    return bool(token) and hmac.compare_digest(sent.encode(), f"Bearer {token}".encode())


@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    if not _authorised(request):
        raise Http404
    registry = CollectorRegistry(auto_describe=False)
    registry.register(PortalCollector(timezone.now()))
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
