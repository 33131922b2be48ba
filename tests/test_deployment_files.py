"""docker-compose.yml and the settings describe a real deployment (no Docker engine runs here)."""

import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_runs_web_worker_beat_postgres_and_redis_from_the_repository_image():
    services = compose()["services"]
    assert {"web", "worker", "beat", "postgres", "redis"} <= set(services)
    for name in ("web", "worker", "beat", "relay", "migrate"):
        assert services[name]["build"] == ".", name
        env = services[name]["environment"]
        assert (
            env["DATABASE_URL"].startswith("postgres://")
            and "@postgres:5432/" in env["DATABASE_URL"]
        )
        assert env["CELERY_BROKER_URL"] == "redis://redis:6379/0"
        assert env["SECRET_KEY"].startswith("${SECRET_KEY:?")  # from the environment, never here
        assert services[name]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert "gunicorn" in services["web"]["command"]
    assert "worker" in " ".join(services["worker"]["command"])
    assert "unit_queues" in " ".join(services["worker"]["command"])
    assert "beat" in services["beat"]["command"]
    assert "outbox_relay" in services["relay"]["command"]
    assert (ROOT / "Dockerfile").is_file()


def test_compose_runs_web_replicas_behind_a_balancer_and_a_unit_on_a_worker_of_its_own():
    services = compose()["services"]
    # web publishes no host port, so it scales; the balancer is the one entrance.
    assert "ports" not in services["web"] and services["web"]["expose"] == ["8000"]
    balancer = services["balancer"]
    assert balancer["ports"] == ["8000:8000"]
    mount = balancer["volumes"][0].split(":")
    assert mount[0] == "./deploy/nginx.conf"
    nginx = (ROOT / "deploy" / "nginx.conf").read_text()
    assert "server web:8000;" in nginx and "proxy_pass http://portal_web;" in nginx
    assert "location = /metrics {\n        return 404;" in nginx  # not to the internet
    # Environment & Health's queue is consumed by its own worker only.
    own = services["worker-environment-health"]["command"]
    assert own[own.index("-Q") + 1] == "unit.environment-health"
    assert "unit_queues --except environment-health" in " ".join(services["worker"]["command"])


def test_compose_redis_keeps_messages_it_has_accepted():
    command = compose()["services"]["redis"]["command"]
    assert command[command.index("--appendonly") + 1] == "yes"
    assert command[command.index("--maxmemory-policy") + 1] == "noeviction"


def test_every_environment_variable_the_settings_read_is_documented():
    settings_text = (ROOT / "portal" / "settings.py").read_text()
    documented = {
        line.split("=", 1)[0]
        for line in (ROOT / ".env.example").read_text().splitlines()
        if line and not line.startswith("#")
    }
    import re

    read = set(re.findall(r'env(?:iron\.get|_bool|_list)?\(\s*"([A-Z_]+)"', settings_text))
    read |= set(re.findall(r'os\.environ\.get\("([A-Z_]+)"', settings_text))
    assert read and read <= documented, read - documented


def test_production_settings_refuse_to_start_without_a_secret_key():
    env = {"PATH": "/usr/bin:/bin", "DEBUG": "0"}
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django, os; os.environ['DJANGO_SETTINGS_MODULE']="
            "'portal.settings'; django.setup()",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "Set SECRET_KEY" in result.stderr


def test_compose_keeps_uploaded_documents_in_a_volume():
    """Recreating a container must not lose a document: they live in a named volume."""
    config = compose()
    assert "documents" in config["volumes"]
    for name in ("web", "worker", "beat"):
        service = config["services"][name]
        assert "documents:/app/var/documents" in service["volumes"], name
        assert service["environment"]["DOCUMENTS_ROOT"] == "/app/var/documents"


def test_compose_restarts_the_worker_and_relay_and_the_worker_skips_gossip_and_mingle():
    """Both outlive a broker outage on their own; the supervisor restarts them if they die."""
    services = compose()["services"]
    for name in ("worker", "beat", "relay"):
        assert services[name]["restart"] == "unless-stopped", name
    worker = " ".join(services["worker"]["command"])
    assert "--without-gossip" in worker and "--without-mingle" in worker
    procfile = (ROOT / "Procfile.dev").read_text()
    assert "--without-gossip --without-mingle" in procfile and "outbox_relay" in procfile


def test_the_demos_external_unit_runs_beside_the_portal():
    """`make run` starts the reference client (the Tax Agency's own system) with the portal's
    port and a port of its own; compose has it as an opt-in demo service calling the portal at
    its public address, its subscription kept in a volume."""
    procfile = dict(
        line.split(": ", 1) for line in (ROOT / "Procfile.dev").read_text().splitlines() if line
    )
    external = procfile["external"]
    assert "reference_unit_system" in external
    assert "--portal http://127.0.0.1:$PORTAL_PORT" in external
    assert "--listen 127.0.0.1:$EXTERNAL_PORT" in external
    makefile = (ROOT / "Makefile").read_text()
    assert "PORTAL_PORT=$(PORT) EXTERNAL_PORT=$(EXTERNAL_PORT)" in makefile
    # honcho gives each process type its own PORT (8000, 8100, ...): only web may use it.
    assert [
        name for name, line in procfile.items() if "$PORT" in line.replace("$PORTAL_PORT", "")
    ] == ["web"]

    config = compose()
    service = config["services"]["external"]
    assert service["build"] == "." and service["profiles"] == ["demo"]
    command = service["command"]
    assert "reference_unit_system" in command
    assert command[command.index("--portal") + 1] == "${SITE_URL:?set SITE_URL}"
    assert command[command.index("--callback-url") + 1] == "http://external:8001/events/"
    assert service["environment"]["REFERENCE_CLIENT_SECRET"] == "${REFERENCE_CLIENT_SECRET:-}"
    credentials = command[command.index("--credentials") + 1]
    assert any(credentials.startswith(volume.split(":")[1]) for volume in service["volumes"]), (
        "the subscription's file must outlive the container"
    )
    assert "external-state" in config["volumes"]
    assert "/app/var/external" in (ROOT / "Dockerfile").read_text()
