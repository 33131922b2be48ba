"""Outgoing e-mails through a real Celery worker process over the real broker: a lost
publish is sent by the sweep exactly once, and an e-mail whose retries run out is a dead letter
coordinators see, which the sweep leaves alone."""

import datetime as dt

import pytest
from django.utils import timezone

from journeys import services
from journeys.models import FailedTask, OutgoingEmail
from journeys.services import emails
from tests.factories import load_catalogue, make_user
from tests.workers import WorkerProcess, wait_for
from units.models import Unit

pytestmark = pytest.mark.celery_worker

RECEIPT = "We have received your application"


def submit(monkeypatch=None):
    """A café application with two first steps; with `monkeypatch`, the publish after commit of
    its e-mails is lost (as if the process died between the commit and the publish)."""
    catalogue = load_catalogue()
    citizen = make_user("citizen")
    journey = services.journey_start(
        journey_type=catalogue["open-a-cafe"], applicant=citizen, now=timezone.now()
    )
    services.journey_save_answers(
        journey=journey, answers={"uses_lpg": False, "outdoor_seating": False}
    )
    if monkeypatch is None:
        return services.journey_submit(
            journey=journey, by=citizen, language="en", now=timezone.now()
        )
    with monkeypatch.context() as patch:
        patch.setattr(emails, "outgoing_emails_publish", lambda *args, **kwargs: 0)
        return services.journey_submit(
            journey=journey, by=citizen, language="en", now=timezone.now()
        )


def sweep_later(settings, minutes: int = 0) -> int:
    grace = dt.timedelta(seconds=settings.HANDOFF_GRACE_SECONDS + 1, minutes=minutes)
    return services.outgoing_emails_sweep(now=timezone.now() + grace)


def test_an_email_whose_publish_was_lost_is_sent_by_the_sweep_exactly_once(
    celery_worker, monkeypatch, settings
):
    journey = submit(monkeypatch)
    receipt = OutgoingEmail.objects.get(kind=OutgoingEmail.Kind.APPLICANT_MESSAGE)
    notices = OutgoingEmail.objects.filter(kind=OutgoingEmail.Kind.STEP_QUEUED)
    # The handoffs went on; the worker wrote and sent the units' notices from their queues.
    wait_for(
        lambda: notices.count() == 2 and not notices.filter(sent_at__isnull=True).exists(),
        30,
        "the units' notices to be sent",
        celery_worker,
    )
    receipt.refresh_from_db()
    assert receipt.published_at is None and receipt.sent_at is None
    assert RECEIPT not in celery_worker.sent_mail()

    assert sweep_later(settings) == 1  # the receipt alone is left unsent
    wait_for(
        lambda: celery_worker.sent_mail().count(RECEIPT) == 1,
        30,
        "the swept receipt to be e-mailed",
        celery_worker,
    )
    receipt.refresh_from_db()
    assert receipt.sent_at is not None and receipt.attempts == 1 and receipt.publish_count == 1
    assert sweep_later(settings, minutes=5) == 0
    assert celery_worker.sent_mail().count(RECEIPT) == 1
    assert f"/applications/{journey.public_id}/" in celery_worker.sent_mail()


@pytest.fixture
def worker_without_a_mail_server(transactional_db, celery_broker, tmp_path):
    """A real worker whose mail server refuses connections, with no retries left to try."""
    load_catalogue()
    queues = ["portal", *(unit.queue_name for unit in Unit.objects.all())]
    env = {
        "CELERY_TASK_MAX_RETRIES": "0",
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": "1",
    }
    worker = WorkerProcess(queues, tmp_path / "worker.log", env=env).start()
    yield worker
    worker.stop()


def test_an_email_that_keeps_failing_is_a_dead_letter_the_sweep_leaves_alone(
    worker_without_a_mail_server,
):
    worker = worker_without_a_mail_server
    journey = submit()
    receipt = OutgoingEmail.objects.get(kind=OutgoingEmail.Kind.APPLICANT_MESSAGE)
    wait_for(
        lambda: FailedTask.objects.filter(outgoing_email=receipt).exists(),
        30,
        "the receipt's dead letter",
        worker,
    )
    dead = FailedTask.objects.get(outgoing_email=receipt)
    assert dead.journey == journey and "ConnectionRefusedError" in dead.error
    receipt.refresh_from_db()
    assert receipt.sent_at is None and receipt.attempts == 1 and receipt.last_error
    assert receipt not in OutgoingEmail.objects.overdue_for_sending(
        now=timezone.now() + dt.timedelta(hours=1)
    )
