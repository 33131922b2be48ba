"""With the clock moved forward, the sweep disposes of exactly what the rules say is due: the
documents (rows and files) and the case's personal data, leaving the journey's skeleton and a
disposal record of each thing; journeys on hold, open journeys and journeys under other
rules keep everything; the dry run lists the same set and changes nothing."""

import datetime as dt
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from journeys.models import (
    ApplicantMessage,
    Consultation,
    ConversationMessage,
    Document,
    InformationRequest,
    Journey,
    JourneyEvent,
    Step,
)
from journeys.retention import DISPOSED
from journeys.services import decision_letter_create, receipt_create
from records import tasks
from records.disposal import disposal_sweep, legal_hold_lift, legal_hold_set
from records.models import DisposalRecord
from tests.factories import make_coordinator
from tests.records.disposal_world import (
    MESSAGE,
    SECRET_ANSWER,
    full_journey,
    kinds,
    trail_with_rules,
)

T0 = timezone.now()
DAY = dt.timedelta(days=1)


def later(years: int = 0, days: int = 1) -> dt.datetime:
    return T0.replace(year=T0.year + years) + days * DAY


@pytest.fixture
def trail(db):
    return trail_with_rules()


@pytest.fixture
def closed(trail):
    return full_journey(trail, now=T0)


@pytest.fixture
def held(trail):
    journey = full_journey(trail, now=T0)
    legal_hold_set(journey=journey, by=make_coordinator(), reason="Appeal", now=T0)
    return journey


@pytest.fixture
def world(closed, held, trail):
    """A closed journey, one on hold, one open, and one of a type whose rules keep all."""
    keep_all = trail_with_rules({"decision": "Kept for ever", "case": "forever"}, slug="archived")
    return {
        "closed": closed,
        "held": held,
        "open": full_journey(trail, now=T0, close=False),
        "other_rules": full_journey(keep_all, now=T0),
    }


def files_of(journey: Journey) -> dict[int, Path]:
    return {d.pk: Path(d.file.path) for d in journey.documents.all()}


def snapshot(journey: Journey) -> dict:
    """Every document's row and file and the case's texts, to compare before and after."""
    return {
        "documents": sorted(journey.documents.values_list("pk", "sha256")),
        "files": {pk: path.read_bytes() for pk, path in files_of(journey).items()},
        "data": Journey.objects.get(pk=journey.pk).data,
        "events": list(journey.events.values_list("kind", "message")),
    }


def sweep(now, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return disposal_sweep(now=now)


def keys(items) -> set:
    return {item.key for item in items}


def record_keys(records) -> set:
    return {(r.journey_id, r.what, r.document_id) for r in records}


def test_each_rule_takes_exactly_its_own_when_it_falls_due(
    world, django_capture_on_commit_callbacks
):
    closed = world["closed"]
    untouched = {name: snapshot(world[name]) for name in ("held", "open", "other_rules")}
    documents = kinds(closed)
    files = files_of(closed)
    assert all(path.exists() for path in files.values())

    # The day it closed: only the photo (at_decision).
    assert [r.kind for r in sweep(T0 + DAY, django_capture_on_commit_callbacks)] == ["site_photo"]
    assert not Document.objects.filter(pk=documents["site_photo"].pk).exists()
    assert not files[documents["site_photo"].pk].exists()
    assert Journey.objects.get(pk=closed.pk).disposed_at is None

    # Nothing more until the unit's documents' year is over.
    assert sweep(later(years=1, days=-1), django_capture_on_commit_callbacks) == []
    assert [r.kind for r in sweep(later(years=1), django_capture_on_commit_callbacks)] == [
        "from_units"
    ]
    assert not files[documents["from_units"].pk].exists()

    # After three years: the receipt, what was sent later, and the case.
    third = sweep(later(years=3), django_capture_on_commit_callbacks)
    assert sorted(r.kind for r in third) == ["case", "receipt", "sent_later"]
    kept = {documents["site_plan"].pk} | set(
        closed.documents.filter(generated_as="decision_letter").values_list("pk", flat=True)
    )
    assert set(closed.documents.values_list("pk", flat=True)) == kept  # for ever
    for pk, path in files.items():
        assert path.exists() == (pk in kept), pk

    # Held, open and other rules: everything as it was, files included.
    for name, before in untouched.items():
        assert snapshot(world[name]) == before, name
    assert sweep(later(years=30), django_capture_on_commit_callbacks) == []


def test_the_case_leaves_a_skeleton_without_personal_data(
    closed, django_capture_on_commit_callbacks
):
    steps = list(closed.steps.values_list("pk", "unit_id", "registration_number", "decided_at"))
    events = list(closed.events.values_list("pk", "kind", "created_at", "actor_id", "step_id"))
    sweep(later(years=3), django_capture_on_commit_callbacks)
    journey = Journey.objects.get(pk=closed.pk)
    # The skeleton: reference, type, dates, steps with units and numbers, the events' kinds.
    assert journey.reference == closed.reference
    assert (journey.journey_type_id, journey.submitted_at, journey.closed_at) == (
        closed.journey_type_id,
        closed.submitted_at,
        closed.closed_at,
    )
    assert journey.disposed_at == later(years=3)
    assert all(number for _pk, _unit, number, _at in steps)
    assert (
        list(journey.steps.values_list("pk", "unit_id", "registration_number", "decided_at"))
        == steps
    )
    after = list(journey.events.values_list("pk", "kind", "created_at", "actor_id", "step_id"))
    assert after[: len(events)] == events
    assert [kind for _pk, kind, *_ in after[len(events) :]] == [JourneyEvent.Kind.DISPOSED]
    # No personal data: every answer and text is the marker.
    assert set(journey.data.values()) == {DISPOSED}
    assert set(journey.events.exclude(message="").values_list("message", flat=True)) == {DISPOSED}
    texts = [
        *InformationRequest.objects.filter(step__journey=journey).values_list("answer", "items"),
        *ConversationMessage.objects.filter(journey=journey).values_list("body", flat=True),
        *Consultation.objects.filter(step__journey=journey).values_list("question", flat=True),
        *ApplicantMessage.objects.filter(journey=journey).values_list("subject", "body"),
        *Step.objects.filter(journey=journey).exclude(reasons="").values_list("reasons", flat=True),
    ]
    assert texts
    flat = str(texts)
    for personal in (SECRET_ANSWER, MESSAGE, "Ada", "bins", "fire exit", "Called"):
        assert personal not in flat
        assert personal not in str(list(journey.events.values_list("message", flat=True)))
    assert DISPOSED in flat


def test_each_thing_disposed_of_leaves_a_record_of_when_and_under_which_rule(
    closed, django_capture_on_commit_callbacks
):
    documents = kinds(closed)
    photo = documents["site_photo"]
    sweep(T0 + DAY, django_capture_on_commit_callbacks)
    record = DisposalRecord.objects.get()
    assert (record.journey_id, record.journey_reference, record.what) == (
        closed.pk,
        closed.reference,
        "document",
    )
    assert (record.kind, record.rule, record.basis) == (
        "site_photo",
        {"keep": "at_decision"},
        "rule",
    )
    assert record.at == T0 + DAY
    assert record.due_at == closed.closed_at
    assert record.disposal_decision == "Test disposal decision 2026:9"
    assert record.journey_type_version == closed.journey_type.version
    assert (record.document_id, record.sha256, record.size, record.received_at) == (
        photo.pk,
        photo.sha256,
        photo.size,
        photo.uploaded_at,
    )
    assert record.registration_number == photo.registration_number
    sweep(later(years=3), django_capture_on_commit_callbacks)
    case = DisposalRecord.objects.get(what="case")
    assert (case.kind, case.rule, case.due_at) == (
        "case",
        {"keep": "years", "years": 3},
        closed.closed_at.replace(year=closed.closed_at.year + 3),
    )
    assert DisposalRecord.objects.filter(journey=closed).count() == 5


def test_the_dry_run_lists_exactly_what_the_sweep_then_disposes_of(
    world, django_capture_on_commit_callbacks
):
    for moment in (T0 + DAY, later(years=1), later(years=3)):
        listed = disposal_sweep(now=moment, dry_run=True)
        assert disposal_sweep(now=moment, dry_run=True) == listed  # it changed nothing
        assert keys(listed) == record_keys(sweep(moment, django_capture_on_commit_callbacks))
        assert listed
        assert disposal_sweep(now=moment, dry_run=True) == []


def test_a_hold_stops_disposal_until_it_is_lifted(held, django_capture_on_commit_callbacks):
    coordinator = make_coordinator()
    sweep(later(years=3), django_capture_on_commit_callbacks)
    assert held.documents.count() == 7 and Journey.objects.get(pk=held.pk).disposed_at is None
    legal_hold_lift(journey=held, by=coordinator, reason="Judgment final", now=later(years=4))
    records = sweep(later(years=4), django_capture_on_commit_callbacks)
    assert {r.journey_id for r in records} == {held.pk}
    assert sorted(r.kind for r in records) == [
        "case",
        "from_units",
        "receipt",
        "sent_later",
        "site_photo",
    ]
    kinds_logged = list(held.events.values_list("kind", flat=True))
    assert kinds_logged[-3:] == ["legal_hold_set", "legal_hold_lifted", "disposed"]


def test_the_command_and_the_beat_task_run_the_sweep(
    closed, django_capture_on_commit_callbacks, settings
):
    # The journey closed eleven years ago, by the clock the command and the task read.
    Journey.objects.filter(pk=closed.pk).update(closed_at=T0 - dt.timedelta(days=4000))
    out = StringIO()
    call_command("disposal_sweep", "--dry-run", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[-1] == "5 due for disposal (dry run: nothing disposed of)"
    assert all(line.startswith(closed.reference) for line in lines[:-1])
    assert any("'photo.png'" in line and "site_photo" in line for line in lines)
    assert DisposalRecord.objects.count() == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.disposal_sweep() == 5
    assert DisposalRecord.objects.count() == 5
    out = StringIO()
    call_command("disposal_sweep", stdout=out)
    assert out.getvalue().splitlines()[-1] == "0 disposed of"
    schedule = settings.CELERY_BEAT_SCHEDULE["disposal-sweep"]
    assert schedule["task"] == tasks.disposal_sweep.name


def test_the_event_log_lets_only_the_disposal_write_only_the_marker(closed):
    event = closed.events.exclude(message="").first()
    attempts = [
        ("UPDATE journeys_journeyevent SET message = %s WHERE id = %s", [DISPOSED, event.pk]),
        ("DELETE FROM journeys_journeyevent WHERE id = %s", [event.pk]),
    ]
    for sql, params in attempts:  # outside the disposal's mark
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, params)
    marked = [
        ("UPDATE journeys_journeyevent SET message = 'rewritten' WHERE id = %s", [event.pk]),
        (
            "UPDATE journeys_journeyevent SET message = %s, kind = 'note' WHERE id = %s",
            [DISPOSED, event.pk],
        ),
        ("DELETE FROM journeys_journeyevent WHERE id = %s", [event.pk]),
    ]
    for sql, params in marked:  # inside it: the marker alone, nothing else
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute("SET LOCAL portal.journey_disposal = 'on'")
            cursor.execute(sql, params)
    event.refresh_from_db()
    assert event.message not in ("", DISPOSED)


def test_disposal_records_cannot_be_changed_or_removed(closed, django_capture_on_commit_callbacks):
    sweep(T0 + DAY, django_capture_on_commit_callbacks)
    record = DisposalRecord.objects.get()
    for sql in (
        "UPDATE records_disposalrecord SET kind = 'other' WHERE id = %s",
        "DELETE FROM records_disposalrecord WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [record.pk])
    with pytest.raises(ValueError, match="append-only"):
        record.save()
    with pytest.raises(ValueError, match="append-only"):
        record.delete()


def test_a_disposed_of_letter_or_receipt_is_never_printed_again(
    closed, django_capture_on_commit_callbacks
):
    sweep(later(years=3), django_capture_on_commit_callbacks)
    assert receipt_create(journey=closed, now=later(years=3)) is None
    step = closed.steps.first()
    assert decision_letter_create(step=step, now=later(years=3)) is not None  # kept for ever
    assert not closed.documents.filter(generated_as="receipt").exists()


def test_a_marked_document_goes_with_its_secrecy_marking(
    closed, django_capture_on_commit_callbacks
):
    from journeys.models import SecrecyGround, SecrecyMarking
    from journeys.services.secrecy import secrecy_mark

    document = kinds(closed)["from_units"]
    step = document.steps.get()
    marking = secrecy_mark(
        step=step,
        by=step.assignee,
        ground=SecrecyGround.objects.offered().first(),
        reason="Ada's health, as the visit found it",
        now=T0,
        document=document,
    )
    answer = secrecy_mark(
        step=step,
        by=step.assignee,
        ground=SecrecyGround.objects.offered().first(),
        reason="Ada's address is protected",
        now=T0,
        field_key="site_address",
    )
    sweep(T0 + DAY, django_capture_on_commit_callbacks)  # the photo
    [record] = sweep(later(years=1), django_capture_on_commit_callbacks)
    assert record.document_id == document.pk
    assert not SecrecyMarking.objects.filter(pk=marking.pk).exists()
    assert closed.events.filter(kind="secrecy_marked").count() == 2  # the log keeps both
    sweep(later(years=3), django_capture_on_commit_callbacks)
    answer.refresh_from_db()
    assert answer.reason == DISPOSED  # the answer's marking stands, its text goes with the case
