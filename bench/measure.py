"""Benchmark the portal's pages against a Django "hello" view (/healthz/) under gunicorn, as in
production (DEBUG off, cached templates, persistent connections), with wrk on loopback.

Run through bench/run, which prepares the database and starts gunicorn; this script creates the
signed-in sessions, runs wrk per page, counts each page's SQL queries and prints one table."""

import json
import os
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from journeys.models import Journey  # noqa: E402

BASE = os.environ.get("BENCH_URL", "http://127.0.0.1:8765")
DURATION = os.environ.get("BENCH_DURATION", "10s")
WARM_UP = 20  # requests per page before it is measured


def session_for(username: str) -> str:
    user = get_user_model().objects.get(username=username)
    store = SessionStore()
    store["_auth_user_id"] = str(user.pk)
    store["_auth_user_backend"] = "accounts.backends.ThrottledModelBackend"
    store["_auth_user_hash"] = user.get_session_auth_hash()
    store.create()
    return store.session_key


def pages() -> list[tuple[str, str | None, str]]:
    journey = Journey.objects.filter(applicant__username="citizen").exclude(status="draft").first()
    step = journey.steps.filter(unit__slug="urban-planning").first() if journey else None
    rows = [("hello view (/healthz/)", None, "/healthz/")]
    if journey:
        rows.append(("citizen tracking page", "citizen", f"/applications/{journey.public_id}/"))
    for name in ("all", "new", "mine", "overdue", "due_soon", "waiting"):
        rows.append(
            (f"caseworker queue ({name})", "caseworker-urban-planning", f"/work/?filter={name}")
        )
    if step:
        rows.append(("case page", "caseworker-urban-planning", f"/work/steps/{step.pk}/"))
    rows.append(("coordinator dashboard", "coordinator", "/coordination/"))
    rows.append(("coordinator dashboard (stalled)", "coordinator", "/coordination/?view=stalled"))
    rows.append(("insight", "coordinator", "/coordination/insight/?journey_type=open-a-cafe"))
    return rows


def served(path: str, session: str | None) -> None:
    """The page answers 200 with this session (a redirect to the sign-in page would be fast
    and wrong), and has run once in each worker (cached templates, the insight's figures)."""
    headers = {"Cookie": f"{settings.SESSION_COOKIE_NAME}={session}"} if session else {}
    for _ in range(WARM_UP):
        request = urllib.request.Request(f"{BASE}{path}", headers=headers)
        with urllib.request.urlopen(request) as response:  # noqa: S310 (our own loopback URL)
            if response.status != 200 or response.url != f"{BASE}{path}":
                raise SystemExit(f"{path} answered {response.status} at {response.url}")


def wrk(path: str, session: str | None) -> dict:
    served(path, session)
    command = ["wrk", "-t2", "-c8", f"-d{DURATION}", "--latency", f"{BASE}{path}"]
    if session:
        command[1:1] = ["-H", f"Cookie: {settings.SESSION_COOKIE_NAME}={session}"]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout

    def latency(label):
        match = re.search(rf"\s{label}%\s+([\d.]+)(us|ms|s)", out)
        value, unit = float(match.group(1)), match.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non_2xx:
        raise SystemExit(f"{path}: {non_2xx.group(1)} responses were not 200\n{out}")
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50_ms": latency("50"),
        "p99_ms": latency("99"),
    }


def queries(path: str, username: str | None) -> int:
    client = Client(HTTP_HOST="127.0.0.1")
    if username:
        client.force_login(get_user_model().objects.get(username=username))
    client.get(path)  # a staff member's first request stamps the session
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return len(captured)


def main() -> None:
    sessions: dict[str, str] = {}
    results = []
    for label, username, path in pages():
        if username and username not in sessions:
            sessions[username] = session_for(username)
        figures = wrk(path, sessions.get(username))
        figures |= {"page": label, "queries": queries(path, username)}
        results.append(figures)
    hello = results[0]
    for row in results:
        row["rps_ratio"] = round(row["rps"] / hello["rps"], 3)
        row["p99_ratio"] = round(row["p99_ms"] / hello["p99_ms"], 2)
    json.dump(
        {"journeys": Journey.objects.count(), "cores": os.cpu_count(), "pages": results},
        sys.stdout,
        indent=2,
    )


if __name__ == "__main__":
    main()
