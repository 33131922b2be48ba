from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RecordsConfig(AppConfig):
    """The authority's records about its records: who read which journey, the public-access copy
    of a journey with what secrecy withholds, and what is kept how long (disposal under the
    retention rules, legal holds, requests for erasure)."""

    name = "records"
    verbose_name = _("Records")
