"""What the base template needs to know about the page it frames."""

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def page_form(context):
    """The page's form: `invalid_form` where a page has several (the one sent back with errors),
    else `form`. The base template leads with its error summary and says so in the title."""
    return context.get("invalid_form") or context.get("form")
