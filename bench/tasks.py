"""What the benchmark's worker runs beside the portal's own tasks (`celery worker --include
bench.tasks`): a no-op task, the floor a handoff is compared with, and two signal receivers that
tell bench/handoffs.py, through Redis, how many tasks were published and when each one finished.

Nothing here is loaded by the portal itself; only the benchmark's worker and script import it."""

import json
import os
import time

import redis
from celery import current_app, shared_task
from celery.signals import after_task_publish, task_postrun, task_prerun

NOOP_RAN = "bench:noop-ran"  # time.time() of each no-op body, in the order they ran
FINISHED = "bench:finished"  # one JSON record per finished task (any task, any state)
PUBLISHED = "bench:published"  # how many task messages were published, by any process
KEYS = (NOOP_RAN, FINISHED, PUBLISHED)

_clients: dict[int, redis.Redis] = {}
_started: dict[str, float] = {}  # task id -> when its body was about to run, in this process


def client() -> redis.Redis:
    """A connection of this process's own (the pool's children are forked from the worker)."""
    pid = os.getpid()
    if pid not in _clients:
        _clients[pid] = redis.Redis.from_url(current_app.conf.broker_url)
    return _clients[pid]


@shared_task(name="bench.tasks.noop", ignore_result=True)
def noop() -> None:
    """Does nothing but say when its body ran."""
    client().rpush(NOOP_RAN, repr(time.time()))


@after_task_publish.connect
def _count_published(**kwargs) -> None:
    client().incr(PUBLISHED)


@task_prerun.connect
def _note_started(task_id=None, **kwargs) -> None:
    _started[task_id] = time.time()


@task_postrun.connect
def _record_finished(sender=None, task_id=None, args=None, state=None, **kwargs) -> None:
    record = {
        "task": sender.name,
        "args": list(args or ()),
        "state": state,
        "started": _started.pop(task_id, None),
        "at": time.time(),
    }
    client().rpush(FINISHED, json.dumps(record))
