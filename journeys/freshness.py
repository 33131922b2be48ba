"""When a page about a journey changes by the passing of time alone, its data unchanged.

A page's validator (portal/conditional.py) carries the moment it stops being current: the
first moment after it was drawn at which the same rows would be drawn otherwise. The moment
given is never later than the real one (earlier costs one render more; later would keep a
stale page). Dates move at midnight (units.calendars.next_midnight); what moves sooner is
found where it is computed: the projections (journeys.projections), the days a step has been
with its unit (JourneyPlan.changes_at), the right to ask for a decision
(journeys.services.watching). The lists' moments are with their selectors
(casework.selectors, coordination.dashboard).
"""

import datetime as dt

from django.db import connections
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from journeys.models import Journey
from journeys.selectors import JourneyPlan
from journeys.services.watching import decision_requestable_from

# A list's validator (a unit's queue, the dashboard) lasts at most this long: a list version
# that did not move after its change was committed (a process killed between the two: see
# journeys.versions) leaves a list stale for no longer than this.
LIST_FRESH_AT_MOST = dt.timedelta(minutes=10)


def tracking_changes_at(journey: Journey, plan: JourneyPlan, *, now: dt.datetime) -> dt.datetime:
    """The applicant's tracking page: its steps' dates and days (the plan), its invoices and
    requests (dates), and the offer to ask for a decision, six months after submission."""
    moments = [plan.changes_at(now)]
    requestable = decision_requestable_from(journey)
    if journey.is_open and requestable is not None and requestable > now:
        moments.append(requestable)
    return min(moments)


def firsts(querysets: dict[str, QuerySet]) -> dict[str, dt.datetime | None]:
    """The first value of each queryset of one datetime column (None for an empty one), all in
    one query: the next moments a list's rows cross a line in time, each read off an index."""
    selects, params = [], []
    for queryset in querysets.values():
        sql, query_params = queryset[:1].query.sql_with_params()
        selects.append(f"({sql})")
        params.extend(query_params)
    with connections[next(iter(querysets.values())).db].cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(selects)}", params)
        row = cursor.fetchone()
    return dict(zip(querysets, map(_moment, row), strict=True))


def _moment(value) -> dt.datetime | None:
    """A datetime as a raw query returns it: SQLite's is text, in UTC."""
    if isinstance(value, str):
        value = parse_datetime(value)
    if value is not None and timezone.is_naive(value):
        value = timezone.make_aware(value, dt.UTC)
    return value


def since_changes_at(moments, *, now: dt.datetime) -> dt.datetime | None:
    """When a "3 hours, 12 minutes" since one of `moments` (Django's timesince, as the lists
    show how long a case has been held) next reads otherwise: at the latest a whole minute on."""
    found = [
        moment + MINUTE * (-((moment - now) // MINUTE))
        for moment in moments
        if moment is not None and moment <= now
    ]
    return min(found, default=None)


MINUTE = dt.timedelta(minutes=1)
