"""Draw the benchmark's ratios against their targets as an SVG (docs/performance.svg).

Usage: bench/chart.py OUT.svg var/bench-10000.json var/bench-1000000.json
Reads the pages' files and, beside them, the handoff (-handoffs.json) and seed (-copy.json)
files when present. Plain SVG written by hand: no plotting library to install."""

import json
import sys
from html import escape
from pathlib import Path

from report import sibling  # bench/report.py, beside this script

WIDTH, LABEL, ROW, GAP = 900, 300, 18, 6
COLOURS = ["#1d70b8", "#d4351c"]  # first size, second size


def panels(paths: list[Path]) -> list[dict]:
    runs = [json.loads(path.read_text()) for path in paths]
    sizes = [f"{run['journeys']:,} journeys" for run in runs]
    pages = [row["page"] for row in runs[0]["pages"]][1:]  # the hello view is 1 by definition
    result = [
        {
            "title": "Requests/s as a share of the hello view's (target ≥ 0.15)",
            "target": 0.15,
            "rows": [
                (page, [run["pages"][i + 1]["rps_ratio"] for run in runs])
                for i, page in enumerate(pages)
            ],
            "legend": sizes,
        },
        {
            "title": "p99 ÷ the hello view's p99 (target ≤ 10)",
            "target": 10,
            "rows": [
                (page, [run["pages"][i + 1]["p99_ratio"] for run in runs])
                for i, page in enumerate(pages)
            ],
            "legend": sizes,
        },
    ]
    if len(runs) == 2:
        result.append(
            {
                "title": f"p50 at {sizes[1]} ÷ p50 at {sizes[0]} (target ≤ 1.2)",
                "target": 1.2,
                "rows": [
                    (
                        page,
                        [runs[1]["pages"][i + 1]["p50_ms"] / runs[0]["pages"][i + 1]["p50_ms"]],
                    )
                    for i, page in enumerate(pages)
                ],
                "legend": ["ratio"],
            }
        )
    handoffs = [sibling(path, "handoffs") for path in paths]
    copies = [sibling(path, "copy") for path in paths]
    rows = []
    if all(handoffs):
        rows.append(
            (
                "handoff p50 ÷ no-op p50 (target ≤ 2)",
                [h["ratios"]["latency_p50"] for h in handoffs],
                2,
            )
        )
        rows.append(
            (
                "handoffs/s ÷ no-op/s (target ≥ 0.5)",
                [h["ratios"]["throughput"] for h in handoffs],
                0.5,
            )
        )
    if all(copies):
        rows.append(
            ("seed_scale rows/s ÷ raw COPY (target ≥ 0.25)", [c["ratio"] for c in copies], 0.25)
        )
    for label, values, target in rows:
        result.append({"title": label, "target": target, "rows": [("", values)], "legend": sizes})
    return result


def draw(panels_: list[dict]) -> str:
    parts, y = [], 10
    for panel in panels_:
        values = [v for _, row in panel["rows"] for v in row] + [panel["target"]]
        scale_max = max(values) * 1.1 or 1
        plot = WIDTH - LABEL - 60

        def x(value, plot=plot, scale_max=scale_max):
            return LABEL + plot * value / scale_max

        parts.append(
            f'<text x="10" y="{y + 14}" font-weight="bold">{escape(panel["title"])}</text>'
        )
        y += 24
        top = y
        for label, row in panel["rows"]:
            parts.append(
                f'<text x="{LABEL - 8}" y="{y + 12}" text-anchor="end">{escape(label)}</text>'
            )
            for colour, value in zip(COLOURS, row, strict=False):
                parts.append(
                    f'<rect x="{LABEL}" y="{y}" width="{max(x(value) - LABEL, 1):.1f}" '
                    f'height="{ROW - 4}" fill="{colour}"/>'
                    f'<text x="{x(value) + 4:.1f}" y="{y + 11}" font-size="11">{value:.2f}</text>'
                )
                y += ROW
            y += GAP
        target_x = x(panel["target"])
        parts.append(
            f'<line x1="{target_x:.1f}" y1="{top - 4}" x2="{target_x:.1f}" y2="{y - GAP}" '
            'stroke="#0b0c0c" stroke-dasharray="4 3"/>'
        )
        legend = " · ".join(
            f"{name} ({'blue' if i == 0 else 'red'})" for i, name in enumerate(panel["legend"])
        )
        parts.append(
            f'<text x="{LABEL}" y="{y + 10}" font-size="11">'
            f"{escape(legend)}; dashed line: target</text>"
        )
        y += 30
    body = "\n".join(parts)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{y}" '
        f'viewBox="0 0 {WIDTH} {y}" font-family="sans-serif" font-size="12" role="img" '
        'aria-labelledby="chart-title">\n<title id="chart-title">The benchmark\'s ratios beside '
        f"their targets (docs/performance.md has the figures)</title>\n"
        f'<rect width="{WIDTH}" height="{y}" fill="#ffffff"/>\n{body}\n</svg>\n'
    )


def main(out: str, paths: list[str]) -> None:
    Path(out).write_text(draw(panels([Path(p) for p in paths])))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
