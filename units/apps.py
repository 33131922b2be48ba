from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class UnitsConfig(AppConfig):
    """The public units that own journey steps, their members and the roles people hold."""

    name = "units"
    verbose_name = _("Units")

    def ready(self) -> None:
        from units import signals

        signals.connect()
