"""The events written before JourneyEvent.unit existed get, from the migration that fills it,
the units the portal now writes with each event: through a transfer, a consultation, a
reopening with its recall and review flag, and a send-back."""

import datetime as dt
import importlib

import pytest
from django.apps import apps
from django.db import connection
from django.utils import timezone

from api.events import published_events
from journeys import services
from journeys.models import JourneyEvent
from tests.factories import decide, deliver_all, make_caseworker, submitted_journey
from tests.journey_types import journey_type, make_test_units

backfill = importlib.import_module("journeys.migrations.0018_fill_event_unit")

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="empties the columns past PostgreSQL's trigger"
)


def later(minutes: int) -> dt.datetime:
    return timezone.now() + dt.timedelta(minutes=minutes)


def busy_history() -> None:
    journey = submitted_journey(journey_type(parallel=2, chain=2))
    steps = {s.step_type.key: s for s in journey.steps.select_related("step_type", "unit")}
    first = steps["parallel-1"]
    worker = make_caseworker(first.unit)
    decide(first, by=worker, now=later(1))
    deliver_all(later(2))
    decide(journey.steps.get(pk=steps["chain-1"].pk), now=later(3))
    deliver_all(later(4))
    services.step_reopen(
        step=journey.steps.get(pk=first.pk), by=worker, reason="Recheck.", now=later(5)
    )
    deliver_all(later(6))  # chain-2 recalled, chain-1 flagged for review
    services.step_decide(
        step=journey.steps.get(pk=first.pk),
        by=worker,
        outcome="approve",
        reasons="Ok.",
        now=later(7),
    )
    deliver_all(later(8))
    sending = services.step_claim(
        step=journey.steps.get(pk=steps["chain-2"].pk),
        by=(holder := make_caseworker(steps["chain-2"].unit)),
        now=later(9),
    )
    services.step_send_back(
        step=sending, to=journey.steps.get(pk=first.pk), by=holder, reason="Amend.", now=later(10)
    )
    moved = steps["parallel-2"]
    mover = make_caseworker(moved.unit)
    services.step_claim(step=moved, by=mover, now=later(11))
    consultation = services.consultation_request(
        step=journey.steps.get(pk=moved.pk),
        by=mover,
        unit=first.unit,
        question="Yours?",
        due_date=timezone.localdate() + dt.timedelta(days=5),
        now=later(12),
    )
    services.consultation_answer(consultation=consultation, by=worker, answer="No.", now=later(13))
    services.step_transfer(
        step=journey.steps.get(pk=moved.pk),
        to=make_test_units("office-right")["office-right"],
        by=mover,
        reason="Not ours.",
        now=later(14),
    )
    deliver_all(later(15))
    decide(journey.steps.get(pk=moved.pk), now=later(16))


def units_of(events) -> dict[int, tuple]:
    return {e.pk: (e.unit_id, e.other_unit_id) for e in events}


def test_the_backfill_gives_old_events_the_units_written_now(db):
    busy_history()
    written = units_of(published_events())
    assert set(JourneyEvent.objects.values_list("kind", flat=True)) >= {
        "step_transferred",
        "consultation_requested",
        "consultation_answered",
        "step_recalled",
        "review_flagged",
        "step_sent_back",
    }
    with connection.cursor() as cursor:  # as the events were before the columns existed
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(
            "ALTER TABLE journeys_journeyevent DISABLE TRIGGER journeys_event_append_only"
        )
        cursor.execute("UPDATE journeys_journeyevent SET unit_id = NULL, other_unit_id = NULL")
        cursor.execute(
            "ALTER TABLE journeys_journeyevent ENABLE TRIGGER journeys_event_append_only"
        )

    with connection.schema_editor() as editor:
        backfill.fill(apps, editor)

    assert units_of(published_events()) == written
    # And the log is append-only again.
    with pytest.raises(Exception, match="append-only"), connection.cursor() as cursor:
        cursor.execute("UPDATE journeys_journeyevent SET message = 'changed'")
