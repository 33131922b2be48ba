"""Every journey has a named contact: by default the owning unit's first lead, or the first
coordinator when the coordinators own the journey type; coordinators may name another."""

import pytest
from django.utils import timezone

from journeys import services
from journeys.models import JourneyEvent
from journeys.selectors import journey_contact
from tests.factories import make_caseworker, make_coordinator, submitted_journey
from tests.journey_types import journey_type, make_test_units, unit_for
from units.models import StaffProfile

pytestmark = pytest.mark.django_db


def test_a_unit_owned_journey_gets_the_units_first_lead():
    trail = journey_type(owner=unit_for("chain-1"))
    unit = trail.owner_unit
    make_caseworker(unit)  # a caseworker, not a lead
    first = make_caseworker(unit, lead=True)
    make_caseworker(unit, lead=True)
    make_coordinator()
    journey = submitted_journey(trail)
    assert journey.contact == first


def test_a_coordination_owned_journey_gets_the_first_coordinator():
    trail = journey_type()
    make_caseworker(make_test_units(unit_for("parallel-1"))[unit_for("parallel-1")], lead=True)
    coordinator = make_coordinator()
    make_coordinator()
    assert submitted_journey(trail).contact == coordinator


def test_a_unit_without_a_lead_falls_back_to_a_coordinator():
    trail = journey_type(owner=unit_for("parallel-2"))
    coordinator = make_coordinator()
    assert submitted_journey(trail).contact == coordinator


def test_without_anyone_the_applicant_sees_the_portals_shared_contact(settings):
    journey = submitted_journey(journey_type())
    assert journey.contact is None
    card = journey_contact(journey)
    assert not card.named and card.email == settings.PORTAL_CONTACT["email"]


def test_the_card_shows_name_unit_email_and_the_persons_phone():
    trail = journey_type(owner=unit_for("chain-1"))
    lead = make_caseworker(trail.owner_unit, lead=True)
    lead.first_name, lead.last_name = "Lena", "Lind"
    lead.save()
    StaffProfile.objects.create(user=lead, phone="08-123 456 78")
    journey = submitted_journey(trail)
    card = journey_contact(journey)
    assert (card.name, card.unit, card.email, card.phone) == (
        "Lena Lind",
        trail.owner_unit.display_name,
        lead.email,
        "08-123 456 78",
    )


def test_assigning_a_contact_writes_the_journal_once():
    journey = submitted_journey(journey_type())
    coordinator, other = make_coordinator(), make_coordinator()
    now = timezone.now()
    assert services.journey_contact_assign(journey=journey, contact=other, by=coordinator, now=now)
    assert not services.journey_contact_assign(
        journey=journey, contact=other, by=coordinator, now=now
    )
    journey.refresh_from_db()
    assert journey.contact == other
    events = journey.events.filter(kind=JourneyEvent.Kind.CONTACT_ASSIGNED)
    assert [(e.actor, e.message) for e in events] == [(coordinator, other.email)]
