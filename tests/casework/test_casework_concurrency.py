"""Caseworkers working at the same moment, in real threads on PostgreSQL."""

import threading
from collections import Counter

import pytest
from django.db import connection
from django.utils import timezone

from journeys import services
from journeys.models import Handoff, Step
from tests.factories import bulk_queued_steps, decide, make_caseworker, submitted_journey
from tests.journey_types import journey_type

pytestmark = pytest.mark.django_db(transaction=True)


def run_together(workers: list) -> list:
    """Start every callable at the same moment in its own thread; return results or errors."""
    barrier = threading.Barrier(len(workers))
    results: list = [None] * len(workers)

    def run(index, work):
        try:
            barrier.wait()
            results[index] = work()
        except Exception as error:  # collected for the assertions
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, w)) for i, w in enumerate(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def test_ten_caseworkers_taking_next_from_200_cases_get_200_distinct_cases():
    permit = journey_type().steps.get(key="parallel-1")
    bulk_queued_steps(permit, 200)
    caseworkers = [make_caseworker(permit.unit) for _ in range(10)]

    def take_until_empty(caseworker):
        taken = []
        while step := services.step_take_next(unit=permit.unit, by=caseworker, now=timezone.now()):
            taken.append(step.pk)
        return taken

    results = run_together([lambda c=c: take_until_empty(c) for c in caseworkers])
    assert not [r for r in results if isinstance(r, Exception)], results
    taken = [pk for result in results for pk in result]
    assert len(taken) == 200 and len(set(taken)) == 200
    assert sum(1 for result in results if result) > 1  # the work was really shared
    by_assignee = Counter(Step.objects.values_list("assignee_id", flat=True))
    assert sum(by_assignee.values()) == 200 and None not in by_assignee


def test_two_decisions_on_the_same_step_at_the_same_moment_make_one_decision():
    journey = submitted_journey(journey_type(parallel=2, chain=1))
    permit = journey.steps.get(step_type__key="parallel-1")
    caseworker = make_caseworker(permit.unit)
    permit = services.step_claim(step=permit, by=caseworker, now=timezone.now())

    def decide_once(reasons: str):
        return lambda: services.step_decide(
            step=permit,
            by=caseworker,
            outcome="approve",
            reasons=reasons,
            expected_version=permit.version,
            now=timezone.now(),
        )

    # Two tabs with different reasons: one decision, the other refused as stale.
    results = run_together([decide_once("First tab."), decide_once("Second tab.")])
    assert sum(isinstance(r, Step) for r in results) == 1
    assert sum(isinstance(r, services.StepChanged) for r in results) == 1
    assert journey.events.filter(kind="step_approved").count() == 1
    successor = journey.steps.get(step_type__key="chain-1")
    assert Handoff.objects.filter(step=successor).count() == 1

    # The same form sent twice at once (a double click): both answered with the decided step.
    journey = submitted_journey(journey_type(parallel=2, chain=1))
    permit = services.step_claim(
        step=journey.steps.get(step_type__key="parallel-1"), by=caseworker, now=timezone.now()
    )
    results = run_together([decide_once("Same."), decide_once("Same.")])
    assert [r.status for r in results] == [Step.Status.APPROVED] * 2
    assert journey.events.filter(kind="step_approved").count() == 1


def test_approving_both_dependencies_at_once_hands_the_joint_successor_off_once():
    journey = submitted_journey(journey_type(parallel=2, chain=1, join=True))
    decide(journey.steps.get(step_type__key="parallel-1"))
    from tests.factories import deliver_all

    deliver_all()
    pair = []
    for key in ("chain-1", "parallel-2"):  # what `join` waits for
        step = journey.steps.get(step_type__key=key)
        caseworker = make_caseworker(step.unit)
        pair.append((services.step_claim(step=step, by=caseworker, now=timezone.now()), caseworker))

    results = run_together(
        [
            lambda s=s, c=c: services.step_decide(
                step=s, by=c, outcome="approve", reasons="Fine.", now=timezone.now()
            )
            for s, c in pair
        ]
    )
    assert all(isinstance(r, Step) and r.status == Step.Status.APPROVED for r in results), results
    final = journey.steps.get(step_type__key="join")
    assert Handoff.objects.filter(step=final, kind=Handoff.Kind.ACTIVATE).count() == 1


def _queued_events(step) -> int:
    return step.events.filter(kind="step_queued").count()


def test_reopening_while_the_successors_handoff_is_delivered_activates_it_at_most_once():
    """Twenty journeys: in each, the reopening of an approval and the delivery of the handoff it
    caused run at the same moment. Whichever goes first, the successor ends waiting, and once
    the step is approved again it is handed on exactly once more."""
    from tests.factories import deliver_all

    kind = journey_type(parallel=1, chain=1)
    pairs = []
    for _ in range(20):
        journey = submitted_journey(kind)
        approved = decide(journey.steps.get(step_type__key="parallel-1"))
        handoff = Handoff.objects.get(step__journey=journey, step__step_type__key="chain-1")
        pairs.append((approved, approved.assignee, handoff))

    work = []
    for approved, by, handoff in pairs:
        work.append(
            lambda s=approved, b=by: services.step_reopen(
                step=s, by=b, reason="Recheck.", now=timezone.now()
            )
        )
        work.append(lambda h=handoff: services.handoff_deliver(handoff_id=h.pk, now=timezone.now()))
    results = run_together(work)
    assert not [r for r in results if isinstance(r, Exception)], results
    deliver_all()  # the recalls of successors that were activated first
    successors = [Step.objects.get(pk=h.step_id) for _, _, h in pairs]
    assert {s.status for s in successors} == {Step.Status.WAITING}
    activated_first = sum(_queued_events(s) for s in successors)
    recalls = Handoff.objects.filter(step__in=successors, kind=Handoff.Kind.RECALL).count()
    assert activated_first == recalls  # each early activation was recalled, none happened twice

    for approved, by, _ in pairs:
        services.step_decide(
            step=approved, by=by, outcome="approve", reasons="Again.", now=timezone.now()
        )
    deliver_all()
    deliver_all()
    for successor in successors:
        successor.refresh_from_db()
        assert successor.status == Step.Status.QUEUED
        live = Handoff.objects.filter(
            step=successor, kind=Handoff.Kind.ACTIVATE, superseded_at__isnull=True
        )
        assert live.count() == 1
    assert sum(_queued_events(s) for s in successors) == activated_first + 20


def test_two_transfers_of_one_case_at_once_move_it_once():
    journey = submitted_journey(journey_type(parallel=2, chain=1))
    step = journey.steps.get(step_type__key="parallel-1")
    from tests.factories import deliver_all
    from tests.journey_types import make_test_units

    units = make_test_units("office-north", "office-south")
    worker = make_caseworker(step.unit)
    results = run_together(
        [
            lambda u=unit: services.step_transfer(
                step=step,
                to=u,
                by=worker,
                reason="Wrong office.",
                expected_version=step.version,
                now=timezone.now(),
            )
            for unit in units.values()
        ]
    )
    assert sum(isinstance(r, Step) for r in results) == 1
    assert sum(isinstance(r, services.StepChanged) for r in results) == 1
    deliver_all()
    step.refresh_from_db()
    assert step.status == Step.Status.QUEUED and step.unit.slug in units
    live = Handoff.objects.filter(step=step, kind=Handoff.Kind.ACTIVATE, superseded_at=None)
    assert live.count() == 1 and live.get().unit == step.unit
    assert journey.events.filter(kind="step_transferred").count() == 1


def test_two_send_backs_of_one_case_at_once_reopen_the_earlier_step_once():
    from tests.factories import deliver_all

    journey = submitted_journey(journey_type(parallel=1, chain=1))
    decide(journey.steps.get(step_type__key="parallel-1"))
    deliver_all()
    successor = journey.steps.get(step_type__key="chain-1")
    worker = make_caseworker(successor.unit)
    successor = services.step_claim(step=successor, by=worker, now=timezone.now())
    earlier = journey.steps.get(step_type__key="parallel-1")
    results = run_together(
        [
            lambda: services.step_send_back(
                step=successor,
                to=earlier,
                by=worker,
                reason="Amend the permit first.",
                expected_version=successor.version,
                now=timezone.now(),
            )
        ]
        * 2
    )
    assert sum(isinstance(r, Step) for r in results) == 1
    assert sum(isinstance(r, services.StepChanged) for r in results) == 1
    assert journey.events.filter(kind="step_sent_back").count() == 1
    earlier.refresh_from_db()
    assert earlier.status == Step.Status.QUEUED
