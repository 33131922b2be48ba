"""Dates as the portal writes them, everywhere: a day ("3 December 2026") or a moment
("3 December 2026, 14:05"), in a `<time>` element on pages and as text in e-mails."""

import datetime as dt
from functools import lru_cache

from django import template
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.timezone import template_localtime
from django.utils.translation import get_language

register = template.Library()

DAY, MOMENT = "j F Y", "j F Y, H:i"


@register.filter
def datetime_attribute(value: dt.date | None) -> str:
    """The value of a `<time datetime>`: a moment as local time to the second with its offset
    (HTML allows at most three digits of a second's fraction; `isoformat` and `|date:'c'` write
    six), a day as the date."""
    if isinstance(value, dt.datetime):
        return template_localtime(value).replace(microsecond=0).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return ""


@register.filter
def day_attribute(value: dt.datetime | None) -> str:
    """The value of a `<time datetime>` for a moment only foreseen (an expected date): its day,
    the most a projection knows. Written to the second, a date expected "today" would read
    otherwise at every request, and so would the page (portal/conditional.py)."""
    return template_localtime(value).date().isoformat() if value is not None else ""


@lru_cache(maxsize=4096)
def _day_in(day: dt.date, language: str) -> str:
    # Formatting looks up the format and month names in the translation catalogue; a queue
    # shows the same few dozen days again and again.
    return date_format(day, DAY)


@register.filter
def day(value: dt.date | None) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = template_localtime(value).date()
    return _day_in(value, get_language())


@register.filter
def moment(value: dt.datetime | None) -> str:
    return date_format(template_localtime(value), MOMENT) if value is not None else ""


@register.simple_tag
def when(value, *, time: bool = False) -> SafeString | str:
    """`{% when step.due_at %}`: the day (with `time=True`, the moment) in a `<time>` element."""
    if value is None:
        return ""
    return format_html(
        '<time datetime="{}">{}</time>',
        datetime_attribute(value),
        moment(value) if time else day(value),
    )
