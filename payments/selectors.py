"""What the applicant's tracking page shows of a journey's invoices."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import F
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from payments.models import Invoice


@dataclass(frozen=True)
class InvoiceRow:
    invoice: Invoice
    status: str
    tag_class: str


def journey_invoices(journey, *, today: dt.date, steps=None) -> list[InvoiceRow]:
    """Each invoice of the journey with its status tag: paid, to pay, overdue, or cancelled
    (not to be paid; the one issued again in its place, if any, is listed too). Given the
    journey's `steps` (with their step types), a journey none of whose fees is invoiced asks
    the database nothing."""
    if steps is not None and not any(step.step_type.invoice_at for step in steps):
        return []
    return [
        invoice_row(invoice, today=today)
        for invoice in Invoice.objects.filter(journey=journey).select_related(
            "step__step_type", "unit", "replaced_by__unit"
        )
    ]


def invoice_row(invoice: Invoice, *, today: dt.date) -> InvoiceRow:
    """The invoice with its status tag, as the applicant reads it (no query)."""
    if invoice.is_cancelled:
        # An invoice is "makulerad" in Swedish, not "avbruten" as a step is.
        return InvoiceRow(invoice, pgettext_lazy("invoice", "Cancelled"), "govuk-tag--grey")
    if invoice.is_paid:
        return InvoiceRow(invoice, _("Paid"), "govuk-tag--green")
    if invoice.is_overdue(today):
        return InvoiceRow(invoice, _("Overdue"), "govuk-tag--red")
    return InvoiceRow(invoice, _("To pay"), "govuk-tag--yellow")


def step_invoice(step) -> Invoice | None:
    """The step's invoice, if its fee has been invoiced: the live one, else the last one
    cancelled."""
    if not step.step_type.invoice_at:
        return None
    return (
        Invoice.objects.filter(step=step)
        .order_by(F("cancelled_at").desc(nulls_first=True), "-pk")
        .first()
    )
