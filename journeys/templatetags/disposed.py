"""A text disposed of under the retention rules (journeys.retention.DISPOSED) in the reader's
words, wherever a page shows an answer, a message or a log entry."""

from django import template
from django.utils.translation import gettext as _

from journeys.retention import DISPOSED

register = template.Library()


@register.filter
def disposed(value):
    """ "Disposed of" for the disposed-of marker; any other value as it is."""
    return _("Disposed of") if value == DISPOSED else value
