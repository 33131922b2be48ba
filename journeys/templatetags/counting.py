from django import template
from django.utils.formats import number_format

from journeys.counting import COUNT_CAP

register = template.Library()


@register.filter
def capped(count: int) -> str:
    """A count from journeys.counting: "1,000+" past the cap, else the number."""
    if count > COUNT_CAP:
        return f"{number_format(COUNT_CAP, force_grouping=True)}+"
    return number_format(count, force_grouping=True)
