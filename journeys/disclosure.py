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
"""

from dataclasses import dataclass

from accounts.models import Person
from journeys.definitions import APPLICANT_IDENTITY_NUMBER
from journeys.models import Document, Journey, JourneyEvent, Step
from units.roles import roles_of


@dataclass(frozen=True)
class Disclosure:
    """The part of one journey's data that one reader may see."""

    fields: frozenset[str]
    step_ids: frozenset[int]  # steps whose documents and request answers the reader sees
    everything: bool = False
    applicant: bool = False  # the reader is the person who applied

    def shows_event(self, event: JourneyEvent) -> bool:
        """Whether the event's message may be shown: answers and document names are the
        applicant's data, seen by the units of the steps they belong to."""
        return (
            self.everything
            or event.kind not in JourneyEvent.APPLICANT_DATA_KINDS
            or event.step_id in self.step_ids
        )


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
    return Disclosure(fields=frozenset(fields), step_ids=frozenset(s.pk for s in own))


def consultation_disclosure(consultation) -> Disclosure:
    """What a consulted unit sees on the consultation: the shared fields and those the asking
    step needs, no more (no documents, no answers to information requests)."""
    journey = consultation.step.journey
    return Disclosure(
        fields=shared_fields(journey) | frozenset(consultation.step.step_type.needs),
        step_ids=frozenset(),
    )


def disclosed_answers(journey: Journey, disclosure: Disclosure) -> list[dict]:
    """The answers the reader may see, labelled in the reader's language, in the form's order."""
    return [
        {"key": f["key"], "label": f["label"], "value": journey.data.get(f["key"])}
        for f in journey.journey_type.display_fields
        if disclosure.everything or f["key"] in disclosure.fields
    ]


def disclosed_documents(journey: Journey, disclosure: Disclosure):
    """The journey's documents the reader may see: those attached to the reader's steps."""
    documents = Document.objects.filter(journey=journey)
    if not disclosure.everything:
        documents = documents.filter(steps__in=disclosure.step_ids).distinct()
    return documents


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
