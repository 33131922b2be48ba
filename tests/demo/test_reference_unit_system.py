"""The reference client (demo/reference_system.py, `manage.py reference_unit_system`): an outside
system that checks every event's signature with `standardwebhooks`, answers the handshake that
registers its subscription, and takes and approves its unit's steps through the real API."""

import base64
import datetime as dt
import http.server
import json
import os
import secrets
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import requests
from django.urls import resolve
from django.utils import timezone
from standardwebhooks import Webhook

from api.clients import api_client_create
from api.events import cloud_event_body, published_events
from demo.reference_credentials import credentials_read, credentials_write
from demo.reference_system import Config, ReferenceSystem
from journeys.models import JourneyEvent, Step
from tests.factories import submitted_journey
from tests.journey_types import journey_type, unit_for
from tests.workers import WorkerProcess, database_url, wait_for
from units.models import Unit

ROOT = Path(__file__).resolve().parent.parent.parent
SECRET = "whsec_" + base64.b64encode(b"a reference secret for tests!").decode()
REASONS = "Registered for F-tax and VAT by the Tax Agency's own system."


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def signed(body: bytes, secret: str = SECRET, webhook_id: str | None = None) -> dict:
    """Standard Webhooks headers for `body`, as the portal signs a delivery."""
    webhook_id = webhook_id or f"msg_{secrets.token_hex(8)}"
    now = dt.datetime.now(dt.UTC)
    return {
        "content-type": "application/cloudevents+json",
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(secret).sign(webhook_id, now, body.decode()),
    }


def cloud_event(kind: str, data: dict) -> bytes:
    return json.dumps(
        {
            "specversion": "1.0",
            "id": f"event-{secrets.token_hex(4)}",
            "source": "https://portal.example.org/api/v1",
            "type": kind,
            "data": data,
        }
    ).encode()


class ReferenceProcess:
    """`manage.py reference_unit_system` as its own process, its log in a file."""

    def __init__(self, tmp_path: Path, *args: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/events/"
        self.log_path = tmp_path / "reference.log"
        self.args = ["--listen", f"127.0.0.1:{self.port}", *args]

    def start(self) -> "ReferenceProcess":
        env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "SECRET_KEY": "test-only-secret-key",
            "DEBUG": "0",
            "PYTHONUNBUFFERED": "1",
        }
        self.log = self.log_path.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "reference_unit_system", *self.args],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        wait_for(lambda: "listening for events" in self.output(), 60, "the reference client", self)
        return self

    def output(self) -> str:
        return self.log_path.read_text()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


@pytest.fixture
def reference(tmp_path):
    started = []

    def start(*args: str) -> ReferenceProcess:
        process = ReferenceProcess(tmp_path, *args).start()
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()


def test_unsigned_and_badly_signed_events_are_refused(tmp_path, reference):
    """No portal needed: the client starts without subscribing, with the secret of the
    subscription its credentials file keeps."""
    credentials = tmp_path / "reference-client.json"
    credentials_write(
        credentials, {"client_id": "id", "client_secret": "s", "webhook_secret": SECRET}
    )
    client = reference(
        "--no-subscribe", "--credentials", str(credentials), "--portal", "http://127.0.0.1:9"
    )
    body = cloud_event("step.taken", {"step": {"id": 1}})

    def post(data: bytes, headers: dict) -> int:
        return requests.post(client.url, data=data, headers=headers, timeout=10).status_code

    assert post(body, {"content-type": "application/cloudevents+json"}) == 401  # unsigned
    other_secret = "whsec_" + base64.b64encode(b"somebody else's secret, 32 b").decode()
    assert post(body, signed(body, other_secret)) == 401
    assert post(body + b" ", signed(body)) == 401  # the body changed after signing
    assert post(body, {**signed(body), "webhook-signature": "v1,not-base64!"}) == 401
    assert post(body, {**signed(body), "webhook-signature": "garbage"}) == 401
    stale = signed(body)
    stale["webhook-timestamp"] = str(int(stale["webhook-timestamp"]) - 3600)
    assert post(body, stale) == 401  # an old message replayed
    assert post(body, signed(body)) == 204  # the same event, signed: taken in
    assert client.output().count("event refused") == 6


@pytest.fixture
def external_step(transactional_db):
    """A journey whose first step is queued in a unit that works in its own system, and that
    unit's API client."""
    kind = journey_type(parallel=1, chain=1, deadline_days=20)
    unit = Unit.objects.get(slug=unit_for("parallel-1"))
    unit.works_in_own_system = True
    unit.save(update_fields=["works_in_own_system"])
    client, secret = api_client_create(name="Unit system", unit=unit, now=timezone.now())
    journey = submitted_journey(kind)
    step = journey.steps.get(step_type__key="parallel-1")
    assert step.status == Step.Status.QUEUED
    return step, client, secret


def test_a_signed_step_queued_is_taken_and_approved_through_the_api(
    live_server, tmp_path, reference, external_step
):
    """The event the portal publishes for the step, signed, posted to the running client: it
    gets a token by client credentials, takes the step, and approves it with If-Match."""
    step, client, secret = external_step
    credentials = tmp_path / "reference-client.json"
    credentials_write(
        credentials,
        {
            "client_id": client.application.client_id,
            "client_secret": secret,
            "unit": step.unit.slug,
            "webhook_secret": SECRET,
        },
    )
    system = reference(
        "--no-subscribe", "--credentials", str(credentials), "--portal", live_server.url
    )
    wait_for(lambda: "got an access token" in system.output(), 30, "a token", system)
    queued = published_events().get(step=step, kind=JourneyEvent.Kind.STEP_QUEUED)
    body = cloud_event_body(queued)
    headers = signed(body)
    assert requests.post(system.url, data=body, headers=headers, timeout=10).status_code == 202

    def approved() -> bool:
        step.refresh_from_db()
        return step.status == Step.Status.APPROVED

    wait_for(approved, 30, "the step to be approved", system)
    assert step.assignee_id == client.user_id
    assert step.reasons == REASONS
    assert step.journey.steps.get(step_type__key="chain-1").handoffs.exists()  # handed on
    # The same delivery again (the portal repeats one it could not confirm): nothing twice.
    wait_for(lambda: f"approved step {step.pk}" in system.output(), 10, "its log", system)
    assert requests.post(system.url, data=body, headers=headers, timeout=10).status_code == 204
    wait_for(lambda: "already handled" in system.output(), 10, "the repeat", system)
    log = system.output()
    assert f"took step {step.pk}" in log and log.count(f"approved step {step.pk}") == 1


class FakeSubscriptions:
    """The subscription contract of docs/api.md, kept in memory: a registration posts a signed
    `webhook.verification` with a challenge to the URL and succeeds only if it is echoed."""

    def __init__(self, sign_with: str | None = None, token_seconds: int = 600):
        self.token_seconds = token_seconds
        self.tokens: list[str] = []
        self.subscriptions: dict[str, dict] = {}
        self.deleted: list[str] = []
        self.sign_with = sign_with  # sign the challenge with another secret than the answer's
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def register(self, body: dict) -> tuple[int, dict]:
        secret = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
        challenge = secrets.token_urlsafe(16)
        event = cloud_event("webhook.verification", {"challenge": challenge})
        answer = requests.post(
            body["url"], data=event, headers=signed(event, self.sign_with or secret), timeout=10
        )
        if not answer.ok or answer.json().get("challenge") != challenge:
            return 422, {"type": "urn:portal:problem:subscription-not-verified"}
        number = f"sub-{len(self.subscriptions) + len(self.deleted) + 1}"
        self.subscriptions[number] = {
            "id": number,
            "url": body["url"],
            "event_types": body["event_types"],
            "status": "active",
        }
        return 201, {**self.subscriptions[number], "secret": secret}

    def _handler(self):
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path == "/api/v1/oauth/token/":
                    fake.tokens.append(f"token-{len(fake.tokens) + 1}")
                    answer = {"access_token": fake.tokens[-1], "expires_in": fake.token_seconds}
                    return self._json(200, answer)
                return self._json(*fake.register(json.loads(body)))

            def do_GET(self):
                found = fake.subscriptions.get(self.path.rstrip("/").rsplit("/", 1)[-1])
                return self._json(200, found) if found else self._json(404, {})

            def do_DELETE(self):
                number = self.path.rstrip("/").rsplit("/", 1)[-1]
                if fake.subscriptions.pop(number, None):
                    fake.deleted.append(number)
                return self._json(204, None)

            def _json(self, status, body):
                data = json.dumps(body).encode() if body is not None else b""
                self.send_response(status)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        return Handler


def _system(portal: FakeSubscriptions, credentials: Path) -> ReferenceSystem:
    config = Config(
        portal=portal.url,
        client_id="id",
        client_secret="secret",
        listen=("127.0.0.1", free_port()),
        credentials=credentials,
    )
    return ReferenceSystem(config).start()


def test_the_subscription_is_registered_with_the_handshake_and_kept_across_restarts(tmp_path):
    portal = FakeSubscriptions()
    credentials = tmp_path / "reference-client.json"
    credentials_write(credentials, {"client_id": "id", "client_secret": "secret"})
    system = _system(portal, credentials)
    try:
        system.subscription_ensure()
    finally:
        system.stop()
    (first,) = portal.subscriptions
    saved = credentials_read(credentials)
    assert saved["subscription_id"] == first and saved["webhook_secret"].startswith("whsec_")
    assert saved["client_secret"] == "secret"  # the rest of the file kept

    # Restarted on the same address: the portal still has it, so it is kept (deliveries that
    # wait for this system still come).
    again = ReferenceSystem(system.config).start()
    try:
        again.subscription_ensure()
    finally:
        again.stop()
    assert list(portal.subscriptions) == [first] and not portal.deleted

    # Restarted elsewhere: a new subscription, and the older one deleted.
    moved = _system(portal, credentials)
    try:
        moved.subscription_ensure()
    finally:
        moved.stop()
    (second,) = portal.subscriptions
    assert second != first and portal.deleted == [first]
    assert credentials_read(credentials)["subscription_id"] == second


def test_a_challenge_not_signed_with_the_subscriptions_secret_undoes_the_registration(
    tmp_path,
):
    from demo.reference_system import SubscriptionFailed

    impostor = "whsec_" + base64.b64encode(b"not the subscription's secret").decode()
    portal = FakeSubscriptions(sign_with=impostor)
    credentials = tmp_path / "reference-client.json"
    system = _system(portal, credentials)
    try:
        with pytest.raises(SubscriptionFailed, match="not signed"):
            system.subscription_ensure()
    finally:
        system.stop()
    assert portal.subscriptions == {} and len(portal.deleted) == 1
    assert "subscription_id" not in (credentials_read(credentials) or {})


def test_the_token_is_renewed_before_it_expires():
    from demo.reference_system import Portal

    portal = FakeSubscriptions(token_seconds=2)
    calls = Portal(portal.url, "id", "secret")
    assert calls.token() == "token-1"
    assert calls.token() == "token-1"  # still fresh: no new request
    wait_for(lambda: calls.token() == "token-2", 5, "a new token before the old one expires")
    assert portal.tokens == ["token-1", "token-2"]


def _subscriptions_endpoint_exists() -> bool:
    """Whether this build has `POST /api/v1/subscriptions/` (the webhooks work of issue 14)."""
    return resolve("/api/v1/subscriptions/").url_name != "not_found"


@pytest.mark.celery_worker
@pytest.mark.skipif(
    not _subscriptions_endpoint_exists(),
    reason="/api/v1/subscriptions/ does not exist in this build yet (webhook subscriptions)",
)
def test_end_to_end_the_client_subscribes_receives_step_queued_and_approves(
    live_server, celery_broker, tmp_path, reference, external_step, settings
):
    """A real worker hands the step to the external unit and delivers the signed event; the
    reference client, subscribed through the API, verifies it and approves the step."""
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = True  # the client listens on 127.0.0.1
    step, client, secret = external_step
    unit = step.unit
    credentials = tmp_path / "reference-client.json"
    credentials_write(
        credentials,
        {
            "client_id": client.application.client_id,
            "client_secret": secret,
            "unit": unit.slug,
        },
    )
    celery_broker.flush()
    worker = WorkerProcess(
        ["portal", "webhooks", *(u.queue_name for u in Unit.objects.all())],
        tmp_path / "worker.log",
        env={"WEBHOOKS_ALLOW_PRIVATE_ADDRESSES": "1"},
    ).start()
    try:
        system = reference("--credentials", str(credentials), "--portal", live_server.url)
        wait_for(lambda: "signatures verified" in system.output(), 60, "the subscription", system)
        # A second journey, submitted now: its step reaches the unit through the worker, and
        # the event reaches the client through the webhook queue.
        journey = submitted_journey(step.journey.journey_type, deliver=False)
        fresh = journey.steps.get(step_type__key="parallel-1")

        def approved() -> bool:
            fresh.refresh_from_db()
            return fresh.status == Step.Status.APPROVED

        wait_for(approved, 90, "the step to be approved by the reference client", system)
        assert fresh.assignee_id == client.user_id
        assert fresh.reasons == REASONS
        successor = journey.steps.get(step_type__key="chain-1")
        wait_for(
            lambda: successor.handoffs.filter(delivered_at__isnull=False).exists(),
            60,
            "the successor's handoff",
            worker,
        )
        assert f"approved step {fresh.pk}" in system.output()
    finally:
        worker.stop()
