"""The coordinator dashboard's tabs: what each lists, in what order, and how many.

Its cost does not grow with the number of journeys: counts are capped (journeys.counting) and
each list is read 25 rows at a time off an index. The main list puts the journeys that need
someone first: failed handoffs, then the rest quietest first (longest without any event, so the
stalled ones), each flagged overdue, stalled or both."""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import connections
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from journeys.counting import capped_counts
from journeys.freshness import LIST_FRESH_AT_MOST, firsts, since_changes_at
from journeys.graph import step_dependencies
from journeys.models import (
    Consultation,
    DecisionRequest,
    FailedTask,
    Handoff,
    InformationRequest,
    Journey,
    Step,
)
from journeys.projections import (
    journey_at_risk,
    journey_at_risk_changes_at,
    journey_project,
    projection_changes_at,
)
from journeys.querysets import failed_handoff_exists, stalled_condition, stalled_periods
from units import calendars

# The tabs that list journeys (the others list steps, handoffs, requests or tasks).
JOURNEY_VIEWS = ("journeys", "mine", "stalled")

VIEWS = {
    "journeys": _("Journeys in progress"),
    "overdue": _("Overdue steps"),
    "stalled": _("Stalled journeys"),
    "handoffs": _("Failed handoffs"),
    "unanswered": _("Unanswered requests"),
    "consultations": _("Overdue consultations"),
    "decision_requests": _("Requests for a decision"),
    "failed_tasks": _("Failed tasks"),
    "mine": _("My journeys"),  # the journeys whose named contact the coordinator is
}


@dataclass(frozen=True)
class CoordinationFilters:
    unit: str = ""
    journey_type: str = ""
    min_age_days: int = 0

    def journeys(self, journeys, *, now: dt.datetime):
        if self.journey_type:
            journeys = journeys.filter(journey_type__slug=self.journey_type)
        if self.unit:
            journeys = journeys.filter(
                Exists(
                    Step.objects.filter(
                        journey=OuterRef("pk"),
                        unit__slug=self.unit,
                        status__in=Step.ACTIVE_STATUSES,
                    )
                )
            )
        if self.min_age_days:
            journeys = journeys.filter(submitted_at__lte=now - dt.timedelta(days=self.min_age_days))
        return journeys

    def steps(self, steps, *, now: dt.datetime, prefix: str = ""):
        if self.journey_type:
            steps = steps.filter(**{f"{prefix}journey__journey_type__slug": self.journey_type})
        if self.unit:
            steps = steps.filter(**{f"{prefix}unit__slug": self.unit})
        if self.min_age_days:
            steps = steps.filter(
                **{f"{prefix}activated_at__lte": now - dt.timedelta(days=self.min_age_days)}
            )
        return steps


# What a journey row of the dashboard shows and its flags read: not the applicant's answers nor
# the journey type's form, JSON documents that would be parsed for every row and never shown.
DASHBOARD_COLUMNS = [
    "public_id",
    "reference",
    "journey_type",
    "submitted_at",
    "last_event_at",
    "version",  # what its row is kept in the cache by (coordination.rows)
    "journey_type__name",
    "journey_type__translations",
    "journey_type__service_norm_days",
]


class Dashboard:
    """One request's dashboard: the tabs' querysets, their counts, and the chosen tab's rows."""

    def __init__(self, *, now: dt.datetime, filters: CoordinationFilters, user=None):
        self.now = now
        self.filters = filters
        self.user = user
        self.periods = stalled_periods()

    def _open_journeys(self) -> QuerySet:
        """Open journeys as filtered, unannotated: what the counts and the lists' ids read."""
        return self.filters.journeys(Journey.objects.open(), now=self.now)

    def _flagged(self) -> QuerySet:
        """Journeys with what the table shows about each; for the page's rows only."""
        return (
            Journey.objects.select_related("journey_type")
            .only(*DASHBOARD_COLUMNS)
            .with_coordination_flags(now=self.now, periods=self.periods)
            .order_by("last_event_at", "pk")
        )

    def attention_groups(self) -> list[QuerySet]:
        """The main list in its two groups, each quietest first: the journeys whose handoff
        failed (a handful, found from the undelivered handoffs), then all the others. Overdue
        steps are not a group of their own: finding the quietest journeys *without* one means
        reading past every quiet overdue journey, tens of thousands at a million journeys;
        they have their own tab, and quiet journeys are the overdue ones in practice."""
        journeys = self._open_journeys().order_by("last_event_at", "pk")
        failed = failed_handoff_exists(self.now)
        return [journeys.filter(failed), journeys.exclude(failed)]

    def rows(self, view: str) -> QuerySet:
        now, filters = self.now, self.filters
        if view == "overdue":
            return filters.steps(
                Step.objects.overdue(now=now)
                .select_related("journey__journey_type", "step_type", "unit", "assignee")
                .order_by("due_at", "pk"),
                now=now,
            )
        if view == "handoffs":
            return filters.steps(
                Handoff.objects.overdue_for_delivery(now=now)
                .select_related("step__journey__journey_type", "step__step_type", "unit")
                .order_by("created_at", "pk"),
                now=now,
                prefix="step__",
            )
        if view == "unanswered":
            return filters.steps(
                InformationRequest.objects.filter(
                    answered_at__isnull=True, due_date__lt=timezone.localdate(now)
                )
                .select_related("step__journey__journey_type", "step__step_type", "step__unit")
                .order_by("due_date", "pk"),
                now=now,
                prefix="step__",
            )
        if view == "consultations":
            return filters.steps(
                Consultation.objects.overdue(now=now)
                .select_related(
                    "step__journey__journey_type", "step__step_type", "step__unit", "unit"
                )
                .order_by("due_date", "pk"),
                now=now,
                prefix="step__",
            )
        if view == "decision_requests":
            return filters.steps(
                DecisionRequest.objects.filter(step__status__in=Step.ACTIVE_STATUSES)
                .select_related("step__journey__journey_type", "step__step_type", "step__unit")
                .order_by("due_at", "pk"),
                now=now,
                prefix="step__",
            )
        if view == "failed_tasks":
            return FailedTask.objects.select_related(
                "handoff__step__journey__journey_type",
                "handoff__step__step_type",
                "handoff__step__unit",
                "outgoing_email__journey",
                "outgoing_email__step__step_type",
                "outgoing_email__step__unit",
            ).order_by("-failed_at", "-pk")
        journeys = self._open_journeys()
        if view == "stalled":
            journeys = journeys.filter(stalled_condition(now, self.periods))
        if view == "mine":  # the journeys whose named contact the coordinator is
            journeys = journeys.filter(contact_id=getattr(self.user, "pk", None))
        return journeys.order_by("last_event_at", "pk")

    def changes_at(self, view: str, rows: list) -> dt.datetime:
        """When the dashboard changes by time alone (journeys.freshness): at midnight (what
        is overdue by the day), or sooner when a step's due date passes, a journey's stalled
        period ends, a handoff's grace period ends, a row's "since" reads a minute more or a
        journey's projection moves (`projections_attach`, or as its kept row remembers it); the
        line times are read in one query, each off an index. A dashboard filtered by age is
        drawn anew every time: its line moves with every journey that reaches that age."""
        now = self.now
        if self.filters.min_age_days:
            return now
        grace = dt.timedelta(seconds=settings.HANDOFF_GRACE_SECONDS)
        undelivered = Handoff.objects.undelivered()
        periods = sorted({settings.STALLED_AFTER_DAYS, *self.periods})
        lines = {
            "due": Step.objects.in_queue().filter(due_at__gte=now).order_by("due_at"),
            "written": undelivered.filter(created_at__gte=now - grace).order_by("created_at"),
            "published": undelivered.filter(published_at__gte=now - grace).order_by("published_at"),
            **{
                days: Journey.objects.open()
                .filter(last_event_at__gte=now - dt.timedelta(days=days))
                .order_by("last_event_at")
                for days in periods
            },
        }
        columns = {"due": "due_at", "written": "created_at", "published": "published_at"}
        found = firsts(
            {key: rows_.values(columns.get(key, "last_event_at")) for key, rows_ in lines.items()}
        )
        moments = [
            calendars.next_midnight(now),
            now + LIST_FRESH_AT_MOST,
            found["due"],
            found["written"] and found["written"] + grace,
            found["published"] and found["published"] + grace,
            *(found[days] and found[days] + dt.timedelta(days=days) for days in periods),
            since_changes_at([_since(view, row) for row in rows], now=now),
            *(getattr(row, "projection_changes_at", None) for row in rows),
        ]
        return min(moment for moment in moments if moment is not None)

    def counts(self) -> dict[str, int]:
        """Every tab's count, capped, in one query."""
        return capped_counts({view: self.rows(view) for view in VIEWS})

    def listing(self, view: str):
        """What the Paginator pages through for this tab. Journey lists are read as ids first
        and flagged after, for the page's rows only: asked for the flags of a whole list,
        PostgreSQL hashes every overdue step (tens of thousands) before returning 25 rows."""
        if view == "journeys":
            return GroupedRows(self.attention_groups(), rows=self._flagged())
        if view in ("stalled", "mine"):
            return GroupedRows([self.rows(view)], rows=self._flagged())
        return self.rows(view)


def _since(view: str, row):
    """The moment a tab's row says how long ago it was ("since", coordination/dashboard.html)."""
    if view in JOURNEY_VIEWS:
        return row.holding_since
    return {
        "overdue": lambda: row.activated_at,
        "handoffs": lambda: row.created_at,
        "unanswered": lambda: row.requested_at,
        "consultations": lambda: row.requested_at,
        "decision_requests": lambda: row.requested_at,
    }.get(view, lambda: None)()


# What journeys.projections reads of a step: about a third of the columns of the three models,
# and each column read is a value converted, for every step of the page's 25 journeys.
PROJECTION_COLUMNS = [
    "journey",
    "step_type",
    "status",
    "activated_at",
    "due_at",
    "decided_at",
    "paused_at",
    "paused_days",
    "projected_decision_at_submission",
    "step_type__deadline_days",
    "step_type__deadline_working_days",
    "unit__country",
    "unit__working_weekdays",
]


def projections_attach(journeys: list[Journey], *, now: dt.datetime) -> None:
    """Set each journey's `projected_completion` and `at_risk` (journeys.projections), and when
    either could next read otherwise before midnight (`projection_changes_at`): the steps of
    all of them in one query, the projection itself without any."""
    steps: dict[int, list[Step]] = {journey.pk: [] for journey in journeys}
    rows = Step.objects.filter(journey__in=steps).select_related("step_type", "unit")
    for step in rows.only(*PROJECTION_COLUMNS):
        steps[step.journey_id].append(step)
    for journey in journeys:
        projection = journey_project(
            steps[journey.pk], step_dependencies(journey.journey_type_id), now=now
        )
        journey.projected_completion = projection.completion
        journey.at_risk = journey_at_risk(journey, projection)
        moments = (
            projection_changes_at(steps[journey.pk], now=now),
            journey_at_risk_changes_at(journey, projection, now=now),
        )
        journey.projection_changes_at = min((m for m in moments if m is not None), default=None)


class GroupedRows:
    """One or more querysets ordered by last event, one group after another, as one list a
    Paginator can slice. A page is read in two queries: the first rows of every group up to the
    page's end (one UNION ALL, each part read off an index), then the page's rows. Its count
    comes from the Paginator (journeys.counting.CappedPaginator), so no group is counted."""

    def __init__(self, groups: list[QuerySet], *, rows: QuerySet):
        self.groups = groups
        self.rows = rows

    def __getitem__(self, window: slice) -> list:
        start, stop = window.start or 0, window.stop
        if stop <= start:
            return []
        parts, params = [], []
        for number, group in enumerate(self.groups):
            head = group.values_list("pk", "last_event_at")[:stop]
            sql, group_params = head.query.sql_with_params()
            part = f"part_{number}"
            parts.append(f"SELECT {number} AS grp, {part}.* FROM ({sql}) AS {part}")
            params.extend(group_params)
        with connections[self.rows.db].cursor() as cursor:
            cursor.execute(" UNION ALL ".join(parts), params)
            ordered = sorted(cursor.fetchall(), key=lambda row: (row[0], row[2], row[1]))
        page_ids = [pk for _, pk, _ in ordered[start:stop]]
        rows = self.rows.in_bulk(page_ids)
        return [rows[pk] for pk in page_ids if pk in rows]  # one may be gone since
