"""What a newcomer meets first: `make run` installs only what running the portal needs, and
the README says how to change the port, where mail goes and how long the first runs take."""

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _planned(target: str, tmp_path) -> str:
    """The commands `make <target>` would run in a fresh checkout (a dry run, nothing done)."""
    return subprocess.run(
        ["make", "--dry-run", "--always-make", target, f"VENV={tmp_path / 'venv'}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout


def test_make_run_installs_the_runtime_requirements_only(tmp_path):
    run = _planned("run", tmp_path)
    assert "-r requirements.txt" in run
    assert "requirements-dev.txt" not in run


def test_make_test_installs_the_test_tools(tmp_path):
    assert "-r requirements-dev.txt" in _planned("test", tmp_path)


def test_the_readme_names_the_port_the_mail_and_the_first_run_times():
    readme = " ".join((ROOT / "README.md").read_text().split())
    assert "make run PORT=" in readme
    assert "console" in readme  # where development mail goes
    assert "first `make run`" in readme and "first `make test`" in readme


def test_make_run_on_another_port_links_e_mails_to_that_port(tmp_path):
    """The sign-up link and every other e-mail link point where the portal is running."""
    run = subprocess.run(
        ["make", "--dry-run", "--always-make", "run", "PORT=8123", f"VENV={tmp_path / 'venv'}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    assert "SITE_URL=${SITE_URL:-http://127.0.0.1:8123}" in run
