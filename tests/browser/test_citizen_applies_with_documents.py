"""A citizen applies for the café attaching a floor plan on its own question page (a file of a
type the question does not take first, shown as an error), sees its name on check-your-answers
and sends; the building permit's caseworker, whose step needs the plan, finds it on the case
page, downloads it, and adds a document of the unit's own for the applicant and an internal one;
the applicant's page lists the first and not the second. Every page on the way is checked (axe,
Nu HTML Checker, 320 px), in English and Swedish."""

import struct
import zlib

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from journeys import services
from journeys.models import Document, Journey
from tests.browser.conftest import browser_page, sign_in
from tests.factories import CAFE_ANSWERS, deliver_all, make_caseworker, make_user

LANGUAGES = {"en": "en-GB", "sv": "sv-SE"}


def png(width: int = 8, height: int = 8) -> bytes:
    """A small, whole and valid PNG (white, 8-bit RGB), made here."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\xff" * 3 * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


PNG = png()
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
FLOOR_PLAN = {
    "en": "Floor plan of the premises (optional)",
    "sv": "Planritning över lokalen (frivilligt)",
}
MENU = {"en": "Menu (optional)", "sv": "Meny (frivilligt)"}
CONTINUE = {"en": "Continue", "sv": "Fortsätt"}
CHECK = {
    "en": "Check your answers before you apply",
    "sv": "Kontrollera dina svar innan du skickar ansökan",
}
WRONG_TYPE = {
    "en": "The file must be a PDF or PNG file",
    "sv": "Filen måste vara av typen PDF eller PNG",
}
SEND = {"en": "Accept and send application", "sv": "Godkänn och skicka ansökan"}
FOLLOW = {"en": "Follow your application", "sv": "Följ din ansökan"}
SHOW_APPLICANT = {"en": "The applicant may see this document", "sv": "Sökanden får se dokumentet"}
ADD = {"en": "Add the document", "sv": "Lägg till dokumentet"}
ADDED = {
    True: {"en": "The applicant can see it.", "sv": "Sökanden kan se det."},
    False: {"en": "for your unit only", "sv": "bara för din enhet"},
}
FROM_UNITS = {"en": "Documents from the units", "sv": "Dokument från enheterna"}


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_a_citizen_applies_with_a_floor_plan_and_the_unit_that_needs_it_reads_it(
    browser, live_server, cafe, assert_accessible, language, tmp_path
):
    applicant = make_user(f"applicant-{language}")
    draft = services.journey_start(journey_type=cafe, applicant=applicant, now=timezone.now())
    services.journey_applying_for_self(journey=draft)
    services.journey_save_answers(journey=draft, answers=CAFE_ANSWERS)
    plan = tmp_path / "floor-plan.png"
    plan.write_bytes(PNG)
    options = {"locale": LANGUAGES[language], "viewport": {"width": 320, "height": 640}}
    with browser_page(browser, live_server, **options) as page:
        sign_in(page, applicant.username)
        # The draft resumes at its first unanswered question: the floor plan, a page of its own.
        page.goto(f"/applications/{draft.public_id}/continue/")
        expect(page.get_by_role("heading", level=1)).to_have_text(FLOOR_PLAN[language])
        assert_accessible(page, f"floor plan question ({language})")

        upload = page.get_by_label(FLOOR_PLAN[language], exact=True)
        upload.set_input_files(
            files=[{"name": "plan.jpg", "mimeType": "image/jpeg", "buffer": JPEG}]
        )
        page.get_by_role("button", name=CONTINUE[language]).click()
        summary = page.locator(".govuk-error-summary")
        expect(summary).to_be_focused()
        expect(summary).to_contain_text(WRONG_TYPE[language])
        assert_accessible(page, f"floor plan question with its error ({language})")

        page.get_by_label(FLOOR_PLAN[language], exact=True).set_input_files(plan)
        page.get_by_role("button", name=CONTINUE[language]).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(MENU[language])
        page.get_by_role("button", name=CONTINUE[language]).click()

        expect(page.get_by_role("heading", level=1)).to_have_text(CHECK[language])
        row = page.locator(".govuk-summary-list__row").filter(
            has_text=FLOOR_PLAN[language].split(" (")[0]
        )
        expect(row.locator(".govuk-summary-list__value")).to_have_text("floor-plan.png")
        expect(row.get_by_role("link")).to_have_attribute(
            "href", f"/applications/{draft.public_id}/questions/floor_plan/?change=1"
        )
        assert_accessible(page, f"check answers with the floor plan ({language})")
        page.get_by_role("button", name=SEND[language]).click()
        page.get_by_role("link", name=FOLLOW[language]).click()
        expect(page.get_by_role("link", name="floor-plan.png")).to_be_visible()
        assert_accessible(page, f"tracking page with the floor plan ({language})")

    journey = Journey.objects.get(pk=draft.pk)
    plan_document = Document.objects.get(journey=journey, field_key="floor_plan")
    assert {s.step_type.key for s in plan_document.steps.all()} == {
        "building-permit",
        "food-registration",
    }
    deliver_all()
    permit = journey.steps.get(step_type__key="building-permit")
    planner = make_caseworker(permit.unit, username=f"planner-{language}")
    services.step_claim(step=permit, by=planner, now=timezone.now())
    with browser_page(browser, live_server, **options) as page:
        sign_in(page, planner.username)
        page.goto(f"/work/steps/{permit.pk}/")
        link = page.get_by_role("link", name="floor-plan.png")
        expect(link).to_be_visible()
        with page.expect_download() as download:
            link.click()
        assert download.value.suggested_filename == "floor-plan.png"
        assert download.value.path().read_bytes() == PNG
        link.blur()  # a focused link is styled as focused, which axe reads as unstyled text
        assert_accessible(page, f"case page with the floor plan ({language})")

        for name, visible in (("letter-to-the-applicant.png", True), ("site-visit.png", False)):
            page.locator("#document-upload").set_input_files(
                files=[{"name": name, "mimeType": "image/png", "buffer": PNG}]
            )
            if visible:
                page.get_by_label(SHOW_APPLICANT[language]).check()
            page.get_by_role("button", name=ADD[language]).click()
            expect(page.locator(".govuk-notification-banner")).to_contain_text(
                ADDED[visible][language]
            )
            expect(page.get_by_role("link", name=name)).to_be_visible()
        assert_accessible(page, f"case page with the unit's documents ({language})")

    with browser_page(browser, live_server, **options) as page:
        sign_in(page, applicant.username)
        page.goto(f"/applications/{journey.public_id}/")
        expect(page.get_by_role("heading", name=FROM_UNITS[language])).to_be_visible()
        expect(page.get_by_role("link", name="letter-to-the-applicant.png")).to_be_visible()
        expect(page.get_by_text("site-visit.png")).to_have_count(0)
        assert_accessible(page, f"tracking page with a unit's document ({language})")
