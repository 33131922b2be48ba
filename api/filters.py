"""The list filters (django-filter); a step list takes the web queue's filters by name."""

import django_filters
from django.utils import timezone

from casework.selectors import QUEUE_FILTERS, queue_conditions
from journeys.models import Journey, Step


class JourneyFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Journey.Status.choices)
    journey_type = django_filters.CharFilter(field_name="journey_type__slug")
    reference = django_filters.CharFilter()
    submitted_after = django_filters.IsoDateTimeFilter(field_name="submitted_at", lookup_expr="gte")

    class Meta:
        model = Journey
        fields = ["status", "journey_type", "reference", "submitted_after"]


class StepFilter(django_filters.FilterSet):
    queue = django_filters.ChoiceFilter(
        choices=list(QUEUE_FILTERS.items()),
        method="in_queue",
        label="The web queue's filter: all, new, in_progress, mine, waiting, overdue, due_soon.",
    )
    status = django_filters.ChoiceFilter(choices=Step.Status.choices)
    journey = django_filters.UUIDFilter(field_name="journey__public_id")
    unit = django_filters.CharFilter(field_name="unit__slug")

    class Meta:
        model = Step
        fields = ["queue", "status", "journey", "unit"]

    def in_queue(self, queryset, name, value):
        conditions = queue_conditions(user=self.request.user, now=timezone.now())
        return queryset.filter(conditions[value])
