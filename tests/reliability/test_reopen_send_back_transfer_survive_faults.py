"""Reopening, sending back and transferring stay exactly-once under faults, with real workers and
the real relay: a superseded handoff published twice to two workers changes nothing, a transfer
whose activation is killed mid-task arrives once, and every figure is counted from the database
after the run (reliability.md, "Reopen, send back and transfer")."""

import threading
import time

import pytest
from django.db import connection
from django.utils import timezone

from journeys import services
from journeys.models import Handoff, JourneyEvent, Step
from journeys.services.handoffs import handoffs_publish
from tests.factories import make_caseworker
from tests.reliability.faults import (
    broker_idle,
    catch_an_activation,
    decide_in_process,
    kill_and_confirm,
    permits_in_progress,
    task_runs,
)
from tests.workers import wait_for

HANDOFF_TASK = "journeys.tasks.handoff_deliver"


def _food_steps(steps):
    return Step.objects.filter(
        journey__in=[s.journey_id for s in steps], step_type__key="food-registration"
    )


def _activations(step_ids, since) -> dict[int, int]:
    counts = dict.fromkeys(step_ids, 0)
    for step_id in JourneyEvent.objects.filter(
        kind=JourneyEvent.Kind.STEP_QUEUED, step_id__in=step_ids, created_at__gte=since
    ).values_list("step_id", flat=True):
        counts[step_id] += 1
    return counts


@pytest.mark.timeout(500)
def test_reopened_decisions_handoffs_published_twice_to_two_workers_change_nothing(
    broker, own_broker, start_worker, start_relay, cafe, record_figures
):
    caseworker, steps = permits_in_progress(cafe, 60, own_broker)
    since = timezone.now()
    decide_in_process(steps, caseworker)  # no worker yet: 60 activations wait in the broker
    reopened = steps[:20]
    for step in reopened:
        services.step_reopen(
            step=Step.objects.get(pk=step.pk),
            by=caseworker,
            reason="The plan was the wrong one.",
            now=timezone.now(),
        )
    activations = Handoff.objects.filter(
        step__in=_food_steps(steps), kind=Handoff.Kind.ACTIVATE, created_at__gte=since
    )
    ids = list(activations.values_list("pk", flat=True))
    republished = handoffs_publish(ids, after_commit=False)  # every one a second time
    waiting = own_broker.backlog()["queued"]
    workers = [start_worker("first"), start_worker("second")]
    relay = start_relay()

    def both_copies_ran() -> bool:
        return all(r.get("SUCCESS") == 2 for r in task_runs(HANDOFF_TASK, ids).values())

    wait_for(both_copies_ran, 180, "both copies of every handoff", workers[0])
    wait_for(lambda: broker_idle(own_broker), 60, "every message consumed", workers[0])
    time.sleep(25)  # past the relay's grace period: a superseded handoff must not be swept

    # The reopened steps are decided again: their successors are handed on anew.
    again = timezone.now()
    decide_in_process(reopened, caseworker)
    fresh = Handoff.objects.filter(
        step__in=_food_steps(reopened), kind=Handoff.Kind.ACTIVATE, created_at__gte=again
    )
    wait_for(
        lambda: fresh.count() == 20 and not fresh.filter(delivered_at__isnull=True).exists(),
        120,
        "the new handoffs delivered",
        workers[0],
    )
    wait_for(lambda: broker_idle(own_broker), 60, "every message consumed", workers[0])
    time.sleep(2)

    food = {s.journey_id: s for s in _food_steps(steps)}
    counts = _activations([s.pk for s in food.values()], since)
    reopened_journeys = {s.journey_id for s in reopened}
    superseded = activations.filter(superseded_at__isnull=False)
    runs = task_runs(HANDOFF_TASK, ids)
    figures = {
        "decisions": 60,
        "reopened": len(reopened),
        "handoffs_published_twice": republished,
        "messages_waiting_when_the_workers_started": waiting,
        "superseded_handoffs": superseded.count(),
        "superseded_handoffs_delivered": superseded.filter(delivered_at__isnull=False).count(),
        "superseded_handoff_runs_that_changed_nothing": sum(
            runs[pk].get("SUCCESS", 0) for pk in superseded.values_list("pk", flat=True)
        ),
        "superseded_handoffs_published_by_the_relay": superseded.filter(
            publish_count__gt=2
        ).count(),
        "successors_activated_once": sum(1 for n in counts.values() if n == 1),
        "successors_activated_twice": sum(1 for n in counts.values() if n > 1),
        "successors_never_activated": sum(1 for n in counts.values() if n == 0),
        "reopened_successors_queued_after_the_new_decision": sum(
            1
            for journey_id, s in food.items()
            if journey_id in reopened_journeys and s.status == Step.Status.QUEUED
        ),
        "relay_output_lines": len(relay.output().splitlines()),
    }
    record_figures(figures)
    assert republished == 60
    assert figures["superseded_handoffs"] == 20
    assert figures["superseded_handoffs_delivered"] == 0
    assert figures["superseded_handoff_runs_that_changed_nothing"] == 40
    assert figures["superseded_handoffs_published_by_the_relay"] == 0
    assert figures["successors_activated_once"] == 60
    assert figures["successors_activated_twice"] == figures["successors_never_activated"] == 0
    assert figures["reopened_successors_queued_after_the_new_decision"] == 20


@pytest.mark.timeout(500)
def test_transfers_and_send_backs_with_a_worker_child_killed_mid_activation(
    broker, own_broker, start_worker, start_relay, hooks_dir, cafe, record_figures
):
    caseworker, steps = permits_in_progress(cafe, 40, own_broker)
    decide_in_process(steps, caseworker)
    worker = start_worker()
    relay = start_relay()
    food = _food_steps(steps)
    wait_for(
        lambda: food.filter(status=Step.Status.QUEUED).count() == 40,
        120,
        "the food registrations queued",
        worker,
    )
    receiving = cafe.steps.get(key="serving-licence").unit  # the wrong unit's neighbour
    food_worker = make_caseworker(food.first().unit)
    since = timezone.now()
    transferred = list(food.order_by("pk"))

    # Each transfer's activation arrives in the receiving unit's queue; one is killed mid-task
    # (the transfers go on meanwhile, as caseworkers' would).
    def transfer_all():
        try:
            for step in transferred:
                services.step_transfer(
                    step=step, to=receiving, by=food_worker, reason="Not ours.", now=timezone.now()
                )
                time.sleep(0.2)
        finally:
            connection.close()

    transfers = threading.Thread(target=transfer_all)
    transfers.start()
    evidence = catch_an_activation(hooks_dir, worker=worker)
    a_child = evidence["pid"] in worker.pool_children()
    proven = kill_and_confirm(evidence["pid"], evidence) and a_child
    transfers.join(120)
    moved = Step.objects.filter(pk__in=[s.pk for s in transferred])
    wait_for(
        lambda: moved.filter(status=Step.Status.QUEUED, unit=receiving).count() == 40,
        180,
        "every transfer received (the killed one swept back by the relay)",
        worker,
    )
    # The receiving unit sends half back to the building permit: the permit is queued again in
    # Urban Planning, the sending step waits for it; approved again, it is handed on once more.
    licence_worker = make_caseworker(receiving)
    sent_back = transferred[:20]
    for step in sent_back:
        claimed = services.step_claim(step=step, by=licence_worker, now=timezone.now())
        permit = Step.objects.get(journey_id=step.journey_id, step_type__key="building-permit")
        services.step_send_back(
            step=claimed,
            to=permit,
            by=licence_worker,
            reason="The building permit must be amended first.",
            now=timezone.now(),
        )
    permits = Step.objects.filter(
        journey__in=[s.journey_id for s in sent_back], step_type__key="building-permit"
    )
    for permit in permits:
        claimed = services.step_claim(step=permit, by=caseworker, now=timezone.now())
        services.step_decide(
            step=claimed, by=caseworker, outcome="approve", reasons="Amended.", now=timezone.now()
        )
    wait_for(
        lambda: moved.filter(status=Step.Status.QUEUED).count() == 40,
        120,
        "every sent-back step handed on again",
        worker,
    )
    wait_for(lambda: broker_idle(own_broker), 60, "every message consumed", worker)
    time.sleep(2)

    counts = _activations([s.pk for s in transferred], since)
    sent_back_ids = {s.pk for s in sent_back}
    live = Handoff.objects.filter(
        step__in=moved, kind=Handoff.Kind.ACTIVATE, superseded_at__isnull=True
    )
    figures = {
        "transfers": 40,
        "send_backs": len(sent_back),
        "kill_proven_mid_task": proven,
        "transferred_steps_in_the_receiving_unit": moved.filter(unit=receiving).count(),
        "activations_per_transferred_step": sorted(
            {n for pk, n in counts.items() if pk not in sent_back_ids}
        ),
        "activations_per_sent_back_step": sorted(
            {n for pk, n in counts.items() if pk in sent_back_ids}
        ),
        "live_activation_handoffs_per_step": sorted(
            {live.filter(step_id=s.pk).count() for s in transferred}
        ),
        "handoffs_undelivered": Handoff.objects.filter(step__in=moved).undelivered().count(),
        "permits_queued_by_send_back": JourneyEvent.objects.filter(
            kind=JourneyEvent.Kind.STEP_SENT_BACK, step__in=permits
        ).count(),
        **{"relay_output_lines": len(relay.output().splitlines())},
    }
    record_figures(figures)
    assert figures["kill_proven_mid_task"]
    assert figures["transferred_steps_in_the_receiving_unit"] == 40
    # Each transfer arrived once; each sent-back step once more after the new approval.
    assert figures["activations_per_transferred_step"] == [1]
    assert figures["activations_per_sent_back_step"] == [2]
    assert figures["live_activation_handoffs_per_step"] == [1]
    assert figures["handoffs_undelivered"] == 0
    assert figures["permits_queued_by_send_back"] == 20
