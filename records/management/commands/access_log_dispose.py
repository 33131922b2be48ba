from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from records.services import access_log_dispose


class Command(BaseCommand):
    help = "Dispose of access log entries past ACCESS_LOG_RETENTION_DAYS (beat runs it daily)."

    def handle(self, *args, **options):
        deleted = access_log_dispose(now=timezone.now())
        self.stdout.write(
            f"{deleted} access log entries older than "
            f"{settings.ACCESS_LOG_RETENTION_DAYS} days disposed of"
        )
