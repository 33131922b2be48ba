"""A coordinator (or a superuser) searches the access log per journey, per person and per
period: newest first, 25 a page, in a constant number of queries; nobody else finds the page."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from records.models import AccessLogEntry
from records.services import AccessRead, access_record_many
from tests.factories import make_caseworker, make_coordinator, make_user, submitted_journey
from tests.html import link_texts, texts
from tests.journey_types import journey_type

PAGE = reverse("coordination:access_log")
What = AccessLogEntry.What


@pytest.fixture
def world(db):
    kind = journey_type(parallel=1, chain=0)
    first, second = submitted_journey(kind), submitted_journey(kind)
    unit = first.steps.get().unit
    ada = make_caseworker(unit, username="ada.lind")
    ada.first_name, ada.last_name = "Ada", "Lind"
    ada.save(update_fields=["first_name", "last_name"])
    bo = make_caseworker(unit, username="bo.berg")
    return {"first": first, "second": second, "ada": ada, "bo": bo}


def read(user, journey, *, at, what=What.CASE_PAGE, times=1):
    access_record_many(
        user=user, what=what, path="/work/", now=at, reads=[AccessRead.of(journey)] * times
    )


@pytest.fixture
def coordinator(client, world):
    user = make_coordinator()
    client.force_login(user)
    return user


def rows(response) -> list[str]:
    assert response.status_code == 200, response.content[:500]
    return texts(response.content, "tr", "govuk-table__row")[1:]  # less the header row


def test_the_log_of_one_journey_newest_first(client, world, coordinator):
    now = timezone.now()
    read(world["ada"], world["first"], at=now - dt.timedelta(hours=2))
    read(world["bo"], world["first"], at=now - dt.timedelta(hours=1), what=What.DOCUMENT)
    read(world["bo"], world["second"], at=now)
    found = rows(client.get(PAGE, {"journey": world["first"].reference.lower()}))
    assert len(found) == 2
    assert "bo.berg" in found[0] and "Document" in found[0]
    assert "ada.lind" in found[1] and "Ada Lind" in found[1] and "Case page" in found[1]
    assert all(world["first"].reference in row for row in found)


def test_the_log_of_one_person_by_username_or_name(client, world, coordinator):
    now = timezone.now()
    read(world["ada"], world["first"], at=now)
    read(world["ada"], world["second"], at=now)
    read(world["bo"], world["second"], at=now)
    for person in ("ada.lind", "Ada L", "lind"):
        found = rows(client.get(PAGE, {"person": person}))
        assert len(found) == 2 and all("ada.lind" in row for row in found), person
    both = rows(client.get(PAGE, {"person": "bo.berg", "journey": world["second"].reference}))
    assert len(both) == 1


def test_a_period_is_searched_by_its_local_days(client, world, coordinator):
    today = timezone.localdate()
    noon = timezone.make_aware(dt.datetime.combine(today, dt.time(12)))
    for days in (0, 3, 10):
        read(world["ada"], world["first"], at=noon - dt.timedelta(days=days))
    start, end = today - dt.timedelta(days=5), today - dt.timedelta(days=1)
    assert len(rows(client.get(PAGE, {"start": start, "end": end}))) == 1
    assert len(rows(client.get(PAGE, {"start": start}))) == 2
    assert len(rows(client.get(PAGE, {"end": today}))) == 3


def test_a_bad_date_is_explained_in_an_error_summary(client, world, coordinator):
    response = client.get(PAGE, {"start": "2026-13-01"})
    assert response.status_code == 422
    html = response.content.decode()
    assert "There is a problem" in html
    assert "Enter the date as year-month-day, for example 2026-01-01" in html
    backwards = client.get(PAGE, {"start": "2026-05-02", "end": "2026-05-01"})
    assert backwards.status_code == 422
    assert "Enter an end date on or after the start date" in backwards.content.decode()


def test_the_page_speaks_swedish(client, world, coordinator):
    read(world["ada"], world["first"], at=timezone.now())
    html = client.get(PAGE, headers={"Accept-Language": "sv"}).content.decode()
    assert "Åtkomstlogg" in html and "Ärendesida med svaren" in html
    bad = client.get(PAGE, {"end": "igår"}, headers={"Accept-Language": "sv"})
    assert "Det finns ett problem" in bad.content.decode()


def test_results_come_25_a_page(client, world, coordinator):
    now = timezone.now()
    for minutes in range(30):
        read(world["ada"], world["first"], at=now - dt.timedelta(minutes=minutes))
    first = client.get(PAGE, {"journey": world["first"].reference})
    assert len(rows(first)) == 25
    second = client.get(PAGE, {"journey": world["first"].reference, "page": 2})
    assert len(rows(second)) == 5
    assert f"journey={world['first'].reference}" in first.content.decode()  # the next link


def test_an_api_read_shows_its_client(client, world, coordinator):
    from api.clients import api_client_create

    system, _secret = api_client_create(
        name="Planning system", unit=world["first"].steps.get().unit, now=timezone.now()
    )
    access_record_many(
        user=system.user,
        api_client=system,
        what=What.JOURNEY_LIST,
        path="/api/v1/journeys/",
        now=timezone.now(),
        reads=[AccessRead.of(world["first"])],
    )
    [row] = rows(client.get(PAGE))
    assert "API" in row and "Planning system" in row and "List of journeys" in row


def test_the_journey_page_links_to_who_has_read_it(client, world, coordinator):
    journey = world["first"]
    html = client.get(reverse("coordination:journey", args=[journey.public_id])).content
    assert "Who has read this journey" in link_texts(html)
    assert f"{PAGE}?journey={journey.reference}".encode() in html
    # That read is the first entry the link finds.
    [row] = rows(client.get(PAGE, {"journey": journey.reference}))
    assert "Journey page" in row


@pytest.mark.parametrize("who", ["caseworker", "citizen"])
def test_nobody_but_coordinators_finds_the_page(client, world, who):
    user = world["ada"] if who == "caseworker" else world["first"].applicant
    client.force_login(user)
    assert client.get(PAGE).status_code == 404


def test_a_superuser_may_search_and_anonymous_is_asked_to_sign_in(client, world):
    assert "/login/" in client.get(PAGE).url
    client.force_login(make_user("root", is_superuser=True, is_staff=True))
    assert client.get(PAGE).status_code == 200


def test_the_page_costs_as_many_queries_for_100_entries_as_for_10(
    client, world, coordinator, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    now = timezone.now()
    people = [world["ada"], world["bo"]]

    def grow(n):
        for i in range(n):
            read(people[i % 2], (world["first"], world["second"])[i % 2], at=now)

    grow(10)
    urls = [PAGE, f"{PAGE}?journey={world['first'].reference}", f"{PAGE}?person=ada"]
    client.get(PAGE)  # the first request of a staff session stamps it
    counted = {}
    for url in urls:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        counted[url] = len(queries)
    grow(90)
    for url in urls:
        with django_assert_max_num_queries(counted[url]):
            client.get(url)
