"""A journey's history as a list (includes/timeline.html), one item per event."""

from django import template
from django.template.defaultfilters import linebreaksbr
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from journeys.templatetags.disposed import disposed
from journeys.templatetags.people import staff_name
from journeys.templatetags.times import when

register = template.Library()

ITEM = (
    '<li class="portal-timeline__item">'
    '<p class="portal-timeline__title">{}</p>'
    '<p class="portal-timeline__meta">{}</p>'
    "{}</li>\n"
)


def _title(event) -> SafeString:
    if event.step_id is None:
        return format_html("{}", event.get_kind_display())
    step = event.step
    return format_html(
        "{}: {} ({})",
        event.get_kind_display(),
        step.step_type.display_name,
        step.unit.display_name,
    )


def _meta(event, show_actor: bool) -> SafeString:
    parts = [when(event.created_at, time=True)]
    if show_actor and event.actor_id is not None:
        parts.append(format_html(" · {}", staff_name(event.actor)))
    if show_actor and not event.visible_to_applicant:
        parts.append(format_html(" · {}", _("internal")))
    return format_html_join("", "{}", ((part,) for part in parts))


def _body(event) -> SafeString | str:
    if getattr(event, "withheld", False):
        return format_html(
            '<p class="govuk-hint">{}</p>',
            _("The details are seen only by the unit whose step they belong to."),
        )
    if event.message:
        return format_html('<p class="govuk-body">{}</p>', linebreaksbr(disposed(event.message)))
    return ""


@register.simple_tag
def timeline_items(events, show_actor: bool = False) -> SafeString:
    """The events' items, newest first as given. Written in Python rather than as a template
    loop: a journey's history is its pages' longest list (2–3 ms of their CPU as a loop)."""
    if not events:
        return format_html('<li class="govuk-body">{}</li>', _("Nothing has happened yet."))
    return format_html_join(
        "",
        ITEM,
        ((_title(e), _meta(e, show_actor), _body(e)) for e in events),
    )
