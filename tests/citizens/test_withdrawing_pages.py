"""The applicant withdraws an application from its tracking page, through an "are you sure"
page; a closed application says, in the applicant's language, why it cannot be withdrawn."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from journeys import services
from journeys.models import Journey, JourneyEvent
from tests.factories import decide, deliver_all, make_caseworker, make_user, submitted_journey
from tests.html import parse
from tests.journey_types import journey_type


@pytest.fixture
def journey(db):
    journey = submitted_journey(journey_type(parallel=2, chain=1))
    decide(journey.steps.get(step_type__key="parallel-2"))
    return journey


def withdraw_url(journey) -> str:
    return reverse("citizens:application_withdraw", args=[journey.public_id])


def track_url(journey) -> str:
    return reverse("citizens:application_track", args=[journey.public_id])


def test_the_tracking_page_offers_withdrawal_while_the_application_is_open(client, journey):
    client.force_login(journey.applicant)
    page = parse(client.get(track_url(journey)).content)
    section = page.find("section", **{"aria-labelledby": "withdraw-heading"})
    assert section.find("a").attrs["href"] == withdraw_url(journey)
    services.journey_withdraw(journey=journey, by=journey.applicant, reason="", now=timezone.now())
    page = parse(client.get(track_url(journey)).content)
    assert not page.find_all("section", **{"aria-labelledby": "withdraw-heading"})


def test_the_confirmation_page_warns_what_happens_and_asks_for_an_optional_reason(client, journey):
    client.force_login(journey.applicant)
    response = client.get(withdraw_url(journey))
    assert response.status_code == 200
    page = parse(response.content)
    assert page.find("h1").text == "Are you sure you want to withdraw your application?"
    assert "Decisions already made still stand" in page.find(css_class="govuk-warning-text").text
    lists = [ul.text for ul in page.find("main").find_all("ul", "govuk-list--bullet")]
    assert "Parallel step 1" in lists[0] and "Chained step 1" in lists[0]  # to be cancelled
    assert lists[1] == "Parallel step 2: approved"  # stands
    form = page.find("main").find("form")
    assert form.find("input", name="csrfmiddlewaretoken")
    assert form.control_labelled("Why are you withdrawing your application? (optional)").tag == (
        "textarea"
    )
    button = form.find("button")
    assert button.text == "Withdraw application" and "govuk-button--warning" in button.classes
    assert form.find("a").attrs["href"] == track_url(journey)  # cancel: back, nothing done
    journey.refresh_from_db()
    assert journey.status == Journey.Status.IN_PROGRESS


def test_withdrawing_returns_to_the_application_with_its_status_and_reason(client, journey):
    client.force_login(journey.applicant)
    response = client.post(
        withdraw_url(journey), {"reason": "We found other premises."}, follow=True
    )
    assert response.redirect_chain == [(track_url(journey), 302)]
    page = parse(response.content)
    assert (
        "Your application has been withdrawn."
        in page.find(css_class="govuk-notification-banner").text
    )
    assert "Status: Withdrawn" in page.find("div", id="progress").text
    assert (
        "Reason: We found other premises."
        in page.find(**{"data-testid": "journey-status-reason"}).text
    )
    journey.refresh_from_db()
    assert journey.status == Journey.Status.WITHDRAWN
    event = journey.events.get(kind=JourneyEvent.Kind.WITHDRAWN)
    assert (event.message, event.actor) == ("We found other premises.", journey.applicant)


def test_withdrawing_without_a_reason_is_fine(client, journey):
    client.force_login(journey.applicant)
    assert client.post(withdraw_url(journey), {"reason": ""}).status_code == 302
    journey.refresh_from_db()
    assert journey.status == Journey.Status.WITHDRAWN


def test_a_reason_too_long_is_an_error_and_nothing_is_withdrawn(client, journey):
    client.force_login(journey.applicant)
    response = client.post(withdraw_url(journey), {"reason": "x" * 2001})
    assert response.status_code == 400
    page = parse(response.content)
    assert (
        "Shorten your reason to 2000 characters or fewer"
        in page.find(css_class="govuk-error-summary").text
    )
    assert page.find("textarea").text == "x" * 2001  # what was typed stays
    journey.refresh_from_db()
    assert journey.status == Journey.Status.IN_PROGRESS


@pytest.mark.parametrize(
    ("how", "english", "swedish"),
    [
        (
            "withdrawn",
            "This application has already been withdrawn.",
            "Den här ansökan har redan återkallats.",
        ),
        (
            "completed",
            "This application is complete: every step has been decided",
            "Den här ansökan är klar: alla steg har beslutats",
        ),
        (
            "rejected",
            "This application is closed because a step was rejected",
            "Den här ansökan är avslutad eftersom ett steg har fått avslag",
        ),
    ],
)
def test_a_closed_application_cannot_be_withdrawn_and_the_page_says_why(
    client, journey, how, english, swedish
):
    if how == "withdrawn":
        services.journey_withdraw(
            journey=journey, by=journey.applicant, reason="", now=timezone.now()
        )
    elif how == "rejected":
        decide(journey.steps.get(step_type__key="parallel-1"), "reject")
    else:
        decide(journey.steps.get(step_type__key="parallel-1"))
        deliver_all()
        decide(journey.steps.get(step_type__key="chain-1"))
    journey.refresh_from_db()
    assert journey.status == how
    events = journey.events.count()
    client.force_login(journey.applicant)
    for method in ("get", "post"):
        response = getattr(client, method)(withdraw_url(journey))
        assert response.status_code == 409
        page = parse(response.content)
        assert page.find("h1").text == "This application cannot be withdrawn"
        assert english in page.find(**{"data-testid": "refusal"}).text
        assert not page.find("main").find_all("form")
    response = client.get(withdraw_url(journey), HTTP_ACCEPT_LANGUAGE="sv")
    page = parse(response.content)
    assert page.find("h1").text == "Den här ansökan kan inte återkallas"
    assert swedish in page.find(**{"data-testid": "refusal"}).text
    journey.refresh_from_db()
    assert journey.status == how and journey.events.count() == events


def test_a_draft_goes_to_its_answers_and_another_persons_application_is_not_found(db, client):
    kind = journey_type(parallel=1, chain=0)
    applicant = make_user()
    draft = services.journey_start(journey_type=kind, applicant=applicant, now=timezone.now())
    client.force_login(applicant)
    response = client.get(withdraw_url(draft))
    assert response.url == reverse("citizens:application_check", args=[draft.public_id])
    submitted = submitted_journey(kind)
    assert client.get(withdraw_url(submitted)).status_code == 404
    assert client.post(withdraw_url(submitted), {"reason": ""}).status_code == 404
    submitted.refresh_from_db()
    assert submitted.is_open


def test_withdrawing_needs_the_forms_csrf_token(journey):
    client = Client(enforce_csrf_checks=True)
    client.force_login(journey.applicant)
    assert client.post(withdraw_url(journey), {"reason": ""}).status_code == 403
    journey.refresh_from_db()
    assert journey.is_open


def test_a_request_for_information_is_not_answered_once_the_application_is_withdrawn(client, db):
    journey = submitted_journey(journey_type(parallel=1, chain=0))
    step = journey.steps.get()
    worker = make_caseworker(step.unit)
    services.step_claim(step=step, by=worker, now=timezone.now())
    request = services.information_request_create(
        step=step,
        by=worker,
        items=["Site plan"],
        due_date=timezone.localdate() + dt.timedelta(days=5),
        now=timezone.now(),
    )
    services.journey_withdraw(journey=journey, by=journey.applicant, reason="", now=timezone.now())
    client.force_login(journey.applicant)
    page = parse(client.get(track_url(journey)).content)
    assert not page.find_all("section", "portal-request")  # no answer form on a closed application
    response = client.post(
        reverse("citizens:information_answer", args=[journey.public_id, request.pk]),
        {f"request-{request.pk}-answer": "Too late."},
        follow=True,
    )
    assert (
        "no longer needs an answer"
        in parse(response.content).find(css_class="govuk-notification-banner").text
    )
    request.refresh_from_db()
    assert request.answered_at is None
