"""The applicant's erasure page: what asking would erase at once and what is kept, under which
rule and until when; asking erases, records the request and says what happened; in Swedish
too, for the signed-in person's own data alone, in a constant number of queries."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from journeys import services
from journeys.models import Journey
from journeys.templatetags.times import day
from records.models import ErasureRequest
from tests.factories import make_user
from tests.html import texts
from tests.records.disposal_world import PNG, full_journey, trail_with_rules

PAGE = reverse("citizens:erasure")
NOW = timezone.now()


@pytest.fixture
def trail(db):
    return trail_with_rules()


@pytest.fixture
def ada(client, db):
    user = make_user("ada")
    client.force_login(user)
    return user


@pytest.fixture
def draft(trail, ada):
    draft = services.journey_start(journey_type=trail, applicant=ada, now=NOW)
    services.journey_file_answer(
        journey=draft,
        key="site_photo",
        upload=SimpleUploadedFile("garden.png", PNG),
        by=ada,
        now=NOW,
    )
    return draft


@pytest.fixture
def closed(trail, ada):
    return full_journey(trail, now=NOW - dt.timedelta(days=400), applicant=ada)


def test_the_page_says_what_goes_at_once_and_what_is_kept_until_when(client, draft, closed):
    response = client.get(PAGE)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Your application “Synthetic permit trail” that you started on" in html
    assert f"{closed.reference}: photo.png" in html  # due under its rule
    kept = texts(response.content, "tr", "govuk-table__row")[1:]
    case = next(row for row in kept if "The answers" in row)
    assert closed.reference in case
    assert "Kept for 3 years after the application was closed" in case
    assert day(closed.closed_at.replace(year=closed.closed_at.year + 3)) in case
    plan = next(row for row in kept if "site-plan.pdf" in row)
    assert "Never: kept for ever" in plan
    assert "Ask for erasure" in html
    assert ErasureRequest.objects.count() == 0  # reading the page asks nothing


def test_asking_erases_records_and_says_so(client, ada, draft, closed):
    response = client.post(PAGE)
    assert response.status_code == 302 and response.url == PAGE
    request = ErasureRequest.objects.get(user=ada)
    assert request.disposals.count() == 4  # the draft's photo and case, two due documents
    page = client.get(PAGE).content.decode()
    assert "We have erased 4 items." in page
    assert "4 items erased" in page  # the request, listed
    assert not Journey.objects.acting_for(ada).filter(pk=draft.pk).exists()
    assert "that you started on" not in page
    applications = client.get(reverse("citizens:applications")).content.decode()
    assert "Ask for your data to be erased" in applications
    # Nothing more to erase: the request is recorded anyway.
    client.post(PAGE)
    assert "Your request is recorded. Nothing could be erased now" in client.get(PAGE).text
    assert ErasureRequest.objects.filter(user=ada).count() == 2


def test_the_page_speaks_swedish(client, draft, closed):
    html = client.get(PAGE, headers={"Accept-Language": "sv"}).content.decode()
    assert "Begär att dina uppgifter raderas" in html
    assert "Bevaras i 3 år efter att ansökan avslutades" in html
    assert "Begär radering" in html


def test_only_the_persons_own_data_is_shown_and_erased(client, trail, draft, closed):
    bo = make_user("bo")
    theirs = full_journey(trail, now=NOW - dt.timedelta(days=400), applicant=bo)
    client.force_login(bo)
    html = client.get(PAGE).content.decode()
    assert closed.reference not in html and theirs.reference in html
    client.post(PAGE)
    assert draft.documents.count() == 1
    assert closed.documents.count() == 7


def test_anonymous_is_asked_to_sign_in(client, db):
    assert "/login/" in client.get(PAGE).url
    assert "/login/" in client.post(PAGE).url
    assert ErasureRequest.objects.count() == 0


def test_the_page_costs_as_many_queries_for_many_applications_as_for_one(
    client, trail, ada, draft, closed
):
    client.post(PAGE)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(PAGE).status_code == 200
        return len(queries)

    before = count()
    for _ in range(3):
        full_journey(trail, now=NOW - dt.timedelta(days=400), applicant=ada)
        services.journey_start(journey_type=trail, applicant=ada, now=NOW)
    client.post(PAGE)
    full_journey(trail, now=NOW, applicant=ada, close=False)
    client.get(PAGE)  # growing made users, which made cached roles stale: read them again
    assert count() == before
