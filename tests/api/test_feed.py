"""The change feed: a client's events oldest first from its cursor, each once, and never one
committed late behind a cursor already given (on PostgreSQL, where transactions interleave).

Transactional tests: in a `db` test everything is one open transaction, whose own events the
feed rightly holds back until it commits."""

import threading
import time

import psycopg
import pytest
from django.db import connection, transaction
from django.utils import timezone

from api.events import cloud_event, in_scope, published_events
from api.feed import Position
from journeys import services
from journeys.models import JourneyEvent
from journeys.services import journey_event_record
from tests.factories import decide, deliver_all, make_caseworker, submitted_journey
from tests.journey_types import journey_type, make_test_units
from units.models import Unit

pytestmark = pytest.mark.django_db(transaction=True)


def read_all(caller, limit: int = 2, after: str | None = None) -> tuple[list[dict], str]:
    """Every page ready from `after` on; returns the events and the last `next` cursor."""
    seen = []
    while True:
        query = f"?limit={limit}" + (f"&after={after}" if after else "")
        response = caller.get(f"/api/v1/feed/{query}")
        assert response.status_code == 200, response.content
        page = response.json()
        seen += page["events"]
        after = page["next"]
        if not page["has_more"]:
            return seen, after


def read_until(caller, count: int, limit: int = 2, after: str | None = None):
    """Read as a client polls, until `count` events came: on PostgreSQL an event is served once
    every older writing transaction of this database has ended (a worker's may still be open
    for a moment)."""
    seen, deadline = [], time.monotonic() + 60
    while True:
        events, after = read_all(caller, limit, after)
        seen += events
        if len(seen) >= count or time.monotonic() > deadline:
            return seen, after
        time.sleep(0.2)


@pytest.fixture
def journey(db):
    journey = submitted_journey(journey_type(parallel=2, chain=0))
    for step in journey.steps.all():
        decide(step)
    return journey


def test_a_unit_pulls_its_events_page_by_page_each_once(journey, api_caller):
    own = journey.steps.get(step_type__key="parallel-1")
    caller = api_caller(Unit.objects.get(pk=own.unit_id))
    expected = [cloud_event(e) for e in in_scope(published_events(), caller.client).order_by("pk")]
    events, cursor = read_until(caller, len(expected))
    assert events == expected
    assert [e["type"] for e in events] == [
        "step.queued",
        "step.taken",
        "step.decided",
        "journey.completed",
    ]
    assert all(e["data"]["step"]["unit"] == "office-parallel-1" for e in events[:3])
    # Nothing new: the same cursor comes back, with nothing.
    again, same = read_all(caller, after=cursor)
    assert again == [] and same == cursor


def test_a_coordination_client_sees_every_published_event(journey, api_caller):
    events, _cursor = read_until(api_caller(), 8, limit=3)
    assert len(events) == published_events().count() == 8
    assert [e["id"] for e in events] == [
        f"event-{pk}" for pk in sorted(published_events().values_list("pk", flat=True))
    ]


def test_what_happens_after_a_cursor_comes_after_it(journey, api_caller):
    caller = api_caller()
    _events, cursor = read_until(caller, 8)
    later = submitted_journey(journey.journey_type)
    expected = published_events().filter(journey=later).count()
    events, _cursor = read_until(caller, expected, after=cursor)
    assert {e["data"]["journey"]["id"] for e in events} == {str(later.public_id)}
    assert events[0]["type"] == "journey.submitted"


@pytest.mark.parametrize("cursor", ["not-base64!", "bm9wZQ", "LTEuNQ", "%F0%9F%92%A9", "x" * 199])
def test_a_cursor_the_feed_did_not_give_is_a_400_problem(db, api_caller, cursor):
    response = api_caller().get(f"/api/v1/feed/?after={cursor}")
    assert response.status_code == 400
    assert response.json()["type"] == "urn:portal:problem:invalid-cursor"


@pytest.mark.parametrize("limit", ["0", "1001", "ten"])
def test_a_limit_outside_1_to_1000_is_a_400_problem(db, api_caller, limit):
    response = api_caller().get(f"/api/v1/feed/?limit={limit}")
    assert response.status_code == 400
    assert response.json()["errors"][0]["pointer"] == "/limit"


def test_the_cursor_is_opaque_and_round_trips():
    position = Position(transaction_id=123456789, event_id=42)
    assert Position.decode(position.encode()) == position
    assert "42" not in position.encode()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="transaction ids: PostgreSQL")
def test_an_event_committed_late_never_lands_behind_a_cursor(journey, api_caller):
    """Event A is written first by a transaction that stays open; B is written and committed
    after it (in another journey: A's transaction holds its journey's row). The feed holds B
    back until A's transaction commits, then gives A, then B."""
    caller = api_caller()
    other = submitted_journey(journey.journey_type)
    _events, cursor = read_until(caller, published_events().count())
    written, release = threading.Event(), threading.Event()

    def slow_writer():
        try:
            with transaction.atomic():
                journey_event_record(
                    journey=journey, kind=JourneyEvent.Kind.SUBMITTED, now=timezone.now()
                )
                written.set()
                assert release.wait(30)
        finally:
            connection.close()

    thread = threading.Thread(target=slow_writer)
    thread.start()
    assert written.wait(30)
    fast = journey_event_record(journey=other, kind=JourneyEvent.Kind.COMPLETED, now=timezone.now())
    held_back, cursor_meanwhile = read_all(caller, after=cursor)
    assert held_back == []  # B is committed, but A's transaction, older, is still open
    release.set()
    thread.join(30)

    events, _cursor = read_until(caller, 2, after=cursor_meanwhile)
    assert [e["type"] for e in events] == ["journey.submitted", "journey.completed"]
    assert events[1]["id"] == f"event-{fast.pk}"
    assert int(events[0]["id"].removeprefix("event-")) < fast.pk


def test_the_feeds_scope_is_the_events_scope(journey, db):
    """The feed writes a unit's scope its own way for PostgreSQL's sake (api.feed._scoped)."""
    from api.feed import _scoped
    from api.models import ApiClient

    rejected = submitted_journey(journey.journey_type)
    decide(rejected.steps.get(step_type__key="parallel-2"), "reject")
    transferred = submitted_journey(journey.journey_type)
    moved = transferred.steps.get(step_type__key="parallel-2")
    services.step_transfer(
        step=moved,
        to=make_test_units("office-right")["office-right"],
        by=make_caseworker(moved.unit),
        reason="Not ours.",
        now=timezone.now(),
    )
    deliver_all()
    for unit in Unit.objects.filter(slug__startswith="office-"):
        client = ApiClient(kind=ApiClient.Kind.UNIT, unit=unit)
        written = set(_scoped(published_events(), client).values_list("pk", flat=True))
        assert written == set(in_scope(published_events(), client).values_list("pk", flat=True))
        assert written  # each unit sees something, the journeys' ends included


def test_a_transaction_left_open_in_another_database_does_not_hold_the_feed_back(
    journey, api_caller
):
    """A seed or another portal on the same PostgreSQL server, with a writing transaction
    open, cannot write this log: the feed serves what is committed here without waiting."""
    caller = api_caller()
    _events, cursor = read_until(caller, published_events().count())
    settings = connection.settings_dict
    elsewhere = psycopg.connect(
        host=settings["HOST"], port=settings["PORT"], user=settings["USER"], dbname="postgres"
    )
    try:
        elsewhere.execute("SELECT pg_current_xact_id()")  # writing: it holds an xid, open
        event = journey_event_record(
            journey=journey, kind=JourneyEvent.Kind.COMPLETED, now=timezone.now()
        )
        events, _cursor = read_all(caller, after=cursor)
        assert [e["id"] for e in events] == [f"event-{event.pk}"]
    finally:
        elsewhere.close()


def test_after_a_transfer_the_old_unit_keeps_its_events_and_the_new_one_reads_on(api_caller):
    """Scope is the unit an event was written for, not the step's unit now: the sending unit's
    feed keeps the step's events of its time and not the receiving unit's; that one's feed
    starts at the transfer, which both read."""
    journey = submitted_journey(journey_type(parallel=2, chain=0))
    moved = journey.steps.get(step_type__key="parallel-2")
    sender, receiver = moved.unit, make_test_units("office-right")["office-right"]
    worker = make_caseworker(sender)
    moved = services.step_claim(step=moved, by=worker, now=timezone.now())
    services.step_transfer(
        step=moved, to=receiver, by=worker, reason="A district matter.", now=timezone.now()
    )
    deliver_all()
    decide(journey.steps.get(pk=moved.pk), by=make_caseworker(receiver))

    old, _ = read_until(api_caller(sender), 3)
    assert [(e["type"], e["data"]["step"]["unit"]) for e in old] == [
        ("step.queued", sender.slug),
        ("step.taken", sender.slug),
        ("step.transferred", sender.slug),
    ]
    assert old[-1]["data"]["transferred_to"] == receiver.slug
    new, _ = read_until(api_caller(receiver), 4)
    assert [(e["type"], e["data"]["step"]["unit"]) for e in new] == [
        ("step.transferred", sender.slug),
        ("step.queued", receiver.slug),
        ("step.taken", receiver.slug),
        ("step.decided", receiver.slug),
    ]
    assert new[0]["id"] == old[-1]["id"]  # the very same event
