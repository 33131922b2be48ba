"""Starting the receiver (tests/webhooks/receiver.py) as a process, and reading its record."""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

from tests.workers import wait_for

SCRIPT = Path(__file__).with_name("receiver.py")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ReceiverProcess:
    """A receiver on its own port; stopping and starting it again keeps the port and the
    record, as a subscriber's system that went down and came back."""

    def __init__(self, folder: Path, *, mode: str = "ok", extra: list[str] | None = None):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.mode = mode
        self.extra = extra or []
        self.port = free_port()
        self.record_path = folder / "record.jsonl"
        self.secret_path = folder / "secret"
        self.log_path = folder / "receiver.log"
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def start(self, timeout: float = 30) -> "ReceiverProcess":
        before = len(self.output())
        self.log = self.log_path.open("a")
        self.process = subprocess.Popen(
            [
                sys.executable,
                str(SCRIPT),
                f"--port={self.port}",
                f"--record={self.record_path}",
                f"--secret-file={self.secret_path}",
                f"--mode={self.mode}",
                *self.extra,
            ],
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        wait_for(
            lambda: (
                f"listening on {self.port}" in self.output()[before:]
                or self.process.poll() is not None
            ),
            timeout,
            "the receiver to listen",
        )
        assert self.process.poll() is None, self.output()
        return self

    def output(self) -> str:
        return self.log_path.read_text() if self.log_path.exists() else ""

    def remember(self, secret: str) -> None:
        self.secret_path.write_text(secret)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
            self.log.close()

    def records(self, kind: str | None = None) -> list[dict]:
        if not self.record_path.exists():
            return []
        lines = self.record_path.read_text().splitlines()
        entries = [json.loads(line) for line in lines if line.endswith("}")]
        return [e for e in entries if kind is None or e.get("type") == kind]

    def events(self) -> list[dict]:
        """Every event request it answered or failed, repeats included (no handshakes)."""
        return [e for e in self.records() if "webhook_id" in e]
