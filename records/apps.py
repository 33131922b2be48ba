from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RecordsConfig(AppConfig):
    """The authority's records about its records: the access log of who read which journey, and
    the public-access copy of a journey with what secrecy withholds."""

    name = "records"
    verbose_name = _("Records")
