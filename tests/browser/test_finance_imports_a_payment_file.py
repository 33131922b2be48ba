"""A unit's finance staff pay an invoice by importing Bankgirot's BgMax file on the upload page,
and the applicant sees it paid: in English and in Swedish."""

import re

import pytest
from playwright.sync_api import expect

from payments.models import Invoice
from tests.browser.conftest import browser_page
from tests.factories import make_user
from tests.payments.bgmax_files import bgmax_file
from tests.payments.factories import house_journey, make_finance, permit_step

LOCALES = {"en": "en-GB", "sv": "sv-SE"}
TEXT = {
    "en": {
        "import": "Import the file",
        "paid": "1 invoice paid",
        "unmatched": "No invoice has this reference",
        "status": "Paid",
        "to_pay": "To pay",
        "incomplete": "end record is missing",
    },
    "sv": {
        "import": "Läs in filen",
        "paid": "1 faktura betald",
        "unmatched": "Ingen faktura har det här OCR-numret",
        "status": "Betald",
        "to_pay": "Att betala",
        "incomplete": "slutpost saknas",
    },
}


def _sign_in(page, username: str) -> None:
    page.goto("/accounts/login/")
    page.locator("[name=username]").fill(username)
    page.locator("[name=password]").fill("pw-for-tests-only")
    page.locator("main form[action='/accounts/login/'] button[type=submit]").click()
    expect(page).not_to_have_url(re.compile("/accounts/login/"))


def _choose(page, name: str, text: str) -> None:
    page.locator("input[type=file]").set_input_files(
        files=[{"name": name, "mimeType": "text/plain", "buffer": text.encode("iso-8859-1")}]
    )


@pytest.mark.parametrize("language", list(LOCALES))
def test_finance_imports_a_bgmax_file_and_the_applicant_sees_the_fee_paid(
    browser, live_server, house, assert_accessible, language
):
    anna = make_user("anna")
    journey = house_journey(house, anna)
    invoice = Invoice.objects.get(step=permit_step(journey))
    make_finance(invoice.unit, username="planning-finance")
    text = TEXT[language]
    with browser_page(browser, live_server, locale=LOCALES[language]) as page:
        # The applicant sees what is due: amount, bankgiro, OCR reference, due date.
        _sign_in(page, "anna")
        page.goto(f"/applications/{journey.public_id}/")
        fees = page.locator("#invoices")
        expect(fees).to_contain_text(invoice.ocr)
        expect(fees).to_contain_text("5550-1027")
        expect(fees.locator(".govuk-tag")).to_have_text(text["to_pay"])
        assert_accessible(page, f"tracking page, fee due ({language})")
        page.locator("header form[action='/accounts/logout/'] button").click()

        _sign_in(page, "planning-finance")
        page.goto("/payments/")
        assert_accessible(page, f"payment files ({language})")
        # A truncated file is refused whole, with why, in the reader's language.
        whole = bgmax_file("5550-1027", [(invoice.ocr, invoice.amount_ore), ("1234574", 100)])
        _choose(page, "BGMAX_cut.txt", "\n".join(whole.splitlines()[:-2]))
        page.get_by_role("button", name=text["import"]).click()
        summary = page.locator(".govuk-error-summary")
        expect(summary).to_be_focused()
        expect(summary).to_contain_text(text["incomplete"])
        assert_accessible(page, f"payment files, refused ({language})")
        invoice.refresh_from_db()
        assert not invoice.is_paid

        _choose(page, "BGMAX_20261201.txt", whole)
        page.get_by_role("button", name=text["import"]).click()
        expect(page.locator(".govuk-panel__title")).to_have_text(text["paid"])
        expect(page.locator("main table")).to_contain_text("1234574")
        expect(page.locator("main table")).to_contain_text(text["unmatched"])
        assert_accessible(page, f"payment file report ({language})")
        page.locator("header form[action='/accounts/logout/'] button").click()

        _sign_in(page, "anna")
        page.goto(f"/applications/{journey.public_id}/")
        expect(page.locator("#invoices .govuk-tag")).to_have_text(text["status"])
        assert_accessible(page, f"tracking page, fee paid ({language})")
    invoice.refresh_from_db()
    assert invoice.is_paid
