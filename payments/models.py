import datetime as dt

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from journeys.models import Journey, Step
from units.bankgiro import bankgiro_display
from units.models import Unit


class InvoiceQuerySet(models.QuerySet):
    def unpaid(self):
        return self.filter(paid_at__isnull=True)


class Invoice(models.Model):
    """A step's fee, to be paid to its unit's bankgiro with the invoice's OCR reference."""

    journey = models.ForeignKey(Journey, on_delete=models.CASCADE, related_name="invoices")
    step = models.OneToOneField(Step, on_delete=models.CASCADE, related_name="invoice")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="invoices")
    amount_ore = models.PositiveBigIntegerField(_("amount (öre)"))
    ocr = models.CharField(_("OCR reference"), max_length=25, unique=True)
    bankgiro = models.CharField(_("bankgiro number"), max_length=8)
    issued_at = models.DateTimeField(_("issued"))
    due_date = models.DateField(_("pay by"))
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)

    objects = InvoiceQuerySet.as_manager()

    class Meta:
        ordering = ["issued_at", "pk"]
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")

    def __str__(self) -> str:
        return f"{self.ocr} ({self.amount_kronor} kr)"

    @property
    def amount_kronor(self) -> str:
        kronor, ore = divmod(self.amount_ore, 100)
        return f"{kronor:,}".replace(",", "\u00a0") + (f",{ore:02d}" if ore else "")

    @property
    def bankgiro_display(self) -> str:
        return bankgiro_display(self.bankgiro)

    @property
    def is_paid(self) -> bool:
        return self.paid_at is not None

    def is_overdue(self, today: dt.date) -> bool:
        return not self.is_paid and today > self.due_date


class PaymentFile(models.Model):
    """One BgMax file imported for a unit: its hash, so the same file is never applied twice."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="payment_files")
    name = models.CharField(_("file name"), max_length=200)
    sha256 = models.CharField(max_length=64, unique=True)
    written_at = models.CharField(_("written by Bankgirot"), max_length=20)
    is_test = models.BooleanField(_("test file"), default=False)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    imported_at = models.DateTimeField(_("imported"))

    class Meta:
        ordering = ["-imported_at", "-pk"]
        verbose_name = _("payment file")
        verbose_name_plural = _("payment files")

    def __str__(self) -> str:
        return self.name


class Payment(models.Model):
    """One payment record of a file, with what became of it."""

    class Outcome(models.TextChoices):
        PAID = "paid", _("Invoice paid")
        UNKNOWN_REFERENCE = "unknown_reference", _("No invoice has this reference")
        WRONG_AMOUNT = "wrong_amount", _("The amount differs from the invoice")
        ALREADY_PAID = "already_paid", _("The invoice was already paid")

    file = models.ForeignKey(PaymentFile, on_delete=models.CASCADE, related_name="payments")
    invoice = models.ForeignKey(
        Invoice, on_delete=models.PROTECT, null=True, blank=True, related_name="payments"
    )
    bgc_serial = models.CharField(_("Bankgirot's serial number"), max_length=12, unique=True)
    reference = models.CharField(_("reference"), max_length=25, blank=True)
    amount_ore = models.PositiveBigIntegerField(_("amount (öre)"))
    sender_bankgiro = models.CharField(_("payer's bankgiro"), max_length=10, blank=True)
    payer_name = models.CharField(_("payer"), max_length=200, blank=True)
    paid_on = models.DateField(_("paid on"))
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")

    def __str__(self) -> str:
        return f"{self.bgc_serial} {self.reference}"

    @property
    def amount_kronor(self) -> str:
        kronor, ore = divmod(self.amount_ore, 100)
        return f"{kronor:,}".replace(",", "\u00a0") + f",{ore:02d}"
