import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from journeys.models import Journey, Step
from units.bankgiro import bankgiro_display
from units.models import Unit


class InvoiceQuerySet(models.QuerySet):
    def unpaid(self):
        return self.filter(paid_at__isnull=True)

    def live(self):
        """Not cancelled: paid, or still to pay."""
        return self.filter(cancelled_at__isnull=True)

    def due(self):
        """Still to pay: neither paid nor cancelled."""
        return self.unpaid().live()


class Invoice(models.Model):
    """A step's fee, to be paid to its unit's bankgiro with the invoice's OCR reference.

    A step has at most one live invoice. An unpaid one is cancelled when its step is (nobody
    will decide it), and cancelled and issued again, as a new invoice with its own reference,
    when the step moves to another unit: the old one stays, pointing at its replacement, so a
    payment made to it is recognised for what it is."""

    # PROTECT: an invoice is an accounting record, kept by the bookkeeping rules, and its
    # journey's records go only through the disposal rules.
    journey = models.ForeignKey(Journey, on_delete=models.PROTECT, related_name="invoices")
    step = models.ForeignKey(Step, on_delete=models.PROTECT, related_name="invoices")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="invoices")
    amount_ore = models.PositiveBigIntegerField(_("amount (öre)"))
    ocr = models.CharField(_("OCR reference"), max_length=25, unique=True)
    bankgiro = models.CharField(_("bankgiro number"), max_length=8)
    issued_at = models.DateTimeField(_("issued"))
    due_date = models.DateField(_("pay by"))
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    replaced_by = models.OneToOneField(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="replaces",
        verbose_name=_("issued again as"),
    )

    objects = InvoiceQuerySet.as_manager()

    class Meta:
        ordering = ["issued_at", "pk"]
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        constraints = [
            models.UniqueConstraint(
                fields=["step"],
                condition=Q(cancelled_at__isnull=True),
                name="invoice_one_live_per_step",
            ),
            models.CheckConstraint(
                condition=Q(paid_at__isnull=True) | Q(cancelled_at__isnull=True),
                name="invoice_paid_or_cancelled_not_both",
            ),
            models.CheckConstraint(
                condition=Q(replaced_by__isnull=True) | Q(cancelled_at__isnull=False),
                name="invoice_replaced_only_when_cancelled",
            ),
        ]

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

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None

    @property
    def is_due(self) -> bool:
        return not (self.is_paid or self.is_cancelled)

    def is_overdue(self, today: dt.date) -> bool:
        return self.is_due and today > self.due_date


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
        CANCELLED = "cancelled", _("The invoice was cancelled: return the payment")

    file = models.ForeignKey(PaymentFile, on_delete=models.PROTECT, related_name="payments")
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
