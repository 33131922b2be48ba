from django.core.management.base import BaseCommand
from django.utils import timezone

from journeys.services import stuck_sweep


class Command(BaseCommand):
    help = "Flag stalled journeys and overdue steps; clear flags that no longer hold (beat too)."

    def handle(self, *args, **options):
        result = stuck_sweep(now=timezone.now())
        self.stdout.write(str(result))
