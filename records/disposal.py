"""Disposal under the retention rules, the one way a journey's records go: the sweep (beat and
`manage.py disposal_sweep`, with a dry run), legal holds that stop it, and an applicant's
request for erasure, which disposes of at once what no rule keeps.

Disposing of a document deletes its row and, once that is committed, its file. Disposing of a
case replaces its personal data with the marker "[disposed]": the answers, what was written in
it (requests and their answers, messages both ways, consultations, decision reasons and
notes, the reasons of secrecy markings) and the event log's messages (the one change the
append-only log allows, and only here: journeys.services.events.event_messages_dispose).
What stays is the journey's skeleton: its reference, type, applicant, status and dates, its
steps with their units, dates and registration numbers, the event log's kinds, times and
actors, invoices (kept by the bookkeeping rules), and the documents whose own rule keeps them
longer. Each thing disposed of leaves a DisposalRecord (append-only): what, when, under which
rule and decision, and for a document its register entry."""

import datetime as dt
import logging
from collections.abc import Iterable

from django.db import transaction

from journeys.models import (
    ApplicantMessage,
    Consultation,
    ConversationMessage,
    InformationRequest,
    Journey,
    JourneyEvent,
    SecrecyMarking,
    Step,
)
from journeys.retention import CASE, DISPOSED
from journeys.services.events import event_messages_dispose, journey_event_record
from records.disposal_models import DisposalRecord, ErasureRequest, LegalHold
from records.retention import Due, by_journey, current_rules, disposal_due, journeys_retention

logger = logging.getLogger(__name__)

# The texts of a case, model by model, that its disposal replaces (where not empty).
CASE_TEXTS = [
    (Step, "journey", ["reasons", "appeal_instructions", "delay_reason", "review_reason"]),
    (Step, "journey", ["communication_note"]),
    (InformationRequest, "step__journey", ["answer"]),
    (Consultation, "step__journey", ["question", "answer"]),
    (ConversationMessage, "journey", ["body"]),
    (ApplicantMessage, "journey", ["subject", "body"]),
    (SecrecyMarking, "journey", ["reason", "removal_reason"]),
]


class NotHeld(Exception):
    """The journey has no legal hold in force to lift."""


class AlreadyHeld(Exception):
    """The journey already has a legal hold in force."""


def _case_dispose(journey: Journey) -> None:
    """Replace the case's personal data with the marker; the skeleton stays."""
    journey.data = dict.fromkeys(journey.data, DISPOSED)
    for model, path, fields in CASE_TEXTS:
        for field in fields:
            model.objects.filter(**{path: journey}).exclude(**{field: ""}).update(
                **{field: DISPOSED}
            )
    # What a unit asked for is a list of texts: each becomes the marker.
    for request in InformationRequest.objects.filter(step__journey=journey).only("items"):
        InformationRequest.objects.filter(pk=request.pk).update(
            items=[DISPOSED for _item in request.items]
        )
    event_messages_dispose(journey=journey)


def _record(journey: Journey, item: Due, *, now, basis, erasure_request, source) -> DisposalRecord:
    """`source`: the journey type version whose rules applied (its slug's current one)."""
    document = item.document
    return DisposalRecord(
        journey=journey,
        journey_reference=journey.reference or "",
        at=now,
        what=DisposalRecord.What.DOCUMENT if document else DisposalRecord.What.CASE,
        basis=basis,
        kind=item.kind,
        rule=item.rule.as_data if item.rule else {},
        journey_type_version=(source or journey.journey_type).version,
        disposal_decision=source.disposal_decision if item.rule and source else "",
        due_at=item.due_at,
        document_id=document.pk if document else None,
        registration_number=document.registration_number if document else "",
        sha256=document.sha256 if document else "",
        size=document.size if document else None,
        received_at=document.uploaded_at if document else None,
        erasure_request=erasure_request,
    )


@transaction.atomic
def journey_dispose(
    *,
    journey: Journey,
    items: list[Due],
    now: dt.datetime,
    by=None,
    basis: str = DisposalRecord.Basis.RULE,
    erasure_request: ErasureRequest | None = None,
) -> list[DisposalRecord]:
    """Dispose of `items` (all of one journey): under the journey's lock, nothing if a legal
    hold is in force, and only what is still there (safe to run twice). Writes a record per
    thing disposed of and one event on the journey's log. Files go after commit."""
    journey = (
        Journey.objects.select_for_update(of=("self",))
        .select_related("journey_type")
        .get(pk=journey.pk)
    )
    if LegalHold.objects.active().filter(journey=journey).exists():
        return []
    source = current_rules([journey.journey_type.slug]).get(journey.journey_type.slug)
    wanted = {item.document.pk for item in items if item.document is not None}
    documents = {d.pk: d for d in journey.documents.filter(pk__in=wanted)}
    records, files = [], []
    for item in items:
        if item.document is not None:
            document = documents.get(item.document.pk)
            if document is None:
                continue  # disposed of meanwhile
            item = Due(journey, item.rule, item.due_at, document)
            records.append(
                _record(
                    journey,
                    item,
                    now=now,
                    basis=basis,
                    erasure_request=erasure_request,
                    source=source,
                )
            )
            files.append((document.file.storage, document.file.name))
            # A secrecy marking is about its document and goes with it (the marking and its
            # removal stay in the event log, whose messages go with the case).
            SecrecyMarking.objects.filter(document=document).delete()
            document.delete()
        elif journey.disposed_at is None:
            _case_dispose(journey)
            journey.disposed_at = now
            journey.save(update_fields=["data", "disposed_at"])
            records.append(
                _record(
                    journey,
                    item,
                    now=now,
                    basis=basis,
                    erasure_request=erasure_request,
                    source=source,
                )
            )
    if not records:
        return []
    DisposalRecord.objects.bulk_create(records)
    journey_event_record(
        journey=journey,
        kind=JourneyEvent.Kind.DISPOSED,
        actor=by,
        now=now,
        visible_to_applicant=True,
    )
    transaction.on_commit(lambda: _files_delete(files))
    return records


def _files_delete(files: Iterable[tuple]) -> None:
    """Delete disposed-of documents' files (after their rows are gone for good). A file that
    cannot be deleted is logged, for the operator to remove: the record says it was disposed
    of, and nothing serves a file without its row."""
    for storage, name in files:
        try:
            storage.delete(name)
        except OSError as error:
            logger.error("disposed-of document file %s not deleted: %s", name, error)


def disposal_sweep(*, now: dt.datetime, dry_run: bool = False) -> list[Due] | list[DisposalRecord]:
    """Dispose of everything due at `now` (records.retention.disposal_due), journey by journey,
    each in its own transaction. With `dry_run`, change nothing and return what would go."""
    due = disposal_due(now=now)
    if dry_run:
        return due
    disposed = []
    for journey, items in by_journey(due):
        disposed += journey_dispose(journey=journey, items=items, now=now)
    return disposed


@transaction.atomic
def legal_hold_set(*, journey: Journey, by, reason: str, now: dt.datetime) -> LegalHold:
    """Hold the journey's records: nothing is disposed of until the hold is lifted."""
    journey = Journey.objects.select_for_update(of=("self",)).get(pk=journey.pk)
    if LegalHold.objects.active().filter(journey=journey).exists():
        raise AlreadyHeld
    hold = LegalHold.objects.create(journey=journey, reason=reason, set_by=by, set_at=now)
    journey_event_record(
        journey=journey,
        kind=JourneyEvent.Kind.LEGAL_HOLD_SET,
        actor=by,
        now=now,
        message=reason,
        visible_to_applicant=False,
    )
    return hold


@transaction.atomic
def legal_hold_lift(*, journey: Journey, by, reason: str, now: dt.datetime) -> LegalHold:
    """Lift the hold in force: the journey's records follow their rules again (what fell due
    meanwhile goes at the next sweep)."""
    journey = Journey.objects.select_for_update(of=("self",)).get(pk=journey.pk)
    hold = LegalHold.objects.active().filter(journey=journey).first()
    if hold is None:
        raise NotHeld
    LegalHold.objects.filter(pk=hold.pk, lifted_at__isnull=True).update(
        lifted_at=now, lifted_by=by, lift_reason=reason
    )
    journey_event_record(
        journey=journey,
        kind=JourneyEvent.Kind.LEGAL_HOLD_LIFTED,
        actor=by,
        now=now,
        message=reason,
        visible_to_applicant=False,
    )
    hold.refresh_from_db()
    return hold


def applicant_journeys(user):
    """The journeys a request for erasure covers: those the person applied with (for
    themselves or for an organisation), drafts erased before apart."""
    return (
        Journey.objects.filter(applicant=user)
        .exclude(status=Journey.Status.DRAFT, disposed_at__isnull=False)
        .select_related("journey_type")
        .prefetch_related("documents")
        .order_by("-created_at", "-pk")
    )


def erasure_preview(*, user, now: dt.datetime) -> tuple[list[Journey], list, list]:
    """What a request for erasure would do now: the drafts it would erase, the records it
    would dispose of at once (due under their rules), and what it keeps (Kept items with
    their rule and the date each goes)."""
    journeys = list(applicant_journeys(user))
    drafts = [j for j in journeys if j.status == Journey.Status.DRAFT]
    plan = journeys_retention([j for j in journeys if j not in drafts], now=now)
    items = [item for items in plan.values() for item in items]
    return drafts, [i for i in items if i.is_due], [i for i in items if not i.is_due]


@transaction.atomic
def erasure_request_make(*, user, now: dt.datetime) -> ErasureRequest:
    """The applicant asks for erasure: their drafts (never sent, so no official document and
    no rule keeps them) are erased, and what is due under its rule is disposed of now rather
    than at the next sweep; the rest is kept, and the request records what and until when."""
    drafts, due, kept = erasure_preview(user=user, now=now)
    request = ErasureRequest.objects.create(user=user, at=now, kept=[i.as_data for i in kept])
    for draft in drafts:
        items = [Due(draft, None, now, document) for document in draft.documents.all()]
        items.append(Due(draft, None, now))
        journey_dispose(
            journey=draft,
            items=items,
            now=now,
            by=user,
            basis=DisposalRecord.Basis.ERASURE,
            erasure_request=request,
        )
    for journey, items in by_journey(
        sorted(
            (Due(i.journey, i.rule, i.due_at, i.document) for i in due),
            key=lambda d: (d.journey.pk, d.what == CASE),
        )
    ):
        journey_dispose(journey=journey, items=items, now=now, by=user, erasure_request=request)
    return request
