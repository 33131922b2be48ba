"""An applicant's request for erasure erases at once what no rule keeps (drafts never sent,
records already due) through the disposal machinery, keeps the rest with its rule and the
date it goes, and is itself recorded; nobody else's data is touched."""

import datetime as dt
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from journeys import services
from journeys.models import Document, Journey
from journeys.retention import DISPOSED
from records.disposal import erasure_preview, erasure_request_make, legal_hold_set
from records.models import DisposalRecord, ErasureRequest
from tests.factories import make_coordinator, make_user
from tests.records.disposal_world import PNG, full_journey, kinds, trail_with_rules

NOW = timezone.now()


@pytest.fixture
def trail(db):
    return trail_with_rules()


@pytest.fixture
def ada(db):
    return make_user("ada")


@pytest.fixture
def draft(trail, ada):
    draft = services.journey_start(journey_type=trail, applicant=ada, now=NOW)
    services.journey_save_answers(journey=draft, answers={"site_address": "Hemligvägen 3"})
    services.journey_file_answer(
        journey=draft,
        key="site_photo",
        upload=SimpleUploadedFile("garden.png", PNG),
        by=ada,
        now=NOW,
    )
    return draft


def test_a_draft_and_what_is_due_go_at_once_the_rest_is_listed_with_its_date(
    trail, ada, draft, django_capture_on_commit_callbacks
):
    closed = full_journey(trail, now=NOW - dt.timedelta(days=400), applicant=ada)
    open_one = full_journey(trail, now=NOW, applicant=ada, close=False)
    photo_file = draft.documents.get().file.path
    closed_kinds = kinds(closed)

    drafts, due, kept = erasure_preview(user=ada, now=NOW)
    assert drafts == [draft]
    # Due already: the closed journey's photo (at_decision) and the units' document (a year).
    assert sorted(item.kind for item in due) == ["from_units", "site_photo"]
    with django_capture_on_commit_callbacks(execute=True):
        request = erasure_request_make(user=ada, now=NOW)

    # The draft: its file and row gone, its answers replaced, and gone from Ada's pages.
    assert not Document.objects.filter(journey=draft).exists()
    assert not Path(photo_file).exists()
    draft.refresh_from_db()
    assert draft.disposed_at == NOW and set(draft.data.values()) == {DISPOSED}
    assert not Journey.objects.acting_for(ada).filter(pk=draft.pk).exists()
    # What was due: gone from the closed journey, under its rule.
    assert not closed.documents.filter(
        pk__in=[closed_kinds["site_photo"].pk, closed_kinds["from_units"].pk]
    ).exists()
    records = DisposalRecord.objects.filter(erasure_request=request)
    assert sorted((r.journey_id, r.kind, r.basis) for r in records) == sorted(
        [
            (draft.pk, "site_photo", "erasure"),
            (draft.pk, "case", "erasure"),
            (closed.pk, "site_photo", "rule"),
            (closed.pk, "from_units", "rule"),
        ]
    )
    assert records.get(journey=draft, kind="case").rule == {}

    # The rest is kept and listed: the closed journey's case and documents with their dates,
    # the open journey's with its rules but no date yet.
    listed = {(row["journey"], row["what"]): row for row in request.kept}
    case = listed[(closed.reference, "case")]
    assert case["rule"] == {"keep": "years", "years": 3}
    assert case["due_at"] == closed.closed_at.replace(year=closed.closed_at.year + 3).isoformat()
    assert listed[(closed.reference, "site_plan")]["rule"] == {"keep": "forever"}
    assert listed[(closed.reference, "site_plan")]["due_at"] is None
    assert listed[(open_one.reference, "case")]["due_at"] is None
    assert listed[(open_one.reference, "site_photo")]["rule"] == {"keep": "at_decision"}
    assert {journey for journey, _what in listed} == {closed.reference, open_one.reference}
    assert Journey.objects.get(pk=closed.pk).disposed_at is None
    assert open_one.documents.count() == 5  # no decision letters yet

    # Asked again: nothing more to erase, and the request is recorded all the same.
    again = erasure_request_make(user=ada, now=NOW + dt.timedelta(minutes=1))
    assert again.disposals.count() == 0
    assert ErasureRequest.objects.filter(user=ada).count() == 2


def test_a_hold_keeps_even_what_is_due_and_says_so(trail, ada):
    closed = full_journey(trail, now=NOW - dt.timedelta(days=400), applicant=ada)
    legal_hold_set(journey=closed, by=make_coordinator(), reason="Appeal", now=NOW)
    _drafts, due, kept = erasure_preview(user=ada, now=NOW)
    assert due == []
    assert all(item.held for item in kept)
    request = erasure_request_make(user=ada, now=NOW)
    assert request.disposals.count() == 0
    assert closed.documents.count() == 7
    assert all(row["held"] for row in request.kept)


def test_nobody_elses_data_is_touched(trail, ada, draft):
    bo = make_user("bo")
    theirs = services.journey_start(journey_type=trail, applicant=bo, now=NOW)
    services.journey_save_answers(journey=theirs, answers={"site_address": "Bos gata 1"})
    closed = full_journey(trail, now=NOW - dt.timedelta(days=400), applicant=bo)
    erasure_request_make(user=ada, now=NOW)
    theirs.refresh_from_db()
    assert theirs.data == {"site_address": "Bos gata 1"} and theirs.disposed_at is None
    assert closed.documents.count() == 7
    assert not DisposalRecord.objects.exclude(journey__applicant=ada).exists()


def test_a_request_cannot_be_changed_or_removed(ada):
    request = erasure_request_make(user=ada, now=NOW)
    for sql in (
        "UPDATE records_erasurerequest SET kept = '[]' WHERE id = %s",
        "DELETE FROM records_erasurerequest WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [request.pk])
