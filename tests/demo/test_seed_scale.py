"""seed_scale writes what the services would have written, in every state, and guards real data."""

import pytest
from django.core.management import CommandError, call_command
from django.db.models import F

from journeys.models import Handoff, Journey, JourneyEvent, Step
from tests.factories import submitted_journey

pytestmark = pytest.mark.django_db(transaction=True)


def test_generated_journeys_are_consistent_and_in_every_state(catalogue, capsys):
    call_command("seed_scale", "--journeys", "600", "--batch", "250")
    out = capsys.readouterr().out
    assert "600 journeys generated: " in out and " rows/s)." in out
    assert Journey.objects.count() == 600
    states = set(Journey.objects.values_list("status", flat=True))
    assert {"draft", "in_progress", "waiting_for_applicant", "completed", "rejected"} <= states
    assert set(Journey.objects.values_list("journey_type__slug", flat=True)) == {
        "open-a-cafe",
        "extend-a-house",
    }
    activated = Step.objects.filter(activated_at__isnull=False)
    assert Handoff.objects.filter(kind="activate").count() == activated.count()
    queued_events = JourneyEvent.objects.filter(kind=JourneyEvent.Kind.STEP_QUEUED)
    assert queued_events.count() == activated.count()
    # Each step's events from its arrival are in its unit's scope, as the services write them.
    step_events = JourneyEvent.objects.filter(step__isnull=False).exclude(kind="handoff_sent")
    assert not step_events.exclude(unit=F("step__unit")).exists()
    assert not JourneyEvent.objects.filter(step__isnull=True, unit__isnull=False).exists()
    # Each waiting-for-applicant journey has a step waiting for the applicant.
    for journey in Journey.objects.filter(status="waiting_for_applicant"):
        assert journey.steps.filter(status="waiting_for_applicant").exists()
    # A step only starts once everything it depends on is approved.
    for step in activated.select_related("step_type").prefetch_related("step_type__depends_on")[
        :200
    ]:
        for dep in step.step_type.depends_on.all():
            before = Step.objects.get(journey_id=step.journey_id, step_type=dep)
            assert before.status == "approved" and before.decided_at <= step.activated_at
    # Ids continue after the generated rows.
    assert submitted_journey(catalogue["open-a-cafe"]).pk > 600


def test_seed_scale_refuses_a_database_with_real_journeys_unless_forced(catalogue):
    submitted_journey(catalogue["open-a-cafe"])
    with pytest.raises(CommandError, match="refusing"):
        call_command("seed_scale", "--journeys", "10")
    call_command("seed_scale", "--journeys", "10", "--force", "--reset")
    assert Journey.objects.count() == 10
    call_command("seed_scale", "--journeys", "5", "--reset")
    assert Journey.objects.count() == 5
