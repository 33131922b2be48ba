"""The tracking page lists the applicant's answers, each with a Change link until a step that
needs it is decided; the change page saves a correction, says why one is refused, and keeps what
was typed when the input is wrong."""

import pytest
from django.urls import reverse

from journeys.models import JourneyEvent
from tests.factories import decide, make_user, submitted_journey
from tests.html import parse
from tests.journey_types import journey_type


@pytest.fixture
def journey(db):
    return submitted_journey(journey_type(parallel=2, chain=1))


def answers_section(client, journey):
    client.force_login(journey.applicant)
    response = client.get(reverse("citizens:application_track", args=[journey.public_id]))
    assert response.status_code == 200
    return parse(response.content).find("section", id="answers")


def change_url(journey, key: str) -> str:
    return reverse("citizens:answer_change", args=[journey.public_id, key])


def test_each_answer_has_a_change_link_until_a_step_that_needs_it_is_decided(client, journey):
    section = answers_section(client, journey)
    links = {a.attrs["href"] for a in section.find_all("a")}
    assert links == {
        change_url(journey, k) for k in ("applicant_name", "contact_email", "site_address")
    }
    decide(journey.steps.get(step_type__key="parallel-1"))
    section = answers_section(client, journey)
    assert {a.attrs["href"] for a in section.find_all("a")} == {change_url(journey, "site_address")}
    assert "Cannot be changed: decided in Parallel step 1" in section.text


def test_a_correction_is_saved_and_the_applicant_told_the_units_know(client, journey):
    client.force_login(journey.applicant)
    response = client.post(
        change_url(journey, "site_address"), {"site_address": "Nygatan 2"}, follow=True
    )
    assert response.redirect_chain[-1][0].endswith("#answers")
    assert "Your answer was changed." in parse(response.content).text
    journey.refresh_from_db()
    assert journey.data["site_address"] == "Nygatan 2"
    assert journey.events.filter(kind=JourneyEvent.Kind.ANSWER_CHANGED).exists()


def test_a_wrong_answer_is_an_error_in_the_field_and_what_was_typed_stays(client, journey):
    client.force_login(journey.applicant)
    response = client.post(
        change_url(journey, "contact_email"), {"contact_email": "not an address"}
    )
    assert response.status_code == 400
    page = parse(response.content)
    assert (
        "Enter an e-mail address in the correct format"
        in page.find("div", "govuk-error-summary").text
    )
    assert page.control_labelled("Contact e-mail address").attrs["value"] == "not an address"
    journey.refresh_from_db()
    assert journey.data["contact_email"] == "ada@example.org"


def test_in_swedish_the_refusal_says_which_decided_step_fixes_the_answer(client, journey):
    client.force_login(journey.applicant)
    page = client.get(change_url(journey, "contact_email"))
    assert parse(page.content).find("input", name="contact_email")
    decide(journey.steps.get(step_type__key="parallel-1"))  # decided while the page was open
    response = client.post(
        change_url(journey, "contact_email"),
        {"contact_email": "ny@example.org"},
        HTTP_ACCEPT_LANGUAGE="sv",
    )
    assert response.status_code == 409
    page = parse(response.content)
    assert "Parallellt steg 1" in page.find("div", "govuk-error-summary").text
    assert page.find("input", name="contact_email").attrs["value"] == "ny@example.org"
    journey.refresh_from_db()
    assert journey.data["contact_email"] == "ada@example.org"


def test_someone_else_cannot_see_or_change_the_answers(client, journey):
    client.force_login(make_user())
    url = change_url(journey, "site_address")
    assert client.get(url).status_code == 404
    assert client.post(url, {"site_address": "Elsewhere"}).status_code == 404


def test_an_unknown_question_is_not_found(client, journey):
    client.force_login(journey.applicant)
    assert client.get(change_url(journey, "no-such-question")).status_code == 404
