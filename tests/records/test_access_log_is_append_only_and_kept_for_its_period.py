"""The access log refuses UPDATE and DELETE in the database itself, raw SQL included; only the
retention sweep deletes, and exactly the entries older than the retention period."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from records import tasks
from records.models import AccessLogEntry
from records.services import AccessRead, access_log_dispose, access_record_many
from tests.factories import make_caseworker, submitted_journey
from tests.journey_types import journey_type


@pytest.fixture
def journey(db):
    return submitted_journey(journey_type(parallel=1, chain=0))


@pytest.fixture
def reader(journey):
    return make_caseworker(journey.steps.get().unit)


def record(reader, journey, *, at: dt.datetime, times: int = 1) -> None:
    access_record_many(
        user=reader,
        what=AccessLogEntry.What.CASE_PAGE,
        path="/work/steps/1/",
        now=at,
        reads=[AccessRead.of(journey)] * times,
    )


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE records_accesslogentry SET journey_reference = 'rewritten' WHERE id = %s",
        "DELETE FROM records_accesslogentry WHERE id = %s",
    ],
)
def test_raw_sql_cannot_change_or_remove_an_entry(reader, journey, sql):
    record(reader, journey, at=timezone.now())
    entry = AccessLogEntry.objects.get()
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, [entry.pk])
    entry.refresh_from_db()
    assert entry.journey_reference == journey.reference


def test_the_orm_cannot_either(reader, journey):
    record(reader, journey, at=timezone.now())
    entry = AccessLogEntry.objects.get()
    with pytest.raises(DatabaseError), transaction.atomic():
        AccessLogEntry.objects.update(path="/elsewhere/")
    with pytest.raises(DatabaseError), transaction.atomic():
        AccessLogEntry.objects.all().delete()
    with pytest.raises(ValueError, match="append-only"):
        entry.save()
    with pytest.raises(ValueError, match="append-only"):
        entry.delete()
    assert AccessLogEntry.objects.get().path == "/work/steps/1/"


def test_the_disposal_mark_lasts_only_for_the_sweeps_own_transaction(reader, journey):
    now = timezone.now()
    record(reader, journey, at=now)
    assert access_log_dispose(now=now) == 0  # nothing due; the mark ended with its transaction
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AccessLogEntry.objects.all().delete()
    assert AccessLogEntry.objects.count() == 1


def test_the_sweep_disposes_of_exactly_the_entries_past_retention(reader, journey, settings):
    settings.ACCESS_LOG_RETENTION_DAYS = 1096
    now = timezone.now()
    record(reader, journey, at=now - dt.timedelta(days=1200), times=3)
    record(reader, journey, at=now - dt.timedelta(days=30), times=2)
    record(reader, journey, at=now, times=1)
    assert access_log_dispose(now=now) == 3
    assert AccessLogEntry.objects.count() == 3

    # The clock moved forward: entries reach the end of their period in turn.
    later = now + dt.timedelta(days=1096 - 30, hours=1)
    assert access_log_dispose(now=later) == 2
    kept = AccessLogEntry.objects.get()
    assert kept.at == now
    assert access_log_dispose(now=later) == 0  # safe to repeat


def test_the_command_and_the_beat_task_run_the_sweep(reader, journey, settings):
    assert (
        settings.CELERY_BEAT_SCHEDULE["access-log-dispose"]["task"]
        == "records.tasks.access_log_dispose"
    )
    old = timezone.now() - dt.timedelta(days=settings.ACCESS_LOG_RETENTION_DAYS + 1)
    record(reader, journey, at=old, times=2)
    out = StringIO()
    call_command("access_log_dispose", stdout=out)
    assert out.getvalue().startswith("2 access log entries")
    record(reader, journey, at=old)
    assert tasks.access_log_dispose.apply().get() == 1
    assert not AccessLogEntry.objects.exists()


def test_the_log_outlives_the_people_and_journeys_it_names(reader, journey):
    """A person who read a journey cannot be deleted from under the log; a journey's record
    survives in the entry's own text."""
    from django.db.models import ProtectedError

    record(reader, journey, at=timezone.now())
    with pytest.raises(ProtectedError):
        reader.delete()
    entry = AccessLogEntry.objects.get()
    assert entry.journey_reference == journey.reference
