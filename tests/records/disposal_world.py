"""Journeys with every kind of record a disposal touches, built through the services, for the
retention and disposal tests: a journey type with rules, and journeys closed (or not) at a
given moment with answers, files, a request and its answer, messages both ways, a
consultation, a note, a unit's document, a receipt and decision letters."""

import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile

from journeys import services
from journeys.models import Document, Journey
from tests.factories import deliver_all, make_caseworker, make_user, submitted_journey
from tests.journey_types import journey_type

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64

# parallel-1 needs the site plan, parallel-2 the photo; both are decided to close a journey.
RULES = {
    "decision": {"en": "Test disposal decision 2026:9", "sv": "Testgallringsbeslut 2026:9"},
    "case": {"years": 3},
    "documents": {
        "decision_letter": "forever",
        "receipt": {"years": 3},
        "site_plan": "forever",
        "site_photo": "at_decision",
        "from_units": {"years": 1},
        # sent_later is not listed: it follows the case (3 years).
    },
}
SECRET_ANSWER = "Storgatan 7, the back door"
MESSAGE = "Is the plan enough? Call me on 070-111 22 33."


def trail_with_rules(rules: dict | None = RULES, slug: str = "kept-trail"):
    return journey_type(
        parallel=2, chain=0, files=True, slug=slug, prefix=slug[:4].upper(), retention=rules
    )


def full_journey(trail, *, now: dt.datetime, applicant=None, close: bool = True) -> Journey:
    """A journey with one record of every kind, submitted at `now` and (if `close`) completed
    at `now` too."""
    applicant = applicant or make_user()
    journey = submitted_journey(
        trail,
        applicant,
        answers={
            "applicant_name": "Ada Applicant",
            "contact_email": "ada@example.org",
            "site_address": SECRET_ANSWER,
        },
        files={
            "site_plan": SimpleUploadedFile("site-plan.pdf", PDF),
            "site_photo": SimpleUploadedFile("photo.png", PNG),
        },
        now=now,
    )
    plan_step = journey.steps.get(step_type__key="parallel-1")
    photo_step = journey.steps.get(step_type__key="parallel-2")
    worker = make_caseworker(plan_step.unit)
    step = services.step_claim(step=plan_step, by=worker, now=now)
    request = services.information_request_create(
        step=step,
        by=worker,
        items=["The fire exit"],
        due_date=now.date() + dt.timedelta(days=10),
        now=now,
    )
    services.information_request_answer(
        request=request,
        by=applicant,
        answer="It is at the back, by the bins.",
        uploads=[SimpleUploadedFile("exit.pdf", PDF)],
        now=now,
    )
    deliver_all(now)  # back with the unit
    services.conversation_message_send(step=plan_step, by=applicant, body=MESSAGE, now=now)
    services.note_add(
        step=plan_step,
        by=worker,
        kind="call",
        text="Called Ada about the exit.",
        visible_to_applicant=False,
        now=now,
    )
    services.step_document_add(
        step=plan_step,
        by=worker,
        upload=SimpleUploadedFile("site-visit.png", PNG),
        visible_to_applicant=False,
        now=now,
    )
    services.consultation_request(
        step=plan_step,
        by=worker,
        unit=photo_step.unit,
        question="Is the photo enough for you?",
        due_date=now.date() + dt.timedelta(days=10),
        now=now,
    )
    services.receipt_create(journey=journey, now=now)
    if close:
        for step in (plan_step, photo_step):
            step.refresh_from_db()
            by = worker if step == plan_step else make_caseworker(step.unit)
            if step.assignee_id is None:
                step = services.step_claim(step=step, by=by, now=now)
            services.step_decide(
                step=step, by=by, outcome="approve", reasons="All in order, Ada.", now=now
            )
            services.decision_letter_create(step=step, now=now)
    journey.refresh_from_db()
    return journey


def kinds(journey: Journey) -> dict[str, Document]:
    """The journey's documents by the kind the rules know them by."""
    from journeys.retention import document_kind

    return {
        document_kind(generated_as=d.generated_as, field_key=d.field_key, unit_id=d.unit_id): d
        for d in journey.documents.exclude(generated_as=Document.GeneratedAs.DECISION_LETTER)
    }
