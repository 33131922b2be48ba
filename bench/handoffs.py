"""Benchmark the handoff against a no-op Celery task, with a real worker, in one run (issue 7).

Run through bench/run (or by hand with DATABASE_URL and CELERY_BROKER_URL set, on a database
seeded by seed_demo and seed_scale). This script starts a `celery worker` as production does
(prefork, one process per core, every unit queue and the default queue, `--include bench.tasks`
for the no-op task and the receivers that report to this script), then measures:

- no-op: a task whose body only notes the time, sent one at a time (send -> body ran, p50/p99)
  and then BENCH_NOOP_BATCH at once (tasks/s, from the first send to the last body);
- handoff: caseworker decisions taken with the real services (journeys.services.step_decide) on
  open steps whose approval hands the journey to another unit (from the seeded journeys, topped
  up with café applications submitted through the services when too few are left), one at a
  time (decision committed -> the handoff task committed the successor step in the receiving
  unit, p50/p99), then BENCH_HANDOFF_BATCH decisions committed in one transaction (handoffs/s,
  from the commit to the last successor step queued). Each decision also e-mails the applicant
  and each delivered handoff e-mails the receiving unit's members, each from a task of its own
  on the same worker, as in production (tasks_per_handoff); the worker's mail goes to Django's
  dummy backend, so no SMTP time is counted.

Besides: "recorded" latency, as the portal's insight reports it (handoff.delivered_at minus
handoff.created_at: from the start of the decision to the start of the delivering task); the
decision's own transaction; and the one-at-a-time latency split into commit -> delivering task
started (until_task) and the delivering task itself (task).

The worker is stopped at the end, also on error. Messages left in the worker's queues are purged
first (their handoffs stay in the outbox, where the sweep would find them): give the benchmark a
Redis database of its own. Prints one JSON object; progress goes to stderr."""

import json
import math
import os
import signal
import subprocess
import sys
import time
from io import StringIO
from pathlib import Path

import django

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
django.setup()

from celery import current_app  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench import tasks as bench_tasks  # noqa: E402
from journeys import services  # noqa: E402
from journeys.models import Handoff, Journey, JourneyType, Step, StepType  # noqa: E402
from journeys.tasks import handoff_deliver  # noqa: E402

NOOP_SAMPLES = int(os.environ.get("BENCH_NOOP_SAMPLES", "300"))
NOOP_BATCH = int(os.environ.get("BENCH_NOOP_BATCH", "2000"))
HANDOFF_SAMPLES = int(os.environ.get("BENCH_HANDOFF_SAMPLES", "200"))
HANDOFF_BATCH = int(os.environ.get("BENCH_HANDOFF_BATCH", "500"))
WARM_UP = 20
WORKER_LOG = Path(os.environ.get("BENCH_WORKER_LOG", ROOT / "var" / "bench-worker.log"))
CONCURRENCY = os.cpu_count() or 1
TIMEOUT = 120  # seconds to wait for anything the worker should do
CAFE_ANSWERS = {
    "company_name": "Benchmark Kafé AB",
    "org_number": "556016-0680",
    "contact_name": "Bea Bench",
    "contact_email": "bench-applicant@example.org",
    "contact_phone": "070-000 00 00",
    "premises_address": "Mätgatan 1, Stockholm",
    "opening_date": "2027-03-15",
    "serves_alcohol": True,
    "outdoor_seating": False,
    "uses_lpg": False,
}


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def figures(latencies: list[float], per_s: float) -> dict:
    return {
        "p50_ms": round(percentile(latencies, 0.50) * 1000, 2),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 2),
        "per_s": round(per_s, 1),
        "samples": len(latencies),
    }


class Worker:
    """`celery worker` as docker-compose starts it, plus the benchmark's tasks and receivers."""

    def __init__(self, queues: str):
        self.queues = queues
        self.process: subprocess.Popen | None = None

    def start(self) -> "Worker":
        WORKER_LOG.parent.mkdir(parents=True, exist_ok=True)
        self.log = WORKER_LOG.open("w")
        env = {**os.environ, "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend"}
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "portal",
                "worker",
                "--loglevel=INFO",
                "--pool=prefork",
                f"--concurrency={CONCURRENCY}",
                "--include=bench.tasks",
                "--hostname=bench-handoffs@%h",
                "-Q",
                self.queues,
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + TIMEOUT
        while "ready." not in WORKER_LOG.read_text():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"The worker did not start; see {WORKER_LOG}")
            time.sleep(0.1)
        return self

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()  # warm shutdown: running tasks finish
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)  # its pool processes too
                self.process.wait()
        self.log.close()


class Tracker:
    """What the worker reported through Redis (see bench/tasks.py)."""

    def __init__(self):
        self.redis = bench_tasks.client()
        self.finished: list[dict] = []
        self.delivered: dict[int, float] = {}  # handoff id -> when its task finished
        self.started: dict[int, float] = {}  # handoff id -> when that task's body was to run

    def reset(self, queues: list[str]) -> None:
        self.redis.delete(*bench_tasks.KEYS)
        with current_app.connection_for_write() as connection:
            for queue in queues:
                connection.default_channel.queue_purge(queue)

    def _take(self, timeout: float) -> None:
        item = self.redis.blpop([bench_tasks.FINISHED], timeout=timeout)
        if item is None:
            return
        for raw in [item[1], *(self.redis.lpop(bench_tasks.FINISHED, 10_000) or [])]:
            record = json.loads(raw)
            self.finished.append(record)
            if record["task"] == handoff_deliver.name and record["state"] == "SUCCESS":
                self.delivered.setdefault(record["args"][0], record["at"])
                self.started.setdefault(record["args"][0], record["started"])

    def wait(self, condition, what: str) -> None:
        deadline = time.monotonic() + TIMEOUT
        while not condition():
            if time.monotonic() > deadline:
                raise RuntimeError(f"Timed out waiting for {what}; see {WORKER_LOG}")
            self._take(timeout=1)

    def wait_idle(self) -> None:
        """Until every task published so far (by anyone) has finished."""
        self.wait(
            lambda: len(self.finished) >= int(self.redis.get(bench_tasks.PUBLISHED) or 0),
            "the worker to finish every task",
        )

    def wait_delivered(self, handoff_ids: list[int]) -> None:
        self.wait(
            lambda: all(pk in self.delivered for pk in handoff_ids),
            f"{len(handoff_ids)} handoffs to be delivered",
        )

    def noop_ran(self, count: int) -> list[float]:
        ran = []
        deadline = time.monotonic() + TIMEOUT
        while len(ran) < count:
            item = self.redis.blpop([bench_tasks.NOOP_RAN], timeout=1)
            if item is not None:
                ran.append(float(item[1]))
            elif time.monotonic() > deadline:
                raise RuntimeError(f"Timed out waiting for no-op tasks; see {WORKER_LOG}")
        return ran


def measure_noop(tracker: Tracker, queue: str) -> dict:
    send = current_app.send_task
    for _ in range(WARM_UP):
        send(bench_tasks.noop.name, queue=queue)
    tracker.noop_ran(WARM_UP)
    tracker.wait_idle()
    latencies = []
    for _ in range(NOOP_SAMPLES):
        sent = time.time()
        send(bench_tasks.noop.name, queue=queue)
        latencies.append(tracker.noop_ran(1)[0] - sent)
        tracker.wait_idle()
    started = time.time()
    for _ in range(NOOP_BATCH):
        send(bench_tasks.noop.name, queue=queue)
    ran = tracker.noop_ran(NOOP_BATCH)
    tracker.wait_idle()
    return figures(latencies, NOOP_BATCH / (max(ran) - started)) | {"batch": NOOP_BATCH}


def _dependencies() -> dict[int, list[int]]:
    through = StepType.depends_on.through.objects.values_list("from_steptype_id", "to_steptype_id")
    dependencies: dict[int, list[int]] = {}
    for step_type_id, depends_on_id in through:
        dependencies.setdefault(step_type_id, []).append(depends_on_id)
    return dependencies


def handing_off_steps(count: int) -> list[Step]:
    """Open steps, at most one per journey, whose approval makes a step of another unit ready."""
    dependencies = _dependencies()
    found: list[Step] = []
    candidates = (
        Step.objects.filter(
            status__in=[Step.Status.QUEUED, Step.Status.IN_PROGRESS],
            journey__status__in=Journey.OPEN_STATUSES,
        )
        .exclude(status=Step.Status.IN_PROGRESS, assignee__isnull=True)
        .select_related("assignee")
        .order_by("pk")
    )
    seen_journeys: set[int] = set()
    for step in candidates.iterator(chunk_size=2000):
        if step.journey_id in seen_journeys:
            continue
        others = list(Step.objects.filter(journey_id=step.journey_id).exclude(pk=step.pk))
        status = {s.step_type_id: s.status for s in others} | {
            step.step_type_id: Step.Status.APPROVED
        }
        ready = [
            s
            for s in others
            if s.status == Step.Status.WAITING
            and all(
                status.get(d, Step.Status.APPROVED) == Step.Status.APPROVED
                for d in dependencies.get(s.step_type_id, [])
            )
        ]
        if any(s.unit_id != step.unit_id for s in ready):
            seen_journeys.add(step.journey_id)
            found.append(step)
            if len(found) == count:
                break
    return found


def fresh_journeys(count: int, tracker: Tracker) -> None:
    """Café applications submitted through the services; the worker queues their first steps."""
    applicant, _ = get_user_model().objects.get_or_create(
        username="bench-applicant", defaults={"email": CAFE_ANSWERS["contact_email"]}
    )
    cafe = JourneyType.objects.get(slug="open-a-cafe", is_current=True)
    for _ in range(count):
        now = timezone.now()
        journey = services.journey_start(journey_type=cafe, applicant=applicant, now=now)
        services.journey_save_answers(journey=journey, answers=CAFE_ANSWERS)
        services.journey_submit(journey=journey, by=applicant, language="en", now=now)
    tracker.wait_idle()


def decided_by(steps: list[Step]) -> list[tuple[Step, object]]:
    """Each step with the caseworker who decides it (queued ones are taken first)."""
    caseworker, _ = get_user_model().objects.get_or_create(username="bench-caseworker")
    now = timezone.now()
    pairs = []
    with transaction.atomic():
        for step in steps:
            if step.status == Step.Status.QUEUED:
                step = services.step_claim(step=step, by=caseworker, now=now)
                pairs.append((step, caseworker))
            else:
                pairs.append((step, step.assignee))
    return pairs


def decide_all(pairs: list[tuple[Step, object]]) -> float:
    """Approve these steps in one transaction, as caseworkers do; return when it committed."""
    committed = []
    with transaction.atomic():
        # Registered first, so it runs first after COMMIT, before the handoffs are published.
        transaction.on_commit(lambda: committed.append(time.time()))
        for step, by in pairs:
            services.step_decide(
                step=step,
                by=by,
                outcome="approve",
                reasons="Meets the requirements.",
                now=timezone.now(),
            )
    return committed[0]


def handoffs_of(journey_ids: list[int], since) -> list[int]:
    return list(
        Handoff.objects.filter(
            step__journey_id__in=journey_ids, kind=Handoff.Kind.ACTIVATE, created_at__gte=since
        ).values_list("pk", flat=True)
    )


def measure_handoff(tracker: Tracker) -> dict:
    needed = WARM_UP + HANDOFF_SAMPLES + HANDOFF_BATCH
    steps = handing_off_steps(needed)
    if len(steps) < needed:
        log(f"{len(steps)} steps hand off to another unit; submitting {needed - len(steps)} more")
        fresh_journeys(needed - len(steps), tracker)
        steps = handing_off_steps(needed)
        if len(steps) < needed:
            raise RuntimeError(f"Only {len(steps)} steps hand off to another unit.")
    pairs = decided_by(steps)
    tracker.wait_idle()

    latencies, recorded_ids, decide_seconds, waited, ran = [], [], [], [], []
    for index, (step, by) in enumerate(pairs[: WARM_UP + HANDOFF_SAMPLES]):
        since = timezone.now()
        began = time.time()
        committed = decide_all([(step, by)])
        handoff_ids = handoffs_of([step.journey_id], since)
        tracker.wait_delivered(handoff_ids)
        tracker.wait_idle()
        if index >= WARM_UP:
            decide_seconds.append(committed - began)
            latencies += [tracker.delivered[pk] - committed for pk in handoff_ids]
            waited += [tracker.started[pk] - committed for pk in handoff_ids]
            ran += [tracker.delivered[pk] - tracker.started[pk] for pk in handoff_ids]
            recorded_ids += handoff_ids

    batch = pairs[WARM_UP + HANDOFF_SAMPLES :]
    since = timezone.now()
    finished_before = len(tracker.finished)
    committed = decide_all(batch)
    handoff_ids = handoffs_of([step.journey_id for step, _ in batch], since)
    if not handoff_ids:
        raise RuntimeError("The batch of decisions handed nothing off.")
    tracker.wait_delivered(handoff_ids)
    last = max(tracker.delivered[pk] for pk in handoff_ids)
    tracker.wait_idle()
    tasks_per_handoff = (len(tracker.finished) - finished_before) / len(handoff_ids)

    recorded = [
        (delivered - created).total_seconds()
        for created, delivered in Handoff.objects.filter(pk__in=recorded_ids).values_list(
            "created_at", "delivered_at"
        )
    ]
    return figures(latencies, len(handoff_ids) / (last - committed)) | {
        "batch": len(handoff_ids),
        "tasks_per_handoff": round(tasks_per_handoff, 2),
        "recorded_p50_ms": round(percentile(recorded, 0.50) * 1000, 2),
        "recorded_p99_ms": round(percentile(recorded, 0.99) * 1000, 2),
        "decision_p50_ms": round(percentile(decide_seconds, 0.50) * 1000, 2),
        "until_task_p50_ms": round(percentile(waited, 0.50) * 1000, 2),
        "task_p50_ms": round(percentile(ran, 0.50) * 1000, 2),
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
    worker = Worker(queues)
    try:
        worker.start()
        log(f"worker started (prefork, concurrency {CONCURRENCY}); measuring the no-op task")
        # On a unit's queue, beside the handoffs (the default queue carries the e-mails).
        noop = measure_noop(tracker, queue=queues.split(",")[1])
        log(f"no-op: {noop}; measuring handoffs")
        handoff = measure_handoff(tracker)
        log(f"handoff: {handoff}")
    finally:
        worker.stop()
    json.dump(
        {
            "journeys": Journey.objects.count(),
            "cores": os.cpu_count(),
            "worker_concurrency": CONCURRENCY,
            "noop": noop,
            "handoff": handoff,
            "ratios": {
                "latency_p50": round(handoff["p50_ms"] / noop["p50_ms"], 2),
                "throughput": round(handoff["per_s"] / noop["per_s"], 3),
            },
        },
        sys.stdout,
        indent=2,
    )
    print()


if __name__ == "__main__":
    main()
