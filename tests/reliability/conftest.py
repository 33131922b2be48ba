"""Fault injection: real PostgreSQL, a Redis server started here on its own port, real worker
processes. Each test records its figures; `manage.py reliability_figures` prints them."""

import json
import os
from pathlib import Path

import pytest
from celery import Celery
from django.conf import settings
from django.utils import timezone

from journeys import tasks
from journeys.models import Handoff, Journey, Step
from journeys.services.outbox import publish_resume
from tests.factories import load_catalogue, make_units, make_user
from tests.workers import RedisServer, WorkerProcess

FIGURES = Path(os.environ.get("RELIABILITY_FIGURES", settings.VAR_DIR / "reliability.json"))
BASE_PORT = 6390 + (os.getpid() % 50)


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/reliability/" in str(item.fspath):
            item.add_marker(pytest.mark.reliability)


@pytest.fixture
def record_figures(request):
    """Store this test's figures (a dict) for the report, replacing an earlier run's."""

    def record(figures: dict) -> None:
        FIGURES.parent.mkdir(parents=True, exist_ok=True)
        stored = json.loads(FIGURES.read_text()) if FIGURES.exists() else {}
        stored[request.node.name] = figures
        FIGURES.write_text(json.dumps(stored, indent=2, default=str))

    return record


@pytest.fixture
def own_redis(tmp_path):
    server = RedisServer(BASE_PORT, tmp_path / "redis").start()
    yield server
    server.stop()


@pytest.fixture
def broker(own_redis, monkeypatch):
    """Point the portal's own Celery app at the test's Redis: Celery lets CELERY_BROKER_URL in
    the environment win over any configuration, so the outbox publishes there exactly as it does
    in production (its own short-timeout connection). Yields an app for sending other tasks."""
    monkeypatch.setenv("CELERY_BROKER_URL", own_redis.url)
    assert tasks.handoff_deliver.app.conf.broker_write_url == own_redis.url
    publish_resume()  # no pause left over from an earlier test's dead broker
    app = Celery("portal-reliability", broker=own_redis.url, set_as_current=False)
    yield app
    app.close()
    publish_resume()


@pytest.fixture
def start_worker(transactional_db, own_redis, tmp_path):
    """Start real worker processes on the test's Redis, consuming every unit queue."""
    from units.models import Unit

    started = []

    def start(name: str = "worker", **options) -> WorkerProcess:
        make_units()
        queues = ["portal", *(u.queue_name for u in Unit.objects.all())]
        worker = WorkerProcess(
            queues, tmp_path / f"{name}.log", broker_url=own_redis.url, **options
        ).start()
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


@pytest.fixture
def pending_handoffs(transactional_db):
    """Make `count` steps, each waiting in its own journey with one undelivered handoff."""

    def make(count: int) -> list[Handoff]:
        catalogue = load_catalogue()
        permit = catalogue["open-a-cafe"].steps.get(key="building-permit")
        applicant = make_user()
        now = timezone.now()
        journeys = Journey.objects.bulk_create(
            Journey(
                journey_type=permit.journey_type,
                applicant=applicant,
                reference=f"REL-{index:06d}",
                status=Journey.Status.SUBMITTED,
                created_at=now,
                submitted_at=now,
                last_event_at=now,
            )
            for index in range(count)
        )
        steps = Step.objects.bulk_create(
            Step(journey=j, step_type=permit, unit_id=permit.unit_id) for j in journeys
        )
        return Handoff.objects.bulk_create(
            Handoff(step=s, unit_id=s.unit_id, created_at=timezone.now()) for s in steps
        )

    return make
