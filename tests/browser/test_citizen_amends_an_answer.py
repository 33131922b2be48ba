"""A citizen corrects an answer after submitting: from the application's page, through the
change page (an empty answer first, shown as an error), back to the page with the change
confirmed; the caseworker already working on a step that needs it sees the case flagged and the
old and new answer in its log. Every page on the way is checked (axe, Nu HTML Checker, 320 px),
in English and Swedish."""

import pytest
from django.utils import timezone, translation
from playwright.sync_api import expect

from journeys import services
from tests.browser.conftest import browser_page, sign_in
from tests.factories import CAFE_ANSWERS, make_caseworker, make_user, submitted_journey

LANGUAGES = {"en": "en-GB", "sv": "sv-SE"}
CHANGE_LINK = {
    "en": "Change Contact phone number",
    "sv": "Ändra Telefonnummer till kontaktpersonen",
}
LABEL = {"en": "Contact phone number", "sv": "Telefonnummer till kontaktpersonen"}
SAVE = {"en": "Save the change", "sv": "Spara ändringen"}
CHANGED = {"en": "Your answer was changed.", "sv": "Ditt svar har ändrats."}
NEW_PHONE = "08-765 43 21"


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_a_citizen_corrects_an_answer_and_the_unit_sees_what_changed(
    browser, live_server, cafe, assert_accessible, language
):
    applicant = make_user(f"amender-{language}")
    with translation.override(language):
        journey = submitted_journey(cafe, applicant)
    permit = journey.steps.get(step_type__key="building-permit")
    planner = make_caseworker(permit.unit, username=f"planner-{language}")
    services.step_claim(step=permit, by=planner, now=timezone.now())
    options = {"locale": LANGUAGES[language], "viewport": {"width": 320, "height": 640}}
    with browser_page(browser, live_server, **options) as page:
        sign_in(page, applicant.username)
        page.goto(f"/applications/{journey.public_id}/")
        assert_accessible(page, f"tracking page with answers ({language})")
        page.get_by_role("link", name=CHANGE_LINK[language]).click()
        field = page.get_by_label(LABEL[language], exact=True)
        expect(field).to_have_value(CAFE_ANSWERS["contact_phone"])
        assert_accessible(page, f"change page ({language})")

        field.fill("")
        page.get_by_role("button", name=SAVE[language]).click()
        expect(page.locator(".govuk-error-summary")).to_be_visible()
        assert_accessible(page, f"change page with its error ({language})")

        page.get_by_label(LABEL[language], exact=True).fill(NEW_PHONE)
        page.get_by_role("button", name=SAVE[language]).click()
        expect(page.locator(".govuk-notification-banner")).to_contain_text(CHANGED[language])
        expect(page.locator("#answers")).to_contain_text(NEW_PHONE)
        assert_accessible(page, f"tracking page after the change ({language})")

    with browser_page(browser, live_server, **options) as page:
        sign_in(page, planner.username)
        page.goto(f"/work/steps/{permit.pk}/")
        expect(page.locator(".govuk-warning-text").first).to_be_visible()
        expect(page.locator(".portal-timeline")).to_contain_text(
            f"{CAFE_ANSWERS['contact_phone']} → {NEW_PHONE}"
        )
        assert_accessible(page, f"case page of the flagged step ({language})")
