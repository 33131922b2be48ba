"""The e-mail outbox's rules, in-process (the real-worker test is separate): every e-mail is a
row written in the change's transaction, published after commit without ever failing or holding
up the request, sent once, swept while unsent, and a dead letter when its retries ran out."""

import datetime as dt
import time

import pytest
from django.core import mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from coordination import services as coordination_services
from journeys import services, tasks
from journeys.models import ApplicantMessage, FailedTask, Journey, OutgoingEmail
from journeys.services.outbox import publish_resume
from tests.factories import (
    answers_for,
    make_caseworker,
    make_coordinator,
    make_user,
    send_emails,
    submitted_journey,
)
from tests.html import link_texts
from tests.journey_types import journey_type, unit_for

EMAIL_TASK = tasks.outgoing_email_send
UNIT_QUEUES = [f"unit.{unit_for(f'parallel-{n}')}" for n in range(1, 5)]


@pytest.fixture
def trail(db):
    """Four steps queued in their units at submission, and chain-1 after parallel-1."""
    return journey_type(parallel=4, chain=1)


def later(settings, now=None) -> dt.datetime:
    """Past the grace period, when beat's sweep finds what is left unsent."""
    return (now or timezone.now()) + dt.timedelta(seconds=settings.HANDOFF_GRACE_SECONDS + 1)


def test_a_rolled_back_change_leaves_no_email_and_publishes_nothing(
    trail, django_capture_on_commit_callbacks
):
    applicant = make_user()
    journey = services.journey_start(journey_type=trail, applicant=applicant, now=timezone.now())
    services.journey_save_answers(journey=journey, answers=answers_for(trail))
    with (
        django_capture_on_commit_callbacks() as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        services.journey_submit(journey=journey, by=applicant, language="en", now=timezone.now())
        assert OutgoingEmail.objects.count() == 1  # the receipt, in the same transaction
        raise RuntimeError("the change fails after writing its e-mail")
    assert not OutgoingEmail.objects.exists() and not ApplicantMessage.objects.exists()
    assert callbacks == []


def test_a_publish_that_fails_never_reaches_the_request_and_the_sweep_sends_it_once(
    client, trail, settings, monkeypatch, django_capture_on_commit_callbacks
):
    applicant = make_user("anna")
    client.force_login(applicant)
    journey = services.journey_start(journey_type=trail, applicant=applicant, now=timezone.now())
    services.journey_save_answers(journey=journey, answers=answers_for(trail))
    # The broker is unreachable: the e-mail's real publish goes to a port nothing listens on
    # (Celery takes the publishing URL from the environment before any configuration).
    with monkeypatch.context() as patch:
        patch.setenv("CELERY_BROKER_WRITE_URL", "redis://127.0.0.1:1/0")
        started = time.monotonic()
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("citizens:application_check", args=[journey.public_id]))
        took = time.monotonic() - started
    publish_resume()  # the pause a failed publish set in this process: the broker is back
    assert response.status_code == 302  # the applicant got their confirmation page
    assert took < 1, f"the request waited {took:.1f}s for a broker that is down"
    receipt = OutgoingEmail.objects.get(journey=journey)
    assert receipt.published_at is None and receipt.last_error.startswith("publish: ")
    assert mail.outbox == []

    assert services.outgoing_emails_sweep(now=timezone.now()) == 0  # within the grace period
    assert services.outgoing_emails_sweep(now=later(settings)) == 1  # the real broker is back
    receipt.refresh_from_db()
    assert receipt.published_at is not None and receipt.publish_count == 1
    assert send_emails() == 1  # the worker's run of the published task
    assert services.outgoing_emails_sweep(now=later(settings, later(settings))) == 0
    (email,) = mail.outbox
    journey.refresh_from_db()
    assert email.to == ["anna@example.org"] and journey.reference in email.subject


def test_sending_twice_sends_once(trail):
    journey = submitted_journey(trail)
    receipt = OutgoingEmail.objects.get(journey=journey, kind=OutgoingEmail.Kind.APPLICANT_MESSAGE)
    now = timezone.now()
    assert services.outgoing_email_send(email_id=receipt.pk, now=now) is True
    assert services.outgoing_email_send(email_id=receipt.pk, now=now) is False
    assert len(mail.outbox) == 1
    receipt.refresh_from_db()
    assert receipt.sent_at == now and receipt.attempts == 1


def test_a_failed_send_is_counted_kept_unsent_and_tried_again(trail, settings):
    journey = submitted_journey(trail)
    receipt = OutgoingEmail.objects.get(journey=journey, kind=OutgoingEmail.Kind.APPLICANT_MESSAGE)
    # The mail server refuses the connection (nothing listens on port 1).
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 1
    with pytest.raises(ConnectionRefusedError):
        services.outgoing_email_send(email_id=receipt.pk, now=timezone.now())
    receipt.refresh_from_db()
    assert receipt.sent_at is None and receipt.attempts == 1
    assert "ConnectionRefusedError" in receipt.last_error
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert services.outgoing_email_send(email_id=receipt.pk, now=timezone.now()) is True
    receipt.refresh_from_db()
    assert receipt.attempts == 2 and receipt.last_error == "" and len(mail.outbox) == 1


def test_every_kind_of_message_is_a_row_on_the_right_queue(trail):
    journey = submitted_journey(trail)  # a receipt; four steps queued in their units
    permit = journey.steps.get(step_type__key="parallel-1")
    coordinator = make_coordinator()
    coordination_services.journey_escalate(
        journey=journey, step=permit, by=coordinator, message="Look.", now=timezone.now()
    )
    rows = OutgoingEmail.objects.order_by("pk")
    assert sorted((r.kind, r.queue) for r in rows) == [
        ("applicant_message", "portal"),
        ("escalation", "portal"),
        *(("step_queued", queue) for queue in UNIT_QUEUES),
    ]


def test_a_dead_letter_is_shown_to_coordinators_and_left_out_of_the_sweep(client, trail, settings):
    journey = submitted_journey(trail)
    permit = journey.steps.get(step_type__key="parallel-1")
    notice = OutgoingEmail.objects.get(step=permit, kind=OutgoingEmail.Kind.STEP_QUEUED)
    services.task_failure_record(
        task_id="t-email",
        task_name=EMAIL_TASK.name,
        args=[notice.pk],
        error="SMTPRecipientsRefused({'planner@example.org': (550, b'no such user')})",
        now=timezone.now(),
    )
    dead = FailedTask.objects.get()
    assert dead.outgoing_email == notice and dead.journey == journey and dead.step == permit
    notice.refresh_from_db()
    assert "no such user" in notice.last_error
    # The sweep publishes the other unsent e-mails, not the dead letter: it needs a person.
    sweepable = OutgoingEmail.objects.overdue_for_sending(now=later(settings))
    assert notice not in sweepable and sweepable.count() == OutgoingEmail.objects.count() - 1

    client.force_login(make_coordinator())
    html = client.get(reverse("coordination:dashboard"), {"view": "failed_tasks"}).content.decode()
    assert "Failed tasks (1)" in link_texts(html)
    assert journey.reference in html and "New case, to the unit" in html
    assert "Parallel step 1" in html and "no such user" in html


def test_the_sweep_command_publishes_what_is_left(trail, capsys, settings, monkeypatch):
    published = []
    monkeypatch.setattr(EMAIL_TASK, "apply_async", lambda *a, **kw: published.append(kw))
    submitted_journey(trail, now=timezone.now() - dt.timedelta(hours=1))
    make_caseworker(Journey.objects.get().steps.first().unit)
    from django.core.management import call_command

    call_command("outgoing_emails_sweep")
    assert "5 e-mail(s) published again" in capsys.readouterr().out
    assert sorted(p["queue"] for p in published) == ["portal", *UNIT_QUEUES]
