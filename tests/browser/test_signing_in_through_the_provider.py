"""Signing in as people really do, through the real OpenID provider (oidc-provider): a citizen
with e-ID whose journeys follow them from one sign-in to the next, representatives of an
organisation, a stranger who gets 404, and a caseworker whose unit comes from their SSO groups."""

import re

import pytest
from playwright.sync_api import expect

from journeys.models import Journey
from organisations.register import STAND_IN, StandInRegister
from tests.browser.conftest import browser_page, sign_in_through_provider, sign_out_everywhere

ANSWERS = [
    ("Company name", "Kaffekoppen AB"),
    ("Organisation number", "556016-0680"),
    ("Contact person", "Anna Andersson"),
    ("Contact e-mail address", "anna@example.org"),
    ("Contact phone number", "070-123 45 67"),
    ("Address of the premises", "Storgatan 1, Stockholm"),
    ("Postcode of the premises (optional)", "114 55"),
    ("Planned opening date", "2027-03-15"),
]
CHOICES = [
    ("Will you serve alcohol?", "Yes"),
    ("Do you want outdoor seating on public land?", "No"),
    ("Will you use bottled gas (LPG)?", "No"),
]
# Optional documents, each on its own page: passed by, to be sent when a unit asks.
FILES = ["Floor plan of the premises (optional)", "Menu (optional)"]


@pytest.fixture
def register(settings, monkeypatch):
    """The stand-in companies register: Anna may sign for Kaffekoppen AB, nobody else."""
    settings.SIGNATORY_REGISTER = STAND_IN
    monkeypatch.setattr(
        StandInRegister, "COMPANIES", {"556016-0680": ("Kaffekoppen AB", {"19900101-2385"})}
    )


def answer(page, answers=ANSWERS, choices=CHOICES) -> None:
    """Answer the question pages one after the other, from the one shown."""
    for label, value in answers:
        field = page.get_by_label(label, exact=True)
        if field.input_value() != value:
            field.fill(value)
        page.get_by_role("button", name="Continue").click()
    for question, choice in choices:
        page.get_by_role("group", name=question).get_by_label(choice, exact=True).check()
        page.get_by_role("button", name="Continue").click()
    for question in FILES:
        expect(page.get_by_role("heading", level=1)).to_have_text(question)
        page.get_by_role("button", name="Continue").click()


def test_a_citizen_signs_in_applies_signs_out_and_finds_the_same_journeys(
    page, cafe, identity, assert_accessible
):
    page.goto("/accounts/login/")
    expect(page.get_by_role("button", name="Sign in with e-ID")).to_be_visible()
    expect(page.get_by_role("link", name="Create an account")).to_have_count(0)
    assert_accessible(page)
    sign_in_through_provider(page, "Anna Andersson")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your applications")
    signed_in = page.get_by_text("Signed in with e-ID as Anna Andersson, 19900101-****.")
    expect(signed_in).to_be_visible()
    assert_accessible(page)

    page.goto("/services/open-a-cafe/")
    page.get_by_role("button", name="Start now").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Who is the application for?")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".govuk-error-summary")).to_be_focused()
    assert_accessible(page)
    page.get_by_label("Myself, as a private person").check()
    page.get_by_role("button", name="Continue").click()
    answer(page)
    expect(page.get_by_text("Anna Andersson, 19900101-****")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Accept and send application").click()
    reference = Journey.objects.get(applicant__person__isnull=False).reference
    expect(page.get_by_text(reference).first).to_be_visible()

    sign_out_everywhere(page)  # back on the home page, signed out
    menu = page.get_by_role("navigation", name="Main menu")
    expect(menu.get_by_role("link", name="Sign in")).to_be_visible()
    # A new sign-in asks the provider again (its session ended with the portal's) and reaches
    # the same account, by the personal identity number.
    sign_in_through_provider(page, "Anna Andersson")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your applications")
    expect(page.get_by_role("cell", name=reference)).to_be_visible()


def test_representatives_of_an_organisation_continue_its_journey_a_stranger_gets_404(
    browser, live_server, cafe, identity, register, assert_accessible
):
    with browser_page(browser, live_server, locale="en-GB") as anna:
        sign_in_through_provider(anna, "Anna Andersson")
        anna.goto("/services/open-a-cafe/")
        anna.get_by_role("button", name="Start now").click()
        anna.get_by_label("An organisation, such as a company or an association").check()
        anna.get_by_role("button", name="Continue").click()
        expect(anna.get_by_role("heading", level=1)).to_have_text(
            "Which organisation are you applying for?"
        )
        anna.get_by_label("Organisation number").fill("556016-0681")
        anna.get_by_label("Name of the organisation").fill("Kaffekoppen")
        anna.get_by_role("button", name="Continue").click()
        expect(anna).to_have_title(re.compile(r"^Error: "))
        assert_accessible(anna)
        anna.get_by_label("Organisation number").fill("556016-0680")
        anna.get_by_role("button", name="Continue").click()
        recorded = anna.get_by_text("You are recorded as a representative of Kaffekoppen AB.")
        expect(recorded).to_be_visible()
        anna.get_by_label("Company name").fill("Kaffekoppen AB")
        anna.get_by_role("button", name="Continue").click()
        # The organisation number was given once: its question is answered already.
        expect(anna.get_by_label("Organisation number")).to_have_value("556016-0680")

        anna.goto("/applications/")
        anna.get_by_role("link", name="Kaffekoppen AB").click()
        expect(anna.get_by_role("heading", level=1)).to_have_text("Kaffekoppen AB")
        anna.get_by_role("button", name="Record their right to represent").click()
        expect(anna.locator(".govuk-error-summary")).to_be_focused()
        assert_accessible(anna)
        anna.get_by_label("Their personal identity number").fill("19850615-2381")
        anna.get_by_label("Their name").fill("Bertil Berg")
        anna.get_by_role("button", name="Record their right to represent").click()
        expect(anna.get_by_text("Bertil Berg may now see and continue")).to_be_visible()
        expect(anna.get_by_text("Invited by a representative")).to_be_visible()
        assert_accessible(anna)
        organisation_page = anna.url
    draft = Journey.objects.get()
    assert draft.organisation.name == "Kaffekoppen AB" and draft.applicant.get_full_name() == (
        "Anna Andersson"
    )

    with browser_page(browser, live_server, locale="en-GB") as bertil:
        sign_in_through_provider(bertil, "Bertil Berg")
        row = bertil.get_by_role("row").filter(has_text="Kaffekoppen AB")
        row.get_by_role("link", name="Open a café").click()
        # The draft resumes at the first question nobody has answered yet.
        expect(bertil.get_by_role("heading", level=1)).to_have_text("Contact person")
        answer(bertil, answers=ANSWERS[2:])
        expect(bertil.get_by_role("heading", level=1)).to_have_text(
            "Check your answers before you apply"
        )
        expect(bertil.get_by_text("Kaffekoppen AB (556016-0680)")).to_be_visible()
        bertil.get_by_role("button", name="Accept and send application").click()
        draft.refresh_from_db()
        assert draft.status == Journey.Status.SUBMITTED and draft.applicant.username != "bertil"
        expect(bertil.get_by_text(draft.reference).first).to_be_visible()

    with browser_page(browser, live_server, locale="en-GB") as cecilia:
        sign_in_through_provider(cecilia, "Cecilia Carlsson")
        expect(cecilia.get_by_text("You have no applications yet.")).to_be_visible()
        public_id = draft.public_id
        for path in (
            f"/applications/{public_id}/",
            f"/applications/{public_id}/confirmation/",
            f"/applications/{public_id}/continue/",
            f"/applications/{public_id}/applicant/",
            f"/applications/{public_id}/organisation/",
            organisation_page.removeprefix(live_server.url),
        ):
            assert cecilia.goto(path).status == 404, path


def test_a_caseworker_signs_in_through_sso_and_loses_access_with_the_group(
    page, cafe, identity, assert_accessible
):
    page.goto("/accounts/login/")
    expect(page.get_by_role("button", name="Staff sign-in (SSO)")).to_be_visible()
    sign_in_through_provider(page, "Kim Karlsson (staff)", staff=True)
    expect(page).to_have_url(re.compile(r"/work/$"))
    expect(page).to_have_title(re.compile(r"^Queue – Urban Planning"))
    expect(page.get_by_role("button", name="Sign out (Kim Karlsson)")).to_be_visible()
    sign_out_everywhere(page)

    identity.set_account("kim", groups=[])  # the provider's administrator removes the group
    sign_in_through_provider(page, "Kim Karlsson (staff)", staff=True)
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Your account has no role in the portal"
    )
    expect(page.get_by_text("You are not signed in")).to_be_visible()
    assert_accessible(page)
    page.goto("/work/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
