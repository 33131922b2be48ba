"""Fault injection: real PostgreSQL, real worker processes and a real broker of the test's own,
each test once on Redis and once on RabbitMQ (the test id says which): a Redis server started
here on its own port; on RabbitMQ a virtual host of the test's own on the machine's node, or a
node of the test's own for a test that kills, freezes or restarts the broker (marker
`broker_faults`). Each test records its figures; `manage.py reliability_figures` prints them."""

import json
import os
from pathlib import Path

import pytest
from celery import Celery
from django.conf import settings
from django.db import connection

from journeys import tasks
from journeys.services.outbox import publish_resume
from portal.celery import PortalAMQP
from tests.brokers import (
    BROKERS,
    RabbitMQNode,
    RabbitMQVhost,
    RedisServer,
    forget_pooled_connections,
)
from tests.factories import make_units
from tests.reliability.faults import RELAY_ENV
from tests.webhooks.conftest import private_addresses, start_receiver, subscribe  # noqa: F401
from tests.workers import TASK_RUNS_TABLE, RelayProcess, WorkerProcess

FIGURES = Path(os.environ.get("RELIABILITY_FIGURES", settings.VAR_DIR / "reliability.json"))
BASE_PORT = 6390 + (os.getpid() % 50)
RABBITMQ_PORT = 5700 + (os.getpid() % 50)


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


@pytest.fixture(params=BROKERS)
def own_broker(request, tmp_path):
    """The test's broker (tests/brokers.py), empty: a Redis server of its own, keeping nothing
    on disk; on RabbitMQ a virtual host of its own, or a node of its own if the test is marked
    `broker_faults`."""
    if request.param == "redis":
        server = RedisServer(BASE_PORT, tmp_path / "redis").start()
    elif request.node.get_closest_marker("broker_faults"):
        server = RabbitMQNode(RABBITMQ_PORT, tmp_path / "rabbitmq").start()
    else:
        server = RabbitMQVhost().create()
    yield server
    server.close()


@pytest.fixture
def broker(own_broker, monkeypatch):
    """Point the portal's own Celery app at the test's broker: Celery lets CELERY_BROKER_URL in
    the environment win over any configuration, so the outbox publishes there exactly as it does
    in production (its own short-timeout connection). Yields an app for sending other tasks,
    which declares the queues as the portal's does (a RabbitMQ queue is declared one way only)."""
    monkeypatch.setenv("CELERY_BROKER_URL", own_broker.url)
    assert tasks.handoff_deliver.app.conf.broker_write_url == own_broker.url
    forget_pooled_connections()
    publish_resume()  # no pause left over from an earlier test's dead broker
    app = Celery("portal-reliability", broker=own_broker.url, amqp=PortalAMQP, set_as_current=False)
    app.conf.task_default_queue = settings.CELERY_TASK_DEFAULT_QUEUE
    yield app
    app.close()
    forget_pooled_connections()
    publish_resume()


@pytest.fixture
def hooks_dir(tmp_path) -> Path:
    """Where the workers' hooks leave their evidence (tests/reliability/worker_hooks.py)."""
    folder = tmp_path / "hooks"
    folder.mkdir()
    return folder


@pytest.fixture
def start_worker(transactional_db, own_broker, tmp_path, hooks_dir):
    """Start real worker processes on the test's broker, consuming every unit queue and the
    webhooks' (or the `queues` given), each task run recorded in TASK_RUNS_TABLE by the worker
    itself."""
    from units.models import Unit

    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {TASK_RUNS_TABLE} (id bigserial PRIMARY KEY, "
            "task_id text, task_name text, arg bigint, pid integer, "
            "started_at timestamptz DEFAULT now(), finished_at timestamptz, state text)"
        )
        cursor.execute(f"TRUNCATE {TASK_RUNS_TABLE}")
    started = []

    def start(name: str = "worker", queues: list[str] | None = None, **options) -> WorkerProcess:
        make_units()
        queues = queues or ["portal", "webhooks", *(u.queue_name for u in Unit.objects.all())]
        worker = WorkerProcess(
            queues,
            tmp_path / f"{name}.log",
            broker_url=own_broker.url,
            hooks_dir=hooks_dir,
            **options,
        ).start()
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {TASK_RUNS_TABLE}")


@pytest.fixture
def start_relay(own_broker, tmp_path):
    """Start the real outbox relay (`manage.py outbox_relay`) on the test's broker; it runs the
    sweeps on its real clock, with the grace period and interval of RELAY_ENV."""
    started = []

    def start(env: dict | None = None) -> RelayProcess:
        relay = RelayProcess(
            tmp_path / f"relay-{len(started)}.log",
            broker_url=own_broker.url,
            env=env or RELAY_ENV,
        ).start()
        started.append(relay)
        return relay

    yield start
    for relay in started:
        relay.stop()
