"""The brokers the real-worker and fault tests run on, each a real server: Redis and RabbitMQ.

- `RedisDatabase`: the Redis database of CELERY_BROKER_URL (the Makefile's TEST_BROKER_URL).
- `RedisServer`: a redis-server of the test's own, which it may kill, freeze and start again.
- `RabbitMQVhost`: a virtual host of the test's own on the machine's RabbitMQ
  (TEST_RABBITMQ_URL, by default 127.0.0.1:5672 as guest), created empty and deleted after.
- `RabbitMQNode`: a RabbitMQ node of the test's own (its own name, ports and data folder, no
  plugins), which it may kill, freeze and start again; what it stored on disk survives that.

Each says what it holds (`backlog`: messages waiting, and taken but not acknowledged) and can be
emptied (`flush`), so a test counts only the messages it caused.
"""

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

import redis
from kombu import Connection

from tests.netns import in_namespace

BROKERS = ("redis", "rabbitmq")
RABBITMQ_URL = os.environ.get("TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672")
RABBITMQ_BIN = Path("/usr/lib/rabbitmq/bin")
DEAD_LETTERS = "dead-letters"  # portal.celery.DEAD_LETTERS


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"Timed out after {timeout}s waiting for {what}")


def current_broker_url() -> str:
    """Where the portal's own app publishes: Celery lets CELERY_BROKER_URL in the environment
    win over its configuration, which is how a test points it at its broker."""
    from portal.celery import app

    return app.conf.broker_url


def forget_pooled_connections() -> None:
    """Drop the portal app's pooled connections (`send_task`, `delay` use them): they were opened
    to the broker it pointed at before. The next send opens one to the broker it points at now,
    as a process started with that URL would. (Publishing after commit opens its own.)"""
    from portal.celery import app

    pools = [app._pool, getattr(app.__dict__.get("amqp"), "_producer_pool", None)]
    for pool in filter(None, pools):
        with contextlib.suppress(Exception):  # its broker may be gone
            pool.force_close_all()
    app._after_fork()  # what Celery does in a fresh process: no pools yet


# Redis -------------------------------------------------------------------------------------


class RedisDatabase:
    kind = "redis"

    def __init__(self, url: str):
        self.url = url

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url)

    def flush(self) -> None:
        self.client().flushdb()

    def backlog(self) -> dict:
        """Messages waiting in the queues (lists), and taken but not acknowledged."""
        client = self.client()
        queued = sum(client.llen(key) for key in client.scan_iter() if client.type(key) == b"list")
        return {"queued": queued, "unacked": client.hlen("unacked")}

    def queue_length(self, queue: str) -> int:
        return self.client().llen(queue)

    def close(self) -> None:
        pass


class RedisServer(RedisDatabase):
    """A Redis server of the test's own, on its own port, keeping nothing on disk; on this host,
    or listening on `address` in the network namespace `netns`."""

    def __init__(
        self, port: int, folder: Path, *, address: str = "127.0.0.1", netns: str | None = None
    ):
        super().__init__(f"redis://{address}:{port}/0")
        self.port = port
        self.folder = folder
        self.address = address
        self.netns = netns
        self.process: subprocess.Popen | None = None

    def url_of(self, db: int) -> str:
        return f"redis://{self.address}:{self.port}/{db}"

    def start(self) -> "RedisServer":
        self.folder.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [
                *in_namespace(self.netns),
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                self.address,
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.folder),
                # Clients on other hosts, without a password: a test network of its own.
                *(["--protected-mode", "no"] if self.netns else []),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(self._answers, 10, f"redis-server on port {self.port}")
        return self

    def _answers(self) -> bool:
        try:
            return self.client().ping()
        except redis.exceptions.ConnectionError:
            return False

    def kill(self) -> None:
        """SIGKILL: whatever it held in memory is gone."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def freeze(self) -> None:
        """SIGSTOP: connections are still accepted by the kernel, nothing is answered."""
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        self.process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.thaw()
        self.kill()

    close = stop


# RabbitMQ ----------------------------------------------------------------------------------


class _RabbitMQ:
    """What both RabbitMQ brokers share: the URL of a virtual host, and rabbitmqctl."""

    kind = "rabbitmq"
    vhost = "/"
    url = ""

    def ctl(self, *args: str, timeout: float = 60) -> str:
        raise NotImplementedError

    def queue_names(self) -> list[str]:
        """Every queue of the virtual host but Celery's remote-control ones (each exclusive to
        its worker's connection)."""
        out = self.ctl("list_queues", "-p", self.vhost, "name", "--formatter", "json")
        names = [queue["name"] for queue in json.loads(out or "[]")]
        return [name for name in names if not name.endswith(".pidbox")]

    def messages_ready(self, names: list[str]) -> dict[str, int]:
        """Messages waiting in each queue (0 for one that does not exist), as the queue itself
        says: rabbitmqctl's list_queues reports a quorum queue's counts as of its last tick
        (every 5 s), which may be before the last publish."""
        ready = {}
        with Connection(self.url, connect_timeout=5) as connection:
            channel = connection.channel()
            for name in names:
                try:
                    ready[name] = channel.queue_declare(name, passive=True).message_count
                except connection.channel_errors:  # not found: the channel is closed
                    ready[name] = 0
                    channel = connection.channel()
        return ready

    def messages_unacknowledged(self) -> int:
        """Messages delivered on the virtual host's channels and not acknowledged yet, as the
        channels say now."""
        out = self.ctl("list_channels", "vhost", "messages_unacknowledged", "--formatter", "json")
        channels = json.loads(out or "[]")
        return sum(c["messages_unacknowledged"] for c in channels if c["vhost"] == self.vhost)

    def backlog(self) -> dict:
        """Messages waiting in the portal's queues, and taken but not acknowledged (the
        dead-letter queue is not a backlog: `dead_letters` takes what is in it)."""
        names = [name for name in self.queue_names() if name != DEAD_LETTERS]
        return {
            "queued": sum(self.messages_ready(names).values()),
            "unacked": self.messages_unacknowledged(),
        }

    def queue_length(self, queue: str) -> int:
        return self.messages_ready([queue])[queue]

    def flush(self) -> None:
        names = self.queue_names()
        with Connection(self.url, connect_timeout=5) as connection:
            channel = connection.channel()
            for name in names:
                channel.queue_purge(name)

    def dead_letters(self) -> list:
        """The messages in the dead-letter queue, taken off it (kombu messages: headers, body,
        delivery_info)."""
        taken = []
        with Connection(self.url, connect_timeout=5) as connection:
            channel = connection.channel()
            while (message := channel.basic_get(DEAD_LETTERS, no_ack=True)) is not None:
                taken.append(message)
        return taken


class RabbitMQVhost(_RabbitMQ):
    """A virtual host of the test's own on the machine's RabbitMQ: it starts empty and is
    deleted with everything in it afterwards, so tests on one node never see each other's
    messages."""

    def __init__(self, base_url: str = RABBITMQ_URL, vhost: str | None = None):
        parts = urlsplit(base_url)
        self.user = parts.username or "guest"
        self.vhost = vhost or f"portal-test-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.url = f"{parts.scheme}://{parts.netloc}/{quote(self.vhost, safe='')}"
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 5672

    @classmethod
    def at(cls, url: str) -> "RabbitMQVhost":
        """The one a URL made by another instance names."""
        parts = urlsplit(url)
        return cls(f"{parts.scheme}://{parts.netloc}", vhost=unquote(parts.path[1:]))

    def ctl(self, *args: str, timeout: float = 60) -> str:
        command = shutil.which("rabbitmqctl") or "/usr/sbin/rabbitmqctl"
        done = subprocess.run(
            [command, "-q", *args], capture_output=True, text=True, timeout=timeout
        )
        if done.returncode != 0:
            raise AssertionError(f"rabbitmqctl {' '.join(args)}: {done.stderr or done.stdout}")
        return done.stdout

    def create(self) -> "RabbitMQVhost":
        try:
            socket.create_connection((self.host, self.port), timeout=2).close()
        except OSError as error:
            raise AssertionError(
                f"RabbitMQ does not answer at {self.host}:{self.port} ({error}). The tests run "
                "on Redis and on RabbitMQ: start it with `rabbitmq-server -detached` (.ci/run "
                "does), or point TEST_RABBITMQ_URL at one."
            ) from error
        self.ctl("add_vhost", self.vhost)
        self.ctl("set_permissions", "-p", self.vhost, self.user, ".*", ".*", ".*")
        return self

    def close(self) -> None:
        self.ctl("delete_vhost", self.vhost)


class RabbitMQNode(_RabbitMQ):
    """A RabbitMQ node of the test's own: its own node name, AMQP and distribution ports, data
    and log folders under `folder`, no plugins (so no management port to clash), run in the
    foreground as a child process. Killed and started again, it keeps what it had on disk."""

    def __init__(self, port: int, folder: Path):
        self.port = port
        self.folder = folder
        self.node = f"portal-test-{os.getpid()}-{port}@localhost"
        self.url = f"amqp://guest:guest@127.0.0.1:{port}//"
        self.process: subprocess.Popen | None = None
        self.log_path = folder / "server.log"

    def _env(self) -> dict:
        home = self.folder / "home"  # the Erlang cookie the node and rabbitmqctl share
        return {
            **os.environ,
            "HOME": str(home),
            # Not the machine's rabbitmq-env.conf (it names the machine's node) nor its
            # rabbitmq.conf (it takes port 5672).
            "RABBITMQ_CONF_ENV_FILE": str(self.folder / "rabbitmq-env.conf"),
            "RABBITMQ_CONFIG_FILE": str(self.folder / "rabbitmq.conf"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.folder / "enabled_plugins"),
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(self.port + 20000),
            "RABBITMQ_MNESIA_BASE": str(self.folder / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.folder / "log"),
            "ERL_EPMD_ADDRESS": "127.0.0.1",
        }

    def ctl(self, *args: str, timeout: float = 60) -> str:
        done = subprocess.run(
            [str(RABBITMQ_BIN / "rabbitmqctl"), "-q", "-n", self.node, *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=self._env(),
        )
        if done.returncode != 0:
            raise AssertionError(f"rabbitmqctl {' '.join(args)}: {done.stderr or done.stdout}")
        return done.stdout

    def start(self, timeout: float = 120) -> "RabbitMQNode":
        if not (RABBITMQ_BIN / "rabbitmq-server").exists():
            raise AssertionError(
                f"No {RABBITMQ_BIN / 'rabbitmq-server'}: the fault tests start RabbitMQ nodes of "
                "their own. Install Debian's rabbitmq-server (.ci/run does)."
            )
        (self.folder / "home").mkdir(parents=True, exist_ok=True)
        (self.folder / "rabbitmq-env.conf").write_text("")
        (self.folder / "enabled_plugins").write_text("[].\n")
        (self.folder / "rabbitmq.conf").write_text(
            f"listeners.tcp.local = 127.0.0.1:{self.port}\n"
            # A small test disk must not stop publishers (the default limit is 50 MB free).
            "disk_free_limit.absolute = 10MB\n"
        )
        self.log = self.log_path.open("a")
        self.process = subprocess.Popen(
            [str(RABBITMQ_BIN / "rabbitmq-server")],
            env=self._env(),
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: the script, beam.smp, helpers
        )
        wait_until(self._answers, timeout, f"RabbitMQ node {self.node} on port {self.port}")
        return self

    def _answers(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"rabbitmq-server exited:\n{self.log_path.read_text()}")
        try:
            with Connection(self.url, connect_timeout=2) as connection:
                connection.ensure_connection(max_retries=1)
            return True
        except Exception:
            return False

    def _signal(self, signum: int) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signum)

    def kill(self) -> None:
        """SIGKILL, the node and everything it started: what it had not written to disk is
        gone; a quorum queue confirms a message only once it is on disk."""
        self._signal(signal.SIGKILL)
        if self.process:
            self.process.wait()
            self.log.close()

    def freeze(self) -> None:
        """SIGSTOP: connections are still accepted by the kernel, nothing is answered."""
        self._signal(signal.SIGSTOP)

    def thaw(self) -> None:
        self._signal(signal.SIGCONT)

    def stop(self) -> None:
        self.thaw()
        self.kill()

    close = stop
