"""Uploads: type read from the content, size limited, stored outside every served folder, and
downloaded only by the applicant and the units the journey reached."""

import datetime as dt
from html import unescape
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from journeys import services
from journeys.models import Document
from tests.factories import make_caseworker, make_user, submitted_journey
from tests.journey_types import journey_type

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
POLYGLOT = b"\x89PNG\r\n\x1a\n<html><script>alert(document.cookie)</script></html>"


@pytest.fixture
def trail(db):
    """parallel-1 -> chain-1, and parallel-2, each in a unit of its own."""
    return journey_type(parallel=2, chain=1)


@pytest.fixture
def waiting(trail):
    """A journey whose step parallel-1 waits for the applicant to send documents."""
    journey = submitted_journey(trail, make_user("applicant"))
    step = journey.steps.get(step_type__key="parallel-1")
    caseworker = make_caseworker(step.unit)
    step = services.step_claim(step=step, by=caseworker, now=timezone.now())
    request = services.information_request_create(
        step=step,
        by=caseworker,
        items=["Floor plan"],
        due_date=timezone.localdate() + dt.timedelta(days=10),
        now=timezone.now(),
    )
    return journey, step, request, caseworker


def answer(client, journey, request, upload=None, **extra):
    data = {f"request-{request.pk}-answer": "Here it is.", **extra}
    if upload is not None:
        data[f"request-{request.pk}-upload"] = upload
    url = reverse("citizens:information_answer", args=[journey.public_id, request.pk])
    return client.post(url, data)


def test_a_document_sent_with_an_answer_is_stored_outside_served_folders(client, waiting):
    journey, step, request, _ = waiting
    client.force_login(journey.applicant)
    response = answer(client, journey, request, SimpleUploadedFile("plan.pdf", PDF))
    assert response.status_code == 302
    document = Document.objects.get()
    assert document.content_type == "application/pdf" and list(document.steps.all()) == [step]
    stored = Path(document.file.path).resolve()
    assert stored.is_relative_to(Path(settings.DOCUMENTS_ROOT).resolve())
    served = [Path(d if isinstance(d, str | Path) else d[1]) for d in settings.STATICFILES_DIRS]
    for folder in [*served, Path(settings.STATIC_ROOT), settings.BASE_DIR / "templates"]:
        assert not stored.is_relative_to(folder.resolve()), folder
    with pytest.raises(ValueError):
        document.file.url  # noqa: B018 - no public address exists


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (SimpleUploadedFile("plan.pdf", PNG), "The file's name does not match its content"),
        (SimpleUploadedFile("notes.pdf", b"just some text"), "The file must be a PDF, JPG or PNG"),
        (SimpleUploadedFile("image.png", POLYGLOT), "The file must be a PDF, JPG or PNG"),
    ],
)
def test_a_file_whose_content_is_not_an_accepted_type_is_refused(client, waiting, upload, message):
    journey, _, request, _ = waiting
    client.force_login(journey.applicant)
    response = answer(client, journey, request, upload)
    assert response.status_code == 422
    html = unescape(response.content.decode())
    assert message in html and "There is a problem" in html
    assert "Here it is." in html  # the answer typed is kept
    assert not Document.objects.exists()
    request.refresh_from_db()
    assert request.answered_at is None


def test_an_oversize_file_is_refused(client, waiting, settings):
    settings.DOCUMENT_MAX_BYTES = 1024
    journey, _, request, _ = waiting
    client.force_login(journey.applicant)
    response = answer(client, journey, request, SimpleUploadedFile("big.pdf", PDF + b"0" * 2048))
    assert response.status_code == 422
    assert "The file must be smaller than 1.0" in response.content.decode()
    assert not Document.objects.exists()


def test_only_the_applicant_and_units_the_journey_reached_can_download(client, waiting):
    journey, step, request, caseworker = waiting
    client.force_login(journey.applicant)
    answer(client, journey, request, SimpleUploadedFile("plan.pdf", PDF))
    document = Document.objects.get()
    own_url = reverse("citizens:document", args=[journey.public_id, document.pk])
    unit_url = reverse("casework:document", args=[step.pk, document.pk])

    response = client.get(own_url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="plan.pdf"')
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == PDF

    client.force_login(caseworker)
    assert client.get(unit_url).status_code == 200

    client.force_login(make_user("stranger"))
    assert client.get(own_url).status_code == 404
    assert client.get(unit_url).status_code == 404
    other_unit = journey.steps.get(step_type__key="parallel-2")
    client.force_login(make_caseworker(journey.steps.get(step_type__key="chain-1").unit))
    assert client.get(unit_url).status_code == 404  # that unit's step has not started
    assert (
        client.get(reverse("casework:document", args=[other_unit.pk, document.pk])).status_code
        == 404
    )


def test_a_document_already_sent_is_attached_to_another_step_by_reference(client, trail):
    journey = submitted_journey(trail, make_user("applicant"))
    client.force_login(journey.applicant)
    requests = []
    for key in ("parallel-1", "parallel-2"):
        step = journey.steps.get(step_type__key=key)
        caseworker = make_caseworker(step.unit)
        step = services.step_claim(step=step, by=caseworker, now=timezone.now())
        requests.append(
            services.information_request_create(
                step=step,
                by=caseworker,
                items=["Floor plan"],
                due_date=timezone.localdate() + dt.timedelta(days=10),
                now=timezone.now(),
                blocks=[],  # each unit's own request: the two steps are asked apart
            )
        )
    answer(client, journey, requests[0], SimpleUploadedFile("plan.pdf", PDF))
    document = Document.objects.get()
    response = answer(
        client, journey, requests[1], **{f"request-{requests[1].pk}-documents": [document.pk]}
    )
    assert response.status_code == 302
    assert Document.objects.count() == 1
    assert {s.step_type.key for s in document.steps.all()} == {"parallel-1", "parallel-2"}
