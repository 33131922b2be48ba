"""A journey's public-access copy: its official documents and answers as a member of the
public may receive them under the principle of public access (offentlighetsprincipen), every
item a unit marked as secret withheld and replaced by a line naming the ground.

The copy is a zip that unpacks to one folder named after the journey:

    CAFE-2026-000123-public-copy/
      contents.txt        the journey, its steps (unit, registration number, status), every
                          answer, every document, and a "Withheld under OSL x:y" line in
                          place of each marked answer or document
      documents/          the documents not withheld, byte for byte as stored

A marked document's name is withheld with it (only its registration number is given), and so
is the answer a marked document gives to a file question (its value is the file's name). The
receipt is left out: it repeats every answer and document name, marked ones too, and the copy
gives them one by one. Messages between the applicant and the units are not part of the copy:
they cannot be marked yet, so a request for them is assessed by hand."""

import datetime as dt
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import slugify

from journeys.documents import EXTENSIONS
from journeys.models import Document, Journey, SecrecyGround, SecrecyMarking, Step

# Kept in memory up to this size, then in a temporary file.
SPOOL_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True)
class CopiedAnswer:
    label: str
    value: object
    withheld: SecrecyGround | None  # the ground it is withheld under, if it is


@dataclass(frozen=True)
class CopiedDocument:
    document: Document
    withheld: SecrecyGround | None
    path: str  # where it is in the zip ("" when withheld)


@dataclass(frozen=True)
class PublicCopy:
    journey: Journey
    steps: list[Step]
    answers: list[CopiedAnswer]
    documents: list[CopiedDocument]

    @property
    def folder(self) -> str:
        return f"{self.journey.reference}-public-copy"

    @property
    def withheld(self) -> list[CopiedAnswer | CopiedDocument]:
        return [item for item in [*self.answers, *self.documents] if item.withheld is not None]


def public_copy(journey: Journey) -> PublicCopy:
    """What the public may receive of `journey` (submitted) as things stand, in four queries:
    the standing markings, the steps, the documents and the journey type's fields (selected
    with the journey by the caller)."""
    markings = list(
        SecrecyMarking.objects.standing()
        .filter(journey=journey)
        .select_related("ground", "document")
    )
    by_document = {m.document_id: m.ground for m in markings if m.document_id is not None}
    by_field = {m.field_key: m.ground for m in markings if m.field_key}
    for marking in markings:
        if marking.document_id is not None and marking.document.field_key:
            by_field.setdefault(marking.document.field_key, marking.ground)
    answers = [
        CopiedAnswer(
            label=str(field["label"]),
            value=journey.data.get(field["key"]),
            withheld=by_field.get(field["key"]),
        )
        for field in journey.journey_type.display_fields
    ]
    documents, number = [], 0
    receipt = Document.GeneratedAs.RECEIPT
    for document in journey.documents.exclude(generated_as=receipt).order_by("uploaded_at", "pk"):
        ground = by_document.get(document.pk)
        path = ""
        if ground is None:
            number += 1
            path = f"documents/{_file_name(number, document)}"
        documents.append(CopiedDocument(document=document, withheld=ground, path=path))
    steps = list(
        journey.steps.select_related("step_type", "unit").order_by("step_type__order", "pk")
    )
    return PublicCopy(journey=journey, steps=steps, answers=answers, documents=documents)


def public_copy_zip(copy: PublicCopy, *, now: dt.datetime):
    """The copy as a zip, in a temporary file positioned at its start (the caller sends and
    closes it). Texts are in the active language."""
    out = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 (the response closes it)
    stamp = timezone.localtime(now).timetuple()[:6]
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        contents = render_to_string("records/public_copy.txt", {"copy": copy, "now": now})
        archive.writestr(
            zipfile.ZipInfo(f"{copy.folder}/contents.txt", date_time=stamp), contents.encode()
        )
        for item in copy.documents:
            if item.withheld is not None:
                continue
            info = zipfile.ZipInfo(f"{copy.folder}/{item.path}", date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            with item.document.file.open("rb") as source, archive.open(info, "w") as target:
                while chunk := source.read(1024 * 1024):
                    target.write(chunk)
    out.seek(0)
    return out


def _file_name(number: int, document: Document) -> str:
    """A portable, numbered name (contents.txt gives the one it was sent with)."""
    original = Path(document.name)
    stem = slugify(original.stem)[:80] or "document"
    extensions = EXTENSIONS.get(document.content_type, ())
    suffix = original.suffix.lower() if original.suffix.lower() in extensions else ""
    return f"{number:03d}-{stem}{suffix or (extensions[0] if extensions else '')}"
