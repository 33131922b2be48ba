import datetime as dt

from django import template
from django.utils.timezone import template_localtime

register = template.Library()


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
