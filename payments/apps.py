from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    """Fees as invoices with OCR references, paid through the unit's bankgiro and matched from
    Bankgirot's BgMax payment files."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "payments"
    verbose_name = _("Payments")
