"""A caseworker works the unit queue: open a case, claim it, decide with reasons."""

import pytest
from django.urls import reverse

from journeys.models import Journey, Step
from tests.factories import make_caseworker, submitted_journey


@pytest.fixture
def step(cafe):
    return submitted_journey(cafe).steps.get(step_type__key="building-permit")


@pytest.fixture
def caseworker(client, step):
    user = make_caseworker(step.unit)
    client.force_login(user)
    return user


def test_the_queue_lists_the_units_cases_earliest_due_first(client, cafe, caseworker, step):
    later = submitted_journey(cafe)
    html = client.get(reverse("casework:queue")).content.decode()
    assert html.index(step.journey.reference) < html.index(later.reference)


def test_the_case_page_shows_the_whole_journey_read_only_and_offers_to_take_the_case(
    client, caseworker, step
):
    html = client.get(reverse("casework:case", args=[step.pk])).content.decode()
    assert "Register the company, F-tax and VAT" in html  # another unit's step, shown
    assert "Kaffekoppen AB" in html  # the applicant's data
    assert "Take this case" in html
    assert "Record the decision" not in html


def test_claiming_then_deciding_records_the_decision_with_reasons(client, caseworker, step):
    client.post(reverse("casework:claim", args=[step.pk]))
    step.refresh_from_db()
    assert step.status == Step.Status.IN_PROGRESS and step.assignee == caseworker
    assert (
        "Record the decision"
        in client.get(reverse("casework:case", args=[step.pk])).content.decode()
    )
    response = client.post(
        reverse("casework:decide", args=[step.pk]),
        {"outcome": "reject", "reasons": "Not allowed by the plan.", "version": step.version},
    )
    assert response.status_code == 302
    step.refresh_from_db()
    assert step.status == Step.Status.REJECTED and step.reasons == "Not allowed by the plan."
    assert step.journey.status == Journey.Status.REJECTED
    assert "Not allowed by the plan." in client.get(response.url).content.decode()


def test_a_decision_without_reasons_is_refused_with_a_clear_message(client, caseworker, step):
    client.post(reverse("casework:claim", args=[step.pk]))
    step.refresh_from_db()
    response = client.post(
        reverse("casework:decide", args=[step.pk]), {"outcome": "approve", "version": step.version}
    )
    html = response.content.decode()
    assert response.status_code == 422
    assert "Enter the reasons for the decision" in html and "There is a problem" in html
    step.refresh_from_db()
    assert step.status == Step.Status.IN_PROGRESS


def test_a_case_someone_else_took_cannot_be_taken_or_decided(client, caseworker, step):
    colleague = make_caseworker(step.unit)
    client.force_login(colleague)
    client.post(reverse("casework:claim", args=[step.pk]))
    client.force_login(caseworker)
    response = client.post(reverse("casework:claim", args=[step.pk]), follow=True)
    assert "Someone else has already taken this case." in response.content.decode()
    step.refresh_from_db()
    response = client.post(
        reverse("casework:decide", args=[step.pk]),
        {"outcome": "approve", "reasons": "Fine.", "version": step.version},
    )
    assert response.status_code == 409
    assert "only they can decide it" in response.content.decode()
    step.refresh_from_db()
    assert step.assignee == colleague and step.status == Step.Status.IN_PROGRESS


def test_a_decision_on_a_form_loaded_before_a_change_is_refused(client, caseworker, step):
    client.post(reverse("casework:claim", args=[step.pk]))
    step.refresh_from_db()
    first = client.post(
        reverse("casework:decide", args=[step.pk]),
        {"outcome": "approve", "reasons": "First.", "version": step.version},
    )
    assert first.status_code == 302
    second = client.post(
        reverse("casework:decide", args=[step.pk]),
        {"outcome": "reject", "reasons": "Second.", "version": step.version},
    )
    assert second.status_code == 409
    assert "The case changed after you opened it" in second.content.decode()
    step.refresh_from_db()
    assert step.status == Step.Status.APPROVED and step.reasons == "First."
