"""A unit's system lists and downloads the documents attached to its own steps, nothing else."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from journeys import services
from tests.api.conftest import PDF, add_document
from tests.factories import make_caseworker, submitted_journey
from tests.journey_types import journey_type
from units.models import Unit


def test_a_unit_lists_the_documents_of_its_steps_only(two_units):
    world = two_units
    response = world.caller.get(f"/api/v1/journeys/{world.journey.public_id}/documents/")
    assert response.status_code == 200, response.content
    documents = response.json()["results"]
    assert [d["name"] for d in documents] == ["own-plan.pdf"]
    assert documents[0]["steps"] == [world.own.pk]
    world.own.refresh_from_db()
    assert documents[0]["registration_number"] == f"{world.own.registration_number}-1"
    assert documents[0]["content"] == f"/api/v1/documents/{world.own_document.pk}/content/"
    assert "other-plan.pdf" not in response.content.decode()


def test_a_unit_downloads_its_document_as_an_attachment(two_units):
    world = two_units
    response = world.caller.get(f"/api/v1/documents/{world.own_document.pk}/content/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == PDF


def test_another_units_document_is_not_found_and_named_nowhere(two_units):
    world = two_units
    response = world.caller.get(f"/api/v1/documents/{world.other_document.pk}/content/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert "other-plan" not in response.content.decode()


def test_the_download_ignores_accept_and_sends_the_file(two_units):
    world = two_units
    response = world.caller.get(
        f"/api/v1/documents/{world.own_document.pk}/content/", headers={"Accept": "application/pdf"}
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"


def test_a_coordination_client_sees_no_documents(two_units, api_caller):
    world = two_units
    coordination = api_caller()
    listed = coordination.get(f"/api/v1/journeys/{world.journey.public_id}/documents/")
    assert listed.status_code == 200
    assert listed.json()["results"] == []
    response = coordination.get(f"/api/v1/documents/{world.own_document.pk}/content/")
    assert response.status_code == 404


def test_a_document_of_a_journey_outside_the_scope_is_not_found(two_units):
    kind = journey_type(
        parallel=1, chain=0, slug="elsewhere", prefix="ELS", units={"parallel-1": "office-x"}
    )
    elsewhere = submitted_journey(kind)
    document = add_document(elsewhere, elsewhere.steps.get(), "secret.pdf")
    response = two_units.caller.get(f"/api/v1/documents/{document.pk}/content/")
    assert response.status_code == 404
    listed = two_units.caller.get(f"/api/v1/journeys/{elsewhere.public_id}/documents/")
    assert listed.status_code == 404


def test_a_unit_reads_which_question_a_document_answers_and_which_are_its_own(api_caller):
    trail = journey_type(parallel=2, chain=1, files=True)
    journey = submitted_journey(trail, files={"site_plan": SimpleUploadedFile("plan.pdf", PDF)})
    step = journey.steps.get(step_type__key="parallel-1")
    caseworker = make_caseworker(step.unit)
    step = services.step_claim(step=step, by=caseworker, now=timezone.now())
    services.step_document_add(
        step=step,
        by=caseworker,
        upload=SimpleUploadedFile("visit.pdf", PDF),
        visible_to_applicant=False,
        now=timezone.now(),
    )
    caller = api_caller(Unit.objects.get(pk=step.unit_id))
    response = caller.get(f"/api/v1/journeys/{journey.public_id}/documents/")
    assert response.status_code == 200, response.content
    listed = {d["name"]: d for d in response.json()["results"]}
    assert listed["plan.pdf"]["question"] == "site_plan"
    assert listed["plan.pdf"]["added_by_unit"] is None
    assert listed["plan.pdf"]["visible_to_applicant"] is True
    assert listed["visit.pdf"]["question"] == ""
    assert listed["visit.pdf"]["added_by_unit"] == step.unit.slug
    assert listed["visit.pdf"]["visible_to_applicant"] is False
