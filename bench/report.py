"""Turn the benchmark's JSON files (one per size) into the tables of docs/performance.md: pages
from bench/measure.py (var/bench-<size>.json) and, when bench/handoffs.py wrote its sibling
(var/bench-<size>-handoffs.json), the handoff beside a no-op Celery task, and when
bench/webhooks.py wrote var/bench-<size>-webhooks.json, webhook deliveries beside it too."""

import contextlib
import datetime as dt
import io
import json
import sys
from pathlib import Path

BEGIN, END = "<!-- bench/run writes from here -->", "<!-- to here -->"


def main(argv: list[str]) -> None:
    """Print the tables; with --into FILE, put them between FILE's markers instead, keeping
    the hand-written analysis around them."""
    if argv[:1] == ["--into"]:
        target, paths = Path(argv[1]), argv[2:]
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            tables(paths)
        text = target.read_text() if target.exists() else f"{BEGIN}\n{END}\n"
        before, rest = text.split(BEGIN, 1)
        after = rest.split(END, 1)[1]
        target.write_text(f"{before}{BEGIN}\n{out.getvalue()}{END}{after}")
    else:
        tables(argv)


def tables(paths: list[str]) -> None:
    runs = [json.loads(Path(path).read_text()) for path in paths]
    sizes = [run["journeys"] for run in runs]
    today = dt.datetime.now(dt.UTC).date().isoformat()
    print(
        f"Run on {today} on a machine with {runs[0]['cores']} cores, by `bench/run` "
        f"(sizes {', '.join(f'{size:,}' for size in sizes)} journeys). Pages: gunicorn as in "
        "production (`portal/gunicorn.py`: (2 × cores) + 1 sync workers, DEBUG off, cached "
        "templates, persistent database connections, the cache in Redis), wrk -t2 -c8 for "
        "10 s per page on loopback after 20 warm-up requests, a signed-in session cookie. "
        "Ratios compare each page to the hello view (`/healthz/`) measured in the same run.\n"
    )
    print("![The ratios beside their targets](performance.svg)\n")
    targets_table(paths, runs)
    print("\n### Pages\n")
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
        header += ["req/s large/small", "p50 large/small", "p99 large/small", "queries equal"]
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
                f"{large['rps'] / small['rps']:.2f}",
                f"{large['p50_ms'] / small['p50_ms']:.2f}",
                f"{large['p99_ms'] / small['p99_ms']:.2f}",
                "yes" if large["queries"] == small["queries"] else "NO",
            ]
        print("| " + " | ".join(cells) + " |")
    handoffs = [sibling(Path(path), "handoffs") for path in paths]
    if all(handoffs):
        handoff_table(sizes, handoffs)
    else:
        print("\nNot measured in this run: handoffs beside a no-op task (bench/handoffs.py).")
    webhooks = [sibling(Path(path), "webhooks") for path in paths]
    if all(webhooks):
        webhook_table(sizes, webhooks)
    else:
        print("\nNot measured in this run: webhook deliveries (bench/webhooks.py).")
    copies = [sibling(Path(path), "copy") for path in paths]
    if all(copies):
        copy_table(sizes, copies)


def targets_table(paths: list[str], runs: list[dict]) -> None:
    """Each of the issue's targets with the worst figure of this run against it."""
    pages = [row for run in runs for row in run["pages"][1:]]
    rows = [
        ("every page ≥ 0.15 × the hello view's req/s", min(r["rps_ratio"] for r in pages), 0.15, 1),
        (
            "every page's p99 ≤ 10 × the hello view's p99",
            max(r["p99_ratio"] for r in pages),
            10,
            -1,
        ),
    ]
    if len(runs) == 2:
        small, large = runs[0]["pages"][1:], runs[1]["pages"][1:]
        ratios = [b["p50_ms"] / a["p50_ms"] for a, b in zip(small, large, strict=True)]
        rows.append(
            ("every page's p50 at the large size ≤ 1.2 × at the small", max(ratios), 1.2, -1)
        )
        same = all(a["queries"] == b["queries"] for a, b in zip(small, large, strict=True))
        rows.append(("queries per page identical at both sizes", 1.0 if same else 0.0, 1.0, 1))
    handoffs = [sibling(Path(path), "handoffs") for path in paths]
    if all(handoffs):
        rows.append(
            (
                "handoff p50 ≤ 2 × the no-op task's",
                max(h["ratios"]["latency_p50"] for h in handoffs),
                2,
                -1,
            )
        )
        rows.append(
            (
                "handoffs/s ≥ 0.5 × no-op tasks/s",
                min(h["ratios"]["throughput"] for h in handoffs),
                0.5,
                1,
            )
        )
    copies = [sibling(Path(path), "copy") for path in paths]
    if all(copies):
        rows.append(
            ("seed_scale ≥ 0.25 × raw COPY rows/s", min(c["ratio"] for c in copies), 0.25, 1)
        )
    print("| target | worst figure in this run | met |")
    print("|---|---|---|")
    for label, value, limit, direction in rows:
        met = value >= limit if direction > 0 else value <= limit
        shown = ("yes" if value else "no") if label.startswith("queries") else f"{value:.2f}"
        print(f"| {label} | {shown} | {'yes' if met else '**no**'} |")


def sibling(pages_path: Path, suffix: str) -> dict | None:
    path = pages_path.with_name(f"{pages_path.stem}-{suffix}.json")
    return json.loads(path.read_text()) if path.exists() else None


def copy_table(sizes: list[int], runs: list[dict]) -> None:
    print(
        "\n### seed_scale beside raw COPY\n\n`bench/copy_rate.py`: seed_scale's own rate "
        "(generating the journeys and writing them with COPY), then the same tables copied out "
        "and back in with binary COPY in a transaction that is rolled back: the same rows, "
        "indexes, constraints and triggers, with nothing to compute.\n"
    )
    both = len(runs) == 2
    print(
        "| | " + " | ".join(f"@{size:,}" for size in sizes) + (" | large/small |" if both else " |")
    )
    print("|---|" + "---|" * (len(sizes) + both))
    rows = [
        ("seed_scale rows", lambda r: f"{r['seed_scale']['rows']:,}"),
        ("seed_scale seconds", lambda r: f"{r['seed_scale']['seconds']:.1f}"),
        ("seed_scale rows/s", lambda r: f"{r['seed_scale']['rows_per_s']:,}"),
        ("raw COPY rows/s", lambda r: f"{r['raw_copy']['rows_per_s']:,}"),
        ("seed_scale ÷ raw COPY (target ≥ 0.25)", lambda r: f"{r['ratio']:.2f}"),
    ]
    values = {
        "seed_scale rows": lambda r: r["seed_scale"]["rows"],
        "seed_scale seconds": lambda r: r["seed_scale"]["seconds"],
        "seed_scale rows/s": lambda r: r["seed_scale"]["rows_per_s"],
        "raw COPY rows/s": lambda r: r["raw_copy"]["rows_per_s"],
    }
    for label, cell in rows:
        line = f"| {label} | " + " | ".join(cell(run) for run in runs)
        if both:
            value = values.get(label, lambda r: r["ratio"])
            line += f" | {value(runs[1]) / value(runs[0]):.2f}"
        print(line + " |")


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


WEBHOOK_ROWS = [
    ("no-op task on the webhooks queue: send → body ran, p50 ms", "noop", "p50_ms", "{:.1f}"),
    ("no-op tasks/s", "noop", "per_s", "{:.0f}"),
    ("webhook: committed → signed event received, p50 ms", "webhook", "p50_ms", "{:.1f}"),
    ("webhook: p99 ms", "webhook", "p99_ms", "{:.1f}"),
    ("webhook deliveries/s (one subscriber)", "webhook", "per_s", "{:.0f}"),
    ("webhook p50 ÷ no-op p50", "ratios", "latency_p50", "{:.1f}"),
    ("deliveries/s ÷ no-op tasks/s", "ratios", "throughput", "{:.2f}"),
    ("rows delivered (database)", "webhook", "delivered_rows", "{:.0f}"),
    ("requests the receiver got", "webhook", "requests_received", "{:.0f}"),
]


def figures_table(sizes: list[int], runs: list[dict], rows: list[tuple]) -> None:
    header = ["", *(f"@{size:,}" for size in sizes)]
    if len(runs) == 2:
        header.append("large/small")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for label, section, key, form in rows:
        values = [run[section].get(key) for run in runs]
        cells = [label, *("–" if v is None else form.format(v) for v in values)]
        if len(runs) == 2:
            small, large = values
            cells.append(f"{large / small:.2f}" if small and large is not None else "–")
        print("| " + " | ".join(cells) + " |")


def webhook_table(sizes: list[int], runs: list[dict]) -> None:
    first = runs[0]
    print(
        "\n### Webhook deliveries beside a no-op Celery task\n\n`bench/webhooks.py`, in the "
        "same run: the same worker, a receiver process that verifies each signature with the "
        "`standardwebhooks` library (tests/webhooks/receiver.py), one coordination client "
        "subscribed to `step.taken` (at most "
        f"{first['webhook']['per_subscription_concurrency']} posts to it at once, "
        "WEBHOOK_CONCURRENCY_PER_SUBSCRIPTION). Latency one at a time (a caseworker takes a "
        "step; the commit to the event's arrival, from the receiver's record); throughput from "
        f"{first['webhook']['batch']} steps of as many journeys taken in one transaction. "
        "Deliveries counted in the database after the run.\n"
    )
    figures_table(sizes, runs, WEBHOOK_ROWS)


def handoff_table(sizes: list[int], runs: list[dict]) -> None:
    first = runs[0]
    print(
        f"\n### Handoffs beside a no-op Celery task\n\n`bench/handoffs.py`, in the same run: one "
        f"`celery worker` as in production (prefork, concurrency {first['worker_concurrency']}, "
        "every unit queue and the default queue, Redis broker). Latency is measured one at a "
        "time; throughput from one burst (no-op: "
        f"{first['noop']['batch']} tasks sent at once; handoff: {first['handoff']['batch']} "
        "handoffs from decisions committed in one transaction). Each decision also e-mails the "
        "applicant and each delivered handoff e-mails the receiving unit, each from a task of "
        "its own on the same worker (mail to Django's dummy backend).\n"
    )
    figures_table(sizes, runs, HANDOFF_ROWS)


if __name__ == "__main__":
    main(sys.argv[1:])
