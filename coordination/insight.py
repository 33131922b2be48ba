"""Where journey time goes, per journey type and unit, for a period: computed by aggregate SQL
(percentiles, counts, sums in the database), never by looping over rows in Python.

Over a million journeys the aggregates take seconds, so pages read them from the cache: each
period's figures are computed at most every INSIGHT_REFRESH_SECONDS, and the beat task
`insight_refresh` keeps the default period (the last year) of every service warm."""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, ExpressionWrapper, F, FloatField, Q, Sum
from django.utils import timezone, translation

from coordination.aggregates import Percentile, Seconds
from journeys.graph import graph_longest_path, step_dependencies
from journeys.models import Handoff, Journey, JourneyType, Step, StepType
from units.models import Unit

DAY = 86400.0
DECIDED = (Step.Status.APPROVED, Step.Status.REJECTED)


@dataclass(frozen=True)
class Period:
    journey_type: JourneyType
    start: dt.date
    end: dt.date  # inclusive
    unit: Unit | None = None

    @classmethod
    def default(cls, journey_type: JourneyType, today: dt.date) -> "Period":
        """The last year up to today, for the whole journey."""
        return cls(journey_type=journey_type, start=today - dt.timedelta(days=365), end=today)

    @property
    def cache_key(self) -> str:
        unit = self.unit.slug if self.unit else "-"
        language = translation.get_language() or settings.LANGUAGE_CODE
        return f"insight:{self.journey_type.pk}:{unit}:{self.start}:{self.end}:{language}"

    @property
    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        start = timezone.make_aware(dt.datetime.combine(self.start, dt.time.min))
        end = timezone.make_aware(dt.datetime.combine(self.end, dt.time.min))
        return start, end + dt.timedelta(days=1)


def _days(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / DAY, 2)


def decided_steps(period: Period):
    """Steps of the journey type (all its versions) decided in the period."""
    start, end = period.bounds
    steps = Step.objects.filter(
        step_type__journey_type__slug=period.journey_type.slug,
        status__in=DECIDED,
        decided_at__gte=start,
        decided_at__lt=end,
        activated_at__isnull=False,
    )
    return steps.filter(unit=period.unit) if period.unit else steps


def _lead_time():
    return Seconds("decided_at", "activated_at")


def step_figures(period: Period) -> list[dict]:
    """Per step: decisions, median and 90th percentile lead time (days), share decided within
    the deadline, and days waiting for the applicant."""
    rows = (
        decided_steps(period)
        .values("step_type__key")
        .annotate(
            decided=Count("pk"),
            median_seconds=Percentile(_lead_time(), 0.5),
            p90_seconds=Percentile(_lead_time(), 0.9),
            with_deadline=Count("pk", filter=Q(due_at__isnull=False)),
            within_deadline=Count(
                "pk", filter=Q(due_at__isnull=False, decided_at__lte=F("due_at"))
            ),
            applicant_days=Sum("paused_days"),
        )
        .order_by("step_type__key")
    )
    names = _step_names(period)
    return [
        {
            "key": row["step_type__key"],
            "name": names.get(row["step_type__key"], row["step_type__key"]),
            "decided": row["decided"],
            "median_days": _days(row["median_seconds"]),
            "p90_days": _days(row["p90_seconds"]),
            "within_deadline": (
                round(100 * row["within_deadline"] / row["with_deadline"], 1)
                if row["with_deadline"]
                else None
            ),
            "applicant_days": row["applicant_days"] or 0,
        }
        for row in rows
    ]


def _step_names(period: Period) -> dict[str, str]:
    return {step_type.key: step_type.display_name for step_type in period.journey_type.steps.all()}


def handoff_figures(period: Period) -> list[dict]:
    """Per receiving step: median and 90th percentile latency (seconds) from the decision (or
    submission, or transfer) that wrote the handoff to its delivery, the step queued in its
    unit, for handoffs delivered in the period. Each handoff is measured by its own times, not
    the step's (a transferred step keeps its first activation, a recalled one is activated
    anew); a handoff superseded by a reopening, send-back or transfer measures nothing."""
    start, end = period.bounds
    handoffs = Handoff.objects.filter(
        kind=Handoff.Kind.ACTIVATE,
        superseded_at__isnull=True,
        step__step_type__journey_type__slug=period.journey_type.slug,
        delivered_at__gte=start,
        delivered_at__lt=end,
    )
    if period.unit:
        handoffs = handoffs.filter(unit=period.unit)
    latency = Seconds("delivered_at", "created_at")
    rows = (
        handoffs.values("step__step_type__key")
        .annotate(
            handoffs=Count("pk"),
            median_seconds=Percentile(latency, 0.5),
            p90_seconds=Percentile(latency, 0.9),
        )
        .order_by("step__step_type__key")
    )
    names = _step_names(period)
    return [
        {
            "key": row["step__step_type__key"],
            "name": names.get(row["step__step_type__key"], row["step__step_type__key"]),
            "handoffs": row["handoffs"],
            "median_seconds": round(row["median_seconds"], 3),
            "p90_seconds": round(row["p90_seconds"], 3),
        }
        for row in rows
    ]


def journey_figures(period: Period) -> dict:
    """Journeys closed in the period: how many, and their median and 90th percentile lead time."""
    start, end = period.bounds
    lead = Seconds("closed_at", "submitted_at")
    row = Journey.objects.filter(
        journey_type__slug=period.journey_type.slug,
        status__in=(Journey.Status.COMPLETED, Journey.Status.REJECTED),
        closed_at__gte=start,
        closed_at__lt=end,
    ).aggregate(
        closed=Count("pk"),
        completed=Count("pk", filter=Q(status=Journey.Status.COMPLETED)),
        median_seconds=Percentile(lead, 0.5),
        p90_seconds=Percentile(lead, 0.9),
    )
    return {
        "closed": row["closed"],
        "completed": row["completed"],
        "median_days": _days(row["median_seconds"]),
        "p90_days": _days(row["p90_seconds"]),
    }


def who_carries(period: Period) -> dict:
    """Each unit's part of the journey type's work in the period (steps decided, approvals,
    rejections, days held excluding the applicant's waiting) and the applicant's part: the
    figure a jointly funded service is shared by."""
    held = ExpressionWrapper(
        Seconds("decided_at", "activated_at") - F("paused_days") * DAY, output_field=FloatField()
    )
    rows = list(
        decided_steps(period)
        .values("unit__slug", "unit__name", "unit__translations")
        .annotate(
            decided=Count("pk"),
            approved=Count("pk", filter=Q(status=Step.Status.APPROVED)),
            rejected=Count("pk", filter=Q(status=Step.Status.REJECTED)),
            held_seconds=Sum(held),
        )
        .order_by("unit__name")
    )
    applicant = decided_steps(period).aggregate(days=Sum("paused_days"))["days"] or 0
    total = sum(max(r["held_seconds"] or 0, 0) for r in rows) + applicant * DAY
    units = [
        {
            "slug": r["unit__slug"],
            "name": Unit(name=r["unit__name"], translations=r["unit__translations"]).display_name,
            "decided": r["decided"],
            "approved": r["approved"],
            "rejected": r["rejected"],
            "held_days": _days(max(r["held_seconds"] or 0, 0)),
            "share": round(100 * max(r["held_seconds"] or 0, 0) / total, 1) if total else None,
        }
        for r in rows
    ]
    return {
        "units": units,
        "applicant_days": applicant,
        "applicant_share": round(100 * applicant * DAY / total, 1) if total else None,
    }


def critical_path(period: Period, figures: list[dict]) -> list[dict]:
    """The chain of dependent steps with the longest median lead time: the steps that set how
    long the journey takes. Walks the journey type's few step types, not rows."""
    median = {row["key"]: row["median_days"] or 0 for row in figures}
    by_pk = {s.pk: s for s in StepType.objects.filter(journey_type=period.journey_type)}
    weight = {pk: median.get(s.key, 0) for pk, s in by_pk.items()}
    path = graph_longest_path(step_dependencies(period.journey_type.pk), weight)
    return [
        {"key": by_pk[pk].key, "name": by_pk[pk].display_name, "median_days": weight[pk]}
        for pk in path
    ]


def insight(period: Period) -> dict:
    steps = step_figures(period)
    return {
        "as_of": timezone.now(),
        "steps": steps,
        "handoffs": handoff_figures(period),
        "journeys": journey_figures(period),
        "carriers": who_carries(period),
        "critical_path": critical_path(period, steps),
    }


def insight_cached(period: Period) -> dict:
    """The period's figures as computed within the last INSIGHT_REFRESH_SECONDS."""
    figures = cache.get(period.cache_key)
    if figures is None:
        figures = insight_refresh(period)
    return figures


def insight_refresh(period: Period, *, kept: int | None = None) -> dict:
    """Compute the figures and keep them for one refresh interval (or `kept` seconds)."""
    figures = insight(period)
    cache.set(period.cache_key, figures, kept or settings.INSIGHT_REFRESH_SECONDS)
    return figures


def insight_refresh_defaults(*, today: dt.date) -> int:
    """Compute the default period of every current service, in every language."""
    refreshed = 0
    for journey_type in JourneyType.objects.filter(is_current=True):
        for language, _name in settings.LANGUAGES:
            with translation.override(language):
                # Kept a little past the next run, which replaces them before they expire.
                kept = settings.INSIGHT_REFRESH_SECONDS + 60
                insight_refresh(Period.default(journey_type, today), kept=kept)
            refreshed += 1
    return refreshed
