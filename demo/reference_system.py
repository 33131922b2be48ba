"""The reference client: a unit's own case system, as small as it can be, taking part in journeys
through the portal's API (docs/api.md).

It receives the portal's events on a small HTTP server, verifies every signature with the
`standardwebhooks` library (an unsigned or badly signed request gets 401), answers the handshake
that registers its subscription, gets an access token by client credentials (and a new one before
it expires), and on each `step.queued` of its unit takes the step and approves it with reasons,
sending the step's ETag as If-Match. It logs what it does in plain lines.

Nothing in it imports Django or the portal's code: the portal is reached over HTTP only, as any
unit's system reaches it. `manage.py reference_unit_system` runs it (demo/management/commands/).
"""

import collections
import http.server
import json
import logging
import queue
import random
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import requests
from standardwebhooks import Webhook

from demo.reference_credentials import credentials_read, credentials_update

log = logging.getLogger("reference_system")

EVENT_TYPES = ["step.queued"]
REASONS = "Registered for F-tax and VAT by the Tax Agency's own system."
EVENTS_PATH = "/events/"
MAX_BODY_BYTES = 1024 * 1024
# A token is renewed this long before the portal says it expires.
RENEW_BEFORE_SECONDS = 60
# Waiting for the portal (not up yet, restarting): 1 s, 2 s, 4 s ... at most this, with jitter.
MAX_BACKOFF_SECONDS = 30
# A step's work is tried this many times (the portal down, a conflict that may pass) before
# the system gives up on it and logs so; the step then waits in the portal's queue.
STEP_ATTEMPTS = 8


@dataclass
class Config:
    portal: str  # http://127.0.0.1:8000
    client_id: str
    client_secret: str
    listen: tuple[str, int] = ("127.0.0.1", 8001)
    callback_url: str = ""  # where the portal posts events: http://<listen>/events/ by default
    credentials: Path | None = None  # kept up to date with the subscription
    subscribe: bool = True
    unit: str = ""  # the unit's slug: events of another unit are ignored (none should come)
    reasons: str = REASONS
    event_types: list[str] = field(default_factory=lambda: list(EVENT_TYPES))

    def __post_init__(self):
        self.portal = self.portal.rstrip("/")
        if not self.callback_url:
            host, port = self.listen
            self.callback_url = f"http://{host}:{port}{EVENTS_PATH}"


def backoff(attempt: int) -> float:
    """Seconds to wait before attempt `attempt` + 1: doubling, capped, with jitter."""
    return min(2**attempt, MAX_BACKOFF_SECONDS) * random.uniform(0.8, 1.2)  # jitter, not a secret


class PortalUnavailable(Exception):
    """The portal did not answer, or answered 5xx or 429: worth trying again later."""


class Portal:
    """The portal's API as this system calls it: every request with a current bearer token."""

    def __init__(self, base: str, client_id: str, client_secret: str):
        self.base = base
        self.auth = (client_id, client_secret)
        self.http = requests.Session()
        self.http.headers["Accept"] = "application/json"
        self._token = ""
        self._renew_at = 0.0
        self._lock = threading.Lock()

    def token(self) -> str:
        with self._lock:
            if not self._token or time.monotonic() >= self._renew_at:
                self._token_fetch()
            return self._token

    def _token_fetch(self) -> None:
        """The client-credentials grant: id and secret by HTTP Basic, a token back."""
        response = self._send(
            "POST",
            "/api/v1/oauth/token/",
            data={"grant_type": "client_credentials"},
            auth=self.auth,
        )
        if response.status_code != 200:
            raise RuntimeError(
                f"the portal refused the client's credentials ({response.status_code}): "
                f"{response.text[:200]}"
            )
        body = response.json()
        lifetime = int(body.get("expires_in", 600))
        self._token = body["access_token"]
        self._renew_at = time.monotonic() + max(lifetime - RENEW_BEFORE_SECONDS, lifetime / 2)
        log.info("token: got an access token, valid %d s (renewed before it expires)", lifetime)

    def _send(self, method: str, path: str, **kwargs) -> requests.Response:
        try:
            response = self.http.request(method, self.base + path, timeout=15, **kwargs)
        except requests.RequestException as error:
            raise PortalUnavailable(f"{method} {path}: {error.__class__.__name__}") from error
        if response.status_code >= 500 or response.status_code == 429:
            raise PortalUnavailable(f"{method} {path}: {response.status_code}")
        return response

    def call(self, method: str, path: str, *, headers: dict | None = None, **kwargs):
        """An API request with the token; a token the portal no longer takes (revoked, or
        expired early) is replaced once."""
        for attempt in range(2):
            token = self.token()
            response = self._send(
                method,
                path,
                headers={"Authorization": f"Bearer {token}", **(headers or {})},
                **kwargs,
            )
            if response.status_code != 401 or attempt:
                return response
            with self._lock:
                if self._token == token:
                    self._token = ""
        return response


def problem_code(response: requests.Response) -> str:
    """A problem document's (RFC 9457) type without its prefix: "version-mismatch"."""
    try:
        return str(response.json()["type"]).rsplit(":", 1)[-1]
    except (ValueError, KeyError, TypeError):
        return ""


def problem(response: requests.Response) -> str:
    """An error answer in one line: status, and the problem's type and title if it is one."""
    try:
        body = response.json()
        return f"{response.status_code} {problem_code(response)}: {body.get('title', '')}"
    except (ValueError, AttributeError):
        return f"{response.status_code} {response.reason} (not a problem document)"


class Receiver:
    """What the event endpoint knows: the secrets signatures are checked with, and the
    handshake of a subscription being registered."""

    def __init__(self):
        self.secrets: list[str] = []  # the current subscription's, and an old one's for a while
        self._lock = threading.Lock()
        self._handshakes: list[tuple[bytes, dict]] | None = None
        self._seen: collections.OrderedDict[str, None] = collections.OrderedDict()

    @contextmanager
    def registering(self) -> Iterator[list[tuple[bytes, dict]]]:
        """While a subscription is being registered, a `webhook.verification` is answered
        before its signature can be checked (its secret comes in the answer to the
        registration); each is kept, and checked once the secret is known."""
        with self._lock:
            self._handshakes = []
        try:
            yield self._handshakes
        finally:
            with self._lock:
                self._handshakes = None

    def accept_handshake(self, body: bytes, headers: dict) -> bool:
        with self._lock:
            if self._handshakes is None:
                return False
            self._handshakes.append((body, headers))
            return True

    def verify(self, body: bytes, headers: dict) -> dict | None:
        """The event, if one of the secrets signed it (standardwebhooks checks the signature
        and that the timestamp is within five minutes), else None."""
        for secret in list(self.secrets):
            try:
                return Webhook(secret).verify(body, headers)
            except Exception:  # a malformed header is a bad signature too
                continue
        return None

    def first_time(self, webhook_id: str) -> bool:
        """False for a webhook-id already handled (the portal repeats a delivery it could not
        confirm, with the same id)."""
        with self._lock:
            if webhook_id in self._seen:
                return False
            self._seen[webhook_id] = None
            while len(self._seen) > 10_000:
                self._seen.popitem(last=False)
            return True


class ReferenceSystem:
    """The reference client: its event server, its worker thread and its subscription."""

    def __init__(self, config: Config):
        self.config = config
        self.portal = Portal(config.portal, config.client_id, config.client_secret)
        self.receiver = Receiver()
        self.work: queue.Queue = queue.Queue()
        self.stopping = threading.Event()
        self._stopped = False
        self._serving = False
        saved = credentials_read(config.credentials) if config.credentials else None
        if saved and saved.get("webhook_secret"):
            self.receiver.secrets.append(saved["webhook_secret"])
        self.server = http.server.ThreadingHTTPServer(config.listen, self._handler_class())
        self.server.daemon_threads = True

    # The event endpoint -------------------------------------------------------------------

    def _handler_class(self):
        system = self

        class EventHandler(http.server.BaseHTTPRequestHandler):
            server_version = "ReferenceUnitSystem"

            def do_GET(self):
                if self.path == "/healthz":
                    return self._answer(200, {"status": "ok"})
                return self._answer(404, {"error": "not found"})

            def do_POST(self):
                if urlsplit(self.path).path != EVENTS_PATH:
                    return self._answer(404, {"error": "not found"})
                length = int(self.headers.get("Content-Length") or 0)
                if length > MAX_BODY_BYTES:
                    return self._answer(413, {"error": "too large"})
                body = self.rfile.read(length)
                status, answer = system.event_received(body, dict(self.headers.items()))
                return self._answer(status, answer)

            def _answer(self, status: int, body: dict | None):
                data = json.dumps(body).encode() if body is not None else b""
                self.send_response(status)
                if body is not None:
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format, *args):
                pass  # event_received logs what matters, in its own words

        return EventHandler

    def event_received(self, body: bytes, headers: dict) -> tuple[int, dict | None]:
        """Check one POSTed event and answer it: 2xx once it is safely taken in."""
        lowered = {key.lower(): value for key, value in headers.items()}
        if not all(
            lowered.get(h) for h in ("webhook-id", "webhook-timestamp", "webhook-signature")
        ):
            log.warning("event refused: not signed (no webhook-id/-timestamp/-signature headers)")
            return 401, {"error": "unsigned"}
        event = self.receiver.verify(body, lowered)
        if event is None:
            try:
                document = json.loads(body)
            except ValueError:
                document = None
            is_handshake = (
                isinstance(document, dict) and document.get("type") == "webhook.verification"
            )
            if is_handshake and self.receiver.accept_handshake(body, lowered):
                challenge = (document.get("data") or {}).get("challenge")
                log.info("subscription: answering the portal's verification challenge")
                return 200, {"challenge": challenge}
            if not self.receiver.secrets:
                # Signed, but with a secret not known yet (a subscription being registered).
                log.warning("event refused for now: no subscription secret yet")
                return 503, {"error": "not ready"}
            log.warning("event refused: bad signature (webhook-id %s)", lowered["webhook-id"])
            return 401, {"error": "bad signature"}
        if not isinstance(event, dict):
            return 400, {"error": "not a CloudEvent"}
        kind = event.get("type")
        if kind == "webhook.verification":
            return 200, {"challenge": (event.get("data") or {}).get("challenge")}
        if not self.receiver.first_time(lowered["webhook-id"]):
            log.info("event %s again (webhook-id %s): already handled", kind, lowered["webhook-id"])
            return 204, None
        if kind == "step.queued":
            data = event.get("data") or {}
            step = data.get("step") or {}
            reference = (data.get("journey") or {}).get("reference", "?")
            if self.config.unit and step.get("unit") != self.config.unit:
                log.info("step.queued for %s, not this unit: ignored", step.get("unit"))
                return 204, None
            log.info(
                "event step.queued: %s, step %s (%s)", reference, step.get("id"), step.get("key")
            )
            self.work.put((step.get("id"), reference))
            return 202, None
        log.info("event %s: nothing to do", kind)
        return 204, None

    # The work ---------------------------------------------------------------------------

    def _work_loop(self) -> None:
        while not self.stopping.is_set():
            try:
                step_id, reference = self.work.get(timeout=0.5)
            except queue.Empty:
                continue
            if not isinstance(step_id, int):
                log.warning("step.queued without a step id: ignored")
                continue
            self._step_work(step_id, reference)

    def _step_work(self, step_id: int, reference: str) -> None:
        for attempt in range(STEP_ATTEMPTS):
            try:
                if self.step_approve(step_id, reference):
                    return
            except PortalUnavailable as error:
                log.warning("portal unavailable (%s)", error)
            if attempt + 1 < STEP_ATTEMPTS:
                if self.stopping.wait(backoff(attempt)):
                    return
                log.info("step %s (%s): trying again", step_id, reference)
        log.error("step %s (%s): giving up; it waits in the portal's queue", step_id, reference)

    def step_approve(self, step_id: int, reference: str) -> bool:
        """Take the step and approve it. True when it is done with (approved, or nothing this
        system can do about it); False to read it again and retry later."""
        path = f"/api/v1/steps/{step_id}/"
        read = self.portal.call("GET", path)
        if read.status_code != 200:
            log.warning("step %s (%s): cannot be read (%s)", step_id, reference, problem(read))
            return True
        status = read.json()["status"]
        etag = read.headers.get("ETag", "")
        if status == "queued":
            taken = self.portal.call(
                "POST", f"{path}take/", headers={"Idempotency-Key": f"take-step-{step_id}"}
            )
            if taken.status_code != 200:
                log.warning("step %s (%s): not taken (%s)", step_id, reference, problem(taken))
                return problem_code(taken) != "step-changed"
            etag = taken.headers.get("ETag", "")
            log.info("took step %s (%s)", step_id, reference)
        elif status != "in_progress":
            log.info("step %s (%s) is %s: nothing to do", step_id, reference, status)
            return True
        decided = self.portal.call(
            "POST",
            f"{path}decision/",
            json={"outcome": "approve", "reasons": self.config.reasons},
            headers={"If-Match": etag, "Idempotency-Key": f"approve-step-{step_id}"},
        )
        if decided.status_code == 200:
            log.info("approved step %s (%s): %s", step_id, reference, self.config.reasons)
            return True
        log.warning("step %s (%s): not approved (%s)", step_id, reference, problem(decided))
        # Changed since it was read (412), or meanwhile in another state (409 step-changed):
        # read it again and decide on what it shows then.
        return decided.status_code != 412 and problem_code(decided) != "step-changed"

    # The subscription -------------------------------------------------------------------

    def subscription_ensure(self) -> None:
        """Keep the subscription kept in the credentials file if the portal still has it as
        it should be (deliveries waiting for this system then still arrive); otherwise
        register a new one and delete the older one."""
        saved = (credentials_read(self.config.credentials) if self.config.credentials else {}) or {}
        old_id = saved.get("subscription_id")
        if old_id and saved.get("webhook_secret"):
            found = self.portal.call("GET", f"/api/v1/subscriptions/{old_id}/")
            if found.status_code == 200:
                current = found.json()
                if (
                    current.get("status") == "active"
                    and current.get("url") == self.config.callback_url
                    and sorted(current.get("event_types") or []) == sorted(self.config.event_types)
                ):
                    log.info("subscription %s is still active: keeping it", old_id)
                    return
        new = self.subscription_register()
        if old_id and old_id != new:
            gone = self.portal.call("DELETE", f"/api/v1/subscriptions/{old_id}/")
            if gone.status_code in (200, 202, 204, 404):
                log.info("subscription: deleted the older subscription %s", old_id)
            else:
                log.warning("subscription: the older %s not deleted (%s)", old_id, problem(gone))
        self.receiver.secrets[:] = self.receiver.secrets[:1]  # the new secret only

    def subscription_register(self):
        """Register the subscription: the portal posts a signed challenge here first, which the
        event server answers; the signature is checked with the secret the answer brings."""
        with self.receiver.registering() as handshakes:
            response = self.portal.call(
                "POST",
                "/api/v1/subscriptions/",
                json={"url": self.config.callback_url, "event_types": self.config.event_types},
            )
        if response.status_code != 201:
            raise SubscriptionFailed(problem(response))
        created = response.json()
        secret, new_id = created["secret"], created["id"]
        if not handshakes or not all(self._signed_by(secret, *h) for h in handshakes):
            self.portal.call("DELETE", f"/api/v1/subscriptions/{new_id}/")
            raise SubscriptionFailed(
                "the verification challenge was not signed with the subscription's secret; "
                "the subscription was deleted again"
            )
        self.receiver.secrets.insert(0, secret)
        if self.config.credentials:
            credentials_update(
                self.config.credentials, subscription_id=new_id, webhook_secret=secret
            )
        log.info(
            "subscription %s: %s to %s (signatures verified)",
            new_id,
            ", ".join(self.config.event_types),
            self.config.callback_url,
        )
        return new_id

    @staticmethod
    def _signed_by(secret: str, body: bytes, headers: dict) -> bool:
        try:
            Webhook(secret).verify(body, headers)
        except Exception:  # a malformed header is a bad signature too
            return False
        return True

    # Running ----------------------------------------------------------------------------

    def _until_done(self, what: str, action) -> bool:
        """Run `action` until it succeeds, waiting longer each time the portal is not there
        yet. False if stopped meanwhile."""
        attempt = 0
        while not self.stopping.is_set():
            try:
                action()
                return True
            except (PortalUnavailable, SubscriptionFailed) as error:
                wait = backoff(attempt)
                log.info("%s: %s; trying again in %.0f s", what, error, wait)
                attempt += 1
                self.stopping.wait(wait)
        return False

    def start(self) -> "ReferenceSystem":
        host, port = self.server.server_address[:2]
        threading.Thread(target=self.server.serve_forever, name="events", daemon=True).start()
        self._serving = True
        log.info("listening for events on http://%s:%s%s", host, port, EVENTS_PATH)
        threading.Thread(target=self._work_loop, name="work", daemon=True).start()
        return self

    def run(self) -> None:
        """Until stopped: the event server and the worker run; the token is got and the
        subscription registered as soon as the portal answers."""
        self.start()
        try:
            log.info("portal: %s", self.config.portal)
            if self._until_done("portal not answering", self.portal.token):
                if self.config.subscribe:
                    self._until_done("subscription not registered", self.subscription_ensure)
                else:
                    log.info("not subscribing (--no-subscribe)")
            self.stopping.wait()
        finally:
            self.stop()

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        self.stopping.set()
        if self._serving:
            self.server.shutdown()
        self.server.server_close()
        log.info("stopped")


class SubscriptionFailed(Exception):
    """The portal did not register the subscription (the handshake failed, or it said no)."""


def logging_configure(stream) -> None:
    """Plain lines, one per thing done, on `stream` (stdout under `make run`)."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(message)s"))
    log.handlers[:] = [handler]
    log.setLevel(logging.INFO)
    log.propagate = False
