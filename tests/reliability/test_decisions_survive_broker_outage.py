"""100 decisions posted through the web (the live server, as a caseworker's browser would: the
case page, its CSRF token and version, the decision form) while the test's own broker (a Redis
server, or a RabbitMQ node) is killed for two minutes and later frozen (SIGSTOP) for 30 s. A
real worker and the real outbox relay (`manage.py outbox_relay`, which also runs the sweeps on
their real clock) run throughout and are never restarted. Every figure is counted afterwards:
from the database (steps activated, handoffs delivered, e-mails marked sent) and from the files
the worker's mail backend wrote."""

import statistics
import time

import pytest
from django.conf import settings
from django.utils import timezone

from journeys.models import Handoff, JourneyEvent, OutgoingEmail
from tests.reliability.faults import (
    RELAY_ENV,
    CaseworkerBrowser,
    mail_subjects,
    permits_in_progress,
    relay_rounds,
)
from tests.workers import RelayProcess, wait_for

OUTAGE_SECONDS = 120
FREEZE_SECONDS = 30


@pytest.mark.timeout(900)
@pytest.mark.broker_faults
def test_100_decisions_posted_through_the_web_while_the_broker_is_killed_then_frozen(
    broker, own_broker, start_worker, live_server, cafe, record_figures, tmp_path
):
    # 100 café applications whose building permit is in progress with a caseworker of Urban
    # Planning; approving it makes the food-business registration ready in Environment & Health,
    # whose one member is told of each new case by e-mail. The setup's e-mails are sent
    # in-process and its messages dropped: the run starts from an empty broker.
    caseworker, steps = permits_in_progress(cafe, 100, own_broker)

    worker = start_worker(concurrency=2)
    relay = RelayProcess(tmp_path / "relay.log", broker_url=own_broker.url, env=RELAY_ENV).start()
    worker_pid, relay_pid = worker.process.pid, relay.process.pid
    browser = CaseworkerBrowser(live_server.url, caseworker)
    started_at = timezone.now()
    posts: list[tuple[str, int, float]] = []
    pending = iter(steps)

    def post(phase: str, count: int, over_seconds: float = 0.0) -> None:
        for _ in range(count):
            status, took = browser.decide(next(pending))
            posts.append((phase, status, took))
            time.sleep(over_seconds / count)

    try:
        post("broker up", 15, 3)
        own_broker.kill()
        outage_started = time.monotonic()
        post("broker killed", 45, OUTAGE_SECONDS - 5)
        time.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - outage_started)))
        outage = time.monotonic() - outage_started
        own_broker.start()  # Redis empty (what it held is gone), RabbitMQ with what it stored
        post("broker back", 10, 5)
        own_broker.freeze()
        freeze_started = time.monotonic()
        post("broker frozen", 20, FREEZE_SECONDS - 3)
        time.sleep(max(0.0, FREEZE_SECONDS - (time.monotonic() - freeze_started)))
        freeze = time.monotonic() - freeze_started
        own_broker.thaw()
        post("broker thawed", 10, 3)

        successors = Handoff.objects.filter(
            step__journey__in=[s.journey_id for s in steps], created_at__gte=started_at
        )
        emails = OutgoingEmail.objects.filter(
            journey__in=[s.journey_id for s in steps], created_at__gte=started_at
        )

        def all_delivered() -> bool:  # a unit's notice is written as its step is queued
            return (
                successors.count() == 100
                and not successors.filter(delivered_at__isnull=True).exists()
                and not emails.filter(sent_at__isnull=True).exists()
            )

        wait_for(all_delivered, 240, "every handoff and e-mail after the faults", worker)
        time.sleep(3)  # anything still queued twice would run now
        relay_alive = relay.process.poll() is None and relay.process.pid == relay_pid
    finally:
        relay.stop()

    # Counted afterwards, from the database and the mail files.
    latencies = sorted(took for _, _, took in posts)
    statuses = {}
    for _, status, _ in posts:
        statuses[status] = statuses.get(status, 0) + 1
    activations = {}
    for step_id in JourneyEvent.objects.filter(
        kind=JourneyEvent.Kind.STEP_QUEUED, step__handoffs__in=successors
    ).values_list("step_id", flat=True):
        activations[step_id] = activations.get(step_id, 0) + 1
    delays = [
        (h.step.activated_at - h.created_at).total_seconds()
        for h in successors.select_related("step")
    ]
    email_delays = [(e.sent_at - e.created_at).total_seconds() for e in emails]
    subjects = mail_subjects(worker.mail_dir)
    per_journey = {}
    for row in emails.select_related("journey"):
        per_journey.setdefault(row.journey.reference, 0)
        per_journey[row.journey.reference] += 1
    mailed = {ref: sum(ref in subject for subject in subjects) for ref in per_journey}
    figures = {
        "decisions_posted": len(posts),
        "post_statuses": statuses,
        "post_latency_max_s": round(latencies[-1], 3),
        "post_latency_p99_s": round(latencies[int(0.99 * (len(latencies) - 1))], 3),
        "post_latency_median_s": round(statistics.median(latencies), 3),
        "post_latency_max_during_freeze_s": round(
            max(t for phase, _, t in posts if phase == "broker frozen"), 3
        ),
        "broker_outage_s": round(outage),
        "broker_freeze_s": round(freeze),
        "worker_reconnects": worker.output().count("Connected to ") - 1,
        "worker_restarted": worker.process.pid != worker_pid or worker.process.poll() is not None,
        "relay_alive_throughout": relay_alive,
        "handoffs": successors.count(),
        "handoffs_delivered": successors.filter(delivered_at__isnull=False).count(),
        "steps_activated_once": sum(1 for n in activations.values() if n == 1),
        "steps_activated_twice": sum(1 for n in activations.values() if n > 1),
        "handoff_publishes": sum(successors.values_list("publish_count", flat=True)),
        "handoffs_published_more_than_once": successors.filter(publish_count__gt=1).count(),
        "email_publishes": sum(emails.values_list("publish_count", flat=True)),
        **relay_rounds(relay.output()),
        "worst_handoff_delay_s": round(max(delays), 1),
        "emails": emails.count(),
        "emails_marked_sent": emails.filter(sent_at__isnull=False).count(),
        "emails_in_mail_files": sum(mailed.values()),
        "emails_sent_twice": sum(1 for ref, n in mailed.items() if n > per_journey[ref]),
        "emails_never_sent": sum(1 for ref, n in mailed.items() if n < per_journey[ref]),
        "worst_email_delay_s": round(max(email_delays), 1),
    }
    record_figures(figures)
    assert statuses == {302: 100}, posts
    assert figures["post_latency_max_s"] < 1.0, posts
    assert not figures["worker_restarted"] and figures["worker_reconnects"] >= 1
    assert relay_alive
    assert figures["handoffs"] == figures["handoffs_delivered"] == 100
    assert figures["steps_activated_once"] == 100 and figures["steps_activated_twice"] == 0
    assert set(successors.values_list("attempts", flat=True)) == {1}
    assert figures["emails"] == figures["emails_marked_sent"] == figures["emails_in_mail_files"]
    assert figures["emails_sent_twice"] == figures["emails_never_sent"] == 0
    # The faults landed: publishes after commit failed, and the relay published those rows.
    # (Whether Redis held undelivered messages when killed depends on timing: "swept" says.)
    assert figures["relayed"] > 0
    assert settings.OUTBOX_PUBLISH_TIMEOUT_SECONDS < 1
