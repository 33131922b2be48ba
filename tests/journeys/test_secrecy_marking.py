"""A unit marks a document or an answer as subject to secrecy under a ground kept as data, and
removes the marking; both are in the journey's log, seen by that unit alone. While it stands,
the item is withheld from everyone but the marking unit and the applicant's side."""

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from journeys import services
from journeys.disclosure import (
    consultation_disclosure,
    disclosed_answers,
    disclosed_documents,
    journey_disclosure,
)
from journeys.models import JourneyEvent, SecrecyGround, SecrecyMarking
from tests.api.conftest import add_document
from tests.factories import (
    make_caseworker,
    make_coordinator,
    mark_secret,
    submitted_journey,
)
from tests.journey_types import TRAIL_ANSWERS, journey_type

# The grounds seeded by journeys/migrations/0027_secrecy_grounds.py: real provisions of the
# Public Access to Information and Secrecy Act (2009:400).
SEEDED = {
    (18, 8),
    (21, 1),
    (21, 3),
    (21, 7),
    (26, 1),
    (27, 1),
    (30, 23),
    (31, 16),
}


@pytest.fixture
def journey(db):
    return submitted_journey(journey_type(parallel=2, chain=0))


@pytest.fixture
def own(journey):
    return journey.steps.get(step_type__key="parallel-1")


@pytest.fixture
def other(journey):
    return journey.steps.get(step_type__key="parallel-2")


def test_the_grounds_are_seeded_as_data_with_both_titles(db):
    grounds = list(SecrecyGround.objects.offered())
    assert {(g.chapter, g.section) for g in grounds} == SEEDED
    assert all(g.title and g.title_sv for g in grounds)
    health = SecrecyGround.objects.get(chapter=21, section=1)
    assert health.label == "OSL 21:1"
    assert health.citation == "Offentlighets- och sekretesslagen (2009:400) 21 kap. 1 §"


def test_a_ground_with_a_lettered_section_is_cited_with_its_letter(db):
    ground = SecrecyGround.objects.create(chapter=10, section=3, section_letter="a", title="X")
    assert ground.label == "OSL 10:3 a"
    assert ground.citation.endswith("10 kap. 3 a §")


def test_an_inactive_ground_is_no_longer_offered(db):
    SecrecyGround.objects.filter(chapter=26).update(active=False)
    assert not SecrecyGround.objects.offered().filter(chapter=26).exists()


def test_marking_an_answer_records_it_and_a_journal_event_for_the_unit_only(journey, own):
    caseworker = make_caseworker(own.unit)
    marking = mark_secret(own, by=caseworker, field_key="contact_email", ground=(21, 3))
    assert (marking.unit_id, marking.step_id, marking.field_key, marking.document) == (
        own.unit_id,
        own.pk,
        "contact_email",
        None,
    )
    assert marking.is_active and marking.marked_by == caseworker
    event = journey.events.get(kind=JourneyEvent.Kind.SECRECY_MARKED)
    assert (event.step_id, event.unit_id, event.actor, event.visible_to_applicant) == (
        own.pk,
        own.unit_id,
        caseworker,
        False,
    )
    assert "OSL 21:3" in event.message and "ada@example.org" not in event.message
    # Its message is the unit's: another unit's journal shows the event without it.
    assert journey_disclosure(journey, caseworker).shows_event(event)
    assert not journey_disclosure(journey, make_caseworker(journey.steps.last().unit)).shows_event(
        event
    )


def test_a_marked_answer_is_withheld_from_other_units_and_coordinators(journey, own, other):
    mark_secret(own, field_key="contact_email")
    seen_by = {
        "own unit": journey_disclosure(journey, make_caseworker(own.unit)),
        "other unit": journey_disclosure(journey, make_caseworker(other.unit)),
        "coordinator": journey_disclosure(journey, make_coordinator()),
        "applicant": journey_disclosure(journey, journey.applicant),
    }
    values = {
        who: {a["key"]: a["value"] for a in disclosed_answers(journey, d)}
        for who, d in seen_by.items()
    }
    assert values["own unit"]["contact_email"] == TRAIL_ANSWERS["contact_email"]
    assert "contact_email" not in values["other unit"]
    assert "contact_email" not in values["coordinator"]
    # Secrecy for the applicant's protection does not apply against the applicant (OSL 12:1).
    assert values["applicant"]["contact_email"] == TRAIL_ANSWERS["contact_email"]
    # The other unit keeps what is not marked.
    assert values["other unit"]["applicant_name"] == TRAIL_ANSWERS["applicant_name"]
    # The own unit's answer carries its marking (the tag), nobody else's.
    own_answers = {a["key"]: a for a in disclosed_answers(journey, seen_by["own unit"])}
    assert own_answers["contact_email"]["secret"].ground.label == "OSL 21:1"
    assert own_answers["applicant_name"]["secret"] is None


def test_a_marked_document_is_withheld_from_another_unit_it_is_attached_to(journey, own, other):
    shared = add_document(journey, own, "medical-certificate.pdf")
    shared.steps.add(other)
    own_reader, other_reader = make_caseworker(own.unit), make_caseworker(other.unit)
    assert shared in disclosed_documents(journey, journey_disclosure(journey, other_reader))
    mark_secret(own, document=shared)
    assert shared not in disclosed_documents(journey, journey_disclosure(journey, other_reader))
    assert shared in disclosed_documents(journey, journey_disclosure(journey, own_reader))
    assert shared in disclosed_documents(journey, journey_disclosure(journey, journey.applicant))
    # The event that named it on its arrival loses its message for the other unit.
    added = journey.events.get(kind=JourneyEvent.Kind.DOCUMENT_ADDED, message__contains="medical")
    assert not journey_disclosure(journey, other_reader).shows_event(added)


def test_a_marked_document_withholds_the_file_answer_it_gives(db):
    from django.core.files.uploadedfile import SimpleUploadedFile

    trail = journey_type(parallel=2, chain=0, files=True)
    journey = submitted_journey(
        trail,
        files={"site_plan": SimpleUploadedFile("plan-of-the-shelter.pdf", b"%PDF-1.7\n%%EOF\n")},
    )
    own = journey.steps.get(step_type__key="parallel-1")
    document = journey.documents.get(field_key="site_plan")
    coordinator = make_coordinator()
    mark_secret(own, document=document, ground=(18, 8))
    disclosure = journey_disclosure(journey, coordinator)
    assert "site_plan" in disclosure.withheld_fields
    assert "site_plan" not in {a["key"] for a in disclosed_answers(journey, disclosure)}


def test_a_consulted_unit_does_not_see_the_asking_units_marked_answer(journey, own, other):
    caseworker = make_caseworker(own.unit)
    claimed = services.step_claim(step=own, by=caseworker, now=timezone.now())
    consultation = services.consultation_request(
        step=claimed,
        by=caseworker,
        unit=other.unit,
        question="Anything against?",
        due_date=timezone.localdate() + timezone.timedelta(days=5),
        now=timezone.now(),
    )
    assert "contact_email" in consultation_disclosure(consultation).fields
    mark_secret(own, by=caseworker, field_key="contact_email")
    assert "contact_email" not in consultation_disclosure(consultation).fields


def test_an_item_is_marked_once_until_the_marking_is_removed(journey, own):
    mark_secret(own, field_key="contact_email")
    with pytest.raises(services.AlreadyMarked):
        mark_secret(own, field_key="contact_email", ground=(21, 3))
    # The database holds it too, whatever a caller checks.
    with pytest.raises(IntegrityError), transaction.atomic():
        SecrecyMarking.objects.create(
            journey=journey,
            step=own,
            unit=own.unit,
            field_key="contact_email",
            ground=SecrecyGround.objects.first(),
            reason="Again.",
            marked_by=journey.applicant,
            marked_at=timezone.now(),
        )


def test_only_the_journeys_own_documents_and_markable_answers_can_be_marked(journey, own):
    elsewhere = submitted_journey(journey_type(parallel=2, chain=0))
    foreign = add_document(elsewhere, elsewhere.steps.first())
    with pytest.raises(services.NotMarkable):
        mark_secret(own, document=foreign)
    with pytest.raises(services.NotMarkable):
        mark_secret(own, field_key="no_such_question")
    with pytest.raises(ValueError):
        mark_secret(own)
    assert not SecrecyMarking.objects.exists()


def test_removing_a_marking_shows_the_item_again_and_is_journaled(journey, own, other):
    marking = mark_secret(own, field_key="contact_email")
    lead = make_caseworker(own.unit, lead=True)
    assert services.secrecy_unmark(
        marking=marking, by=lead, reason="The address is public again.", now=timezone.now()
    )
    marking.refresh_from_db()
    assert not marking.is_active
    assert (marking.removed_by, marking.removal_reason) == (lead, "The address is public again.")
    event = journey.events.get(kind=JourneyEvent.Kind.SECRECY_REMOVED)
    assert (event.step_id, event.actor, event.visible_to_applicant) == (own.pk, lead, False)
    assert "contact_email" in journey_disclosure(journey, make_caseworker(other.unit)).fields
    # Removing it again changes nothing and writes nothing.
    assert not services.secrecy_unmark(marking=marking, by=lead, reason="x", now=timezone.now())
    assert journey.events.filter(kind=JourneyEvent.Kind.SECRECY_REMOVED).count() == 1
    # And the item can be marked anew.
    mark_secret(own, field_key="contact_email")


def test_a_marking_does_not_restart_the_stalled_clock(journey, own):
    before = journey.last_event_at
    mark_secret(own, field_key="contact_email", now=before + timezone.timedelta(days=3))
    journey.refresh_from_db()
    assert journey.last_event_at == before


def test_a_marking_is_not_published_to_any_system(journey, own):
    from api.events import EVENT_TYPES

    assert JourneyEvent.Kind.SECRECY_MARKED not in EVENT_TYPES
    assert JourneyEvent.Kind.SECRECY_REMOVED not in EVENT_TYPES


def test_a_transferred_case_takes_its_markings_to_the_receiving_unit(journey, own, other):
    """A case that reached the wrong unit goes on elsewhere with its marked items: the
    receiving unit holds the markings (to keep or remove); the sender no longer reads the case."""
    caseworker = make_caseworker(own.unit)
    marking = mark_secret(own, by=caseworker, field_key="contact_email")
    services.step_transfer(
        step=own, to=other.unit, by=caseworker, reason="Theirs.", now=timezone.now()
    )
    marking.refresh_from_db()
    assert marking.unit_id == other.unit_id and marking.is_active
