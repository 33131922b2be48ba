from django.core.management.base import BaseCommand

from units.models import Unit


class Command(BaseCommand):
    help = (
        "Print the Celery queues a worker consumes, comma-separated, for `celery worker -Q`: "
        "`portal`, `webhooks` (the events posted to subscribers) and every unit's. A worker "
        "given a subset serves only those."
    )

    def handle(self, *args, **options):
        queues = [
            "portal",
            "webhooks",
            *(unit.queue_name for unit in Unit.objects.order_by("slug")),
        ]
        self.stdout.write(",".join(queues))
