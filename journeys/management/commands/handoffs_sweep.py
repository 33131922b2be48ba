from django.core.management.base import BaseCommand
from django.utils import timezone

from journeys.services import handoffs_sweep


class Command(BaseCommand):
    help = "Publish again every handoff left undelivered past the grace (the relay runs it too)."

    def handle(self, *args, **options):
        count = handoffs_sweep(now=timezone.now())
        self.stdout.write(f"{count} handoff(s) published again")
