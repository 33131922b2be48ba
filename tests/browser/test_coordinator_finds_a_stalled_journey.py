"""A coordinator finds a stalled journey, reads where its time went and escalates it."""

import datetime as dt
import re

from django.utils import timezone
from playwright.sync_api import expect

from journeys import services
from journeys.models import JourneyEvent
from tests.browser.conftest import log_in
from tests.factories import CAFE_ANSWERS, make_caseworker, make_coordinator, submitted_journey


def test_a_coordinator_finds_a_stalled_journey_and_escalates_it(page, cafe, assert_accessible):
    quiet = {**CAFE_ANSWERS, "outdoor_seating": False, "uses_lpg": False}
    submitted_journey(cafe, answers=quiet)  # a healthy one
    stalled = submitted_journey(cafe, answers=quiet, now=timezone.now() - dt.timedelta(days=12))
    permit = stalled.steps.get(step_type__key="building-permit")
    make_caseworker(permit.unit, lead=True, username="planning-lead")
    worker = make_caseworker(permit.unit)
    services.step_claim(step=permit, by=worker, now=timezone.now() - dt.timedelta(days=11))
    make_coordinator("coordinator")

    log_in(page, "coordinator")
    expect(page.get_by_role("heading", name="Coordination", level=1)).to_be_visible()
    assert_accessible(page, "dashboard")
    page.evaluate("window.stillTheSamePage = true")
    page.get_by_role("link", name=re.compile(r"^Stalled journeys \(1\)")).click()
    expect(page).to_have_url(re.compile("view=stalled"))
    assert page.evaluate("window.stillTheSamePage") is True
    assert_accessible(page, "dashboard, stalled")

    page.get_by_role("link", name=stalled.reference).click()
    expect(page.get_by_role("heading", name="Where the time went")).to_be_visible()
    expect(page.get_by_role("table").filter(has_text="the chart above as a table")).to_contain_text(
        "In progress"
    )
    assert_accessible(page, "journey page")

    page.get_by_label("Step to escalate").select_option(str(permit.pk))
    page.get_by_role("button", name="Escalate").click()
    expect(page).to_have_title(re.compile("^Error: "))
    assert_accessible(page, "journey page with an error")
    page.get_by_label("Message to the unit lead").fill("Stalled for 11 days: please decide.")
    page.get_by_role("button", name="Escalate").click()
    expect(page.get_by_text("The unit lead has been told.")).to_be_visible()
    expect(page.get_by_text("Stalled for 11 days: please decide.")).to_be_visible()
    event = stalled.events.get(kind=JourneyEvent.Kind.ESCALATED)
    assert event.actor.username == "coordinator" and event.step == permit

    page.get_by_role("link", name="Back to coordination").click()
    page.get_by_role("link", name="Where journey time goes").click()
    expect(page.get_by_role("heading", name="Who carries the journey")).to_be_visible()
    assert_accessible(page, "insight")
