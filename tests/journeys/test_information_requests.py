"""Asking the applicant stops the step's clock; the answer hands the case back to the unit."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from journeys import services
from journeys.models import Handoff, Journey, Step
from tests.factories import deliver_all, make_caseworker, submitted_journey
from tests.journey_types import journey_type


@pytest.fixture
def claimed(db):
    moment = timezone.now() - dt.timedelta(days=10)
    journey = submitted_journey(journey_type(deadline_days=70), now=moment)
    step = journey.steps.get(step_type__key="parallel-1")
    worker = make_caseworker(step.unit)
    return services.step_claim(step=step, by=worker, now=moment), worker


def ask(step, worker, now):
    return services.information_request_create(
        step=step,
        by=worker,
        items=["Floor plan of the premises", "Signed lease"],
        due_date=(now + dt.timedelta(days=14)).date(),
        now=now,
        blocks=[],  # this step only (the journey-wide stop: test_journey_wide_clock_stop.py)
    )


def test_asking_stops_the_clock_and_shows_the_applicant_what_is_needed(client, claimed):
    step, worker = claimed
    now = timezone.now() - dt.timedelta(days=6)
    ask(step, worker, now)
    step.refresh_from_db()
    assert step.status == Step.Status.WAITING_FOR_APPLICANT and step.paused_at == now
    assert step.journey.status == Journey.Status.WAITING_FOR_APPLICANT

    client.force_login(step.journey.applicant)
    html = client.get(
        reverse("citizens:application_track", args=[step.journey.public_id])
    ).content.decode()
    assert "needs more information from you" in html
    assert "Floor plan of the premises" in html and "Signed lease" in html
    assert "Waiting for you" in html


def test_the_answer_returns_the_case_through_a_handoff_and_moves_the_due_date(client, claimed):
    step, worker = claimed
    due_before = step.due_at
    asked = timezone.now() - dt.timedelta(days=6)
    info = ask(step, worker, asked)

    client.force_login(step.journey.applicant)
    url = reverse("citizens:information_answer", args=[step.journey.public_id, info.pk])
    response = client.post(url, {f"request-{info.pk}-answer": "Attached below."})
    assert response.status_code == 302
    handoff = Handoff.objects.get(information_request=info)
    assert handoff.kind == Handoff.Kind.RESUME and handoff.unit == step.unit
    step.refresh_from_db()
    assert step.status == Step.Status.WAITING_FOR_APPLICANT  # until the unit's worker delivers

    deliver_all()
    step.refresh_from_db()
    handoff.refresh_from_db()
    waited = handoff.delivered_at - asked
    assert step.status == Step.Status.IN_PROGRESS and step.assignee == worker
    assert step.due_at == due_before + waited  # its deadline counts calendar days
    assert step.paused_days == 6 and step.paused_at is None
    assert step.journey.status == Journey.Status.IN_PROGRESS


def test_an_empty_answer_is_refused_and_the_request_stays_open(client, claimed):
    step, worker = claimed
    info = ask(step, worker, timezone.now())
    client.force_login(step.journey.applicant)
    url = reverse("citizens:information_answer", args=[step.journey.public_id, info.pk])
    response = client.post(url, {f"request-{info.pk}-answer": ""})
    assert response.status_code == 422
    assert "Enter your answer to the request" in response.content.decode()
    info.refresh_from_db()
    assert info.answered_at is None


def test_answering_twice_hands_the_case_back_once(claimed):
    step, worker = claimed
    info = ask(step, worker, timezone.now())
    applicant = step.journey.applicant
    for _ in range(2):
        services.information_request_answer(
            request=info, by=applicant, answer="Here.", now=timezone.now()
        )
    assert Handoff.objects.filter(kind=Handoff.Kind.RESUME).count() == 1


def test_another_citizen_cannot_answer(client, claimed):
    from tests.factories import make_user

    step, worker = claimed
    info = ask(step, worker, timezone.now())
    client.force_login(make_user())
    url = reverse("citizens:information_answer", args=[step.journey.public_id, info.pk])
    assert client.post(url, {f"request-{info.pk}-answer": "x"}).status_code == 404


def test_the_caseworker_asks_through_the_case_page(client, claimed):
    step, worker = claimed
    client.force_login(worker)
    due = (timezone.localdate() + dt.timedelta(days=10)).isoformat()
    response = client.post(
        reverse("casework:request_information", args=[step.pk]),
        {
            "items": "Floor plan\n\nFire safety description",
            "due_date": due,
            "version": step.version,
        },
    )
    assert response.status_code == 302
    info = step.information_requests.get()
    assert info.items == ["Floor plan", "Fire safety description"]
    case = client.get(response.url).content.decode()
    assert "Fire safety description" in case and "Not answered yet" in case
