"""What the applicant does: start a draft, say who it is for (themselves or an organisation),
answer once, submit, answer an information request."""

import datetime as dt

from django.db import transaction
from django.db.models import F

from journeys.graph import step_dependencies
from journeys.models import (
    Document,
    InformationRequest,
    Journey,
    JourneyEvent,
    JourneyType,
    ReferenceSequence,
    Step,
)
from journeys.projections import journey_project
from journeys.services.amending import journey_answers_amend, routed_units
from journeys.services.contacts import contact_default
from journeys.services.documents import application_documents_attach, document_store
from journeys.services.events import journey_event_record
from journeys.services.handoffs import handoffs_create, ready_steps
from journeys.services.letters import letters_publish, receipt_url
from journeys.services.messages import applicant_notify
from journeys.services.registration import document_register
from organisations.services import Applying, organisation_apply_for
from payments.services import invoices_at_submission


@transaction.atomic
def journey_start(*, journey_type: JourneyType, applicant, now: dt.datetime) -> Journey:
    journey = Journey.objects.create(
        journey_type=journey_type, applicant=applicant, created_at=now, last_event_at=now
    )
    journey_event_record(journey=journey, kind=JourneyEvent.Kind.STARTED, actor=applicant, now=now)
    return journey


def journey_applying_for_self(*, journey: Journey) -> Journey:
    """The draft is the applicant's own, as a private person."""
    if journey.status != Journey.Status.DRAFT:
        return journey
    journey.applying_as, journey.organisation = Journey.ApplyingAs.PERSON, None
    journey.save(update_fields=["applying_as", "organisation"])
    return journey


@transaction.atomic
def journey_applying_for_organisation(
    *, journey: Journey, person, number: str, name: str, now: dt.datetime
) -> Applying:
    """The draft is for the organisation with this number, applied for by `person` (the
    applicant's e-ID identity), whose right to represent it is recorded or claimed
    (organisations.services). The organisation's number answers the type's organisation-number
    question, once."""
    applying = organisation_apply_for(person=person, number=number, name=name, now=now)
    if journey.status == Journey.Status.DRAFT:
        journey.applying_as = Journey.ApplyingAs.ORGANISATION
        journey.organisation = applying.organisation
        for field in journey.journey_type.fields:
            if field.get("kind") == "orgnr":
                journey.data[field["key"]] = number
        journey.save(update_fields=["applying_as", "organisation", "data"])
    return applying


def journey_save_answers(*, journey: Journey, answers: dict) -> Journey:
    """Store answers to a draft; a submitted journey's data no longer changes here."""
    if journey.status != Journey.Status.DRAFT:
        return journey
    journey.data = {**journey.data, **answers}
    journey.save(update_fields=["data"])
    return journey


def _next_reference(prefix: str, year: int) -> str:
    sequence, _ = ReferenceSequence.objects.select_for_update().get_or_create(
        prefix=prefix, year=year
    )
    ReferenceSequence.objects.filter(pk=sequence.pk).update(last_number=F("last_number") + 1)
    sequence.refresh_from_db(fields=["last_number"])
    return f"{prefix}-{year}-{sequence.last_number:06d}"


@transaction.atomic
def journey_submit(*, journey: Journey, by, language: str, now: dt.datetime) -> Journey:
    """Give the journey its reference, create its steps and hand the first ones to their units.
    `language` is the applicant's: every message to them about this journey is written in it."""
    journey = Journey.objects.select_for_update().get(pk=journey.pk)
    if journey.status != Journey.Status.DRAFT:
        return journey
    journey.reference = _next_reference(journey.journey_type.reference_prefix, now.year)
    journey.status = Journey.Status.SUBMITTED
    journey.submitted_at = now
    journey.language = language or journey.language
    journey.applying_as = journey.applying_as or Journey.ApplyingAs.PERSON
    step_types = [
        step_type
        for step_type in journey.journey_type.steps.select_related("unit")
        if step_type.applies_to(journey.data)
    ]
    routed = routed_units(step_types, journey.data)
    steps = [
        Step(journey=journey, step_type=step_type, unit=routed.get(step_type.pk, step_type.unit))
        for step_type in step_types
    ]
    # Kept as they are now, so a page can say later why a date moved (journeys.projections).
    projection = journey_project(steps, step_dependencies(journey.journey_type_id), now=now)
    for step in steps:
        step.projected_decision_at_submission = projection.of(step).decision
    journey.projected_completion_at_submission = projection.completion
    journey.contact = journey.contact or contact_default(journey)
    journey.save(
        update_fields=[
            "reference",
            "status",
            "submitted_at",
            "language",
            "applying_as",
            "projected_completion_at_submission",
            "contact",
        ]
    )
    Step.objects.bulk_create(steps)
    application_documents_attach(
        journey=journey, steps=list(journey.steps.select_related("step_type"))
    )
    journey_event_record(
        journey=journey,
        kind=JourneyEvent.Kind.SUBMITTED,
        actor=by,
        now=now,
        status_before=Journey.Status.DRAFT,
        status_after=Journey.Status.SUBMITTED,
    )
    handoffs_create(journey=journey, steps=ready_steps(journey), now=now)
    invoices_at_submission(journey=journey, now=now)
    letters_publish(journey=journey)
    applicant_notify(
        journey=journey,
        what="received",
        now=now,
        step_types=[s.step_type for s in journey.steps.select_related("step_type", "unit")],
        receipt_url=receipt_url(journey),
    )
    return journey


def document_add(
    *,
    journey: Journey,
    by,
    upload,
    now: dt.datetime,
    steps=(),
    information_request: InformationRequest | None = None,
    unit=None,
) -> Document:
    """Store an upload once for the journey, attached to `steps`: the applicant's, or (`unit`)
    one a unit sent them, such as an attachment to its message."""
    document = document_store(
        journey=journey,
        by=by,
        upload=upload,
        now=now,
        information_request=information_request,
        unit=unit,
    )
    document.steps.set(steps)
    if steps:
        document_register(document=document, step=steps[0])
    journey_event_record(
        journey=journey,
        kind=JourneyEvent.Kind.DOCUMENT_ADDED,
        actor=by,
        now=now,
        message=" ".join(filter(None, [document.registration_number, document.name])),
        step=steps[0] if steps else None,
    )
    return document


@transaction.atomic
def information_request_answer(
    *,
    request: InformationRequest,
    by,
    answer: str,
    now: dt.datetime,
    uploads=(),
    existing_documents=(),
    amendments: dict | None = None,
) -> InformationRequest:
    """Record the applicant's answer and hand the step back to its unit (a resume handoff).
    `amendments`: answers to the journey's questions the applicant changed with it; steps not
    yet with a unit are routed again by them."""
    journey = Journey.objects.select_for_update().get(pk=request.step.journey_id)
    answered = InformationRequest.objects.filter(pk=request.pk, answered_at__isnull=True).update(
        answer=answer, answered_at=now
    )
    request.refresh_from_db()
    if not answered:
        return request
    step = request.step
    for upload in uploads:
        document_add(
            journey=journey,
            by=by,
            upload=upload,
            now=now,
            steps=[step],
            information_request=request,
        )
    for document in existing_documents:
        if document.journey_id == journey.pk:  # attached by reference, never copied
            document.steps.add(step)
    journey_event_record(
        journey=journey,
        step=request.step,
        kind=JourneyEvent.Kind.INFORMATION_ANSWERED,
        actor=by,
        now=now,
        message=answer,
    )
    if amendments:
        journey_answers_amend(
            journey=journey, by=by, answers=amendments, now=now, asking=request.step
        )
    # Every step the request paused resumes together, each through a handoff on its unit's
    # queue (one that another unanswered request also pauses waits for that answer too).
    handoffs_create(
        journey=journey,
        steps=list(request.blocks.filter(status=Step.Status.WAITING_FOR_APPLICANT)),
        now=now,
        kind="resume",
        information_request=request,
    )
    return request
