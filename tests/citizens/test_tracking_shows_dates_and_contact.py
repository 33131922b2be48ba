"""The tracking page says when each step and the whole application is expected, why a date
moved since submission, and who the one person to call is (on the confirmation page too)."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from journeys import services
from journeys.graph import step_dependencies
from journeys.projections import journey_project
from tests.factories import decide, deliver_all, make_caseworker, submitted_journey
from tests.html import parse
from tests.journey_types import journey_type, unit_for
from units.models import StaffProfile


@pytest.fixture
def trail(db):
    return journey_type(parallel=2, chain=1, join=True, deadline_days=10, owner=unit_for("chain-1"))


@pytest.fixture
def lead(trail):
    user = make_caseworker(trail.owner_unit, lead=True)
    user.first_name, user.last_name = "Lena", "Lind"
    user.save()
    StaffProfile.objects.create(user=user, phone="08-123 456 78")
    return user


def _track(client, journey):
    client.force_login(journey.applicant)
    response = client.get(reverse("citizens:application_track", args=[journey.public_id]))
    assert response.status_code == 200
    return parse(response.content)


def test_every_step_and_the_application_have_an_expected_date(client, trail, lead):
    journey = submitted_journey(trail)
    page = _track(client, journey)
    rows = {cells[0].split(" Starts when")[0]: cells for cells in page.find("table").rows()}
    for name in ("Parallel step 1", "Parallel step 2", "Chained step 1", "Joining step"):
        assert "Expected by" in rows[name][3], name
    assert "Expected to start" in rows["Joining step"][3]
    steps = list(journey.steps.select_related("step_type", "unit"))
    completion = journey_project(
        steps, step_dependencies(journey.journey_type_id), now=timezone.now()
    ).completion
    expected = page.find(**{"data-testid": "journey-expected"})
    assert (
        expected.find("time")
        .attrs["datetime"]
        .startswith(timezone.localtime(completion).date().isoformat())
    )


def test_a_date_pulled_in_by_an_early_decision_says_so(client, trail, lead):
    then = timezone.now() - dt.timedelta(days=2)
    journey = submitted_journey(trail, now=then)
    decide(journey.steps.get(step_type__key="parallel-1"), now=then + dt.timedelta(days=1))
    deliver_all(then + dt.timedelta(days=1))
    text = _track(client, journey).text
    assert "Earlier than first expected because “Parallel step 1” was decided early." in text


def test_a_date_pushed_out_by_an_information_request_says_so(client, trail, lead):
    then = timezone.now() - dt.timedelta(days=15)
    day_one = then + dt.timedelta(days=1)
    journey = submitted_journey(trail, now=then)
    decide(journey.steps.get(step_type__key="parallel-1"), now=day_one)
    deliver_all(day_one)
    step = journey.steps.get(step_type__key="chain-1")
    caseworker = make_caseworker(step.unit)
    step = services.step_claim(step=step, by=caseworker, now=day_one)
    services.information_request_create(
        step=step, by=caseworker, items=["A plan"], due_date=timezone.localdate(), now=day_one
    )
    # Paused 14 days: due on day 25 instead of day 11, five days after submission foresaw.
    text = _track(client, journey).text
    assert (
        "Later than first expected because of an information request in “Chained step 1”." in text
    )


def test_the_named_contact_is_on_the_tracking_and_confirmation_pages(client, trail, lead):
    journey = submitted_journey(trail)
    client.force_login(journey.applicant)
    for name in ("citizens:application_track", "citizens:application_confirmation"):
        page = parse(client.get(reverse(name, args=[journey.public_id])).content)
        card = page.find(**{"data-testid": "journey-contact"}).text
        for text in ("Lena Lind", trail.owner_unit.display_name, lead.email, "08-123 456 78"):
            assert text in card, (name, text)
