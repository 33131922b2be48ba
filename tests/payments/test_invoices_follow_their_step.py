"""An invoice follows its step: a cancelled step's unpaid invoice is cancelled (not due, not paid
by a payment file), and a step moved to another unit (a transfer, or a new route after an
amended answer) has its unpaid invoice cancelled and issued again to that unit, with a new OCR
reference and that unit's bankgiro, for the same amount by the same date; the applicant is told."""

import datetime as dt

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation

from journeys import services
from journeys.definitions import journey_type_publish
from journeys.models import ApplicantMessage, Handoff, Journey, OutgoingEmail, Step
from journeys.services.handoffs import handoffs_create
from payments.models import Invoice, Payment
from payments.ocr import ocr_is_valid, ocr_make
from payments.services import PaymentDue, payment_file_import
from tests.factories import decide, deliver_all, make_caseworker, submitted_journey
from tests.journey_types import make_test_units
from tests.payments.bgmax_files import bgmax_file
from tests.payments.factories import house_journey, make_finance, permit_step

pytestmark = pytest.mark.django_db
NOW = timezone.now() - dt.timedelta(days=3)

# Two steps invoiced at submission beside a permit: the licence queued at once, the
# inspection waiting for the permit and routed by the postcode.
FEES = {
    "slug": "fee-trail",
    "name": "Fee trail",
    "summary": "A service whose fees are invoiced when it is applied for.",
    "reference_prefix": "FEES",
    "invoice_at": "submission",
    "fields": [
        {"key": "name", "label": "Name", "shared": True},
        {"key": "postcode", "label": "Postcode", "optional": True},
    ],
    "steps": [
        {"key": "permit", "name": "Permit", "unit": "urban-planning"},
        {"key": "licence", "name": "Licence", "unit": "licences-alcohol", "fee": 2000},
        {
            "key": "inspection",
            "name": "Inspection",
            "depends_on": ["permit"],
            "needs": ["postcode"],
            "fee": 1000,
            "route": {
                "by": "postcode",
                "rules": [{"prefix": "113", "unit": "environment-health-north"}],
                "default": "environment-health",
            },
        },
    ],
}


def later(hours: int) -> dt.datetime:
    return NOW + dt.timedelta(hours=hours)


@pytest.fixture
def journey(units) -> Journey:
    service, _ = journey_type_publish(FEES, source="fee-trail.yaml")
    return submitted_journey(service, answers={"name": "Anna", "postcode": "164 40"}, now=NOW)


def step(journey, key) -> Step:
    return journey.steps.select_related("unit", "step_type").get(step_type__key=key)


def invoice_of(s: Step) -> Invoice:
    return Invoice.objects.select_related("unit").get(step=s, cancelled_at__isnull=True)


def pay(invoice: Invoice, *, reference: str | None = None, stamp="20261201173035010331"):
    """Import a BgMax file for the invoice's unit paying `reference` (the invoice's own)."""
    return payment_file_import(
        content=bgmax_file(
            invoice.bankgiro, [(reference or invoice.ocr, invoice.amount_ore)], stamp=stamp
        ).encode("iso-8859-1"),
        name=f"{stamp}.txt",
        units=[invoice.unit],
        by=None,
        now=timezone.now(),
    )


def tracking_page(client, journey) -> str:
    client.force_login(journey.applicant)
    url = reverse("citizens:application_track", args=[journey.public_id])
    return client.get(url).content.decode()


# Cancelled with the step


def test_a_rejection_cancels_the_unpaid_invoices_of_the_steps_it_ends(client, journey):
    licence, inspection = (
        invoice_of(step(journey, "licence")),
        invoice_of(step(journey, "inspection")),
    )
    assert "To pay" in tracking_page(client, journey)
    decide(step(journey, "permit"), "reject", now=later(1))
    # At once, for the waiting step and the queued one its cancel handoff has not reached yet.
    for invoice in (licence, inspection):
        invoice.refresh_from_db()
        assert invoice.is_cancelled and invoice.cancelled_at == later(1) and not invoice.is_paid
    deliver_all(later(2))
    licence.refresh_from_db()
    assert step(journey, "licence").status == Step.Status.CANCELLED
    assert licence.cancelled_at == later(1)  # cancelled once
    assert not Invoice.objects.due().filter(journey=journey).exists()
    page = tracking_page(client, journey)
    assert "To pay" not in page and "Overdue" not in page
    assert page.count("Cancelled: you do not need to pay it.") == 2
    worker = make_caseworker(licence.unit)
    client.force_login(worker)
    case = client.get(reverse("casework:case", args=[licence.step_id])).content.decode()
    assert f"(OCR reference {licence.ocr}) is cancelled" in case


def test_a_paid_invoice_stays_paid_when_its_step_is_cancelled(journey):
    licence = invoice_of(step(journey, "licence"))
    pay(licence)
    decide(step(journey, "permit"), "reject", now=later(1))
    deliver_all(later(2))
    licence.refresh_from_db()
    assert licence.is_paid and not licence.is_cancelled
    assert invoice_of(step(journey, "licence")) == licence
    assert Invoice.objects.get(step=step(journey, "inspection")).is_cancelled


def test_a_cancel_handoff_cancels_the_steps_unpaid_invoice(journey):
    licence = invoice_of(step(journey, "licence"))
    with transaction.atomic():  # as a closing journey writes it
        locked = Journey.objects.select_for_update().get(pk=journey.pk)
        handoffs_create(
            journey=locked, steps=[licence.step], now=later(1), kind=Handoff.Kind.CANCEL
        )
    licence.refresh_from_db()
    assert licence.is_due
    deliver_all(later(2))
    licence.refresh_from_db()
    assert licence.is_cancelled and licence.cancelled_at == later(2)
    assert invoice_of(step(journey, "inspection")).is_due  # another step's: untouched


def test_a_payment_to_a_cancelled_invoice_pays_nothing_and_is_reported(client, journey):
    licence = invoice_of(step(journey, "licence"))
    decide(step(journey, "permit"), "reject", now=later(1))
    record = pay(licence)
    (payment,) = record.payments.all()
    assert payment.outcome == Payment.Outcome.CANCELLED and payment.invoice == licence
    licence.refresh_from_db()
    assert not licence.is_paid and licence.is_cancelled
    client.force_login(make_finance(licence.unit))
    page = client.get(reverse("payments:file", args=[record.pk])).content.decode()
    assert "0 invoices paid" in page
    assert "The invoice was cancelled: return the payment" in page and licence.ocr in page


# Issued again when the step moves


def test_a_transfer_reissues_the_unpaid_invoice_to_the_receiving_unit(client, journey, units):
    old = invoice_of(step(journey, "licence"))
    police = units["police"]
    services.step_transfer(
        step=old.step,
        to=police,
        by=make_caseworker(old.unit),
        reason="Outdoor seating is the police's.",
        now=later(1),
    )
    old.refresh_from_db()
    new = invoice_of(step(journey, "licence"))
    assert old.is_cancelled and old.cancelled_at == later(1) and old.replaced_by == new
    assert new.unit == police and new.bankgiro == "55501050"
    assert new.amount_ore == old.amount_ore and new.due_date == old.due_date
    assert new.ocr != old.ocr and ocr_is_valid(new.ocr) and new.issued_at == later(1)

    message = ApplicantMessage.objects.get(journey=journey, subject__startswith="New invoice")
    assert message.subject == f"New invoice for your fee ({journey.reference})"
    assert f"2\u00a0000 SEK to bankgiro 5550-1050 with OCR reference {new.ocr}" in message.body
    assert f"Cancelled: the invoice with OCR reference {old.ocr}." in message.body
    assert OutgoingEmail.objects.filter(message=message).exists()

    page = tracking_page(client, journey)
    assert new.ocr in page and "5550-1050" in page and "To pay" in page
    assert "Cancelled: do not pay it. Police has sent a new invoice for this fee." in page

    # The new unit's file pays the new invoice; the old unit's, paying the old one, pays nothing.
    pay(new)
    new.refresh_from_db()
    assert new.is_paid
    record = pay(old, stamp="20261202173035010331")
    assert record.payments.get().outcome == Payment.Outcome.CANCELLED
    client.force_login(make_finance(old.unit))
    report = client.get(reverse("payments:file", args=[record.pk])).content.decode()
    assert f"Issued again by Police with OCR reference {new.ocr}" in report


def test_the_applicant_is_told_in_their_language(units):
    service, _ = journey_type_publish(FEES, source="fee-trail.yaml")
    with translation.override("sv"):
        journey = submitted_journey(service, answers={"name": "Anna"}, now=NOW)
    licence = step(journey, "licence")
    services.step_transfer(
        step=licence,
        to=units["police"],
        by=make_caseworker(licence.unit),
        reason="Fel enhet.",
        now=later(1),
    )
    message = ApplicantMessage.objects.get(journey=journey, subject__startswith="Ny faktura")
    assert message.subject == f"Ny faktura för din avgift ({journey.reference})"
    assert "Betala inte den makulerade fakturan" in message.body
    assert "till bankgiro 5550-1050 med OCR-nummer" in message.body


def test_nothing_is_reissued_for_a_paid_invoice_or_to_a_unit_without_a_bankgiro(journey, units):
    licence = invoice_of(step(journey, "licence"))
    nowhere = make_test_units("office-without-bankgiro")["office-without-bankgiro"]
    services.step_transfer(
        step=licence.step, to=nowhere, by=make_caseworker(licence.unit), reason="x", now=later(1)
    )
    # Still payable to the licensing unit, which settles it with the receiving one.
    assert invoice_of(step(journey, "licence")) == licence
    inspection = invoice_of(step(journey, "inspection"))
    pay(inspection)
    decide(step(journey, "permit"), now=later(2))
    deliver_all(later(3))
    moved = step(journey, "inspection")
    services.step_transfer(
        step=moved, to=units["police"], by=make_caseworker(moved.unit), reason="y", now=later(4)
    )
    assert list(Invoice.objects.filter(step=moved)) == [inspection]  # paid: stays as it was
    assert not ApplicantMessage.objects.filter(subject__startswith="New invoice").exists()


def test_a_new_route_after_an_amended_answer_reissues_the_invoice(client, journey, units):
    old = invoice_of(step(journey, "inspection"))
    assert old.unit == units["environment-health"]
    services.journey_amend(
        journey=journey, by=journey.applicant, answers={"postcode": "113 50"}, now=later(1)
    )
    assert step(journey, "inspection").unit == units["environment-health-north"]
    old.refresh_from_db()
    new = invoice_of(step(journey, "inspection"))
    assert old.is_cancelled and old.replaced_by == new
    assert new.unit == units["environment-health-north"] and new.bankgiro == "55501092"
    assert new.amount_ore == 1000_00 and new.due_date == old.due_date
    message = ApplicantMessage.objects.get(journey=journey, subject__startswith="New invoice")
    assert new.ocr in message.body and old.ocr in message.body


def test_each_reissue_has_a_reference_of_its_own(journey, units):
    licence = step(journey, "licence")
    for hours, to in enumerate(("police", "fire-rescue", "licences-alcohol"), start=1):
        moved = step(journey, "licence")
        services.step_transfer(
            step=moved, to=units[to], by=make_caseworker(moved.unit), reason=to, now=later(hours)
        )
        deliver_all(later(hours))  # in the receiving unit's queue, to be moved on again
    invoices = list(Invoice.objects.filter(step=licence).order_by("pk"))
    assert [i.ocr for i in invoices] == [
        ocr_make(licence.pk),
        ocr_make(licence.pk * 100 + 1),
        ocr_make(licence.pk * 100 + 2),
        ocr_make(licence.pk * 100 + 3),
    ]
    assert [i.is_cancelled for i in invoices] == [True, True, True, False]
    assert [i.replaced_by for i in invoices[:-1]] == invoices[1:]
    assert invoices[-1].unit == units["licences-alcohol"]


def test_approval_waits_for_the_reissued_invoice(house, units):
    permit = permit_step(house_journey(house))
    old = invoice_of(permit)
    services.step_transfer(
        step=permit,
        to=units["building-control"],
        by=make_caseworker(permit.unit),
        reason="Ours.",
        now=timezone.now(),
    )
    deliver_all()
    new = invoice_of(permit)
    worker = make_caseworker(new.unit)
    permit = services.step_claim(step=permit, by=worker, now=timezone.now())
    pay(old)  # paid to the cancelled invoice: it does not count
    with pytest.raises(PaymentDue):
        services.step_decide(
            step=permit, by=worker, outcome="approve", reasons="Fine.", now=timezone.now()
        )
    pay(new, stamp="20261202173035010331")
    decided = services.step_decide(
        step=permit, by=worker, outcome="approve", reasons="Fine.", now=timezone.now()
    )
    assert decided.status == Step.Status.APPROVED
