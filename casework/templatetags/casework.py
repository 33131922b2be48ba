import datetime as dt
from functools import lru_cache

from django import template
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.timezone import template_localtime
from django.utils.translation import get_language, ngettext

from journeys.templatetags.times import datetime_attribute

register = template.Library()


@register.filter
def days_remaining(step, now) -> int | None:
    return step.days_remaining(now)


@register.filter
def abs_value(number: int) -> int:
    return abs(number)


def _day(value) -> str:
    return _day_in(template_localtime(value).date(), get_language())


@lru_cache(maxsize=4096)
def _day_in(day: dt.date, language: str) -> str:
    """ "3 Dec 2026" in the language: formatting a date looks up its format and month names
    in the translation catalogue, and a queue shows the same few dozen days again and again."""
    return date_format(day, "j M Y")


def _due(step) -> SafeString | str:
    if step.due_at is None:
        return "–"
    return format_html(
        '<time datetime="{}">{}</time>',
        datetime_attribute(step.due_at),
        _day(step.due_at),
    )


def _left(step, now) -> SafeString | str:
    left = step.days_remaining(now)
    if left is None:
        return "–"
    if left >= 0:
        return str(left)
    days = -left
    label = ngettext("%(days)s day overdue", "%(days)s days overdue", days) % {"days": days}
    return format_html('<strong class="govuk-tag govuk-tag--red">{}</strong>', label)


QUEUE_ROW = (
    '<tr class="govuk-table__row">'
    '<th scope="row" class="govuk-table__header"><a class="govuk-link" href="{}">{}</a></th>'
    '<td class="govuk-table__cell">{}</td>'
    '<td class="govuk-table__cell"><strong class="govuk-tag {}">{}</strong></td>'
    '<td class="govuk-table__cell">{}</td>'
    '<td class="govuk-table__cell">{}</td>'
    '<td class="govuk-table__cell">{}</td>'
    '<td class="govuk-table__cell">{}</td>'
    "</tr>\n"
)


@register.simple_tag
def queue_rows(steps, now) -> SafeString:
    """The queue table's rows. Written in Python rather than as a template loop: 25 rows of
    seven cells with date, plural and URL tags took most of the page's time to render."""
    return format_html_join(
        "",
        QUEUE_ROW,
        (
            (
                reverse("casework:case", args=[step.pk]),
                step.journey.reference,
                step.step_type.display_name,
                step.tag_class,
                step.unit_status_label,
                _day(step.activated_at) if step.activated_at else "",
                _due(step),
                _left(step, now),
                step.assignee.get_username() if step.assignee else "–",
            )
            for step in steps
        ),
    )
