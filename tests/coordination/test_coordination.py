"""Coordinators act above the units: escalate, remind, re-publish; sweeps tell applicants of
delays; after six months an applicant may ask for a decision; the time chart reads the log."""

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from coordination.timelines import journey_gantt
from journeys import services
from journeys.models import DecisionRequest, Handoff, JourneyEvent, OutgoingEmail
from tests.factories import (
    deliver_all,
    make_caseworker,
    make_coordinator,
    make_user,
    send_emails,
    submitted_journey,
)
from tests.html import link_texts, parse
from tests.journey_types import journey_type, unit_for


@pytest.fixture
def trail(db):
    """parallel-1 -> chain-1, parallel-2 and a conditional step: three units at submission."""
    return journey_type(parallel=2, chain=1, conditional=True, deadline_days=70)


@pytest.fixture
def coordinator(client, db):
    user = make_coordinator("coordinator")
    client.force_login(user)
    return user


def test_escalating_writes_the_timeline_and_emails_the_units_leads(
    client, coordinator, trail, settings
):
    settings.SITE_URL = "http://testserver.example"
    journey = submitted_journey(trail)
    permit = journey.steps.get(step_type__key="parallel-1")
    make_caseworker(permit.unit, lead=True, username="planning-lead")
    make_caseworker(permit.unit, username="planner")
    response = client.post(
        reverse("coordination:escalate", args=[journey.public_id]),
        {"step": permit.pk, "message": "Please look at this today."},
    )
    assert response.status_code == 302
    event = journey.events.get(kind=JourneyEvent.Kind.ESCALATED)
    assert event.actor == coordinator and event.step == permit and not event.visible_to_applicant
    assert send_emails(kind=OutgoingEmail.Kind.ESCALATION) == 1
    (email,) = mail.outbox
    assert email.to == ["planning-lead@example.org"]
    assert "Please look at this today." in email.body
    assert f"http://testserver.example/work/steps/{permit.pk}/" in email.body


def test_an_escalation_without_a_message_is_explained(client, coordinator, trail):
    journey = submitted_journey(trail)
    permit = journey.steps.get(step_type__key="parallel-1")
    response = client.post(
        reverse("coordination:escalate", args=[journey.public_id]), {"step": permit.pk}
    )
    assert response.status_code == 422
    assert "Enter a message to the unit lead" in response.content.decode()


def test_reminding_the_applicant_of_an_overdue_request(client, coordinator, trail):
    journey = submitted_journey(trail)
    permit = journey.steps.get(step_type__key="parallel-1")
    worker = make_caseworker(permit.unit)
    permit = services.step_claim(step=permit, by=worker, now=timezone.now())
    asked = timezone.now() - dt.timedelta(days=20)
    services.information_request_create(
        step=permit, by=worker, items=["Plan"], due_date=asked.date(), now=asked
    )
    client.post(reverse("coordination:remind", args=[journey.public_id]))
    assert journey.messages.filter(subject__startswith="Reminder").count() == 1
    assert journey.events.filter(kind=JourneyEvent.Kind.APPLICANT_REMINDED).get().actor
    dashboard = client.get(reverse("coordination:dashboard"), {"view": "unanswered"})
    assert journey.reference in dashboard.content.decode()


def test_a_failed_handoff_is_listed_and_sent_again(client, coordinator, trail, settings):
    journey = submitted_journey(trail, now=timezone.now() - dt.timedelta(hours=1), deliver=False)
    html = client.get(reverse("coordination:dashboard"), {"view": "handoffs"}).content.decode()
    assert "Failed handoffs (3)" in link_texts(html)
    handoff = Handoff.objects.filter(step__journey=journey).first()
    response = client.post(
        reverse("coordination:republish", args=[handoff.pk]), {"return_to": "dashboard"}
    )
    assert response.url.endswith("?view=handoffs")
    handoff.refresh_from_db()
    assert handoff.publish_count == 1 and handoff.published_at
    event = journey.events.get(kind=JourneyEvent.Kind.HANDOFF_REPUBLISHED)
    assert event.actor == coordinator


def test_the_dashboard_filters_by_unit_service_and_age(client, coordinator, trail):
    old = submitted_journey(trail, now=timezone.now() - dt.timedelta(days=40))
    other = journey_type(
        slug="other-trail", prefix="OTHER", parallel=1, chain=0, units={"parallel-1": "elsewhere"}
    )
    newer = submitted_journey(other)
    url = reverse("coordination:dashboard")
    html = client.get(url, {"journey_type": "other-trail"}).content.decode()
    assert newer.reference in html and old.reference not in html
    html = client.get(url, {"min_age_days": "30"}).content.decode()
    assert old.reference in html and newer.reference not in html
    html = client.get(url, {"unit": unit_for("parallel-2")}).content.decode()
    assert old.reference in html and newer.reference not in html
    partial = client.get(url, {"view": "overdue"}, headers={"HX-Request": "true"}).content
    assert [(e.tag, e.attrs.get("id")) for e in parse(partial).elements] == [("div", "results")]


def test_the_time_chart_shows_queue_work_waiting_and_handoff_gaps(coordinator, trail):
    start = timezone.now() - dt.timedelta(days=10)
    journey = submitted_journey(trail, now=start)
    permit = journey.steps.get(step_type__key="parallel-1")
    worker = make_caseworker(permit.unit)
    permit = services.step_claim(step=permit, by=worker, now=start + dt.timedelta(days=1))
    request = services.information_request_create(
        step=permit,
        by=worker,
        items=["Plan"],
        due_date=(start + dt.timedelta(days=9)).date(),
        now=start + dt.timedelta(days=2),
    )
    services.information_request_answer(
        request=request, by=journey.applicant, answer="Here", now=start + dt.timedelta(days=5)
    )
    deliver_all(start + dt.timedelta(days=5, hours=1))
    services.step_decide(
        step=permit, by=worker, outcome="approve", reasons="OK", now=start + dt.timedelta(days=6)
    )
    deliver_all(start + dt.timedelta(days=6, hours=2))
    steps = list(journey.steps.select_related("step_type"))
    gantt = journey_gantt(journey, steps=steps, now=start + dt.timedelta(days=10))
    rows = {row.step.step_type.key: row for row in gantt.rows}
    permit_row = rows["parallel-1"]
    assert [s.kind for s in permit_row.segments] == [
        "queued",
        "in_progress",
        "applicant",
        "in_progress",
    ]
    assert permit_row.total("applicant") == dt.timedelta(days=3, hours=1)
    food = rows["chain-1"]
    assert food.segments[0].kind == "handoff"
    assert food.segments[0].duration == dt.timedelta(hours=2)
    assert all(0 <= s.x <= 100 and s.x + s.width <= 100.5 for r in gantt.rows for s in r.segments)


def test_the_journey_page_has_the_chart_and_its_table(client, coordinator, trail):
    journey = submitted_journey(trail)
    html = client.get(reverse("coordination:journey", args=[journey.public_id])).content.decode()
    bars = parse(html).find_all("svg", "portal-gantt__bar")
    assert "Where the time went" in html and len(bars) == journey.steps.count()
    assert "the chart above as a table" in html
    assert "Escalate to the unit lead" in html


def test_the_applicant_is_told_once_when_a_step_will_miss_its_date_with_the_reason(client, trail):
    now = timezone.now()
    journey = submitted_journey(trail, now=now - dt.timedelta(days=68))
    permit = journey.steps.get(step_type__key="parallel-1")
    client.force_login(make_caseworker(permit.unit))
    response = client.post(
        reverse("casework:delay", args=[permit.pk]),
        {
            "reason": "We are waiting for a statement from the county board.",
            "version": permit.version,
        },
    )
    assert response.status_code == 302
    assert services.delay_notices_sweep(now=now) >= 1
    assert services.delay_notices_sweep(now=now) == 0
    notice = journey.messages.get(subject__startswith="Delay: Parallel step 1")
    assert "waiting for a statement from the county board" in notice.body


def test_after_six_months_the_applicant_may_ask_for_a_decision(client, trail):
    applicant = make_user("applicant")
    journey = submitted_journey(trail, applicant, now=timezone.now() - dt.timedelta(days=200))
    client.force_login(applicant)
    track = client.get(reverse("citizens:application_track", args=[journey.public_id]))
    assert "You may ask the unit for a decision" in track.content.decode()
    permit = journey.steps.get(step_type__key="parallel-1")
    url = reverse("citizens:decision_request", args=[journey.public_id, permit.pk])
    client.post(url)
    client.post(url)
    request = DecisionRequest.objects.get()
    assert request.due_at - request.requested_at == dt.timedelta(weeks=4)
    assert "The unit must answer by" in client.get(track.request["PATH_INFO"]).content.decode()
    coordinator = make_coordinator()
    client.force_login(coordinator)
    html = client.get(reverse("coordination:dashboard"), {"view": "decision_requests"})
    assert journey.reference in html.content.decode()


def test_a_fresh_journey_offers_no_decision_request(client, trail):
    journey = submitted_journey(trail)
    permit = journey.steps.get(step_type__key="parallel-1")
    assert not services.may_request_decision(permit, timezone.now())
    assert (
        services.decision_request_create(step=permit, by=journey.applicant, now=timezone.now())
        is None
    )


def test_dead_letters_are_listed_for_coordinators(client, coordinator, trail):
    journey = submitted_journey(trail, deliver=False)
    handoff = Handoff.objects.filter(step__journey=journey).first()
    services.task_failure_record(
        task_id="t-1",
        task_name="journeys.tasks.handoff_deliver",
        args=[handoff.pk],
        error="OperationalError('server closed the connection')",
        now=timezone.now(),
    )
    services.task_failure_record(  # the same task id again: still one row
        task_id="t-1",
        task_name="journeys.tasks.handoff_deliver",
        args=[handoff.pk],
        error="again",
        now=timezone.now(),
    )
    html = client.get(reverse("coordination:dashboard"), {"view": "failed_tasks"}).content.decode()
    assert "Failed tasks (1)" in link_texts(html)
    assert journey.reference in html and "server closed the connection" in html
    handoff.refresh_from_db()
    assert "server closed the connection" in handoff.last_error
