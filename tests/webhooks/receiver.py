"""A subscriber's receiving end, as a process of its own: `python tests/webhooks/receiver.py`.

It answers the portal's verification handshake, verifies every event's signature with the
`standardwebhooks` library, and appends what it got to a JSON-lines record (one line per request,
repeats included), so the tests count from that file, after the fact. What it does with events:

- `--mode ok` answers 204; `--mode fail` answers 500; `--mode hang` waits `--hang-seconds`
  before answering (the handshake is answered normally in every mode: the subscriber broke
  after it subscribed);
- `--verification wrong` answers the handshake with another challenge, `fail` with 500;
- with `--hold-dir`, while the file `hold` exists there, a request is held: it writes
  `held-<webhook-id>` and waits until `hold` is gone (the tests kill a worker meanwhile);
- with `--api`, `--client-id` and `--client-secret`, it is a unit's system: it gets a token with
  the client-credentials grant, subscribes itself (`--subscribe` types), and for each
  `step.queued` event takes the step and approves it through the API.

It prints `listening on <port>` when it is ready.
"""

import argparse
import json
import queue
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import requests
from standardwebhooks import Webhook, WebhookVerificationError


class Receiver:
    def __init__(self, args):
        self.args = args
        self.record_lock = threading.Lock()
        self.secret: str | None = None
        self.work: queue.Queue = queue.Queue()
        self.token = ""

    # What it got ---------------------------------------------------------------------------

    def current_secret(self) -> str | None:
        if self.secret:
            return self.secret
        path = self.args.secret_file
        if path and Path(path).exists():
            return Path(path).read_text().strip() or None
        return None

    def record(self, entry: dict) -> None:
        with self.record_lock, open(self.args.record, "a") as file:
            file.write(json.dumps(entry) + "\n")

    def handle(self, headers: dict, body: bytes) -> tuple[int, bytes]:
        received_at = time.time()
        document = json.loads(body)
        if document.get("type") == "webhook.verification":
            answer = {"challenge": document["data"]["challenge"]}
            if self.args.verification == "wrong":
                answer = {"challenge": "something else"}
            elif self.args.verification == "fail":
                return 500, b"not ready"
            signature = {k: v for k, v in headers.items() if k.startswith("webhook-")}
            self.record(
                {
                    "type": "webhook.verification",
                    "received_at": received_at,
                    "headers": signature | {"content-type": headers.get("content-type")},
                    "body": body.decode(),
                }
            )
            return 200, json.dumps(answer).encode()
        secret = self.current_secret()
        verified = None
        if secret:
            try:
                Webhook(secret).verify(body, headers)
                verified = True
            except WebhookVerificationError:
                verified = False
        webhook_id = headers.get("webhook-id", "")
        hold_dir = Path(self.args.hold_dir) if self.args.hold_dir else None
        held = False
        if hold_dir and (hold_dir / "hold").exists():
            held = True
            (hold_dir / f"held-{webhook_id}").touch()
            while (hold_dir / "hold").exists():
                time.sleep(0.05)
        data = document.get("data", {})
        entry = {
            "webhook_id": webhook_id,
            "timestamp": headers.get("webhook-timestamp"),
            "verified": verified,
            "id": document.get("id"),
            "type": document.get("type"),
            "subject": document.get("subject"),
            "journey": data.get("journey", {}).get("id"),
            "sequence": data.get("sequence"),
            "step": data.get("step"),
            "received_at": received_at,
            "held": held,
        }
        if self.args.mode == "fail":
            self.record(entry | {"answered": 500})
            return 500, b"failing on purpose"
        if self.args.mode == "hang":  # recorded as it arrives: the portal gives up first
            self.record(entry | {"answered": "hung"})
            time.sleep(self.args.hang_seconds)
            return 204, b""
        self.record(entry | {"answered": 204})
        if verified and self.args.api and document.get("type") == "step.queued":
            self.work.put(data["step"]["id"])
        return 204, b""

    # A unit's system deciding through the API ---------------------------------------------

    def api(self, method: str, path: str, **kwargs) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.token}", **kwargs.pop("headers", {})}
        return requests.request(method, self.args.api + path, headers=headers, timeout=30, **kwargs)

    def get_token(self) -> None:
        response = requests.post(
            self.args.api + "/api/v1/oauth/token/",
            data={"grant_type": "client_credentials"},
            auth=(self.args.client_id, self.args.client_secret),
            timeout=30,
        )
        response.raise_for_status()
        self.token = response.json()["access_token"]

    def subscribe(self, port: int) -> None:
        response = self.api(
            "POST",
            "/api/v1/subscriptions/",
            json={"url": f"http://127.0.0.1:{port}/", "event_types": self.args.subscribe},
        )
        if response.status_code != 201:
            raise SystemExit(f"subscribing failed: {response.status_code} {response.text}")
        subscription = response.json()
        self.secret = subscription["secret"]
        self.record({"type": "subscribed", "subscription": subscription["id"]})

    def decide(self, step_id: int) -> None:
        step = self.api("GET", f"/api/v1/steps/{step_id}/")
        if step.json()["status"] == "queued":
            self.api("POST", f"/api/v1/steps/{step_id}/take/").raise_for_status()
            step = self.api("GET", f"/api/v1/steps/{step_id}/")
        decision = self.api(
            "POST",
            f"/api/v1/steps/{step_id}/decision/",
            json={"outcome": "approve", "reasons": "Checked in our own case system."},
            headers={"If-Match": step.headers["ETag"]},
        )
        self.record({"type": "decided", "step": step_id, "status": decision.status_code})

    def deciding(self) -> None:
        while True:
            step_id = self.work.get()
            try:
                self.decide(step_id)
            except Exception as error:  # recorded, for the test to show
                self.record({"type": "decision-error", "step": step_id, "error": repr(error)})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--record", required=True)
    parser.add_argument("--secret-file")
    parser.add_argument("--mode", choices=["ok", "fail", "hang"], default="ok")
    parser.add_argument("--hang-seconds", type=float, default=30)
    parser.add_argument("--verification", choices=["answer", "wrong", "fail"], default="answer")
    parser.add_argument("--hold-dir")
    parser.add_argument("--api")
    parser.add_argument("--client-id")
    parser.add_argument("--client-secret")
    parser.add_argument("--subscribe", nargs="*", default=["step.queued"])
    args = parser.parse_args()
    receiver = Receiver(args)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, answer = receiver.handle(headers, body)
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args):
            pass

    ThreadingHTTPServer.daemon_threads = True
    ThreadingHTTPServer.allow_reuse_address = True
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    if args.api:
        receiver.get_token()
        receiver.subscribe(port)
        threading.Thread(target=receiver.deciding, daemon=True).start()
    print(f"listening on {port}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
