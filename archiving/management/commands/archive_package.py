from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from archiving.packages import PackageRefused, journey_archive_package
from journeys.models import Journey


class Command(BaseCommand):
    help = "Write a closed journey's E-ARK submission information package (a zip) for the archive."

    def add_arguments(self, parser):
        parser.add_argument("reference", help="The journey's reference, e.g. CAFE-2026-000123.")
        parser.add_argument(
            "--out", type=Path, default=Path("."), help="The folder to write <reference>.zip in."
        )

    def handle(self, *args, reference: str, out: Path, **options):
        journey = Journey.objects.filter(reference=reference).first()
        if journey is None:
            raise CommandError(f"No journey {reference}.")
        try:
            path = journey_archive_package(journey=journey, now=timezone.now(), directory=out)
        except PackageRefused as refusal:
            raise CommandError(str(refusal)) from refusal
        self.stdout.write(f"Wrote {path}")
