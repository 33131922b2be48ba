"""What each reader sees of a journey's applicant data (DESIGN.md, "Access", field level).

The applicant sees all of it, and so does every representative of the organisation applied for
whose right is recorded. A unit's caseworkers and lead see the fields that the steps of their
unit in the journey need, plus the fields the journey type marks as shared, and the documents
and answers to information requests of their own steps. Coordinators see the shared fields only:
they follow the journey, they do not decide its steps. Pages, e-mails, exports and any later
API ask this module, so one rule holds everywhere.

The organisation applied for is seen with the type's organisation-number field: by the
applicant's side and by the units whose steps need that field.

The applicant's personal identity number (from their e-ID) is a field like the others, named
`applicant_identity_number`: a unit sees it where one of its steps `needs` it. Its holder sees
it masked (YYYYMMDD-****); nobody else sees it, other representatives neither.

Secrecy (SecrecyMarking) narrows all of this: a document or an answer a unit has marked as
secret is withheld from every reader but that unit's members and the applicant's side (secrecy
for a person's own protection does not apply against them, OSL 12 kap. 1 §): from other units'
case pages and API clients, from consultations, from coordinators and from public-access
copies. A file answer's value is its document's name, so a marked document withholds that
answer too. The events that may name a withheld item (a document added, an answer changed)
lose their message for such a reader, and a marking's own events are the marking unit's. The
marking unit's readers see the item with its marking (`secret_fields`, `secret_documents`),
and every showing of it is logged (records.services).
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from accounts.models import Person
from journeys.definitions import APPLICANT_IDENTITY_NUMBER
from journeys.models import Document, Journey, JourneyEvent, SecrecyMarking, Step
from units.roles import roles_of


@dataclass(frozen=True)
class Disclosure:
    """The part of one journey's data that one reader may see."""

    fields: frozenset[str]  # less those withheld by secrecy
    step_ids: frozenset[int]  # steps whose documents and request answers the reader sees
    everything: bool = False
    applicant: bool = False  # the reader is the person who applied
    # Items another unit marked as secret: never shown to this reader.
    withheld_fields: frozenset[str] = frozenset()
    withheld_document_ids: frozenset[int] = frozenset()
    # Items the reader's own unit marked, by field key and by document id: shown, tagged.
    secret_fields: Mapping[str, SecrecyMarking] = field(default_factory=dict)
    secret_documents: Mapping[int, SecrecyMarking] = field(default_factory=dict)

    def shows_event(self, event: JourneyEvent) -> bool:
        """Whether the event's message may be shown: answers and document names are the
        applicant's data, seen by the units of the steps they belong to; a marking's reason
        is its unit's; and while an item is withheld from the reader, no message that may
        name it (a document added, an answer changed) is shown."""
        if self.everything:
            return True
        if event.kind in JourneyEvent.SECRECY_KINDS:
            return event.step_id in self.step_ids
        if self.withheld_document_ids and event.kind == JourneyEvent.Kind.DOCUMENT_ADDED:
            return False
        if self.withheld_fields and event.kind == JourneyEvent.Kind.ANSWER_CHANGED:
            return False
        return event.kind not in JourneyEvent.APPLICANT_DATA_KINDS or event.step_id in self.step_ids


def shared_fields(journey: Journey) -> frozenset[str]:
    return frozenset(f["key"] for f in journey.journey_type.fields if f.get("shared"))


def journey_disclosure(journey: Journey, user, *, steps: list[Step] | None = None) -> Disclosure:
    """What `user` may see of `journey`'s data. Pass the journey's steps (with step types)
    when the page has read them already."""
    if user.is_authenticated and (
        journey.applicant_id == user.pk
        or (
            journey.organisation_id is not None
            and Journey.objects.acting_for(user).filter(pk=journey.pk).exists()
        )
    ):
        return Disclosure(
            fields=frozenset(f["key"] for f in journey.journey_type.fields),
            step_ids=frozenset(),
            everything=True,
            applicant=journey.applicant_id == user.pk,
        )
    roles = roles_of(user)
    if steps is None:
        steps = list(journey.steps.select_related("step_type"))
    own = [s for s in steps if s.unit_id in roles.unit_ids and s.status != Step.Status.WAITING]
    fields = set(shared_fields(journey)) if (own or roles.is_coordinator) else set()
    for step in own:
        fields.update(step.step_type.needs)
    return _with_secrecy(
        journey,
        fields=fields,
        step_ids=frozenset(s.pk for s in own),
        unit_ids=roles.unit_ids,
    )


def consultation_disclosure(consultation) -> Disclosure:
    """What a consulted unit sees on the consultation: the shared fields and those the asking
    step needs, no more (no documents, no answers to information requests), and nothing
    another unit marked as secret (the asking unit's markings included)."""
    journey = consultation.step.journey
    return _with_secrecy(
        journey,
        fields=shared_fields(journey) | frozenset(consultation.step.step_type.needs),
        step_ids=frozenset(),
        unit_ids=frozenset([consultation.unit_id]),
    )


def _with_secrecy(journey: Journey, *, fields, step_ids, unit_ids) -> Disclosure:
    """The disclosure of `fields` and `step_ids`' documents to a reader of the units
    `unit_ids`, less what other units marked as secret (one query)."""
    withheld_fields, withheld_documents = set(), set()
    secret_fields, secret_documents = {}, {}
    markings = (
        SecrecyMarking.objects.standing()
        .filter(journey=journey)
        .select_related("ground", "document")
    )
    for marking in markings:
        own = marking.unit_id in unit_ids
        if marking.document_id is not None:
            if own:
                secret_documents[marking.document_id] = marking
            else:
                withheld_documents.add(marking.document_id)
                if marking.document.field_key:  # a file answer's value is the file's name
                    withheld_fields.add(marking.document.field_key)
        elif own:
            secret_fields[marking.field_key] = marking
        else:
            withheld_fields.add(marking.field_key)
    return Disclosure(
        fields=frozenset(set(fields) - withheld_fields),
        step_ids=frozenset(step_ids),
        withheld_fields=frozenset(withheld_fields),
        withheld_document_ids=frozenset(withheld_documents),
        secret_fields=secret_fields,
        secret_documents=secret_documents,
    )


def disclosed_answers(journey: Journey, disclosure: Disclosure) -> list[dict]:
    """The answers the reader may see, labelled in the reader's language, in the form's order;
    `secret`: the reader's own unit's marking of it, if any."""
    return [
        {
            "key": f["key"],
            "label": f["label"],
            "value": journey.data.get(f["key"]),
            "secret": disclosure.secret_fields.get(f["key"]),
        }
        for f in journey.journey_type.display_fields
        if disclosure.everything or f["key"] in disclosure.fields
    ]


def disclosed_documents(journey: Journey, disclosure: Disclosure):
    """The journey's documents the reader may see: those attached to the reader's steps and
    not marked as secret by another unit."""
    documents = Document.objects.filter(journey=journey)
    if not disclosure.everything:
        documents = documents.filter(steps__in=disclosure.step_ids).distinct()
    if disclosure.withheld_document_ids:
        documents = documents.exclude(pk__in=disclosure.withheld_document_ids)
    return documents


def secret_shown(
    disclosure: Disclosure, *, answers: Iterable[dict] = (), documents: Iterable = ()
) -> list[SecrecyMarking]:
    """The markings of the answers and documents a read showed (the access log records each)."""
    shown = [
        disclosure.secret_fields[answer["key"]]
        for answer in answers
        if answer["key"] in disclosure.secret_fields
    ]
    shown += [
        disclosure.secret_documents[document.pk]
        for document in documents
        if document.pk in disclosure.secret_documents
    ]
    return shown


def disclosed_identity_number(journey: Journey, disclosure: Disclosure) -> str | None:
    """The organisation applied for is seen with the type's organisation-number field: by the
    applicant's side and by the units whose steps need that field.

    The applicant's personal identity number as this reader may see it: masked for the
        applicant, whole for a unit whose step needs it, otherwise None (also when the applicant
        has none: a local account)."""
    if not (disclosure.applicant or APPLICANT_IDENTITY_NUMBER in disclosure.fields):
        return None
    person = Person.objects.filter(user_id=journey.applicant_id).first()
    if person is None:
        return None
    return person.masked_number if disclosure.applicant else person.personal_identity_number


def disclosed_organisation(journey: Journey, disclosure: Disclosure):
    """The organisation applied for, if this reader sees the journey's organisation number."""
    if journey.organisation_id is None:
        return None
    if disclosure.everything or any(
        field.get("kind") == "orgnr" and field["key"] in disclosure.fields
        for field in journey.journey_type.fields
    ):
        return journey.organisation
    return None
