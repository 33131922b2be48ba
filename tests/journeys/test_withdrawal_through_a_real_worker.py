"""A café application withdrawn on its page while its steps are with their units: a real Celery
worker process, over the real Redis broker, cancels every step not yet decided on its unit's
queue, exactly once; the units the case had reached are e-mailed, the one it had not reached is
not, the decided step keeps its decision, and the applicant gets a confirmation."""
# Keeps the shipped café: its first wave reaches four units, two more steps wait for them.

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from journeys import services
from journeys.models import Handoff, Journey, Step
from tests.factories import CAFE_ANSWERS, load_catalogue, make_caseworker, make_user
from tests.workers import wait_for
from units.models import Unit

pytestmark = pytest.mark.celery_worker

FIRST_WAVE = {"company-registration", "building-permit", "outdoor-seating", "gas-permit"}


def statuses(journey: Journey) -> dict[str, str]:
    return dict(journey.steps.values_list("step_type__key", "status"))


def test_a_withdrawal_cancels_each_open_step_in_its_unit_through_a_real_worker(celery_worker):
    cafe = load_catalogue()["open-a-cafe"]
    for unit in Unit.objects.all():
        make_caseworker(unit, username=f"worker-{unit.slug}")
    citizen = make_user("citizen")
    journey = services.journey_start(journey_type=cafe, applicant=citizen, now=timezone.now())
    services.journey_save_answers(journey=journey, answers=CAFE_ANSWERS)
    journey = services.journey_submit(
        journey=journey, by=citizen, language="en", now=timezone.now()
    )

    def queued() -> set[str]:
        return {key for key, status in statuses(journey).items() if status == Step.Status.QUEUED}

    wait_for(lambda: queued() == FIRST_WAVE, 30, "the first wave queued", celery_worker)

    seating = journey.steps.select_related("unit").get(step_type__key="outdoor-seating")
    decider = seating.unit.memberships.get().user
    services.step_claim(step=seating, by=decider, now=timezone.now())
    services.step_decide(
        step=seating, by=decider, outcome="approve", reasons="Fine.", now=timezone.now()
    )
    permit = journey.steps.get(step_type__key="building-permit")
    services.step_claim(step=permit, by=permit.unit.memberships.get().user, now=timezone.now())

    client = Client()
    client.force_login(citizen)
    response = client.post(
        reverse("citizens:application_withdraw", args=[journey.public_id]),
        {"reason": "We found other premises."},
    )
    assert response.status_code == 302

    wait_for(
        lambda: set(statuses(journey).values()) == {Step.Status.CANCELLED, Step.Status.APPROVED},
        30,
        "every open step cancelled",
        celery_worker,
    )
    assert statuses(journey) == {
        "company-registration": "cancelled",
        "building-permit": "cancelled",
        "outdoor-seating": "approved",
        "gas-permit": "cancelled",
        "food-registration": "cancelled",
        "serving-licence": "cancelled",
    }
    assert Journey.objects.get(pk=journey.pk).status == Journey.Status.WITHDRAWN
    # Exactly once: one cancel handoff per open step, each delivered on the first attempt.
    cancels = Handoff.objects.filter(step__journey=journey, kind=Handoff.Kind.CANCEL)
    assert sorted(cancels.values_list("step__step_type__key", flat=True)) == sorted(
        [
            "company-registration",
            "building-permit",
            "gas-permit",
            "food-registration",
            "serving-licence",
        ]
    )
    assert all(h.delivered_at and h.attempts == 1 for h in cancels)

    subject = f"Case cancelled: {journey.reference}"
    wait_for(
        lambda: celery_worker.sent_mail().count(subject) == 3,
        30,
        "one cancellation e-mail per unit the case had reached",
        celery_worker,
    )
    wait_for(
        lambda: "You have withdrawn your application" in celery_worker.sent_mail(),
        30,
        "the applicant's confirmation",
        celery_worker,
    )
    mail = celery_worker.sent_mail()
    for key in ("company-registration", "building-permit", "gas-permit"):
        unit = journey.steps.get(step_type__key=key).unit
        assert f"worker-{unit.slug}@example.org" in mail, key
    assert "The applicant withdrew the application" in mail
    for key in ("food-registration", "serving-licence"):  # waiting: their units never had it
        unit = journey.steps.get(step_type__key=key).unit
        assert f"worker-{unit.slug}@example.org" not in mail, key
