from django.core.management.base import BaseCommand
from django.utils import timezone

from journeys.services import outgoing_emails_sweep


class Command(BaseCommand):
    help = "Publish again every e-mail left unsent past the grace (the relay runs it too)."

    def handle(self, *args, **options):
        count = outgoing_emails_sweep(now=timezone.now())
        self.stdout.write(f"{count} e-mail(s) published again")
