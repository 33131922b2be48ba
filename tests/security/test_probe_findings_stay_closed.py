"""What an attacker's probe found, each kept closed by a test (sign-up and sign-in are in
tests/accounts): a client claiming HTTPS, oversized bodies and answers, impossible dates, notes
on closed cases, markup past the start of an upload, browser features no page needs, and
sessions left open."""

import io
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from journeys import services
from journeys.documents import check_upload
from journeys.models import JourneyEvent
from payments.models import Invoice
from tests.factories import (
    decide,
    make_caseworker,
    make_coordinator,
    make_user,
    submitted_journey,
)
from units.middleware import LAST_SEEN

ROOT = Path(__file__).resolve().parent.parent.parent


def _settings_in_a_fresh_process(**env) -> str:
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='portal.settings'; django.setup();"
        "from django.conf import settings as s; print(getattr(s, 'SECURE_PROXY_SSL_HEADER', None))"
    )
    base = {"PATH": "/usr/bin:/bin", "SECRET_KEY": "x" * 60, "DEBUG": "0", "PORTAL_VAR_DIR": "/tmp"}
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def test_a_client_cannot_claim_https_unless_a_trusted_proxy_is_configured():
    assert _settings_in_a_fresh_process() == "None"
    assert "HTTP_X_FORWARDED_PROTO" in _settings_in_a_fresh_process(TRUSTED_PROXY="1")


def test_with_the_default_settings_a_forwarded_proto_header_does_not_make_a_request_secure(
    client, db, settings
):
    settings.SECURE_SSL_REDIRECT = True
    response = client.get(reverse("home"), HTTP_X_FORWARDED_PROTO="https")
    assert response.status_code == 301 and response.url.startswith("https://")


class _Unreadable(io.RawIOBase):
    """A request body that fails the test if anything reads it."""

    def read(self, *args):
        raise AssertionError("the body was read")

    readline = read


def test_a_body_larger_than_the_limit_is_refused_before_it_is_read(client, cafe):
    journey = submitted_journey(cafe)
    client.force_login(journey.applicant)
    url = reverse("citizens:application_track", args=[journey.public_id])
    response = client.generic(
        "POST",
        url,
        b"",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(settings.MAX_REQUEST_BYTES + 1),
        **{"wsgi.input": _Unreadable()},
    )
    assert response.status_code == 413
    assert "What you sent is too large" in response.content.decode()


def test_a_long_answer_is_refused_with_a_clear_error(client, house):
    applicant = make_user()
    client.force_login(applicant)
    journey = services.journey_start(journey_type=house, applicant=applicant, now=timezone.now())
    text_field = next(f for f in house.fields if f.get("kind", "text") == "text")
    url = reverse("citizens:application_question", args=[journey.public_id, text_field["key"]])
    response = client.post(url, {text_field["key"]: "x" * 1_000_000})
    assert response.status_code == 200
    assert "Shorten your answer to 300 characters or fewer" in response.content.decode()
    journey.refresh_from_db()
    assert text_field["key"] not in journey.data


@pytest.mark.parametrize("end", ["9999-12-31", "0001-01-01"])
def test_an_impossible_date_in_the_insight_address_is_a_form_error(client, cafe, end):
    client.force_login(make_coordinator())
    response = client.get(
        reverse("coordination:insight"),
        {"journey_type": cafe.slug, "start": "2026-01-01", "end": end},
    )
    assert response.status_code in (200, 422)
    assert "Enter a date between 1900-01-01 and 2100-12-31" in response.content.decode()


def test_an_impossible_date_answer_is_a_form_error(client, cafe):
    applicant = make_user()
    client.force_login(applicant)
    journey = services.journey_start(journey_type=cafe, applicant=applicant, now=timezone.now())
    url = reverse("citizens:application_question", args=[journey.public_id, "opening_date"])
    response = client.post(url, {"opening_date": "9999-12-31"})
    assert "Enter a date between 1900-01-01 and 2100-12-31" in response.content.decode()


def test_no_note_can_be_added_to_a_decided_step_of_a_completed_journey(client, house):
    journey = submitted_journey(house, answers={"new_drainage": False})
    caseworkers = {}
    while journey.steps.filter(status__in=["queued"]).exists():
        for step in journey.steps.filter(status="queued"):
            caseworkers[step.pk] = make_caseworker(step.unit)
            # The house's permit waits for its fee (payments app): paid, as the applicant would.
            Invoice.objects.filter(step=step).update(paid_at=timezone.now())
            decide(step, by=caseworkers[step.pk])
        from tests.factories import deliver_all

        deliver_all()
    journey.refresh_from_db()
    assert journey.status == "completed"
    step = journey.steps.filter(status="approved").first()
    client.force_login(caseworkers[step.pk])
    before = JourneyEvent.objects.filter(journey=journey).count()
    response = client.post(
        reverse("casework:note", args=[step.pk]),
        {"version": step.version, "kind": "note", "text": "Late remark"},
    )
    assert response.status_code == 409
    assert "This case is closed" in response.content.decode()
    assert JourneyEvent.objects.filter(journey=journey).count() == before


def test_markup_anywhere_in_an_upload_is_refused():
    body = b"%PDF-1.7\n" + b"0" * (3 * 1024 * 1024) + b"<ScRiPt>alert(1)</script>\n%%EOF\n"
    with pytest.raises(Exception, match="PDF, JPG or PNG"):
        check_upload(SimpleUploadedFile("late.pdf", body))
    # A tag split across the upload's chunks is found too.
    upload = SimpleUploadedFile("split.pdf", b"%PDF-1.7\n" + b"0" * 100 + b"<html>")
    upload.DEFAULT_CHUNK_SIZE = 108
    with pytest.raises(Exception, match="PDF, JPG or PNG"):
        check_upload(upload)


def test_every_page_switches_off_browser_features_it_does_not_use(client, db):
    policy = client.get(reverse("home"))["Permissions-Policy"]
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert f"{feature}=()" in policy


def test_citizens_are_signed_out_after_their_idle_timeout(client, db):
    client.force_login(make_user())
    assert client.get(reverse("citizens:applications")).status_code == 200
    session = client.session
    session[LAST_SEEN] = time.time() - (settings.CITIZEN_IDLE_TIMEOUT_MINUTES - 5) * 60
    session.save()
    assert client.get(reverse("citizens:applications")).status_code == 200  # not yet
    session = client.session
    session[LAST_SEEN] = time.time() - settings.CITIZEN_IDLE_TIMEOUT_MINUTES * 60 - 1
    session.save()
    response = client.get(reverse("citizens:applications"))
    assert response.status_code == 302 and "timeout=1" in response.url
    assert client.get(reverse("citizens:applications")).status_code == 302
