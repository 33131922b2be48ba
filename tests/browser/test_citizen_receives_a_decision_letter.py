"""A citizen is told of a rejection, finds the decision letter on the application's page and
opens it: a PDF in their language with the reasons and how to appeal. The pages on the way are
checked (axe, Nu HTML Checker, 320 px) in English and Swedish."""

import datetime as dt
import io
import re
from pathlib import Path

import pytest
from django.utils import timezone, translation
from playwright.sync_api import expect
from pypdf import PdfReader

from journeys import services
from tests.browser.conftest import browser_page
from tests.factories import deliver_all, make_caseworker, make_user, submitted_journey

LANGUAGES = {"en": "en-GB", "sv": "sv-SE"}
REASONS = {
    "en": "The kitchen has no separate hand-washing basin.",
    "sv": "Köket saknar ett separat handfat för handtvätt.",
}
APPEAL = {
    "en": "Write to us within three weeks and say how you want the decision changed.",
    "sv": "Skriv till oss inom tre veckor och ange hur du vill att beslutet ändras.",
}
LETTER_LINK = {
    "en": "Decision letter: Register the food business (PDF)",
    "sv": "Beslutsbrev: Registrera livsmedelsanläggningen (PDF)",
}
HEADINGS = {
    "en": ("Reasons for the decision", "How to appeal"),
    "sv": ("Skäl för beslutet", "Hur man överklagar"),
}


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_a_citizen_opens_the_decision_letter(
    browser, live_server, cafe, assert_accessible, language
):
    now = timezone.now()
    applicant = make_user("letter-reader")
    with translation.override(language):
        journey = submitted_journey(cafe, applicant, now=now - dt.timedelta(days=5))
    permit = journey.steps.get(step_type__key="building-permit")
    planner = make_caseworker(permit.unit)
    services.step_claim(step=permit, by=planner, now=now)
    services.step_decide(step=permit, by=planner, outcome="approve", reasons="Fine.", now=now)
    deliver_all(now)  # food registration waits for the building permit
    food = journey.steps.get(step_type__key="food-registration")
    inspector = make_caseworker(food.unit)
    services.step_claim(step=food, by=inspector, now=now)
    services.step_decide(
        step=food,
        by=inspector,
        outcome="reject",
        reasons=REASONS[language],
        appeal_instructions=APPEAL[language],
        communication_note="-",
        now=now,
    )
    options = {"locale": LANGUAGES[language], "viewport": {"width": 320, "height": 640}}
    with browser_page(browser, live_server, **options) as page:
        page.goto("/accounts/login/")
        page.locator("[name=username]").fill("letter-reader")
        page.locator("[name=password]").fill("pw-for-tests-only")
        page.locator("main form[action='/accounts/login/'] button[type=submit]").click()
        expect(page).not_to_have_url(re.compile("/accounts/login/"))

        page.goto("/messages/")
        expect(page.locator("main")).to_contain_text(REASONS[language])
        expect(page.locator(f"main a[href$='/steps/{food.pk}/letter/']")).to_have_count(1)
        assert_accessible(page, f"messages ({language})")

        page.goto(f"/applications/{journey.public_id}/")
        expect(page.locator("html")).to_have_attribute("lang", language)
        assert_accessible(page, f"tracking page ({language})")
        link = page.get_by_role("link", name=LETTER_LINK[language])
        with page.expect_download() as download_info:
            link.click()
        download = download_info.value
        assert download.suggested_filename.endswith(".pdf")
        response = page.request.get(link.get_attribute("href"))
        assert response.status == 200
        assert response.headers["content-type"] == "application/pdf"
        pdf = response.body()
        assert pdf == Path(download.path()).read_bytes()

    reader = PdfReader(io.BytesIO(pdf))
    text = " ".join(" ".join(p.extract_text().split()) for p in reader.pages)
    reasons, appeal = HEADINGS[language]
    assert f"{reasons} {REASONS[language]}" in text
    assert f"{appeal} {APPEAL[language]}" in text
    assert reader.trailer["/Root"]["/Lang"] == language
