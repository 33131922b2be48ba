"""The applicant corrects answers after submitting: an answer changes until a step that needs it
is decided; each open step that needs it gets the old and the new value in its log (seen by its
unit only), a unit holding it is told and a step being worked on is flagged; decided steps are
untouched and nothing is saved when the change is refused."""

import datetime as dt

import pytest
from django.utils import timezone

from api.events import EVENT_TYPES
from journeys import selectors, services
from journeys.disclosure import journey_disclosure
from journeys.models import JourneyEvent, OutgoingEmail, Step
from tests.factories import decide, make_caseworker, submitted_journey
from tests.journey_types import journey_type


@pytest.fixture
def journey(db):
    """parallel-1 and -2 need contact_email (both queued), chain-1 needs site_address
    (waiting for parallel-1); every step needs applicant_name."""
    return submitted_journey(journey_type(parallel=2, chain=1))


def step(journey, key: str) -> Step:
    return journey.steps.select_related("unit").get(step_type__key=key)


def amend(journey, **answers):
    return services.journey_amend(
        journey=journey, by=journey.applicant, answers=answers, now=timezone.now()
    )


def test_a_changed_answer_is_stored_and_logged_for_the_applicant_with_its_label(journey):
    assert amend(journey, contact_email="new@example.org") == ["contact_email"]
    journey.refresh_from_db()
    assert journey.data["contact_email"] == "new@example.org"
    logged = journey.events.get(kind=JourneyEvent.Kind.ANSWERS_AMENDED)
    assert logged.visible_to_applicant and logged.message == "Contact e-mail address"


def test_each_open_step_that_needs_it_gets_the_old_and_new_value_for_its_unit_only(journey):
    amend(journey, contact_email="new@example.org")
    changed = journey.events.filter(kind=JourneyEvent.Kind.ANSWER_CHANGED)
    assert {e.step.step_type.key for e in changed} == {"parallel-1", "parallel-2"}
    for event in changed:
        assert event.message == "Contact e-mail address: ada@example.org → new@example.org"
        assert not event.visible_to_applicant
    # The other unit's caseworker reads the entry's title, not the answers in it.
    reader = make_caseworker(step(journey, "parallel-2").unit)
    shown = selectors.journey_timeline(
        journey, for_applicant=False, disclosure=journey_disclosure(journey, reader)
    )
    by_step = {e.step.step_type.key: e for e in shown if e.kind == JourneyEvent.Kind.ANSWER_CHANGED}
    assert "new@example.org" in by_step["parallel-2"].message
    assert by_step["parallel-1"].message == "" and by_step["parallel-1"].withheld


def test_a_step_being_worked_on_is_flagged_and_each_unit_holding_one_is_emailed(journey):
    first = step(journey, "parallel-1")
    services.step_claim(step=first, by=make_caseworker(first.unit), now=timezone.now())
    amend(journey, contact_email="new@example.org")
    assert step(journey, "parallel-1").answers_changed_at is not None
    assert step(journey, "parallel-2").answers_changed_at is None  # queued: not begun
    emailed = OutgoingEmail.objects.filter(kind=OutgoingEmail.Kind.ANSWERS_CHANGED)
    assert {e.step.step_type.key for e in emailed} == {"parallel-1", "parallel-2"}


def test_a_step_no_unit_has_yet_is_logged_but_nobody_is_emailed(journey):
    amend(journey, site_address="Nygatan 2")
    chained = step(journey, "chain-1")
    assert chained.status == Step.Status.WAITING
    assert chained.events.filter(kind=JourneyEvent.Kind.ANSWER_CHANGED).exists()
    assert not OutgoingEmail.objects.filter(kind=OutgoingEmail.Kind.ANSWERS_CHANGED).exists()


def test_a_unit_working_in_its_own_system_gets_the_event_not_an_email(journey):
    unit = step(journey, "parallel-1").unit
    unit.works_in_own_system = True
    unit.save(update_fields=["works_in_own_system"])
    amend(journey, contact_email="new@example.org")
    emailed = OutgoingEmail.objects.filter(kind=OutgoingEmail.Kind.ANSWERS_CHANGED)
    assert [e.step.step_type.key for e in emailed] == ["parallel-2"]
    assert EVENT_TYPES[JourneyEvent.Kind.ANSWER_CHANGED] == "step.answers_changed"


def test_an_answer_a_decided_step_needs_is_refused_and_nothing_is_saved(journey):
    decided = decide(step(journey, "parallel-1"))
    version = decided.version
    events = journey.events.count()
    with pytest.raises(services.AnswerDecided) as refused:
        amend(journey, site_address="Nygatan 2", contact_email="new@example.org")
    assert refused.value.keys == ["contact_email"]
    journey.refresh_from_db()
    assert journey.data["site_address"] == "Testgatan 1, Teststad"
    assert journey.data["contact_email"] == "ada@example.org"
    assert journey.events.count() == events
    assert Step.objects.get(pk=decided.pk).version == version


def test_a_decided_step_is_untouched_by_a_change_it_does_not_need(journey):
    decided = decide(step(journey, "parallel-2"))
    amend(journey, site_address="Nygatan 2")
    unchanged = Step.objects.get(pk=decided.pk)
    assert unchanged.version == decided.version and unchanged.answers_changed_at is None
    assert not unchanged.events.filter(kind=JourneyEvent.Kind.ANSWER_CHANGED).exists()


def test_which_answers_may_still_change_follows_the_decided_steps(journey):
    assert services.amendable_keys(journey) == {"applicant_name", "contact_email", "site_address"}
    decide(step(journey, "parallel-1"))
    assert services.amendable_keys(journey) == {"site_address"}


def test_a_closed_journey_cannot_be_amended(journey):
    decide(step(journey, "parallel-1"), "reject")  # the journey closes with it
    with pytest.raises(services.JourneyNotOpen):
        amend(journey, site_address="Nygatan 2")


def test_the_same_answer_again_changes_nothing(journey):
    assert amend(journey, contact_email="ada@example.org") == []
    assert not journey.events.filter(kind=JourneyEvent.Kind.ANSWERS_AMENDED).exists()


def test_the_step_whose_request_brought_the_change_is_not_flagged(journey):
    first = step(journey, "parallel-1")
    by = make_caseworker(first.unit)
    first = services.step_claim(step=first, by=by, now=timezone.now())
    request = services.information_request_create(
        step=first,
        by=by,
        items=["Your new e-mail address"],
        due_date=timezone.localdate() + dt.timedelta(days=14),
        now=timezone.now(),
        blocks=[],
    )
    services.information_request_answer(
        request=request,
        by=journey.applicant,
        answer="Here it is",
        amendments={"contact_email": "new@example.org"},
        now=timezone.now(),
    )
    assert step(journey, "parallel-1").answers_changed_at is None
    assert step(journey, "parallel-1").events.filter(kind=JourneyEvent.Kind.ANSWER_CHANGED)
