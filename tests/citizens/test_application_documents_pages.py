"""The applicant's side of documents with the application: a file question on its own page
(the design system's file upload), the file's name on check-your-answers with a change link, a
required file that blocks sending, and the tracking page listing the applicant's documents and
those a unit chose to show them (a unit's internal ones neither listed nor downloadable)."""

from html import unescape

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from journeys import services
from journeys.models import Document, Journey
from tests.factories import answer_questions, make_caseworker, make_user, submitted_journey
from tests.html import parse
from tests.journey_types import TRAIL_ANSWERS, journey_type

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
ANSWERS = {k: v for k, v in TRAIL_ANSWERS.items() if k != "wants_conditional"}


@pytest.fixture
def trail(db):
    """A required site plan (PDF only) and an optional photo, asked after the text questions."""
    return journey_type(parallel=2, chain=1, files=True)


@pytest.fixture
def draft(client, trail):
    applicant = make_user("applicant")
    client.force_login(applicant)
    journey = services.journey_start(journey_type=trail, applicant=applicant, now=timezone.now())
    services.journey_applying_for_self(journey=journey)
    return journey


def question_url(journey, key):
    return reverse("citizens:application_question", args=[journey.public_id, key])


def check_url(journey):
    return reverse("citizens:application_check", args=[journey.public_id])


def test_a_file_question_has_its_own_page_with_the_file_upload(client, draft):
    response = client.get(question_url(draft, "site_plan"))
    page = parse(response.content)
    assert page.find("form", novalidate="").attrs["enctype"] == "multipart/form-data"
    heading = page.find("h1", "govuk-label-wrapper")
    assert heading.text == "Site plan"
    upload = page.control_labelled("Site plan")
    assert (upload.attrs["type"], upload.attrs["name"]) == ("file", "site_plan")
    assert upload.attrs["class"] == "govuk-file-upload"
    assert upload.attrs["accept"] == ".pdf,application/pdf"
    hint = page.find("div", "govuk-hint").text
    assert hint.startswith("Drawn to scale. A PDF file, smaller than 10")
    photo = parse(client.get(question_url(draft, "site_photo")).content)
    assert photo.find("label", "govuk-label--l").text == "Photo of the site (optional)"
    hint = photo.find("div", "govuk-hint").text
    assert hint.startswith("A PDF, JPG or PNG file, smaller than 10")


def test_a_file_sent_moves_on_and_check_answers_shows_its_name_with_a_change_link(client, draft):
    answer_questions(client, draft, ANSWERS)
    response = client.post(
        question_url(draft, "site_plan"), {"site_plan": SimpleUploadedFile("plan.pdf", PDF)}
    )
    assert response.url == question_url(draft, "site_photo")
    response = client.post(question_url(draft, "site_photo"), {})
    assert response.url == check_url(draft)
    draft.refresh_from_db()
    assert draft.data["site_plan"] == "plan.pdf" and draft.data["site_photo"] == ""
    page = parse(client.get(check_url(draft)).content)
    answers = {
        row.find("dt").text: row.find("dd", "govuk-summary-list__value").text
        for row in page.find_all("div", "govuk-summary-list__row")
    }
    assert answers["Site plan"] == "plan.pdf"
    assert answers["Photo of the site"] == "Not provided"
    change = page.find("a", href=f"{question_url(draft, 'site_plan')}?change=1")
    assert change.text == "Change Site plan"
    assert page.find("button", "govuk-button").text == "Accept and send application"


def test_a_file_of_another_type_or_none_is_explained_on_the_question_page(client, draft):
    response = client.post(
        question_url(draft, "site_plan"), {"site_plan": SimpleUploadedFile("plan.png", PNG)}
    )
    html = unescape(response.content.decode())
    assert response.status_code == 200 and "There is a problem" in html
    assert "The file must be a PDF file" in html
    assert parse(html).find("a", href="#id_site_plan")
    empty = unescape(client.post(question_url(draft, "site_plan"), {}).content.decode())
    assert "Select a file for site plan" in empty
    assert not Document.objects.filter(journey=draft).exists()


def test_a_required_file_missing_blocks_sending_and_says_which(client, draft):
    answer_questions(client, draft, ANSWERS)
    client.post(question_url(draft, "site_photo"), {})
    page = unescape(client.get(check_url(draft)).content.decode())
    assert "Some answers are missing: Site plan." in page
    assert "Accept and send application" not in page
    response = client.post(check_url(draft))
    assert response.url == reverse("citizens:application_resume", args=[draft.public_id])
    draft.refresh_from_db()
    assert draft.status == Journey.Status.DRAFT
    resumed = client.get(response.url)
    assert resumed.url == question_url(draft, "site_plan")
    message = unescape(client.get(resumed.url).content.decode())
    assert "Some answers are missing: Site plan. Complete them, then send." in message


def test_the_file_given_is_kept_replaced_or_removed(client, draft):
    client.post(
        question_url(draft, "site_photo"), {"site_photo": SimpleUploadedFile("front.png", PNG)}
    )
    page = parse(client.get(question_url(draft, "site_photo")).content)
    assert "You have sent front.png. Choose another file only to replace it." in (
        page.find("div", "govuk-hint").text
    )
    remove = page.control_labelled("Remove front.png from the application")
    assert remove.attrs["type"] == "checkbox"
    client.post(question_url(draft, "site_photo"), {})  # continue: kept
    assert Document.objects.get(journey=draft).name == "front.png"
    client.post(question_url(draft, "site_photo"), {"site_photo-remove": "on"})
    draft.refresh_from_db()
    assert draft.data["site_photo"] == "" and not Document.objects.filter(journey=draft).exists()
    # A required file has no way to be removed, only replaced.
    client.post(question_url(draft, "site_plan"), {"site_plan": SimpleUploadedFile("a.pdf", PDF)})
    page = parse(client.get(question_url(draft, "site_plan")).content)
    assert not page.find_all("input", type="checkbox")


def test_sending_attaches_the_file_and_the_receipt_and_tracking_page_list_it(client, draft):
    answer_questions(client, draft, ANSWERS)
    client.post(question_url(draft, "site_plan"), {"site_plan": SimpleUploadedFile("p.pdf", PDF)})
    client.post(question_url(draft, "site_photo"), {})
    client.post(check_url(draft))
    draft.refresh_from_db()
    assert draft.status == Journey.Status.SUBMITTED
    document = Document.objects.get(journey=draft, field_key="site_plan")
    assert {s.step_type.key for s in document.steps.all()} == {"parallel-1", "chain-1"}
    html = client.get(reverse("citizens:application_track", args=[draft.public_id])).content
    page = parse(html)
    link = page.find("a", href=reverse("citizens:document", args=[draft.public_id, document.pk]))
    assert link.text == "p.pdf"
    # Not among the answers that can still be changed: it is with the units already.
    assert "p.pdf" not in page.find("section", id="answers").text


@pytest.fixture
def with_unit_documents(trail):
    """A submitted journey whose parallel-1 caseworker added an internal and a shown document."""
    journey = submitted_journey(
        trail, make_user("applicant"), files={"site_plan": SimpleUploadedFile("p.pdf", PDF)}
    )
    step = journey.steps.get(step_type__key="parallel-1")
    caseworker = make_caseworker(step.unit)
    step = services.step_claim(step=step, by=caseworker, now=timezone.now())
    documents = {}
    for name, visible in (("internal-notes.pdf", False), ("letter-to-you.pdf", True)):
        documents[visible] = services.step_document_add(
            step=step,
            by=caseworker,
            upload=SimpleUploadedFile(name, PDF),
            visible_to_applicant=visible,
            now=timezone.now(),
        )
    return journey, documents


def test_the_tracking_page_lists_only_the_documents_the_applicant_may_see(
    client, with_unit_documents
):
    journey, documents = with_unit_documents
    client.force_login(journey.applicant)
    html = client.get(reverse("citizens:application_track", args=[journey.public_id])).content
    page = unescape(html.decode())
    shown = reverse("citizens:document", args=[journey.public_id, documents[True].pk])
    hidden = reverse("citizens:document", args=[journey.public_id, documents[False].pk])
    assert "Documents from the units" in page
    listed = parse(html).find("a", href=shown).parent.text
    assert listed.startswith("letter-to-you.pdf (Office parallel 1, ")
    assert "p.pdf" in page  # the applicant's own, with the application
    assert "internal-notes.pdf" not in page
    assert client.get(shown).status_code == 200
    assert client.get(hidden).status_code == 404
    timeline = parse(html).find("ol", "portal-timeline").text
    assert "letter-to-you.pdf" in timeline and "internal-notes.pdf" not in timeline


def test_the_application_pages_are_swedish_in_swedish(client, draft):
    client.post(reverse("set_language"), {"language": "sv"})
    page = parse(client.get(question_url(draft, "site_plan")).content)
    assert page.find("h1", "govuk-label-wrapper").text == "Situationsplan"
    assert page.find("div", "govuk-hint").text.startswith(
        "Skalenligt ritad. En fil av typen PDF, mindre än 10"
    )
    refused = client.post(
        question_url(draft, "site_plan"), {"site_plan": SimpleUploadedFile("p.png", PNG)}
    )
    assert "Filen måste vara av typen PDF" in unescape(refused.content.decode())
    photo = parse(client.get(question_url(draft, "site_photo")).content)
    assert "En fil av typen PDF, JPG eller PNG" in photo.find("div", "govuk-hint").text
