from django.apps import AppConfig


class ArchivingConfig(AppConfig):
    """Closed journeys exported for the archive as E-ARK submission information packages."""

    name = "archiving"
