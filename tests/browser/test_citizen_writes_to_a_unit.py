"""A citizen writes to the unit of a step, from the application's page (an empty message first,
shown as an error; then the text with a document); the caseworker, in a browser of their own,
finds the case marked in the queue, reads the message on the case page and answers; the citizen
reads the answer on the application's page. Every page on the way is checked (axe, Nu HTML
Checker, 320 px), in English and Swedish."""

import re

import pytest
from django.utils import timezone, translation
from playwright.sync_api import expect

from journeys.models import ConversationMessage
from tests.browser.conftest import browser_page, sign_in
from tests.factories import make_caseworker, make_user, submitted_journey

LANGUAGES = {"en": "en-GB", "sv": "sv-SE"}
WRITE = {"en": "Write to {unit} about “{step}”", "sv": "Skriv till {unit} om ”{step}”"}
MESSAGE = {"en": "Your message", "sv": "Ditt meddelande"}
ATTACH = {"en": "Attach a document (optional)", "sv": "Bifoga ett dokument (frivilligt)"}
SEND = {"en": "Send the message", "sv": "Skicka meddelandet"}
SENT = {
    "en": "Your message has been sent to {unit}.",
    "sv": "Ditt meddelande har skickats till {unit}.",
}
EMPTY = {"en": "Enter your message", "sv": "Skriv ditt meddelande"}
MARK = {"en": "New message", "sv": "Nytt meddelande"}
FILTER = {"en": "New messages", "sv": "Nya meddelanden"}
ANSWER_LABEL = {"en": "Your message to the applicant", "sv": "Ditt meddelande till den sökande"}
ANSWERED = {
    "en": "Your message has been sent to the applicant.",
    "sv": "Ditt meddelande har skickats till den sökande.",
}
NEW = {"en": "New", "sv": "Nytt"}
QUESTION = "May the terrace open in May, before the permit is decided?"
ANSWER = "Not before the permit: we expect to decide within two weeks."
PDF = b"%PDF-1.7\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_a_citizen_writes_to_a_unit_and_reads_its_answer(
    browser, live_server, cafe, assert_accessible, language
):
    applicant = make_user(f"writer-{language}")
    with translation.override(language):
        journey = submitted_journey(cafe, applicant)
        permit = journey.steps.select_related("unit", "step_type").get(
            step_type__key="building-permit"
        )
        unit, step = permit.unit.display_name, permit.step_type.display_name
    planner = make_caseworker(permit.unit, username=f"planner-{language}")
    track = f"/applications/{journey.public_id}/"
    options = {"locale": LANGUAGES[language], "viewport": {"width": 320, "height": 640}}

    with browser_page(browser, live_server, **options) as page:
        sign_in(page, applicant.username)
        page.goto(track)
        assert_accessible(page, f"tracking page with its threads ({language})")
        page.get_by_role("link", name=WRITE[language].format(unit=unit, step=step)).click()
        expect(page).to_have_url(re.compile(f"/steps/{permit.pk}/messages/$"))
        assert_accessible(page, f"message page ({language})")

        page.get_by_role("button", name=SEND[language]).click()
        expect(page.locator(".govuk-error-summary")).to_contain_text(EMPTY[language])
        assert_accessible(page, f"message page with its error ({language})")

        page.get_by_label(MESSAGE[language], exact=True).fill(QUESTION)
        page.get_by_label(ATTACH[language], exact=True).set_input_files(
            {"name": "terrace-plan.pdf", "mimeType": "application/pdf", "buffer": PDF}
        )
        page.get_by_role("button", name=SEND[language]).click()
        expect(page.locator(".govuk-notification-banner")).to_contain_text(
            SENT[language].format(unit=unit)
        )
        thread = page.locator(f"#conversation-{permit.pk}")
        expect(thread).to_contain_text(QUESTION)
        expect(thread).to_contain_text("terrace-plan.pdf")
        assert_accessible(page, f"tracking page after writing ({language})")

    with browser_page(browser, live_server, **options) as page:
        sign_in(page, planner.username)
        page.goto("/work/")
        row = page.locator("tbody tr", has_text=journey.reference)
        expect(row).to_contain_text(MARK[language])
        assert_accessible(page, f"queue with a new message ({language})")
        page.get_by_role("link", name=re.compile(f"^{FILTER[language]}")).click()
        expect(page.locator("tbody tr")).to_have_count(1)
        page.get_by_role("link", name=journey.reference).click()
        conversation = page.locator("#conversation")
        expect(conversation).to_contain_text(QUESTION)
        expect(conversation.get_by_role("link", name="terrace-plan.pdf")).to_be_visible()
        assert_accessible(page, f"case page with the message ({language})")

        conversation.get_by_label(ANSWER_LABEL[language], exact=True).fill(ANSWER)
        conversation.get_by_role("button", name=SEND[language]).click()
        expect(page.locator(".govuk-notification-banner")).to_contain_text(ANSWERED[language])
        expect(page.locator("#conversation")).to_contain_text(ANSWER)
        assert_accessible(page, f"case page after answering ({language})")
        page.goto("/work/")
        expect(page.locator("tbody tr", has_text=journey.reference)).not_to_contain_text(
            MARK[language]
        )

    with browser_page(browser, live_server, **options) as page:
        sign_in(page, applicant.username)
        page.goto(track)
        thread = page.locator(f"#conversation-{permit.pk}")
        expect(thread).to_contain_text(ANSWER)
        expect(thread.locator(".govuk-tag")).to_have_text(NEW[language])
        assert_accessible(page, f"tracking page with the answer ({language})")
    answer = ConversationMessage.objects.get(from_applicant=False)
    assert answer.author == planner and answer.read_at is not None
    assert answer.read_at <= timezone.now()
