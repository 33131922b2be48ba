"""Polls that cost nothing when nothing changed (issue 19): the tracking page's refresh of an
unchanged journey, answered 304 from its validator, beside the hello view (/healthz/) and
beside the same refresh and the whole page drawn in full (200).

Run through bench/polls, which prepares the database and starts gunicorn as bench/run does.
Each row is wrk (-t2 -c8) on loopback with the citizen's session (and the CSRF cookie the page
was drawn for, which its validator covers); then the requests' SQL queries and the web
process's CPU per request, in-process (the Django test client, one request at a time). Prints
one table (Markdown) and, with --json, the figures."""

import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from http.cookies import SimpleCookie
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from bench.measure import session_for  # noqa: E402
from journeys.models import Journey  # noqa: E402

BASE = os.environ.get("BENCH_URL", "http://127.0.0.1:8766")
DURATION = os.environ.get("BENCH_DURATION", "10s")
IN_PROCESS = 200  # requests per row for the CPU figure
PAGE_HEADERS = re.compile(r'data-hx-headers="([^"]*)"')


def get(path: str, headers: dict) -> tuple[int, dict, str]:
    request = urllib.request.Request(f"{BASE}{path}", headers=headers)
    try:
        with urllib.request.urlopen(request) as response:  # noqa: S310 (our own loopback URL)
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as answer:  # 304 is one, for urllib
        return answer.code, answer.headers, ""


def browser(path: str) -> tuple[dict, str]:
    """The citizen's cookies (the session, and the CSRF secret the first visit is given) and
    the refresh's validator from the page, as a browser holds them after one visit."""
    cookies = {settings.SESSION_COOKIE_NAME: session_for("citizen")}
    status, headers, body = get(path, {"Cookie": _cookie(cookies)})
    if status != 200:
        raise SystemExit(f"{path} answered {status}")
    for line in headers.get_all("Set-Cookie") or []:
        cookies.update({k: m.value for k, m in SimpleCookie(line).items()})
    validator = json.loads(PAGE_HEADERS.search(body).group(1).replace("&quot;", '"'))
    return cookies, validator["If-None-Match"]


def _cookie(cookies: dict) -> str:
    return "; ".join(f"{name}={value}" for name, value in cookies.items())


def wrk(path: str, headers: dict, expect: int) -> dict:
    for _ in range(20):  # warm up every worker (cached templates), and check the answer
        status, _headers, _body = get(path, headers)
        if status != expect:
            raise SystemExit(f"{path} answered {status}, not {expect}, with {headers}")
    command = ["wrk", "-t2", "-c8", f"-d{DURATION}", "--latency", f"{BASE}{path}"]
    for name, value in headers.items():
        command[1:1] = ["-H", f"{name}: {value}"]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise SystemExit(f"{path}: {errors.group(1)} answers were errors\n{out}")

    def latency(label: str) -> float:
        value, unit = re.search(rf"\s{label}%\s+([\d.]+)(us|ms|s)", out).groups()
        return float(value) / (1000 if unit == "us" else 1) * (1000 if unit == "s" else 1)

    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50_ms": latency("50"),
        "p99_ms": latency("99"),
    }


def in_process(path: str, headers: dict, cookies: dict, expect: int) -> dict:
    """SQL queries of one request, and the CPU time per request of IN_PROCESS of them."""
    client = Client(HTTP_HOST="127.0.0.1", headers=headers)
    for name, value in cookies.items():
        client.cookies[name] = value
    assert client.get(path).status_code == expect, path
    with CaptureQueriesContext(connection) as captured:
        client.get(path)
    queries = len(captured)  # now: the next requests empty the log it reads
    started = time.process_time()
    for _ in range(IN_PROCESS):
        client.get(path)
    cpu = (time.process_time() - started) / IN_PROCESS * 1000
    return {"queries": queries, "cpu_ms": round(cpu, 2)}


def main() -> None:
    journey = Journey.objects.filter(applicant__username="citizen").exclude(status="draft").first()
    track = f"/applications/{journey.public_id}/"
    cookies, validator = browser(track)
    signed_in = {"Cookie": _cookie(cookies)}
    refresh = {**signed_in, "HX-Request": "true"}
    rows = [
        ("hello view (/healthz/)", "/healthz/", {}, {}, 200),
        ("tracking page refresh, unchanged (304)", track, {**refresh, "If-None-Match": validator},
         cookies, 304),
        ("tracking page refresh, drawn (200)", track, refresh, cookies, 200),
        ("tracking page, drawn whole (200)", track, signed_in, cookies, 200),
    ]  # fmt: skip
    results = []
    for label, path, headers, jar, expect in rows:
        figures = {"row": label, "status": expect, **wrk(path, headers, expect)}
        # The test client sends its own cookies: give it the same ones.
        plain = {k: v for k, v in headers.items() if k != "Cookie"}
        figures |= in_process(path, plain, jar, expect)
        results.append(figures)
    hello = results[0]
    for row in results:
        row["x_hello_rps"] = round(row["rps"] / hello["rps"], 2)
    if "--json" in sys.argv:
        json.dump({"journeys": Journey.objects.count(), "rows": results}, sys.stdout, indent=2)
        return
    print(f"{Journey.objects.count():,} journeys, {os.cpu_count()} cores, wrk -t2 -c8 {DURATION}")
    print()
    print("| request | answer | req/s | × hello req/s | p50 ms | p99 ms | queries | CPU ms |")
    print("|---|---|---|---|---|---|---|---|")
    for row in results:
        print(
            f"| {row['row']} | {row['status']} | {row['rps']:.0f} | {row['x_hello_rps']:.2f} "
            f"| {row['p50_ms']:.1f} | {row['p99_ms']:.1f} | {row['queries']} | {row['cpu_ms']} |"
        )


if __name__ == "__main__":
    main()
