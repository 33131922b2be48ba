"""A new citizen applies for the café journey, follows it while units decide, answers a request
with a document, and reads it all in Swedish; axe-core checks every citizen page."""

import datetime as dt
import re

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from journeys import services
from journeys.models import Journey, Step
from tests.browser.conftest import log_in
from tests.factories import (
    deliver_all,
    make_caseworker,
    make_user,
    send_emails,
    submitted_journey,
)

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
ANSWERS = [
    ("Company name", "Kaffekoppen AB"),
    ("Organisation number", "556016-0680"),
    ("Contact person", "Anna Andersson"),
    ("Contact e-mail address", "anna@example.org"),
    ("Contact phone number", "070-123 45 67"),
    ("Address of the premises", "Storgatan 1, Stockholm"),
    ("Postcode of the premises", "114 55"),
    ("Planned opening date", "2027-03-15"),
]


def mailed_path(address: str) -> str:
    """The link in the newest e-mail to `address`, sent as a worker would send it."""
    send_emails()
    body = next(m.body for m in reversed(mail.outbox) if m.to == [address])
    return re.search(r"https?://[^/\s]+(/accounts/signup/\S+)", body).group(1)


def test_a_new_citizen_applies_follows_answers_and_reads_it_in_swedish(
    page, cafe, settings, tmp_path, assert_accessible
):
    settings.TRACKING_REFRESH_SECONDS = 1

    page.goto("/accounts/signup/")
    page.get_by_label("Username").fill("anna")
    page.get_by_label("E-mail address").fill("anna@example.org")
    page.get_by_role("button", name="Send me the link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your e-mail")
    assert_accessible(page)
    page.goto(mailed_path("anna@example.org"))
    page.get_by_label("Password", exact=True).fill("a-long-enough-passphrase")
    page.get_by_label("Password again").fill("a-long-enough-passphrase")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_text("Your account has been created.")).to_be_visible()

    page.goto("/services/open-a-cafe/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Open a café")
    expect(page.get_by_text("14,000 to 45,000 SEK")).to_be_visible()
    page.get_by_role("button", name="Start now").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Who is the application for?")
    page.get_by_label("Myself, as a private person").check()
    page.get_by_role("button", name="Continue").click()

    # A wrong organisation number is explained, focused and kept; then corrected.
    page.get_by_label("Company name").fill("Kaffekoppen AB")
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Organisation number").fill("556016-0681")
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_title(re.compile(r"^Error: Organisation number"))
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    expect(page.get_by_label("Organisation number")).to_have_value("556016-0681")
    summary.get_by_role("link", name=re.compile("Check the organisation number")).click()
    expect(page.get_by_label("Organisation number")).to_be_focused()
    for label, value in ANSWERS[1:]:
        page.get_by_label(label).fill(value)
        page.get_by_role("button", name="Continue").click()
    for question, choice in (
        ("Will you serve alcohol?", "Yes"),
        ("Do you want outdoor seating on public land?", "No"),
        ("Will you use bottled gas (LPG)?", "No"),
    ):
        expect(page.get_by_role("heading", level=1)).to_have_text(question)
        page.get_by_label(choice, exact=True).check()
        page.get_by_role("button", name="Continue").click()
    # The documents are optional, each on its own page: passed by, sent later when asked for.
    for question in ("Floor plan of the premises (optional)", "Menu (optional)"):
        expect(page.get_by_role("heading", level=1)).to_have_text(question)
        page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Check your answers before you apply")
    page.get_by_role("link", name="Change Contact person").click()
    page.get_by_label("Contact person").fill("Anna Lind")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text("Anna Lind")).to_be_visible()
    page.get_by_role("button", name="Accept and send application").click()

    expect(page.get_by_role("heading", name="Application sent")).to_be_visible()
    journey = Journey.objects.get(applicant__username="anna")
    expect(page.locator(".govuk-panel__body")).to_contain_text(journey.reference)
    page.get_by_role("link", name="Follow your application").click()

    # A unit's decision arrives while the page is open: the progress updates in place.
    page.evaluate("window.stillTheSamePage = true")
    deliver_all()
    permit = journey.steps.get(step_type__key="building-permit")
    planner = make_caseworker(permit.unit)
    permit = services.step_claim(step=permit, by=planner, now=timezone.now())
    services.step_decide(
        step=permit, by=planner, outcome="approve", reasons="Fits the plan.", now=timezone.now()
    )
    row = page.get_by_role("row", name=re.compile("^Building permit for change of use"))
    expect(row.locator(".govuk-tag")).to_have_text("Approved", timeout=10_000)
    assert page.evaluate("window.stillTheSamePage") is True

    # The food registration unit asks for a floor plan; the citizen answers with a PDF.
    deliver_all()
    food = journey.steps.get(step_type__key="food-registration")
    inspector = make_caseworker(food.unit)
    food = services.step_claim(step=food, by=inspector, now=timezone.now())
    services.information_request_create(
        step=food,
        by=inspector,
        items=["Floor plan of the kitchen"],
        due_date=timezone.localdate() + dt.timedelta(days=10),
        now=timezone.now(),
    )
    page.reload()
    expect(page.locator(".portal-request").get_by_text("Floor plan of the kitchen")).to_be_visible()
    assert_accessible(page, "tracking page with a request")
    plan = tmp_path / "kitchen.pdf"
    plan.write_bytes(PDF)
    page.get_by_label("Your answer", exact=True).fill("The floor plan is attached.")
    page.get_by_label("Upload a document (optional)").set_input_files(plan)
    page.get_by_role("button", name="Send your answer").click()
    expect(page.get_by_text("Your answer has been sent to the unit.")).to_be_visible()
    expect(page.get_by_role("link", name="kitchen.pdf")).to_be_visible()
    deliver_all()
    food.refresh_from_db()
    assert food.status == Step.Status.IN_PROGRESS and food.documents.count() == 1

    # In Swedish, the page is Swedish throughout.
    page.get_by_role("button", name="Svenska").click()
    expect(page.locator("html")).to_have_attribute("lang", "sv")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Ansökan {journey.reference}")
    food_row = page.get_by_role("rowheader", name="Registrera livsmedelsanläggningen", exact=True)
    expect(food_row).to_be_visible()
    expect(page.get_by_role("cell", name="Stadsbyggnadskontoret")).to_be_visible()
    text = page.locator("main").inner_text()
    for english in (
        "Application",
        "Building permit",
        "Approved",
        "Steps",
        "History",
        "Fee",
        "Document",
        "Urban Planning",
    ):
        assert not re.search(rf"\b{english}\b", text), english
    assert_accessible(page, "tracking page in Swedish")


CITIZEN_PAGES = [
    "/",
    "/services/",
    "/services/open-a-cafe/",
    "/accessibility/",
    "/privacy/",
    "/contact/",
    "/accounts/login/",
    "/accounts/signup/",
    "/applications/",
    "/messages/",
    "{draft}applicant/",
    "{draft}organisation/",
    "{draft}questions/company_name/",
    "{draft}questions/serves_alcohol/",
    "{draft}questions/floor_plan/",
    "{draft}check/",
    "{journey}confirmation/",
    "{journey}",
]


@pytest.mark.parametrize("language", ["en", "sv"])
def test_every_citizen_page_passes_axe_in_both_languages(page, cafe, language, assert_accessible):
    citizen = make_user("anna")
    journey = submitted_journey(cafe, citizen)
    draft = services.journey_start(journey_type=cafe, applicant=citizen, now=timezone.now())
    log_in(page, "anna")
    if language == "sv":
        page.get_by_role("button", name="Svenska").click()
    for path in CITIZEN_PAGES:
        url = path.format(
            draft=f"/applications/{draft.public_id}/", journey=f"/applications/{journey.public_id}/"
        )
        page.goto(url)
        expect(page.locator("html")).to_have_attribute("lang", language)
        assert_accessible(page, f"{url} ({language})")
        if "questions/company_name" in url:  # the same page showing an error
            page.get_by_role("button", name="Fortsätt" if language == "sv" else "Continue").click()
            expect(page.locator(".govuk-error-summary")).to_be_visible()
            assert_accessible(page, f"{url} with an error ({language})")
