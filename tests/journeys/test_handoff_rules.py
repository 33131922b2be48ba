"""The handoff protocol's rules, delivered in-process (the real-worker test is separate)."""

import datetime as dt

import pytest
from django.utils import timezone

from journeys import services, tasks
from journeys.models import Handoff, Journey, JourneyEvent, Step
from tests.factories import decide, deliver_all, make_caseworker, submitted_journey
from tests.journey_types import TRAIL_ANSWERS, journey_type, unit_for


def statuses(journey):
    return dict(journey.steps.values_list("step_type__key", "status"))


@pytest.fixture
def trail(db):
    """parallel-1 -> chain-1 -> chain-2, parallel-2, and a conditional step that applies."""
    return journey_type(parallel=2, chain=2, conditional=True)


def test_submission_gives_a_reference_and_queues_every_step_without_dependencies(trail):
    journey = submitted_journey(trail)
    assert journey.reference == f"TRAIL-{timezone.now().year}-000001"
    assert statuses(journey) == {
        "parallel-1": "queued",
        "parallel-2": "queued",
        "conditional": "queued",
        "chain-1": "waiting",
        "chain-2": "waiting",
    }
    journey.refresh_from_db()
    assert journey.status == Journey.Status.IN_PROGRESS


def test_references_count_up_per_service_and_year(trail):
    other = journey_type(slug="other-trail", prefix="OTHER")
    refs = [submitted_journey(trail).reference for _ in range(2)]
    other_ref = submitted_journey(other).reference
    year = timezone.now().year
    assert refs == [f"TRAIL-{year}-000001", f"TRAIL-{year}-000002"]
    assert other_ref == f"OTHER-{year}-000001"


def test_steps_that_do_not_apply_are_not_part_of_the_journey(trail):
    journey = submitted_journey(trail, answers={**TRAIL_ANSWERS, "wants_conditional": False})
    assert set(statuses(journey)) == {"parallel-1", "parallel-2", "chain-1", "chain-2"}


def test_a_due_date_is_set_from_the_deadline_when_the_unit_receives_the_step(db):
    moment = timezone.now() - dt.timedelta(days=3)
    journey = submitted_journey(journey_type(deadline_days=70), now=moment)
    permit = journey.steps.get(step_type__key="parallel-1")
    assert permit.activated_at == moment
    assert permit.due_at == moment + dt.timedelta(days=70)


def test_approval_hands_the_successor_to_its_unit(trail):
    journey = submitted_journey(trail)
    decide(journey.steps.get(step_type__key="parallel-1"))
    chained = journey.steps.get(step_type__key="chain-1")
    assert chained.status == Step.Status.WAITING
    handoff = Handoff.objects.get(step=chained)
    assert handoff.unit.slug == unit_for("chain-1") and handoff.delivered_at is None
    deliver_all()
    chained.refresh_from_db()
    assert chained.status == Step.Status.QUEUED


def test_a_step_with_several_dependencies_waits_for_all_of_them(db):
    journey = submitted_journey(journey_type(parallel=2, chain=1, join=True))
    decide(journey.steps.get(step_type__key="parallel-1"))
    deliver_all()
    decide(journey.steps.get(step_type__key="chain-1"))
    deliver_all()
    assert statuses(journey)["join"] == "waiting"
    decide(journey.steps.get(step_type__key="parallel-2"))
    deliver_all()
    assert statuses(journey)["join"] == "queued"


def test_delivering_a_handoff_twice_activates_once(trail):
    journey = submitted_journey(trail, deliver=False)
    handoff = Handoff.objects.filter(step__journey=journey).first()
    first = timezone.now()
    services.handoff_deliver(handoff_id=handoff.pk, now=first)
    services.handoff_deliver(handoff_id=handoff.pk, now=first + dt.timedelta(minutes=5))
    step = Step.objects.get(pk=handoff.step_id)
    assert step.activated_at == first
    assert JourneyEvent.objects.filter(step=step, kind=JourneyEvent.Kind.STEP_QUEUED).count() == 1
    handoff.refresh_from_db()
    assert handoff.delivered_at == first and handoff.attempts == 1


def test_approving_every_step_completes_the_journey(db):
    journey = submitted_journey(journey_type(parallel=2, chain=2, conditional=True, join=True))
    while queued := list(journey.steps.filter(status=Step.Status.QUEUED)):
        for step in queued:
            decide(step)
        deliver_all()
    journey.refresh_from_db()
    assert journey.status == Journey.Status.COMPLETED and journey.closed_at
    assert set(statuses(journey).values()) == {"approved"}


def test_a_rejection_closes_the_journey_and_cancels_open_steps_through_their_units(trail):
    journey = submitted_journey(trail)
    decide(journey.steps.get(step_type__key="parallel-1"), "reject")
    journey.refresh_from_db()
    assert journey.status == Journey.Status.REJECTED
    # Never-started steps are cancelled at once; steps in other units' queues by a handoff.
    assert statuses(journey)["chain-1"] == "cancelled"
    cancels = Handoff.objects.filter(step__journey=journey, kind=Handoff.Kind.CANCEL)
    assert {h.unit.slug for h in cancels} == {unit_for("parallel-2"), unit_for("conditional")}
    assert statuses(journey)["parallel-2"] == "queued"
    deliver_all()
    assert statuses(journey) == {
        "parallel-1": "rejected",
        "parallel-2": "cancelled",
        "conditional": "cancelled",
        "chain-1": "cancelled",
        "chain-2": "cancelled",
    }


def test_a_step_of_a_closed_journey_cannot_be_decided(trail):
    journey = submitted_journey(trail)
    other = journey.steps.get(step_type__key="parallel-2")
    worker = make_caseworker(other.unit)
    services.step_claim(step=other, by=worker, now=timezone.now())
    decide(journey.steps.get(step_type__key="parallel-1"), "reject")
    with pytest.raises(services.StepChanged):
        services.step_decide(
            step=other, by=worker, outcome="approve", reasons="x", now=timezone.now()
        )


def test_a_decision_on_a_stale_version_is_refused_and_changes_nothing(trail):
    journey = submitted_journey(trail)
    step = journey.steps.get(step_type__key="parallel-1")
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


def test_the_journey_log_is_append_only(trail):
    event = submitted_journey(trail).events.first()
    with pytest.raises(ValueError, match="append-only"):
        event.save()
    with pytest.raises(ValueError, match="append-only"):
        event.delete()


def test_the_sweep_publishes_only_handoffs_left_undelivered_past_the_grace_period(
    db, settings, monkeypatch
):
    published = []
    monkeypatch.setattr(tasks.handoff_deliver, "apply_async", lambda *a, **kw: published.append(kw))
    now = timezone.now()
    submitted_journey(journey_type(parallel=3, chain=1, conditional=True), now=now, deliver=False)
    assert services.handoffs_sweep(now=now) == 0
    later = now + dt.timedelta(seconds=settings.HANDOFF_GRACE_SECONDS + 1)
    assert services.handoffs_sweep(now=later) == 4
    assert sorted(p["queue"] for p in published) == [
        f"unit.{unit_for(key)}" for key in ("conditional", "parallel-1", "parallel-2", "parallel-3")
    ]
    deliver_all(later)
    assert services.handoffs_sweep(now=later + dt.timedelta(hours=1)) == 0
