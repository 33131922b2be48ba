"""The polled and reloaded pages (the tracking page and its refresh, a unit's queue, the
coordinator's dashboard) answer a request that holds their current validator with 304 Not
Modified: no rendering, and no query beyond the session, the user and one version read. Any
change they show, another person, another language or the passing of time gets the page."""

import datetime as dt
import json
from unittest import mock

import pytest
from django.contrib.messages import constants
from django.contrib.messages.storage.base import Message
from django.contrib.messages.storage.cookie import CookieStorage
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from journeys import services
from journeys.models import Journey, Step
from portal.conditional import PageValidator
from tests.factories import (
    decide,
    deliver_all,
    make_caseworker,
    make_coordinator,
    make_person,
    make_user,
    organisation_journey,
    submitted_journey,
)
from tests.html import parse
from tests.journey_types import journey_type
from tests.journeys.test_page_versions_move import lists_committed

pytestmark = pytest.mark.django_db


@pytest.fixture
def trail(db):
    return journey_type(parallel=2, chain=1, deadline_days=20)


@pytest.fixture
def journey(trail):
    return submitted_journey(trail)


def track_url(journey) -> str:
    return reverse("citizens:application_track", args=[journey.public_id])


def refresh_headers(response) -> dict:
    """The headers the page's refresh (htmx polling #progress) sends."""
    progress = parse(response.content).find(id="progress")
    return {"HX-Request": "true", **json.loads(progress.attrs["data-hx-headers"])}


def again(client, url, response, **headers):
    return client.get(url, headers={"If-None-Match": response["ETag"], **headers})


def first_step(journey) -> Step:
    return journey.steps.select_related("unit").get(step_type__key="parallel-1")


# The tracking page and its refresh


def test_the_tracking_page_is_sent_with_a_validator_it_must_be_asked_again_for(client, journey):
    client.force_login(journey.applicant)
    response = client.get(track_url(journey))
    assert response.status_code == 200
    assert response["ETag"].startswith('W/"')
    assert response["Cache-Control"] == "private, no-cache"
    assert "HX-Request" in response["Vary"]


def test_a_reload_of_an_unchanged_tracking_page_is_not_modified(client, journey):
    client.force_login(journey.applicant)
    page = client.get(track_url(journey))
    response = again(client, track_url(journey), page)
    assert response.status_code == 304 and response.content == b""
    assert response["ETag"] == page["ETag"]
    assert response["Cache-Control"] == "private, no-cache"


def test_the_refresh_sends_its_own_validator_and_gets_304_until_something_changes(client, journey):
    client.force_login(journey.applicant)
    page = client.get(track_url(journey))
    headers = refresh_headers(page)
    assert headers["If-None-Match"] != page["ETag"]  # the fragment is a page of its own
    assert client.get(track_url(journey), headers=headers).status_code == 304
    # The whole page's validator is not the fragment's, and the fragment's not the page's.
    assert again(client, track_url(journey), page, HX_Request="true").status_code == 200
    assert client.get(track_url(journey), headers={**headers, "HX-Request": ""}).status_code == 200

    decide(first_step(journey))
    changed = client.get(track_url(journey), headers=headers)
    assert changed.status_code == 200
    assert "Approved" in changed.content.decode()
    assert changed["ETag"] != headers["If-None-Match"]
    assert client.get(track_url(journey), headers=refresh_headers(changed)).status_code == 304


def test_a_304_costs_the_session_the_user_and_one_version_read(
    client, journey, django_assert_num_queries
):
    client.force_login(journey.applicant)
    page = client.get(track_url(journey))
    headers = refresh_headers(page)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(track_url(journey), headers=headers).status_code == 304
    sessions, users, versions = queries.captured_queries
    assert "django_session" in sessions["sql"] and "auth_user" in users["sql"]
    assert '"journeys_journey"."version"' in versions["sql"]
    with django_assert_num_queries(3):
        again(client, track_url(journey), page)


def test_another_person_who_may_see_the_journey_never_gets_its_304(client, cafe, settings):
    from organisations.register import STAND_IN, StandInRegister

    settings.SIGNATORY_REGISTER = STAND_IN
    number, anna, bertil = "556016-0680", "19900101-2385", "19850615-2381"
    with mock.patch.object(
        StandInRegister, "COMPANIES", {number: ("Kaffekoppen AB", {anna, bertil})}
    ):
        first = make_person(anna, "Anna", "Andersson")
        journey = organisation_journey(cafe, first, number=number, name="Kaffekoppen AB")
        second = make_person(bertil, "Bertil", "Berg")
        services.journey_applying_for_organisation(
            journey=services.journey_start(journey_type=cafe, applicant=second, now=timezone.now()),
            person=second.person,
            number=number,
            name="Kaffekoppen AB",
            now=timezone.now(),
        )
    assert Journey.objects.acting_for(second).filter(pk=journey.pk).exists()
    client.force_login(first)
    page = client.get(track_url(journey))
    client.force_login(second)
    assert again(client, track_url(journey), page).status_code == 200
    assert client.get(track_url(journey), headers=refresh_headers(page)).status_code == 200


def test_someone_outside_the_journey_gets_404_whatever_they_send(client, journey):
    client.force_login(journey.applicant)
    page = client.get(track_url(journey))
    client.force_login(make_user())
    assert again(client, track_url(journey), page).status_code == 404


def test_the_same_person_in_another_language_gets_the_page(client, journey):
    client.force_login(journey.applicant)
    page = client.get(track_url(journey), headers={"Accept-Language": "en"})
    assert again(client, track_url(journey), page, Accept_Language="en").status_code == 304
    swedish = again(client, track_url(journey), page, Accept_Language="sv")
    assert swedish.status_code == 200 and "Ansökan" in swedish.content.decode()


def test_a_browser_whose_forms_need_another_csrf_secret_gets_the_page(client, journey, settings):
    client.force_login(journey.applicant)
    page = client.get(track_url(journey))
    assert again(client, track_url(journey), page).status_code == 304
    client.cookies[settings.CSRF_COOKIE_NAME] = "a" * 32  # signed in anew: a new secret
    assert again(client, track_url(journey), page).status_code == 200


def test_a_flash_message_waiting_to_be_shown_gets_the_page(client, journey, rf):
    client.force_login(journey.applicant)
    page = client.get(track_url(journey))
    storage = CookieStorage(rf.get("/"))
    client.cookies[storage.cookie_name] = storage._encode([Message(constants.INFO, "Noted.")])
    response = again(client, track_url(journey), page)
    assert response.status_code == 200 and "Noted." in response.content.decode()
    assert again(client, track_url(journey), response).status_code == 304  # shown once


def _request(rf, user, **headers):
    request = rf.get("/applications/x/", headers=headers)
    request.user, request.session = user, SessionStore()
    request.META["CSRF_COOKIE"] = "s" * 32  # the browser's, as CsrfViewMiddleware reads it
    request._messages = FallbackStorage(request)
    return request


def test_a_validator_is_not_modified_until_its_moment_then_never(rf, journey):
    user, moment = journey.applicant, timezone.now() + dt.timedelta(hours=3)
    etag = PageValidator(_request(rf, user), "track", (1, 2)).etag(moment)
    asked = PageValidator(_request(rf, user, If_None_Match=etag), "track", (1, 2))
    assert asked.not_modified(now=moment - dt.timedelta(seconds=1)).status_code == 304
    assert asked.not_modified(now=moment) is None
    assert PageValidator(
        _request(rf, user, If_None_Match=etag), "track", (1, 3)
    ).not_modified(now=timezone.now()) is None  # fmt: skip


def test_a_forged_moment_is_not_believed(client, journey):
    client.force_login(journey.applicant)
    page = client.get(track_url(journey))
    digest = page["ETag"].split("-")[0]
    forged = f'{digest}-{int(timezone.now().timestamp()) + 10**6:x}"'
    assert client.get(track_url(journey), headers={"If-None-Match": forged}).status_code == 200


def test_the_refresh_validator_of_a_draft_is_never_honoured(client, trail):
    applicant = make_user()
    draft = services.journey_start(journey_type=trail, applicant=applicant, now=timezone.now())
    client.force_login(applicant)
    response = client.get(track_url(draft), headers={"If-None-Match": 'W/"x-ffffffff"'})
    assert response.status_code == 302


# The unit's queue


@pytest.fixture
def unit(journey):
    return first_step(journey).unit


def queue(client, response=None, **headers):
    if response is not None:
        headers["If-None-Match"] = response["ETag"]
    return client.get(reverse("casework:queue"), headers=headers)


def test_an_unchanged_queue_is_not_modified_for_the_same_caseworker_only(client, unit):
    worker, colleague = make_caseworker(unit), make_caseworker(unit)
    client.force_login(worker)
    page = queue(client)
    assert page.status_code == 200 and page["Cache-Control"] == "private, no-cache"
    assert queue(client, page).status_code == 304
    client.force_login(colleague)  # "Mine" is someone else's
    assert queue(client, page).status_code == 200
    client.force_login(make_caseworker(unit, lead=True))  # a lead's page links the workload
    assert queue(client, page).status_code == 200


def test_a_change_in_the_unit_gets_the_queue_and_one_elsewhere_does_not(client, journey, unit):
    elsewhere = journey_type(parallel=1, chain=0, slug="elsewhere", prefix="ELSE",
                             units={"parallel-1": "office-elsewhere"})  # fmt: skip
    other = submitted_journey(elsewhere).steps.get()  # another unit's case, another journey
    client.force_login(make_caseworker(unit))
    lists_committed()
    page = queue(client)
    decide(other)
    lists_committed()
    assert queue(client, page).status_code == 304
    services.step_claim(step=first_step(journey), by=make_caseworker(unit), now=timezone.now())
    assert queue(client, page).status_code == 304  # not committed yet: not seen by the list
    lists_committed()
    changed = queue(client, page)
    assert changed.status_code == 200 and changed["ETag"] != page["ETag"]


def test_a_queue_304_costs_the_session_the_user_and_the_units_read(
    client, unit, django_assert_num_queries
):
    client.force_login(make_caseworker(unit))
    page = queue(client)
    with django_assert_num_queries(3) as captured:
        assert queue(client, page).status_code == 304
    assert "journeys_listversion" in captured.captured_queries[-1]["sql"]


def test_the_queue_fragment_and_filters_are_pages_of_their_own(client, unit):
    client.force_login(make_caseworker(unit))
    page = queue(client)
    assert queue(client, page, HX_Request="true").status_code == 200
    overdue = client.get(reverse("casework:queue") + "?filter=overdue")
    assert overdue["ETag"] != page["ETag"]


# The coordinator's dashboard


def dashboard(client, response=None, query=""):
    headers = {"If-None-Match": response["ETag"]} if response is not None else {}
    return client.get(reverse("coordination:dashboard") + query, headers=headers)


def test_an_unchanged_dashboard_is_not_modified_until_anything_changes(client, journey):
    client.force_login(make_coordinator())
    lists_committed()
    page = dashboard(client)
    assert dashboard(client, page).status_code == 304
    decide(first_step(journey))
    deliver_all()
    lists_committed()
    assert dashboard(client, page).status_code == 200


def test_a_dashboard_304_costs_the_session_the_user_and_one_version_read(
    client, journey, django_assert_num_queries
):
    client.force_login(make_coordinator())
    page = dashboard(client)
    with django_assert_num_queries(3) as captured:
        assert dashboard(client, page).status_code == 304
    assert "journeys_listversion" in captured.captured_queries[-1]["sql"]


def test_only_a_coordinator_is_answered_even_with_a_coordinators_validator(client, journey):
    client.force_login(make_coordinator())
    page = dashboard(client)
    client.force_login(make_caseworker(first_step(journey).unit))
    assert dashboard(client, page).status_code == 404


def test_a_dashboard_filtered_by_age_is_drawn_every_time(client, journey):
    client.force_login(make_coordinator())
    page = dashboard(client, query="?min_age_days=30")
    assert dashboard(client, page, query="?min_age_days=30").status_code == 200
