"""The handoff protocol's rules, delivered in-process (the real-worker test is separate)."""

import datetime as dt

import pytest
from django.utils import timezone

from journeys import services, tasks
from journeys.models import Handoff, Journey, JourneyEvent, Step
from tests.factories import CAFE_ANSWERS, decide, deliver_all, make_caseworker, submitted_journey


def statuses(journey):
    return dict(journey.steps.values_list("step_type__key", "status"))


def test_submission_gives_a_reference_and_queues_every_step_without_dependencies(cafe):
    journey = submitted_journey(cafe)
    assert journey.reference == f"CAFE-{timezone.now().year}-000001"
    assert statuses(journey) == {
        "company-registration": "queued",
        "building-permit": "queued",
        "outdoor-seating": "queued",
        "gas-permit": "queued",
        "food-registration": "waiting",
        "serving-licence": "waiting",
    }
    journey.refresh_from_db()
    assert journey.status == Journey.Status.IN_PROGRESS


def test_references_count_up_per_service_and_year(cafe, house):
    refs = [submitted_journey(cafe).reference for _ in range(2)]
    house_ref = submitted_journey(house, answers={"new_drainage": True}).reference
    year = timezone.now().year
    assert refs == [f"CAFE-{year}-000001", f"CAFE-{year}-000002"]
    assert house_ref == f"HOUSE-{year}-000001"


def test_steps_that_do_not_apply_are_not_part_of_the_journey(cafe):
    journey = submitted_journey(cafe, answers={**CAFE_ANSWERS, "uses_lpg": False})
    assert "gas-permit" not in statuses(journey)


def test_a_due_date_is_set_from_the_deadline_when_the_unit_receives_the_step(cafe):
    moment = timezone.now() - dt.timedelta(days=3)
    journey = submitted_journey(cafe, now=moment)
    permit = journey.steps.get(step_type__key="building-permit")
    assert permit.activated_at == moment
    assert permit.due_at == moment + dt.timedelta(days=70)


def test_approval_hands_the_successor_to_its_unit(cafe):
    journey = submitted_journey(cafe)
    decide(journey.steps.get(step_type__key="building-permit"))
    food = journey.steps.get(step_type__key="food-registration")
    assert food.status == Step.Status.WAITING
    handoff = Handoff.objects.get(step=food)
    assert handoff.unit.slug == "environment-health" and handoff.delivered_at is None
    deliver_all()
    food.refresh_from_db()
    assert food.status == Step.Status.QUEUED


def test_a_step_with_several_dependencies_waits_for_all_of_them(house):
    journey = submitted_journey(house, answers={"new_drainage": True})
    decide(journey.steps.get(step_type__key="building-permit"))
    deliver_all()
    decide(journey.steps.get(step_type__key="technical-consultation"))
    deliver_all()
    assert statuses(journey)["final-clearance"] == "waiting"
    decide(journey.steps.get(step_type__key="drainage-connection"))
    deliver_all()
    assert statuses(journey)["final-clearance"] == "queued"


def test_delivering_a_handoff_twice_activates_once(cafe):
    journey = submitted_journey(cafe, deliver=False)
    handoff = Handoff.objects.filter(step__journey=journey).first()
    first = timezone.now()
    services.handoff_deliver(handoff_id=handoff.pk, now=first)
    services.handoff_deliver(handoff_id=handoff.pk, now=first + dt.timedelta(minutes=5))
    step = Step.objects.get(pk=handoff.step_id)
    assert step.activated_at == first
    assert JourneyEvent.objects.filter(step=step, kind=JourneyEvent.Kind.STEP_QUEUED).count() == 1
    handoff.refresh_from_db()
    assert handoff.delivered_at == first and handoff.attempts == 1


def test_approving_every_step_completes_the_journey(cafe):
    journey = submitted_journey(cafe)
    while queued := list(journey.steps.filter(status=Step.Status.QUEUED)):
        for step in queued:
            decide(step)
        deliver_all()
    journey.refresh_from_db()
    assert journey.status == Journey.Status.COMPLETED and journey.closed_at
    assert set(statuses(journey).values()) == {"approved"}


def test_a_rejection_closes_the_journey_and_cancels_open_steps_through_their_units(cafe):
    journey = submitted_journey(cafe)
    decide(journey.steps.get(step_type__key="building-permit"), "reject")
    journey.refresh_from_db()
    assert journey.status == Journey.Status.REJECTED
    # Never-started steps are cancelled at once; steps in other units' queues by a handoff.
    assert statuses(journey)["food-registration"] == "cancelled"
    cancels = Handoff.objects.filter(step__journey=journey, kind=Handoff.Kind.CANCEL)
    assert {h.unit.slug for h in cancels} == {"tax-agency", "police", "fire-rescue"}
    assert statuses(journey)["company-registration"] == "queued"
    deliver_all()
    assert statuses(journey) == {
        "company-registration": "cancelled",
        "building-permit": "rejected",
        "outdoor-seating": "cancelled",
        "gas-permit": "cancelled",
        "food-registration": "cancelled",
        "serving-licence": "cancelled",
    }


def test_a_step_of_a_closed_journey_cannot_be_decided(cafe):
    journey = submitted_journey(cafe)
    tax = journey.steps.get(step_type__key="company-registration")
    worker = make_caseworker(tax.unit)
    services.step_claim(step=tax, by=worker, now=timezone.now())
    decide(journey.steps.get(step_type__key="building-permit"), "reject")
    with pytest.raises(services.StepChanged):
        services.step_decide(
            step=tax, by=worker, outcome="approve", reasons="x", now=timezone.now()
        )


def test_a_decision_on_a_stale_version_is_refused_and_changes_nothing(cafe):
    journey = submitted_journey(cafe)
    step = journey.steps.get(step_type__key="building-permit")
    worker = make_caseworker(step.unit)
    step = services.step_claim(step=step, by=worker, now=timezone.now())
    with pytest.raises(services.StepChanged):
        services.step_decide(
            step=step,
            by=worker,
            outcome="approve",
            reasons="x",
            now=timezone.now(),
            expected_version=step.version - 1,
        )
    step.refresh_from_db()
    assert step.status == Step.Status.IN_PROGRESS


def test_the_journey_log_is_append_only(cafe):
    event = submitted_journey(cafe).events.first()
    with pytest.raises(ValueError, match="append-only"):
        event.save()
    with pytest.raises(ValueError, match="append-only"):
        event.delete()


def test_the_sweep_publishes_only_handoffs_left_undelivered_past_the_grace_period(
    cafe, settings, monkeypatch
):
    published = []
    monkeypatch.setattr(tasks.handoff_deliver, "apply_async", lambda *a, **kw: published.append(kw))
    now = timezone.now()
    submitted_journey(cafe, now=now, deliver=False)
    assert services.handoffs_sweep(now=now) == 0
    later = now + dt.timedelta(seconds=settings.HANDOFF_GRACE_SECONDS + 1)
    assert services.handoffs_sweep(now=later) == 4
    assert sorted(p["queue"] for p in published) == [
        "unit.fire-rescue",
        "unit.police",
        "unit.tax-agency",
        "unit.urban-planning",
    ]
    deliver_all(later)
    assert services.handoffs_sweep(now=later + dt.timedelta(hours=1)) == 0
