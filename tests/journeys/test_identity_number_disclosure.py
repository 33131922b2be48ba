"""The applicant's personal identity number (from their e-ID) is disclosed like a field: whole
to the unit whose step needs it (the serving licence's suitability check), masked to its holder,
to nobody else (journeys/disclosure.py)."""

import pytest
from django.urls import reverse

from journeys.definitions import APPLICANT_IDENTITY_NUMBER
from tests.factories import (
    decide,
    deliver_all,
    make_caseworker,
    make_coordinator,
    make_person,
    submitted_journey,
)
from tests.html import parse

pytestmark = pytest.mark.django_db
NUMBER = "19900101-2385"


@pytest.fixture
def reached(cafe):
    """Anna's café journey, decided up to the serving licence (which needs her number)."""
    anna = make_person(NUMBER, "Anna", "Andersson")
    journey = submitted_journey(cafe, anna)
    steps = {s.step_type.key: s for s in journey.steps.select_related("step_type", "unit")}
    decide(steps["building-permit"])
    deliver_all()
    decide(journey.steps.get(step_type__key="food-registration"))
    deliver_all()
    return anna, journey, {s.step_type.key: s for s in journey.steps.select_related("step_type")}


def test_the_catalogue_names_the_one_step_that_needs_the_number(cafe):
    needing = [s.key for s in cafe.steps.all() if APPLICANT_IDENTITY_NUMBER in s.needs]
    assert needing == ["serving-licence"]


def test_the_unit_whose_step_needs_it_sees_it_whole(client, reached):
    _anna, _journey, steps = reached
    licence = steps["serving-licence"]
    client.force_login(make_caseworker(licence.unit))
    page = parse(client.get(reverse("casework:case", args=[licence.pk])).content)
    details = page.find("section", id="applicant-details").text
    assert "Applicant's personal identity number" in details and NUMBER in details


@pytest.mark.parametrize("key", ["company-registration", "building-permit", "outdoor-seating"])
def test_other_units_do_not_see_it(client, reached, key):
    _anna, _journey, steps = reached
    client.force_login(make_caseworker(steps[key].unit))
    page = client.get(reverse("casework:case", args=[steps[key].pk])).content.decode()
    assert NUMBER[:8] not in page


def test_coordinators_do_not_see_it(client, reached):
    _anna, journey, _steps = reached
    client.force_login(make_coordinator())
    page = client.get(reverse("coordination:journey", args=[journey.public_id])).content.decode()
    assert NUMBER[:8] not in page


def test_its_holder_sees_it_masked(client, reached):
    anna, _journey, _steps = reached
    client.force_login(anna)
    page = client.get(reverse("citizens:applications")).content.decode()
    assert "19900101-****" in page and NUMBER not in page
