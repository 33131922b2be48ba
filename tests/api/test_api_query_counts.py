"""Every API list runs as many queries for 1,000 rows as for 10 (a page's rows are read in a
fixed number of queries, never one per row)."""

import datetime as dt
import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from journeys.models import Document, Handoff, JourneyEvent, JourneyType, StepType
from tests.factories import bulk_queued_steps, submitted_journey
from tests.journey_types import journey_type, unit_for
from units.models import Unit


def count(caller, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = caller.get(url)
    assert response.status_code == 200, (url, response.content[:300])
    return len(queries)


def assert_constant(caller, urls: list[str], grow, django_assert_max_num_queries) -> None:
    caller.get(urls[0])  # the client's roles are read once, then cached (units.roles)
    small = {url: count(caller, url) for url in urls}
    grow()
    caller.get(urls[0])  # growing may have made roles stale
    for url, queries in small.items():
        with django_assert_max_num_queries(queries):
            caller.get(url)
        assert count(caller, url) == queries, url


@pytest.fixture
def unit_world(db, api_caller):
    kind = journey_type(parallel=2, chain=0)
    journey = submitted_journey(kind)
    own = journey.steps.get(step_type__key="parallel-1")
    caller = api_caller(Unit.objects.get(slug=unit_for("parallel-1")))
    return kind, journey, own, caller


def test_the_queue_and_journey_lists_are_constant(unit_world, django_assert_max_num_queries):
    kind, journey, own, caller = unit_world
    step_type = kind.steps.get(key="parallel-1")
    bulk_queued_steps(step_type, 9)
    urls = [f"/api/v1/steps/?queue={name}" for name in ("all", "new", "mine", "overdue")]
    urls += ["/api/v1/steps/", "/api/v1/journeys/", "/api/v1/journeys/?status=in_progress"]
    assert_constant(
        caller, urls, lambda: bulk_queued_steps(step_type, 990), django_assert_max_num_queries
    )


def test_a_journeys_documents_are_constant(unit_world, django_assert_max_num_queries):
    kind, journey, own, caller = unit_world
    other = journey.steps.get(step_type__key="parallel-2")

    def documents(n: int) -> None:
        made = Document.objects.bulk_create(
            Document(
                journey=journey,
                uploaded_by=journey.applicant,
                uploaded_at=timezone.now(),
                name=f"doc-{i}.pdf",
                content_type="application/pdf",
                size=10,
                sha256="0" * 64,
                file=f"{journey.public_id}/doc-{i}",
            )
            for i in range(n)
        )
        Document.steps.through.objects.bulk_create(
            Document.steps.through(document=d, step=s) for d in made for s in (own, other)
        )

    documents(10)
    url = f"/api/v1/journeys/{journey.public_id}/documents/"
    assert_constant(caller, [url], lambda: documents(990), django_assert_max_num_queries)


def test_a_journeys_events_are_constant(unit_world, django_assert_max_num_queries):
    kind, journey, own, caller = unit_world
    other = journey.steps.get(step_type__key="parallel-2")
    kinds = [JourneyEvent.Kind.NOTE, JourneyEvent.Kind.DOCUMENT_ADDED, JourneyEvent.Kind.CALL]

    def events(n: int) -> None:
        JourneyEvent.objects.bulk_create(
            JourneyEvent(
                journey=journey,
                step=(own, other, None)[i % 3],
                kind=kinds[i % 3],
                actor=journey.applicant,
                created_at=timezone.now(),
                message=f"event {i}",
            )
            for i in range(n)
        )

    url = f"/api/v1/journeys/{journey.public_id}/events/"
    assert_constant(caller, [url], lambda: events(1000), django_assert_max_num_queries)


def test_a_steps_handoffs_are_constant(unit_world, django_assert_max_num_queries):
    kind, journey, own, caller = unit_world

    def handoffs(n: int) -> None:
        Handoff.objects.bulk_create(
            Handoff(
                step=own,
                unit_id=own.unit_id,
                kind=Handoff.Kind.RESUME,
                created_at=timezone.now() - dt.timedelta(minutes=i),
            )
            for i in range(n)
        )

    handoffs(9)
    url = f"/api/v1/steps/{own.pk}/handoffs/"
    assert_constant(caller, [url], lambda: handoffs(990), django_assert_max_num_queries)


def test_the_journey_types_list_is_constant(db, api_caller, django_assert_max_num_queries):
    kind = journey_type(parallel=2, chain=1)
    caller = api_caller()

    def versions(n: int) -> None:
        start = JourneyType.objects.count()
        made = JourneyType.objects.bulk_create(
            JourneyType(
                slug=f"bulk-{start + i}",
                name=f"Bulk {i}",
                summary="A bulk type.",
                reference_prefix="BULK",
                fields=kind.fields,
                is_current=True,
            )
            for i in range(n)
        )
        steps = StepType.objects.bulk_create(
            StepType(journey_type=t, key=key, name=key, unit_id=unit, order=order)
            for t in made
            for order, (key, unit) in enumerate(kind.steps.values_list("key", "unit_id"))
        )
        StepType.depends_on.through.objects.bulk_create(
            StepType.depends_on.through(from_steptype=later, to_steptype=first)
            for first, later in zip(steps[::3], steps[2::3], strict=True)
        )

    versions(9)
    assert_constant(
        caller, ["/api/v1/journey-types/"], lambda: versions(990), django_assert_max_num_queries
    )


@pytest.mark.django_db(transaction=True)
def test_the_change_feed_is_constant(api_caller, django_assert_max_num_queries):
    """Transactional: the feed serves events of committed transactions only."""
    journey = submitted_journey(journey_type(parallel=2, chain=0))
    own = journey.steps.get(step_type__key="parallel-1")
    callers = [api_caller(Unit.objects.get(pk=own.unit_id)), api_caller()]

    def events(n: int) -> None:
        JourneyEvent.objects.bulk_create(
            JourneyEvent(
                journey=journey,
                step=own,
                unit_id=own.unit_id,
                kind=JourneyEvent.Kind.STEP_CLAIMED,
                created_at=timezone.now(),
            )
            for _ in range(n)
        )

    events(10)
    for caller in callers:
        caller.get("/api/v1/feed/")
    small = {id(c): count(c, "/api/v1/feed/?limit=100") for c in callers}
    events(990)
    for caller in callers:
        with django_assert_max_num_queries(small[id(caller)]):
            caller.get("/api/v1/feed/?limit=100")
    # Not an empty page counted: other sessions on the server may hold the horizon a moment.
    deadline = time.monotonic() + 60
    while len(callers[1].get("/api/v1/feed/?limit=100").json()["events"]) < 100:
        assert time.monotonic() < deadline
        time.sleep(0.2)
