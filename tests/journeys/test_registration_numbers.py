"""A case is registered in its unit's register when it reaches the unit; documents that reach a
registered case later are registered to it with a running number."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from journeys import services
from journeys.models import JourneyEvent, Step
from tests.factories import decide, deliver_all, make_caseworker, submitted_journey
from tests.journey_types import journey_type, make_test_units
from units.models import RegisterCounter

NOW = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def journey(db):
    return submitted_journey(journey_type(parallel=2, chain=1, deadline_days=20), now=NOW)


def step(journey, key) -> Step:
    return journey.steps.select_related("unit").get(step_type__key=key)


def later(hours: int) -> dt.datetime:
    return NOW + dt.timedelta(hours=hours)


def test_a_case_reaching_its_unit_gets_the_next_number_of_that_units_register(journey):
    first, second = step(journey, "parallel-1"), step(journey, "parallel-2")
    # Each unit keeps a register of its own, named after the unit when it has no prefix.
    assert first.registration_number == "OFFICE-PARALLEL-1 2026-000001"
    assert second.registration_number == "OFFICE-PARALLEL-2 2026-000001"
    assert first.registered_unit == first.unit
    # The journal says which number the case was given on arrival.
    received = JourneyEvent.objects.get(step=first, kind=JourneyEvent.Kind.STEP_QUEUED)
    assert received.message == first.registration_number
    # A step that has not reached its unit has no number yet.
    assert step(journey, "chain-1").registration_number == ""

    other = submitted_journey(journey.journey_type, now=later(1))
    assert step(other, "parallel-1").registration_number == "OFFICE-PARALLEL-1 2026-000002"


def test_the_register_prefix_and_a_new_year_start_the_numbers_afresh(journey):
    unit = step(journey, "parallel-1").unit
    unit.register_prefix = "MHN"
    unit.save()
    new_year = dt.datetime(2027, 1, 4, 9, 0, tzinfo=dt.UTC)
    next_year = submitted_journey(journey.journey_type, now=new_year)
    assert step(next_year, "parallel-1").registration_number == "MHN 2027-000001"
    assert RegisterCounter.objects.get(unit=unit, year=2026).last == 1


def test_a_reopened_case_keeps_its_number_and_a_transferred_one_is_registered_anew(journey):
    first = step(journey, "parallel-1")
    number = first.registration_number
    worker = make_caseworker(first.unit)
    decided = decide(first, by=worker, now=later(1))
    services.step_reopen(step=decided, by=worker, reason="Wrong drawing.", now=later(2))
    assert step(journey, "parallel-1").registration_number == number

    wrong = step(journey, "parallel-2")
    wrong_number = wrong.registration_number
    right = make_test_units("office-right")["office-right"]
    right.register_prefix = "RIGHT"
    right.save()
    services.step_transfer(
        step=wrong, to=right, by=make_caseworker(wrong.unit), reason="Ours.", now=later(3)
    )
    deliver_all(later(4))
    moved = step(journey, "parallel-2")
    assert moved.registration_number == "RIGHT 2026-000001" and moved.registered_unit == right
    # The journal keeps both registrations.
    received = JourneyEvent.objects.filter(step=moved, kind=JourneyEvent.Kind.STEP_QUEUED)
    assert sorted(received.values_list("message", flat=True)) == sorted(
        [wrong_number, "RIGHT 2026-000001"]
    )


def test_documents_reaching_a_registered_case_get_running_numbers(journey):
    first = step(journey, "parallel-1")
    worker = make_caseworker(first.unit)
    first = services.step_claim(step=first, by=worker, now=later(1))
    request = services.information_request_create(
        step=first,
        by=worker,
        items=["Floor plan"],
        due_date=(NOW + dt.timedelta(days=14)).date(),
        now=later(1),
        blocks=[],
    )
    services.information_request_answer(
        request=request,
        by=journey.applicant,
        answer="Here they are.",
        uploads=[
            SimpleUploadedFile("plan.pdf", PDF, "application/pdf"),
            SimpleUploadedFile("lease.pdf", PDF, "application/pdf"),
        ],
        now=later(2),
    )
    documents = first.documents.order_by("pk")
    numbers = [d.registration_number for d in documents]
    assert numbers == [f"{first.registration_number}-1", f"{first.registration_number}-2"]
    added = JourneyEvent.objects.filter(kind=JourneyEvent.Kind.DOCUMENT_ADDED, step=first)
    assert {e.message for e in added} == {f"{numbers[0]} plan.pdf", f"{numbers[1]} lease.pdf"}


def test_the_number_shows_on_the_case_page(client, journey):
    first = step(journey, "parallel-1")
    worker = make_caseworker(first.unit)
    client.force_login(worker)
    page = client.get(reverse("casework:case", args=[first.pk]))
    assert first.registration_number in page.content.decode()
