"""Real Celery worker processes for the tests whose subject is the handoff.

The worker is a separate `celery worker` process consuming the unit queues over the real broker
(Redis or RabbitMQ, tests/brokers.py) and writing to the test PostgreSQL database; nothing about
Celery is mocked.
"""

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from django.db import connection

from tests.brokers import (
    RabbitMQVhost,
    RedisDatabase,
    current_broker_url,
)
from tests.netns import in_namespace

ROOT = Path(__file__).resolve().parent.parent
# Where a worker started with `hooks_dir` records each task run (tests/reliability/worker_hooks.py).
TASK_RUNS_TABLE = "reliability_task_run"
WORKER_APPLICATION_NAME = "portal-test-worker"


def database_url() -> str:
    db = connection.settings_dict
    user = db["USER"] or "postgres"
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{user}{password}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


class WorkerProcess:
    def __init__(
        self,
        queues: list[str],
        log_path: Path,
        *,
        broker_url: str | None = None,
        env: dict | None = None,
        concurrency: int = 2,
        hooks_dir: Path | None = None,
        netns: str | None = None,
    ):
        self.queues = queues
        self.netns = netns
        self.hooks_dir = hooks_dir
        self.log_path = log_path
        self.broker_url = broker_url
        self.extra_env = env or {}
        self.concurrency = concurrency
        self.mail_dir = log_path.parent / "mail"
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> "WorkerProcess":
        return self.launch().ready(timeout)

    def launch(self) -> "WorkerProcess":
        """Start the process without waiting for it (several start side by side)."""
        env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "CELERY_BROKER_URL": self.broker_url or current_broker_url(),
            "SECRET_KEY": "test-only-secret-key",
            "DEBUG": "0",
            # Names the worker's PostgreSQL sessions (libpq reads it), so a test can tell them
            # from any other session on the test database (tests/test_celery_connections.py).
            "PGAPPNAME": WORKER_APPLICATION_NAME,
            # The worker's e-mails land in files the test can read.
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(self.mail_dir),
            **self.extra_env,
        }
        hooks = []
        if self.hooks_dir:  # the fault tests' evidence from inside the worker
            env["RELIABILITY_HOOKS_DIR"] = str(self.hooks_dir)
            hooks = ["--include", "tests.reliability.worker_hooks"]
        self.log = self.log_path.open("w")
        self.process = subprocess.Popen(
            [
                *in_namespace(self.netns),
                sys.executable,
                "-m",
                "celery",
                "-A",
                "portal",
                "worker",
                "--loglevel=INFO",
                f"--concurrency={self.concurrency}",
                "--without-mingle",
                "--without-gossip",
                # A node name of its own: two workers of one name cannot both listen for remote
                # control on RabbitMQ (their pidbox queue is exclusive to one connection).
                f"--hostname={self.log_path.stem}-{uuid.uuid4().hex[:8]}@%h",
                "-Q",
                ",".join(self.queues),
                *hooks,
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        return self

    def ready(self, timeout: float = 60) -> "WorkerProcess":
        """Wait until the worker says it is ready to consume."""
        wait_for(lambda: "ready." in self.log_path.read_text(), timeout, "worker to start", self)
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()

    def pool_children(self) -> list[int]:
        """The prefork pool's child processes, which run the tasks."""
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in path.read_text().split()] if path.exists() else []

    def output(self) -> str:
        return self.log_path.read_text()

    def sent_mail(self) -> str:
        """Everything the worker has e-mailed so far, as one text."""
        if not self.mail_dir.exists():
            return ""
        return "\n".join(p.read_text() for p in sorted(self.mail_dir.iterdir()))


def wait_for(condition: Callable[[], bool], timeout: float, what: str, worker=None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    log = f"\n--- worker log ---\n{worker.output()}" if worker else ""
    raise AssertionError(f"Timed out after {timeout}s waiting for {what}{log}")


def flush_broker() -> None:
    """Start from an empty broker, so no message of an earlier test is delivered: the one the
    portal's app publishes to (the test's, see tests/brokers.py)."""
    broker_at(current_broker_url()).flush()


def broker_at(url: str) -> RedisDatabase | RabbitMQVhost:
    """The broker at `url`: a Redis database, or a virtual host on the machine's RabbitMQ."""
    return RedisDatabase(url) if url.startswith("redis://") else RabbitMQVhost.at(url)


class RelayProcess:
    """A real `manage.py outbox_relay` process (the production one) on the test database."""

    def __init__(
        self,
        log_path: Path,
        *,
        broker_url: str,
        env: dict | None = None,
        netns: str | None = None,
    ):
        self.log_path = log_path
        self.netns = netns
        self.broker_url = broker_url
        self.extra_env = env or {}
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> "RelayProcess":
        env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "CELERY_BROKER_URL": self.broker_url,
            "SECRET_KEY": "test-only-secret-key",
            "DEBUG": "0",
            "PYTHONUNBUFFERED": "1",
            **self.extra_env,
        }
        self.log = self.log_path.open("w")
        self.process = subprocess.Popen(
            [*in_namespace(self.netns), sys.executable, "manage.py", "outbox_relay"],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        wait_for(lambda: "outbox relay: every" in self.output(), timeout, "the relay", self)
        return self

    def output(self) -> str:
        return self.log_path.read_text()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
