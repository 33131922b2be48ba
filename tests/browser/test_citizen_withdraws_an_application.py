"""A citizen withdraws an application: from its page to the "are you sure" page and back (Cancel
changes nothing), then withdraws with a reason; the page shows the application withdrawn, why,
and each step not yet decided cancelled once its unit has taken the cancellation; the case
page of the unit that held a step shows it cancelled with the applicant's reason in its log;
the withdrawal page then says why it cannot be done again. Every page on the way is checked
(axe, Nu HTML Checker, 320 px), in English and Swedish."""

import re

import pytest
from django.utils import timezone, translation
from playwright.sync_api import expect

from journeys import services
from journeys.models import Journey
from tests.browser.conftest import browser_page, sign_in
from tests.factories import decide, deliver_all, make_caseworker, make_user, submitted_journey

LANGUAGES = {"en": "en-GB", "sv": "sv-SE"}
WITHDRAW_LINK = {"en": "Withdraw your application", "sv": "Återkalla din ansökan"}
SURE = {
    "en": "Are you sure you want to withdraw your application?",
    "sv": "Är du säker på att du vill återkalla din ansökan?",
}
REASON_LABEL = {
    "en": "Why are you withdrawing your application?",
    "sv": "Varför återkallar du din ansökan?",
}
WITHDRAW_BUTTON = {"en": "Withdraw application", "sv": "Återkalla ansökan"}
CANCEL = {"en": "Cancel", "sv": "Avbryt"}
WITHDRAWN = {"en": "Your application has been withdrawn.", "sv": "Din ansökan är återkallad."}
STEP_CANCELLED = {
    "en": "Cancelled because the application was withdrawn.",
    "sv": "Avbrutet eftersom ansökan har återkallats.",
}
CANNOT = {"en": "This application cannot be withdrawn", "sv": "Den här ansökan kan inte återkallas"}
JOURNAL = {
    "en": "Application withdrawn by the applicant",
    "sv": "Ansökan återkallad av den sökande",
}
REASON = "Vi hittade en annan lokal. / We found other premises."


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_a_citizen_withdraws_an_application_and_the_units_stop(
    browser, live_server, cafe, assert_accessible, language
):
    applicant = make_user(f"withdrawer-{language}")
    with translation.override(language):
        journey = submitted_journey(cafe, applicant)
    decide(journey.steps.get(step_type__key="outdoor-seating"))
    permit = journey.steps.get(step_type__key="building-permit")
    planner = make_caseworker(permit.unit, username=f"planner-{language}")
    services.step_claim(step=permit, by=planner, now=timezone.now())
    track = f"/applications/{journey.public_id}/"
    options = {"locale": LANGUAGES[language], "viewport": {"width": 320, "height": 640}}
    with browser_page(browser, live_server, **options) as page:
        sign_in(page, applicant.username)
        page.goto(track)
        assert_accessible(page, f"tracking page of an open application ({language})")
        page.get_by_role("link", name=WITHDRAW_LINK[language]).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(SURE[language])
        expect(page.locator(".govuk-warning-text")).to_be_visible()
        assert_accessible(page, f"withdrawal page ({language})")

        page.get_by_role("link", name=CANCEL[language], exact=True).click()
        expect(page).to_have_url(re.compile(f"{track}$"))
        assert Journey.objects.get(pk=journey.pk).is_open

        page.get_by_role("link", name=WITHDRAW_LINK[language]).click()
        page.get_by_label(REASON_LABEL[language]).fill(REASON)
        page.get_by_role("button", name=WITHDRAW_BUTTON[language]).click()
        expect(page.locator(".govuk-notification-banner")).to_contain_text(WITHDRAWN[language])
        expect(page.get_by_test_id("journey-status-reason")).to_contain_text(REASON)
        assert_accessible(page, f"tracking page just withdrawn ({language})")

        deliver_all()  # each unit's worker takes its cancellation
        page.reload()
        expect(page.get_by_test_id("status-reason").first).to_have_text(STEP_CANCELLED[language])
        expect(page.locator("#withdraw-heading")).to_have_count(0)
        assert_accessible(page, f"tracking page, steps cancelled ({language})")

        page.goto(f"{track}withdraw/")
        expect(page.get_by_role("heading", level=1)).to_have_text(CANNOT[language])
        assert_accessible(page, f"withdrawal page of a withdrawn application ({language})")

    assert journey.steps.get(pk=permit.pk).status == "cancelled"
    assert journey.steps.get(step_type__key="outdoor-seating").status == "approved"
    with browser_page(browser, live_server, **options) as page:
        sign_in(page, planner.username)
        page.goto(f"/work/steps/{permit.pk}/")
        expect(page.locator(".portal-timeline")).to_contain_text(JOURNAL[language])
        expect(page.locator(".portal-timeline")).to_contain_text(REASON)
        assert_accessible(page, f"case page of the cancelled step ({language})")
