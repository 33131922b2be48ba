"""Security that every page carries: CSP without inline code, CSRF on every state change,
cookies and sessions handled as a public authority should."""

import re
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.test import Client
from django.urls import reverse

from tests.factories import make_caseworker, make_user, submitted_journey
from tests.journey_types import journey_type
from units.middleware import LAST_SEEN

ROOT = Path(__file__).resolve().parents[2]


def test_every_page_sends_a_content_security_policy_without_inline_code(client, db):
    response = client.get(reverse("home"))
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_no_template_has_inline_script_style_or_event_handlers():
    # The letters are printed to PDF by WeasyPrint, never served: their stylesheet is inline.
    letters = ROOT / "templates" / "letters"
    for template in (ROOT / "templates").rglob("*.html"):
        text = template.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), template
        if letters not in template.parents:
            assert "<style" not in text and " style=" not in text, template
        assert not re.search(r"\son[a-z]+=", text), template


def test_htmx_is_told_not_to_inject_styles_or_evaluate_code(client, db):
    html = client.get(reverse("home")).content.decode()
    assert '"includeIndicatorStyles": false' in html and '"allowEval": false' in html


def test_a_post_without_the_csrf_token_is_refused_htmx_included(db):
    journey = submitted_journey(journey_type())
    step = journey.steps.get(step_type__key="parallel-1")
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_caseworker(step.unit))
    url = reverse("casework:claim", args=[step.pk])
    assert client.post(url).status_code == 403
    assert client.post(url, headers={"HX-Request": "true"}).status_code == 403
    page = client.get(reverse("casework:case", args=[step.pk])).content.decode()
    token = re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)
    response = client.post(url, headers={"HX-Request": "true", "X-CSRFToken": token})
    assert response.status_code == 302


def test_the_session_is_rotated_at_sign_in_and_ended_at_sign_out(client, db):
    make_user("anna")
    client.get(reverse("login"))
    client.cookies[settings.SESSION_COOKIE_NAME] = "chosen-by-an-attacker"
    client.post(reverse("login"), {"username": "anna", "password": "pw-for-tests-only"})
    session_key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert session_key != "chosen-by-an-attacker"
    client.post(reverse("logout"))
    from django.contrib.sessions.models import Session

    assert not Session.objects.filter(session_key=session_key).exists()


def test_staff_are_signed_out_after_the_idle_timeout_citizens_later(client, db):
    caseworker = make_caseworker(journey_type().steps.first().unit)
    client.force_login(caseworker)
    assert client.get(reverse("casework:queue")).status_code == 200
    session = client.session
    session[LAST_SEEN] = time.time() - settings.STAFF_IDLE_TIMEOUT_MINUTES * 60 - 1
    session.save()
    response = client.get(reverse("casework:queue"))
    assert response.status_code == 302 and "timeout=1" in response.url
    assert client.get(reverse("casework:queue")).status_code == 302  # signed out

    citizen = make_user()
    client.force_login(citizen)
    session = client.session
    session[LAST_SEEN] = time.time() - settings.STAFF_IDLE_TIMEOUT_MINUTES * 60 - 1
    session.save()
    assert client.get(reverse("citizens:applications")).status_code == 200


def test_reading_pages_does_not_rewrite_a_staff_session_more_than_once_a_minute(client, db):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(make_caseworker(journey_type().steps.first().unit))
    client.get(reverse("casework:queue"))

    def session_writes() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("casework:queue")).status_code == 200
        return sum('UPDATE "django_session"' in q["sql"] for q in queries)

    assert session_writes() == 0
    session = client.session
    session[LAST_SEEN] = time.time() - 120
    session.save()
    assert session_writes() == 1
    assert time.time() - client.session[LAST_SEEN] < 5


def test_production_cookies_are_secure_httponly_and_samesite():
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='portal.settings'; django.setup();"
        "from django.conf import settings as s;"
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY,"
        " s.SESSION_COOKIE_SAMESITE, s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS > 0)"
    )
    env = {"PATH": "/usr/bin:/bin", "SECRET_KEY": "x" * 60, "DEBUG": "0", "PORTAL_VAR_DIR": "/tmp"}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.stdout.split() == ["True", "True", "True", "Lax", "True", "True"], result.stderr


def check_deploy(**env) -> subprocess.CompletedProcess:
    env = {
        "PATH": "/usr/bin:/bin",
        "SECRET_KEY": "k3y-" + "x9Z" * 20,
        "DEBUG": "0",
        "ALLOWED_HOSTS": "portal.example.org",
        "SITE_URL": "https://portal.example.org",
        "PORTAL_VAR_DIR": "/tmp/portal-deploy-check",
        **env,
    }
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={name: value for name, value in env.items() if value is not None},
        capture_output=True,
        text=True,
    )


def test_check_deploy_reports_nothing_with_production_settings():
    result = check_deploy()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_wants_the_portals_https_address_for_links_in_e_mails():
    unset = check_deploy(SITE_URL=None)  # the development default, 127.0.0.1
    assert unset.returncode == 1 and "journeys.E001" in unset.stderr
    plain = check_deploy(SITE_URL="http://portal.example.org")
    assert plain.returncode == 1 and "journeys.W001" in plain.stderr
    assert "journeys.E001" not in plain.stderr
    with_path = check_deploy(SITE_URL="https://portal.example.org/cases")
    assert with_path.returncode == 1 and "SITE_URL must be scheme://host[:port]" in with_path.stderr
