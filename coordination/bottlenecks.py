"""Where journeys queue: a heat map of units by week, from one aggregate query.

For the steps each unit received in a week: the median time they waited in its queue (from
reaching the unit until a caseworker took them, or until now if nobody has yet) and the share
that were, or are, past their due date. Read from the cache within INSIGHT_REFRESH_SECONDS, as
the insight figures are; the page then costs two queries (the units, the cached figures)."""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, DateTimeField, Q, Value
from django.db.models.functions import Coalesce, TruncWeek
from django.utils import timezone

from coordination.aggregates import Percentile, Seconds
from journeys.models import Step
from units.models import Unit

WEEKS = 8
DAY = 86400.0
# Cell colours from light to dark (the design system's blues): the median's fifth of the
# map's longest. Presentation attributes, so no stylesheet is needed for the chart.
LEVEL_FILLS = ("#f3f2f1", "#d2e2f1", "#91b8e0", "#5694ca", "#1d70b8", "#003078")
LEVEL_TEXT = ("#0b0c0c", "#0b0c0c", "#0b0c0c", "#0b0c0c", "#ffffff", "#ffffff")
CELL_WIDTH, CELL_HEIGHT, LABEL_WIDTH, HEADER_HEIGHT = 64, 32, 200, 24


@dataclass(frozen=True)
class Cell:
    received: int
    median_days: float | None
    overdue_share: int | None  # per cent of the steps with a deadline
    level: int = 0
    x: int = 0
    y: int = 0

    @property
    def fill(self) -> str:
        return LEVEL_FILLS[self.level]

    @property
    def text_fill(self) -> str:
        return LEVEL_TEXT[self.level]


@dataclass(frozen=True)
class UnitRow:
    unit: Unit
    cells: list[Cell]
    y: int


@dataclass(frozen=True)
class BottleneckMap:
    weeks: list[dt.date]  # Mondays, oldest first
    rows: list[UnitRow]

    @property
    def width(self) -> int:
        return LABEL_WIDTH + CELL_WIDTH * len(self.weeks)

    @property
    def height(self) -> int:
        return HEADER_HEIGHT + CELL_HEIGHT * len(self.rows)

    @property
    def week_labels(self) -> list[dict]:
        return [
            {"week": week, "x": LABEL_WIDTH + CELL_WIDTH * i + CELL_WIDTH // 2}
            for i, week in enumerate(self.weeks)
        ]


def _weeks(today: dt.date) -> list[dt.date]:
    monday = today - dt.timedelta(days=today.weekday())
    return [monday - dt.timedelta(weeks=n) for n in range(WEEKS - 1, -1, -1)]


def bottleneck_figures(*, today: dt.date, now: dt.datetime) -> dict[tuple[int, dt.date], dict]:
    """(unit id, Monday) -> received, median queue seconds, with a deadline, overdue: one query."""
    first = _weeks(today)[0]
    start = timezone.make_aware(dt.datetime.combine(first, dt.time.min))
    moment = Value(now, output_field=DateTimeField())
    rows = (
        Step.objects.filter(activated_at__gte=start)
        .annotate(week=TruncWeek("activated_at"))
        .values("unit_id", "week")
        .annotate(
            received=Count("pk"),
            median_seconds=Percentile(
                Seconds(Coalesce("started_at", "decided_at", moment), "activated_at"), 0.5
            ),
            with_deadline=Count("pk", filter=Q(due_at__isnull=False)),
            overdue=Count("pk", filter=Q(due_at__lt=Coalesce("decided_at", moment))),
        )
        .order_by()
    )
    return {
        (row["unit_id"], timezone.localtime(row["week"]).date()): {
            "received": row["received"],
            "median_seconds": row["median_seconds"],
            "with_deadline": row["with_deadline"],
            "overdue": row["overdue"],
        }
        for row in rows
    }


def bottleneck_map(*, today: dt.date, now: dt.datetime | None = None) -> BottleneckMap:
    """The heat map's cells for every unit and the last WEEKS weeks (this one included)."""
    now = now or timezone.now()
    key = f"bottlenecks:{today}"
    figures = cache.get(key)
    if figures is None:
        figures = bottleneck_figures(today=today, now=now)
        cache.set(key, figures, settings.INSIGHT_REFRESH_SECONDS)
    weeks = _weeks(today)
    longest = max((f["median_seconds"] or 0 for f in figures.values()), default=0) or 1
    rows = []
    for index, unit in enumerate(Unit.objects.order_by("name")):
        y = HEADER_HEIGHT + CELL_HEIGHT * index
        cells = []
        for column, week in enumerate(weeks):
            found = figures.get((unit.pk, week))
            x = LABEL_WIDTH + CELL_WIDTH * column
            if found is None:
                cells.append(Cell(0, None, None, 0, x, y))
                continue
            median = found["median_seconds"]
            share = (
                round(100 * found["overdue"] / found["with_deadline"])
                if found["with_deadline"]
                else None
            )
            level = 1 + min(int(5 * (median or 0) / longest), 4)
            cells.append(
                Cell(
                    found["received"],
                    None if median is None else round(median / DAY, 1),
                    share,
                    level,
                    x,
                    y,
                )
            )
        rows.append(UnitRow(unit=unit, cells=cells, y=y))
    return BottleneckMap(weeks=weeks, rows=rows)
