"""Webhook deliveries beside a no-op Celery task, with a real worker and a real receiver (issue 14).

Run through bench/run after bench/handoffs.py (or by hand with DATABASE_URL and CELERY_BROKER_URL
set, on a database seeded by seed_demo and seed_scale). It starts:

- a receiver process (tests/webhooks/receiver.py, the one the tests use): it answers the
  verification handshake, verifies every event's signature with the `standardwebhooks` library,
  answers 204 and appends each request to a JSON-lines record with the time it arrived;
- a `celery worker` as production runs it (prefork, one process per core, every queue of
  `manage.py unit_queues`, `webhooks` among them; bench/handoffs.py's Worker);

subscribes a coordination client to `step.taken` through the service (the handshake included),
and measures:

- no-op: bench/handoffs.py's no-op task on the `webhooks` queue (one at a time, then
  BENCH_NOOP_BATCH at once: tasks/s);
- webhook: caseworkers take queued steps (journeys.services.step_claim, one step per journey,
  so order per journey holds nothing back), one at a time (taking committed -> the signed event
  arrived at the receiver, p50/p99), then BENCH_WEBHOOK_BATCH steps taken in one transaction
  (deliveries/s, from the commit to the last event's arrival).

Every figure is read after the fact: arrivals from the receiver's record, deliveries from the
database (every row delivered, the receiver's count of verified signatures). The subscription,
its client and its rows are deleted at the end; the worker and the receiver are stopped, also on
error. Prints one JSON object; progress goes to stderr."""

import json
import os
import signal
import sys
import tempfile
import time
from io import StringIO
from pathlib import Path

# The receiver listens on 127.0.0.1, which the SSRF guard refuses outside development; set
# before Django's settings are read, and inherited by the worker.
os.environ["WEBHOOKS_ALLOW_PRIVATE_ADDRESSES"] = "1"

import django  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from api.clients import api_client_create  # noqa: E402
from bench.handoffs import (  # noqa: E402
    CONCURRENCY,
    TIMEOUT,
    WARM_UP,
    Tracker,
    Worker,
    figures,
    fresh_journeys,
    log,
    measure_noop,
    percentile,
)
from journeys import services  # noqa: E402
from journeys.models import Journey, JourneyEvent, Step  # noqa: E402
from tests.webhooks.receivers import ReceiverProcess  # noqa: E402
from webhooks.models import Delivery  # noqa: E402
from webhooks.subscriptions import subscription_create  # noqa: E402

SAMPLES = int(os.environ.get("BENCH_WEBHOOK_SAMPLES", "100"))
BATCH = int(os.environ.get("BENCH_WEBHOOK_BATCH", "500"))
EVENT_TYPE = "step.taken"


def queued_steps(count: int, tracker: Tracker) -> list[Step]:
    """Queued steps, one per journey; café applications are submitted when too few are left."""

    def found() -> list[Step]:
        steps, journeys = [], set()
        candidates = Step.objects.filter(
            status=Step.Status.QUEUED, journey__status__in=Journey.OPEN_STATUSES
        ).order_by("pk")
        for step in candidates.iterator(chunk_size=2000):
            if step.journey_id not in journeys:
                journeys.add(step.journey_id)
                steps.append(step)
                if len(steps) == count:
                    break
        return steps

    steps = found()
    if len(steps) < count:
        log(f"{len(steps)} queued steps on distinct journeys; submitting {count - len(steps)}")
        fresh_journeys(count - len(steps), tracker)
        steps = found()
        if len(steps) < count:
            raise RuntimeError(f"Only {len(steps)} queued steps on distinct journeys.")
    return steps


def take_all(steps: list[Step], by) -> float:
    """Take these steps in one transaction, as caseworkers do; return when it committed."""
    committed = []
    with transaction.atomic():
        transaction.on_commit(lambda: committed.append(time.time()))
        for step in steps:
            services.step_claim(step=step, by=by, now=timezone.now())
    return committed[0]


def arrivals(receiver: ReceiverProcess, step_ids: list[int]) -> dict[int, float]:
    """When the receiver first had each step's event, with a verified signature."""
    wanted = set(step_ids)
    arrived: dict[int, float] = {}
    for entry in receiver.events():
        step = (entry.get("step") or {}).get("id")
        if entry["verified"] and entry["type"] == EVENT_TYPE and step in wanted:
            arrived.setdefault(step, entry["received_at"])
    return arrived


def wait_arrived(receiver: ReceiverProcess, step_ids: list[int]) -> dict[int, float]:
    deadline = time.monotonic() + TIMEOUT
    while True:
        arrived = arrivals(receiver, step_ids)
        if len(arrived) == len(step_ids):
            return arrived
        if time.monotonic() > deadline:
            raise RuntimeError(f"{len(arrived)} of {len(step_ids)} events arrived in {TIMEOUT} s")
        time.sleep(0.005 if len(step_ids) == 1 else 0.2)


def measure_webhook(tracker: Tracker, receiver: ReceiverProcess, subscription) -> dict:
    steps = queued_steps(WARM_UP + SAMPLES + BATCH, tracker)
    tracker.wait_idle()
    caseworker, _ = get_user_model().objects.get_or_create(username="bench-caseworker")

    latencies = []
    for index, step in enumerate(steps[: WARM_UP + SAMPLES]):
        committed = take_all([step], caseworker)
        arrived = wait_arrived(receiver, [step.pk])
        if index >= WARM_UP:
            latencies.append(arrived[step.pk] - committed)
    tracker.wait_idle()

    batch = steps[WARM_UP + SAMPLES :]
    committed = take_all(batch, caseworker)
    arrived = wait_arrived(receiver, [step.pk for step in batch])
    tracker.wait_idle()

    rows = Delivery.objects.filter(
        subscription=subscription,
        event__kind=JourneyEvent.Kind.STEP_CLAIMED,
        event__step__in=steps,
    )
    delivered = rows.filter(delivered_at__isnull=False).count()
    if delivered != len(steps):
        raise RuntimeError(f"{delivered} of {len(steps)} deliveries recorded as delivered")
    attempts = sorted(rows.values_list("attempts", flat=True))
    requests = len(receiver.events())
    return figures(latencies, len(batch) / (max(arrived.values()) - committed)) | {
        "batch": len(batch),
        "delivered_rows": delivered,
        "requests_received": requests,
        "attempts_p99": percentile(attempts, 0.99),
        "per_subscription_concurrency": settings.WEBHOOK_CONCURRENCY_PER_SUBSCRIPTION,
    }


def main() -> None:
    if not settings.CELERY_BROKER_URL.startswith("redis://"):
        sys.exit("Set CELERY_BROKER_URL to a Redis database of the benchmark's own.")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # so the worker is stopped
    out = StringIO()
    call_command("unit_queues", stdout=out)
    queues = out.getvalue().strip()
    tracker = Tracker()
    tracker.reset(queues.split(","))
    receiver = ReceiverProcess(Path(tempfile.mkdtemp(prefix="bench-receiver-")))
    worker = Worker(queues)
    client = subscription = None
    try:
        receiver.start()
        client, _ = api_client_create(name="Benchmark receiver", now=timezone.now())
        subscription, secret = subscription_create(
            client=client, url=receiver.url, event_types=[EVENT_TYPE], now=timezone.now()
        )
        receiver.remember(secret)
        worker.start()
        log(f"worker started (prefork, concurrency {CONCURRENCY}); measuring the no-op task")
        noop = measure_noop(tracker, queue="webhooks")
        log(f"no-op: {noop}; measuring webhook deliveries")
        webhook = measure_webhook(tracker, receiver, subscription)
        log(f"webhook: {webhook}")
    finally:
        worker.stop()
        receiver.stop()
        if subscription is not None:
            subscription.delete()
        if client is not None:
            user, application = client.user, client.application
            client.delete()
            application.delete()
            user.delete()
    json.dump(
        {
            "journeys": Journey.objects.count(),
            "cores": os.cpu_count(),
            "worker_concurrency": CONCURRENCY,
            "noop": noop,
            "webhook": webhook,
            "ratios": {
                "latency_p50": round(webhook["p50_ms"] / noop["p50_ms"], 2),
                "throughput": round(webhook["per_s"] / noop["per_s"], 3),
            },
        },
        sys.stdout,
        indent=2,
    )
    print()


if __name__ == "__main__":
    main()
