"""A unit's queue: its filters, rows in queue order and capped counts, and the lead's workload,
each in a constant number of queries."""

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from journeys.counting import capped_counts
from journeys.disclosure import Disclosure
from journeys.freshness import LIST_FRESH_AT_MOST
from journeys.models import Consultation, ConversationMessage, Document, SecrecyMarking, Step
from journeys.services import markable_field
from journeys.templatetags.people import STAFF_NAME_RELATED
from units import calendars
from units.models import Membership, Unit

QUEUE_FILTERS = {
    "all": _("All"),
    "new": _("New"),
    "in_progress": _("In progress"),
    "mine": _("Mine"),
    "waiting": _("Waiting for the applicant"),
    "messages": _("New messages"),
    "overdue": _("Overdue"),
    "due_soon": _("Due within 7 days"),
}


def queue_conditions(*, user, now: dt.datetime) -> dict[str, Q]:
    """Each filter of a unit's queue, the queue itself included. A filter on one status names
    that status alone: with "status IN (the queue's three) AND status = one" PostgreSQL
    neither reads the (unit, status, due date) index in order nor estimates the rows well,
    and sorted all 8,560 waiting cases of a unit at a million journeys to show 25."""
    in_queue = Q(status__in=Step.ACTIVE_STATUSES)
    return {
        "all": in_queue,
        "new": Q(status=Step.Status.QUEUED),
        "in_progress": Q(status=Step.Status.IN_PROGRESS),
        "mine": in_queue & Q(assignee=user),
        "waiting": Q(status=Step.Status.WAITING_FOR_APPLICANT),
        # Any step of the unit's the applicant wrote about, decided ones too, that nobody in the
        # unit has read yet: a handful of rows, read off their partial index.
        "messages": Q(pk__in=unread_messages().values("step_id")) & ~Q(status=Step.Status.WAITING),
        "overdue": in_queue & Q(due_at__lt=now),
        "due_soon": in_queue & Q(due_at__gte=now, due_at__lt=now + dt.timedelta(days=7)),
    }


def unread_messages():
    """The applicants' messages nobody in the step's unit has read yet."""
    return ConversationMessage.objects.filter(from_applicant=True, read_at__isnull=True)


def unit_queue(unit: Unit, *, user=None, now: dt.datetime | None = None, filter: str = "all"):
    """The unit's received, in-progress and waiting steps, earliest due first, each marked
    `has_new_messages` (in the same query: the database asks only for the rows of the page)."""
    conditions = queue_conditions(user=user, now=now or timezone.now())
    steps = Step.objects.for_unit(unit).filter(conditions[filter])
    # Only the columns a queue row shows (the unit lead's workload page too): each column read
    # is a value converted, and 25 rows of four models cost more than the query behind them.
    return (
        steps.select_related("journey", "step_type", f"assignee__{STAFF_NAME_RELATED}")
        .only(*QUEUE_COLUMNS)
        .annotate(has_new_messages=Exists(unread_messages().filter(step=OuterRef("pk"))))
        .queue_order()
    )


QUEUE_COLUMNS = [
    "status",
    "version",
    "activated_at",
    "due_at",
    "unit",
    "journey__reference",
    "step_type__name",
    "step_type__translations",
    "assignee__username",
    # An API client's account is named by its unit (journeys.templatetags.people).
    "assignee__api_client__name",
    "assignee__api_client__unit__name",
    "assignee__api_client__unit__translations",
]


def unit_queue_counts(unit: Unit, *, user, now: dt.datetime) -> dict[str, int]:
    """How many cases each queue filter shows (capped: journeys.counting), in one query."""
    unit_steps = Step.objects.for_unit(unit)
    conditions = queue_conditions(user=user, now=now)
    return capped_counts({name: unit_steps.filter(c) for name, c in conditions.items()})


def unit_queue_changes_at(unit: Unit, *, now: dt.datetime) -> dt.datetime:
    """When the unit's queue page changes by time alone (journeys.freshness): at midnight (the
    days left, the consultations overdue by the day), or sooner when a case's due date passes
    (the overdue filter) or comes within seven days (due soon): two reads of the queue's
    index, one query."""
    due = Step.objects.for_unit(unit).in_queue().order_by("due_at").values("due_at")
    overdue, due_soon = (
        Unit.objects.filter(pk=unit.pk)
        .values_list(
            Subquery(due.filter(due_at__gte=now)[:1]),
            Subquery(due.filter(due_at__gte=now + dt.timedelta(days=7))[:1]),
        )
        .get()
    )
    moments = [calendars.next_midnight(now), now + LIST_FRESH_AT_MOST]
    if overdue is not None:
        moments.append(overdue)
    if due_soon is not None:
        moments.append(due_soon - dt.timedelta(days=7))
    return min(moments)


def unit_workload(unit: Unit, *, now: dt.datetime):
    """The unit's members with their open and overdue cases, for the unit lead."""
    mine = Q(assigned_steps__unit=unit, assigned_steps__status__in=Step.ACTIVE_STATUSES)
    return (
        get_user_model()
        .objects.filter(memberships__unit=unit, memberships__role__in=Membership.CASEWORK_ROLES)
        .select_related(STAFF_NAME_RELATED)
        .annotate(
            open_cases=Count("assigned_steps", filter=mine),
            overdue_cases=Count("assigned_steps", filter=mine & Q(assigned_steps__due_at__lt=now)),
        )
        .order_by("username")
    )


CONSULTATIONS_SHOWN = 25


def unit_consultations(unit: Unit, *, now: dt.datetime, with_rows: bool = True) -> dict:
    """The consultations waiting for the unit's answer, earliest due first (the first 25),
    with how many are open and overdue: one query, and one more for rows when there are any."""
    waiting = Consultation.objects.for_unit_open(unit)
    counts = waiting.aggregate(
        open=Count("pk"), overdue=Count("pk", filter=Q(due_date__lt=timezone.localdate(now)))
    )
    if not (with_rows and counts["open"]):
        return {"rows": [], **counts}
    rows = waiting.select_related("step__journey", "step__step_type", "step__unit").order_by(
        "due_date", "pk"
    )[:CONSULTATIONS_SHOWN]
    return {"rows": list(rows), **counts}


@dataclass(frozen=True)
class CaseSecrecy:
    """The secrecy section of a case page: what the reader may mark (seen, not marked yet) and
    their unit's standing markings, each as (form value, label)."""

    items: list[tuple[str, str]]
    markings: list[tuple[str, str]]
    by_value: dict[str, SecrecyMarking]
    rows: list[tuple[SecrecyMarking, str]]  # each marking with what it marks

    def marking(self, value: str) -> SecrecyMarking | None:
        return self.by_value.get(value)


def _document_label(document: Document) -> str:
    number = f" ({document.registration_number})" if document.registration_number else ""
    return f"{document.name}{number}"


def case_secrecy(
    journey, disclosure: Disclosure, *, answers: list[dict], documents: list[Document]
) -> CaseSecrecy:
    """From the answers and documents the case page shows (no query of its own)."""
    items = [
        (f"document-{d.pk}", _document_label(d))
        for d in documents
        if d.pk not in disclosure.secret_documents
    ]
    items += [
        (f"answer-{a['key']}", str(a["label"]))
        for a in answers
        if a["secret"] is None
        and a["value"] not in (None, "")
        and markable_field(journey, a["key"]) is not None
    ]
    labels = {a["key"]: str(a["label"]) for a in answers}
    markings = sorted(
        [*disclosure.secret_documents.values(), *disclosure.secret_fields.values()],
        key=lambda m: (m.marked_at, m.pk),
    )

    def what(marking: SecrecyMarking) -> str:
        if marking.document_id is not None:
            return _document_label(marking.document)
        return labels.get(marking.field_key, marking.field_key)

    return CaseSecrecy(
        items=items,
        markings=[(str(m.pk), f"{what(m)} – {m.ground.label}") for m in markings],
        by_value={str(m.pk): m for m in markings},
        rows=[(m, what(m)) for m in markings],
    )
