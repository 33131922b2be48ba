"""Nothing silent: every status the applicant sees on the tracking page that is more than plain
progress says why, in their language (paused, cancelled, back to waiting, sent back, reopened,
transferred, moved to another unit, withdrawn), and each step shows the days it waited for the
applicant's answers beside the days its unit has had it."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from journeys import selectors, services
from tests.factories import (
    CAFE_ANSWERS,
    decide,
    deliver_all,
    make_caseworker,
    submitted_journey,
)
from tests.html import parse
from tests.journey_types import journey_type, make_test_units


@pytest.fixture
def trail(db):
    """parallel-1 -> chain-1, and parallel-2."""
    return journey_type(parallel=2, chain=1, deadline_days=30)


def track(client, journey, language: str = "en"):
    client.force_login(journey.applicant)
    response = client.get(
        reverse("citizens:application_track", args=[journey.public_id]),
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert response.status_code == 200
    return parse(response.content)


def status_cells(page) -> dict[str, str]:
    """Step name -> the text of its status cell."""
    table = page.find("table")
    return {
        cells[0].split(" Starts when")[0].split(" Startar när")[0]: cells[2]
        for cells in table.rows()
    }


def reasons(page) -> dict[str, str]:
    """Step name -> the reason shown under its status ('' if none)."""
    found = {}
    for row in page.find("table").find_all("tr")[1:]:
        name = row.find("th").text.split(" Starts when")[0].split(" Startar när")[0]
        reason = row.find_all(**{"data-testid": "status-reason"})
        found[name] = reason[0].text if reason else ""
    return found


def approved_parallel_1(journey):
    permit = journey.steps.get(step_type__key="parallel-1")
    decider = make_caseworker(permit.unit)
    decide(permit, by=decider)
    deliver_all()
    return journey.steps.get(pk=permit.pk), decider


def test_plain_progress_needs_no_reason(client, trail):
    journey = submitted_journey(trail)
    assert set(reasons(track(client, journey)).values()) == {""}
    assert not track(client, journey).find_all(**{"data-testid": "journey-status-reason"})


def test_a_paused_step_and_one_its_request_pauses_too_say_why(client, trail):
    journey = submitted_journey(trail)
    asking = journey.steps.get(step_type__key="parallel-1")
    worker = make_caseworker(asking.unit)
    services.step_claim(step=asking, by=worker, now=timezone.now())
    services.information_request_create(
        step=asking,
        by=worker,
        items=["Site plan"],
        due_date=timezone.localdate() + dt.timedelta(days=14),
        now=timezone.now(),
        blocks=[journey.steps.get(step_type__key="parallel-2")],
    )
    page = track(client, journey)
    assert reasons(page) == {
        "Parallel step 1": "Paused until you answer the unit's request for information. "
        "Its deadline stands still until then.",
        "Parallel step 2": "Paused until you answer the request for information in "
        "“Parallel step 1”. Its deadline stands still until then.",
        "Chained step 1": "",
    }
    assert (
        page.find(**{"data-testid": "journey-status-reason"}).text
        == "A unit is waiting for your answer to a request for information."
    )


def test_a_reopened_decision_and_the_step_it_sends_back_to_waiting_say_why(client, trail):
    journey = submitted_journey(trail)
    permit, decider = approved_parallel_1(journey)
    assert journey.steps.get(step_type__key="chain-1").status == "queued"
    services.step_reopen(
        step=permit, by=decider, reason="The fire inspection found a fault.", now=timezone.now()
    )
    deliver_all()
    found = reasons(track(client, journey))
    assert found["Parallel step 1"] == (
        "The unit reopened its decision. Reason: The fire inspection found a fault."
    )
    assert found["Chained step 1"] == (
        "Waiting again because “Parallel step 1” was reopened, to be decided again. "
        "Reason: The fire inspection found a fault."
    )
    # Decided again: the later step is handed on, and neither needs the explanation any more.
    decide(journey.steps.get(pk=permit.pk), by=decider)
    deliver_all()
    found = reasons(track(client, journey))
    assert found["Parallel step 1"] == "" and found["Chained step 1"] == ""


def test_a_step_sent_back_and_the_step_that_sent_it_say_why(client, trail):
    journey = submitted_journey(trail)
    permit, _ = approved_parallel_1(journey)
    later = journey.steps.get(step_type__key="chain-1")
    worker = make_caseworker(later.unit)
    later = services.step_claim(step=later, by=worker, now=timezone.now())
    services.step_send_back(
        step=later,
        to=permit,
        by=worker,
        reason="The permit must cover the terrace.",
        now=timezone.now(),
    )
    found = reasons(track(client, journey))
    assert found["Parallel step 1"] == (
        "Back with the unit: a later step sent the case back here to be looked at again. "
        "Reason: The permit must cover the terrace."
    )
    assert found["Chained step 1"] == (
        "Waiting again: the case was sent back to “Parallel step 1”, to be decided again first. "
        "Reason: The permit must cover the terrace."
    )


def test_a_transferred_step_names_the_unit_that_has_it_now_and_why(client, trail):
    journey = submitted_journey(trail)
    step = journey.steps.get(step_type__key="parallel-2")
    elsewhere = make_test_units("office-elsewhere")["office-elsewhere"]
    worker = make_caseworker(step.unit)
    services.step_transfer(
        step=step,
        to=elsewhere,
        by=worker,
        reason="Our district does not cover this address.",
        now=timezone.now(),
    )
    deliver_all()
    assert reasons(track(client, journey))["Parallel step 2"] == (
        "Transferred to Office elsewhere, the unit that handles it now. "
        "Reason: Our district does not cover this address."
    )
    assert reasons(track(client, journey, "sv"))["Parallellt steg 2"] == (
        "Överlämnat till Enhet office elsewhere, som handlägger det nu. "
        "Skäl: Our district does not cover this address."
    )


def test_a_step_moved_to_another_unit_by_a_changed_answer_says_so(client, cafe):
    journey = submitted_journey(cafe, answers={**CAFE_ANSWERS, "premises_postcode": "164 40"})
    services.journey_amend(
        journey=journey,
        by=journey.applicant,
        answers={"premises_postcode": "114 55"},
        now=timezone.now(),
    )
    food = journey.steps.select_related("unit", "step_type").get(step_type__key="food-registration")
    assert food.unit.slug == "environment-health-north"
    page = track(client, journey)
    assert reasons(page)[food.step_type.display_name] == (
        f"Handled by {food.unit.display_name} because of an answer you changed."
    )


def test_steps_cancelled_by_a_rejection_name_it_in_english_and_swedish(client, trail):
    journey = submitted_journey(trail)
    decide(journey.steps.get(step_type__key="parallel-2"), "reject")
    deliver_all()
    page = track(client, journey)
    assert reasons(page) == {
        "Parallel step 1": "Cancelled because “Parallel step 2” was rejected.",
        "Parallel step 2": "",  # its decision says why
        "Chained step 1": "Cancelled because “Parallel step 2” was rejected.",
    }
    assert page.find(**{"data-testid": "journey-status-reason"}).text == (
        "Closed because “Parallel step 2” was rejected. Its decision says why and how to appeal."
    )
    swedish = track(client, journey, "sv")
    assert reasons(swedish)["Kedjat steg 1"] == (
        "Avbrutet eftersom ”Parallellt steg 2” har fått avslag."
    )


def test_a_withdrawn_application_says_when_and_why_and_each_cancelled_step_why(client, trail):
    journey = submitted_journey(trail)
    decide(journey.steps.get(step_type__key="parallel-2"))
    services.journey_withdraw(
        journey=journey, by=journey.applicant, reason="We found other premises.", now=timezone.now()
    )
    deliver_all()
    page = track(client, journey)
    assert reasons(page) == {
        "Parallel step 1": "Cancelled because the application was withdrawn.",
        "Parallel step 2": "",
        "Chained step 1": "Cancelled because the application was withdrawn.",
    }
    status = page.find(**{"data-testid": "journey-status-reason"}).text
    assert status.startswith("The application was withdrawn on ")
    assert status.endswith(
        "Every step not yet decided was cancelled. Reason: We found other premises."
    )
    swedish = track(client, journey, "sv")
    assert reasons(swedish)["Parallellt steg 1"] == "Avbrutet eftersom ansökan har återkallats."
    assert swedish.find(**{"data-testid": "journey-status-reason"}).text.startswith(
        "Ansökan återkallades den "
    )


def test_the_reasons_cost_no_query(trail, django_assert_num_queries):
    journey = submitted_journey(trail)
    permit, decider = approved_parallel_1(journey)
    services.step_reopen(step=permit, by=decider, reason="A fault.", now=timezone.now())
    deliver_all()
    plan = selectors.journey_plan(journey, now=timezone.now())
    events = selectors.journey_timeline(journey, for_applicant=True)
    with django_assert_num_queries(0):
        rows = selectors.with_status_reasons(plan.rows, journey=journey, events=events)
        selectors.journey_status_reason(journey, steps=[row.step for row in rows], events=events)
    assert all(row.status_reason for row in rows if row.step.step_type.key != "parallel-2")


def test_the_applicants_waiting_days_show_beside_the_units(client, trail):
    start = timezone.now() - dt.timedelta(days=20)
    journey = submitted_journey(trail, now=start)
    step = journey.steps.get(step_type__key="parallel-1")
    worker = make_caseworker(step.unit)
    services.step_claim(step=step, by=worker, now=start)
    request = services.information_request_create(
        step=step,
        by=worker,
        items=["Site plan"],
        due_date=timezone.localdate(),
        now=start + dt.timedelta(days=4),
        blocks=[],
    )
    # Waiting for the applicant for 16 days so far; with the unit for the 4 days before.
    cell = status_cells(track(client, journey))["Parallel step 1"]
    assert "With the unit for 4 days" in cell and "Waiting for your answers: 16 days" in cell
    assert "Waiting for your answers" not in status_cells(track(client, journey))["Parallel step 2"]

    services.information_request_answer(
        request=request,
        by=journey.applicant,
        answer="Here.",
        now=start + dt.timedelta(days=10),
    )
    deliver_all(start + dt.timedelta(days=10))
    decide(journey.steps.get(pk=step.pk), by=worker, now=start + dt.timedelta(days=12))
    cell = status_cells(track(client, journey))["Parallel step 1"]
    # 12 days in all, of which the applicant's 6: the unit took 6.
    assert "The unit took 6 days" in cell and "Waiting for your answers: 6 days" in cell
    swedish = status_cells(track(client, journey, "sv"))["Parallellt steg 1"]
    assert "Enheten behövde 6 dagar" in swedish and "Väntan på dina svar: 6 dagar" in swedish


def test_the_unit_reads_the_applicants_waiting_days_in_its_own_words(client, trail):
    start = timezone.now() - dt.timedelta(days=9)
    journey = submitted_journey(trail, now=start)
    step = journey.steps.get(step_type__key="parallel-1")
    worker = make_caseworker(step.unit)
    services.step_claim(step=step, by=worker, now=start)
    services.information_request_create(
        step=step,
        by=worker,
        items=["Site plan"],
        due_date=timezone.localdate(),
        now=start + dt.timedelta(days=2),
        blocks=[],
    )
    client.force_login(worker)
    page = parse(client.get(reverse("casework:case", args=[step.pk])).content)
    steps = next(t for t in page.find_all("table") if "Handled by" in t.text)
    assert "Waiting for the applicant: 7 days" in steps.text
