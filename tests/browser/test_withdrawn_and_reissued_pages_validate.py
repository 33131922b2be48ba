"""The pages in the states a step that stops or moves leaves behind, in English and Swedish at
320 CSS pixels: a consultation withdrawn while its answer was being typed (refused, the answer
shown back), the applicant's fees with a cancelled and a reissued invoice, the finance report
of a payment to the cancelled one, and the case page listing the withdrawn consultation."""

import datetime as dt

from django.utils import timezone
from playwright.sync_api import expect

from journeys import services
from payments.models import Invoice
from tests.browser import test_every_page_reflows_and_validates as every_page
from tests.factories import deliver_all, make_caseworker, make_user
from tests.payments.bgmax_files import bgmax_file
from tests.payments.factories import house_journey, make_finance, permit_step

# The page check's fixtures: each page in each language, 320 px wide, axe and Nu checked.
language, narrow_page, visit = every_page.language, every_page.narrow_page, every_page.visit
sign_in = every_page.sign_in
ANSWER = {"en": "The drains take it.", "sv": "Avloppet klarar det."}


def sign_out(page) -> None:
    page.locator("header form[action='/accounts/logout/'] button").click()


def test_a_withdrawn_consultation_and_a_reissued_invoice(narrow_page, language, house, visit):
    anna = make_user("anna")
    journey = house_journey(house, anna)
    permit = permit_step(journey)
    first = Invoice.objects.get(step=permit)
    planning = permit.unit
    services.step_transfer(
        step=permit,
        to=house.steps.get(key="technical-consultation").unit,  # building control
        by=make_caseworker(planning),
        reason="Building control handles extensions.",
        now=timezone.now(),
    )
    deliver_all()
    permit.refresh_from_db()
    control = make_caseworker(permit.unit, username="control")
    permit = services.step_claim(step=permit, by=control, now=timezone.now())
    water = house.steps.get(key="drainage-connection").unit
    consultation = services.consultation_request(
        step=permit,
        by=control,
        unit=water,
        question="Can the drains take a second bathroom?",
        due_date=timezone.localdate() + dt.timedelta(days=7),
        now=timezone.now(),
    )
    make_caseworker(water, username="water")
    make_finance(planning, username="planning-finance")

    # The consulted unit types its answer; the asking unit decides before it is sent.
    sign_in(narrow_page, "water")
    narrow_page.goto(f"/work/consultations/{consultation.pk}/")
    narrow_page.locator("textarea[name=answer]").fill(ANSWER[language])
    services.step_decide(
        step=permit, by=control, outcome="reject", reasons="Too large.", now=timezone.now()
    )
    narrow_page.locator("#answer-heading ~ form button[type=submit]").click()
    expect(narrow_page.locator("#unsent-answer")).to_have_text(ANSWER[language])
    expect(narrow_page.locator("#withdrawn")).to_be_visible()
    visit()
    sign_out(narrow_page)

    # The asking unit's case page lists the consultation as withdrawn.
    sign_in(narrow_page, "control")
    visit(f"/work/steps/{permit.pk}/")
    sign_out(narrow_page)

    # The applicant's fees: the cancelled invoice and the one issued again.
    sign_in(narrow_page, "anna")
    visit(f"/applications/{journey.public_id}/")
    expect(narrow_page.locator("#invoices .govuk-tag--grey")).to_have_count(1)
    sign_out(narrow_page)

    # Planning's finance staff import a payment to the cancelled invoice: reported, not paid.
    sign_in(narrow_page, "planning-finance")
    narrow_page.goto("/payments/")
    content = bgmax_file("5550-1027", [(first.ocr, first.amount_ore)])
    narrow_page.locator("input[type=file]").set_input_files(
        files=[{"name": "BGMAX.txt", "mimeType": "text/plain", "buffer": content.encode()}]
    )
    narrow_page.locator("main form button[type=submit]").click()
    expect(narrow_page.locator(".govuk-panel")).to_be_visible()
    visit()
