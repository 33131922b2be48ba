"""The applicant withdraws an application: the journey closes as withdrawn, every step not yet
decided is cancelled in its unit through a cancel handoff, the units the case had reached are
told, decided steps keep their decisions, and the applicant gets a confirmation."""

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone, translation

from api.clients import api_client_create
from api.events import cloud_event, in_scope, published_events
from api.models import ApiClient
from journeys import services
from journeys.models import (
    ApplicantMessage,
    Handoff,
    Journey,
    JourneyEvent,
    OutgoingEmail,
    Step,
)
from tests.factories import decide, deliver_all, make_caseworker, send_emails, submitted_journey
from tests.journey_types import journey_type, unit_for
from tests.webhooks.factories import make_subscription
from units.models import Unit
from webhooks.models import Delivery


@pytest.fixture
def trail(db):
    """parallel-1 .. parallel-3 start at once; chain-1 waits for parallel-1."""
    return journey_type(parallel=3, chain=1)


def statuses(journey) -> dict[str, str]:
    return dict(journey.steps.values_list("step_type__key", "status"))


@pytest.fixture
def under_way(trail):
    """parallel-1 waits for the applicant's answer, parallel-2 is approved, parallel-3 is in
    its unit's queue, chain-1 waits for parallel-1; every unit has a member to e-mail."""
    journey = submitted_journey(trail)
    for step in journey.steps.select_related("unit"):
        make_caseworker(step.unit, username=f"member-{step.unit.slug}")
    paused = journey.steps.get(step_type__key="parallel-1")
    worker = make_caseworker(paused.unit)
    services.step_claim(step=paused, by=worker, now=timezone.now())
    services.information_request_create(
        step=paused,
        by=worker,
        items=["Site plan"],
        due_date=timezone.localdate() + dt.timedelta(days=14),
        now=timezone.now(),
        blocks=[],
    )
    decide(journey.steps.get(step_type__key="parallel-2"))
    send_emails()
    mail.outbox.clear()
    journey.refresh_from_db()
    return journey


def test_withdrawing_closes_the_journey_and_cancels_every_open_step_through_its_unit(under_way):
    journey = under_way
    now = timezone.now()
    services.journey_withdraw(
        journey=journey, by=journey.applicant, reason="We found other premises.", now=now
    )
    journey.refresh_from_db()
    assert journey.status == Journey.Status.WITHDRAWN and journey.closed_at == now
    event = journey.events.get(kind=JourneyEvent.Kind.WITHDRAWN)
    assert event.message == "We found other premises." and event.actor == journey.applicant
    assert (event.status_before, event.status_after) == ("waiting_for_applicant", "withdrawn")

    # Nothing is cancelled in a unit until its own worker takes the cancel handoff.
    cancels = Handoff.objects.filter(step__journey=journey, kind=Handoff.Kind.CANCEL)
    assert {h.step.step_type.key for h in cancels} == {"parallel-1", "parallel-3", "chain-1"}
    assert all(h.unit_id == h.step.unit_id for h in cancels)
    assert statuses(journey)["parallel-3"] == "queued"
    deliver_all()
    assert statuses(journey) == {
        "parallel-1": "cancelled",
        "parallel-2": "approved",  # a decision made stands
        "parallel-3": "cancelled",
        "chain-1": "cancelled",
    }
    approved = journey.steps.get(step_type__key="parallel-2")
    assert approved.reasons == "Reasons." and approved.decided_at < now


def test_the_units_the_case_had_reached_are_told_and_the_one_it_never_reached_is_not(under_way):
    journey = under_way
    services.journey_withdraw(journey=journey, by=journey.applicant, reason="", now=timezone.now())
    deliver_all()
    told = OutgoingEmail.objects.filter(journey=journey, kind=OutgoingEmail.Kind.STEP_CANCELLED)
    assert {e.step.step_type.key for e in told} == {"parallel-1", "parallel-3"}
    send_emails()
    cancelled = [m for m in mail.outbox if m.subject == f"Case cancelled: {journey.reference}"]
    members = {address for m in cancelled for address in m.to if address.startswith("member-")}
    assert members == {
        f"member-{unit_for('parallel-1')}@example.org",
        f"member-{unit_for('parallel-3')}@example.org",
    }
    assert all("The applicant withdrew the application" in m.body for m in cancelled)
    assert not any("rejected" in m.body for m in cancelled)


def test_the_applicant_is_sent_a_confirmation_in_their_language(trail):
    with translation.override("sv"):
        journey = submitted_journey(trail)
    decide(journey.steps.get(step_type__key="parallel-2"))
    services.journey_withdraw(
        journey=journey, by=journey.applicant, reason="Ändrade planer.", now=timezone.now()
    )
    message = ApplicantMessage.objects.filter(journey=journey).order_by("-pk").first()
    assert message.subject == f"Du har återkallat din ansökan {journey.reference}"
    assert "Parallellt steg 2: Beviljad" in message.body  # a decision made stands
    assert "Ändrade planer." in message.body
    assert OutgoingEmail.objects.filter(
        message=message, kind=OutgoingEmail.Kind.APPLICANT_MESSAGE
    ).exists()


@pytest.mark.parametrize("how", ["completed", "rejected", "withdrawn", "draft"])
def test_a_journey_that_is_not_open_cannot_be_withdrawn_and_nothing_changes(trail, how):
    journey = submitted_journey(journey_type(parallel=1, chain=0, slug="one-step", prefix="ONE"))
    if how == "completed":
        decide(journey.steps.get())
    elif how == "rejected":
        decide(journey.steps.get(), "reject")
    elif how == "withdrawn":
        services.journey_withdraw(
            journey=journey, by=journey.applicant, reason="", now=timezone.now()
        )
    else:
        journey = services.journey_start(
            journey_type=trail, applicant=journey.applicant, now=timezone.now()
        )
    journey.refresh_from_db()
    before = (journey.status, journey.events.count(), Handoff.objects.count())
    with pytest.raises(services.NotWithdrawable) as refused:
        services.journey_withdraw(
            journey=journey, by=journey.applicant, reason="", now=timezone.now()
        )
    assert refused.value.status == journey.status
    journey.refresh_from_db()
    assert (journey.status, journey.events.count(), Handoff.objects.count()) == before


def test_a_step_whose_activation_is_still_in_the_broker_is_never_put_in_the_queue(trail):
    journey = submitted_journey(trail, deliver=False)
    activations = Handoff.objects.filter(step__journey=journey, kind=Handoff.Kind.ACTIVATE)
    assert activations.count() == 3 and not activations.filter(delivered_at__isnull=False)
    services.journey_withdraw(journey=journey, by=journey.applicant, reason="", now=timezone.now())
    assert activations.filter(superseded_at__isnull=False).count() == 3
    for handoff in activations:  # the old messages arrive after all: they change nothing
        services.handoff_deliver(handoff_id=handoff.pk, now=timezone.now())
    deliver_all()
    assert set(statuses(journey).values()) == {"cancelled"}
    assert not journey.events.filter(kind=JourneyEvent.Kind.STEP_QUEUED).exists()
    assert not OutgoingEmail.objects.filter(journey=journey).exclude(
        kind=OutgoingEmail.Kind.APPLICANT_MESSAGE
    )


def test_an_answer_still_in_the_broker_does_not_hand_the_case_back(under_way):
    journey = under_way
    request = journey.steps.get(step_type__key="parallel-1").information_requests.get()
    services.information_request_answer(
        request=request, by=journey.applicant, answer="Here it is.", now=timezone.now()
    )
    resume = Handoff.objects.get(information_request=request)
    services.journey_withdraw(journey=journey, by=journey.applicant, reason="", now=timezone.now())
    resume.refresh_from_db()
    assert resume.superseded_at is not None
    services.handoff_deliver(handoff_id=resume.pk, now=timezone.now())
    deliver_all()
    assert statuses(journey)["parallel-1"] == "cancelled"
    assert not OutgoingEmail.objects.filter(
        journey=journey, kind=OutgoingEmail.Kind.STEP_RESUMED
    ).exists()


def test_withdrawing_is_published_as_journey_withdrawn_to_the_units_it_reached(under_way):
    journey = under_way
    reached = Unit.objects.get(slug=unit_for("parallel-3"))
    never = Unit.objects.get(slug=unit_for("chain-1"))
    subscriber = make_subscription(
        api_client_create(name="Case system", unit=reached, now=timezone.now())[0],
        event_types=["journey.withdrawn", "step.cancelled"],
    )
    services.journey_withdraw(journey=journey, by=journey.applicant, reason="", now=timezone.now())
    deliver_all()
    event = published_events().get(journey=journey, kind=JourneyEvent.Kind.WITHDRAWN)
    document = cloud_event(event)
    assert document["type"] == "journey.withdrawn"
    assert document["subject"] == f"journeys/{journey.public_id}"
    assert (document["data"]["status_before"], document["data"]["status_after"]) == (
        "waiting_for_applicant",
        "withdrawn",
    )
    assert "message" not in document["data"]  # the reason is read through the API, in scope

    def seen_by(unit):
        client = ApiClient(kind=ApiClient.Kind.UNIT, unit_id=unit.pk)
        return [
            cloud_event(e)["type"]
            for e in in_scope(published_events().filter(journey=journey), client)
            if e.kind in (JourneyEvent.Kind.WITHDRAWN, JourneyEvent.Kind.STEP_CANCELLED)
        ]

    assert seen_by(reached) == ["journey.withdrawn", "step.cancelled"]
    assert seen_by(never) == []
    assert sorted(
        Delivery.objects.filter(subscription=subscriber).values_list("event__kind", flat=True)
    ) == ["step_cancelled", "withdrawn"]


def test_a_cancel_handoff_for_a_step_already_decided_changes_nothing(under_way):
    """A cancel handoff is written for open steps only; if one arrives for a step decided
    meanwhile (it cannot under the journey's lock, but the task must be safe), it is a no-op."""
    journey = under_way
    approved = journey.steps.get(step_type__key="parallel-2")
    handoff = Handoff.objects.create(
        step=approved, unit=approved.unit, kind=Handoff.Kind.CANCEL, created_at=timezone.now()
    )
    services.handoff_deliver(handoff_id=handoff.pk, now=timezone.now())
    approved.refresh_from_db()
    assert approved.status == Step.Status.APPROVED
    assert not approved.events.filter(kind=JourneyEvent.Kind.STEP_CANCELLED).exists()
