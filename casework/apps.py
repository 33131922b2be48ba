from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CaseworkConfig(AppConfig):
    """A unit's side: its queue, the case page where a caseworker works their step, and the
    unit lead's workload."""

    name = "casework"
    verbose_name = _("Casework")
