"""Nothing lost, nothing duplicated: the handoff under injected faults, with real processes."""

import os
import signal
import time

import pytest
from django.db import connection, transaction
from django.utils import timezone

from journeys import services
from journeys.models import FailedTask, Handoff, Step
from tests.factories import load_catalogue, make_user
from tests.reliability.faults import all_queued, delivery_figures, publish, sweep_now
from tests.workers import wait_for


def test_500_handoffs_with_a_worker_process_killed_every_50_tasks(
    broker, start_worker, pending_handoffs, record_figures
):
    worker = start_worker()
    handoffs = pending_handoffs(500)
    publish(handoffs)
    kills, next_kill = 0, 50
    deadline = time.monotonic() + 240
    while not all_queued(handoffs) and time.monotonic() < deadline:
        delivered = Step.objects.filter(
            pk__in=[h.step_id for h in handoffs], status=Step.Status.QUEUED
        ).count()
        if delivered >= next_kill and (children := worker.pool_children()):
            os.kill(children[0], signal.SIGKILL)
            kills += 1
            next_kill += 50
        time.sleep(0.05)
    swept = 0
    if not all_queued(handoffs):  # a message lost with a killed process: the sweep's turn
        swept = sweep_now()
        wait_for(lambda: all_queued(handoffs), 60, "the swept handoffs", worker)
    figures = delivery_figures(handoffs) | {"kills": kills, "republished_by_sweep": swept}
    record_figures(figures)
    assert kills >= 5
    assert figures["lost"] == 0 and figures["activated_twice"] == 0


def test_redis_killed_and_restarted_without_persistence_then_one_sweep(
    broker, own_redis, start_worker, pending_handoffs, record_figures
):
    worker = start_worker()
    handoffs = pending_handoffs(200)
    publish(handoffs)
    wait_for(
        lambda: (
            Step.objects.filter(
                pk__in=[h.step_id for h in handoffs], status=Step.Status.QUEUED
            ).count()
            >= 20
        ),
        60,
        "some deliveries",
        worker,
    )
    own_redis.kill()  # every message still queued in memory is gone
    delivered_before = Step.objects.filter(
        pk__in=[h.step_id for h in handoffs], status=Step.Status.QUEUED
    ).count()
    own_redis.start()
    time.sleep(3)  # the worker reconnects
    in_limbo_before_sweep = (
        len(handoffs)
        - Step.objects.filter(
            pk__in=[h.step_id for h in handoffs], status=Step.Status.QUEUED
        ).count()
    )
    republished = sweep_now()
    wait_for(lambda: all_queued(handoffs), 120, "every handoff after one sweep", worker)
    figures = delivery_figures(handoffs) | {
        "delivered_before_crash": delivered_before,
        "in_limbo_before_sweep": in_limbo_before_sweep,
        "republished_by_one_sweep": republished,
    }
    record_figures(figures)
    assert figures["lost"] == 0 and figures["activated_twice"] == 0


def test_the_workers_database_connection_terminated_repeatedly(
    broker, start_worker, pending_handoffs, record_figures
):
    worker = start_worker()
    handoffs = pending_handoffs(200)
    database = connection.settings_dict["NAME"]
    publish(handoffs)
    terminated = 0
    deadline = time.monotonic() + 180
    while not all_queued(handoffs) and time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                [database],
            )
            terminated += cursor.fetchone()[0]
        time.sleep(0.3)
    if not all_queued(handoffs):
        sweep_now()
        wait_for(lambda: all_queued(handoffs), 60, "every handoff", worker)
    retries = worker.output().count("Retry in")
    figures = delivery_figures(handoffs) | {
        "connections_terminated": terminated,
        "task_retries": retries,
    }
    record_figures(figures)
    assert terminated > 0
    assert figures["lost"] == 0 and figures["activated_twice"] == 0


def test_every_handoff_published_twice_to_two_workers(
    broker, start_worker, pending_handoffs, record_figures
):
    workers = [start_worker("first"), start_worker("second")]
    handoffs = pending_handoffs(100)
    publish(handoffs)
    publish(handoffs)
    wait_for(lambda: all_queued(handoffs), 120, "every handoff", workers[0])
    time.sleep(2)  # let the second copies run too
    runs = sum(w.output().count("handoff_deliver[") for w in workers) // 2
    figures = delivery_figures(handoffs) | {"task_runs": runs}
    record_figures(figures)
    assert figures["activated_twice"] == 0 and figures["lost"] == 0
    assert all(h.attempts == 1 for h in Handoff.objects.filter(pk__in=[h.pk for h in handoffs]))


def test_a_rolled_back_transaction_never_runs_its_handoff(
    broker, own_redis, start_worker, record_figures
):
    import redis

    catalogue = load_catalogue()
    worker = start_worker()
    applicant = make_user()
    journey = services.journey_start(
        journey_type=catalogue["open-a-cafe"], applicant=applicant, now=timezone.now()
    )
    services.journey_save_answers(journey=journey, answers={"uses_lpg": False})

    class Abandon(Exception):
        pass

    with pytest.raises(Abandon), transaction.atomic():
        services.journey_submit(journey=journey, by=applicant, language="en", now=timezone.now())
        assert Handoff.objects.filter(step__journey=journey).exists()
        raise Abandon
    time.sleep(3)
    queued_messages = sum(
        redis.Redis.from_url(own_redis.url).llen(key)
        for key in redis.Redis.from_url(own_redis.url).keys("unit.*")
    )
    runs = worker.output().count("handoff_deliver[")
    figures = {
        "handoff_rows": Handoff.objects.filter(step__journey=journey).count(),
        "messages_published": queued_messages,
        "task_runs": runs,
    }
    record_figures(figures)
    assert figures == {"handoff_rows": 0, "messages_published": 0, "task_runs": 0}


def test_a_task_that_always_fails_stops_at_its_cap_with_one_dead_letter(
    broker, start_worker, record_figures
):
    worker = start_worker(env={"CELERY_TASK_MAX_RETRIES": "2"})
    broker.send_task("journeys.tasks.always_fails", args=["drill"], queue="portal")
    wait_for(lambda: FailedTask.objects.exists(), 60, "the dead letter", worker)
    time.sleep(3)  # nothing more may happen after the cap
    figures = {
        "runs": sum(
            1
            for line in worker.output().splitlines()
            if "always_fails[" in line and "received" in line
        ),
        "retries": worker.output().count("Retry in"),
        "dead_letters": FailedTask.objects.count(),
    }
    record_figures(figures)
    dead = FailedTask.objects.get()
    assert dead.task_name == "journeys.tasks.always_fails" and dead.args == ["drill"]
    assert figures == {"runs": 3, "retries": 2, "dead_letters": 1}
