"""Invoices from step fees, and payments from BgMax files: keyword-only, one transaction each."""

import datetime as dt
import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from journeys.models import Journey, Step
from journeys.versions import journeys_changed
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


# A reissued invoice's reference is its step's id followed by two digits (01, 02, ...), so
# finance staff can still read the step from it; references are unique, and one taken by
# another invoice (a first invoice of the step whose id those digits make) is passed over.
REISSUES_PER_STEP = 99


def _ocr_free(step: Step) -> str:
    """The first reference for the step no invoice has: its id, then its id and a serial."""
    candidates = [
        ocr_make(base)
        for base in (step.pk, *(step.pk * 100 + n for n in range(1, REISSUES_PER_STEP + 1)))
    ]
    taken = set(Invoice.objects.filter(ocr__in=candidates).values_list("ocr", flat=True))
    return next(ocr for ocr in candidates if ocr not in taken)


def _invoice_create(*, step: Step, now: dt.datetime) -> Invoice | None:
    """The step's invoice, made once: a step invoiced before (even if that invoice was
    cancelled since) gets no other from here."""
    step_type = step.step_type
    if not step_type.fee:
        return None
    existing = list(Invoice.objects.filter(step=step))
    if existing:
        return next((invoice for invoice in existing if not invoice.is_cancelled), None)
    return Invoice.objects.create(
        step=step,
        journey_id=step.journey_id,
        unit_id=step.unit_id,
        amount_ore=step_type.fee * 100,
        ocr=_ocr_free(step),
        bankgiro=bankgiro_digits(step.unit.bankgiro),
        issued_at=now,
        due_date=timezone.localdate(now) + dt.timedelta(days=settings.INVOICE_DUE_DAYS),
    )


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
    return Invoice.objects.due().filter(step=step).exists()


@transaction.atomic
def invoices_cancel(*, steps, now: dt.datetime) -> list[Invoice]:
    """Cancel the unpaid invoices of these steps, which nobody will decide now; a paid one
    stays paid (a refund is for the unit's finance staff). Safe to repeat. The invoices' rows
    are locked, so a payment file applied at the same moment either pays one first or finds it
    cancelled. Returns the invoices cancelled now."""
    invoices = list(Invoice.objects.select_for_update().due().filter(step__in=steps))
    Invoice.objects.filter(pk__in=[i.pk for i in invoices]).update(cancelled_at=now)
    for invoice in invoices:
        invoice.cancelled_at = now
    return invoices


@transaction.atomic
def invoice_reissue(*, step: Step, now: dt.datetime) -> Invoice | None:
    """The step has moved to another unit: its unpaid invoice is cancelled and issued again to
    the step's unit now, with a new OCR reference and that unit's bankgiro, for the same amount
    by the same date. Nothing changes for a paid invoice (the units settle it between them),
    one already the unit's, or a unit with no bankgiro number to be paid to (the invoice stays
    payable where it was). Returns the new invoice, if one was issued."""
    step = Step.objects.select_related("unit").get(pk=step.pk)
    old = Invoice.objects.select_for_update().due().filter(step=step).first()
    if old is None or old.unit_id == step.unit_id or not step.unit.bankgiro:
        return None
    Invoice.objects.filter(pk=old.pk).update(cancelled_at=now)
    new = Invoice.objects.create(
        journey_id=old.journey_id,
        step=step,
        unit=step.unit,
        amount_ore=old.amount_ore,
        ocr=_ocr_free(step),
        bankgiro=bankgiro_digits(step.unit.bankgiro),
        issued_at=now,
        due_date=old.due_date,
    )
    Invoice.objects.filter(pk=old.pk).update(replaced_by=new)
    old.cancelled_at = now
    new.replaces = old  # what the applicant's message names; sets old.replaced_by too
    return new


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
    recorded with what was wrong, for the unit's finance staff to follow up by hand (a payment
    to a cancelled invoice pays nothing: it is to be returned, or passed on to the unit its
    invoice was issued again to)."""
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
    matching = Invoice.objects.filter(unit=unit, ocr__in=[p.reference for p in payments])
    # The journeys' rows first, as every change of a journey takes them (a withdrawal holds
    # its journey and then cancels the invoice); a paid invoice moves its journey's version.
    list(
        Journey.objects.select_for_update()
        .filter(pk__in=matching.values("journey_id"))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    invoices = {i.ocr: i for i in matching.select_for_update()}
    paid = set()
    for payment in payments:
        if payment.bgc_serial in seen:
            continue  # in an earlier file already: applied once, there
        seen.add(payment.bgc_serial)
        invoice = invoices.get(payment.reference)
        if invoice is None:
            outcome = Payment.Outcome.UNKNOWN_REFERENCE
        elif invoice.is_paid:
            outcome = Payment.Outcome.ALREADY_PAID
        elif invoice.is_cancelled:
            outcome = Payment.Outcome.CANCELLED  # the money is to go back (or on, if reissued)
        elif payment.amount_ore != invoice.amount_ore:
            outcome = Payment.Outcome.WRONG_AMOUNT
        else:
            outcome = Payment.Outcome.PAID
            invoice.paid_at = now
            invoice.save(update_fields=["paid_at"])
            paid.add(invoice.journey_id)
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
    journeys_changed(sorted(paid))
    return record
