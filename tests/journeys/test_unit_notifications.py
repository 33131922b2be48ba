"""Units hear by e-mail when a case lands in their queue, and get a digest of overdue cases."""

import datetime as dt

from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from journeys import notifications
from tests.factories import make_caseworker, submitted_journey


def test_the_units_members_are_told_when_a_case_lands_in_their_queue(cafe):
    journey = submitted_journey(cafe)
    step = journey.steps.get(step_type__key="building-permit")
    make_caseworker(step.unit, username="planner")
    make_caseworker(step.unit, username="planner2")
    make_caseworker(journey.steps.get(step_type__key="gas-permit").unit, username="firefighter")

    assert notifications.unit_notify(step_id=step.pk, what="queued") == 1
    message = mail.outbox[-1]
    assert sorted(message.to) == ["planner2@example.org", "planner@example.org"]
    assert journey.reference in message.subject
    assert f"/work/steps/{step.pk}/" in message.body


def test_the_daily_digest_lists_each_units_overdue_cases(cafe, capsys):
    now = timezone.now()
    late = submitted_journey(cafe, now=now - dt.timedelta(days=100))
    submitted_journey(cafe, now=now)
    planning = late.steps.get(step_type__key="building-permit").unit
    make_caseworker(planning, username="planner")

    call_command("units_overdue_digest")
    assert "1 digest(s) sent" in capsys.readouterr().out
    (digest,) = mail.outbox
    assert digest.to == ["planner@example.org"]
    assert late.reference in digest.body
    assert digest.body.count("CAFE-") == 1
