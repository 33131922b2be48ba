from django.core.management.base import BaseCommand
from django.utils import timezone

from journeys.services import delay_notices_sweep


class Command(BaseCommand):
    help = "Tell applicants of steps about to miss their due date, with the reason (beat too)."

    def handle(self, *args, **options):
        result = delay_notices_sweep(now=timezone.now())
        self.stdout.write(str(result))
