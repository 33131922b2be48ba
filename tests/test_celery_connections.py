"""A worker keeps its PostgreSQL connection from task to task (as gunicorn does from request to
request), within DATABASE_CONN_MAX_AGE, and drops it after a task that failed.

One pool process (concurrency 1), so every task runs in the same process; which PostgreSQL
backends serve the worker is read from pg_stat_activity while real handoffs go through it."""

import datetime as dt

import pytest
from celery import current_app
from django.db import connection

from journeys.models import FailedTask, Handoff, Journey
from tests.factories import load_catalogue, submitted_journey
from tests.workers import WORKER_APPLICATION_NAME, WorkerProcess, wait_for
from units.models import Unit

pytestmark = pytest.mark.celery_worker


@pytest.fixture
def one_process_worker(transactional_db, celery_broker, tmp_path):
    """Start a real worker with one pool process, consuming every unit queue."""
    load_catalogue()
    started = []

    def start(**env) -> WorkerProcess:
        queues = ["portal", *(unit.queue_name for unit in Unit.objects.all())]
        worker = WorkerProcess(queues, tmp_path / "worker.log", env=env, concurrency=1).start()
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


def worker_backends() -> dict[int, tuple[dt.datetime, dt.datetime]]:
    """The worker's sessions on the test database: pid -> (connected at, last query started at).
    Told apart by their application name, so a session another test left open (a server thread's)
    is not counted."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid, backend_start, query_start FROM pg_stat_activity "
            "WHERE datname = current_database() AND application_name = %s "
            "AND backend_type = 'client backend'",
            [WORKER_APPLICATION_NAME],
        )
        return {pid: (started, last_query) for pid, started, last_query in cursor.fetchall()}


def handed_off(worker: WorkerProcess) -> Journey:
    """Submit a café application; wait until the worker has queued its first steps."""
    journey = submitted_journey(
        load_catalogue()["open-a-cafe"],
        answers={"uses_lpg": False, "outdoor_seating": False},
        deliver=False,
    )
    outbox = Handoff.objects.filter(step__journey=journey)
    assert outbox.exists()
    wait_for(
        lambda: not outbox.filter(delivered_at__isnull=True).exists(),
        30,
        "the first steps to be queued",
        worker,
    )
    return journey


def the_one_backend(worker: WorkerProcess) -> tuple[int, dt.datetime, dt.datetime]:
    backends = worker_backends()
    assert len(backends) == 1, (backends, worker.output())
    [(pid, (started, last_query))] = backends.items()
    return pid, started, last_query


def test_consecutive_tasks_share_one_database_connection(one_process_worker):
    worker = one_process_worker()
    handed_off(worker)
    pid, started, _ = the_one_backend(worker)

    second = handed_off(worker)
    # The same backend, connected once, ran the second journey's tasks too.
    assert the_one_backend(worker)[:2] == (pid, started)
    wait_for(
        lambda: the_one_backend(worker)[2] > second.submitted_at,
        10,
        "the second journey's queries on that backend",
        worker,
    )


def test_a_task_that_failed_drops_its_connection(one_process_worker):
    worker = one_process_worker(CELERY_TASK_MAX_RETRIES="0")
    handed_off(worker)
    pid, _, _ = the_one_backend(worker)

    current_app.send_task("journeys.tasks.always_fails", args=["drill"], queue="portal")
    wait_for(lambda: FailedTask.objects.exists(), 30, "the dead letter", worker)
    wait_for(lambda: pid not in worker_backends(), 10, "the connection to be closed", worker)

    handed_off(worker)
    assert the_one_backend(worker)[0] != pid


def test_without_conn_max_age_each_task_connects_anew(one_process_worker):
    worker = one_process_worker(DATABASE_CONN_MAX_AGE="0")
    handed_off(worker)
    wait_for(lambda: not worker_backends(), 10, "the connection to be closed", worker)
