from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class JourneysConfig(AppConfig):
    """Journey types, citizens' journeys and their steps, and the handoff of steps between units."""

    name = "journeys"
    verbose_name = _("Journeys")

    def ready(self) -> None:
        # Registers the percentile aggregate on SQLite connections (PostgreSQL has its own).
        from journeys import aggregates, checks  # noqa: F401
