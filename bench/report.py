"""Turn the benchmark's JSON files (one per size) into the tables of docs/performance.md: pages
from bench/measure.py (var/bench-<size>.json) and, when bench/handoffs.py wrote its sibling
(var/bench-<size>-handoffs.json), the handoff beside a no-op Celery task."""

import datetime as dt
import json
import sys
from pathlib import Path


def main(paths: list[str]) -> None:
    runs = [json.loads(Path(path).read_text()) for path in paths]
    sizes = [run["journeys"] for run in runs]
    print("# Performance, measured\n")
    today = dt.datetime.now(dt.UTC).date().isoformat()
    print(
        f"Run on {today} on a machine with {runs[0]['cores']} cores: "
        "`bench/run` (gunicorn with DEBUG off and persistent database connections, wrk "
        "-t2 -c8 on loopback). Ratios compare each page to the hello view (`/healthz/`) "
        "measured in the same run.\n"
    )
    header = ["page"]
    for size in sizes:
        header += [
            f"req/s @{size:,}",
            "p50 ms",
            "p99 ms",
            "× hello req/s",
            "× hello p99",
            "queries",
        ]
    if len(runs) == 2:
        header += ["p50 large/small", "queries equal"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for index, row in enumerate(runs[0]["pages"]):
        cells = [row["page"]]
        for run in runs:
            r = run["pages"][index]
            cells += [
                f"{r['rps']:.0f}",
                f"{r['p50_ms']:.1f}",
                f"{r['p99_ms']:.1f}",
                f"{r['rps_ratio']:.2f}",
                f"{r['p99_ratio']:.1f}",
                str(r["queries"]),
            ]
        if len(runs) == 2:
            small, large = runs[0]["pages"][index], runs[1]["pages"][index]
            cells += [
                f"{large['p50_ms'] / small['p50_ms']:.2f}",
                "yes" if large["queries"] == small["queries"] else "NO",
            ]
        print("| " + " | ".join(cells) + " |")
    handoffs = [handoffs_of(Path(path)) for path in paths]
    if all(handoffs):
        handoff_table(sizes, handoffs)
    else:
        print("\nNot measured in this run: handoffs beside a no-op task (bench/handoffs.py).")


def handoffs_of(pages_path: Path) -> dict | None:
    path = pages_path.with_name(f"{pages_path.stem}-handoffs.json")
    return json.loads(path.read_text()) if path.exists() else None


# (label, section, key, format); the ratios are the targets.
HANDOFF_ROWS = [
    ("no-op task: send → body ran, p50 ms", "noop", "p50_ms", "{:.1f}"),
    ("no-op task: p99 ms", "noop", "p99_ms", "{:.1f}"),
    ("no-op tasks/s", "noop", "per_s", "{:.0f}"),
    ("handoff: decision committed → successor queued, p50 ms", "handoff", "p50_ms", "{:.1f}"),
    ("handoff: p99 ms", "handoff", "p99_ms", "{:.1f}"),
    ("handoffs/s", "handoff", "per_s", "{:.0f}"),
    ("handoff p50 ÷ no-op p50 (target ≤ 2)", "ratios", "latency_p50", "{:.1f}"),
    ("handoffs/s ÷ no-op tasks/s (target ≥ 0.5)", "ratios", "throughput", "{:.2f}"),
    ("as insight reports it (created → activated), p50 ms", "handoff", "recorded_p50_ms", "{:.1f}"),
    ("the decision's own transaction, p50 ms", "handoff", "decision_p50_ms", "{:.1f}"),
    ("worker tasks per handoff", "handoff", "tasks_per_handoff", "{:.1f}"),
]


def handoff_table(sizes: list[int], runs: list[dict]) -> None:
    first = runs[0]
    print(
        f"\n## Handoffs beside a no-op Celery task\n\n`bench/handoffs.py`, in the same run: one "
        f"`celery worker` as in production (prefork, concurrency {first['worker_concurrency']}, "
        "every unit queue and the default queue, Redis broker). Latency is measured one at a "
        "time; throughput from one burst (no-op: "
        f"{first['noop']['batch']} tasks sent at once; handoff: {first['handoff']['batch']} "
        "handoffs from decisions committed in one transaction). Each decision also e-mails the "
        "applicant and each delivered handoff e-mails the receiving unit, each from a task of "
        "its own on the same worker (mail to Django's dummy backend).\n"
    )
    header = ["", *(f"@{size:,}" for size in sizes)]
    if len(runs) == 2:
        header.append("large/small")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for label, section, key, form in HANDOFF_ROWS:
        values = [run[section].get(key) for run in runs]
        cells = [label, *("–" if v is None else form.format(v) for v in values)]
        if len(runs) == 2:
            small, large = values
            cells.append(f"{large / small:.2f}" if small and large is not None else "–")
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main(sys.argv[1:])
