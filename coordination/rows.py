"""The coordinator dashboard's journey rows, drawn in Python and kept in the cache by what they
are drawn from (issue 19, item 6).

A row is kept under a key of the journey's version (journeys.versions: moved by every change
its pages show), the catalogue's (the names), the flags read with the row (a failed handoff,
overdue, stalled: they move with time, so they are read every time and keyed on), the language,
today's date and the release, until its projected date could next read otherwise
(`projection_changes_at`). A kept row spares the page its projection (the journey's steps read
and projected) and its drawing. Its "since" cell reads a minute more every minute and is
always drawn; so is the table around the rows.
"""

import datetime as dt
import hashlib

from django.core.cache import cache
from django.template.defaultfilters import timesince_filter
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from coordination.dashboard import projections_attach
from journeys.models import Journey
from journeys.templatetags.times import day, when
from portal.conditional import release
from units import calendars

ROW = '<tr class="govuk-table__row">{}<td class="govuk-table__cell">{}</td>{}</tr>\n'
HEAD = (
    '<th scope="row" class="govuk-table__header"><a class="govuk-link" href="{}">{}</a></th>'
    '<td class="govuk-table__cell">{}</td>'
    '<td class="govuk-table__cell">{}</td>'
    '<td class="govuk-table__cell">{}</td>'
)
TAIL = '<td class="govuk-table__cell">{}</td>'


def _attention(journey) -> SafeString:
    """The "Needs attention" cell: a tag per flag (or a dash), then the expected date."""
    flags = [
        (journey.has_failed_handoff, "govuk-tag--red", _("Handoff failed")),
        (journey.is_overdue, "govuk-tag--orange", _("Overdue")),
        (journey.is_stalled, "govuk-tag--yellow", _("Stalled")),
        (journey.at_risk, "govuk-tag--orange", _("At risk")),
    ]
    tags = format_html_join(
        " ", '<strong class="govuk-tag {}">{}</strong>', ((c, t) for on, c, t in flags if on)
    )
    cell = tags or "–"
    if journey.projected_completion:
        expected = _("Expected by %(day)s") % {"day": day(journey.projected_completion)}
        return format_html('{}<br><span class="govuk-hint">{}</span>', cell, expected)
    return format_html("{}", cell)


def _holder(journey) -> SafeString | str:
    if not journey.holding_unit_name:
        return _("Between units")
    return format_html(
        '{}<br><span class="govuk-hint">{}</span>',
        journey.holding_unit_name,
        journey.holding_step_name,
    )


def _since(journey, now) -> SafeString | str:
    if not journey.holding_since:
        return "–"
    return format_html(
        '{}<br><span class="govuk-hint">{}</span>',
        day(journey.holding_since),
        timesince_filter(journey.holding_since, now),
    )


def _drawn(journey) -> tuple[str, str]:
    """The row's cells before and after "since", its projection attached."""
    head = format_html(
        HEAD,
        reverse("coordination:journey", args=[journey.public_id]),
        journey.reference,
        journey.journey_type.display_name,
        _attention(journey),
        _holder(journey),
    )
    return head, format_html(TAIL, when(journey.last_event_at))


def row_key(journey: Journey, *, catalogue: int, today: dt.date) -> str:
    flags = (journey.has_failed_handoff, journey.is_overdue, journey.is_stalled)
    parts = (release(), journey.pk, journey.version, catalogue, get_language(), today, flags)
    return "dashboard-row:" + hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()


def journey_rows_attach(journeys: list[Journey], *, now: dt.datetime, catalogue: int) -> None:
    """Set each journey's `row_cells` (its drawn cells before and after "since") and
    `projection_changes_at`: kept ones from the cache, in one read; the others projected (their
    steps in one query, as `projections_attach` does), drawn and kept, in one write."""
    today = timezone.localdate(now)
    keys = {journey.pk: row_key(journey, catalogue=catalogue, today=today) for journey in journeys}
    kept = cache.get_many(list(keys.values()))
    missing = []
    for journey in journeys:
        found = kept.get(keys[journey.pk])
        if found is not None and now < found[0]:
            _, journey.projection_changes_at, head, tail = found
            journey.row_cells = (mark_safe(head), mark_safe(tail))  # drawn by format_html
        else:
            missing.append(journey)
    if not missing:
        return
    projections_attach(missing, now=now)
    midnight = calendars.next_midnight(now)
    keep = {}
    for journey in missing:
        journey.row_cells = _drawn(journey)
        until = min(journey.projection_changes_at or midnight, midnight)
        keep[keys[journey.pk]] = (
            until,
            journey.projection_changes_at,
            *map(str, journey.row_cells),
        )
    timeout = max(int((midnight - now).total_seconds()), 1)
    cache.set_many(keep, timeout=timeout)


def journey_rows(journeys, now: dt.datetime) -> SafeString:
    """The rows of journeys given their cells (`journey_rows_attach`)."""
    return format_html_join(
        "", ROW, ((j.row_cells[0], _since(j, now), j.row_cells[1]) for j in journeys)
    )
