from django.core.management.base import BaseCommand
from django.utils import timezone

from coordination.insight import insight_refresh_defaults


class Command(BaseCommand):
    help = "Compute the coordinator insight for the last year of every service (beat too)."

    def handle(self, *args, **options):
        refreshed = insight_refresh_defaults(today=timezone.localdate())
        self.stdout.write(f"{refreshed} sets of figures computed.")
