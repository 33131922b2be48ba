"""Reading the retention rules against the records: what is due for disposal now (the sweep's
list and its dry run are this one list), and, for one journey or one applicant's journeys,
what is kept, under which rule and until when.

A journey follows the rules of its type's *current* version (journeys.retention): a disposal
decision revised later applies to the journeys already closed, as a new decision does in an
archive. Only a closed journey's records fall due, counted from the day it closed; a journey
on legal hold (records.LegalHold) has nothing due whatever its rules."""

import datetime as dt
import operator
from dataclasses import dataclass
from functools import reduce
from itertools import groupby

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from journeys.models import Document, Journey, JourneyType
from journeys.retention import (
    CASE,
    FROM_UNITS,
    KIND_LABELS,
    LETTER_KINDS,
    SENT_LATER,
    Retention,
    Rule,
    document_kind,
    kind_label,
)
from records.disposal_models import DisposalRecord, LegalHold

NOTHING = Q(pk__in=[])


@dataclass(frozen=True)
class Due:
    """One thing due for disposal (or, for an erased draft, to erase): a journey's case or one
    of its documents, the rule it falls under (None for a draft, which no rule keeps) and when
    it fell due."""

    journey: Journey
    rule: Rule | None
    due_at: dt.datetime
    document: Document | None = None

    @property
    def what(self) -> str:
        return "document" if self.document is not None else CASE

    @property
    def kind_name(self) -> str:
        """Its kind in the reader's words (an erased draft's items have no rule: the case)."""
        return kind_label(self.journey.journey_type, self.rule.scope if self.rule else CASE)

    @property
    def key(self) -> tuple:
        """What it is, to compare lists: the journey, and the case or the document."""
        return (self.journey.pk, self.what, self.document.pk if self.document else None)


def current_rules(slugs=None) -> dict[str, JourneyType]:
    """The current version of each journey type (of `slugs`, if given) that has rules."""
    types = JourneyType.objects.filter(is_current=True).exclude(retention={})
    if slugs is not None:
        types = types.filter(slug__in=set(slugs))
    return {journey_type.slug: journey_type for journey_type in types}


def _held(journey_path: str = "pk") -> Exists:
    return Exists(LegalHold.objects.active().filter(journey=OuterRef(journey_path)))


def _kind_condition(kind: str) -> Q:
    """The documents of a kind, as journeys.retention.document_kind sorts them."""
    if kind in LETTER_KINDS:
        return Q(generated_as=kind)
    uploaded = Q(generated_as="", field_key="")
    if kind == FROM_UNITS:
        return uploaded & Q(unit__isnull=False)
    if kind == SENT_LATER:
        return uploaded & Q(unit__isnull=True)
    return Q(generated_as="", field_key=kind)


def cases_due(*, now: dt.datetime, types: dict[str, JourneyType]) -> QuerySet[Journey]:
    """Closed journeys not on hold whose case's rule has fallen due and is not disposed of yet."""
    condition = NOTHING
    for slug, journey_type in types.items():
        if (cutoff := journey_type.rules.case.cutoff(now)) is not None:
            condition |= Q(journey_type__slug=slug, closed_at__lte=cutoff)
    return (
        Journey.objects.filter(condition, closed_at__isnull=False, disposed_at__isnull=True)
        .exclude(_held())
        .select_related("journey_type")
        .order_by("closed_at", "pk")
    )


def documents_due(*, now: dt.datetime, types: dict[str, JourneyType]) -> QuerySet[Document]:
    """Documents of closed journeys not on hold whose kind's rule has fallen due."""
    condition = NOTHING
    for slug, journey_type in types.items():
        rules: Retention = journey_type.rules
        of_type = Q(journey__journey_type__slug=slug)
        listed = []
        for kind, rule in rules.documents.items():
            listed.append(_kind_condition(kind))
            if (cutoff := rule.cutoff(now)) is not None:
                condition |= of_type & Q(journey__closed_at__lte=cutoff) & listed[-1]
        # Every kind not listed follows the case's rule.
        if (cutoff := rules.case.cutoff(now)) is not None:
            others = ~reduce(operator.or_, listed) if listed else Q()
            condition |= of_type & Q(journey__closed_at__lte=cutoff) & others
    return (
        Document.objects.filter(condition, journey__closed_at__isnull=False)
        .exclude(_held("journey"))
        .select_related("journey__journey_type")
        .defer("journey__data")
        .order_by("journey__closed_at", "journey_id", "pk")
    )


def _rule_of(document: Document, rules: Retention) -> Rule:
    kind = document_kind(
        generated_as=document.generated_as, field_key=document.field_key, unit_id=document.unit_id
    )
    return rules.for_kind(kind)


def disposal_due(*, now: dt.datetime, journeys: QuerySet[Journey] | None = None) -> list[Due]:
    """Everything due for disposal at `now` (of `journeys`, if given), journey by journey
    (those closed first first), each journey's documents before its case. The sweep disposes
    of exactly this list; its dry run prints it."""
    types = current_rules()
    cases, documents = cases_due(now=now, types=types), documents_due(now=now, types=types)
    if journeys is not None:
        cases = cases.filter(pk__in=journeys.values("pk"))
        documents = documents.filter(journey__in=journeys.values("pk"))
    items = []
    for document in documents:
        rule = _rule_of(document, types[document.journey.journey_type.slug].rules)
        items.append(Due(document.journey, rule, rule.due_at(document.journey.closed_at), document))
    for journey in cases:
        rule = types[journey.journey_type.slug].rules.case
        items.append(Due(journey, rule, rule.due_at(journey.closed_at)))
    # A rule's date is its own arithmetic; the queries' cut-offs are the same by construction.
    items = [item for item in items if item.due_at <= now]
    items.sort(key=lambda item: (item.journey.closed_at, item.journey.pk, item.what == CASE))
    return items


def by_journey(items: list[Due]) -> list[tuple[Journey, list[Due]]]:
    return [(journey, list(group)) for journey, group in groupby(items, key=lambda i: i.journey)]


@dataclass(frozen=True)
class Kept:
    """One of a journey's records as its rules treat it at a moment: the case or a document,
    its kind in words, its rule (None: no rule covers it), when it goes (None: never, or not
    known while the journey is open), whether a legal hold keeps it, and whether it is due."""

    journey: Journey
    label: str
    kind: str
    kind_name: str
    rule: Rule | None
    due_at: dt.datetime | None
    held: bool
    is_due: bool
    document: Document | None = None

    @property
    def what(self) -> str:
        return "document" if self.document is not None else CASE

    @property
    def goes(self) -> str:
        """When it goes, in words; empty when the date (due_at) says it."""
        if self.rule is None:
            return _("Not disposed of: no disposal decision covers this service")
        if self.held:
            return _("Not while the legal hold is in force")
        if self.rule.is_forever:
            return _("Never: kept for ever")
        if self.due_at is None:
            return _("Not known yet: counted from when the application is closed")
        if self.is_due:
            return _("Due now")
        return ""

    @property
    def as_data(self) -> dict:
        """As a request for erasure records it (ErasureRequest.kept)."""
        return {
            "journey": self.journey.reference or "",
            "what": self.kind,
            "name": self.label,
            "rule": self.rule.as_data if self.rule else {},
            "due_at": self.due_at.isoformat() if self.due_at else None,
            "held": self.held,
        }


def journeys_retention(
    journeys: list[Journey],
    *,
    now: dt.datetime,
    held: set[int] | None = None,
    types: dict[str, JourneyType] | None = None,
) -> dict[int, list[Kept]]:
    """Each journey's remaining records (its case unless disposed of, then its documents) with
    their rules and dates at `now`: a constant number of queries for any number of journeys.
    Each journey needs its journey type loaded and its documents prefetched. `held`: the
    journeys on hold, and `types`: current_rules() of their types, if the caller has them."""
    if types is None:
        types = current_rules(j.journey_type.slug for j in journeys)
    if held is None:
        held = set(
            LegalHold.objects.active()
            .filter(journey__in=[j.pk for j in journeys])
            .values_list("journey_id", flat=True)
        )
    plan = {}
    for journey in journeys:
        current = types.get(journey.journey_type.slug)
        rules = current.rules if current is not None else None
        on_hold = journey.pk in held
        records = [(CASE, str(KIND_LABELS[CASE]), None)] if journey.disposed_at is None else []
        for document in journey.documents.all():
            kind = document_kind(
                generated_as=document.generated_as,
                field_key=document.field_key,
                unit_id=document.unit_id,
            )
            records.append((kind, document.name, document))
        items = []
        for kind, label, document in records:
            rule = (rules.case if kind == CASE else rules.for_kind(kind)) if rules else None
            due_at = rule.due_at(journey.closed_at) if rule else None
            items.append(
                Kept(
                    journey=journey,
                    label=label,
                    kind=kind,
                    kind_name=kind_label(current or journey.journey_type, kind),
                    rule=rule,
                    due_at=due_at,
                    held=on_hold,
                    is_due=due_at is not None and due_at <= now and not on_hold,
                    document=document,
                )
            )
        plan[journey.pk] = items
    return plan


def rules_table(journey_type: JourneyType) -> list[tuple[str, str]]:
    """A journey type's rules, each kind in words with its rule's description (the type given
    is a current version with rules: current_rules)."""
    rules = journey_type.rules
    rows = [(str(KIND_LABELS[CASE]), rules.case.description)]
    rows += [
        (kind_label(journey_type, kind), rule.description) for kind, rule in rules.documents.items()
    ]
    return rows


def disposal_due_page(*, now: dt.datetime, limit: int) -> tuple[list[Due], int]:
    """The first `limit` things due (as disposal_due orders them) and how many are due in
    all: the register page's dry run, in a constant number of queries."""
    types = current_rules()
    cases, documents = cases_due(now=now, types=types), documents_due(now=now, types=types)
    total = cases.count() + documents.count()
    items = []
    for document in documents[:limit]:
        rule = _rule_of(document, types[document.journey.journey_type.slug].rules)
        items.append(Due(document.journey, rule, rule.due_at(document.journey.closed_at), document))
    for journey in cases[:limit]:
        rule = types[journey.journey_type.slug].rules.case
        items.append(Due(journey, rule, rule.due_at(journey.closed_at)))
    items.sort(key=lambda item: (item.journey.closed_at, item.journey.pk, item.what == CASE))
    return items[:limit], total


def disposal_records(journey: Journey | None = None) -> QuerySet[DisposalRecord]:
    """What was disposed of (of `journey`, if given), newest first, with the journey's type."""
    records = DisposalRecord.objects.select_related("journey__journey_type").defer("journey__data")
    if journey is not None:
        records = records.filter(journey=journey)
    return records.order_by("-at", "-id")
