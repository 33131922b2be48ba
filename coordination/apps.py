from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoordinationConfig(AppConfig):
    """The coordinator's side: every journey's progress with the stalled ones first, one
    journey's time chart, escalation, and insight into where journey time goes."""

    name = "coordination"
    verbose_name = _("Coordination")

    def ready(self):
        from coordination import aggregates  # noqa: F401  (the percentile aggregate on SQLite)
