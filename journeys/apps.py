from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class JourneysConfig(AppConfig):
    """Journey types, citizens' journeys and their steps, and the handoff of steps between units."""

    name = "journeys"
    verbose_name = _("Journeys")

    def ready(self) -> None:
        from journeys import checks  # noqa: F401
