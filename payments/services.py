"""Invoices from step fees, and payments from BgMax files: keyword-only, one transaction each."""

import datetime as dt
import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from journeys.models import Journey, Step
from payments.bgmax import BgMaxError, bgmax_parse
from payments.models import Invoice, Payment, PaymentFile
from payments.ocr import ocr_make
from units.bankgiro import bankgiro_digits
from units.models import Unit


class PaymentDue(Exception):
    """The step's approval waits for its invoice to be paid."""

    message = _(
        "This step cannot be approved until the applicant has paid its invoice. "
        "You can still ask for information or reject it."
    )


def _invoice_create(*, step: Step, now: dt.datetime) -> Invoice | None:
    step_type = step.step_type
    if not step_type.fee:
        return None
    invoice, _created = Invoice.objects.get_or_create(
        step=step,
        defaults={
            "journey_id": step.journey_id,
            "unit_id": step.unit_id,
            "amount_ore": step_type.fee * 100,
            "ocr": ocr_make(step.pk),
            "bankgiro": bankgiro_digits(step.unit.bankgiro),
            "issued_at": now,
            "due_date": timezone.localdate(now) + dt.timedelta(days=settings.INVOICE_DUE_DAYS),
        },
    )
    return invoice


@transaction.atomic
def invoices_at_submission(*, journey: Journey, now: dt.datetime) -> list[Invoice]:
    """An invoice for each of the journey's steps whose fee is invoiced at submission."""
    steps = journey.steps.filter(step_type__invoice_at="submission").select_related(
        "step_type", "unit"
    )
    return [invoice for step in steps if (invoice := _invoice_create(step=step, now=now))]


@transaction.atomic
def invoice_at_decision(*, step: Step, now: dt.datetime) -> Invoice | None:
    """The step's invoice, if its fee is invoiced when it is decided (either way)."""
    if step.step_type.invoice_at != "decision":
        return None
    return _invoice_create(step=step, now=now)


def decision_waits_for_payment(*, step: Step) -> bool:
    """Whether approving the step must wait: its type says so and its invoice is unpaid."""
    if not step.step_type.pay_before_decision:
        return False
    return Invoice.objects.filter(step=step, paid_at__isnull=True).exists()


@dataclass
class ImportRefused(Exception):
    """The file was not applied; `message` says why in the reader's language."""

    message: str

    def __str__(self) -> str:
        return str(self.message)


def payment_file_import(*, content: bytes, name: str, units, by, now: dt.datetime) -> PaymentFile:
    """Apply a BgMax file for one of `units` (the importer's): whole or not at all.

    A file already imported (same bytes) is refused; a payment already recorded (Bankgirot's
    serial number) is never applied again; a payment that matches no unpaid invoice exactly is
    recorded with what was wrong, for the unit's finance staff to follow up by hand."""
    sha256 = hashlib.sha256(content).hexdigest()
    if PaymentFile.objects.filter(sha256=sha256).exists():
        raise ImportRefused(_("This file has already been imported. Nothing was paid twice."))
    try:
        text = content.decode("iso-8859-1")  # Bankgirot writes Latin-1
        parsed = bgmax_parse(text)
    except BgMaxError as error:
        raise ImportRefused(
            _("The file could not be read, so nothing was imported. %(problem)s")
            % {"problem": error}
        ) from None
    recipients = {deposit.recipient_bankgiro for deposit in parsed.deposits}
    by_bankgiro = {bankgiro_digits(u.bankgiro): u for u in units if u.bankgiro}
    if len(recipients) != 1 or not recipients <= set(by_bankgiro):
        raise ImportRefused(
            _("The file is for a bankgiro number that is not your unit's, so nothing was imported.")
        )
    unit: Unit = by_bankgiro[recipients.pop()]
    try:
        with transaction.atomic():
            return _apply(parsed, unit=unit, name=name, sha256=sha256, by=by, now=now)
    except IntegrityError:  # the same file or payment, imported at the same moment elsewhere
        raise ImportRefused(
            _("This file has already been imported. Nothing was paid twice.")
        ) from None


def _apply(parsed, *, unit: Unit, name: str, sha256: str, by, now) -> PaymentFile:
    record = PaymentFile.objects.create(
        unit=unit,
        name=name[-200:],
        sha256=sha256,
        written_at=parsed.written_at,
        is_test=parsed.is_test,
        imported_by=by,
        imported_at=now,
    )
    payments = [p for p in parsed.payments if not p.is_deduction]
    seen = set(
        Payment.objects.filter(bgc_serial__in=[p.bgc_serial for p in payments]).values_list(
            "bgc_serial", flat=True
        )
    )
    invoices = {
        i.ocr: i
        for i in Invoice.objects.select_for_update().filter(
            unit=unit, ocr__in=[p.reference for p in payments]
        )
    }
    for payment in payments:
        if payment.bgc_serial in seen:
            continue  # in an earlier file already: applied once, there
        seen.add(payment.bgc_serial)
        invoice = invoices.get(payment.reference)
        if invoice is None:
            outcome = Payment.Outcome.UNKNOWN_REFERENCE
        elif invoice.is_paid:
            outcome = Payment.Outcome.ALREADY_PAID
        elif payment.amount_ore != invoice.amount_ore:
            outcome = Payment.Outcome.WRONG_AMOUNT
        else:
            outcome = Payment.Outcome.PAID
            invoice.paid_at = now
            invoice.save(update_fields=["paid_at"])
        Payment.objects.create(
            file=record,
            invoice=invoice,
            bgc_serial=payment.bgc_serial,
            reference=payment.reference,
            amount_ore=payment.amount_ore,
            sender_bankgiro=payment.sender_bankgiro,
            payer_name=payment.payer_name,
            paid_on=payment.paid_on,
            outcome=outcome,
        )
    return record
