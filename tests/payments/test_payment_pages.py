"""The finance staff's pages, the applicant's invoices and the caseworker's wait for payment."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from payments.models import Invoice, PaymentFile
from payments.services import payment_file_import
from tests.factories import make_caseworker
from tests.payments.bgmax_files import bgmax_file
from tests.payments.factories import house_journey, make_finance, permit_step
from tests.test_query_counts import assert_constant

pytestmark = pytest.mark.django_db
BG = "5550-1027"


@pytest.fixture
def invoice(house) -> Invoice:
    return Invoice.objects.get(step=permit_step(house_journey(house)))


@pytest.fixture
def finance(invoice):
    return make_finance(invoice.unit)


def _upload(client, text: str | bytes, name="BGMAX.txt", **extra):
    content = text.encode("iso-8859-1") if isinstance(text, str) else text
    return client.post(
        reverse("payments:files"), {"upload": SimpleUploadedFile(name, content)}, **extra
    )


def test_finance_staff_import_a_file_and_see_what_it_paid_and_could_not_match(
    client, invoice, finance
):
    client.force_login(finance)
    page = client.get(reverse("payments:files"))
    assert page.status_code == 200 and b'enctype="multipart/form-data"' in page.content
    response = _upload(client, bgmax_file(BG, [(invoice.ocr, invoice.amount_ore), ("1234574", 99)]))
    record = PaymentFile.objects.get()
    assert response.status_code == 302 and response.url == reverse(
        "payments:file", args=[record.pk]
    )
    report = client.get(response.url).content.decode()
    assert "1 invoice paid" in report
    assert "1234574" in report and "No invoice has this reference" in report
    assert invoice.journey.reference in report
    assert "BGMAX.txt" in client.get(reverse("payments:files")).content.decode()


def test_the_same_file_again_is_refused_on_the_page(client, invoice, finance):
    client.force_login(finance)
    text = bgmax_file(BG, [(invoice.ocr, invoice.amount_ore)])
    _upload(client, text)
    response = _upload(client, text)
    assert response.status_code == 422
    assert "already been imported. Nothing was paid twice." in response.content.decode()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"%PDF-1.7\n%%EOF\n\x00", "must be a BgMax text file"),
        (b"<html><script>alert(1)</script></html>", "must be a BgMax text file"),
        (b"01BGMAX               0120261201173035010331P\n", "end record is missing"),
    ],
)
def test_files_that_are_not_bgmax_are_refused_with_what_to_do(client, finance, content, message):
    client.force_login(finance)
    response = _upload(client, content)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert "govuk-error-summary" in response.content.decode()
    assert not PaymentFile.objects.exists()


def test_a_file_over_the_size_limit_is_refused(client, finance, settings):
    settings.PAYMENT_FILE_MAX_BYTES = 100
    client.force_login(finance)
    response = _upload(client, "x" * 101)
    assert response.status_code == 422 and "must be smaller than" in response.content.decode()


def test_no_file_chosen_says_what_to_do(client, finance):
    client.force_login(finance)
    response = client.post(reverse("payments:files"), {})
    assert response.status_code == 422 and "Choose the BgMax file" in response.content.decode()


def test_the_error_is_in_swedish_for_a_swedish_reader(client, finance):
    client.force_login(finance)
    response = _upload(
        client,
        "01BGMAX               0120261201173035010331P\n",
        HTTP_ACCEPT_LANGUAGE="sv",
    )
    assert "Filen kunde inte läsas" in response.content.decode()


def test_the_upload_needs_the_csrf_token(invoice, finance):
    client = Client(enforce_csrf_checks=True)
    client.force_login(finance)
    assert _upload(client, bgmax_file(BG, [(invoice.ocr, invoice.amount_ore)])).status_code == 403
    assert not PaymentFile.objects.exists()


def test_another_units_finance_staff_cannot_see_a_units_files(client, invoice, finance, units):
    record = payment_file_import(
        content=bgmax_file(BG, [(invoice.ocr, invoice.amount_ore)]).encode(),
        name="a.txt",
        units=[invoice.unit],
        by=finance,
        now=timezone.now(),
    )
    client.force_login(make_finance(units["water-utility"]))
    assert client.get(reverse("payments:file", args=[record.pk])).status_code == 404
    assert "a.txt" not in client.get(reverse("payments:files")).content.decode()
    # Nor can they pay another unit's invoices: the file's bankgiro is not theirs.
    response = _upload(client, bgmax_file(BG, [(invoice.ocr, invoice.amount_ore)], stamp="2" * 20))
    assert response.status_code == 422 and "not your unit" in response.content.decode()
    client.force_login(make_caseworker(invoice.unit))
    assert client.get(reverse("payments:files")).status_code == 404


def test_the_applicant_sees_what_is_due_and_then_that_it_is_paid(client, invoice, finance):
    client.force_login(invoice.journey.applicant)
    url = reverse("citizens:application_track", args=[invoice.journey.public_id])
    page = client.get(url).content.decode()
    assert "Fees to pay" in page and invoice.ocr in page and "5550-1027" in page
    assert "11\u00a0000 SEK" in page and "To pay" in page
    payment_file_import(
        content=bgmax_file(BG, [(invoice.ocr, invoice.amount_ore)]).encode(),
        name="a.txt",
        units=[invoice.unit],
        by=finance,
        now=timezone.now(),
    )
    page = client.get(url).content.decode()
    assert "Paid" in page and "To pay" not in page


def test_the_caseworker_sees_the_step_waiting_for_payment_and_approval_refused(client, invoice):
    step = invoice.step
    caseworker = make_caseworker(step.unit)
    client.force_login(caseworker)
    client.post(reverse("casework:claim", args=[step.pk]))
    step.refresh_from_db()
    page = client.get(reverse("casework:case", args=[step.pk])).content.decode()
    assert "Waiting for payment" in page and invoice.ocr in page
    response = client.post(
        reverse("casework:decide", args=[step.pk]),
        {"outcome": "approve", "reasons": "Fine.", "version": step.version},
    )
    assert response.status_code == 409
    assert "cannot be approved until the applicant has paid" in response.content.decode()
    step.refresh_from_db()
    assert step.status == step.Status.IN_PROGRESS


def test_finance_pages_queries_do_not_grow(
    client, house, invoice, finance, django_assert_max_num_queries
):
    def _file(n, journeys=1):
        invoices = [
            Invoice.objects.get(step=permit_step(house_journey(house))) for _ in range(journeys)
        ]
        return payment_file_import(
            content=bgmax_file(
                BG,
                [(i.ocr, i.amount_ore) for i in invoices] + [("1234574", 5)] * n,
                stamp=f"{n:020d}",
            ).encode(),
            name=f"{n}.txt",
            units=[invoice.unit],
            by=finance,
            now=timezone.now(),
        )

    record = _file(1)
    client.force_login(finance)
    urls = [reverse("payments:files"), reverse("payments:file", args=[record.pk])]

    def grow():
        for n in range(2, 6):
            _file(n)
        more = _file(12, journeys=4)
        record.payments.update(file=more)  # the same page, now with many more rows
        PaymentFile.objects.filter(pk=record.pk).update(name="1.txt")

    assert_constant(client, urls, grow, django_assert_max_num_queries)
