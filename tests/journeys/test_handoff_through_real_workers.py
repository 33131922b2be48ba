"""The café journey end to end: citizens and caseworkers through the Django test client, the
handoffs carried by a real Celery worker process over the real Redis broker, on PostgreSQL."""
# Keeps the shipped café: the end-to-end journey of that service, through real workers.

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from journeys import services
from journeys.models import Handoff, Journey, JourneyEvent, Step
from journeys.services import handoffs
from tests.factories import answer_questions, load_catalogue, make_caseworker, make_user
from tests.workers import wait_for
from units.models import Unit

pytestmark = [pytest.mark.celery_worker, pytest.mark.every_broker_every_run]

ANSWERS = {
    "company_name": "Kaffekoppen AB",
    "org_number": "556016-0680",
    "contact_name": "Anna Andersson",
    "contact_email": "anna@example.org",
    "contact_phone": "070-123 45 67",
    "premises_address": "Storgatan 1, Stockholm",
    "opening_date": "2027-03-15",
    "serves_alcohol": "yes",
    "outdoor_seating": "yes",
    "uses_lpg": "yes",
}
# The café's dependency order: each wave may only start when the one before is approved.
WAVES = [
    {"company-registration", "building-permit", "outdoor-seating", "gas-permit"},
    {"food-registration"},
    {"serving-licence"},
]


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def apply_as_citizen(citizen) -> Journey:
    client = client_for(citizen)
    response = client.post(reverse("citizens:application_start", args=["open-a-cafe"]))
    journey = Journey.objects.get(applicant=citizen)
    assert response.url == reverse("citizens:application_resume", args=[journey.public_id])
    answer_questions(client, journey, ANSWERS)
    response = client.post(reverse("citizens:application_check", args=[journey.public_id]))
    assert response.status_code == 302
    journey.refresh_from_db()
    assert journey.reference and journey.status != Journey.Status.DRAFT
    return journey


def queued(journey: Journey) -> set[str]:
    return set(
        journey.steps.filter(status=Step.Status.QUEUED).values_list("step_type__key", flat=True)
    )


def work_step_as_caseworker(step: Step) -> None:
    caseworker = step.unit.memberships.get().user
    client = client_for(caseworker)
    queue = client.get(reverse("casework:queue"))
    assert step.journey.reference in queue.content.decode()
    case_url = reverse("casework:case", args=[step.pk])
    client.post(reverse("casework:claim", args=[step.pk]))
    step.refresh_from_db()
    assert step.status == Step.Status.IN_PROGRESS
    response = client.post(
        reverse("casework:decide", args=[step.pk]),
        {"outcome": "approve", "reasons": "Meets the requirements.", "version": step.version},
    )
    assert response.status_code == 302 and response.url == case_url


def test_the_cafe_journey_runs_to_completion_through_the_unit_queues(celery_worker):
    load_catalogue()
    for unit in Unit.objects.all():
        make_caseworker(unit, username=f"worker-{unit.slug}")
    journey = apply_as_citizen(make_user("citizen"))

    for wave in WAVES:
        wait_for(lambda w=wave: queued(journey) == w, 30, f"{sorted(wave)} queued", celery_worker)
        steps = list(journey.steps.filter(step_type__key__in=wave))
        # Parallel steps were handed to their units together, before any of them was decided.
        activated = [s.activated_at for s in steps]
        assert max(activated) - min(activated) < dt.timedelta(seconds=10)
        for step in steps:
            work_step_as_caseworker(step)

    wait_for(
        lambda: Journey.objects.get(pk=journey.pk).status == Journey.Status.COMPLETED,
        30,
        "the journey to complete",
        celery_worker,
    )
    steps = journey.steps.all()
    assert {s.status for s in steps} == {Step.Status.APPROVED}
    # Exactly once: one delivered handoff and one "received" event per step, none missing.
    outbox = Handoff.objects.filter(step__journey=journey)
    assert sorted(h.step_id for h in outbox) == sorted(s.pk for s in steps)
    assert all(h.delivered_at and h.attempts == 1 for h in outbox)
    received = JourneyEvent.objects.filter(journey=journey, kind=JourneyEvent.Kind.STEP_QUEUED)
    assert sorted(received.values_list("step_id", flat=True)) == sorted(s.pk for s in steps)
    # Each successor was queued only after the step it depends on was approved.
    by_key = {s.step_type.key: s for s in journey.steps.select_related("step_type")}
    assert by_key["food-registration"].activated_at >= by_key["building-permit"].decided_at
    assert by_key["serving-licence"].activated_at >= by_key["food-registration"].decided_at
    # Each unit's members were e-mailed from a task on their own queue when the case arrived.
    wait_for(
        lambda: celery_worker.sent_mail().count(f"New case {journey.reference}") == len(steps),
        30,
        "one arrival e-mail per step",
        celery_worker,
    )
    for step in steps:
        assert f"worker-{step.unit.slug}@example.org" in celery_worker.sent_mail()


def test_a_handoff_whose_message_was_never_published_is_delivered_by_the_sweep(
    celery_worker, monkeypatch, settings
):
    catalogue = load_catalogue()
    citizen = make_user("citizen")
    journey = services.journey_start(
        journey_type=catalogue["open-a-cafe"], applicant=citizen, now=timezone.now()
    )
    services.journey_save_answers(
        journey=journey, answers={"uses_lpg": False, "outdoor_seating": False}
    )
    # The commit happens; the publish after it is lost (as if the process died in between).
    with monkeypatch.context() as patch:
        patch.setattr(handoffs, "handoffs_publish", lambda *args, **kwargs: 0)
        services.journey_submit(journey=journey, by=citizen, language="en", now=timezone.now())
    outbox = Handoff.objects.filter(step__journey=journey)
    assert outbox.count() == 2 and not outbox.filter(published_at__isnull=False).exists()

    later = timezone.now() + dt.timedelta(seconds=settings.HANDOFF_GRACE_SECONDS + 1)
    assert services.handoffs_sweep(now=later) == 2
    wait_for(
        lambda: queued(journey) == {"company-registration", "building-permit"},
        30,
        "the swept handoffs to be delivered",
        celery_worker,
    )
    assert not Handoff.objects.filter(step__journey=journey, delivered_at__isnull=True).exists()
