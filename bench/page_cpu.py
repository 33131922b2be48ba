"""CPU of the web process per page, beside the signed-in frame (issue 19, item 6).

In one process, through Django's test client against a seeded database (as bench/run leaves it,
or DATABASE_URL), with the settings of production (DEBUG off, cached templates, the cache and
sessions in Redis when CACHE_URL names it): each page is requested REPEAT times after a warm-up
and the process's CPU time (`time.process_time`) is read around each request. CPU time is what
a page costs a core; on a shared machine it moves far less than wall time does.

The signed-in frame is the accessibility statement requested by the same user: the session and
user read, roles from the cache, the CSRF token and the base template with its navigation, and
nothing else. Every page is given as a multiple of its reader's frame (target: at most 3).

Usage: DATABASE_URL=... CACHE_URL=redis://... SECRET_KEY=x DEBUG=0 \\
           .venv/bin/python bench/page_cpu.py [--repeat 200] [--json out.json]
       ... bench/page_cpu.py --profile "coordinator dashboard"   # where one page's CPU goes
"""

import argparse
import cProfile
import gc
import io
import itertools
import json
import os
import pstats
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.test import Client  # noqa: E402

from journeys.models import Journey  # noqa: E402

FRAME = "/accessibility/"
CITIZEN, CASEWORKER, COORDINATOR = "citizen", "caseworker-urban-planning", "coordinator"


def pages() -> list[tuple[str, str, str, dict]]:
    """(label, reader, path, headers); the same pages bench/measure.py times under load."""
    journey = Journey.objects.filter(applicant__username=CITIZEN).exclude(status="draft").first()
    step = journey.steps.filter(unit__slug="urban-planning").first()
    htmx = {"HX-Request": "true"}
    track = f"/applications/{journey.public_id}/"
    return [
        ("signed-in frame (citizen)", CITIZEN, FRAME, {}),
        ("citizen tracking page", CITIZEN, track, {}),
        ("citizen tracking page, the 30 s refresh (htmx)", CITIZEN, track, htmx),
        ("signed-in frame (caseworker)", CASEWORKER, FRAME, {}),
        ("caseworker queue (all)", CASEWORKER, "/work/?filter=all", {}),
        ("caseworker queue (mine)", CASEWORKER, "/work/?filter=mine", {}),
        ("caseworker queue, a filter (htmx)", CASEWORKER, "/work/?filter=overdue", htmx),
        ("case page", CASEWORKER, f"/work/steps/{step.pk}/", {}),
        ("signed-in frame (coordinator)", COORDINATOR, FRAME, {}),
        ("coordinator dashboard", COORDINATOR, "/coordination/", {}),
        ("coordinator dashboard (stalled)", COORDINATOR, "/coordination/?view=stalled", {}),
        ("insight", COORDINATOR, "/coordination/insight/?journey_type=open-a-cafe", {}),
    ]


def client_for(username: str) -> Client:
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(get_user_model().objects.get(username=username))
    return client


def request(client: Client, path: str, headers: dict) -> None:
    response = client.get(path, headers=headers)
    if response.status_code != 200:
        raise SystemExit(f"{path} answered {response.status_code}")


def cpu_per_request(client: Client, path: str, headers: dict, repeat: int) -> dict:
    for _ in range(20):  # templates compiled, caches warm, the staff session stamped
        request(client, path, headers)
    cpu, wall = [], []
    gc.collect()
    for _ in range(repeat):
        started_cpu, started_wall = time.process_time(), time.perf_counter()
        request(client, path, headers)
        cpu.append((time.process_time() - started_cpu) * 1000)
        wall.append((time.perf_counter() - started_wall) * 1000)
    return {
        "cpu_ms": round(statistics.median(cpu), 2),
        "cpu_mean_ms": round(statistics.fmean(cpu), 2),
        "wall_ms": round(statistics.median(wall), 2),
    }


class Split:
    """CPU time split by what the process is doing, each moment counted once (the innermost
    part wins): compiling SQL, executing it (psycopg and the wait for PostgreSQL, wall time
    beside), building model instances from rows, rendering templates, and the rest."""

    PARTS = ("sql_compile", "sql_execute", "instances", "template")

    def __init__(self):
        self.totals = dict.fromkeys(self.PARTS, 0.0)
        self.execute_wall = 0.0
        self.stack: list[list] = []

    def enter(self, part):
        now = time.process_time()
        if self.stack:
            top = self.stack[-1]
            self.totals[top[0]] += now - top[1]
        self.stack.append([part, now])

    def leave(self):
        now = time.process_time()
        part, started = self.stack.pop()
        self.totals[part] += now - started
        if self.stack:
            self.stack[-1][1] = now

    def wrap(self, owner, name, part):
        original = getattr(owner, name)
        split = self

        def wrapped(*args, **kwargs):
            split.enter(part)
            try:
                return original(*args, **kwargs)
            finally:
                split.leave()

        setattr(owner, name, wrapped)
        return lambda: setattr(owner, name, original)

    def install(self):
        from django.db import connection
        from django.db.models import Model
        from django.db.models.sql.compiler import SQLCompiler
        from django.template.base import Template

        undo = [
            self.wrap(SQLCompiler, "as_sql", "sql_compile"),
            self.wrap(Template, "render", "template"),
        ]
        from_db = Model.from_db.__func__
        split = self

        def from_db_timed(cls, *args, **kwargs):
            split.enter("instances")
            try:
                return from_db(cls, *args, **kwargs)
            finally:
                split.leave()

        Model.from_db = classmethod(from_db_timed)
        undo.append(lambda: setattr(Model, "from_db", classmethod(from_db)))

        def execute(execute_, sql, params, many, context):
            started = time.perf_counter()
            split.enter("sql_execute")
            try:
                return execute_(sql, params, many, context)
            finally:
                split.leave()
                split.execute_wall += time.perf_counter() - started

        wrapper = connection.execute_wrapper(execute)
        wrapper.__enter__()
        undo.append(lambda: wrapper.__exit__(None, None, None))
        return undo


def split(label: str, repeat: int) -> dict:
    """The page's CPU per request split into Split.PARTS and "other" (ms)."""
    _, reader, path, headers = {row[0]: row for row in pages()}[label]
    client = client_for(reader)
    for _ in range(20):
        request(client, path, headers)
    parts = Split()
    undo = parts.install()
    started = time.process_time()
    try:
        for _ in range(repeat):
            request(client, path, headers)
    finally:
        for step in undo:
            step()
    total = (time.process_time() - started) * 1000 / repeat
    result = {part: round(value * 1000 / repeat, 2) for part, value in parts.totals.items()}
    result["sql_wall"] = round(parts.execute_wall * 1000 / repeat, 2)
    result["other"] = round(total - sum(parts.totals.values()) * 1000 / repeat, 2)
    result["total"] = round(total, 2)
    return result


def profile(label: str, repeat: int) -> None:
    chosen = {row[0]: row for row in pages()}[label]
    _, reader, path, headers = chosen
    client = client_for(reader)
    for _ in range(20):
        request(client, path, headers)
    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    for _ in range(repeat):
        request(client, path, headers)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(60)
    stats.sort_stats("tottime").print_stats(40)
    print(out.getvalue())


def instructions(selected: list, repeat: int) -> None:
    """Instructions per request under valgrind's callgrind, which no other load on the machine
    changes: the requests run inside itertools.starmap, whose C function is the only code
    callgrind counts (--toggle-collect), and the counters are dumped after each page."""
    out = Path(os.environ["PAGE_CPU_CALLGRIND_DIR"])
    clients: dict[str, Client] = {}
    figures = []
    for number, (label, reader, path, headers) in enumerate(selected, start=1):
        client = clients.setdefault(reader, client_for(reader))
        for _ in range(5):
            request(client, path, headers)
        list(itertools.starmap(request, [(client, path, headers)] * repeat))
        dump = out / f"callgrind.out.{os.getpid()}.{number}"
        control = subprocess.Popen(["callgrind_control", "-d", str(os.getpid())])
        while not dump.exists() or control.poll() is None:
            time.sleep(0.01)  # valgrind acts on the dump request while this process runs
        total = re.search(r"^(?:summary|totals): (\d+)", dump.read_text(), re.MULTILINE)
        figures.append({"page": label, "instructions": int(total.group(1)) // repeat})
        print(f"{label:50} {figures[-1]['instructions'] / 1e6:8.1f} M instructions", flush=True)
    (out / "figures.json").write_text(json.dumps(figures))


def under_callgrind(arguments) -> list[dict]:
    """Run this script again under callgrind (bench/page_cpu.py --instructions)."""
    with tempfile.TemporaryDirectory() as directory:
        command = [
            "valgrind",
            "--tool=callgrind",
            "--collect-atstart=no",
            "--toggle-collect=starmap_next",
            f"--callgrind-out-file={directory}/callgrind.out.%p",
            sys.executable,
            __file__,
            "--repeat",
            str(arguments.repeat),
            *[f"--page={page}" for page in arguments.page or []],
        ]
        environment = os.environ | {"PAGE_CPU_CALLGRIND_DIR": directory}
        subprocess.run(command, env=environment, check=True, stderr=subprocess.DEVNULL)
        return json.loads((Path(directory) / "figures.json").read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--json", help="also write the figures here")
    parser.add_argument(
        "--page", action="append", help="only the pages whose label contains this (repeatable)"
    )
    parser.add_argument("--profile", metavar="LABEL", help="profile one page instead")
    parser.add_argument(
        "--split", action="store_true", help="also split each page's CPU by what it is spent on"
    )
    parser.add_argument(
        "--instructions",
        action="store_true",
        help="count instructions per request under valgrind (slow: use --repeat 10)",
    )
    arguments = parser.parse_args()
    selected = [
        row
        for row in pages()
        if row[2] == FRAME or not arguments.page or any(p in row[0] for p in arguments.page)
    ]
    if "PAGE_CPU_CALLGRIND_DIR" in os.environ:
        instructions(selected, arguments.repeat)
        return
    if arguments.instructions:
        frames: dict[str, int] = {}
        rows = []
        for figures, (_, reader, path, _) in zip(under_callgrind(arguments), selected, strict=True):
            if path == FRAME:
                frames[reader] = figures["instructions"]
            figures["frame_ratio"] = round(figures["instructions"] / frames[reader], 2)
            rows.append(figures)
            print(
                f"{figures['page']:50} {figures['instructions'] / 1e6:8.1f} M instructions"
                f"  {figures['frame_ratio']:5.2f} × frame"
            )
        if arguments.json:
            Path(arguments.json).write_text(json.dumps({"pages": rows}, indent=2))
        return
    if arguments.profile:
        profile(arguments.profile, arguments.repeat)
        return
    clients: dict[str, Client] = {}
    frames: dict[str, float] = {}
    rows = []
    for label, reader, path, headers in selected:
        client = clients.setdefault(reader, client_for(reader))
        figures = cpu_per_request(client, path, headers, arguments.repeat)
        if path == FRAME:
            frames[reader] = figures["cpu_ms"]
        figures |= {
            "page": label,
            "path": path,
            "frame_ratio": round(figures["cpu_ms"] / frames[reader], 2),
        }
        if arguments.split:
            figures["split"] = split(label, max(arguments.repeat // 4, 20))
        rows.append(figures)
        print(
            f"{label:50} {figures['cpu_ms']:6.2f} ms CPU  {figures['frame_ratio']:5.2f} × frame"
            f"  (mean {figures['cpu_mean_ms']:.2f}, wall {figures['wall_ms']:.2f})",
            flush=True,
        )
        if arguments.split:
            print("    " + "  ".join(f"{k} {v}" for k, v in figures["split"].items()), flush=True)
    if arguments.json:
        Path(arguments.json).write_text(
            json.dumps(
                {"journeys": Journey.objects.count(), "repeat": arguments.repeat, "pages": rows},
                indent=2,
            )
        )


if __name__ == "__main__":
    main()
