"""Hosts of their own on this one machine, for the fault test that cuts a host off the network.

Each host is a network namespace (iproute2's `ip netns`) with one network card, `eth0`: one end
of a veth pair whose other end is a port of a bridge, the switch, in a namespace of its own. The
test itself (the caseworkers' browsers, the counting afterwards) is one more machine on that
switch: its port is the only link in this machine's own namespace. Cutting a host off is taking
its port on the switch down (`ip link set ... down`): the host's card loses its carrier, as when
its cable is pulled, and nothing it sends or is sent arrives until the port is up again.

PostgreSQL and Redis run on hosts of their own too (the machine's own servers listen on
127.0.0.1, which no other namespace reaches): a cluster made with `initdb` for the test, run by
the postgres user, and a `redis-server`, each listening on its host's address only.

Everything is named after the test's process (`portal-<pid in hex>-<host>`, the test's own port
`portal<pid in hex>`) and addressed in 10.231.<n>.0/24, <n> the first no address or route of this
machine uses; all of it is removed when the test ends, and what a run that crashed left behind
(its process gone) is removed before the next builds anything.
"""

import contextlib
import glob
import os
import pwd
import re
import secrets
import shutil
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.db import connection

from tests.netns import in_namespace
from tests.workers import ROOT, wait_for

ADDRESSES = "10.231"  # a private range this project's machines do not use
PREFIX = "portal"
POSTGRES_FOLDERS = "/tmp/portal-netns-postgres-"


def namespaces_unavailable() -> str | None:
    """Why network namespaces cannot be made here, or None if they can."""
    if os.geteuid() != 0:
        return "network namespaces (ip netns, veth pairs) need root"
    if shutil.which("ip") is None:
        return "no `ip` command (iproute2) to make network namespaces with"
    return None


def ip(*args: str, check: bool = True) -> str:
    result = subprocess.run(["ip", *args], capture_output=True, text=True)
    if check and result.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)}: {result.stderr.strip()}")
    return result.stdout


def _tag() -> str:
    return f"{os.getpid():x}"


def _gone(tag: str) -> bool:
    """Whether the test process that made things named with `tag` has ended."""
    try:
        os.kill(int(tag, 16), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _remove_namespace(name: str) -> None:
    """End what still runs in the namespace (a server left by a crashed run), then remove it;
    its veth ends go with it, and with each end its pair."""
    for pid in ip("netns", "pids", name, check=False).split():
        with contextlib.suppress(ProcessLookupError):
            os.kill(int(pid), signal.SIGKILL)
    ip("netns", "del", name, check=False)


def remove_leftovers() -> None:
    """Remove the namespaces, links and PostgreSQL folders of runs whose process is gone."""
    for line in ip("netns", "list").splitlines():
        name = line.split()[0] if line.strip() else ""
        found = re.fullmatch(rf"{PREFIX}-([0-9a-f]+)-[a-z0-9-]+", name)
        if found and _gone(found[1]):
            _remove_namespace(name)
    for name in re.findall(rf"^\d+: ({PREFIX}[0-9a-f]+)[@:]", ip("-o", "link"), re.MULTILINE):
        if _gone(name.removeprefix(PREFIX)):
            ip("link", "del", name, check=False)
    for folder in glob.glob(f"{POSTGRES_FOLDERS}*"):
        if _gone(folder.removeprefix(POSTGRES_FOLDERS)):
            shutil.rmtree(folder, ignore_errors=True)


def _free_subnet() -> str:
    used = ip("-4", "addr") + ip("-4", "route")
    for third in range(1, 255):
        subnet = f"{ADDRESSES}.{third}"
        if f"{subnet}." not in used:
            return subnet
    raise RuntimeError(f"every {ADDRESSES}.n.0/24 is in use on this machine")


@dataclass(frozen=True)
class Host:
    name: str
    netns: str  # its network namespace
    address: str
    port: str  # its port on the switch (a link in the switch's namespace)

    def command(self, *argv: str) -> list[str]:
        return [*in_namespace(self.netns), *argv]

    def reaches(self, address: str, port: int) -> bool:
        """Whether a TCP connection from this host to address:port is answered within 3 s."""
        probe = f"import socket; socket.create_connection(({address!r}, {port}), timeout=3)"
        return subprocess.run(self.command(sys.executable, "-c", probe)).returncode == 0

    def has_carrier(self) -> bool:
        return "NO-CARRIER" not in ip("-n", self.netns, "link", "show", "eth0")


class Network:
    """A switch, the test's own port on it, and the hosts added to it."""

    def __init__(self):
        self.tag = _tag()
        self.switch = f"{PREFIX}-{self.tag}-switch"
        self.uplink = f"{PREFIX}{self.tag}"  # the test's own port, in this machine's namespace
        self.hosts: dict[str, Host] = {}
        self.subnet = ""

    @property
    def test_address(self) -> str:
        return f"{self.subnet}.1"

    def build(self) -> "Network":
        remove_leftovers()
        self.subnet = _free_subnet()
        ip("netns", "add", self.switch)
        ip("-n", self.switch, "link", "add", "br0", "type", "bridge")
        ip("-n", self.switch, "link", "set", "br0", "up")
        ip("link", "add", self.uplink, "type", "veth", "peer", "name", "test", "netns", self.switch)
        ip("-n", self.switch, "link", "set", "test", "master", "br0", "up")
        ip("addr", "add", f"{self.test_address}/24", "dev", self.uplink)
        ip("link", "set", self.uplink, "up")
        return self

    def add_host(self, name: str) -> Host:
        index = len(self.hosts)
        host = Host(
            name=name,
            netns=f"{PREFIX}-{self.tag}-{name}",
            address=f"{self.subnet}.{10 + index}",
            port=f"host{index}",
        )
        self.hosts[name] = host
        ip("netns", "add", host.netns)
        ip("-n", host.netns, "link", "set", "lo", "up")
        # The cable: a veth pair made in the switch's namespace, its other end in the host's.
        ip(
            "-n",
            self.switch,
            "link",
            "add",
            host.port,
            "type",
            "veth",
            "peer",
            "name",
            "eth0",
            "netns",
            host.netns,
        )
        ip("-n", self.switch, "link", "set", host.port, "master", "br0", "up")
        ip("-n", host.netns, "addr", "add", f"{host.address}/24", "dev", "eth0")
        ip("-n", host.netns, "link", "set", "eth0", "up")
        return host

    def cut(self, host: Host) -> None:
        ip("-n", self.switch, "link", "set", host.port, "down")

    def reconnect(self, host: Host) -> None:
        ip("-n", self.switch, "link", "set", host.port, "up")

    def remove(self) -> None:
        for host in self.hosts.values():
            _remove_namespace(host.netns)
        _remove_namespace(self.switch)
        ip("link", "del", self.uplink, check=False)


class PostgresServer:
    """A PostgreSQL cluster of the test's own: `initdb` into a folder of its own, run by the
    postgres user (PostgreSQL refuses root) in `host`'s namespace, listening on the host's
    address only, password required over the network. fsync is off: a crash of the machine is
    not this test's subject."""

    def __init__(self, host: Host, log_path: Path):
        self.host = host
        self.log_path = log_path
        self.folder = Path(f"{POSTGRES_FOLDERS}{_tag()}")
        self.password = secrets.token_urlsafe(16)
        self.process: subprocess.Popen | None = None

    def url(self, database: str) -> str:
        return f"postgres://postgres:{self.password}@{self.host.address}:5432/{database}"

    @staticmethod
    def binaries() -> Path:
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_version)
        if not found:
            raise RuntimeError("no PostgreSQL server (/usr/lib/postgresql/*/bin/initdb)")
        return Path(found[-1]).parent

    def _as_postgres(self, *argv: str) -> list[str]:
        return ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", *argv]

    def start(self) -> "PostgresServer":
        bindir = self.binaries()
        owner = pwd.getpwnam("postgres")
        self.folder.mkdir(mode=0o700)
        os.chown(self.folder, owner.pw_uid, owner.pw_gid)
        password_file = self.folder / "password"
        password_file.write_text(self.password)
        os.chown(password_file, owner.pw_uid, owner.pw_gid)
        data = self.folder / "data"
        subprocess.run(
            self._as_postgres(
                str(bindir / "initdb"),
                "--pgdata",
                str(data),
                "--username",
                "postgres",
                "--pwfile",
                str(password_file),
                "--auth-host",
                "scram-sha-256",
                "--auth-local",
                "trust",
                "--encoding",
                "UTF8",
                "--locale",
                "C.UTF-8",
                "--no-sync",
            ),
            check=True,
            capture_output=True,
        )
        with (data / "pg_hba.conf").open("a") as hba:
            subnet = self.host.address.rsplit(".", 1)[0]
            hba.write(f"host all all {subnet}.0/24 scram-sha-256\n")
        self.log = self.log_path.open("w")
        self.process = subprocess.Popen(
            self.host.command(
                *self._as_postgres(
                    str(bindir / "postgres"),
                    "-D",
                    str(data),
                    "-c",
                    f"listen_addresses={self.host.address}",
                    "-c",
                    f"unix_socket_directories={self.folder}",
                    "-c",
                    "fsync=off",
                )
            ),
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        wait_for(self._answers, 30, f"PostgreSQL on {self.host.name}")
        return self

    def _answers(self) -> bool:
        command = [str(self.binaries() / "pg_isready"), "-q", "-h", self.host.address]
        return subprocess.run(command).returncode == 0

    def create_database(self, name: str) -> None:
        import psycopg

        with psycopg.connect(self.url("postgres"), autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # fast shutdown: clients are cut off
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process:
            self.log.close()
        shutil.rmtree(self.folder, ignore_errors=True)


def _version(path: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", path))


class WebServer:
    """The portal as production serves it (gunicorn, portal/gunicorn.py) on `host`."""

    def __init__(self, host: Host, log_path: Path, *, env: dict, workers: int = 2):
        self.host = host
        self.log_path = log_path
        self.env = env
        self.workers = workers
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host.address}:8000"

    def start(self) -> "WebServer":
        self.log = self.log_path.open("w")
        self.process = subprocess.Popen(
            self.host.command(sys.executable, "-m", "gunicorn", "-c", "python:portal.gunicorn"),
            cwd=ROOT,
            env={
                **os.environ,
                **self.env,
                "GUNICORN_BIND": f"{self.host.address}:8000",
                "WEB_CONCURRENCY": str(self.workers),
            },
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        wait_for(self._answers, 60, f"gunicorn on {self.host.name}", self)
        return self

    def _answers(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/healthz/", timeout=5) as response:
                return response.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def output(self) -> str:
        return self.log_path.read_text()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process:
            self.log.close()


@contextmanager
def database_at(server: PostgresServer, name: str):
    """Point this process's database connection at `name` on the test's own server (over the
    network, through the test's port) while the block runs; then back where it was."""
    saved = dict(connection.settings_dict)
    connection.close()
    connection.settings_dict.update(
        NAME=name,
        USER="postgres",
        PASSWORD=server.password,
        HOST=server.host.address,
        PORT=5432,
    )
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)
