"""Evidence from inside a real worker, for the fault tests; loaded only by the workers they start
(`celery worker --include tests.reliability.worker_hooks`, with RELIABILITY_HOOKS_DIR set).

Nothing here changes what a task does. It adds two kinds of evidence, and one task of its own:

- Every task run is a row in the table `reliability_task_run` (made by the test): written as the
  run starts (task_prerun) and marked with its state as it ends (task_postrun). A run killed
  midway keeps no state. So the database says how often each message ran, duplicates included.
- A kill that lands mid-task: when the test creates the file `arm` in the hooks folder, the next
  activation to run takes it (an atomic rename, so exactly one), and inside its transaction,
  after the step's UPDATE and before the commit, writes `started-<n>.json` (its process, its
  PostgreSQL backend, the step) and waits HOLD_SECONDS. The test kills it during that wait.
- `crashes_its_worker`: a poison message. It kills the pool process that runs it, every time
  (as a segfault or the kernel's OOM killer would), so it is never acknowledged.
"""

import contextlib
import json
import os
import time
from pathlib import Path

from celery import shared_task
from celery.signals import task_postrun, task_prerun
from django.db import connection

from journeys.services import handoffs
from tests.workers import TASK_RUNS_TABLE as RUNS_TABLE

HOOKS_DIR = Path(os.environ["RELIABILITY_HOOKS_DIR"])
HOLD_SECONDS = float(os.environ.get("RELIABILITY_HOLD_SECONDS", "8"))


@task_prerun.connect
def _run_started(task_id=None, task=None, args=None, **kwargs) -> None:
    with contextlib.suppress(Exception), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {RUNS_TABLE} (task_id, task_name, arg, pid) VALUES (%s, %s, %s, %s)",
            [
                task_id,
                task.name,
                args[0] if args and isinstance(args[0], int) else None,
                os.getpid(),
            ],
        )


@task_postrun.connect
def _run_ended(task_id=None, state=None, **kwargs) -> None:
    with contextlib.suppress(Exception), connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {RUNS_TABLE} SET state = %s, finished_at = now() "
            "WHERE task_id = %s AND pid = %s AND state IS NULL",
            [state, task_id, os.getpid()],
        )


_activate = handoffs._step_activate


def _step_activate_with_evidence(*, step, unit, now) -> None:
    _activate(step=step, unit=unit, now=now)
    claimed = HOOKS_DIR / f"claimed-{os.getpid()}-{step.pk}"
    try:
        (HOOKS_DIR / "arm").rename(claimed)
    except FileNotFoundError:
        return  # not armed, or another process took it
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    evidence = {"pid": os.getpid(), "backend_pid": backend, "step_id": step.pk}
    partial = claimed.with_suffix(".tmp")
    partial.write_text(json.dumps(evidence))
    partial.rename(HOOKS_DIR / f"started-{os.getpid()}-{step.pk}.json")
    time.sleep(HOLD_SECONDS)  # still inside the transaction: the step's UPDATE is not committed


handoffs._step_activate = _step_activate_with_evidence


@shared_task(name="tests.reliability.crashes_its_worker")
def crashes_its_worker(number: int) -> None:
    os._exit(70)  # no exception, no cleanup: the process is gone mid-task
