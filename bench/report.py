"""Turn bench/measure.py's JSON files (one per size) into the table of docs/performance.md."""

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
    print(
        "\nNot yet measured: handoff latency and throughput beside a no-op Celery task, and "
        "the 1,000,000-journey run (issue 7)."
    )


if __name__ == "__main__":
    main(sys.argv[1:])
