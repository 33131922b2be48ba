"""A consultation the asking step no longer needs is withdrawn: when the step is decided,
cancelled, recalled to waiting, sent back or transferred, or its journey closes. It leaves the
consulted unit's queue and overdue figures, cannot be answered (the page says so and keeps
what was typed), the consulted unit is e-mailed, and the journey's timeline shows it."""

import datetime as dt

import pytest
from django.core import mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from journeys import services
from journeys.models import Consultation, Handoff, Journey, JourneyEvent, OutgoingEmail, Step
from journeys.services.handoffs import handoffs_create
from tests.factories import (
    decide,
    deliver_all,
    make_caseworker,
    make_coordinator,
    send_emails,
    submitted_journey,
)
from tests.journey_types import journey_type, make_test_units
from units.models import StaffProfile

NOW = timezone.now() - dt.timedelta(days=5)
Because = Consultation.WithdrawnBecause


def later(hours: int) -> dt.datetime:
    return NOW + dt.timedelta(hours=hours)


@pytest.fixture
def journey(db):
    return submitted_journey(journey_type(parallel=2, chain=2, deadline_days=20), now=NOW)


@pytest.fixture
def consulted(db):
    return make_test_units("office-consulted")["office-consulted"]


def step(journey, key) -> Step:
    return journey.steps.select_related("unit", "step_type").get(step_type__key=key)


def ask(s: Step, unit, now: dt.datetime, worker=None) -> tuple[Consultation, object]:
    """The step's caseworker takes it and asks `unit` for its opinion within ten days."""
    worker = worker or make_caseworker(s.unit)
    s = services.step_claim(step=s, by=worker, now=now)
    consultation = services.consultation_request(
        step=s,
        by=worker,
        unit=unit,
        question="Is the ventilation enough?",
        due_date=timezone.localdate(now) + dt.timedelta(days=10),
        now=now,
    )
    return consultation, worker


def withdrawn_events(consultation: Consultation):
    return JourneyEvent.objects.filter(
        step=consultation.step, kind=JourneyEvent.Kind.CONSULTATION_WITHDRAWN
    )


def assert_withdrawn(consultation: Consultation, because: str, when: dt.datetime) -> None:
    consultation.refresh_from_db()
    assert consultation.withdrawn_because == because and consultation.withdrawn_at == when
    assert not consultation.is_open and consultation.answered_at is None
    (event,) = withdrawn_events(consultation)
    assert event.message == consultation.unit.name and event.created_at == when
    (email,) = OutgoingEmail.objects.filter(kind=OutgoingEmail.Kind.CONSULTATION_WITHDRAWN)
    assert email.consultation == consultation and email.queue == consultation.unit.queue_name


# Each caller


def test_deciding_the_step_withdraws_its_open_consultations(journey, consulted):
    consultation, worker = ask(step(journey, "parallel-2"), consulted, later(1))
    services.step_decide(
        step=consultation.step, by=worker, outcome="approve", reasons="Fine.", now=later(2)
    )
    assert_withdrawn(consultation, Because.STEP_DECIDED, later(2))


def test_an_answered_consultation_stays_answered_when_the_step_is_decided(journey, consulted):
    consultation, worker = ask(step(journey, "parallel-2"), consulted, later(1))
    services.consultation_answer(
        consultation=consultation, by=make_caseworker(consulted), answer="Yes.", now=later(2)
    )
    services.step_decide(
        step=consultation.step, by=worker, outcome="approve", reasons="Fine.", now=later(3)
    )
    consultation.refresh_from_db()
    assert consultation.answer == "Yes." and consultation.withdrawn_at is None
    assert not withdrawn_events(consultation).exists()


def test_a_rejection_that_closes_the_journey_withdraws_every_open_consultation(journey, consulted):
    consultation, _ = ask(step(journey, "parallel-2"), consulted, later(1))
    decide(step(journey, "parallel-1"), "reject", now=later(2))
    # At once, before the cancel handoff reaches parallel-2's unit.
    assert step(journey, "parallel-2").status == Step.Status.IN_PROGRESS
    assert_withdrawn(consultation, Because.JOURNEY_CLOSED, later(2))
    deliver_all(later(3))
    assert step(journey, "parallel-2").status == Step.Status.CANCELLED
    assert withdrawn_events(consultation).count() == 1  # the cancel finds it withdrawn


def test_a_cancel_handoff_withdraws_the_cancelled_steps_consultations(journey, consulted):
    consultation, _ = ask(step(journey, "parallel-2"), consulted, later(1))
    with transaction.atomic():  # as a closing journey writes it
        locked = Journey.objects.select_for_update().get(pk=journey.pk)
        handoffs_create(
            journey=locked, steps=[consultation.step], now=later(2), kind=Handoff.Kind.CANCEL
        )
    assert consultation.is_open
    deliver_all(later(3))
    assert step(journey, "parallel-2").status == Step.Status.CANCELLED
    assert_withdrawn(consultation, Because.STEP_CANCELLED, later(3))


def test_a_step_recalled_to_waiting_withdraws_its_consultations(journey, consulted):
    first = decide(step(journey, "parallel-1"), now=later(1))
    deliver_all(later(2))
    consultation, _ = ask(step(journey, "chain-1"), consulted, later(3))
    services.step_reopen(step=first, by=first.assignee, reason="Wrong drawing.", now=later(4))
    assert consultation.is_open  # until the recall reaches chain-1's unit
    deliver_all(later(5))
    assert step(journey, "chain-1").status == Step.Status.WAITING
    assert_withdrawn(consultation, Because.STEP_RECALLED, later(5))


def test_sending_the_step_back_withdraws_its_consultations(journey, consulted):
    decide(step(journey, "parallel-1"), now=later(1))
    deliver_all(later(2))
    consultation, worker = ask(step(journey, "chain-1"), consulted, later(3))
    services.step_send_back(
        step=consultation.step,
        to=step(journey, "parallel-1"),
        by=worker,
        reason="The permit must be amended first.",
        now=later(4),
    )
    assert_withdrawn(consultation, Because.STEP_SENT_BACK, later(4))


def test_transferring_the_step_withdraws_the_consultations_its_old_unit_asked(journey, consulted):
    consultation, worker = ask(step(journey, "parallel-2"), consulted, later(1))
    right = make_test_units("office-right")["office-right"]
    services.step_transfer(
        step=consultation.step, to=right, by=worker, reason="A district matter.", now=later(2)
    )
    assert_withdrawn(consultation, Because.STEP_TRANSFERRED, later(2))


def test_no_consultation_is_left_open_when_the_journey_completes(journey, consulted):
    for key in ("parallel-1", "chain-1", "chain-2"):
        deliver_all(later(1))
        decide(step(journey, key), now=later(1))
    consultation, worker = ask(step(journey, "parallel-2"), consulted, later(2))
    services.step_decide(
        step=consultation.step, by=worker, outcome="approve", reasons="Fine.", now=later(3)
    )
    journey.refresh_from_db()
    assert journey.status == Journey.Status.COMPLETED
    assert not Consultation.objects.open().filter(step__journey=journey).exists()
    assert_withdrawn(consultation, Because.STEP_DECIDED, later(3))


def test_withdrawing_again_changes_nothing(journey, consulted):
    consultation, _ = ask(step(journey, "parallel-2"), consulted, later(1))
    first = services.consultations_withdraw(
        step=consultation.step, because=Because.STEP_CANCELLED, now=later(2)
    )
    again = services.consultations_withdraw(
        journey=journey, because=Because.JOURNEY_CLOSED, now=later(3)
    )
    assert first == [consultation] and again == []
    assert_withdrawn(consultation, Because.STEP_CANCELLED, later(2))
    with pytest.raises(TypeError):
        services.consultations_withdraw(because=Because.JOURNEY_CLOSED, now=later(4))


# What the consulted unit sees


@pytest.fixture
def withdrawn(journey, consulted):
    """parallel-2's consultation, overdue, withdrawn when parallel-2 is decided."""
    now = timezone.now()
    consultation, worker = ask(step(journey, "parallel-2"), consulted, now)
    Consultation.objects.filter(pk=consultation.pk).update(
        due_date=timezone.localdate(now) - dt.timedelta(days=1)
    )
    assert list(Consultation.objects.overdue(now=now)) == [consultation]
    services.step_decide(
        step=consultation.step, by=worker, outcome="approve", reasons="Fine.", now=now
    )
    consultation.refresh_from_db()
    return consultation


def test_a_withdrawn_consultation_leaves_the_queue_and_the_overdue_figures(client, withdrawn):
    assert not Consultation.objects.overdue(now=timezone.now()).exists()
    assert not Consultation.objects.for_unit_open(withdrawn.unit).exists()
    client.force_login(make_caseworker(withdrawn.unit))
    queue = client.get(reverse("casework:queue")).content.decode()
    assert "consultation to answer" not in queue
    assert reverse("casework:consultation", args=[withdrawn.pk]) not in queue
    client.force_login(make_caseworker(withdrawn.unit, lead=True))
    workload = client.get(reverse("casework:workload")).content.decode()
    assert "overdue" not in workload.split("Consultations to answer")[1].split("</div>")[0]
    client.force_login(make_coordinator())
    tab = client.get(reverse("coordination:dashboard"), {"view": "consultations"})
    assert withdrawn.step.journey.reference not in tab.content.decode()


def test_the_page_says_it_was_withdrawn_and_offers_no_answer(client, withdrawn):
    client.force_login(make_caseworker(withdrawn.unit))
    page = client.get(reverse("casework:consultation", args=[withdrawn.pk]))
    text = page.content.decode()
    assert page.status_code == 200
    assert "This consultation was withdrawn on" in text
    assert "The asking unit has decided its step" in text
    assert reverse("casework:consultation_answer", args=[withdrawn.pk]) not in text
    assert "Overdue" not in text


def test_an_answer_sent_after_the_withdrawal_is_refused_and_shown_back(client, withdrawn):
    client.force_login(make_caseworker(withdrawn.unit))
    url = reverse("casework:consultation_answer", args=[withdrawn.pk])
    typed = "The ventilation is enough for\n40 guests."
    response = client.post(url, {"answer": typed})
    text = response.content.decode()
    assert response.status_code == 409
    assert "This consultation was withdrawn on" in text and "Your answer was not sent" in text
    assert "The ventilation is enough for<br>40 guests." in text  # nothing typed is lost
    withdrawn.refresh_from_db()
    assert withdrawn.answer == "" and withdrawn.answered_at is None
    kinds = set(withdrawn.step.journey.events.values_list("kind", flat=True))
    assert JourneyEvent.Kind.CONSULTATION_ANSWERED not in kinds
    with pytest.raises(services.ConsultationWithdrawn):
        services.consultation_answer(
            consultation=withdrawn, by=make_caseworker(withdrawn.unit), answer="x", now=NOW
        )


def test_the_consulted_unit_is_e_mailed_in_its_members_language(withdrawn, settings):
    settings.SITE_URL = "https://portal.example.org"
    member = make_caseworker(withdrawn.unit)
    StaffProfile.objects.create(user=member, language="sv")
    assert send_emails(kind=OutgoingEmail.Kind.CONSULTATION_WITHDRAWN) == 1
    message = mail.outbox[-1]
    assert message.to == [member.email]
    assert message.subject == f"Remiss återkallad: {withdrawn.step.journey.reference}"
    assert "har återkallats" in message.body
    assert "Skäl: Den frågande enheten har fattat beslut i sitt steg" in message.body
    assert "Is the ventilation enough?" in message.body
    url = f"https://portal.example.org/work/consultations/{withdrawn.pk}/"
    assert f"Öppna remissen: {url}" in message.body
    assert send_emails(kind=OutgoingEmail.Kind.CONSULTATION_WITHDRAWN) == 0  # sent once


def test_the_timeline_and_the_asking_case_page_show_the_withdrawal(client, withdrawn):
    journey = withdrawn.step.journey
    client.force_login(withdrawn.step.assignee)
    case = client.get(reverse("casework:case", args=[withdrawn.step.pk])).content.decode()
    assert "Consultation withdrawn" in case  # the journal
    assert "Withdrawn" in case and "The asking unit has decided its step" in case
    client.force_login(journey.applicant)
    track = client.get(reverse("citizens:application_track", args=[journey.public_id]))
    assert "Consultation withdrawn" in track.content.decode()
