"""A journey's public-access copy: its answers and documents as a member of the public may
receive them, each item a unit marked as secret withheld and replaced by a line naming the
ground. Coordinators (and leads of the unit owning the journey type) make it; making it is
logged; the page costs the same however much the journey holds."""

import io
import zipfile

import pytest
from django.urls import reverse

from journeys.models import Journey
from records.models import AccessLogEntry
from tests.api.conftest import PDF, add_document
from tests.factories import make_caseworker, make_coordinator, make_user, mark_secret
from tests.factories import submitted_journey as submit
from tests.journey_types import TRAIL_ANSWERS, journey_type, unit_for

EMAIL = TRAIL_ANSWERS["contact_email"]


@pytest.fixture
def journey(db):
    return submit(journey_type(parallel=2, chain=0, owner=unit_for("parallel-2")))


@pytest.fixture
def own(journey):
    return journey.steps.get(step_type__key="parallel-1")


@pytest.fixture
def marked(journey, own):
    """An open document and a marked one, and the contact e-mail marked too; the receipt
    (which repeats every answer) printed."""
    from django.utils import timezone

    from journeys.services.letters import receipt_create

    receipt_create(journey=journey, now=timezone.now())
    plan = add_document(journey, own, "site-plan.pdf")
    certificate = add_document(journey, own, "medical-certificate.pdf")
    mark_secret(own, field_key="contact_email", ground=(21, 3))
    mark_secret(own, document=certificate, ground=(21, 1))
    return plan, certificate


def page_url(journey) -> str:
    return reverse("records:public_copy", args=[journey.public_id])


def download_url(journey) -> str:
    return reverse("records:public_copy_download", args=[journey.public_id])


def unpack(response) -> dict[str, bytes]:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    return {name: archive.read(name) for name in archive.namelist()}


def test_the_copy_withholds_each_marked_item_with_a_line_naming_its_ground(client, journey, marked):
    plan, certificate = marked
    client.force_login(make_coordinator())
    files = unpack(client.get(download_url(journey)))
    folder = f"{journey.reference}-public-copy"
    # Not the receipt either: it repeats the marked answer.
    assert set(files) == {f"{folder}/contents.txt", f"{folder}/documents/001-site-plan.pdf"}
    assert files[f"{folder}/documents/001-site-plan.pdf"] == PDF
    contents = files[f"{folder}/contents.txt"].decode()
    assert f"Public-access copy: {journey.reference}" in contents
    assert "Contact e-mail address: Withheld under OSL 21:3" in contents
    assert f"Applicant's name: {TRAIL_ANSWERS['applicant_name']}" in contents
    assert "documents/001-site-plan.pdf: site-plan.pdf" in contents
    withheld = (
        f"Document {certificate.registration_number}: withheld under OSL 21:1"
        if certificate.registration_number
        else "A document: withheld under OSL 21:1"
    )
    assert withheld in contents
    everything = b"".join(files.values())
    assert EMAIL.encode() not in everything and b"medical-certificate" not in everything


def test_the_page_lists_what_is_withheld_without_showing_it(client, journey, marked):
    client.force_login(make_coordinator())
    page = client.get(page_url(journey)).content.decode()
    assert "The answer to “Contact e-mail address”: withheld under OSL 21:3" in page
    assert "withheld under OSL 21:1" in page
    assert EMAIL not in page and "medical-certificate" not in page
    assert download_url(journey) in page


def test_a_removed_marking_puts_the_item_back_in_the_copy(client, journey, own):
    from django.utils import timezone

    from journeys import services

    marking = mark_secret(own, field_key="contact_email")
    services.secrecy_unmark(
        marking=marking, by=make_caseworker(own.unit), reason="Public.", now=timezone.now()
    )
    client.force_login(make_coordinator())
    files = unpack(client.get(download_url(journey)))
    assert EMAIL.encode() in b"".join(files.values())


def test_the_copy_speaks_the_readers_language(client, journey, marked):
    client.force_login(make_coordinator())
    files = unpack(client.get(download_url(journey), headers={"Accept-Language": "sv"}))
    contents = next(v for k, v in files.items() if k.endswith("contents.txt")).decode()
    assert f"Kopia enligt offentlighetsprincipen: {journey.reference}" in contents
    assert "E-postadress: Undantagen med stöd av OSL 21:3" in contents


def test_making_the_copy_is_logged(client, journey, marked):
    coordinator = make_coordinator()
    client.force_login(coordinator)
    client.get(page_url(journey))
    assert not AccessLogEntry.objects.exists()  # the page shows nothing of the journey's data
    unpack(client.get(download_url(journey)))
    [entry] = AccessLogEntry.objects.all()
    assert (entry.what, entry.user, entry.journey_id) == (
        AccessLogEntry.What.PUBLIC_COPY,
        coordinator,
        journey.pk,
    )


def test_a_lead_of_the_unit_owning_the_journey_type_makes_it_too(client, journey, marked):
    owner = journey.journey_type.owner_unit
    client.force_login(make_caseworker(owner, lead=True))
    assert client.get(page_url(journey)).status_code == 200
    unpack(client.get(download_url(journey)))


@pytest.mark.parametrize("who", ["owning unit's caseworker", "another unit's lead", "applicant"])
def test_nobody_else_makes_it(client, journey, own, who):
    user = {
        "owning unit's caseworker": lambda: make_caseworker(journey.journey_type.owner_unit),
        "another unit's lead": lambda: make_caseworker(own.unit, lead=True),
        "applicant": lambda: journey.applicant,
    }[who]()
    client.force_login(user)
    assert client.get(page_url(journey)).status_code == 404
    assert client.get(download_url(journey)).status_code == 404
    assert not AccessLogEntry.objects.exists()


def test_a_draft_has_no_copy(client, db):
    from django.utils import timezone

    from journeys import services

    draft = services.journey_start(
        journey_type=journey_type(parallel=2, chain=0), applicant=make_user(), now=timezone.now()
    )
    client.force_login(make_coordinator())
    assert client.get(page_url(draft)).status_code == 404


def test_the_page_and_the_copy_cost_the_same_with_more_documents_and_markings(
    client, journey, own, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    caseworker = make_caseworker(own.unit)  # before counting: a new member re-reads roles
    client.force_login(make_coordinator())
    client.get(page_url(journey))  # the first request of a staff session stamps it
    counted = {}
    for url in (page_url(journey), download_url(journey)):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
            b"".join(getattr(response, "streaming_content", [b""]))
        counted[url] = len(queries)
    for n in range(6):
        document = add_document(journey, own, f"doc-{n}.pdf")
        if n % 2:
            mark_secret(own, by=caseworker, document=document)
    mark_secret(own, by=caseworker, field_key="contact_email")
    for url in (page_url(journey), download_url(journey)):
        with django_assert_max_num_queries(counted[url]):
            response = client.get(url)
            b"".join(getattr(response, "streaming_content", [b""]))
    assert Journey.objects.filter(pk=journey.pk).exists()
