from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrganisationsConfig(AppConfig):
    """Organisations that apply through people, and each person's right to represent one: how
    it was recorded (the companies register, an invitation, a caseworker's confirmation)."""

    name = "organisations"
    verbose_name = _("Organisations")
