"""The status tag, one markup for every page: the design system's tag, its colour from the
status (the same colour means the same thing everywhere), its words the reader's."""

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

register = template.Library()


@register.simple_tag
def status_tag(item, *, for_unit: bool = False) -> SafeString:
    """A journey's or a step's status; a step `for_unit` in a caseworker's words."""
    label = item.unit_status_label if for_unit else item.get_status_display()
    return format_html('<strong class="govuk-tag {}">{}</strong>', item.tag_class, label)
