"""The raw COPY row rate of the tables seed_scale fills, beside seed_scale's own rate.

Run by bench/run after seed_scale, with seed_scale's output file as argument. It copies the
journey tables out (binary COPY to a file), then, in a transaction it rolls back, empties them
and copies the same rows back in: the same tables, indexes, constraints and triggers that
seed_scale wrote through, with nothing to compute. Prints JSON: rows, seconds and rows/s of
each, and their ratio."""

import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
django.setup()

from django.db import connection, transaction  # noqa: E402

from journeys.models import Handoff, Journey, JourneyEvent, Step  # noqa: E402

MODELS = (Journey, Step, JourneyEvent, Handoff)  # parents first, as seed_scale writes them
CHUNK = 1 << 20


def seed_rate(log: Path) -> dict:
    match = re.search(r"(\d+) rows in ([\d.]+) s", log.read_text())
    if not match:
        raise SystemExit(f"No 'N rows in S s' line from seed_scale in {log}")
    rows, seconds = int(match.group(1)), float(match.group(2))
    return {"rows": rows, "seconds": seconds, "rows_per_s": round(rows / seconds)}


def raw_copy_rate(folder: Path) -> dict:
    with connection.cursor() as cursor:
        raw = cursor.cursor
        rows = 0
        for model in MODELS:
            table = model._meta.db_table
            with (
                (folder / table).open("wb") as out,
                raw.copy(f"COPY {table} TO STDOUT (FORMAT binary)") as copy,
            ):
                for data in copy:
                    out.write(data)
            cursor.execute(f"SELECT count(*) FROM {table}")
            rows += cursor.fetchone()[0]
        with transaction.atomic():
            tables = ", ".join(model._meta.db_table for model in MODELS)
            cursor.execute(f"TRUNCATE {tables} CASCADE")
            began = time.monotonic()
            for model in MODELS:
                table = model._meta.db_table
                with (
                    (folder / table).open("rb") as source,
                    raw.copy(f"COPY {table} FROM STDIN (FORMAT binary)") as copy,
                ):
                    while data := source.read(CHUNK):
                        copy.write(data)
            # Deferred foreign-key checks run at commit; run them before the clock stops.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            seconds = time.monotonic() - began
            transaction.set_rollback(True)
    return {"rows": rows, "seconds": round(seconds, 1), "rows_per_s": round(rows / seconds)}


def main() -> None:
    seeded = seed_rate(Path(sys.argv[1]))
    with tempfile.TemporaryDirectory(prefix="copy-rate-") as folder:
        raw = raw_copy_rate(Path(folder))
    json.dump(
        {
            "seed_scale": seeded,
            "raw_copy": raw,
            "ratio": round(seeded["rows_per_s"] / raw["rows_per_s"], 3),
        },
        sys.stdout,
        indent=2,
    )


if __name__ == "__main__":
    main()
