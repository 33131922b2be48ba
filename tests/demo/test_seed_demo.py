"""seed_demo: every demo account signs in and lands on its own home page; the Tax Agency works in
its own system, and its reference client's credentials are written once, readable by their owner
only."""

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from api.models import ApiClient
from demo.management.commands.seed_demo import DEMO_PASSWORD, EXTERNAL_UNIT
from journeys.models import Document, Journey, Step
from tests.api.conftest import token_for
from units.models import Unit

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.fixture(autouse=True)
def _var_dir(settings, tmp_path):
    """The credentials file goes to the test's own folder, never the developer's var/."""
    settings.VAR_DIR = tmp_path / "var"


def test_seed_demo_refuses_without_debug_or_force(db, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--force"):
        call_command("seed_demo")


@pytest.fixture
def seeded(db, capsys):
    call_command("seed_demo", "--force")
    return capsys.readouterr().out


def sign_in(client, username: str) -> None:
    """Through the login form, as a person does (login throttling sees every attempt)."""
    response = client.post(reverse("login"), {"username": username, "password": DEMO_PASSWORD})
    assert response.status_code == 302, username


def landing(client, username: str) -> str:
    sign_in(client, username)
    response = client.get(reverse("home"), follow=True)
    assert response.status_code == 200
    return response.redirect_chain[-1][0]


def test_every_demo_account_signs_in_and_lands_on_its_own_home_page(client, seeded):
    assert DEMO_PASSWORD in seeded
    usernames = [line.split()[0] for line in seeded.splitlines() if line.startswith("  ")]
    assert len(usernames) >= 12
    expected = {
        "citizen": reverse("citizens:applications"),
        "citizen2": reverse("citizens:applications"),
        "caseworker-urban-planning": reverse("casework:queue"),
        "lead-urban-planning": reverse("casework:queue"),
        "finance-urban-planning": reverse("payments:files"),
        "coordinator": reverse("coordination:dashboard"),
        "admin": reverse("admin:index"),
    }
    for username in usernames:
        home = expected.get(username, reverse("casework:queue"))
        assert landing(client, username) == home, username
        client.logout()


def test_the_demo_has_a_stalled_an_overdue_and_a_completed_journey(client, seeded):
    statuses = set(Journey.objects.values_list("status", flat=True))
    assert {"completed", "rejected", "in_progress", "draft"} <= statuses
    sign_in(client, "coordinator")
    html = client.get(reverse("coordination:dashboard")).content.decode()
    assert "Overdue" in html and "Stalled" in html


def test_a_demo_cafe_sent_its_floor_plan_and_the_building_permit_case_lists_it(client, seeded):
    document = Document.objects.get(field_key="floor_plan")
    assert document.journey.data["company_name"] == "Smulan AB"
    assert {s.step_type.key for s in document.steps.all()} == {
        "building-permit",
        "food-registration",
    }
    permit = document.journey.steps.get(step_type__key="building-permit")
    sign_in(client, "caseworker-urban-planning")
    html = client.get(reverse("casework:case", args=[permit.pk])).content.decode()
    assert "floor-plan-smulan.pdf" in html
    download = client.get(reverse("casework:document", args=[permit.pk, document.pk]))
    assert b"".join(download.streaming_content).startswith(b"%PDF-1.7")


def test_seed_demo_twice_adds_nothing(seeded):
    before = Journey.objects.count()
    call_command("seed_demo", "--force")
    assert Journey.objects.count() == before


def test_a_first_run_on_the_embedded_default_prints_no_warning(tmp_path):
    """What `make run` does before it starts the portal: migrate and seed on the embedded
    default (SQLite, the filesystem broker), in a fresh folder, with nothing on stderr."""
    env = {"PATH": os.environ["PATH"], "DEBUG": "1", "PORTAL_VAR_DIR": str(tmp_path / "var")}
    for command in (["migrate", "--no-input", "-v0"], ["seed_demo"]):
        done = subprocess.run(
            [sys.executable, "manage.py", *command],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=240,
        )
        assert done.returncode == 0, done.stderr
        assert done.stderr == "", done.stderr
    assert "Demo data ready" in done.stdout


def _credentials(settings) -> Path:
    return settings.VAR_DIR / "reference-client.json"


def _active_clients():
    return ApiClient.objects.filter(unit__slug=EXTERNAL_UNIT, revoked_at__isnull=True)


def test_the_tax_agency_works_in_its_own_system_with_a_client_whose_secret_is_in_the_file(
    seeded, settings
):
    assert list(Unit.objects.filter(works_in_own_system=True).values_list("slug", flat=True)) == [
        EXTERNAL_UNIT
    ]
    path = _credentials(settings)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    saved = json.loads(path.read_text())
    (client,) = _active_clients()
    assert saved["client_id"] == client.application.client_id
    assert saved["unit"] == EXTERNAL_UNIT
    # Stored hashed in the database; the file's secret gets a token.
    assert saved["client_secret"] not in client.application.client_secret
    response = token_for(Client(), saved["client_id"], saved["client_secret"])
    assert response.status_code == 200, response.content
    assert str(path) in seeded


def test_the_demos_tax_agency_decisions_were_made_by_its_system(seeded):
    decided = Step.objects.filter(unit__slug=EXTERNAL_UNIT, decided_at__isnull=False)
    assert decided.exists()
    (client,) = _active_clients()
    assert set(decided.values_list("assignee", flat=True)) == {client.user_id}


def test_seeding_again_keeps_the_client_and_the_file(seeded, settings):
    path = _credentials(settings)
    before = path.read_bytes()
    (client,) = _active_clients()
    call_command("seed_demo", "--force")
    assert path.read_bytes() == before
    assert list(_active_clients()) == [client]
    assert ApiClient.objects.count() == 1


@pytest.mark.parametrize("damage", ["missing", "wrong secret"])
def test_without_a_usable_file_the_client_is_replaced(seeded, settings, damage):
    path = _credentials(settings)
    (old,) = _active_clients()
    if damage == "missing":
        path.unlink()
    else:
        path.write_text(json.dumps({**json.loads(path.read_text()), "client_secret": "guess"}))
    call_command("seed_demo", "--force")
    (new,) = _active_clients()
    assert new != old
    old.refresh_from_db()
    assert old.revoked_at is not None
    saved = json.loads(path.read_text())
    assert saved["client_id"] == new.application.client_id
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert token_for(Client(), saved["client_id"], saved["client_secret"]).status_code == 200
