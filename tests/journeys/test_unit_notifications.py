"""Units hear by e-mail when a case lands in their queue, each member in their own language with
a link to the case, and get a digest of overdue cases."""

import datetime as dt

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from journeys.models import OutgoingEmail
from tests.factories import make_caseworker, make_user, send_emails, submitted_journey
from tests.journey_types import journey_type, unit_for
from units.models import Membership, StaffProfile


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = "https://portal.example.org"


@pytest.fixture
def trail(db):
    """parallel-1 -> chain-1, and parallel-2, each in a unit of its own."""
    return journey_type(parallel=2, chain=1, deadline_days=70)


def test_the_units_members_are_told_when_a_case_lands_in_their_queue(trail):
    journey = submitted_journey(trail)
    step = journey.steps.get(step_type__key="parallel-1")
    make_caseworker(step.unit, username="planner")
    make_caseworker(step.unit, username="planner2")
    make_caseworker(journey.steps.get(step_type__key="parallel-2").unit, username="elsewhere")

    # The delivery wrote one outbox row per queued step, on the receiving unit's queue.
    notice = OutgoingEmail.objects.get(step=step, kind=OutgoingEmail.Kind.STEP_QUEUED)
    assert notice.queue == f"unit.{unit_for('parallel-1')}" and notice.sent_at is None
    assert send_emails(step=step) == 1
    message = mail.outbox[-1]
    assert sorted(message.to) == ["planner2@example.org", "planner@example.org"]
    assert journey.reference in message.subject
    assert f"https://portal.example.org/work/steps/{step.pk}/" in message.body
    assert send_emails(step=step) == 0 and len(mail.outbox) == 1  # sent once


def test_each_member_reads_the_notice_in_their_own_language(trail):
    journey = submitted_journey(trail)
    step = journey.steps.get(step_type__key="parallel-1")
    swede = make_caseworker(step.unit, username="handlaggare")
    StaffProfile.objects.create(user=swede, language="sv")
    english = make_caseworker(step.unit, username="planner")
    StaffProfile.objects.create(user=english, language="en")
    make_caseworker(step.unit, username="no-preference")  # the site's language, English

    assert send_emails(step=step) == 1
    by_recipients = {tuple(sorted(m.to)): m for m in mail.outbox}
    assert set(by_recipients) == {
        ("handlaggare@example.org",),
        ("no-preference@example.org", "planner@example.org"),
    }  # one e-mail per language, not per member
    swedish = by_recipients[("handlaggare@example.org",)]
    assert swedish.subject.startswith(f"Nytt ärende {journey.reference}: ")
    assert "Parallellt steg 1" in swedish.subject
    assert "Ett ärende har kommit in i kön för" in swedish.body
    assert "Öppna ärendet: https://portal.example.org/work/steps/" in swedish.body
    english_mail = by_recipients[("no-preference@example.org", "planner@example.org")]
    assert english_mail.subject.startswith(f"New case {journey.reference}: ")
    assert "A case has arrived in the queue of Office parallel 1" in english_mail.body
    assert f"Open the case: https://portal.example.org/work/steps/{step.pk}/" in english_mail.body


def test_recipients_are_the_members_when_the_email_is_sent(trail):
    journey = submitted_journey(trail)
    step = journey.steps.get(step_type__key="parallel-1")
    leaver = make_caseworker(step.unit, username="leaver")
    Membership.objects.filter(user=leaver).delete()  # left the unit before the e-mail went
    make_caseworker(step.unit, username="joiner")
    send_emails(step=step)
    (message,) = mail.outbox
    assert message.to == ["joiner@example.org"]


def test_staff_e_mails_follow_the_language_they_sign_in_with_and_choose(client, trail):
    unit = trail.steps.first().unit
    caseworker = make_caseworker(unit, username="case-sv")
    client.cookies["django_language"] = "sv"
    response = client.post(
        reverse("login"), {"username": "case-sv", "password": "pw-for-tests-only"}
    )
    assert response.status_code == 302
    assert StaffProfile.objects.get(user=caseworker).language == "sv"
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert StaffProfile.objects.get(user=caseworker).language == "en"

    citizen = make_user("citizen-sv")  # a citizen's messages follow each journey's language
    client.force_login(citizen)
    client.post(reverse("set_language"), {"language": "sv", "next": "/"})
    assert not StaffProfile.objects.filter(user=citizen).exists()


def test_the_daily_digest_lists_each_units_overdue_cases(trail, capsys):
    now = timezone.now()
    late = submitted_journey(trail, now=now - dt.timedelta(days=100))
    submitted_journey(trail, now=now)
    planning = late.steps.get(step_type__key="parallel-1").unit
    make_caseworker(planning, username="planner")

    call_command("units_overdue_digest")
    assert "1 digest(s) sent" in capsys.readouterr().out
    (digest,) = mail.outbox
    assert digest.to == ["planner@example.org"]
    assert late.reference in digest.body
    assert digest.body.count("TRAIL-") == 1
