"""Real Celery worker processes for the tests whose subject is the handoff.

The worker is a separate `celery worker` process consuming the unit queues over the real Redis
broker and writing to the test PostgreSQL database; nothing about Celery is mocked.
"""

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import redis
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def database_url() -> str:
    db = connection.settings_dict
    user = db["USER"] or "postgres"
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{user}{password}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


class WorkerProcess:
    def __init__(self, queues: list[str], log_path: Path):
        self.queues = queues
        self.log_path = log_path
        self.mail_dir = log_path.parent / "mail"
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> "WorkerProcess":
        env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
            "SECRET_KEY": "test-only-secret-key",
            "DEBUG": "0",
            # The worker's e-mails land in files the test can read.
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(self.mail_dir),
        }
        self.log = self.log_path.open("w")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "portal",
                "worker",
                "--loglevel=INFO",
                "--concurrency=2",
                "--without-mingle",
                "--without-gossip",
                "-Q",
                ",".join(self.queues),
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
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
    """Start from an empty broker database, so no message of an earlier test is delivered."""
    redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()
