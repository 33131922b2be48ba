"""Each unit sees the answers and documents its step needs, plus what the journey type shares;
coordinators see the shared details; nobody sees another unit's documents or answers."""
# Keeps the shipped café: it walks each café unit against the fields that file shares or not.

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation

from journeys import services
from journeys.models import Step
from tests.factories import (
    decide,
    deliver_all,
    make_caseworker,
    make_coordinator,
    make_user,
    submitted_journey,
)
from tests.html import texts

CAFE_STEPS = [
    "company-registration",
    "building-permit",
    "food-registration",
    "serving-licence",
    "outdoor-seating",
    "gas-permit",
]


# The café's file questions: each document goes to the steps that need it, and only to them.
FILES = ["floor_plan", "menu"]


@pytest.fixture
def reached_journey(cafe):
    """A café journey in which every step has reached its unit, with a document per step, and
    the floor plan and the menu sent with the application."""
    applicant = make_user("applicant")
    files = {key: SimpleUploadedFile(f"{key}.pdf", b"%PDF-1.7\n%%EOF\n") for key in FILES}
    journey = submitted_journey(cafe, applicant, files=files)
    for key in ("building-permit", "food-registration"):
        decide(journey.steps.get(step_type__key=key))
        deliver_all()
    assert not journey.steps.filter(status=Step.Status.WAITING).exists()
    for step in journey.steps.all():
        services.document_add(
            journey=journey,
            by=applicant,
            upload=SimpleUploadedFile(f"{step.step_type.key}.pdf", b"%PDF-1.7\n%%EOF\n"),
            steps=[step],
            now=timezone.now(),
        )
    return journey


def _answer_labels(page: bytes) -> set[str]:
    return set(texts(page, "dt", "govuk-summary-list__key", within="applicant-details"))


def _labels(journey, keys) -> set[str]:
    return {f["label"] for f in journey.journey_type.display_fields if f["key"] in keys}


def _document_names(page: bytes) -> set[str]:
    return {name for name in texts(page, "a", "govuk-link") if name.endswith(".pdf")}


def test_the_cafe_names_every_step_this_test_walks_through(cafe):
    assert sorted(cafe.steps.values_list("key", flat=True)) == sorted(CAFE_STEPS)


@pytest.mark.parametrize("key", CAFE_STEPS)
def test_a_unit_sees_the_fields_and_documents_its_step_needs_and_the_shared_ones(
    client, reached_journey, key
):
    step = reached_journey.steps.select_related("step_type").get(step_type__key=key)
    fields = reached_journey.journey_type.fields
    shared = {f["key"] for f in fields if f.get("shared")}
    assert shared, "the café shares some details with every unit"
    expected = set(step.step_type.needs) | shared
    assert expected != {f["key"] for f in fields}, "and keeps others from some unit"

    for reader in (make_caseworker(step.unit), make_caseworker(step.unit, lead=True)):
        client.force_login(reader)
        page = client.get(reverse("casework:case", args=[step.pk])).content
        assert _answer_labels(page) == _labels(reached_journey, expected)
        for field in fields:
            value = reached_journey.data[field["key"]]
            if isinstance(value, str) and field["key"] not in expected:
                assert value not in page.decode(), (key, field["key"])
        files = {f"{file}.pdf" for file in FILES if file in step.step_type.needs}
        assert _document_names(page) == {f"{key}.pdf", *files}

        for document in reached_journey.documents.all():
            url = reverse("casework:document", args=[step.pk, document.pk])
            allowed = document.name in {f"{key}.pdf", *files}
            assert client.get(url).status_code == (200 if allowed else 404), document.name


def test_a_coordinator_sees_the_shared_details_and_no_documents(client, reached_journey):
    client.force_login(make_coordinator())
    step = reached_journey.steps.get(step_type__key="building-permit")
    page = client.get(reverse("casework:case", args=[step.pk])).content
    shared = {f["key"] for f in reached_journey.journey_type.fields if f.get("shared")}
    assert _answer_labels(page) == _labels(reached_journey, shared)
    assert _document_names(page) == set()
    for document in reached_journey.documents.all():
        url = reverse("casework:document", args=[step.pk, document.pk])
        assert client.get(url).status_code == 404


def test_another_units_answer_to_a_request_is_not_shown(client, reached_journey):
    step = reached_journey.steps.get(step_type__key="gas-permit")
    caseworker = make_caseworker(step.unit)
    step = services.step_claim(step=step, by=caseworker, now=timezone.now())
    request = services.information_request_create(
        step=step,
        by=caseworker,
        items=["Where is the gas stored?"],
        due_date=timezone.localdate() + dt.timedelta(days=5),
        now=timezone.now(),
    )
    services.information_request_answer(
        request=request,
        by=reached_journey.applicant,
        answer="In the back yard cage",
        now=timezone.now(),
    )
    other = reached_journey.steps.get(step_type__key="outdoor-seating")
    client.force_login(make_caseworker(other.unit))
    page = client.get(reverse("casework:case", args=[other.pk])).content.decode()
    assert "Where is the gas stored?" in page  # the request itself is part of the journey
    assert "In the back yard cage" not in page
    client.force_login(caseworker)
    assert (
        "In the back yard cage"
        in client.get(reverse("casework:case", args=[step.pk])).content.decode()
    )


def test_a_caseworker_reads_the_answers_labelled_in_their_language(client, reached_journey):
    step = reached_journey.steps.get(step_type__key="building-permit")
    client.force_login(make_caseworker(step.unit))
    page = client.get(reverse("casework:case", args=[step.pk]), HTTP_ACCEPT_LANGUAGE="sv").content
    with translation.override("sv"):
        swedish = _labels(reached_journey, set(step.step_type.needs))
    assert swedish <= _answer_labels(page)
    assert "Lokalens adress" in swedish
