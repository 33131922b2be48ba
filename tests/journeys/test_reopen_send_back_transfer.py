"""A unit reopens its own decision, sends a step back to an earlier step's unit, or transfers a
step that reached the wrong unit; every change reaches other units through the handoff outbox,
and a handoff made moot never acts when it arrives."""

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from journeys import services
from journeys.models import ApplicantMessage, Handoff, Journey, JourneyEvent, OutgoingEmail, Step
from tests.factories import decide, deliver_all, make_caseworker, send_emails, submitted_journey
from tests.journey_types import journey_type, make_test_units
from units.models import StaffProfile

NOW = timezone.now() - dt.timedelta(days=5)


def later(hours: int) -> dt.datetime:
    return NOW + dt.timedelta(hours=hours)


@pytest.fixture
def journey(db):
    return submitted_journey(journey_type(parallel=2, chain=2, deadline_days=20), now=NOW)


def step(journey, key) -> Step:
    return journey.steps.select_related("unit", "step_type").get(step_type__key=key)


def approve(journey, key, now):
    worker = make_caseworker(step(journey, key).unit)
    return decide(step(journey, key), by=worker, now=now), worker


def queued_events(s: Step) -> int:
    return JourneyEvent.objects.filter(step=s, kind=JourneyEvent.Kind.STEP_QUEUED).count()


# Reopen


def test_reopening_cancels_a_queued_handoff_to_the_successor(journey):
    first, worker = approve(journey, "parallel-1", later(1))
    pending = Handoff.objects.get(step=step(journey, "chain-1"), kind=Handoff.Kind.ACTIVATE)
    assert pending.delivered_at is None  # still in the broker

    services.step_reopen(step=first, by=worker, reason="Wrong drawing.", now=later(2))
    deliver_all(later(3))  # the handoff arrives after all: it must not activate the step

    pending.refresh_from_db()
    assert pending.superseded_at == later(2) and pending.delivered_at is None
    assert step(journey, "chain-1").status == Step.Status.WAITING
    assert queued_events(step(journey, "chain-1")) == 0
    assert step(journey, "parallel-1").status == Step.Status.IN_PROGRESS
    # Delivering the superseded row again (a duplicate message) is still a no-op.
    services.handoff_deliver(handoff_id=pending.pk, now=later(4))
    assert step(journey, "chain-1").status == Step.Status.WAITING

    # Decided again: the successor is handed on anew, exactly once.
    services.step_decide(
        step=step(journey, "parallel-1"),
        by=worker,
        outcome="approve",
        reasons="Corrected.",
        now=later(5),
    )
    deliver_all(later(6))
    deliver_all(later(7))
    assert step(journey, "chain-1").status == Step.Status.QUEUED
    assert queued_events(step(journey, "chain-1")) == 1
    rows = Handoff.objects.filter(step=step(journey, "chain-1"), kind=Handoff.Kind.ACTIVATE)
    assert rows.count() == 2 and rows.filter(superseded_at__isnull=True).count() == 1


def test_reopening_recalls_an_active_successor_through_its_units_queue(journey):
    first, worker = approve(journey, "parallel-1", later(1))
    deliver_all(later(2))
    successor = step(journey, "chain-1")
    successor_worker = make_caseworker(successor.unit)
    successor = services.step_claim(step=successor, by=successor_worker, now=later(3))

    services.step_reopen(step=first, by=worker, reason="Wrong drawing.", now=later(4))

    recall = Handoff.objects.get(step=successor, kind=Handoff.Kind.RECALL)
    assert recall.unit == successor.unit
    # Until the recall arrives the successor's unit cannot decide it.
    with pytest.raises(services.StepChanged):
        services.step_decide(
            step=successor, by=successor_worker, outcome="approve", reasons="Ok.", now=later(5)
        )
    deliver_all(later(6))
    successor = step(journey, "chain-1")
    assert successor.status == Step.Status.WAITING
    assert successor.assignee is None and successor.due_at is None
    assert JourneyEvent.objects.filter(step=successor, kind="step_recalled").count() == 1
    message = ApplicantMessage.objects.filter(journey=journey).first()
    assert "Reopened" in message.subject and "Wrong drawing." in message.body


def test_a_recall_that_arrives_after_the_new_decision_hands_the_step_on_again(journey):
    first, worker = approve(journey, "parallel-1", later(1))
    deliver_all(later(2))
    services.step_reopen(step=first, by=worker, reason="Recheck.", now=later(3))
    services.step_decide(
        step=step(journey, "parallel-1"), by=worker, outcome="approve", reasons="Ok.", now=later(4)
    )
    deliver_all(later(5))  # the recall first, then the activation it makes
    deliver_all(later(6))
    successor = step(journey, "chain-1")
    assert successor.status == Step.Status.QUEUED
    assert queued_events(successor) == 2  # the first activation and the one after the recall


def test_decided_successors_are_flagged_for_review(journey):
    first, worker = approve(journey, "parallel-1", later(1))
    deliver_all(later(2))
    approve(journey, "chain-1", later(3))
    deliver_all(later(4))
    services.step_reopen(step=first, by=worker, reason="Changed premises.", now=later(5))
    deliver_all(later(6))

    decided = step(journey, "chain-1")
    assert decided.status == Step.Status.APPROVED
    assert decided.review_reason == "Changed premises." and decided.review_flagged_at
    assert step(journey, "chain-2").status == Step.Status.WAITING  # recalled
    assert JourneyEvent.objects.filter(step=decided, kind="review_flagged").exists()


def test_a_completed_journey_cannot_be_reopened(journey):
    for key in ("parallel-1", "parallel-2", "chain-1", "chain-2"):
        approve(journey, key, later(1))
        deliver_all(later(1))
    journey.refresh_from_db()
    assert journey.status == Journey.Status.COMPLETED
    with pytest.raises(services.StepChanged):
        services.step_reopen(
            step=step(journey, "parallel-1"), by=make_user_in(journey), reason="x", now=later(2)
        )


def make_user_in(journey):
    return make_caseworker(step(journey, "parallel-1").unit)


# Send back


def test_sending_back_reopens_the_earlier_step_in_its_units_queue(journey):
    approve(journey, "parallel-1", later(1))
    deliver_all(later(2))
    successor = step(journey, "chain-1")
    worker = make_caseworker(successor.unit)
    successor = services.step_claim(step=successor, by=worker, now=later(3))
    earlier = step(journey, "parallel-1")
    assert services.send_back_targets(successor) == [earlier]

    services.step_send_back(
        step=successor,
        to=earlier,
        by=worker,
        reason="The building permit must be amended first.",
        now=later(4),
    )

    earlier = step(journey, "parallel-1")
    assert earlier.status == Step.Status.QUEUED and earlier.assignee is None
    assert earlier.due_at == earlier.unit.due_at(later(4), 20, working_days=False)
    assert earlier.decided_at is None
    assert step(journey, "chain-1").status == Step.Status.WAITING
    sent = JourneyEvent.objects.get(step=earlier, kind=JourneyEvent.Kind.STEP_SENT_BACK)
    assert sent.message == "The building permit must be amended first."
    assert "Sent back" in ApplicantMessage.objects.filter(journey=journey).first().subject
    # The earlier unit decides again: the sending step is handed back exactly once more.
    approve(journey, "parallel-1", later(5))
    deliver_all(later(6))
    deliver_all(later(7))
    assert step(journey, "chain-1").status == Step.Status.QUEUED
    assert queued_events(step(journey, "chain-1")) == 2


def test_a_step_is_sent_back_only_to_an_approved_earlier_step(journey):
    approve(journey, "parallel-1", later(1))
    deliver_all(later(2))
    successor = step(journey, "chain-1")
    worker = make_caseworker(successor.unit)
    successor = services.step_claim(step=successor, by=worker, now=later(3))
    with pytest.raises(services.NotAnEarlierStep):
        services.step_send_back(
            step=successor, to=step(journey, "parallel-2"), by=worker, reason="x", now=later(4)
        )
    assert step(journey, "parallel-1").status == Step.Status.APPROVED


def test_only_the_caseworker_holding_a_case_sends_it_back(journey):
    approve(journey, "parallel-1", later(1))
    deliver_all(later(2))
    successor = step(journey, "chain-1")
    holder = make_caseworker(successor.unit, username="holder")
    colleague = make_caseworker(successor.unit, username="colleague")
    successor = services.step_claim(step=successor, by=holder, now=later(3))
    with pytest.raises(services.NotAssignee):
        services.step_send_back(
            step=successor, to=step(journey, "parallel-1"), by=colleague, reason="x", now=later(4)
        )
    assert step(journey, "parallel-1").status == Step.Status.APPROVED
    assert step(journey, "chain-1").status == Step.Status.IN_PROGRESS


# Transfer


def test_a_transfer_reaches_the_receiving_unit_through_a_handoff_and_keeps_both_units(journey):
    wrong = step(journey, "parallel-2")
    due = wrong.due_at
    right = make_test_units("office-right")["office-right"]
    worker = make_caseworker(wrong.unit)
    services.step_transfer(
        step=wrong, to=right, by=worker, reason="Not ours: a district matter.", now=later(1)
    )
    moved = step(journey, "parallel-2")
    assert moved.status == Step.Status.WAITING and moved.unit == right
    handoff = Handoff.objects.get(step=moved, kind=Handoff.Kind.ACTIVATE, superseded_at=None)
    assert handoff.unit == right
    assert Step.objects.visible_to(worker).filter(pk=moved.pk).count() == 0

    deliver_all(later(2))
    deliver_all(later(3))
    moved = step(journey, "parallel-2")
    assert moved.status == Step.Status.QUEUED and moved.due_at == due
    event = JourneyEvent.objects.get(step=moved, kind=JourneyEvent.Kind.STEP_TRANSFERRED)
    assert wrong.unit.display_name in event.message and right.display_name in event.message
    assert queued_events(moved) == 2  # received by each unit once
    receiver = make_caseworker(right)
    assert Step.objects.visible_to(receiver).filter(pk=moved.pk).exists()


def test_a_step_is_not_transferred_to_its_own_unit(journey):
    s = step(journey, "parallel-2")
    with pytest.raises(services.StepChanged):
        services.step_transfer(
            step=s, to=s.unit, by=make_caseworker(s.unit), reason="x", now=later(1)
        )


def test_a_case_someone_holds_is_transferred_only_by_them(journey):
    held = step(journey, "parallel-2")
    holder = make_caseworker(held.unit, username="holder")
    held = services.step_claim(step=held, by=holder, now=later(1))
    right = make_test_units("office-right")["office-right"]
    with pytest.raises(services.NotAssignee):
        services.step_transfer(
            step=held,
            to=right,
            by=make_caseworker(held.unit, username="colleague"),
            reason="x",
            now=later(2),
        )
    assert step(journey, "parallel-2").unit_id == held.unit_id


# A new round starts clean: a fresh due date, and the earlier round's warnings gone, so the
# delay notice and the overdue flag fire again for it.

WARNED = {
    "overdue_flagged_at": NOW,
    "delay_reason": "Short-staffed in the summer.",
    "delay_notified_at": NOW,
    "review_reason": "An earlier step was reopened.",
    "review_flagged_at": NOW,
    "answers_changed_at": NOW,
}


def warn(s: Step) -> None:
    """The warnings a long first round leaves behind."""
    Step.objects.filter(pk=s.pk).update(**WARNED)


def assert_clean(s: Step) -> None:
    s.refresh_from_db()
    assert {field: getattr(s, field) for field in WARNED} == Step.WARNINGS_CLEARED


def delay_notices(s: Step) -> int:
    return JourneyEvent.objects.filter(step=s, kind=JourneyEvent.Kind.DELAY_NOTICE).count()


@pytest.fixture
def working_days_journey(db):
    kind = journey_type(
        parallel=2, chain=2, deadline_days=20, working_days=True, slug="work-trail", prefix="WORK"
    )
    return submitted_journey(kind, now=NOW)


def test_a_reopened_step_is_due_afresh_in_working_days_and_its_warnings_fire_again(
    working_days_journey,
):
    journey = working_days_journey
    first, worker = approve(journey, "parallel-1", later(1))
    first_due = step(journey, "parallel-1").due_at
    warn(first)

    services.step_reopen(step=first, by=worker, reason="Wrong drawing.", now=later(30))

    reopened = step(journey, "parallel-1")
    assert reopened.due_at == reopened.unit.due_at(later(30), 20, working_days=True)
    assert reopened.due_at > first_due  # from the reopening, not from the first arrival
    assert_clean(reopened)
    # The sweeps treat it as the new round it is.
    services.delay_notices_sweep(now=reopened.due_at - dt.timedelta(days=1))
    assert delay_notices(reopened) == 1
    services.stuck_sweep(now=reopened.due_at + dt.timedelta(hours=1))
    reopened.refresh_from_db()
    assert reopened.overdue_flagged_at == reopened.due_at + dt.timedelta(hours=1)


def test_a_send_back_leaves_both_steps_clean(journey):
    approve(journey, "parallel-1", later(1))
    deliver_all(later(2))
    successor = step(journey, "chain-1")
    worker = make_caseworker(successor.unit)
    successor = services.step_claim(step=successor, by=worker, now=later(3))
    earlier = step(journey, "parallel-1")
    warn(earlier)
    warn(successor)

    services.step_send_back(
        step=step(journey, "chain-1"), to=earlier, by=worker, reason="Amend.", now=later(4)
    )

    assert_clean(step(journey, "parallel-1"))
    assert_clean(step(journey, "chain-1"))
    assert step(journey, "parallel-1").due_at == earlier.unit.due_at(
        later(4), 20, working_days=False
    )


def test_a_recalled_step_is_clean_and_due_afresh_when_it_comes_back(journey):
    first, worker = approve(journey, "parallel-1", later(1))
    deliver_all(later(2))
    successor = step(journey, "chain-1")
    services.step_claim(step=successor, by=make_caseworker(successor.unit), now=later(3))
    warn(successor)

    services.step_reopen(step=first, by=worker, reason="Recheck.", now=later(4))
    deliver_all(later(5))
    assert_clean(step(journey, "chain-1"))

    services.step_decide(
        step=step(journey, "parallel-1"),
        by=worker,
        outcome="approve",
        reasons="Ok.",
        now=later(100),
    )
    deliver_all(later(101))
    back = step(journey, "chain-1")
    assert back.status == Step.Status.QUEUED
    assert back.due_at == back.unit.due_at(later(101), 20, working_days=False)
    services.delay_notices_sweep(now=back.due_at - dt.timedelta(days=1))
    assert delay_notices(back) == 1  # told again, for this round


# The recalled step's unit is told


def test_a_recalled_steps_unit_is_told_by_e_mail_in_each_members_language(journey, settings):
    settings.SITE_URL = "https://portal.example.org"
    first, worker = approve(journey, "parallel-1", later(1))
    deliver_all(later(2))  # chain-1 is in its unit's queue
    successor = step(journey, "chain-1")
    make_caseworker(successor.unit, username="planner")
    swede = make_caseworker(successor.unit, username="handlaggare")
    StaffProfile.objects.create(user=swede, language="sv")

    services.step_reopen(step=first, by=worker, reason="Wrong drawing.", now=later(3))
    assert not OutgoingEmail.objects.filter(kind=OutgoingEmail.Kind.STEP_RECALLED).exists()
    deliver_all(later(4))  # the recall arrives in chain-1's unit

    notice = OutgoingEmail.objects.get(kind=OutgoingEmail.Kind.STEP_RECALLED)
    assert notice.step == successor and notice.queue == successor.unit.queue_name
    mail.outbox.clear()
    assert send_emails(step=successor, kind=OutgoingEmail.Kind.STEP_RECALLED) == 1
    by_to = {tuple(m.to): m for m in mail.outbox}
    english, swedish = by_to[("planner@example.org",)], by_to[("handlaggare@example.org",)]
    assert english.subject == f"Case back to waiting: {journey.reference}"
    assert "has left your queue and waits for that step again" in english.body
    assert swedish.subject == f"Ärendet väntar igen: {journey.reference}"
    assert "Ärendet har därför lämnat er kö" in swedish.body
    # It is no longer theirs to open: no link to a page they cannot see.
    assert "/work/steps/" not in english.body and "/work/steps/" not in swedish.body


def test_a_successor_still_waiting_is_not_recalled_nor_its_unit_e_mailed(journey):
    first, worker = approve(journey, "parallel-1", later(1))  # chain-1's handoff not delivered
    services.step_reopen(step=first, by=worker, reason="Wrong drawing.", now=later(2))
    deliver_all(later(3))
    assert not OutgoingEmail.objects.filter(kind=OutgoingEmail.Kind.STEP_RECALLED).exists()
    assert not JourneyEvent.objects.filter(kind=JourneyEvent.Kind.STEP_RECALLED).exists()
