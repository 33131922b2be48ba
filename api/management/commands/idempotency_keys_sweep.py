from django.core.management.base import BaseCommand
from django.utils import timezone

from api.idempotency import idempotency_keys_sweep


class Command(BaseCommand):
    help = "Forget Idempotency-Keys older than 24 hours (beat runs it hourly too)."

    def handle(self, *args, **options):
        self.stdout.write(f"{idempotency_keys_sweep(now=timezone.now())} keys forgotten")
