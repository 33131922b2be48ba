from django import template

register = template.Library()


@register.filter
def days_remaining(step, now) -> int | None:
    return step.days_remaining(now)


@register.filter
def abs_value(number: int) -> int:
    return abs(number)
