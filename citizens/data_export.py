"""Everything the portal holds about one applicant, as one zip they download (GDPR article 15;
issue 18, item 6): a readable summary, their account as JSON, and each application they applied
with as JSON beside its documents and letters, byte for byte as stored.

    your-data-2026-05-04/
      summary.html, summary.css             all of it, to read (in the reader's language)
      account.json                          the account, e-ID, organisations, messages
      applications/CAFE-2026-000123/
        application.json                    answers, steps, requests, events, conversations,
                                            fees, documents, who read it (the access log)
        documents/001-floor-plan.pdf        what the applicant's side sent, and what the
                                            units showed them
        letters/001-receipt-....pdf         the receipt and the decision letters
      applications/draft-1a2b3c4d/...       a draft, by its address (it has no reference)
      other-applications/CAFE-2026-000124/
        your-part.json                      what they wrote or sent in an organisation's
        documents/...                       application another representative applied with

Whose data is in it: the applications the person applied with, for themselves or for an
organisation, drafts too, as their tracking pages show them. An organisation's application
another representative applied with is shared with every recorded representative on purpose
(organisations/, `Journey.objects.acting_for`): they read and continue it on the organisation's
page. It is that person's and the organisation's record, not this person's, so only what this
person wrote or sent in it is theirs and is exported (their messages, their documents, their
entries on its timeline); its answers, its other messages and documents, and who read it are
not. Nothing here shows more than the applicant's own pages do: it reads through the same
filters (`Document.objects.for_applicant()`, events `visible_to_applicant`), so a unit's
internal documents and notes are never in it, and the personal identity number is shortened as
everywhere its holder sees it. The access log entries about their applications are the one
thing added: who read them (named as a decision letter names a caseworker), when, through which
client, what.

A constant number of queries whatever the number of applications; files are copied into the
zip a chunk at a time, into a file the caller gives (a temporary file), never held in memory.
"""

import datetime as dt
import json
import zipfile
from collections import defaultdict
from dataclasses import dataclass
from pathlib import PurePosixPath

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Count, Q
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from accounts.models import Person
from journeys import services
from journeys.documents import EXTENSIONS
from journeys.models import (
    ApplicantMessage,
    ConversationMessage,
    DecisionRequest,
    Document,
    InformationRequest,
    Journey,
    JourneyEvent,
    Step,
)
from journeys.templatetags.people import STAFF_NAME_RELATED, staff_name
from organisations.models import Representative
from payments.models import Invoice
from payments.selectors import invoice_row
from records.models import AccessLogEntry
from records.services import AccessRead, access_record_many

GeneratedAs = Document.GeneratedAs
CHUNK_BYTES = 1024 * 1024
LETTERED = (Step.Status.APPROVED, Step.Status.REJECTED)


@dataclass(frozen=True)
class OwnDataExport:
    """What one download held."""

    filename: str
    applications: int
    other_applications: int
    files: int


@dataclass(frozen=True)
class OwnDataOverview:
    """What the portal holds about a person, counted for the page that offers the download."""

    applications: int
    for_organisations: int
    documents: int
    messages: int
    reads: int
    identity_number: str  # the e-ID's number, shortened as its holder sees it ("" without)


def own_data_overview(*, user) -> OwnDataOverview:
    """Counts of what the download holds (five queries, whatever the numbers)."""
    person = Person.objects.filter(user=user).first()
    journeys = Journey.objects.filter(applicant=user)
    counts = journeys.aggregate(
        applications=Count("pk"),
        for_organisations=Count("pk", filter=Q(organisation__isnull=False)),
    )
    return OwnDataOverview(
        applications=counts["applications"],
        for_organisations=counts["for_organisations"],
        documents=Document.objects.for_applicant().filter(journey__in=journeys).count(),
        messages=ApplicantMessage.objects.filter(recipient=user).count(),
        reads=AccessLogEntry.objects.filter(journey_id__in=journeys.values("pk")).count(),
        identity_number=person.masked_number if person is not None else "",
    )


def own_data_export(*, user, now: dt.datetime, out, path: str) -> OwnDataExport:
    """Write everything the portal holds about `user` as a zip into `out` (a binary file open
    for writing, which the caller sends and removes), then record the download in the access
    log: one entry per application in it, or one naming none. Letters whose task has not run
    yet are printed first, as the tracking page's links would print them. Labels are in the
    active language; times in the JSON are UTC."""
    holdings = _Holdings(user=user, now=now)
    root = f"your-data-{holdings.today.isoformat()}"
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        files = _Writer(archive, root=root, now=now).write(holdings)
    access_record_many(
        user=user,
        what=AccessLogEntry.What.OWN_DATA,
        path=path,
        now=now,
        reads=[AccessRead.of(journey) for journey in holdings.journeys] or [AccessRead()],
    )
    return OwnDataExport(
        filename=f"{root}.zip",
        applications=len(holdings.journeys),
        other_applications=len(holdings.other_journeys),
        files=files,
    )


# Reading ------------------------------------------------------------------------------------


def _grouped(rows, journey_of) -> dict[int, list]:
    grouped = defaultdict(list)
    for row in rows:
        grouped[journey_of(row)].append(row)
    return grouped


def _by_journey(row) -> int:
    return row.journey_id


def _by_step_journey(row) -> int:
    return row.step.journey_id


class _Holdings:
    """Every row about the person, read in a fixed number of queries."""

    def __init__(self, *, user, now: dt.datetime):
        self.user, self.now = user, now
        self.today = timezone.localdate(now)
        self.person = Person.objects.filter(user=user).first()
        self.representations = list(
            Representative.objects.of(user).select_related("organisation").order_by("created_at")
        )
        self.messages = list(
            ApplicantMessage.objects.filter(recipient=user)
            .select_related("journey")
            .order_by("created_at", "pk")
        )
        self.journeys = list(
            Journey.objects.filter(applicant=user)
            .select_related("journey_type", "organisation")
            .order_by("created_at", "pk")
        )
        ids = [journey.pk for journey in self.journeys]
        steps = list(
            Step.objects.filter(journey_id__in=ids)
            .select_related("step_type", "unit")
            .order_by("step_type__order", "pk")
        )
        self._letters_print(ids, steps)
        self.steps = _grouped(steps, _by_journey)
        self.events = _grouped(
            JourneyEvent.objects.filter(journey_id__in=ids, visible_to_applicant=True)
            .select_related("step__step_type", "step__unit")
            .order_by("created_at", "pk"),
            _by_journey,
        )
        self.requests = _grouped(
            InformationRequest.objects.filter(step__journey_id__in=ids)
            .select_related("step__step_type", "step__unit")
            .order_by("requested_at", "pk"),
            _by_step_journey,
        )
        self.decision_requests = _grouped(
            DecisionRequest.objects.filter(step__journey_id__in=ids)
            .select_related("step__step_type", "step__unit")
            .order_by("requested_at", "pk"),
            _by_step_journey,
        )
        self.conversations = _grouped(
            ConversationMessage.objects.filter(journey_id__in=ids)
            .select_related("step__step_type", "step__unit", "unit", "author")
            .order_by("created_at", "pk"),
            _by_journey,
        )
        # The applicant's side's documents and those the units showed them: never a unit's
        # internal one (the tracking page's own filter).
        self.documents = _grouped(
            Document.objects.for_applicant()
            .filter(journey_id__in=ids)
            .select_related("unit")
            .order_by("uploaded_at", "pk"),
            _by_journey,
        )
        self.invoices = _grouped(
            Invoice.objects.filter(journey_id__in=ids)
            .select_related("step__step_type", "unit", "replaced_by")
            .order_by("issued_at", "pk"),
            _by_journey,
        )
        self.reads = _grouped(
            AccessLogEntry.objects.filter(journey_id__in=ids)
            .select_related(f"user__{STAFF_NAME_RELATED}", "api_client", "step__step_type")
            .order_by("at", "pk"),
            _by_journey,
        )
        self._read_other_applications()

    def _letters_print(self, ids: list[int], steps: list[Step]) -> None:
        """Print the receipts and decision letters not printed yet (their task has not run):
        two queries find them, and nothing more is asked when every letter is there."""
        with_receipt = set(
            Document.objects.filter(
                journey_id__in=ids, generated_as=GeneratedAs.RECEIPT
            ).values_list("journey_id", flat=True)
        )
        with_letter = set(
            Document.steps.through.objects.filter(
                step__journey_id__in=ids, document__generated_as=GeneratedAs.DECISION_LETTER
            ).values_list("step_id", flat=True)
        )
        for journey in self.journeys:
            if journey.submitted_at is not None and journey.pk not in with_receipt:
                services.receipt_create(journey=journey, now=self.now)
        for step in steps:
            if step.status in LETTERED and step.pk not in with_letter:
                services.decision_letter_create(step=step, now=self.now)

    def _read_other_applications(self) -> None:
        """What the person wrote or sent in applications they did not apply with (an
        organisation's, applied for by another representative): theirs, and nothing else."""
        others = {"journey__applicant": self.user}
        organisations = {"journey__organisation__isnull": False}
        related = ("journey__journey_type", "journey__organisation")
        messages = list(
            ConversationMessage.objects.filter(author=self.user, **organisations)
            .exclude(**others)
            .select_related(*related, "step__step_type", "unit")
            .order_by("created_at", "pk")
        )
        documents = list(
            Document.objects.from_applicant()
            .for_applicant()
            .filter(uploaded_by=self.user, **organisations)
            .exclude(**others)
            .select_related(*related)
            .order_by("uploaded_at", "pk")
        )
        events = list(
            JourneyEvent.objects.filter(actor=self.user, visible_to_applicant=True, **organisations)
            .exclude(**others)
            .select_related(*related, "step__step_type", "step__unit")
            .order_by("created_at", "pk")
        )
        journeys = {row.journey_id: row.journey for row in (*messages, *documents, *events)}
        self.other_journeys = sorted(journeys.values(), key=lambda j: (j.created_at, j.pk))
        self.other_messages = _grouped(messages, _by_journey)
        self.other_documents = _grouped(documents, _by_journey)
        self.other_events = _grouped(events, _by_journey)


# Writing ------------------------------------------------------------------------------------


class _Writer:
    """Writes the zip: JSON and the summary compressed, documents copied as stored."""

    def __init__(self, archive: zipfile.ZipFile, *, root: str, now: dt.datetime):
        self.archive, self.root = archive, root
        self.stamp = timezone.localtime(now).timetuple()[:6]
        self.now = now
        self.files = 0

    def _info(self, path: str, compress_type: int = zipfile.ZIP_DEFLATED) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(f"{self.root}/{path}", date_time=self.stamp)
        info.compress_type = compress_type
        info.external_attr = 0o644 << 16
        return info

    def put(self, path: str, data: bytes) -> None:
        self.archive.writestr(self._info(path), data)
        self.files += 1

    def put_json(self, path: str, value) -> None:
        text = json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
        self.put(path, (text + "\n").encode())

    def put_document(self, path: str, document: Document) -> bool:
        """Copy the stored file a chunk at a time (PDFs and images are compressed already, so
        stored as they are); False when its file is no longer kept."""
        try:
            source = document.file.open("rb")
        except (FileNotFoundError, ValueError):
            return False
        with source, self.archive.open(self._info(path, zipfile.ZIP_STORED), "w") as out:
            while chunk := source.read(CHUNK_BYTES):
                out.write(chunk)
        self.files += 1
        return True

    def write(self, holdings: _Holdings) -> int:
        """Write every file; returns how many."""
        applications = [self._application(holdings, journey) for journey in holdings.journeys]
        others = [self._other(holdings, journey) for journey in holdings.other_journeys]
        account = _account(holdings, applications, others, now=self.now)
        self.put_json("account.json", account)
        for application in applications:
            self.put_json(f"{application['folder']}/application.json", application)
        for other in others:
            self.put_json(f"{other['folder']}/your-part.json", other)
        summary = render_to_string(
            "citizens/own_data_summary.html",
            {"account": account, "applications": applications, "others": others},
        )
        self.put("summary.html", summary.encode())
        self.put("summary.css", render_to_string("citizens/own_data_summary.css").encode())
        return self.files

    def _documents(self, documents: list[Document], folder: str, user) -> tuple[list, dict]:
        """The documents' rows, and each message's attachments (name and file), by message."""
        counts = {"documents": 0, "letters": 0}
        rows, attachments = [], defaultdict(list)
        for document in documents:
            kind = "letters" if document.generated_as else "documents"
            counts[kind] += 1
            path = f"{folder}/{kind}/{_file_name(counts[kind], document)}"
            row = _document(document, path if self.put_document(path, document) else None, user)
            rows.append(row)
            if document.conversation_message_id is not None:
                attachments[document.conversation_message_id].append(
                    {"name": row["name"], "file": row["file"]}
                )
        return rows, attachments

    def _application(self, holdings: _Holdings, journey: Journey) -> dict:
        user = holdings.user
        folder = f"applications/{_folder_name(journey)}"
        documents, attachments = self._documents(holdings.documents[journey.pk], folder, user)
        return {
            "folder": folder,
            "reference": journey.reference or "",
            "address": str(journey.public_id),
            "service": journey.journey_type.display_name,
            "service_version": journey.journey_type.version,
            "organisation": _organisation(journey),
            "status": journey.status,
            "status_label": journey.get_status_display(),
            "started_at": journey.created_at,
            "submitted_at": journey.submitted_at,
            "closed_at": journey.closed_at,
            "language": journey.language,
            "answers": _answers(journey),
            "steps": [_step(step) for step in holdings.steps[journey.pk]],
            "information_requests": [
                _information_request(request) for request in holdings.requests[journey.pk]
            ],
            "decision_requests": [
                _decision_request(request) for request in holdings.decision_requests[journey.pk]
            ],
            "events": [_event(event, user) for event in holdings.events[journey.pk]],
            "conversations": _conversations(holdings.conversations[journey.pk], attachments, user),
            "fees": [
                _fee(invoice, today=holdings.today) for invoice in holdings.invoices[journey.pk]
            ],
            "documents": documents,
            "access_log": [_read(entry, user) for entry in holdings.reads[journey.pk]],
        }

    def _other(self, holdings: _Holdings, journey: Journey) -> dict:
        """The person's part in an application another representative applied with."""
        user = holdings.user
        folder = f"other-applications/{_folder_name(journey)}"
        documents, attachments = self._documents(holdings.other_documents[journey.pk], folder, user)
        return {
            "folder": folder,
            "reference": journey.reference or "",
            "service": journey.journey_type.display_name,
            "organisation": _organisation(journey),
            "messages": [
                _message(message, attachments, user)
                | {"step": message.step.step_type.display_name, "unit": message.unit.display_name}
                for message in holdings.other_messages[journey.pk]
            ],
            "documents": documents,
            "events": [_event(event, user) for event in holdings.other_events[journey.pk]],
        }


# Rows as the applicant reads them -----------------------------------------------------------


def _folder_name(journey: Journey) -> str:
    return journey.reference or f"draft-{journey.public_id.hex[:8]}"


def _file_name(number: int, document: Document) -> str:
    """A portable name, numbered so that two documents of the same name stay apart (the name
    given is kept in the JSON)."""
    original = PurePosixPath(document.name)
    stem = slugify(original.stem)[:80] or "document"
    extensions = EXTENSIONS.get(document.content_type, ())
    suffix = original.suffix.lower() if original.suffix.lower() in extensions else ""
    return f"{number:03d}-{stem}{suffix or (extensions[0] if extensions else '')}"


def _person_name(user) -> str:
    return user.get_full_name() or user.get_username()


def _reader_name(user) -> str:
    """A reader as the authority names them to the applicant: as a decision letter names its
    caseworker (their name), a unit's own system by its unit."""
    if user is None:
        return ""
    if getattr(user, "api_client", None) is not None:
        return staff_name(user)
    return user.get_full_name() or staff_name(user)


def _organisation(journey: Journey) -> dict | None:
    if journey.organisation is None:
        return None
    return {"name": journey.organisation.name, "number": journey.organisation.number}


def _shown(value) -> str:
    """An answer as the pages write it."""
    if value is True:
        return _("Yes")
    if value is False:
        return _("No")
    return "–" if value in (None, "") else str(value)


def _answers(journey: Journey) -> list[dict]:
    fields = journey.journey_type.display_fields
    answers = [
        {
            "key": field["key"],
            "label": field["label"],
            "value": journey.data.get(field["key"]),
            "shown": _shown(journey.data.get(field["key"])),
        }
        for field in fields
    ]
    known = {field["key"] for field in fields}
    answers += [
        {"key": key, "label": key, "value": value, "shown": _shown(value)}
        for key, value in journey.data.items()
        if key not in known
    ]
    return answers


def _step(step: Step) -> dict:
    decided = step.status in LETTERED
    return {
        "name": step.step_type.display_name,
        "unit": step.unit.display_name,
        "status": step.status,
        "status_label": step.get_status_display(),
        "registration_number": step.registration_number,
        "received_at": step.activated_at,
        "due_at": step.due_at if step.is_open else None,
        "decided_at": step.decided_at if decided else None,
        "reasons": step.reasons if decided else "",
        "communication_note": step.communication_note if decided else "",
        "appeal_instructions": (
            step.appeal_instructions if step.status == Step.Status.REJECTED else ""
        ),
        "delay_reason": step.delay_reason if step.delay_notified_at else "",
    }


def _information_request(request: InformationRequest) -> dict:
    return {
        "step": request.step.step_type.display_name,
        "unit": request.step.unit.display_name,
        "asked_for": request.items,
        "asked_at": request.requested_at,
        "answer_by": request.due_date,
        "answer": request.answer,
        "answered_at": request.answered_at,
    }


def _decision_request(request: DecisionRequest) -> dict:
    return {
        "step": request.step.step_type.display_name,
        "unit": request.step.unit.display_name,
        "asked_at": request.requested_at,
        "unit_to_answer_by": request.due_at,
    }


def _event(event: JourneyEvent, user) -> dict:
    return {
        "at": event.created_at,
        "kind": event.kind,
        "what": event.get_kind_display(),
        "step": event.step.step_type.display_name if event.step else "",
        "unit": event.step.unit.display_name if event.step else "",
        "message": event.message,
        "by_you": event.actor_id == user.pk,
    }


def _message(message: ConversationMessage, attachments: dict, user) -> dict:
    if not message.from_applicant:
        sender = message.unit.display_name
    elif message.author_id == user.pk:
        sender = _("You")
    else:  # another representative of the organisation, named as the tracking page names them
        sender = _person_name(message.author)
    return {
        "at": message.created_at,
        "from_applicant_side": message.from_applicant,
        "from": sender,
        "body": message.body,
        "read_by_the_other_side_at": message.read_at,
        "attachments": attachments.get(message.pk, []),
    }


def _conversations(messages: list[ConversationMessage], attachments: dict, user) -> list[dict]:
    """One thread per step, in the steps' order, each oldest message first."""
    threads: dict[int, list] = defaultdict(list)
    for message in messages:
        threads[message.step_id].append(message)
    return [
        {
            "step": thread[0].step.step_type.display_name,
            "unit": thread[0].step.unit.display_name,
            "messages": [_message(message, attachments, user) for message in thread],
        }
        for thread in sorted(
            threads.values(), key=lambda t: (t[0].step.step_type.order, t[0].step_id)
        )
    ]


def _fee(invoice: Invoice, *, today: dt.date) -> dict:
    row = invoice_row(invoice, today=today)
    return {
        "step": invoice.step.step_type.display_name,
        "unit": invoice.unit.display_name,
        "amount_ore": invoice.amount_ore,
        "amount": invoice.amount_kronor,
        "bankgiro": invoice.bankgiro_display,
        "ocr_reference": invoice.ocr,
        "issued_at": invoice.issued_at,
        "pay_by": invoice.due_date,
        "paid_at": invoice.paid_at,
        "cancelled_at": invoice.cancelled_at,
        "issued_again_as": invoice.replaced_by.ocr if invoice.replaced_by else "",
        "status": row.status,
    }


def _document(document: Document, path: str | None, user) -> dict:
    if document.generated_as:
        source, label = "portal", _("The portal (a letter to you)")
    elif document.unit is not None:
        source, label = "unit", document.unit.display_name
    elif document.uploaded_by_id == user.pk:
        source, label = "you", _("You")
    else:
        source, label = "representative", _("Another representative of the organisation")
    return {
        "name": document.name,
        "file": path,
        "kind": document.generated_as or "uploaded",
        "kind_label": document.get_generated_as_display(),
        "from": source,
        "from_label": label,
        "uploaded_at": document.uploaded_at,
        "content_type": document.content_type,
        "size": document.size,
        "sha256": document.sha256,
        "registration_number": document.registration_number,
        "answers_question": document.field_key,
    }


def _read(entry: AccessLogEntry, user) -> dict:
    return {
        "at": entry.at,
        "who": _("You") if entry.user_id == user.pk else _reader_name(entry.user),
        "through": entry.get_via_display(),
        "client": entry.api_client.name if entry.api_client else "",
        "what": entry.get_what_display(),
        "kind": entry.what,
        "step": entry.step.step_type.display_name if entry.step else "",
        "document": entry.document_name,
    }


def _account(holdings: _Holdings, applications: list, others: list, *, now) -> dict:
    user, person = holdings.user, holdings.person
    return {
        "exported_at": now,
        "account": {
            "username": user.get_username(),
            "first_name": user.first_name,
            "last_name": user.last_name,
            "email": user.email,
            "joined_at": user.date_joined,
            "last_signed_in_at": user.last_login,
        },
        "e_id": {
            # Shortened, as the portal always shows it to its holder (docs/records.md).
            "personal_identity_number": person.masked_number,
            "level_of_assurance": person.assurance,
            "last_signed_in_at": person.last_signed_in_at,
        }
        if person is not None
        else None,
        "organisations": [
            {
                "name": right.organisation.name,
                "number": right.organisation.number,
                "recorded": right.is_recorded,
                "how": right.get_basis_display()
                if right.is_recorded
                else _("Claimed when applying, not confirmed"),
                "recorded_at": right.recorded_at,
            }
            for right in holdings.representations
        ],
        "messages": [
            {
                "subject": message.subject,
                "body": message.body,
                "sent_at": message.created_at,
                "emailed_at": message.emailed_at,
                "application": message.journey.reference or "",
            }
            for message in holdings.messages
        ],
        "applications": [
            {
                "folder": row["folder"],
                "reference": row["reference"],
                "service": row["service"],
                "status": row["status_label"],
            }
            for row in applications
        ],
        "other_applications": [
            {"folder": row["folder"], "reference": row["reference"], "service": row["service"]}
            for row in others
        ],
    }
