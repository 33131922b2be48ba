"""On the case page a unit's caseworker marks a document or an answer as secret (a ground and a
reason) and removes a marking (a reason); the unit sees a "Secret – OSL x:y" tag on each
marked item, another unit's case page shows none of them, and the forms refuse in the reader's
language what they cannot take."""

import pytest
from django.urls import reverse

from journeys.models import SecrecyGround, SecrecyMarking
from tests.api.conftest import add_document
from tests.factories import make_caseworker, make_coordinator, mark_secret, submitted_journey
from tests.html import parse, texts
from tests.journey_types import TRAIL_ANSWERS, journey_type

EMAIL = TRAIL_ANSWERS["contact_email"]


@pytest.fixture
def journey(db):
    return submitted_journey(journey_type(parallel=2, chain=0))


@pytest.fixture
def own(journey):
    return journey.steps.get(step_type__key="parallel-1")


@pytest.fixture
def other(journey):
    return journey.steps.get(step_type__key="parallel-2")


@pytest.fixture
def certificate(journey, own, other):
    """A document attached to both units' steps."""
    document = add_document(journey, own, "medical-certificate.pdf")
    document.steps.add(other)
    return document


def case_url(step) -> str:
    return reverse("casework:case", args=[step.pk])


def mark(client, step, item: str, ground: SecrecyGround | str = "", reason="Health details."):
    return client.post(
        reverse("casework:secrecy_mark", args=[step.pk]),
        {"item": item, "ground": getattr(ground, "pk", ground), "reason": reason},
    )


def health() -> SecrecyGround:
    return SecrecyGround.objects.get(chapter=21, section=1)


def test_a_caseworker_marks_an_answer_and_the_page_tags_it(client, own, other):
    client.force_login(make_caseworker(own.unit))
    response = mark(client, own, "answer-contact_email", health())
    assert response.status_code == 302
    assert response.url == f"{case_url(own)}#secrecy"
    marking = SecrecyMarking.objects.get()
    assert (marking.field_key, marking.unit_id, marking.reason) == (
        "contact_email",
        own.unit_id,
        "Health details.",
    )
    page = client.get(case_url(own)).content.decode()
    assert EMAIL in page
    assert "Secret – OSL 21:1" in texts(page, "strong", "govuk-tag", within="applicant-details")
    assert "Marked as secret under OSL 21:1. Other units no longer see it." in page
    # Another unit's case page shows neither the answer nor the tag.
    client.force_login(make_caseworker(other.unit))
    page = client.get(case_url(other)).content.decode()
    assert EMAIL not in page and "Secret – OSL" not in page
    assert 'value="answer-contact_email"' not in page  # nor can it mark what it does not see


def test_a_caseworker_marks_a_document_and_another_unit_can_no_longer_open_it(
    client, own, other, certificate
):
    other_reader = make_caseworker(other.unit)
    download = reverse("casework:document", args=[other.pk, certificate.pk])
    client.force_login(other_reader)
    assert client.get(download).status_code == 200
    client.force_login(make_caseworker(own.unit))
    assert mark(client, own, f"document-{certificate.pk}", health()).status_code == 302
    page = client.get(case_url(own)).content.decode()
    own_download = reverse("casework:document", args=[own.pk, certificate.pk])
    (line,) = [li.text for li in parse(page).find_all("li") if li.find_all("a", href=own_download)]
    assert line.startswith("medical-certificate.pdf") and line.endswith("Secret – OSL 21:1")
    client.force_login(other_reader)
    assert "medical-certificate.pdf" not in client.get(case_url(other)).content.decode()
    assert client.get(download).status_code == 404


def test_the_form_offers_what_the_unit_sees_and_has_not_marked(client, own, certificate):
    mark_secret(own, field_key="contact_email")
    client.force_login(make_caseworker(own.unit))
    page = client.get(case_url(own)).content.decode()
    assert f'value="document-{certificate.pk}"' in page
    assert 'value="answer-applicant_name"' in page
    assert 'value="answer-contact_email"' not in page  # marked already: it is in the list
    assert 'name="marking"' in page  # the removal form, for the marking


def test_an_empty_marking_form_says_what_to_do(client, own):
    client.force_login(make_caseworker(own.unit))
    response = mark(client, own, "", reason="")
    assert response.status_code == 422
    page = response.content.decode()
    assert "<title>Error:" in page
    summary = texts(page, "ul", "govuk-error-summary__list")[0]
    for message in (
        "Select the document or answer to mark as secret",
        "Select the ground for secrecy",
        "Enter why the document or answer is secret",
    ):
        assert message in summary
    assert not SecrecyMarking.objects.exists()


def test_the_marking_forms_refuse_in_swedish(client, own):
    client.force_login(make_caseworker(own.unit))
    response = client.post(
        reverse("casework:secrecy_mark", args=[own.pk]),
        {"item": "answer-contact_email", "ground": "", "reason": ""},
        headers={"Accept-Language": "sv"},
    )
    assert response.status_code == 422
    summary = texts(response.content, "ul", "govuk-error-summary__list")[0]
    assert "Välj grunden för sekretess" in summary
    assert "Skriv varför dokumentet eller uppgiften omfattas av sekretess" in summary
    mark_secret(own, field_key="contact_email")
    response = client.post(
        reverse("casework:secrecy_remove", args=[own.pk]),
        {"marking": "", "reason": ""},
        headers={"Accept-Language": "sv"},
    )
    assert response.status_code == 422
    summary = texts(response.content, "ul", "govuk-error-summary__list")[0]
    assert "Välj den markering som ska tas bort" in summary
    assert "Skriv varför markeringen tas bort" in summary
    page = client.get(case_url(own), headers={"Accept-Language": "sv"}).content.decode()
    assert "Sekretess – OSL 21:1" in page


def test_an_item_marked_meanwhile_is_refused_as_not_listed(client, own):
    client.force_login(make_caseworker(own.unit))
    mark_secret(own, field_key="contact_email")  # by a colleague, after the page was loaded
    response = mark(client, own, "answer-contact_email", health())
    assert response.status_code == 422
    assert "Select one of the documents or answers listed" in response.content.decode()
    assert SecrecyMarking.objects.count() == 1


def test_a_ground_no_longer_offered_is_refused(client, own):
    ground = health()
    ground.active = False
    ground.save()
    client.force_login(make_caseworker(own.unit))
    response = mark(client, own, "answer-contact_email", ground)
    assert response.status_code == 422
    assert "Select one of the grounds listed" in response.content.decode()


def test_a_caseworker_removes_a_marking_with_a_reason(client, own, other):
    marking = mark_secret(own, field_key="contact_email")
    client.force_login(make_caseworker(own.unit))
    response = client.post(
        reverse("casework:secrecy_remove", args=[own.pk]),
        {"marking": marking.pk, "reason": "No longer applies."},
    )
    assert response.status_code == 302
    marking.refresh_from_db()
    assert marking.removal_reason == "No longer applies." and not marking.is_active
    client.force_login(make_caseworker(other.unit))
    assert EMAIL in client.get(case_url(other)).content.decode()


def test_a_removal_without_a_reason_is_refused(client, own):
    marking = mark_secret(own, field_key="contact_email")
    client.force_login(make_caseworker(own.unit))
    response = client.post(
        reverse("casework:secrecy_remove", args=[own.pk]), {"marking": marking.pk, "reason": ""}
    )
    assert response.status_code == 422
    assert "Enter why the marking is removed" in response.content.decode()
    marking.refresh_from_db()
    assert marking.is_active


def test_another_unit_cannot_remove_a_marking_it_does_not_see(client, own, other):
    marking = mark_secret(own, field_key="contact_email")
    client.force_login(make_caseworker(other.unit))
    response = client.post(
        reverse("casework:secrecy_remove", args=[other.pk]),
        {"marking": marking.pk, "reason": "Mine now."},
    )
    assert response.status_code == 422  # not one of its markings: not on its list
    marking.refresh_from_db()
    assert marking.is_active


@pytest.mark.parametrize("who", ["other unit", "coordinator"])
def test_only_the_units_members_mark_on_its_case(client, own, other, who):
    client.force_login(make_caseworker(other.unit) if who == "other unit" else make_coordinator())
    assert mark(client, own, "answer-contact_email", health()).status_code == 404
    response = client.post(reverse("casework:secrecy_remove", args=[own.pk]), {})
    assert response.status_code == 404
    assert not SecrecyMarking.objects.exists()


def test_a_coordinator_reading_the_case_sees_no_marked_item_and_no_secrecy_forms(client, own):
    mark_secret(own, field_key="applicant_name")
    client.force_login(make_coordinator())
    page = client.get(case_url(own)).content.decode()
    assert TRAIL_ANSWERS["applicant_name"] not in page
    assert 'id="secrecy"' not in page


def test_the_case_page_costs_the_same_with_many_markings(
    client, journey, own, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    caseworker = make_caseworker(own.unit)
    client.force_login(caseworker)
    documents = [add_document(journey, own, f"doc-{n}.pdf") for n in range(8)]
    mark_secret(own, by=caseworker, document=documents[0])
    client.get(case_url(own))  # the first request of a staff session stamps it
    with CaptureQueriesContext(connection) as queries:
        assert client.get(case_url(own)).status_code == 200
    for document in documents[1:]:
        mark_secret(own, by=caseworker, document=document)
    mark_secret(own, by=caseworker, field_key="contact_email")
    with django_assert_max_num_queries(len(queries)):
        assert client.get(case_url(own)).status_code == 200
