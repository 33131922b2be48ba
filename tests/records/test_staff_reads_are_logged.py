"""Each staff page that shows a journey's answers or documents records one access log entry
(who, when, what, through which client); the applicant reading their own journey records none."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from journeys import services
from records.models import AccessLogEntry
from tests.api.conftest import add_document
from tests.factories import make_caseworker, make_coordinator, submitted_journey
from tests.journey_types import journey_type

What = AccessLogEntry.What


@pytest.fixture
def journey(db):
    return submitted_journey(journey_type(parallel=2, chain=0))


@pytest.fixture
def step(journey):
    return journey.steps.get(step_type__key="parallel-1")


def only_entry() -> AccessLogEntry:
    entries = list(AccessLogEntry.objects.all())
    assert len(entries) == 1, entries
    return entries[0]


def assert_entry(entry, *, user, what, journey, step=None, document=None, path):
    assert (entry.user, entry.api_client, entry.via, entry.what) == (
        user,
        None,
        AccessLogEntry.Via.WEB,
        what,
    )
    assert (entry.journey_id, entry.journey_reference) == (journey.pk, journey.reference)
    assert entry.step_id == (step.pk if step else None)
    assert entry.document_id == (document.pk if document else None)
    assert entry.document_name == (document.name if document else "")
    assert entry.path == path
    assert timezone.now() - entry.at < dt.timedelta(seconds=30)


def test_the_case_page_records_one_read_of_the_case_and_its_answers(client, step):
    caseworker = make_caseworker(step.unit)
    client.force_login(caseworker)
    url = reverse("casework:case", args=[step.pk])
    assert client.get(url).status_code == 200
    assert_entry(
        only_entry(),
        user=caseworker,
        what=What.CASE_PAGE,
        journey=step.journey,
        step=step,
        path=url,
    )


def test_a_coordinator_reading_a_case_page_is_recorded_too(client, step):
    coordinator = make_coordinator()
    client.force_login(coordinator)
    client.get(reverse("casework:case", args=[step.pk]))
    assert only_entry().user == coordinator


def test_a_case_page_outside_the_scope_records_nothing(client, journey):
    other = journey.steps.get(step_type__key="parallel-2")
    client.force_login(make_caseworker(journey.steps.get(step_type__key="parallel-1").unit))
    assert client.get(reverse("casework:case", args=[other.pk])).status_code == 404
    assert not AccessLogEntry.objects.exists()


def test_a_case_page_shown_again_after_a_refused_form_is_a_read_too(client, step):
    caseworker = make_caseworker(step.unit)
    client.force_login(caseworker)
    client.post(reverse("casework:claim", args=[step.pk]))
    step.refresh_from_db()
    response = client.post(
        reverse("casework:decide", args=[step.pk]), {"outcome": "approve", "version": step.version}
    )
    assert response.status_code == 422
    assert only_entry().what == What.CASE_PAGE


def test_downloading_a_document_from_the_case_records_the_document(client, step):
    document = add_document(step.journey, step, "floor-plan.pdf")
    caseworker = make_caseworker(step.unit)
    client.force_login(caseworker)
    url = reverse("casework:document", args=[step.pk, document.pk])
    assert client.get(url).status_code == 200
    assert_entry(
        only_entry(),
        user=caseworker,
        what=What.DOCUMENT,
        journey=step.journey,
        step=step,
        document=document,
        path=url,
    )


def test_a_document_the_unit_may_not_see_records_nothing(client, journey, step):
    elsewhere = add_document(journey, journey.steps.get(step_type__key="parallel-2"))
    client.force_login(make_caseworker(step.unit))
    response = client.get(reverse("casework:document", args=[step.pk, elsewhere.pk]))
    assert response.status_code == 404
    assert not AccessLogEntry.objects.exists()


def test_the_consultation_page_records_the_consulted_units_read(client, step, journey):
    asker = make_caseworker(step.unit)
    claimed = services.step_claim(step=step, by=asker, now=timezone.now())
    consulted_unit = journey.steps.get(step_type__key="parallel-2").unit
    consultation = services.consultation_request(
        step=claimed,
        by=asker,
        unit=consulted_unit,
        question="An opinion, please.",
        due_date=timezone.localdate(),
        now=timezone.now(),
    )
    consulted = make_caseworker(consulted_unit)
    client.force_login(consulted)
    url = reverse("casework:consultation", args=[consultation.pk])
    assert client.get(url).status_code == 200
    assert_entry(
        only_entry(),
        user=consulted,
        what=What.CONSULTATION,
        journey=journey,
        step=step,
        path=url,
    )


def test_the_coordinators_journey_page_records_one_read(client, journey):
    coordinator = make_coordinator()
    client.force_login(coordinator)
    url = reverse("coordination:journey", args=[journey.public_id])
    assert client.get(url).status_code == 200
    assert_entry(only_entry(), user=coordinator, what=What.JOURNEY_PAGE, journey=journey, path=url)


def test_pages_that_show_no_journeys_answers_record_nothing(client, step):
    client.force_login(make_caseworker(step.unit, lead=True))
    for url in (reverse("casework:queue"), reverse("casework:workload")):
        assert client.get(url).status_code == 200
    client.force_login(make_coordinator())
    assert client.get(reverse("coordination:dashboard")).status_code == 200
    assert not AccessLogEntry.objects.exists()


def test_the_applicant_reading_their_own_journey_records_nothing(client, journey, step):
    document = add_document(journey, step)
    client.force_login(journey.applicant)
    for url in (
        reverse("citizens:application_track", args=[journey.public_id]),
        reverse("citizens:document", args=[journey.public_id, document.pk]),
        reverse("citizens:receipt", args=[journey.public_id]),
    ):
        assert client.get(url).status_code == 200, url
    assert not AccessLogEntry.objects.exists()
