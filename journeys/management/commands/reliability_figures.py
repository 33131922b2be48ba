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
        width = max((len(key) for values in figures.values() for key in values), default=10)
        for test, values in sorted(figures.items()):
            self.stdout.write(test.removeprefix("test_").replace("_", " "))
            for key, value in values.items():
                self.stdout.write(f"    {key.replace('_', ' '):<{width}}  {value}")
