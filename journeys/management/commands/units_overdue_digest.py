from django.core.management.base import BaseCommand
from django.utils import timezone

from journeys.notifications import units_overdue_digest


class Command(BaseCommand):
    help = "E-mail each unit the list of its overdue cases (also run daily by beat)."

    def handle(self, *args, **options):
        sent = units_overdue_digest(now=timezone.now())
        self.stdout.write(f"{sent} digest(s) sent")
