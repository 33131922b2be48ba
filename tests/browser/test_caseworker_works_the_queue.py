"""A caseworker filters the queue (htmx), takes a case, asks for information and decides."""

import datetime as dt
import re

from django.utils import timezone
from playwright.sync_api import expect

from journeys import services
from journeys.models import Step
from tests.browser.conftest import log_in
from tests.factories import CAFE_ANSWERS, deliver_all, make_caseworker, submitted_journey


def test_a_caseworker_works_a_case_from_the_queue(page, cafe, assert_accessible):
    quiet = {**CAFE_ANSWERS, "outdoor_seating": False, "uses_lpg": False}
    overdue = submitted_journey(cafe, answers=quiet, now=timezone.now() - dt.timedelta(days=80))
    fresh = submitted_journey(cafe, answers=quiet)
    permit = fresh.steps.get(step_type__key="building-permit")
    caseworker = make_caseworker(permit.unit, username="planner")
    make_caseworker(permit.unit, lead=True, username="planning-lead")

    log_in(page, "planner")
    expect(page.get_by_role("heading", name="Unit queue")).to_be_visible()
    assert_accessible(page, "queue")

    # The filters swap only the results (htmx): a marker set on the page survives the click.
    page.evaluate("window.stillTheSamePage = true")
    page.get_by_role("link", name=re.compile(r"^Overdue")).click()
    expect(page).to_have_url(re.compile(r"filter=overdue"))
    expect(page.get_by_role("link", name=overdue.reference)).to_be_visible()
    expect(page.get_by_role("link", name=fresh.reference)).to_have_count(0)
    assert page.evaluate("window.stillTheSamePage") is True
    page.get_by_role("link", name=re.compile(r"^All")).click()
    expect(page.get_by_role("link", name=fresh.reference)).to_be_visible()
    assert_accessible(page, "queue, filtered")

    page.get_by_role("link", name=fresh.reference).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(permit.step_type.name)
    page.get_by_role("button", name="Take this case").click()
    expect(page.get_by_text("This case is now yours.")).to_be_visible()
    assert_accessible(page, "case, taken")

    # Ask for information; a missing date is explained and focused in the error summary.
    page.get_by_label("What the applicant needs to send").fill("Floor plan of the premises")
    page.get_by_role("button", name="Send the request").click()
    expect(page).to_have_title(re.compile("^Error: "))
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("alert")).to_contain_text("There is a problem")
    expect(
        summary.get_by_role("link", name="Enter the date the applicant should answer by")
    ).to_be_visible()
    assert_accessible(page, "case, request with an error")
    due = (timezone.localdate() + dt.timedelta(days=14)).isoformat()
    page.get_by_label("Answer by", exact=True).fill(due)
    page.get_by_role("button", name="Send the request").click()
    expect(page.get_by_text("The request has been sent to the applicant.")).to_be_visible()
    permit.refresh_from_db()
    assert permit.status == Step.Status.WAITING_FOR_APPLICANT

    # The applicant answers; the unit's worker hands the case back.
    services.information_request_answer(
        request=permit.information_requests.get(),
        by=fresh.applicant,
        answer="Floor plan attached.",
        now=timezone.now(),
    )
    deliver_all()
    page.reload()
    expect(page.get_by_text("Floor plan attached.").first).to_be_visible()

    page.get_by_label("Approve").check()
    page.get_by_label("Reasons for the decision").fill("The change of use fits the plan.")
    page.get_by_role("button", name="Record the decision").click()
    expect(page.get_by_text("Decision recorded.")).to_be_visible()
    permit.refresh_from_db()
    assert permit.status == Step.Status.APPROVED and permit.assignee == caseworker
    assert_accessible(page, "case, decided")


def test_the_unit_leads_workload_page_is_accessible(page, cafe, assert_accessible):
    journey = submitted_journey(cafe)
    unit = journey.steps.get(step_type__key="building-permit").unit
    make_caseworker(unit, lead=True, username="planning-lead")
    log_in(page, "planning-lead")
    page.get_by_role("link", name="Workload per caseworker").click()
    expect(page.get_by_role("heading", name="Workload per caseworker")).to_be_visible()
    assert_accessible(page, "workload")
