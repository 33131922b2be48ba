from django import template
from django.template.defaultfilters import timesince_filter
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from journeys.templatetags.times import day, when

register = template.Library()

JOURNEY_ROW = (
    '<tr class="govuk-table__row">'
    '<th scope="row" class="govuk-table__header"><a class="govuk-link" href="{}">{}</a></th>'
    '<td class="govuk-table__cell">{}</td>'
    '<td class="govuk-table__cell">{}</td>'
    '<td class="govuk-table__cell">{}</td>'
    '<td class="govuk-table__cell">{}</td>'
    '<td class="govuk-table__cell">{}</td>'
    "</tr>\n"
)


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


@register.simple_tag
def journey_rows(journeys, now) -> SafeString:
    """The dashboard's journey rows (coordination.dashboard's flags set on each). Written in
    Python rather than as a template loop, as the queue's rows are: 25 rows of flags, dates
    and translated words were a third of the page's CPU."""
    return format_html_join(
        "",
        JOURNEY_ROW,
        (
            (
                reverse("coordination:journey", args=[journey.public_id]),
                journey.reference,
                journey.journey_type.display_name,
                _attention(journey),
                _holder(journey),
                _since(journey, now),
                when(journey.last_event_at),
            )
            for journey in journeys
        ),
    )
