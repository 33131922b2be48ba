"""seed_demo: every demo account signs in and lands on its own home page."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from demo.management.commands.seed_demo import DEMO_PASSWORD
from journeys.models import Journey

ROOT = Path(__file__).resolve().parent.parent.parent


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
    usernames = [line.split()[0] for line in seeded.splitlines()[1:]]
    assert len(usernames) >= 12
    expected = {
        "citizen": reverse("citizens:applications"),
        "citizen2": reverse("citizens:applications"),
        "caseworker-urban-planning": reverse("casework:queue"),
        "lead-urban-planning": reverse("casework:queue"),
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
