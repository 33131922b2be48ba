"""Documents: the one way a file enters the portal (checked, stored once for its journey), the
application's own documents (a journey type's file questions) and what a unit adds to its case.

A document is never copied: a file the application gives is attached by reference, at
submission, to every step whose step type needs its question; a unit's document to the step it
was added to. Who may read which is journeys.disclosure's rule (a unit: its steps' documents) and,
for the applicant's side, the document's `visible_to_applicant`."""

import datetime as dt

from django.db import transaction

from journeys.definitions import FILE_KIND
from journeys.documents import check_upload
from journeys.models import Document, Journey, Step


def document_store(*, journey: Journey, by, upload, now: dt.datetime, accept=None, **fields):
    """Store an upload once for the journey, checked again here whatever the form did (type
    from the content, name, markup, size; `accept`: a file question's types). `fields`: the
    document's other columns (its question, its unit, whether the applicant sees it)."""
    content_type, sha256 = check_upload(upload, accept=accept)
    document = Document(
        journey=journey,
        uploaded_by=by,
        uploaded_at=now,
        name=upload.name[-200:],
        content_type=content_type,
        size=upload.size,
        sha256=sha256,
        **fields,
    )
    document.file.save(upload.name, upload, save=False)
    document.save()
    return document


def _discard(document: Document) -> None:
    """Delete a document and, once that is committed, its file (a rollback keeps both)."""
    storage, name = document.file.storage, document.file.name
    document.delete()
    transaction.on_commit(lambda: storage.delete(name))


@transaction.atomic
def journey_file_answer(
    *, journey: Journey, key: str, by, now: dt.datetime, upload=None, remove: bool = False
) -> Document | None:
    """Answer a draft's file question: a new upload replaces the file given before (nobody
    else has seen a draft's), `remove` takes it away, neither keeps it. The answer in the
    journey's data is the file's name ("" for none), as every summary of the answers shows it.
    Returns the question's document, if it has one now."""
    journey = (
        Journey.objects.select_for_update(of=("self",))
        .select_related("journey_type")
        .get(pk=journey.pk)
    )
    field = next((f for f in journey.journey_type.fields if f["key"] == key), {})
    if field.get("kind") != FILE_KIND:
        raise ValueError(f"{key} is not a file question")
    current = journey.documents.filter(field_key=key).first()
    if journey.status != Journey.Status.DRAFT:
        return current
    if upload is not None or remove:
        if current is not None:
            _discard(current)
        current = None
    if upload is not None:
        current = document_store(
            journey=journey,
            by=by,
            upload=upload,
            now=now,
            accept=field.get("accept"),
            field_key=key,
        )
    journey.data = {**journey.data, key: current.name if current else ""}
    journey.save(update_fields=["data"])
    return current


def application_documents_attach(*, journey: Journey, steps: list[Step]) -> None:
    """At submission: attach each document the application gave to every one of its steps whose
    step type needs that question (by reference: one file, one row). `steps` are read with
    their step types."""
    Through = Document.steps.through
    Through.objects.bulk_create(
        Through(document_id=document.pk, step_id=step.pk)
        for document in journey.documents.exclude(field_key="")
        for step in steps
        if document.field_key in step.step_type.needs
    )
