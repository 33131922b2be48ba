"""What each reader sees of a journey's applicant data (DESIGN.md, "Access", field level).

The applicant sees all of it. A unit's caseworkers and lead see the fields that the steps of
their unit in the journey need, plus the fields the journey type marks as shared, and the
documents and answers to information requests of their own steps. Coordinators see the shared
fields only: they follow the journey, they do not decide its steps. Pages, e-mails, exports
and any later API ask this module, so one rule holds everywhere.
"""

from dataclasses import dataclass

from journeys.models import Document, Journey, JourneyEvent, Step
from units.roles import roles_of


@dataclass(frozen=True)
class Disclosure:
    """The part of one journey's data that one reader may see."""

    fields: frozenset[str]
    step_ids: frozenset[int]  # steps whose documents and request answers the reader sees
    everything: bool = False

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
    if user.is_authenticated and journey.applicant_id == user.pk:
        return Disclosure(
            fields=frozenset(f["key"] for f in journey.journey_type.fields),
            step_ids=frozenset(),
            everything=True,
        )
    roles = roles_of(user)
    if steps is None:
        steps = list(journey.steps.select_related("step_type"))
    own = [s for s in steps if s.unit_id in roles.unit_ids and s.status != Step.Status.WAITING]
    fields = set(shared_fields(journey)) if (own or roles.is_coordinator) else set()
    for step in own:
        fields.update(step.step_type.needs)
    return Disclosure(fields=frozenset(fields), step_ids=frozenset(s.pk for s in own))


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
