"""The applicant follows a journey with parallel branches: every step's expected date, the
whole application's, why a date moved, and the one person to call, in English and Swedish."""

import datetime as dt
import re

from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.factories import decide, deliver_all, make_caseworker, make_user, submitted_journey
from tests.journey_types import journey_type, unit_for
from units.models import StaffProfile


def row(page, table: str, step: str):
    """The table's row whose header starts with the step's name."""
    header = page.get_by_role("rowheader", name=re.compile(f"^{step}"))
    return page.get_by_role("table", name=table).locator("tr").filter(has=header)


def test_the_applicant_sees_expected_dates_why_they_moved_and_whom_to_call(
    page, db, assert_accessible
):
    trail = journey_type(
        parallel=2, chain=1, join=True, deadline_days=10, owner=unit_for("chain-1")
    )
    lead = make_caseworker(trail.owner_unit, lead=True)
    lead.first_name, lead.last_name = "Lena", "Lind"
    lead.save()
    StaffProfile.objects.create(user=lead, phone="08-123 456 78")
    then = timezone.now() - dt.timedelta(days=2)
    journey = submitted_journey(trail, make_user("ada"), now=then)
    decide(journey.steps.get(step_type__key="parallel-1"), now=then + dt.timedelta(days=1))
    deliver_all(then + dt.timedelta(days=1))

    log_in(page, "ada")
    page.goto(f"/applications/{journey.public_id}/")
    contact = page.get_by_test_id("journey-contact")
    expect(contact.get_by_role("heading")).to_have_text("Your contact for the whole application")
    for text in ("Lena Lind", trail.owner_unit.name, lead.email, "08-123 456 78"):
        expect(contact).to_contain_text(text)
    expect(contact.get_by_role("link", name=lead.email)).to_have_attribute(
        "href", f"mailto:{lead.email}"
    )
    expect(page.get_by_test_id("journey-expected")).to_contain_text(
        "Whole application expected to be decided by"
    )
    for name in ("Parallel step 2", "Chained step 1", "Joining step"):
        expect(row(page, "Steps", name)).to_contain_text("Expected by")
    expect(row(page, "Steps", "Joining step")).to_contain_text(
        "Earlier than first expected because “Parallel step 1” was decided early."
    )
    assert_accessible(page)

    page.get_by_role("button", name="Svenska").click()
    expect(page.get_by_test_id("journey-contact").get_by_role("heading")).to_have_text(
        "Din kontaktperson för hela ansökan"
    )
    expect(row(page, "Steg", "Sammanförande steg")).to_contain_text(
        "Tidigare än först väntat eftersom ”Parallellt steg 1” fick beslut tidigt."
    )
    assert_accessible(page, "the tracking page in Swedish")
