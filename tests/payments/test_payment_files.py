"""Importing Bankgirot's BgMax files: invoices paid once, the rest reported, bad files refused
whole."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone, translation

from payments.models import Invoice, Payment, PaymentFile
from payments.services import ImportRefused, payment_file_import
from tests.payments.bgmax_files import bgmax_file, payment
from tests.payments.factories import house_journey, make_finance, permit_step

pytestmark = pytest.mark.django_db
BG = "5550-1027"  # Urban Planning's, in the demo and the tests


def _import(text: str, unit, *, by=None, name="bgmax.txt"):
    return payment_file_import(
        content=text.encode("iso-8859-1"), name=name, units=[unit], by=by, now=timezone.now()
    )


@pytest.fixture
def invoice(house) -> Invoice:
    return Invoice.objects.get(step=permit_step(house_journey(house)))


def test_a_matching_payment_marks_the_invoice_paid(invoice):
    finance = make_finance(invoice.unit)
    record = _import(
        bgmax_file(BG, [(invoice.ocr, invoice.amount_ore)], names={0: "Åsa Öberg"}),
        invoice.unit,
        by=finance,
    )
    invoice.refresh_from_db()
    assert invoice.is_paid
    (paid,) = record.payments.all()
    assert paid.outcome == Payment.Outcome.PAID and paid.invoice == invoice
    assert paid.payer_name == "Åsa Öberg"  # read as Latin-1, as Bankgirot writes it
    assert record.unit == invoice.unit and record.imported_by == finance


def test_the_same_file_imported_twice_pays_nothing_twice(invoice):
    text = bgmax_file(BG, [(invoice.ocr, invoice.amount_ore)])
    _import(text, invoice.unit)
    with pytest.raises(ImportRefused, match="already been imported"):
        _import(text, invoice.unit)
    assert Payment.objects.count() == 1 and PaymentFile.objects.count() == 1


def test_a_payment_sent_again_in_another_file_is_applied_once(invoice, house):
    other = Invoice.objects.get(step=permit_step(house_journey(house)))
    line, serial = payment(invoice.ocr, invoice.amount_ore)
    _import(bgmax_file(BG, [line]), invoice.unit)
    # The next day's file repeats the payment (same Bankgirot serial) beside a new one.
    record = _import(
        bgmax_file(BG, [line, (other.ocr, other.amount_ore)], stamp="20261202173035010331"),
        invoice.unit,
    )
    assert [p.invoice for p in record.payments.all()] == [other]
    assert Payment.objects.filter(bgc_serial=serial).count() == 1


def test_payments_that_match_no_invoice_are_reported_and_pay_nothing(invoice, house):
    other = Invoice.objects.get(step=permit_step(house_journey(house)))
    record = _import(
        bgmax_file(
            BG,
            [
                ("1234574", 500_00),  # a valid reference, but no invoice has it
                ("", 100_00),  # no reference at all
                (invoice.ocr, invoice.amount_ore - 100),  # too little
                (other.ocr, other.amount_ore),  # right
                (other.ocr, other.amount_ore),  # paid twice by the payer
            ],
        ),
        invoice.unit,
    )
    outcomes = [(p.reference, p.outcome) for p in record.payments.all()]
    assert outcomes == [
        ("1234574", Payment.Outcome.UNKNOWN_REFERENCE),
        ("", Payment.Outcome.UNKNOWN_REFERENCE),
        (invoice.ocr, Payment.Outcome.WRONG_AMOUNT),
        (other.ocr, Payment.Outcome.PAID),
        (other.ocr, Payment.Outcome.ALREADY_PAID),
    ]
    invoice.refresh_from_db()
    other.refresh_from_db()
    assert not invoice.is_paid and other.is_paid


def test_another_units_invoice_is_not_paid_by_this_units_file(invoice, units):
    water = units["water-utility"]
    record = _import(bgmax_file(water.bankgiro, [(invoice.ocr, invoice.amount_ore)]), water)
    assert record.payments.get().outcome == Payment.Outcome.UNKNOWN_REFERENCE
    invoice.refresh_from_db()
    assert not invoice.is_paid


def test_a_file_for_a_bankgiro_not_the_importers_is_refused(invoice, units):
    text = bgmax_file(units["water-utility"].bankgiro, [(invoice.ocr, invoice.amount_ore)])
    with pytest.raises(ImportRefused, match="not your unit"):
        _import(text, invoice.unit)
    assert not PaymentFile.objects.exists()


@pytest.mark.parametrize("cut", ["truncated", "malformed", "counts"])
def test_a_bad_file_is_refused_whole_and_pays_nothing(invoice, house, cut):
    other = Invoice.objects.get(step=permit_step(house_journey(house)))
    text = bgmax_file(BG, [(other.ocr, other.amount_ore), (invoice.ocr, invoice.amount_ore)])
    lines = text.splitlines()
    if cut == "truncated":
        text = "\n".join(lines[:-2])
    elif cut == "malformed":
        lines[3] = lines[3][:40] + "12,50 kr" + lines[3][48:]
        text = "\n".join(lines)
    else:
        text = text.replace("7000000002", "7000000003")
    with pytest.raises(ImportRefused, match="nothing was imported"):
        _import(text, invoice.unit)
    assert not Payment.objects.exists() and not PaymentFile.objects.exists()
    assert not Invoice.objects.filter(paid_at__isnull=False).exists()


def test_the_refusal_is_written_in_the_readers_language(invoice):
    with translation.override("sv"), pytest.raises(ImportRefused) as refused:
        _import("01BGMAX               0120261201173035010331P\n", invoice.unit)
    assert "Filen kunde inte läsas" in str(refused.value)


def test_the_management_command_imports_a_file_and_lists_what_it_could_not_match(invoice, tmp_path):
    path = tmp_path / "BGMAX_20261201.txt"
    path.write_bytes(
        bgmax_file(BG, [(invoice.ocr, invoice.amount_ore), ("1234574", 10)]).encode("latin-1")
    )
    out = io.StringIO()
    call_command("import_bgmax", str(path), unit="urban-planning", stdout=out)
    assert "1 invoice(s) paid" in out.getvalue()
    assert "not matched: reference 1234574" in out.getvalue()
    with pytest.raises(CommandError, match="already been imported"):
        call_command("import_bgmax", str(path), unit="urban-planning", stdout=io.StringIO())
    with pytest.raises(CommandError, match="No unit"):
        call_command("import_bgmax", str(path), unit="nowhere", stdout=io.StringIO())
