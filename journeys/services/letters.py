"""Decision letters and receipts: printed as PDF (journeys.letters) in the applicant's language
and stored as the journey's documents. Printing takes about a second, too long to hold the
journey's lock for, so the decision or submission only enqueues it after commit
(`letters_publish`); the letter is derived from the decided step alone, so whoever asks first
(the task, or the applicant following the link before the task has run) prints it, outside
the lock, and stores it, once."""

import datetime as dt
import hashlib
import logging

from celery import current_app
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from journeys.letters import letter_pdf
from journeys.models import Document, Journey, Step
from journeys.services.outbox import publish_paused, publishing_connection
from journeys.services.registration import document_register
from journeys.templatetags.people import staff_name

logger = logging.getLogger(__name__)


def letters_publish(*, step: Step | None = None, journey: Journey | None = None) -> None:
    """After commit, enqueue printing the decided step's letter (or the journey's receipt), as
    the outboxes publish: on a connection of its own with short timeouts, never retried, never
    raising, skipped while publishing is paused in this process. A letter not enqueued costs
    nothing but time: the download prints what is missing."""
    # By name (journeys.tasks calls these services, so they cannot import it).
    name, pk = (
        ("journeys.tasks.decision_letter_write", step.pk)
        if step is not None
        else ("journeys.tasks.receipt_write", journey.pk)
    )

    def publish() -> None:
        if publish_paused():
            return
        try:
            task = current_app.tasks[name]
            with publishing_connection(task) as connection:
                task.apply_async(args=[pk], connection=connection, retry=False)
        except Exception as error:  # the broker is down: the download prints the letter instead
            logger.warning("%s %s not published: %s", name, pk, error)

    transaction.on_commit(publish)


def decision_letter_url(step: Step) -> str:
    """The applicant's address of a step's letter, for a message or an e-mail."""
    path = reverse("citizens:decision_letter", args=[step.journey.public_id, step.pk])
    return f"{settings.SITE_URL}{path}"


def receipt_url(journey: Journey) -> str:
    path = reverse("citizens:receipt", args=[journey.public_id])
    return f"{settings.SITE_URL}{path}"


def _store(
    *, journey: Journey, by, now: dt.datetime, name: str, pdf: bytes, kind: str, steps=()
) -> Document:
    document = Document(
        journey=journey,
        uploaded_by=by,
        uploaded_at=now,
        name=name,
        content_type="application/pdf",
        size=len(pdf),
        sha256=hashlib.sha256(pdf).hexdigest(),
        generated_as=kind,
    )
    document.file.save(name, ContentFile(pdf), save=False)
    document.save()
    document.steps.set(steps)
    if steps:  # a decision letter leaves the case registered with it
        document_register(document=document, step=steps[0])
    return document


def decision_letter_pdf(*, step: Step) -> bytes:
    """The decided step's letter, as the applicant reads it (the same bytes every time)."""
    journey = step.journey
    outcome = "approved" if step.status == Step.Status.APPROVED else "rejected"
    decided_by = step.assignee.get_full_name() or staff_name(step.assignee)
    return letter_pdf(
        template=f"decision_{outcome}.html",
        context={"journey": journey, "step": step, "decided_by": decided_by},
        language=journey.language,
        at=step.decided_at,
        key=f"decision:{journey.public_id}:{step.pk}:{step.version}",
    )


def decision_letter_supersede(*, step: Step) -> int:
    """The step's decision is reopened: its letter stays among the journey's documents (it was
    sent) but is no longer the step's, so the next decision is printed afresh. The caller
    holds the journey's lock."""
    return step.documents.filter(generated_as=Document.GeneratedAs.DECISION_LETTER).update(
        generated_as=Document.GeneratedAs.SUPERSEDED_DECISION_LETTER
    )


def _decided_step(step_pk: int, *, lock: bool) -> Step | None:
    """The decided step with what its letter prints (under the journey's lock when `lock`)."""
    journeys = Journey.objects.select_for_update() if lock else Journey.objects
    step = Step.objects.select_related("step_type", "unit", "assignee").get(pk=step_pk)
    step.journey = journeys.get(pk=step.journey_id)
    if step.status not in (Step.Status.APPROVED, Step.Status.REJECTED):
        return None
    return step


def _decision_letter(step: Step) -> Document | None:
    return step.documents.filter(generated_as=Document.GeneratedAs.DECISION_LETTER).first()


def decision_letter_create(*, step: Step, now: dt.datetime) -> Document | None:
    """The decided step's letter, printed and stored the first time it is asked for; None while
    the step is undecided or was cancelled. A letter already stored is returned without taking
    any lock. Printing (about a second) happens outside the journey's lock, from the decision
    as read then; the journey's lock is taken only to store it, once: if the decision changed
    meanwhile (reopened and decided again), it is printed again from the new one."""
    step = _decided_step(step.pk, lock=False)
    if step is None:
        return None
    if (existing := _decision_letter(step)) is not None:
        return existing
    if step.journey.disposed_at is not None:
        return None  # the case it would be printed from was disposed of: never printed again
    while True:
        printed_version, pdf = step.version, decision_letter_pdf(step=step)
        with transaction.atomic():
            step = _decided_step(step.pk, lock=True)
            if step is None:
                return None
            if (existing := _decision_letter(step)) is not None:
                return existing
            if step.version == printed_version:
                return _store(
                    journey=step.journey,
                    by=step.assignee,
                    now=now,
                    name=_decision_letter_name(step),
                    pdf=pdf,
                    kind=Document.GeneratedAs.DECISION_LETTER,
                    steps=[step],
                )


def _decision_letter_name(step: Step) -> str:
    with translation.override(step.journey.language):
        name = _("Decision %(reference)s %(step)s.pdf") % {
            "reference": step.journey.reference,
            "step": step.step_type.display_name,
        }
    return name[-200:]


def receipt_pdf(*, journey: Journey) -> bytes:
    """The submitted application's receipt: what was applied for, the answers, the documents."""
    with translation.override(journey.language):
        answers = [
            {"key": field["key"], "label": field["label"], "value": journey.data.get(field["key"])}
            for field in journey.journey_type.display_fields
        ]
    return letter_pdf(
        template="receipt.html",
        context={
            "journey": journey,
            "answers": answers,
            "step_types": [
                step.step_type for step in journey.steps.select_related("step_type", "unit")
            ],
            "documents": list(journey.documents.from_applicant()),
        },
        language=journey.language,
        at=journey.submitted_at,
        key=f"receipt:{journey.public_id}",
    )


def _receipt(journey: Journey) -> Document | None:
    return journey.documents.filter(generated_as=Document.GeneratedAs.RECEIPT).first()


def receipt_create(*, journey: Journey, now: dt.datetime) -> Document | None:
    """The submitted journey's receipt, printed and stored the first time it is asked for: as
    with the letters, printed outside the journey's lock and stored under it, once."""
    journey = Journey.objects.get(pk=journey.pk)
    if journey.submitted_at is None:
        return None
    if (existing := _receipt(journey)) is not None:
        return existing
    if journey.disposed_at is not None:
        return None  # the case it would be printed from was disposed of: never printed again
    pdf = receipt_pdf(journey=journey)
    with transaction.atomic():
        journey = Journey.objects.select_for_update().get(pk=journey.pk)
        if (existing := _receipt(journey)) is not None:
            return existing
        with translation.override(journey.language):
            name = _("Receipt %(reference)s.pdf") % {"reference": journey.reference}
        return _store(
            journey=journey,
            by=journey.applicant,
            now=now,
            name=name,
            pdf=pdf,
            kind=Document.GeneratedAs.RECEIPT,
        )
