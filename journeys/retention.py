"""Retention rules as data: how long a journey type's records are kept, written with the type.

A journey type's definition may carry a `retention` mapping:

    retention:
      decision: {en: "Records plan ... disposal decision 2026:1", sv: "..."}
      case: {years: 10}            # the answers and everything written in the case
      documents:                   # by kind; a kind not listed follows `case`
        decision_letter: forever
        floor_plan: {years: 10}
        menu: at_decision

A rule is `forever` (kept for ever: archived, never disposed of), `at_decision` (disposed of
as soon as the journey is closed by its decision, or withdrawn) or `{years: N}` (N years after
the journey closed). A journey type without `retention` has no disposal decision, and nothing
of its journeys is ever disposed of. The document kinds are the portal's letters
(LETTER_KINDS), the type's file questions (by key) and the documents sent later
(OTHER_KINDS). records/ disposes of what is due (records.disposal); this module only reads,
checks and dates the rules, so that journeys/definitions.py can check them like the rest."""

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

# What a disposed-of text becomes: the journey's answers, the texts of its case and the
# messages of its event log (the database lets the disposal write this and nothing else into
# an event: migration 0029).
DISPOSED = "[disposed]"

FOREVER = "forever"
AT_DECISION = "at_decision"
YEARS = "years"
CASE = "case"
RETENTION_KEYS = {"decision", CASE, "documents"}
# The portal's own letters (Document.GeneratedAs) ...
DECISION_LETTER = "decision_letter"
SUPERSEDED_LETTER = "superseded_letter"
RECEIPT = "receipt"
LETTER_KINDS = (DECISION_LETTER, SUPERSEDED_LETTER, RECEIPT)
# ... letters printed again from the case when missing: kept at least as long as the case.
REPRINTED_KINDS = (DECISION_LETTER, RECEIPT)
# ... and the documents sent after the application, by the applicant (with an answer to a
# request, in a message) or added by a unit to its case.
SENT_LATER = "sent_later"
FROM_UNITS = "from_units"
OTHER_KINDS = (SENT_LATER, FROM_UNITS)

KIND_LABELS = {
    CASE: _("The answers and everything written in the case"),
    DECISION_LETTER: _("Decision letters"),
    SUPERSEDED_LETTER: _("Decision letters of reopened decisions"),
    RECEIPT: _("The receipt"),
    SENT_LATER: _("Documents the applicant sent later"),
    FROM_UNITS: _("Documents the units added"),
}


def kind_label(journey_type, kind: str) -> str:
    """A kind in the reader's words: a file question's label (from the journey type's
    display_fields), or one of the portal's kinds."""
    for field in journey_type.display_fields:
        if field["key"] == kind:
            return field["label"]
    return str(KIND_LABELS.get(kind, kind))


def document_kind(*, generated_as: str, field_key: str, unit_id: int | None) -> str:
    """The kind a document's rule is looked up by (the arguments are Document's columns)."""
    if generated_as:
        return generated_as
    if field_key:
        return field_key
    return FROM_UNITS if unit_id is not None else SENT_LATER


def years_after(moment: dt.datetime, years: int) -> dt.datetime:
    """The same moment `years` later; 29 February becomes 1 March in a year without one."""
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:
        return moment.replace(year=moment.year + years, month=3, day=1)


def years_before(moment: dt.datetime, years: int) -> dt.datetime:
    """The earliest moment that is `years` before `moment` by years_after's count (so that a
    journey closed on or before it is due: years_after(closed, n) <= moment)."""
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:  # 29 February: anything closed up to 28 February is due by 1 March's rule
        return moment.replace(year=moment.year - years, day=28)


@dataclass(frozen=True)
class Rule:
    """One rule: what it covers (`scope`: "case" or a document kind) and how long it keeps it."""

    scope: str
    keep: str
    years: int | None = None

    @classmethod
    def of(cls, scope: str, value: dict) -> "Rule":
        return cls(scope=scope, keep=value["keep"], years=value.get("years"))

    @property
    def as_data(self) -> dict:
        return {"keep": self.keep, **({"years": self.years} if self.keep == YEARS else {})}

    @property
    def is_forever(self) -> bool:
        return self.keep == FOREVER

    def due_at(self, closed_at: dt.datetime | None) -> dt.datetime | None:
        """When what it covers falls due; None: never, or not known while the journey is open."""
        if closed_at is None or self.is_forever:
            return None
        return closed_at if self.keep == AT_DECISION else years_after(closed_at, self.years)

    def cutoff(self, now: dt.datetime) -> dt.datetime | None:
        """Journeys closed on or before this are due under the rule at `now`; None: never."""
        if self.is_forever:
            return None
        return now if self.keep == AT_DECISION else years_before(now, self.years)

    def outlasts(self, other: "Rule") -> bool:
        """Keeps at least as long as `other` does."""
        if self.is_forever or other.keep == AT_DECISION:
            return True
        if other.is_forever or self.keep == AT_DECISION:
            return False
        return self.years >= other.years

    @property
    def description(self) -> str:
        """The rule in the reader's language: "Kept for 10 years after the application was
        closed" (the applicant's word for the journey)."""
        if self.is_forever:
            return str(_("Kept for ever (archived)"))
        if self.keep == AT_DECISION:
            return str(_("Disposed of when the application is closed"))
        return ngettext(
            "Kept for %(years)d year after the application was closed",
            "Kept for %(years)d years after the application was closed",
            self.years,
        ) % {"years": self.years}


@dataclass(frozen=True)
class Retention:
    """A journey type's rules, as stored on JourneyType.retention (retention_normalise)."""

    case: Rule
    documents: dict[str, Rule]

    @classmethod
    def of(cls, stored: dict) -> "Retention | None":
        """The rules stored on a journey type; None for a type without (nothing is disposed)."""
        if not stored:
            return None
        return cls(
            case=Rule.of(CASE, stored[CASE]),
            documents={kind: Rule.of(kind, v) for kind, v in stored.get("documents", {}).items()},
        )

    def for_kind(self, kind: str) -> Rule:
        """The rule of a document kind: its own, or the case's (as a rule of that kind)."""
        if kind in self.documents:
            return self.documents[kind]
        return Rule(scope=kind, keep=self.case.keep, years=self.case.years)


def _rule_value(value) -> dict | None:
    """A rule as written (`forever`, `at_decision`, `{years: N}`), normalised; None if neither."""
    if value in (FOREVER, AT_DECISION):
        return {"keep": value}
    if isinstance(value, dict) and set(value) == {YEARS}:
        years = value[YEARS]
        if isinstance(years, int) and not isinstance(years, bool) and years > 0:
            return {"keep": YEARS, "years": years}
    return None


RULE_FORMS = "'forever', 'at_decision' or {years: N} with N a whole number above 0"


def retention_problems(value, *, file_fields: set[str]) -> list[tuple[str, str]]:
    """What is wrong with a definition's `retention` (where, problem); empty if nothing."""
    where = "retention"
    if not isinstance(value, dict):
        return [(where, "must be a mapping with 'decision', 'case' and, if wanted, 'documents'")]
    problems = []
    if unknown := set(value) - RETENTION_KEYS:
        problems.append((where, f"unknown key(s) {', '.join(sorted(map(str, unknown)))}"))
    if not value.get("decision"):
        problems.append((where, "'decision' is missing: name the disposal decision it follows"))
    if CASE not in value:
        problems.append((where, "'case' is missing"))
    elif _rule_value(value[CASE]) is None:
        problems.append((f"{where}.case", f"must be {RULE_FORMS}"))
    documents = value.get("documents", {})
    if not isinstance(documents, dict):
        return [*problems, (f"{where}.documents", "must be a mapping of document kinds to rules")]
    kinds = {*LETTER_KINDS, *OTHER_KINDS, *file_fields}
    for kind, rule in documents.items():
        if kind not in kinds:
            problems.append(
                (
                    f"{where}.documents",
                    f"unknown document kind '{kind}': the kinds are {', '.join(sorted(kinds))} "
                    "(a file question's key, or a kind of the portal's)",
                )
            )
        elif _rule_value(rule) is None:
            problems.append((f"{where}.documents.{kind}", f"must be {RULE_FORMS}"))
    if problems:
        return problems
    stored = retention_normalise(value)
    rules = Retention.of(stored)
    for kind in REPRINTED_KINDS:
        if not rules.for_kind(kind).outlasts(rules.case):
            problems.append(
                (
                    f"{where}.documents.{kind}",
                    "must keep at least as long as 'case': the portal prints a missing "
                    "letter again from the case",
                )
            )
    return problems


def retention_normalise(value: dict) -> dict:
    """A checked `retention` as stored on the journey type (its decision text apart)."""
    return {
        CASE: _rule_value(value[CASE]),
        "documents": {kind: _rule_value(rule) for kind, rule in value.get("documents", {}).items()},
    }
