from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from api.clients import api_client_create
from units.models import Unit


class Command(BaseCommand):
    help = (
        "Create an API client for a unit's case system (--unit <slug>) or a read-only "
        "coordination client (--coordination), and print its id and secret once."
    )

    def add_arguments(self, parser):
        kind = parser.add_mutually_exclusive_group(required=True)
        kind.add_argument("--unit", help="The unit's slug.")
        kind.add_argument("--coordination", action="store_true")
        parser.add_argument("--name", help="What the client is called (default: from the unit).")

    def handle(self, *args, unit=None, coordination=False, name=None, **options):
        found = None
        if unit:
            found = Unit.objects.filter(slug=unit).first()
            if found is None:
                known = ", ".join(Unit.objects.values_list("slug", flat=True))
                raise CommandError(f"No unit {unit!r}. Units: {known}")
        name = name or (f"{found.name} system" if found else "Coordination client")
        client, secret = api_client_create(name=name, unit=found, now=timezone.now())
        self.stdout.write(f"client_id={client.application.client_id}")
        self.stdout.write(f"client_secret={secret}")
        self.stderr.write("The secret is shown only now: the portal keeps only its hash.")
