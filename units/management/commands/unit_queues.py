from django.core.management.base import BaseCommand, CommandError

from units.models import Unit


class Command(BaseCommand):
    help = (
        "Print the Celery queues a worker consumes, comma-separated, for `celery worker -Q`: "
        "`portal`, `webhooks` (the events posted to subscribers) and every unit's. A worker "
        "given a subset serves only those; --except leaves out the units served by workers of "
        "their own (on their own hosts)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--except",
            dest="excluded",
            action="append",
            default=[],
            metavar="SLUG",
            help="A unit whose queue another worker consumes (repeat for several).",
        )

    def handle(self, *args, excluded: list[str], **options):
        units = Unit.objects.order_by("slug")
        known = units.filter(slug__in=excluded).values_list("slug", flat=True)
        unknown = set(excluded) - set(known)
        if unknown:
            raise CommandError(f"No unit with the slug {', '.join(sorted(unknown))}.")
        queues = [
            "portal",
            "webhooks",
            *(unit.queue_name for unit in units.exclude(slug__in=excluded)),
        ]
        self.stdout.write(",".join(queues))
