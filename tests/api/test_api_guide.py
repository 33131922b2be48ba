"""docs/api.md stays true: its worked examples (curl and Python) run against the live portal and
decide a step, and every problem type the API can answer and every event type it publishes is
in its tables."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.utils import timezone

from api.clients import api_client_create
from api.events import PUBLISHED_TYPES
from journeys.models import Step
from tests.factories import submitted_journey
from tests.journey_types import journey_type, unit_for
from units.models import Unit

ROOT = Path(__file__).resolve().parent.parent.parent
GUIDE = ROOT / "docs" / "api.md"


def example(heading: str, language: str) -> str:
    """The first `language` code block after `heading` in the guide."""
    text = GUIDE.read_text()
    after = text[text.index(f"\n{heading}\n") :]
    return re.search(rf"```{language}\n(.*?)```", after, re.DOTALL).group(1)


def problem_codes_in_the_code() -> set[str]:
    """Every problem type the API's code names (api/, and the size limit in portal/)."""
    patterns = [
        r"Problem\(\s*[\w.]+,\s*\"([a-z-]+)\"",
        r"problem_response\(\s*[\w.]+,\s*\"([a-z-]+)\"",
        r"\(exceptions\.\w+, \"([a-z-]+)\"\)",
        r"^\s*\"([a-z-]+)\": _\(",  # the titles
    ]
    found = set()
    for path in [*(ROOT / "api").rglob("*.py"), ROOT / "portal" / "middleware.py"]:
        text = path.read_text()
        for pattern in patterns:
            found |= set(re.findall(pattern, text, re.MULTILINE))
    return found


def test_every_problem_type_is_in_the_guide():
    codes = problem_codes_in_the_code()
    assert {"validation-error", "version-mismatch", "request-too-large"} <= codes  # read right
    guide = GUIDE.read_text()
    missing = sorted(code for code in codes if f"`{code}`" not in guide)
    assert not missing, f"Problem types not in docs/api.md: {missing}"


def test_every_event_type_is_in_the_guides_table():
    table = re.findall(r"^\| `([a-z]+\.[a-z_]+)` \|", GUIDE.read_text(), re.MULTILINE)
    assert sorted(table) == PUBLISHED_TYPES


def test_the_readme_links_the_guide():
    assert "(docs/api.md)" in (ROOT / "README.md").read_text()


@pytest.fixture
def queued_step(transactional_db):
    kind = journey_type(parallel=1, chain=1, deadline_days=20)
    unit = Unit.objects.get(slug=unit_for("parallel-1"))
    client, secret = api_client_create(name="Unit system", unit=unit, now=timezone.now())
    step = submitted_journey(kind).steps.get(step_type__key="parallel-1")
    assert step.status == Step.Status.QUEUED
    return step, client, secret


def _run(command: list[str], live_server, client, secret) -> str:
    env = {
        "PATH": os.environ["PATH"],
        "PORTAL": live_server.url,
        "CLIENT_ID": client.application.client_id,
        "CLIENT_SECRET": secret,
    }
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_python_example_takes_and_approves_a_step(live_server, queued_step):
    step, client, secret = queued_step
    out = _run(
        [sys.executable, "-c", example("### In Python", "python")], live_server, client, secret
    )
    step.refresh_from_db()
    assert step.status == Step.Status.APPROVED and step.assignee_id == client.user_id
    assert step.reasons == "Registered for F-tax and VAT by the Tax Agency."
    assert out.strip() == f"{step.journey.reference} approved"


@pytest.mark.skipif(not (shutil.which("curl") and shutil.which("jq")), reason="needs curl and jq")
def test_the_curl_example_takes_and_approves_a_step(live_server, queued_step):
    step, client, secret = queued_step
    script = "set -euo pipefail\n" + example("### In curl", "sh")
    out = _run(["bash", "-c", script], live_server, client, secret)
    step.refresh_from_db()
    assert step.status == Step.Status.APPROVED and step.assignee_id == client.user_id
    assert '"status": "approved"' in out
