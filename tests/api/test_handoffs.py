"""A step's handoffs: written, published, delivered, tried, and the last error."""

import datetime as dt

from django.utils import timezone

from journeys.models import Handoff
from tests.factories import decide, submitted_journey
from tests.journey_types import journey_type, unit_for
from units.models import Unit


def test_a_unit_sees_the_handoff_that_brought_it_its_step(db, api_caller):
    journey = submitted_journey(journey_type(parallel=1, chain=1))
    decide(journey.steps.get(step_type__key="parallel-1"))
    successor = journey.steps.get(step_type__key="chain-1")
    Handoff.objects.filter(step=successor).update(
        delivered_at=None,
        attempts=2,
        last_error="ConnectionError('broker')",
        created_at=timezone.now() - dt.timedelta(hours=1),
    )
    successor.status = "queued"
    successor.save(update_fields=["status"])
    caller = api_caller(Unit.objects.get(slug=unit_for("chain-1")))
    response = caller.get(f"/api/v1/steps/{successor.pk}/handoffs/")
    assert response.status_code == 200, response.content
    [handoff] = response.json()["results"]
    assert handoff["kind"] == "activate"
    assert handoff["unit"] == unit_for("chain-1")
    assert handoff["state"] == "overdue"
    assert handoff["attempts"] == 2
    assert handoff["last_error"] == "ConnectionError('broker')"


def test_a_delivered_handoff_says_so(two_units):
    response = two_units.caller.get(f"/api/v1/steps/{two_units.own.pk}/handoffs/")
    [handoff] = response.json()["results"]
    assert handoff["state"] == "delivered"
    assert handoff["delivered_at"]


def test_another_units_steps_handoffs_are_not_found(two_units):
    response = two_units.caller.get(f"/api/v1/steps/{two_units.other.pk}/handoffs/")
    assert response.status_code == 404
