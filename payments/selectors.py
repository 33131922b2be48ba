"""What the applicant's tracking page shows of a journey's invoices."""

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from payments.models import Invoice


@dataclass(frozen=True)
class InvoiceRow:
    invoice: Invoice
    status: str
    tag_class: str


def journey_invoices(journey, *, today: dt.date) -> list[InvoiceRow]:
    """Each invoice of the journey with its status tag: paid, to pay, or overdue."""
    rows = []
    for invoice in Invoice.objects.filter(journey=journey).select_related(
        "step__step_type", "unit"
    ):
        if invoice.is_paid:
            rows.append(InvoiceRow(invoice, _("Paid"), "govuk-tag--green"))
        elif invoice.is_overdue(today):
            rows.append(InvoiceRow(invoice, _("Overdue"), "govuk-tag--red"))
        else:
            rows.append(InvoiceRow(invoice, _("To pay"), "govuk-tag--yellow"))
    return rows


def step_invoice(step) -> Invoice | None:
    """The step's invoice, if its fee has been invoiced."""
    return Invoice.objects.filter(step=step).first()
