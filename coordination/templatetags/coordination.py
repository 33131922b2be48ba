from django import template
from django.utils.safestring import SafeString

from coordination import rows

register = template.Library()


@register.simple_tag
def journey_rows(journeys, now) -> SafeString:
    """The dashboard's journey rows, their cells drawn or kept by coordination.rows
    (`journey_rows_attach`). Written in Python rather than as a template loop, as the queue's
    rows are: 25 rows of flags, dates and translated words were a third of the page's CPU."""
    return rows.journey_rows(journeys, now)
