"""The journey event log refuses UPDATE and DELETE in the database itself, raw SQL included."""

import pytest
from django.db import DatabaseError, connection, transaction

from journeys.models import JourneyEvent
from tests.factories import submitted_journey


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE journeys_journeyevent SET message = 'rewritten' WHERE id = %s",
        "DELETE FROM journeys_journeyevent WHERE id = %s",
    ],
)
def test_raw_sql_cannot_change_or_remove_an_event(cafe, sql):
    event = submitted_journey(cafe).events.first()
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, [event.pk])
    event.refresh_from_db()
    assert event.message == ""


def test_the_orm_cannot_either(cafe):
    journey = submitted_journey(cafe)
    with pytest.raises(DatabaseError), transaction.atomic():
        JourneyEvent.objects.filter(journey=journey).update(message="x")
    with pytest.raises(DatabaseError), transaction.atomic():
        JourneyEvent.objects.filter(journey=journey).delete()
    assert journey.events.count() > 0
