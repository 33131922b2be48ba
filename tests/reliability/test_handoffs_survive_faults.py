"""Nothing lost, nothing twice: real decisions under injected faults, with real processes.

The handoffs come from real decisions (posted through the live server, or made through the
service the decision form calls), the real outbox relay (`manage.py outbox_relay`) sweeps on its
real clock, and every figure is counted from the database afterwards (and from the files the
workers' mail backend wrote). Evidence that a fault landed where the test says comes from the
workers themselves (tests/reliability/worker_hooks.py): each task run is a row, and an armed
activation says, from inside its transaction, that it is there before the test kills it.
"""

import os
import signal
import time

import pytest
from django.db import connection, transaction
from django.utils import timezone

from journeys import services
from journeys.models import FailedTask, Handoff
from journeys.services.handoffs import handoffs_publish
from tests.factories import load_catalogue, make_user
from tests.reliability.faults import (
    RELAY_ENV,
    CaseworkerBrowser,
    DecisionsInBackground,
    backend_state,
    broker_idle,
    catch_an_activation,
    decide_in_process,
    delivery_figures,
    emails_all_sent,
    everything_delivered,
    exactly_once,
    handoffs_exactly_once,
    kill_and_confirm,
    permits_in_progress,
    process_alive,
    relay_rounds,
    successors,
    task_runs,
)
from tests.workers import wait_for

HANDOFF_TASK = "journeys.tasks.handoff_deliver"


def _delivered(steps, since) -> int:
    handoffs, _ = successors(steps, since)
    return handoffs.filter(delivered_at__isnull=False).count()


@pytest.mark.timeout(600)
def test_300_decisions_with_a_worker_child_killed_mid_task_every_30(
    broker,
    own_broker,
    start_worker,
    start_relay,
    hooks_dir,
    live_server,
    cafe,
    tmp_path,
    record_figures,
):
    caseworker, steps = permits_in_progress(cafe, 300, own_broker)
    worker = start_worker()
    relay = start_relay()
    since = timezone.now()
    decisions = DecisionsInBackground(CaseworkerBrowser(live_server.url, caseworker), steps)
    decisions.start()
    kills = []  # for each kill: the step whose activation was killed, if proven mid-task
    # Kills after 15, 45, ..., 285 deliveries: each waits until an activation is provably in
    # its transaction in a pool child, then SIGKILLs that child.
    for threshold in range(15, 300, 30):
        wait_for(lambda t=threshold: _delivered(steps, since) >= t, 240, f"{threshold} deliveries")
        evidence = catch_an_activation(hooks_dir, worker=worker)
        a_child = evidence["pid"] in worker.pool_children()
        proven = kill_and_confirm(evidence["pid"], evidence) and a_child
        kills.append(evidence["step_id"] if proven else None)
    decisions.join(300)
    wait_for(everything_delivered(steps, since, 300), 240, "every handoff and e-mail", worker)
    wait_for(lambda: broker_idle(own_broker), 60, "every message consumed", worker)

    figures = delivery_figures(steps, since, tmp_path / "mail")
    handoffs, _ = successors(steps, since)
    runs = task_runs(HANDOFF_TASK, list(handoffs.values_list("pk", flat=True)))
    killed_runs = {h.step_id: runs[h.pk] for h in handoffs.filter(step_id__in=kills)}
    figures |= {
        "posts_answered_302": decisions.statuses.get(302, 0),
        "kills": len(kills),
        "kills_proven_mid_task": sum(1 for step in kills if step),
        # The killed run is left unfinished in the worker's record; the same message ran again.
        "killed_tasks_run_again_and_succeeded": sum(
            1 for r in killed_runs.values() if r == {"unfinished": 1, "SUCCESS": 1}
        ),
        **relay_rounds(relay.output()),
    }
    record_figures(figures)
    assert decisions.statuses == {302: 300}
    assert figures["kills_proven_mid_task"] == figures["kills"] == 10
    assert figures["killed_tasks_run_again_and_succeeded"] == 10, killed_runs
    assert exactly_once(figures), figures


@pytest.mark.timeout(400)
@pytest.mark.every_broker_every_run  # RabbitMQ hands the message back at once (Redis: later)
def test_the_workers_main_process_killed_mid_task_then_a_new_worker_started(
    broker,
    own_broker,
    start_worker,
    start_relay,
    hooks_dir,
    live_server,
    cafe,
    tmp_path,
    record_figures,
):
    # Both workers use a visibility timeout of 25 s (production: 3600 s), and the relay a grace
    # period of 20 s (production: 60 s), so both ways a lost message comes back happen within
    # the test: the relay's sweep publishes the handoff again, and a worker that starts after the
    # visibility timeout restores the dead worker's unacknowledged messages.
    short = {"CELERY_VISIBILITY_TIMEOUT": "25", "CELERY_TASK_TIME_LIMIT": "20"}
    caseworker, steps = permits_in_progress(cafe, 60, own_broker)
    worker = start_worker("first", concurrency=1, env=short)
    relay = start_relay()
    since = timezone.now()
    decisions = DecisionsInBackground(
        CaseworkerBrowser(live_server.url, caseworker), steps, pause=0.3
    ).start()
    wait_for(lambda: _delivered(steps, since) >= 15, 120, "15 deliveries", worker)
    evidence = catch_an_activation(hooks_dir, worker=worker)
    child = evidence["pid"]
    was_a_child = child in worker.pool_children()
    os.kill(worker.process.pid, signal.SIGKILL)  # the main process: not the child
    killed_at = time.monotonic()
    worker.process.wait()
    wait_for(lambda: not process_alive(child), 30, "the child to die with its parent")
    wait_for(lambda: backend_state(evidence["backend_pid"]) is None, 30, "the rollback")
    left_in_broker = own_broker.backlog()
    requeued_after = None
    if own_broker.kind == "rabbitmq":
        # RabbitMQ puts back what a closed connection held (its counts lag a few seconds).
        wait_for(lambda: own_broker.backlog()["unacked"] == 0, 25, "the message put back")
        requeued_after = round(time.monotonic() - killed_at, 1)
    # A supervisor starts a new worker; this one is slow about it (30 s), past the visibility
    # timeout, so on Redis its first poll restores what the dead worker had taken.
    time.sleep(max(0.0, 30 - (time.monotonic() - killed_at)))
    waiting_for_the_new_worker = own_broker.backlog()["queued"]
    replacement = start_worker("replacement", concurrency=1, env=short)
    decisions.join(120)
    wait_for(everything_delivered(steps, since, 60), 120, "every delivery", replacement)
    wait_for(lambda: broker_idle(own_broker), 60, "every message consumed", replacement)
    time.sleep(2)  # a copy still running would finish now

    figures = delivery_figures(steps, since, tmp_path / "mail")
    handoffs, emails = successors(steps, since)
    runs = task_runs(HANDOFF_TASK, list(handoffs.values_list("pk", flat=True)))
    killed = handoffs.get(step_id=evidence["step_id"])
    figures |= {
        "posts_answered_302": decisions.statuses.get(302, 0),
        "kill_proven_mid_task": was_a_child
        and evidence["in_transaction"]
        and evidence["step_still_waiting"],
        "child_died_with_main_process": not process_alive(child),
        "messages_unacked_by_the_dead_worker": left_in_broker["unacked"],
        "rabbitmq_put_them_back_within_s": requeued_after,
        "messages_queued_when_the_new_worker_started": waiting_for_the_new_worker,
        # Its two ways back: the relay's sweep (a second publish) and the restore of the dead
        # worker's unacknowledged message (a run beyond the publishes).
        "killed_handoff_publishes": killed.publish_count,
        "killed_handoff_runs": runs[killed.pk],
        "handoff_copies_that_ran_and_changed_nothing": sum(
            r.get("SUCCESS", 0) - 1 for r in runs.values()
        ),
        "emails_published_more_than_once": emails.filter(publish_count__gt=1).count(),
        **relay_rounds(relay.output()),
    }
    record_figures(figures)
    assert figures["kill_proven_mid_task"] and figures["child_died_with_main_process"]
    assert decisions.statuses == {302: 60}
    # The dead worker's copy was in Redis, unacknowledged, until the visibility timeout (RabbitMQ
    # put it back before the new worker started, waited for above). At the end nothing is left:
    # it ran, as did the sweep's copy, after the killed run.
    if own_broker.kind == "redis":
        assert figures["messages_unacked_by_the_dead_worker"] >= 1
    assert runs[killed.pk] == {"unfinished": 1, "SUCCESS": 2} and killed.publish_count == 2
    assert exactly_once(figures), figures


@pytest.mark.broker_faults
def test_the_broker_killed_for_15_s_while_decisions_go_on(
    broker, own_broker, start_worker, start_relay, live_server, cafe, tmp_path, record_figures
):
    """Redis without persistence loses what it held: the relay's sweep publishes it again.
    RabbitMQ keeps a quorum queue's messages on disk (it confirmed each only once written): its
    relay here sweeps nothing within the test (a grace period of 10 minutes), so whatever was in
    the broker when it was killed is delivered from its disk after the restart."""
    caseworker, steps = permits_in_progress(cafe, 100, own_broker)
    since = timezone.now()
    # 60 decisions with no worker running: their messages wait in the broker.
    decide_in_process(steps[:60], caseworker)
    keeps_messages = own_broker.kind == "rabbitmq"
    relay = start_relay({**RELAY_ENV, "HANDOFF_GRACE_SECONDS": "600"} if keeps_messages else None)
    worker = start_worker()
    wait_for(lambda: _delivered(steps, since) >= 10, 60, "10 deliveries", worker)
    held = own_broker.backlog()
    own_broker.kill()  # SIGKILL: Redis's memory is gone; RabbitMQ's disk is not
    killed_at = time.monotonic()
    browser = CaseworkerBrowser(live_server.url, caseworker)
    during = DecisionsInBackground(browser, steps[60:85], pause=0.4).start()
    during.join(60)
    time.sleep(max(0.0, 15 - (time.monotonic() - killed_at)))
    outage = time.monotonic() - killed_at
    own_broker.start()  # the same node, or an empty Redis
    restarted = time.monotonic() - killed_at
    after = DecisionsInBackground(browser, steps[85:], pause=0.1).start()
    after.join(60)
    wait_for(everything_delivered(steps, since, 100), 180, "every delivery", worker)
    wait_for(lambda: broker_idle(own_broker), 60, "every message consumed", worker)

    figures = delivery_figures(steps, since, tmp_path / "mail")
    handoffs, emails = successors(steps, since)
    figures |= {
        "broker_outage_s": round(outage, 1),
        "broker_answering_again_after_s": round(restarted, 1),
        "messages_in_the_broker_when_killed": held["queued"] + held["unacked"],
        "posts_during_outage_answered_302": during.statuses.get(302, 0),
        "posts_after_answered_302": after.statuses.get(302, 0),
        "emails_published_more_than_once": emails.filter(publish_count__gt=1).count(),
        "worker_reconnected": worker.output().count("Connected to ") - 1,
        **relay_rounds(relay.output()),
    }
    record_figures(figures)
    assert figures["messages_in_the_broker_when_killed"] > 0
    assert during.statuses == {302: 25} and after.statuses == {302: 15}
    assert figures["relayed"] > 0  # the publishes that failed during the outage
    if keeps_messages:
        assert figures["swept"] == 0  # nothing was lost with the node: no sweep was needed
    else:
        assert figures["swept"] > 0  # what Redis lost
    assert exactly_once(figures), figures


def test_the_workers_database_connection_terminated_repeatedly(
    broker, own_broker, start_worker, start_relay, cafe, tmp_path, record_figures
):
    caseworker, steps = permits_in_progress(cafe, 100, own_broker)
    since = timezone.now()
    decide_in_process(steps, caseworker)  # no worker yet: the messages wait in the broker
    database = connection.settings_dict["NAME"]
    worker = start_worker()
    start_relay()
    terminated = 0
    deadline = time.monotonic() + 180
    done = everything_delivered(steps, since, 100)
    while not done() and time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                [database],
            )
            terminated += cursor.fetchone()[0]
        time.sleep(0.3)
    wait_for(lambda: broker_idle(own_broker), 60, "every message consumed", worker)
    figures = delivery_figures(steps, since, tmp_path / "mail") | {
        "connections_terminated": terminated,
        "task_retries": worker.output().count("Retry in"),
    }
    record_figures(figures)
    assert terminated > 0
    assert handoffs_exactly_once(figures), figures
    # An e-mail is marked sent in the transaction that sends it: a connection dropped after the
    # mail server took it and before the commit sends it again (reliability.md, "E-mails",
    # point 3). Lost: never. Twice: counted, not forbidden.
    assert emails_all_sent(figures), figures


def test_every_handoff_published_twice_to_two_workers(
    broker, own_broker, start_worker, cafe, tmp_path, record_figures
):
    caseworker, steps = permits_in_progress(cafe, 100, own_broker)
    since = timezone.now()
    decide_in_process(steps, caseworker)  # each handoff published once, after commit
    handoffs, _ = successors(steps, since)
    ids = list(handoffs.values_list("pk", flat=True))
    republished = handoffs_publish(ids, after_commit=False)  # and a second time, as the sweep does
    waiting = own_broker.backlog()["queued"]
    workers = [start_worker("first"), start_worker("second")]

    def both_copies_ran() -> bool:
        return all(r.get("SUCCESS") == 2 for r in task_runs(HANDOFF_TASK, ids).values())

    wait_for(both_copies_ran, 180, "both copies of every handoff", workers[0])
    wait_for(lambda: broker_idle(own_broker), 60, "every message consumed", workers[0])
    time.sleep(2)  # anything left would run now
    runs = task_runs(HANDOFF_TASK, ids)
    by_worker = {}
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(DISTINCT pid) FROM reliability_task_run")
        by_worker["processes_that_ran_tasks"] = cursor.fetchone()[0]
    figures = delivery_figures(steps, since, tmp_path / "mail") | {
        "messages_waiting_when_the_workers_started": waiting,
        "handoffs_published_twice": republished,
        "handoff_runs": sum(sum(r.values()) for r in runs.values()),
        "handoffs_whose_both_copies_ran": sum(1 for r in runs.values() if r == {"SUCCESS": 2}),
        **by_worker,
    }
    record_figures(figures)
    assert republished == 100 and figures["handoffs_whose_both_copies_ran"] == 100
    assert figures["handoffs_published_more_than_once"] == 100
    assert exactly_once(figures), figures


def test_a_rolled_back_transaction_never_runs_its_handoff(
    broker, own_broker, start_worker, record_figures
):
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
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM reliability_task_run")
        runs = cursor.fetchone()[0]
    figures = {
        "handoff_rows": Handoff.objects.filter(step__journey=journey).count(),
        "messages_published": sum(own_broker.backlog().values()),
        "task_runs": runs,
    }
    record_figures(figures)
    assert figures == {"handoff_rows": 0, "messages_published": 0, "task_runs": 0}, worker


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
