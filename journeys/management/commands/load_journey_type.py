from django.core.management.base import BaseCommand, CommandError

from journeys.definitions import DefinitionError, journey_type_load


class Command(BaseCommand):
    help = "Publish journey types from YAML or JSON definition files (a changed one: new version)."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", help="Definition files, e.g. journeys/definitions/")

    def handle(self, *args, paths, **options):
        for path in paths:
            try:
                journey_type, created = journey_type_load(path)
            except DefinitionError as error:
                raise CommandError(str(error)) from error
            state = "published" if created else "unchanged"
            self.stdout.write(f"{path}: {journey_type.slug} v{journey_type.version} {state}")
