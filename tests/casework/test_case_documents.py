"""The case page's documents: the application's files listed on the case of each step that needs
them, and the unit's own documents added from the case page (internal, or shown to the
applicant), each downloadable only by those who may have it."""

from html import unescape

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from journeys import services
from journeys.models import Document, JourneyEvent
from tests.factories import decide, make_caseworker, make_coordinator, submitted_journey
from tests.html import parse
from tests.journey_types import journey_type

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def journey(db):
    """parallel-1 needs the site plan, parallel-2 does not; both with their units."""
    trail = journey_type(parallel=2, chain=1, files=True)
    return submitted_journey(trail, files={"site_plan": SimpleUploadedFile("plan.pdf", PDF)})


@pytest.fixture
def held(client, journey):
    """parallel-1, taken by the signed-in caseworker."""
    step = journey.steps.get(step_type__key="parallel-1")
    caseworker = make_caseworker(step.unit)
    client.force_login(caseworker)
    return services.step_claim(step=step, by=caseworker, now=timezone.now())


def case_url(step):
    return reverse("casework:case", args=[step.pk])


def add(client, step, upload, **extra):
    data = {"version": step.version, "upload": upload, **extra}
    return client.post(reverse("casework:document_add", args=[step.pk]), data)


def test_the_application_file_is_listed_on_the_case_of_each_step_that_needs_it(client, journey):
    plan = Document.objects.get(journey=journey)
    needing = journey.steps.get(step_type__key="parallel-1")
    client.force_login(make_caseworker(needing.unit))
    page = parse(client.get(case_url(needing)).content)
    link = page.find("a", href=reverse("casework:document", args=[needing.pk, plan.pk]))
    assert link.text == "plan.pdf"
    other = journey.steps.get(step_type__key="parallel-2")
    client.force_login(make_caseworker(other.unit))
    html = client.get(case_url(other)).content.decode()
    assert "plan.pdf" not in html and "No documents for your steps." in html
    assert client.get(reverse("casework:document", args=[other.pk, plan.pk])).status_code == 404


def test_the_holder_adds_an_internal_document_from_the_case_page(client, held):
    page = parse(client.get(case_url(held)).content)
    form = page.find("form", action=reverse("casework:document_add", args=[held.pk]))
    assert form.attrs["enctype"] == "multipart/form-data"
    assert page.control_labelled("The applicant may see this document").attrs["type"] == (
        "checkbox"
    )
    response = add(client, held, SimpleUploadedFile("site-visit.png", PNG))
    assert response.status_code == 302 and response.url == case_url(held)
    document = Document.objects.get(unit=held.unit)
    assert not document.visible_to_applicant and list(document.steps.all()) == [held]
    page = client.get(case_url(held)).content.decode()
    assert "The document is added, for your unit only." in page
    listed = (
        parse(page)
        .find("a", href=reverse("casework:document", args=[held.pk, document.pk]))
        .parent.text
    )
    assert "site-visit.png" in listed and "internal" in listed
    assert JourneyEvent.objects.filter(
        kind=JourneyEvent.Kind.DOCUMENT_ADDED, step=held, visible_to_applicant=False
    ).exists()
    assert client.get(reverse("casework:document", args=[held.pk, document.pk])).status_code == 200
    # Not the applicant's, and not another unit's.
    client.force_login(held.journey.applicant)
    own = reverse("citizens:document", args=[held.journey.public_id, document.pk])
    assert client.get(own).status_code == 404
    other = held.journey.steps.get(step_type__key="parallel-2")
    client.force_login(make_caseworker(other.unit))
    assert client.get(reverse("casework:document", args=[other.pk, document.pk])).status_code == 404


def test_a_document_shown_to_the_applicant_is_theirs_to_download(client, held):
    add(client, held, SimpleUploadedFile("letter.pdf", PDF), visible_to_applicant="on")
    document = Document.objects.get(unit=held.unit)
    assert document.visible_to_applicant
    client.force_login(held.journey.applicant)
    response = client.get(reverse("citizens:document", args=[held.journey.public_id, document.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="letter.pdf"')


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (None, "Select the file to add to the case"),
        (SimpleUploadedFile("notes.pdf", b"plain text"), "The file must be a PDF, JPG or PNG"),
        (SimpleUploadedFile("photo.pdf", PNG), "The file's name does not match its content"),
    ],
)
def test_a_missing_or_unacceptable_file_is_explained(client, held, upload, message):
    data = {"version": held.version}
    if upload is not None:
        data["upload"] = upload
    response = client.post(reverse("casework:document_add", args=[held.pk]), data)
    assert response.status_code == 422
    html = unescape(response.content.decode())
    assert "There is a problem" in html and message in html
    assert parse(html).find("a", href="#document-upload")
    assert not Document.objects.filter(unit__isnull=False).exists()


def test_others_cannot_add_and_a_closed_case_takes_no_more(client, held):
    journey = held.journey
    for outsider in (
        make_caseworker(journey.steps.get(step_type__key="parallel-2").unit),
        make_coordinator(),
    ):
        client.force_login(outsider)
        assert add(client, held, SimpleUploadedFile("x.pdf", PDF)).status_code == 404
    decide(held, by=held.assignee)
    held.refresh_from_db()
    client.force_login(held.assignee)
    response = add(client, held, SimpleUploadedFile("late.pdf", PDF))
    assert response.status_code == 409
    assert "This case is closed" in response.content.decode()
    assert not Document.objects.filter(unit__isnull=False).exists()
