from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CitizensConfig(AppConfig):
    """The applicant's side: the service catalogue, applying once and tracking."""

    name = "citizens"
    verbose_name = _("Citizens")
