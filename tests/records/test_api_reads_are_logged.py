"""Every successful API read records who read what through which client: one entry for an
object, one per journey (or step) on a list's page, written in one INSERT whatever the page's
length; a refused read or a write records nothing."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from records.models import AccessLogEntry
from tests.factories import bulk_queued_steps, submitted_journey
from tests.journey_types import journey_type

What = AccessLogEntry.What


def entries() -> list[AccessLogEntry]:
    return list(AccessLogEntry.objects.order_by("id"))


def assert_by(entry, caller, what, path):
    assert (entry.user_id, entry.api_client_id) == (caller.client.user_id, caller.client.pk)
    assert (entry.via, entry.what, entry.path) == (AccessLogEntry.Via.API, what, path)


def test_reading_a_journey_records_it(two_units):
    world = two_units
    path = f"/api/v1/journeys/{world.journey.public_id}/"
    assert world.caller.get(path).status_code == 200
    [entry] = entries()
    assert_by(entry, world.caller, What.JOURNEY, path)
    assert (entry.journey_id, entry.journey_reference) == (
        world.journey.pk,
        world.journey.reference,
    )
    assert entry.step_id is None and entry.document_id is None


@pytest.mark.parametrize(
    ("suffix", "what"), [("documents/", What.DOCUMENT_LIST), ("events/", What.EVENTS)]
)
def test_a_journeys_documents_and_events_are_one_entry_for_the_journey(two_units, suffix, what):
    world = two_units
    path = f"/api/v1/journeys/{world.journey.public_id}/{suffix}"
    assert world.caller.get(path).status_code == 200
    [entry] = entries()
    assert_by(entry, world.caller, what, path)
    assert entry.journey_id == world.journey.pk


def test_downloading_a_document_records_the_document(two_units):
    world = two_units
    path = f"/api/v1/documents/{world.own_document.pk}/content/"
    response = world.caller.get(path)
    assert response.status_code == 200
    b"".join(response.streaming_content)
    [entry] = entries()
    assert_by(entry, world.caller, What.DOCUMENT, path)
    assert (entry.journey_id, entry.document_id, entry.document_name) == (
        world.journey.pk,
        world.own_document.pk,
        "own-plan.pdf",
    )


def test_reading_a_step_and_its_handoffs_records_the_step(two_units):
    world = two_units
    for path, what in (
        (f"/api/v1/steps/{world.own.pk}/", What.STEP),
        (f"/api/v1/steps/{world.own.pk}/handoffs/", What.HANDOFFS),
    ):
        assert world.caller.get(path).status_code == 200
        entry = entries()[-1]
        assert_by(entry, world.caller, what, path)
        assert (entry.journey_id, entry.step_id) == (world.journey.pk, world.own.pk)
    assert len(entries()) == 2


def test_the_journey_list_records_one_entry_per_journey_on_the_page(two_units):
    world = two_units
    kind = world.journey.journey_type
    more = [submitted_journey(kind) for _ in range(2)]
    response = world.caller.get("/api/v1/journeys/?page_size=2")
    assert response.status_code == 200
    shown = [j["reference"] for j in response.json()["results"]]
    assert len(shown) == 2
    assert [e.journey_reference for e in entries()] == shown
    assert {e.what for e in entries()} == {What.JOURNEY_LIST}
    assert {e.journey_id for e in entries()} <= {world.journey.pk, *(j.pk for j in more)}


def test_the_step_list_records_one_entry_per_step(two_units):
    world = two_units
    assert world.caller.get("/api/v1/steps/").status_code == 200
    [entry] = entries()  # the unit's one step
    assert (entry.what, entry.journey_id, entry.step_id) == (
        What.STEP_LIST,
        world.journey.pk,
        world.own.pk,
    )


def test_a_list_page_is_recorded_in_one_insert_however_long(
    db, api_caller, django_assert_max_num_queries
):
    kind = journey_type(parallel=1, chain=0)
    step_type = kind.steps.get(key="parallel-1")
    bulk_queued_steps(step_type, 2)
    caller = api_caller(step_type.unit)
    caller.get("/api/v1/journeys/")  # the client's roles are read once, then cached

    def reads(path: str) -> tuple[int, int]:
        before = AccessLogEntry.objects.count()
        with CaptureQueriesContext(connection) as queries:
            assert caller.get(path).status_code == 200
        inserts = [q for q in queries if q["sql"].startswith('INSERT INTO "records_')]
        assert len(inserts) == 1
        return len(queries), AccessLogEntry.objects.count() - before

    few = {path: reads(path) for path in ("/api/v1/journeys/", "/api/v1/steps/")}
    assert {written for _, written in few.values()} == {2}
    bulk_queued_steps(step_type, 98)
    for path, (queries, _) in few.items():
        before = AccessLogEntry.objects.count()
        with django_assert_max_num_queries(queries):
            caller.get(path + "?page_size=100")
        assert AccessLogEntry.objects.count() - before == 100


@pytest.mark.django_db(transaction=True)
def test_the_change_feed_records_each_journey_on_its_page_once(api_caller):
    kind = journey_type(parallel=2, chain=0)
    journeys = [submitted_journey(kind) for _ in range(2)]
    caller = api_caller()
    response = caller.get("/api/v1/feed/?limit=1000")
    assert response.status_code == 200
    events = response.json()["events"]
    assert len(events) > 2  # several events per journey
    logged = [e for e in entries() if e.what == What.FEED]
    assert sorted(e.journey_id for e in logged) == sorted(j.pk for j in journeys)
    assert all(e.api_client_id == caller.client.pk for e in logged)


def test_a_read_that_names_no_journey_is_one_entry_naming_none(db, api_caller):
    caller = api_caller()
    assert caller.get("/api/v1/journey-types/").status_code == 200
    [entry] = entries()
    assert (entry.what, entry.journey_id, entry.journey_reference) == (What.OTHER, None, "")
    assert entry.api_client_id == caller.client.pk


def test_a_refused_read_and_a_write_record_nothing(two_units):
    world = two_units
    assert world.caller.get(f"/api/v1/steps/{world.other.pk}/").status_code == 404
    assert (
        world.caller.get(f"/api/v1/documents/{world.other_document.pk}/content/").status_code == 404
    )
    assert world.caller.http.get(f"/api/v1/journeys/{world.journey.public_id}/").status_code == 401
    assert world.caller.post(f"/api/v1/steps/{world.own.pk}/take/").status_code == 200
    assert entries() == []


def test_every_api_view_is_access_logged():
    """A new API view must say what its reads are: it inherits the mixin that records them."""
    from django.urls import get_resolver

    from api.access import AccessLogged

    def views(resolver):
        for pattern in resolver.url_patterns:
            if hasattr(pattern, "url_patterns"):
                yield from views(pattern)
            else:
                yield pattern.callback

    api = next(p for p in get_resolver().url_patterns if getattr(p, "namespace", "") == "api")
    checked = 0
    for view in views(api):
        cls = getattr(view, "cls", None)
        if cls is None or cls.__module__.startswith(("oauth2_provider", "drf_spectacular")):
            continue  # the token endpoints, the schema and the docs page read no journey
        assert issubclass(cls, AccessLogged), cls
        checked += 1
    assert checked >= 6


def test_a_subscriptions_deliveries_record_the_journeys_they_name(db, api_caller):
    from tests.webhooks.factories import make_subscription

    caller = api_caller()
    subscription = make_subscription(caller.client)
    journey = submitted_journey(journey_type(parallel=1, chain=0))
    path = f"/api/v1/subscriptions/{subscription.public_id}/deliveries/"
    response = caller.get(path)
    assert response.status_code == 200
    assert len(response.json()["results"]) > 1  # several events of the one journey
    [entry] = entries()
    assert_by(entry, caller, What.DELIVERIES, path)
    assert entry.journey_id == journey.pk
