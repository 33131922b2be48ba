"""What the fault tests share: real decisions posted through the live server, the evidence that
a kill landed mid-task, and the figures, counted from the database (and the mail files) after
the run."""

import ast
import email
import json
import os
import re
import signal
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from email.header import decode_header, make_header
from pathlib import Path

from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from journeys import services
from journeys.models import Handoff, JourneyEvent, OutgoingEmail, Step
from tests.factories import make_caseworker, make_user, send_emails, submitted_journey
from tests.workers import TASK_RUNS_TABLE, wait_for

# The relay's sweep on its real clock, shortened so a message lost in the broker comes back
# within a test's time (production: HANDOFF_GRACE_SECONDS 60, HANDOFF_SWEEP_INTERVAL_SECONDS 30).
RELAY_ENV = {"HANDOFF_GRACE_SECONDS": "20", "HANDOFF_SWEEP_INTERVAL_SECONDS": "5"}


# Decisions ---------------------------------------------------------------------------------


def permits_in_progress(cafe, count: int, broker):
    """`count` café applications whose building permit is claimed by one caseworker of Urban
    Planning; approving one makes the food-business registration ready in Environment & Health,
    whose one member is told by e-mail. The setup's own e-mails are sent in-process and its
    messages dropped from the broker, so a run counts only what its decisions cause. Returns the
    caseworker and the steps."""
    permit = cafe.steps.get(key="building-permit")
    caseworker = make_caseworker(permit.unit)
    make_caseworker(cafe.steps.get(key="food-registration").unit)
    applicant = make_user()  # one, for all: hashing a password per journey doubled the setup
    steps = []
    for _ in range(count):
        step = submitted_journey(cafe, applicant).steps.get(step_type=permit)
        steps.append(services.step_claim(step=step, by=caseworker, now=timezone.now()))
    send_emails()
    broker.flush()
    return caseworker, steps


def decide_in_process(steps: list[Step], caseworker) -> None:
    """Approve each step through the service the decision form calls (publishing after commit)."""
    for step in steps:
        services.step_decide(
            step=Step.objects.get(pk=step.pk),
            by=caseworker,
            outcome="approve",
            reasons="The plan allows a café here.",
            now=timezone.now(),
        )


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class CaseworkerBrowser:
    """A caseworker's browser without a screen: cookies, the case page, the decision form."""

    def __init__(self, base_url: str, user):
        self.base_url = base_url
        client = Client()
        client.force_login(user)  # the sign-in form is another test's subject
        self.cookies = {name: morsel.value for name, morsel in client.cookies.items()}
        self.opener = urllib.request.build_opener(_NoRedirects)

    def _open(self, path: str, data: dict | None = None):
        request = urllib.request.Request(
            self.base_url + path,
            data=urllib.parse.urlencode(data).encode() if data is not None else None,
            headers={"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())},
        )
        try:
            response = self.opener.open(request)
        except urllib.error.HTTPError as answer:  # a redirect (not followed) or an error
            response = answer
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response

    def decide(self, step: Step) -> tuple[int, float]:
        """Open the case, fill in the decision form and post it. Returns the POST's status and
        how long it took (the page's GET is not timed)."""
        page = self._open(reverse("casework:case", args=[step.pk]))
        html = page.read().decode()
        assert page.status == 200, (page.status, page.headers.get("Location"))
        action = reverse("casework:decide", args=[step.pk])
        form = html[html.index(f'action="{action}"') :]
        form = form[: form.index("</form>")]
        fields = {
            "csrfmiddlewaretoken": re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form)[
                1
            ],
            "version": re.search(r'name="version" value="(\d+)"', form)[1],
            "outcome": "approve",
            "reasons": "The plan allows a café here.",
        }
        started = time.monotonic()
        response = self._open(action, fields)
        took = time.monotonic() - started
        response.read()
        return response.status, took


class DecisionsInBackground:
    """Post decisions through the browser from a thread of their own, so the test can inject
    faults meanwhile. `statuses` counts the POSTs' answers."""

    def __init__(self, browser: CaseworkerBrowser, steps: list[Step], pause: float = 0.0):
        self.browser, self.steps, self.pause = browser, steps, pause
        self.statuses: dict[int, int] = {}
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            for step in self.steps:
                status, _ = self.browser.decide(step)
                self.statuses[status] = self.statuses.get(status, 0) + 1
                time.sleep(self.pause)
        except BaseException as error:  # shown by the test, not lost in the thread
            self.error = error

    def start(self) -> "DecisionsInBackground":
        self.thread.start()
        return self

    @property
    def posted(self) -> int:
        return sum(self.statuses.values())

    def done(self) -> bool:
        if self.error:
            raise self.error
        return not self.thread.is_alive()

    def join(self, timeout: float) -> None:
        self.thread.join(timeout)
        assert self.done(), "the decisions did not finish in time"


# Kills that land mid-task ------------------------------------------------------------------


def backend_state(backend_pid: int) -> str | None:
    """What PostgreSQL says the backend is doing ('idle in transaction', ...), or None if gone."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT state FROM pg_stat_activity WHERE pid = %s", [backend_pid])
        row = cursor.fetchone()
    return row[0] if row else None


def catch_an_activation(hooks_dir: Path, timeout: float = 60, worker=None) -> dict:
    """Arm the worker's hook and wait until an activation holds it: inside its transaction, after
    the step's UPDATE and before the commit. Returns that evidence, checked against PostgreSQL
    (the backend is idle in an open transaction; from outside, the step is still waiting)."""
    seen = set(hooks_dir.glob("started-*.json"))
    (hooks_dir / "arm").touch()
    found: list[Path] = []

    def started() -> bool:
        found[:] = sorted(set(hooks_dir.glob("started-*.json")) - seen)
        return bool(found)

    wait_for(started, timeout, "an activation to take the armed hook", worker)
    evidence = json.loads(found[0].read_text())
    evidence["in_transaction"] = backend_state(evidence["backend_pid"]) == "idle in transaction"
    evidence["step_still_waiting"] = (
        Step.objects.get(pk=evidence["step_id"]).status == Step.Status.WAITING
    )
    evidence["file"] = found[0]
    return evidence


def kill_and_confirm(pid: int, evidence: dict) -> bool:
    """SIGKILL `pid`; True once the activation's backend is gone (PostgreSQL rolled it back)
    without the step's UPDATE having been committed by it."""
    os.kill(pid, signal.SIGKILL)
    wait_for(lambda: backend_state(evidence["backend_pid"]) is None, 30, "the backend to go")
    evidence["file"].rename(evidence["file"].with_suffix(".killed"))
    return evidence["in_transaction"] and evidence["step_still_waiting"]


def process_alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status  # a zombie has finished


# The broker --------------------------------------------------------------------------------


def broker_idle(broker) -> bool:
    """No message waiting in the broker's queues, and none taken but not acknowledged."""
    return broker.backlog() == {"queued": 0, "unacked": 0}


def relay_rounds(log: str) -> dict:
    """What the relay says it published: rows never published, and rows swept past the grace."""
    totals = {"relayed": 0, "swept": 0}
    for line in log.splitlines():
        if line.startswith("outbox relay: {"):
            counts = ast.literal_eval(line.removeprefix("outbox relay: "))
            totals["relayed"] += counts["handoffs_relayed"] + counts["emails_relayed"]
            totals["swept"] += counts.get("handoffs_swept", 0) + counts.get("emails_swept", 0)
    return totals


# Counting afterwards ---------------------------------------------------------------------------


def mail_subjects(folder: Path) -> list[str]:
    """The subject of every message the workers' file-based mail backend wrote."""
    subjects = []
    for path in sorted(folder.iterdir()) if folder.exists() else []:
        for text in path.read_text().split("-" * 79):
            if "Message-ID:" in text:
                message = email.message_from_string(text.strip())
                subjects.append(str(make_header(decode_header(message["Subject"]))))
    return subjects


def successors(steps: list[Step], since) -> tuple:
    """The handoffs and e-mails the decisions on these steps caused (made at or after `since`)."""
    journeys = [s.journey_id for s in steps]
    return (
        Handoff.objects.filter(step__journey__in=journeys, created_at__gte=since),
        OutgoingEmail.objects.filter(journey__in=journeys, created_at__gte=since),
    )


def everything_delivered(steps: list[Step], since, expected: int):
    def done() -> bool:  # a unit's notice is written as its step is queued
        handoffs, emails = successors(steps, since)
        return (
            handoffs.count() == expected
            and not handoffs.filter(delivered_at__isnull=True).exists()
            and not emails.filter(sent_at__isnull=True).exists()
        )

    return done


def delivery_figures(steps: list[Step], since, mail_dir: Path) -> dict:
    """Counted from the database and the mail files: every successor activated exactly once,
    every e-mail sent exactly once, and the worst delay from decision to successor queued."""
    handoffs, emails = successors(steps, since)
    activations: dict[int, int] = {}
    for step_id in JourneyEvent.objects.filter(
        kind=JourneyEvent.Kind.STEP_QUEUED, step__handoffs__in=handoffs
    ).values_list("step_id", flat=True):
        activations[step_id] = activations.get(step_id, 0) + 1
    delays = [
        (h.step.activated_at - h.created_at).total_seconds()
        for h in handoffs.select_related("step")
        if h.step.activated_at
    ]
    subjects = mail_subjects(mail_dir)
    per_journey: dict[str, int] = {}
    for reference in emails.values_list("journey__reference", flat=True):
        per_journey[reference] = per_journey.get(reference, 0) + 1
    mailed = {ref: sum(ref in subject for subject in subjects) for ref in per_journey}
    return {
        "decisions": len(steps),
        "handoffs": handoffs.count(),
        "handoffs_delivered": handoffs.filter(delivered_at__isnull=False).count(),
        "steps_activated_once": sum(1 for n in activations.values() if n == 1),
        "steps_activated_twice": sum(1 for n in activations.values() if n > 1),
        "steps_never_activated": handoffs.filter(step__status=Step.Status.WAITING).count(),
        "handoffs_delivered_in_more_than_one_attempt": handoffs.exclude(attempts=1).count(),
        "handoffs_published_more_than_once": handoffs.filter(publish_count__gt=1).count(),
        "worst_delay_decision_to_queued_s": round(max(delays, default=0), 1),
        "emails": emails.count(),
        "emails_marked_sent": emails.filter(sent_at__isnull=False).count(),
        "emails_in_mail_files": sum(mailed.values()),
        "emails_sent_twice": sum(1 for ref, n in mailed.items() if n > per_journey[ref]),
        "emails_never_sent": sum(1 for ref, n in mailed.items() if n < per_journey[ref]),
    }


def handoffs_exactly_once(figures: dict) -> bool:
    """Every decision's successor activated once, in the one delivery that counts."""
    return (
        figures["handoffs"] == figures["handoffs_delivered"] == figures["decisions"]
        and figures["steps_activated_once"] == figures["decisions"]
        and figures["steps_activated_twice"] == figures["steps_never_activated"] == 0
        and figures["handoffs_delivered_in_more_than_one_attempt"] == 0
    )


def emails_all_sent(figures: dict) -> bool:
    """Every e-mail marked sent and in the mail files, none lost."""
    return (
        figures["emails"] == figures["emails_marked_sent"]
        and figures["emails_in_mail_files"] >= figures["emails"]
        and figures["emails_never_sent"] == 0
    )


def exactly_once(figures: dict) -> bool:
    return (
        handoffs_exactly_once(figures)
        and emails_all_sent(figures)
        and figures["emails_in_mail_files"] == figures["emails"]
        and figures["emails_sent_twice"] == 0
    )


def task_runs(task_name: str, args: list[int]) -> dict[int, dict[str, int]]:
    """Per argument (a handoff's or e-mail's id): how the worker's runs of the task ended, as the
    worker recorded them ('SUCCESS', 'RETRY', ..., and 'unfinished' for a run killed midway)."""
    runs: dict[int, dict[str, int]] = {arg: {} for arg in args}
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT arg, coalesce(state, 'unfinished'), count(*) FROM {TASK_RUNS_TABLE} "
            "WHERE task_name = %s AND arg = ANY(%s) GROUP BY 1, 2",
            [task_name, list(args)],
        )
        for arg, state, count in cursor.fetchall():
            runs[arg][state] = count
    return runs
