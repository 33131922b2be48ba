"""Capacity in concurrent users per core (issue 19, item 5): the accounts for the Locust model,
the analysis of its run, and the chart. Run through bench/capacity, which starts the portal as
production runs it and then Locust (bench/locustfile.py).

    bench/capacity.py users OUT.json             sessions for citizens, caseworkers, coordinators
    bench/capacity.py analyse REQUESTS.csv OUT.json [--cpu CPU.csv] [--users U.json] [--note]
    bench/capacity.py cpu OUT.csv                the machine's CPU use, once a second
    bench/capacity.py chart OUT.svg RESULT.json...
    bench/capacity.py report RESULT.json...      the markdown table for docs/performance.md

A step passes when its p95 is at most 300 ms and no request failed; the capacity is the
largest step that passed, divided by the machine's cores (the load generator, PostgreSQL,
Redis and the Celery worker share them with gunicorn, as they would on a two-core host)."""

import argparse
import csv
import json
import os
import statistics
import sys
from html import escape
from pathlib import Path

P95_TARGET_MS = 300


def _django():
    import django

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    django.setup()


def users(out: str, citizens: int) -> None:
    """Signed-in sessions (made directly, as bench/measure.py does) for the model's accounts:
    applicants with their applications, each portal-working unit's caseworker, coordinators."""
    _django()
    from django.contrib.auth import get_user_model
    from django.contrib.sessions.backends.db import SessionStore

    from journeys.models import Journey, Step
    from units.models import Unit

    def session(user) -> str:
        store = SessionStore()
        store["_auth_user_id"] = str(user.pk)
        store["_auth_user_backend"] = "accounts.backends.ThrottledModelBackend"
        store["_auth_user_hash"] = user.get_session_auth_hash()
        store.create()
        return store.session_key

    journeys: dict[int, list[str]] = {}
    rows = (
        Journey.objects.exclude(status=Journey.Status.DRAFT)
        .order_by("applicant_id", "pk")
        .values_list("applicant_id", "public_id")
    )
    for applicant_id, public_id in rows.iterator():
        if len(journeys) >= citizens and applicant_id not in journeys:
            break
        journeys.setdefault(applicant_id, []).append(f"/applications/{public_id}/")
    people = get_user_model().objects.in_bulk(list(journeys))
    units = (
        Unit.objects.filter(works_in_own_system=False, steps__status=Step.Status.QUEUED)
        .distinct()
        .values_list("slug", flat=True)
    )
    caseworkers = [
        {"unit": slug, "session": session(user)}
        for slug in units
        for user in get_user_model().objects.filter(username=f"caseworker-{slug}")
    ]
    coordinator = get_user_model().objects.get(username="coordinator")
    accounts = {
        "citizens": [
            {"session": session(people[pk]), "journeys": paths} for pk, paths in journeys.items()
        ],
        "caseworkers": caseworkers,
        "coordinators": [{"session": session(coordinator)}],
        "journeys": Journey.objects.count(),
    }
    Path(out).write_text(json.dumps(accounts))
    print(
        f"{len(accounts['citizens'])} citizens, {len(caseworkers)} caseworkers' units, "
        f"{accounts['journeys']:,} journeys",
        file=sys.stderr,
    )


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(len(ordered) * fraction), len(ordered) - 1)] if ordered else 0.0


def analyse(
    requests_csv: str,
    out: str,
    *,
    ramp_seconds: float,
    cpu_csv: str | None,
    users_json: str | None,
    note: str,
) -> None:
    """Per step: requests/s, p50/p95/p99 and errors after the step's arrivals (ramp_seconds),
    overall and per request name; the machine's CPU use in the step when sampled."""
    with open(requests_csv, newline="") as file:
        rows = list(csv.DictReader(file))
    steps: dict[int, list[dict]] = {}
    for row in rows:
        steps.setdefault(int(row["step"]), []).append(row)
    samples = []
    if cpu_csv and Path(cpu_csv).exists():
        with open(cpu_csv, newline="") as file:
            samples = [(float(r["time"]), float(r["busy"])) for r in csv.DictReader(file)]
    results = []
    for number in sorted(steps):
        step = steps[number]
        start = min(float(r["time"]) for r in step)
        end = max(float(r["time"]) for r in step)
        measured = [r for r in step if float(r["time"]) >= start + ramp_seconds]
        times = [float(r["ms"]) for r in measured]
        errors = [r for r in measured if r["error"] or not r["status"].startswith(("2", "3"))]
        by_name = {}
        for name in sorted({r["name"] for r in measured}):
            named = [float(r["ms"]) for r in measured if r["name"] == name]
            by_name[name] = {
                "requests": len(named),
                "p50_ms": round(percentile(named, 0.5), 1),
                "p95_ms": round(percentile(named, 0.95), 1),
            }
        busy = [b for t, b in samples if start + ramp_seconds <= t <= end]
        seconds = max(end - start - ramp_seconds, 1)
        p95 = percentile(times, 0.95)
        results.append(
            {
                "users": int(step[0]["users"]),
                "requests": len(measured),
                "rps": round(len(measured) / seconds, 1),
                "p50_ms": round(percentile(times, 0.5), 1),
                "p95_ms": round(p95, 1),
                "p99_ms": round(percentile(times, 0.99), 1),
                "errors": len(errors),
                "error_kinds": sorted({f"{r['name']}: {r['status']} {r['error']}" for r in errors})[
                    :10
                ],
                "machine_cpu": round(statistics.fmean(busy), 2) if busy else None,
                "passed": bool(measured) and p95 <= P95_TARGET_MS and not errors,
                "by_name": by_name,
            }
        )
    passed = [r["users"] for r in results if r["passed"]]
    failed = [r["users"] for r in results if not r["passed"]]
    cores = os.cpu_count() or 1
    capacity = max(passed, default=0)
    journeys = json.loads(Path(users_json).read_text())["journeys"] if users_json else 0
    summary = {
        "journeys": journeys,
        "note": note,
        "cores": cores,
        "users_served": capacity,
        "users_per_core": round(capacity / cores, 1),
        "first_failed_step": min((u for u in failed if u > capacity), default=None),
        "steps": results,
    }
    Path(out).write_text(json.dumps(summary, indent=2))
    print(json.dumps({k: v for k, v in summary.items() if k != "steps"}))


def cpu(out: str) -> None:
    """The machine's CPU use (all cores, every process), sampled once a second until stopped."""
    import time

    def times():
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
        idle = fields[3] + fields[4]  # idle and iowait
        return sum(fields), idle

    with open(out, "w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["time", "busy"])
        total, idle = times()
        while True:
            time.sleep(1)
            now_total, now_idle = times()
            elapsed = now_total - total
            busy = 1 - (now_idle - idle) / elapsed if elapsed else 0
            writer.writerow([f"{time.time():.1f}", f"{busy:.3f}"])
            file.flush()
            total, idle = now_total, now_idle


WIDTH, LEFT, TOP, HEIGHT = 760, 70, 40, 260


def chart(out: str, paths: list[str]) -> None:
    """p95 per step of concurrent users, one line per data size, the 300 ms target dashed."""
    runs = [json.loads(Path(p).read_text()) for p in paths]
    colours = ["#1d70b8", "#d4351c", "#00703c"]
    max_users = max(s["users"] for run in runs for s in run["steps"])
    shown = [min(s["p95_ms"], 1500) for run in runs for s in run["steps"]]
    max_ms = max([*shown, P95_TARGET_MS * 1.5])

    def x(users):
        return LEFT + (WIDTH - LEFT - 20) * users / max_users

    def y(ms):
        return TOP + HEIGHT - HEIGHT * min(ms, max_ms) / max_ms

    parts = [
        f'<text x="{LEFT}" y="20" font-weight="bold">p95 response time by concurrent users '
        f"(target ≤ {P95_TARGET_MS} ms, 0 errors)</text>",
        f'<line x1="{LEFT}" y1="{y(P95_TARGET_MS):.1f}" x2="{WIDTH - 20}" '
        f'y2="{y(P95_TARGET_MS):.1f}" stroke="#0b0c0c" stroke-dasharray="4 3"/>',
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + HEIGHT}" stroke="#505a5f"/>',
        f'<line x1="{LEFT}" y1="{TOP + HEIGHT}" x2="{WIDTH - 20}" y2="{TOP + HEIGHT}" '
        'stroke="#505a5f"/>',
        f'<text x="{LEFT - 6}" y="{y(P95_TARGET_MS) + 4:.1f}" text-anchor="end" '
        f'font-size="11">{P95_TARGET_MS} ms</text>',
        f'<text x="{LEFT - 6}" y="{TOP + 4}" text-anchor="end" font-size="11">'
        f"{max_ms:.0f} ms</text>",
        f'<text x="{WIDTH - 20}" y="{TOP + HEIGHT + 30}" text-anchor="end" font-size="11">'
        "concurrent users</text>",
    ]
    for colour, run in zip(colours, runs, strict=False):
        points = [(x(s["users"]), y(s["p95_ms"]), s) for s in run["steps"]]
        parts.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="'
            + " ".join(f"{px:.1f},{py:.1f}" for px, py, _ in points)
            + '"/>'
        )
        for px, py, s in points:
            mark = "" if s["passed"] else ' stroke="#0b0c0c" stroke-width="2"'
            parts.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="4" fill="{colour}"{mark}/>')
            if s["p95_ms"] > max_ms:  # off the scale: say how far
                parts.append(
                    f'<text x="{px - 6:.1f}" y="{py + 16:.1f}" text-anchor="end" font-size="10">'
                    f"{s['p95_ms']:.0f} ms</text>"
                )
            parts.append(
                f'<text x="{px:.1f}" y="{TOP + HEIGHT + 15}" text-anchor="middle" '
                f'font-size="10">{s["users"]}</text>'
            )
    legend_y = TOP + HEIGHT + 50
    for number, (colour, run) in enumerate(zip(colours, runs, strict=False)):
        label = (
            f"{run.get('journeys', 0):,} journeys: {run['users_served']} users served "
            f"({run['users_per_core']} per core){' — ' + run['note'] if run.get('note') else ''}"
        )
        parts.append(
            f'<rect x="{LEFT}" y="{legend_y + 18 * number - 9}" width="12" height="10" '
            f'fill="{colour}"/><text x="{LEFT + 18}" y="{legend_y + 18 * number}" '
            f'font-size="11">{escape(label)}</text>'
        )
    height = legend_y + 18 * len(runs) + 10
    parts.append(
        f'<text x="{LEFT}" y="{height - 4}" font-size="10">A circle with a black ring: the step '
        "missed the target (p95 over 300 ms or an error).</text>"
    )
    height += 6
    Path(out).write_text(
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" font-size="12" role="img" '
        'aria-labelledby="capacity-title">\n<title id="capacity-title">Concurrent users served '
        "within 300 ms at the 95th percentile (docs/performance.md has the figures)</title>\n"
        f'<rect width="{WIDTH}" height="{height}" fill="#ffffff"/>\n'
        + "\n".join(parts)
        + "\n</svg>\n"
    )


def report(paths: list[str]) -> None:
    for path in paths:
        run = json.loads(Path(path).read_text())
        note = f" ({run['note']})" if run.get("note") else ""
        print(
            f"\n**{run.get('journeys', 0):,} journeys**{note}: "
            f"{run['users_served']} concurrent users within p95 ≤ {P95_TARGET_MS} ms and 0 "
            f"errors on {run['cores']} cores, **{run['users_per_core']} per core**; first step "
            f"missed: {run['first_failed_step'] or 'none'}.\n"
        )
        print("| users | req/s | p50 ms | p95 ms | p99 ms | errors | machine CPU busy | met |")
        print("|---|---|---|---|---|---|---|---|")
        for s in run["steps"]:
            cpu = f"{s['machine_cpu']:.0%}" if s["machine_cpu"] is not None else "–"
            print(
                f"| {s['users']} | {s['rps']} | {s['p50_ms']} | {s['p95_ms']} | {s['p99_ms']} "
                f"| {s['errors']} | {cpu} | {'yes' if s['passed'] else '**no**'} |"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    command = commands.add_parser("users")
    command.add_argument("out")
    command.add_argument("--citizens", type=int, default=3000)
    command = commands.add_parser("analyse")
    command.add_argument("requests_csv")
    command.add_argument("out")
    command.add_argument("--ramp-seconds", type=float, default=15)
    command.add_argument("--cpu", help="the machine's CPU samples (the cpu command's file)")
    command.add_argument("--users", help="the users file, for the journeys' count")
    command.add_argument("--note", default="", help="said beside the figures")
    command = commands.add_parser("cpu")
    command.add_argument("out")
    command = commands.add_parser("chart")
    command.add_argument("out")
    command.add_argument("results", nargs="+")
    command = commands.add_parser("report")
    command.add_argument("results", nargs="+")
    arguments = parser.parse_args()
    if arguments.command == "users":
        users(arguments.out, arguments.citizens)
    elif arguments.command == "analyse":
        analyse(
            arguments.requests_csv,
            arguments.out,
            ramp_seconds=arguments.ramp_seconds,
            cpu_csv=arguments.cpu,
            users_json=arguments.users,
            note=arguments.note,
        )
    elif arguments.command == "cpu":
        cpu(arguments.out)
    elif arguments.command == "chart":
        chart(arguments.out, arguments.results)
    else:
        report(arguments.results)


if __name__ == "__main__":
    main()
