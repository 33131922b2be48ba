"""Benchmark the portal's pages and API against a Django "hello" view (/healthz/) under
gunicorn, as in production (DEBUG off, cached templates, persistent connections), with wrk on
loopback.

Run through bench/run, which prepares the database and starts gunicorn; this script creates the
signed-in sessions and the API clients' tokens, runs wrk per page, counts each page's SQL
queries and prints one table."""

import datetime as dt
import json
import os
import re
import secrets
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
from django.utils import timezone  # noqa: E402
from oauth2_provider.models import AccessToken  # noqa: E402

from api.clients import api_client_create  # noqa: E402
from api.events import EVENT_TYPES  # noqa: E402
from api.feed import Position  # noqa: E402
from api.models import ApiClient  # noqa: E402
from journeys.models import Journey, JourneyEvent  # noqa: E402
from units.models import Unit  # noqa: E402

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


def api_token(unit_slug: str | None) -> str:
    """A token of the benchmark's API client for a unit (or coordination), made directly: the
    token endpoint's secret check is not what is measured."""
    name = f"Benchmark client ({unit_slug or 'coordination'})"
    client = ApiClient.objects.filter(name=name).first()
    if client is None:
        unit = Unit.objects.get(slug=unit_slug) if unit_slug else None
        client, _secret = api_client_create(name=name, unit=unit, now=timezone.now())
    return AccessToken.objects.create(
        user=client.user,
        application=client.application,
        token=secrets.token_urlsafe(30),
        expires=timezone.now() + dt.timedelta(hours=2),
        scope="read write",
    ).token


def feed_cursor(fraction: float) -> str:
    """The change feed's cursor `fraction` of the way into the published events."""
    events = JourneyEvent.objects.filter(kind__in=list(EVENT_TYPES))
    at = int(events.count() * fraction)
    if at == 0:
        return Position().encode()
    transaction_id, event_id = events.order_by("transaction_id", "id").values_list(
        "transaction_id", "id"
    )[at - 1]
    return Position(transaction_id or 0, event_id).encode()


# Who reads a page: a username (a signed-in session) or ("api", a unit's slug or None for a
# coordination client) for the API with that client's bearer token.
API_UNIT = ("api", "urban-planning")
API_COORDINATION = ("api", None)


def pages() -> list[tuple[str, object, str]]:
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


def api_pages() -> list[tuple[str, object, str]]:
    return [
        ("API queue list (/api/v1/steps/?queue=all)", API_UNIT, "/api/v1/steps/?queue=all"),
        ("API change feed, a unit, from the start", API_UNIT, "/api/v1/feed/?limit=100"),
        (
            "API change feed, coordination, from the start",
            API_COORDINATION,
            "/api/v1/feed/?limit=100",
        ),
        (
            "API change feed, coordination, 90 % in",
            API_COORDINATION,
            f"/api/v1/feed/?limit=100&after={feed_cursor(0.9)}",
        ),
    ]


def served(path: str, headers: dict) -> None:
    """The page answers 200 with these credentials (a redirect to the sign-in page would be
    fast and wrong), and has run once in each worker (cached templates, the insight's
    figures)."""
    for _ in range(WARM_UP):
        request = urllib.request.Request(f"{BASE}{path}", headers=headers)
        with urllib.request.urlopen(request) as response:  # noqa: S310 (our own loopback URL)
            if response.status != 200 or response.url != f"{BASE}{path}":
                raise SystemExit(f"{path} answered {response.status} at {response.url}")


def wrk(path: str, headers: dict) -> dict:
    served(path, headers)
    command = ["wrk", "-t2", "-c8", f"-d{DURATION}", "--latency", f"{BASE}{path}"]
    for name, value in headers.items():
        command[1:1] = ["-H", f"{name}: {value}"]
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


def queries(path: str, who, headers: dict) -> int:
    client = Client(HTTP_HOST="127.0.0.1", headers=headers if isinstance(who, tuple) else {})
    if isinstance(who, str):
        client.force_login(get_user_model().objects.get(username=who))
    client.get(path)  # a staff member's first request stamps the session
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return len(captured)


def credentials(who) -> dict:
    """The headers a reader sends: a session cookie, a bearer token, or none."""
    if who is None:
        return {}
    if isinstance(who, tuple):
        return {"Authorization": f"Bearer {api_token(who[1])}"}
    return {"Cookie": f"{settings.SESSION_COOKIE_NAME}={session_for(who)}"}


def main() -> None:
    headers: dict = {}
    results = []
    for label, who, path in pages() + api_pages():
        if who not in headers:
            headers[who] = credentials(who)
        figures = wrk(path, headers[who])
        figures |= {"page": label, "queries": queries(path, who, headers[who])}
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
