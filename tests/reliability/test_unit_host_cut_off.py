"""One unit's worker host cut off the network for two minutes while decisions go on elsewhere.

The portal runs on hosts of its own, network namespaces on one switch (tests/reliability/hosts.py):
PostgreSQL (a cluster of the test's own) and Redis on a host each; the web host serving the
portal with gunicorn; the jobs host running the outbox relay and the shared worker (the queues
of `manage.py unit_queues --except` the three units below); and one host for each of the three
offices the café's food registration goes to, by the premises' postcode, each running only
`celery worker -Q unit.<slug>`. Every process reaches PostgreSQL and Redis over the network.

The test is a caseworker of Urban Planning at a machine of their own on the same switch, who
approves building permits through the web host (the case page, its form, the POST), in turn for
the three offices: each approval hands the food registration to one office. Some decisions first,
then the South office's host is cut off (its port on the switch down) for two minutes while the
decisions go on, then a few more after the link is back. Counted from the database afterwards:
every office's handoffs delivered exactly once, the others' while the South office was cut off,
the South office's only after its link returned; and the e-mails exactly once.
"""

import contextlib
import io
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.db.models import QuerySet
from django.test.utils import override_settings
from django.utils import timezone

from journeys import services
from journeys.models import Handoff, Step
from tests.brokers import RedisServer
from tests.factories import (
    CAFE_ANSWERS,
    load_catalogue,
    make_caseworker,
    make_user,
    send_emails,
    submitted_journey,
)
from tests.reliability.faults import (
    CaseworkerBrowser,
    broker_idle,
    delivery_figures,
    everything_delivered,
    exactly_once,
    relay_rounds,
    successors,
    task_runs,
)
from tests.reliability.hosts import (
    Host,
    Network,
    PostgresServer,
    WebServer,
    database_at,
    namespaces_unavailable,
)
from tests.workers import (
    ROOT,
    TASK_RUNS_TABLE,
    RelayProcess,
    WorkerProcess,
    wait_for,
)
from units.models import Unit

pytestmark = pytest.mark.skipif(
    namespaces_unavailable() is not None, reason=namespaces_unavailable() or ""
)

# The food registration's office, chosen by the premises' postcode (open-a-cafe.yaml).
POSTCODES = {
    "environment-health-north": "114 55",
    "environment-health-south": "118 20",
    "environment-health": "164 40",
}
CUT_OFF = "environment-health-south"
CUT_SECONDS = 120
# Decisions per office: before the cut, during it (one every PACE seconds, all offices in
# turn), after the link is back.
BEFORE, DURING, AFTER = 5, 20, 5
PACE = 1.5
DATABASE = "portal"
HANDOFF_TASK = "journeys.tasks.handoff_deliver"


@dataclass
class Deployment:
    """The hosts, their servers, and the portal's processes on them (started by the test)."""

    network: Network
    postgres: PostgresServer
    broker: RedisServer
    folder: Path
    units: dict[str, Host]
    began: float  # when the fixture began to build the hosts (monotonic seconds)
    started: list = field(default_factory=list)

    @property
    def env(self) -> dict:
        web = self.network.hosts["web"]
        return {
            "DATABASE_URL": self.postgres.url(DATABASE),
            "CELERY_BROKER_URL": self.broker.url,
            "CACHE_URL": self.broker.url_of(1),  # web runs as several processes
            "SECRET_KEY": "test-only-secret-key",
            "DEBUG": "0",
            "SECURE_SSL_REDIRECT": "0",
            "SECURE_COOKIES": "0",
            "ALLOWED_HOSTS": web.address,
            "SITE_URL": f"http://{web.address}:8000",
            "STATIC_ROOT": str(self.folder / "static"),
            "DOCUMENTS_ROOT": str(self.folder / "documents"),
        }

    def start_web(self) -> WebServer:
        # The static files' manifest, as `collectstatic` writes it in production (without the
        # compressed copies, which take a minute to make and which no test reads).
        storages = {
            **settings.STORAGES,
            "staticfiles": {
                "BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"
            },
        }
        with override_settings(STATIC_ROOT=self.folder / "static", STORAGES=storages):
            call_command("collectstatic", interactive=False, verbosity=0)
        web = WebServer(self.network.hosts["web"], self.folder / "web.log", env=self.env)
        self.started.append(web)
        return web.start()

    def start_worker(self, host: Host, queues: str, concurrency: int) -> WorkerProcess:
        """Start a worker on `host` (the caller waits until it is ready)."""
        worker = WorkerProcess(
            queues.split(","),
            self.folder / f"worker-{host.name}.log",
            broker_url=self.broker.url,
            env={**self.env, "PGAPPNAME": f"worker-{host.name}"},
            concurrency=concurrency,
            hooks_dir=self.folder / "hooks",
            netns=host.netns,
        )
        self.started.append(worker)
        return worker.launch()

    def start_relay(self) -> RelayProcess:
        # Production's timing (grace 60 s, sweep every 30 s): the cut lasts longer than that.
        relay = RelayProcess(
            self.folder / "relay.log",
            broker_url=self.broker.url,
            env={**self.env, "HANDOFF_GRACE_SECONDS": "60", "HANDOFF_SWEEP_INTERVAL_SECONDS": "30"},
            netns=self.network.hosts["jobs"].netns,
        )
        self.started.append(relay)
        return relay.start()

    def queue_length(self, queue: str) -> int:
        return self.broker.queue_length(queue)

    def stop(self) -> None:
        """Stop every process, side by side (a worker's warm shutdown takes seconds)."""
        for started in self.started:
            if started.process and started.process.poll() is None:
                started.process.terminate()
        for started in reversed(self.started):
            if started.process:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    started.process.wait(timeout=20)
            started.stop()  # kills what is still running, closes the log


@pytest.fixture
def deployment(django_db_blocker, monkeypatch, tmp_path):
    """Build the hosts, start PostgreSQL and Redis on theirs, migrate the database from the web
    host, and point this process's database connection and publishing at them. Everything is
    stopped and removed afterwards, whatever happened."""
    began = time.monotonic()
    network = Network()
    servers = []
    try:
        network.build()
        db, broker = network.add_host("db"), network.add_host("broker")
        web = network.add_host("web")
        network.add_host("jobs")
        units = {slug: network.add_host(slug) for slug in POSTCODES}
        postgres = PostgresServer(db, tmp_path / "postgres.log")
        servers.append(postgres)
        postgres.start()
        own_redis = RedisServer(
            6379, tmp_path / "redis", address=broker.address, netns=broker.netns
        )
        servers.append(own_redis)
        own_redis.start()
        postgres.create_database(DATABASE)
        subprocess.run(
            web.command(sys.executable, "manage.py", "migrate", "--no-input", "-v0"),
            cwd=ROOT,
            env={**os.environ, "DATABASE_URL": postgres.url(DATABASE)},
            check=True,
        )
        # Publishing after commit in this process (the setup's) goes to the test's broker:
        # Celery lets CELERY_BROKER_URL in the environment win over the configuration.
        monkeypatch.setenv("CELERY_BROKER_URL", own_redis.url)
        found = Deployment(network, postgres, own_redis, tmp_path, units, began)
        with django_db_blocker.unblock(), database_at(postgres, DATABASE):
            try:
                yield found
            finally:
                found.stop()
    finally:
        for server in reversed(servers):
            server.stop()
        network.remove()


def permits_in_progress_by_office(cafe, broker: RedisServer) -> tuple:
    """For each office, BEFORE + DURING + AFTER café applications whose premises' postcode sends
    the food registration there, with the building permit claimed by one caseworker of Urban
    Planning; each office has one member, told of each new case by e-mail. The setup's own
    e-mails are sent in-process and its messages dropped from the broker."""
    permit = cafe.steps.get(key="building-permit")
    caseworker = make_caseworker(permit.unit)
    applicant = make_user()
    steps: dict[str, list[Step]] = {}
    for slug, postcode in POSTCODES.items():
        make_caseworker(Unit.objects.get(slug=slug))
        answers = {
            **CAFE_ANSWERS,
            "premises_postcode": postcode,
            "serves_alcohol": False,
            "outdoor_seating": False,
            "uses_lpg": False,
        }
        steps[slug] = [
            services.step_claim(
                step=submitted_journey(cafe, applicant, answers=answers).steps.get(
                    step_type=permit
                ),
                by=caseworker,
                now=timezone.now(),
            )
            for _ in range(BEFORE + DURING + AFTER)
        ]
    send_emails()
    broker.flush()
    return caseworker, steps


class Decisions:
    """The caseworker's decisions, the offices in turn; each POST's answer and time kept."""

    def __init__(self, browser: CaseworkerBrowser, steps: dict[str, list[Step]]):
        self.browser = browser
        self.pending = {slug: iter(unit_steps) for slug, unit_steps in steps.items()}
        self.posts: list[tuple[str, str, int, float]] = []  # phase, office, status, seconds

    def post(self, phase: str, rounds: int, pace: float = 0.0) -> None:
        for _ in range(rounds):
            for slug, pending in self.pending.items():
                started = time.monotonic()
                status, took = self.browser.decide(next(pending))
                self.posts.append((phase, slug, status, took))
                time.sleep(max(0.0, pace - (time.monotonic() - started)))


def handoffs_of(steps: list[Step], since) -> QuerySet[Handoff]:
    handoffs, _ = successors(steps, since)
    return handoffs


def seconds(delta) -> float:
    return round(delta.total_seconds(), 1)


@pytest.mark.timeout(900)
def test_a_unit_host_cut_off_for_two_minutes_gets_its_handoffs_after_and_the_others_keep_flowing(
    deployment, record_figures
):
    cafe = load_catalogue()["open-a-cafe"]
    caseworker, steps = permits_in_progress_by_office(cafe, deployment.broker)
    with connection.cursor() as cursor:  # each worker's task runs, as the workers record them
        cursor.execute(
            f"CREATE TABLE {TASK_RUNS_TABLE} (id bigserial PRIMARY KEY, task_id text, "
            "task_name text, arg bigint, pid integer, started_at timestamptz DEFAULT now(), "
            "finished_at timestamptz, state text)"
        )
    (deployment.folder / "hooks").mkdir()

    hosts = deployment.network.hosts
    web = deployment.start_web()
    shared = io.StringIO()
    call_command("unit_queues", *(f"--except={slug}" for slug in POSTCODES), stdout=shared)
    jobs = deployment.start_worker(hosts["jobs"], shared.getvalue().strip(), concurrency=2)
    workers = {
        slug: deployment.start_worker(host, f"unit.{slug}", concurrency=1)
        for slug, host in deployment.units.items()
    }
    relay = deployment.start_relay()
    for worker in [jobs, *workers.values()]:
        worker.ready()
    cut_host = deployment.units[CUT_OFF]
    others = [slug for slug in POSTCODES if slug != CUT_OFF]
    all_steps = [step for unit_steps in steps.values() for step in unit_steps]
    decisions = Decisions(CaseworkerBrowser(web.url, caseworker), steps)
    broker_address = (deployment.broker.address, deployment.broker.port)
    db_address = (deployment.postgres.host.address, 5432)

    started_at, setup = timezone.now(), time.monotonic() - deployment.began
    decisions.post("before", BEFORE, pace=0.5)
    wait_for(
        everything_delivered(all_steps, started_at, BEFORE * len(POSTCODES)),
        120,
        "the decisions before the cut delivered",
        workers[CUT_OFF],
    )

    deployment.network.cut(cut_host)
    cut_at, cut_clock = timezone.now(), time.monotonic()
    reachable_during = {
        "cut_off_host_reaches_broker": cut_host.reaches(*broker_address),
        "cut_off_host_reaches_database": cut_host.reaches(*db_address),
        "other_hosts_reach_broker_and_database": all(
            deployment.units[slug].reaches(*address)
            for slug in others
            for address in (broker_address, db_address)
        ),
        "cut_off_host_without_carrier": not cut_host.has_carrier(),
    }
    decisions.post("cut", DURING, pace=PACE)
    others_steps = [step for slug in others for step in steps[slug]]
    during_others = handoffs_of(others_steps, cut_at)
    wait_for(
        lambda: (
            during_others.count() == DURING * len(others)
            and not during_others.filter(delivered_at__isnull=True).exists()
        ),
        max(5.0, CUT_SECONDS - (time.monotonic() - cut_clock) - 2),
        "the other offices' handoffs delivered while the South office is cut off",
    )
    time.sleep(max(0.0, CUT_SECONDS - (time.monotonic() - cut_clock)))
    cut_off_queue = deployment.queue_length(f"unit.{CUT_OFF}")
    deployment.network.reconnect(cut_host)
    back_at, link_down = timezone.now(), time.monotonic() - cut_clock

    decisions.post("after", AFTER, pace=0.5)
    total = (BEFORE + DURING + AFTER) * len(POSTCODES)
    wait_for(
        everything_delivered(all_steps, started_at, total),
        300,
        "every handoff and e-mail after the link is back",
        workers[CUT_OFF],
    )
    wait_for(lambda: broker_idle(deployment.broker), 120, "every message consumed")
    time.sleep(3)  # a copy still on its way would run now

    # Counted afterwards, from the database and the mail files.
    per_office = {
        slug: delivery_figures(steps[slug], started_at, deployment.folder / "mail")
        for slug in POSTCODES
    }
    cut_off_handoffs = handoffs_of(steps[CUT_OFF], cut_at).filter(created_at__lt=back_at)
    others_handoffs = handoffs_of(others_steps, cut_at).filter(created_at__lt=back_at)
    others_delays = [
        (h.step.activated_at - h.created_at).total_seconds()
        for h in others_handoffs.select_related("step")
    ]
    all_cut_off = handoffs_of(steps[CUT_OFF], started_at)
    runs = task_runs(HANDOFF_TASK, list(all_cut_off.values_list("pk", flat=True)))
    latencies = sorted(took for *_, took in decisions.posts)
    statuses: dict[int, int] = {}
    for *_, status, _ in decisions.posts:
        statuses[status] = statuses.get(status, 0) + 1
    figures = {
        "hosts": f"{len(hosts)} network namespaces on one bridge",
        "setup_s": round(setup),  # hosts, servers, migrate, applications, processes
        "decisions_to_all_delivered_s": round(time.monotonic() - deployment.began - setup),
        "cut_off_office": CUT_OFF,
        "link_down_s": round(link_down),
        **reachable_during,
        "decisions_posted": len(decisions.posts),
        "post_statuses": statuses,
        "post_latency_median_s": round(statistics.median(latencies), 3),
        "post_latency_max_s": round(latencies[-1], 3),
        **{
            f"{slug}_handoffs_delivered_activated_once_twice": (
                f"{f['handoffs_delivered']} of {f['handoffs']}, "
                f"{f['steps_activated_once']}, {f['steps_activated_twice']}"
            )
            for slug, f in per_office.items()
        },
        "other_offices_handoffs_during_cut": others_handoffs.count(),
        "other_offices_delivered_during_cut": others_handoffs.filter(
            delivered_at__lt=back_at
        ).count(),
        "other_offices_delay_during_cut_median_s": round(statistics.median(others_delays), 2),
        "other_offices_delay_during_cut_max_s": round(max(others_delays), 2),
        "cut_off_handoffs_during_cut": cut_off_handoffs.count(),
        "cut_off_delivered_during_cut": cut_off_handoffs.filter(delivered_at__lt=back_at).count(),
        "cut_off_messages_waiting_at_reconnect": cut_off_queue,
        "cut_off_first_delivery_after_reconnect_s": seconds(
            min(h.delivered_at for h in cut_off_handoffs) - back_at
        ),
        "cut_off_last_delivery_after_reconnect_s": seconds(
            max(h.delivered_at for h in cut_off_handoffs) - back_at
        ),
        "cut_off_worst_delay_s": per_office[CUT_OFF]["worst_delay_decision_to_queued_s"],
        # kombu drops a BRPOP connection whose reply is overdue, and the worker connects again.
        "cut_off_worker_stale_connections_dropped": workers[CUT_OFF]
        .output()
        .count("dropping stale connection"),
        "cut_off_worker_restarted": workers[CUT_OFF].process.poll() is not None,
        "cut_off_handoffs_published_more_than_once": all_cut_off.filter(
            publish_count__gt=1
        ).count(),
        "cut_off_handoff_publishes": sum(all_cut_off.values_list("publish_count", flat=True)),
        "cut_off_handoff_runs": sum(sum(r.values()) for r in runs.values()),
        **relay_rounds(relay.output()),
        "emails_marked_sent_in_mail_files": " / ".join(
            str(sum(f[key] for f in per_office.values()))
            for key in ("emails", "emails_marked_sent", "emails_in_mail_files")
        ),
        "emails_sent_twice_never": " / ".join(
            str(sum(f[key] for f in per_office.values()))
            for key in ("emails_sent_twice", "emails_never_sent")
        ),
        "broker_left": deployment.broker.backlog(),
    }
    record_figures(figures)

    assert statuses == {302: total}, decisions.posts
    assert reachable_during == {
        "cut_off_host_reaches_broker": False,
        "cut_off_host_reaches_database": False,
        "other_hosts_reach_broker_and_database": True,
        "cut_off_host_without_carrier": True,
    }
    # The other offices' handoffs kept flowing: every one made during the cut was delivered
    # before the link came back.
    assert figures["other_offices_handoffs_during_cut"] == DURING * len(others)
    assert figures["other_offices_delivered_during_cut"] == DURING * len(others)
    # The South office's arrived only after its link came back, all of them.
    assert figures["cut_off_handoffs_during_cut"] == DURING
    assert figures["cut_off_delivered_during_cut"] == 0
    assert figures["cut_off_first_delivery_after_reconnect_s"] >= 0
    assert not figures["cut_off_worker_restarted"]
    # None lost, none twice, in every office; every e-mail sent once.
    for slug, office in per_office.items():
        assert office["decisions"] == BEFORE + DURING + AFTER, slug
        assert exactly_once(office), (slug, office)
