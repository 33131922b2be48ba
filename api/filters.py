"""The list filters (django-filter); a step list takes the web queue's filters by name."""

import datetime as dt

import django_filters
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from casework.selectors import QUEUE_FILTERS, queue_conditions
from journeys.models import Journey, JourneyType, Step


class GivenMeansGiven:
    """A filter's form field for which a parameter given empty (`?status=`) is an error: the
    schema's enum, uuid, date-time or boolean has no empty value, and django-filter's default
    reads one as "no filter", answering 200 to a request the schema calls invalid."""

    def clean(self, value):
        if value == "":
            raise forms.ValidationError(
                _("Enter a value, or leave the parameter out."), code="blank"
            )
        return super().clean(value)


class StrictBooleanField(GivenMeansGiven, forms.NullBooleanField):
    """true or false, as the schema writes a boolean; anything else is an error (the form
    field's own widget reads any other value as "no filter")."""

    widget = forms.TextInput

    def to_python(self, value):
        if value in (None, ""):
            return None
        if value in ("true", "false"):
            return value == "true"
        raise forms.ValidationError(_("Enter true or false."), code="invalid")


class StrictChoiceField(GivenMeansGiven, django_filters.fields.ChoiceField):
    pass


class StrictUUIDField(GivenMeansGiven, forms.UUIDField):
    pass


class StrictIsoDateTimeField(GivenMeansGiven, django_filters.fields.IsoDateTimeField):
    """An ISO 8601 time, in UTC before it reaches the database: ISO 8601 allows offsets up to
    ±23:59, PostgreSQL only up to ±15:59 (a larger one was a server error)."""

    def clean(self, value):
        moment = super().clean(value)
        if moment is None:
            return None
        try:
            return moment.astimezone(dt.UTC)
        except OverflowError as error:
            raise forms.ValidationError(_("Enter a valid date/time."), code="invalid") from error


class BooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class ChoiceFilter(django_filters.ChoiceFilter):
    field_class = StrictChoiceField


class UUIDFilter(django_filters.UUIDFilter):
    field_class = StrictUUIDField


class IsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = StrictIsoDateTimeField


class JourneyTypeFilter(django_filters.FilterSet):
    slug = django_filters.CharFilter()
    is_current = BooleanFilter()

    class Meta:
        model = JourneyType
        fields = ["slug", "is_current"]


class JourneyFilter(django_filters.FilterSet):
    status = ChoiceFilter(choices=Journey.Status.choices)
    journey_type = django_filters.CharFilter(field_name="journey_type__slug")
    reference = django_filters.CharFilter()
    submitted_after = IsoDateTimeFilter(field_name="submitted_at", lookup_expr="gte")

    class Meta:
        model = Journey
        fields = ["status", "journey_type", "reference", "submitted_after"]


class StepFilter(django_filters.FilterSet):
    queue = ChoiceFilter(
        choices=list(QUEUE_FILTERS.items()),
        method="in_queue",
        label="The web queue's filter: all, new, in_progress, mine, waiting, messages (the "
        "applicant wrote and nobody in the unit has read it), overdue, due_soon.",
    )
    status = ChoiceFilter(choices=Step.Status.choices)
    journey = UUIDFilter(field_name="journey__public_id")
    unit = django_filters.CharFilter(field_name="unit__slug")

    class Meta:
        model = Step
        fields = ["queue", "status", "journey", "unit"]

    def in_queue(self, queryset, name, value):
        conditions = queue_conditions(user=self.request.user, now=timezone.now())
        return queryset.filter(conditions[value])
