import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from tqdm import tqdm

from demo import scale


class Command(BaseCommand):
    help = (
        "Generate journeys at municipal scale (both journey types, every state, several years) "
        "with their steps, events and handoffs, bulk-loaded with PostgreSQL COPY."
    )

    def add_arguments(self, parser):
        parser.add_argument("--journeys", type=int, default=10_000)
        parser.add_argument("--batch", type=int, default=5_000, help="Journeys per COPY batch.")
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--reset", action="store_true", help="Empty the journey tables first.")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even though the database holds journeys this command did not make.",
        )

    def handle(self, *args, journeys, batch, seed, reset, force, **options):
        if connection.vendor != "postgresql":
            raise CommandError("seed_scale loads with PostgreSQL COPY: set DATABASE_URL.")
        if not scale.generated_only() and not force:
            raise CommandError(
                "The database holds journeys seed_scale did not make (real or demo data); "
                "refusing. Use --force to add to them (with --reset: to delete them)."
            )
        if reset:
            scale.reset()
        rows, began = 0, time.monotonic()
        with tqdm(total=journeys, unit="journeys", unit_scale=True, file=self.stderr) as bar:
            for written, batch_rows in scale.generate(
                journeys=journeys, batch_size=batch, seed=seed
            ):
                bar.update(written)
                rows += batch_rows
        seconds = time.monotonic() - began
        self.stdout.write(
            self.style.SUCCESS(
                f"{journeys} journeys generated: {rows} rows in {seconds:.1f} s "
                f"({rows / seconds:.0f} rows/s)."
            )
        )
