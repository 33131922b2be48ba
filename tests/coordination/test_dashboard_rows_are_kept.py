"""The dashboard's journey rows are kept in the cache by the journey's version (coordination.rows):
a row unchanged since it was drawn is not projected or drawn again, and any change to the
journey, a flag raised by time, or another language shows at once."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from journeys.models import Journey
from tests.factories import decide, deliver_all, make_coordinator, submitted_journey
from tests.html import parse
from tests.journey_types import journey_type


@pytest.fixture
def trail(db):
    """parallel-1 -> chain-1, and parallel-2: two units at submission."""
    return journey_type(parallel=2, chain=1, deadline_days=70)


@pytest.fixture
def coordinator_client(client, db):
    client.force_login(make_coordinator())
    return client


def row_of(client, journey: Journey, **headers) -> tuple[str, bool]:
    """The journey's row as text, and whether the dashboard read the rows' steps (what their
    projected dates are made from) to draw it."""
    with CaptureQueriesContext(connection) as queries:
        html = client.get(reverse("coordination:dashboard"), headers=headers).content.decode()
    table = [" | ".join(cells) for cells in parse(html).find("table").rows()]
    steps_read = any(q["sql"].startswith('SELECT "journeys_step"."id"') for q in queries)
    return next(row for row in table if journey.reference in row), steps_read


def test_a_row_is_drawn_again_as_soon_as_its_journey_changes(coordinator_client, trail):
    journey = submitted_journey(trail)
    drawn, steps_read = row_of(coordinator_client, journey)
    assert steps_read
    kept, steps_read = row_of(coordinator_client, journey)
    assert kept == drawn
    assert not steps_read  # nor projected, nor drawn: kept

    for step in journey.steps.filter(step_type__key__startswith="parallel"):
        decide(step)
    deliver_all()
    changed, steps_read = row_of(coordinator_client, journey)
    assert "Office chain 1" in changed and "Office parallel" not in changed
    assert steps_read
    assert row_of(coordinator_client, journey) == (changed, False)


def test_a_flag_raised_by_time_alone_shows_on_a_kept_row(coordinator_client, trail, settings):
    journey = submitted_journey(trail)
    kept, _ = row_of(coordinator_client, journey)
    assert "Stalled" not in kept
    # What the clock passing the stalled period does: the journey itself does not change.
    quiet_since = timezone.now() - dt.timedelta(days=settings.STALLED_AFTER_DAYS + 1)
    Journey.objects.filter(pk=journey.pk).update(last_event_at=quiet_since)
    stalled, _ = row_of(coordinator_client, journey)
    assert "Stalled" in stalled


def test_a_row_kept_in_english_is_drawn_in_swedish_for_a_swedish_reader(coordinator_client, trail):
    journey = submitted_journey(trail)
    english, _ = row_of(coordinator_client, journey, **{"Accept-Language": "en"})
    assert "Expected by" in english
    swedish, _ = row_of(coordinator_client, journey, **{"Accept-Language": "sv"})
    assert "Väntas senast" in swedish and "Expected by" not in swedish
