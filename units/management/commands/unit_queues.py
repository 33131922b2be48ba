from django.core.management.base import BaseCommand

from units.models import Unit


class Command(BaseCommand):
    help = (
        "Print the Celery queues of all units, comma-separated, for `celery worker -Q`. "
        "A worker given a subset serves only those units."
    )

    def handle(self, *args, **options):
        queues = ["portal", *(unit.queue_name for unit in Unit.objects.order_by("slug"))]
        self.stdout.write(",".join(queues))
