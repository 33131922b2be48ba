from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """Data to try and to measure the portal with: the demo's accounts and journeys, and
    journeys at municipal scale for the benchmark, written as the services would have."""

    name = "demo"
    verbose_name = _("Demo data")
