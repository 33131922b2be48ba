"""Every showing of an item marked as secret is in the access log: beside the read's own entry,
one `secret_item` entry per marked item it showed (the marking, its ground, the answer or the
document), on a case page, a consultation, a download and an API read; a read that showed no
marked item adds none, and a coordinator finds them all with one tick."""

import pytest
from django.urls import reverse
from django.utils import timezone

from journeys import services
from records.models import AccessLogEntry
from tests.api.conftest import add_document
from tests.factories import make_caseworker, make_coordinator, mark_secret, submitted_journey
from tests.journey_types import journey_type

What = AccessLogEntry.What


@pytest.fixture
def journey(db):
    return submitted_journey(journey_type(parallel=2, chain=0))


@pytest.fixture
def own(journey):
    return journey.steps.get(step_type__key="parallel-1")


@pytest.fixture
def other(journey):
    return journey.steps.get(step_type__key="parallel-2")


def secret_entries() -> list[AccessLogEntry]:
    return list(AccessLogEntry.objects.filter(what=What.SECRET_ITEM).order_by("id"))


def test_a_case_page_logs_each_marked_item_it_shows(client, journey, own):
    document = add_document(journey, own, "medical-certificate.pdf")
    caseworker = make_caseworker(own.unit)
    answer = mark_secret(own, by=caseworker, field_key="contact_email", ground=(21, 3))
    marked_document = mark_secret(own, by=caseworker, document=document)
    client.force_login(caseworker)
    url = reverse("casework:case", args=[own.pk])
    assert client.get(url).status_code == 200
    page, *secret = AccessLogEntry.objects.order_by("id")
    assert page.what == What.CASE_PAGE and page.secrecy_marking_id is None
    named = {(e.secrecy_marking_id, e.secrecy_ground, e.field_key, e.document_id) for e in secret}
    assert named == {
        (answer.pk, "OSL 21:3", "contact_email", None),
        (marked_document.pk, "OSL 21:1", "", document.pk),
    }
    for entry in secret:
        assert (entry.what, entry.user, entry.journey_id, entry.step_id, entry.path) == (
            What.SECRET_ITEM,
            caseworker,
            journey.pk,
            own.pk,
            url,
        )
    assert [e.document_name for e in secret if e.document_id] == ["medical-certificate.pdf"]


def test_a_case_page_without_marked_items_logs_only_its_read(client, own):
    client.force_login(make_caseworker(own.unit))
    client.get(reverse("casework:case", args=[own.pk]))
    assert [e.what for e in AccessLogEntry.objects.all()] == [What.CASE_PAGE]


def test_another_units_case_page_shows_no_marked_item_so_logs_none(client, own, other):
    mark_secret(own, field_key="contact_email")
    client.force_login(make_caseworker(other.unit))
    assert client.get(reverse("casework:case", args=[other.pk])).status_code == 200
    assert secret_entries() == []


def test_downloading_a_marked_document_logs_it_as_secret(client, journey, own):
    document = add_document(journey, own, "medical-certificate.pdf")
    caseworker = make_caseworker(own.unit)
    marking = mark_secret(own, by=caseworker, document=document)
    client.force_login(caseworker)
    response = client.get(reverse("casework:document", args=[own.pk, document.pk]))
    assert response.status_code == 200
    assert [e.what for e in AccessLogEntry.objects.order_by("id")] == [
        What.DOCUMENT,
        What.SECRET_ITEM,
    ]
    [entry] = secret_entries()
    assert (entry.secrecy_marking_id, entry.document_id) == (marking.pk, document.pk)


def test_a_consulted_unit_reading_its_own_marked_answer_is_logged(client, journey, own, other):
    """A consulted unit that had marked an answer itself sees it on the consultation."""
    asker = make_caseworker(own.unit)
    claimed = services.step_claim(step=own, by=asker, now=timezone.now())
    consultation = services.consultation_request(
        step=claimed,
        by=asker,
        unit=other.unit,
        question="An opinion, please.",
        due_date=timezone.localdate(),
        now=timezone.now(),
    )
    consulted = make_caseworker(other.unit)
    marking = mark_secret(other, by=consulted, field_key="contact_email")
    client.force_login(consulted)
    page = client.get(reverse("casework:consultation", args=[consultation.pk]))
    assert "ada@example.org" in page.content.decode()
    [entry] = secret_entries()
    assert (entry.secrecy_marking_id, entry.what) == (marking.pk, What.SECRET_ITEM)


def test_api_reads_of_marked_items_are_logged(two_units):
    world = two_units
    answer = mark_secret(world.own, field_key="contact_email")
    document = mark_secret(world.own, document=world.own_document)
    journey = f"/api/v1/journeys/{world.journey.public_id}/"
    for path, marking in (
        (journey, answer),
        (f"{journey}documents/", document),
        (f"/api/v1/documents/{world.own_document.pk}/content/", document),
    ):
        before = {e.pk for e in secret_entries()}
        response = world.caller.get(path)
        assert response.status_code == 200, path
        new = [e for e in secret_entries() if e.pk not in before]
        assert [(e.secrecy_marking_id, e.api_client_id, e.path) for e in new] == [
            (marking.pk, world.caller.client.pk, path)
        ], path


def test_the_access_log_search_finds_the_reads_of_secret_items(client, journey, own):
    caseworker = make_caseworker(own.unit)
    mark_secret(own, by=caseworker, field_key="contact_email", ground=(21, 3))
    client.force_login(caseworker)
    client.get(reverse("casework:case", args=[own.pk]))
    client.get(reverse("casework:case", args=[own.pk]))
    client.force_login(make_coordinator())
    page = client.get(
        reverse("coordination:access_log"), {"journey": journey.reference, "secret_only": "on"}
    ).content.decode()
    assert page.count("Item marked as secret") == 2
    assert "OSL 21:3" in page and "Answer: contact_email" in page
    assert "Case page with the answers" not in page
