import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Print the figures the reliability (fault-injection) tests recorded, as a table."

    def add_arguments(self, parser):
        parser.add_argument(
            "--file",
            default=str(settings.VAR_DIR / "reliability.json"),
            help="Where the tests wrote them (RELIABILITY_FIGURES when the tests ran).",
        )

    def handle(self, *args, file: str, **options):
        path = Path(file)
        if not path.exists():
            raise CommandError(f"{path}: no figures yet; run the tests marked 'reliability'.")
        figures = json.loads(path.read_text())
        width = max(len(name) for name in figures) if figures else 10
        for test, values in sorted(figures.items()):
            title = test.removeprefix("test_").replace("_", " ")
            self.stdout.write(title.ljust(width))
            for key, value in values.items():
                self.stdout.write(f"    {key.replace('_', ' '):<28} {value}")
