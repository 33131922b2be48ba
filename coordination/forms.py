"""The coordinator's forms: escalation, the journey's contact, the dashboard's filters, the
insight period."""

from django import forms
from django.utils.translation import gettext_lazy as _

from coordination.dashboard import CoordinationFilters
from coordination.insight import Period
from journeys.forms import BoundedDateField
from journeys.models import Step
from journeys.services.contacts import contact_candidates


class EscalateForm(forms.Form):
    use_required_attribute = False
    step = forms.ModelChoiceField(
        label=_("Step to escalate"),
        queryset=None,
        empty_label=None,
        error_messages={"required": _("Select the step to escalate")},
    )
    message = forms.CharField(
        label=_("Message to the unit lead"),
        help_text=_("Say what is stuck and what you ask the unit to do."),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=3000,
        error_messages={"required": _("Enter a message to the unit lead")},
    )

    def __init__(self, *args, journey, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["step"].queryset = journey.steps.filter(
            status__in=Step.ACTIVE_STATUSES
        ).select_related("step_type", "unit")
        self.fields["step"].label_from_instance = lambda step: (
            f"{step.step_type.display_name} – {step.unit.display_name}"
        )


class ContactForm(forms.Form):
    """Name the journey's contact: a unit lead or a coordinator."""

    use_required_attribute = False
    contact = forms.ModelChoiceField(
        label=_("Named contact"),
        help_text=_("The one person the applicant calls about the whole journey."),
        queryset=None,
        empty_label=None,
        error_messages={
            "required": _("Select the journey's contact"),
            "invalid_choice": _("Select a unit lead or a coordinator"),
        },
    )

    def __init__(self, *args, journey, **kwargs):
        kwargs.setdefault("initial", {"contact": journey.contact_id})
        super().__init__(*args, **kwargs)
        self.fields["contact"].queryset = contact_candidates()
        self.fields["contact"].label_from_instance = lambda user: (
            f"{user.get_full_name() or user.get_username()} ({user.email})"
        )


class CoordinationFilterForm(forms.Form):
    """The dashboard's filters; an unknown value is ignored, never an error page."""

    use_required_attribute = False
    unit = forms.ChoiceField(label=_("Unit"), required=False)
    journey_type = forms.ChoiceField(label=_("Service"), required=False)
    min_age_days = forms.TypedChoiceField(
        label=_("Older than"),
        required=False,
        coerce=int,
        empty_value=0,
        choices=[
            ("", _("Any age")),
            (7, _("1 week")),
            (30, _("30 days")),
            (90, _("90 days")),
            (183, _("6 months")),
        ],
    )

    def __init__(self, *args, units, journey_types, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [("", _("All units"))] + [
            (u.slug, u.display_name) for u in units
        ]
        self.fields["journey_type"].choices = [("", _("All services"))] + [
            (t.slug, t.display_name) for t in journey_types
        ]

    def filters(self):
        if not self.is_valid():
            return CoordinationFilters()
        return CoordinationFilters(
            unit=self.cleaned_data["unit"],
            journey_type=self.cleaned_data["journey_type"],
            min_age_days=self.cleaned_data["min_age_days"] or 0,
        )


class InsightForm(forms.Form):
    use_required_attribute = False
    journey_type = forms.ChoiceField(label=_("Service"))
    unit = forms.ChoiceField(label=_("Unit"), required=False)
    start = BoundedDateField(
        label=_("From"),
        help_text=_("For example 2026-01-01"),
        error_messages={
            "required": _("Enter the first day of the period"),
            "invalid": _("Enter the date as year-month-day, for example 2026-01-01"),
        },
    )
    end = BoundedDateField(
        label=_("To"),
        help_text=_("For example 2026-12-31"),
        error_messages={
            "required": _("Enter the last day of the period"),
            "invalid": _("Enter the date as year-month-day, for example 2026-12-31"),
        },
    )

    def __init__(self, *args, units, journey_types, **kwargs):
        super().__init__(*args, **kwargs)
        self.journey_types = {t.slug: t for t in journey_types}
        self.units = {u.slug: u for u in units}
        self.fields["journey_type"].choices = [(t.slug, t.display_name) for t in journey_types]
        self.fields["unit"].choices = [("", _("All units"))] + [
            (u.slug, u.display_name) for u in units
        ]

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and start > end:
            self.add_error("end", _("Enter an end date on or after the start date"))
        return cleaned

    def period(self):
        data = self.cleaned_data
        return Period(
            journey_type=self.journey_types[data["journey_type"]],
            unit=self.units.get(data["unit"]),
            start=data["start"],
            end=data["end"],
        )


class AccessLogSearchForm(forms.Form):
    """Who read what: the access log per journey, per person and per period (all optional)."""

    use_required_attribute = False
    journey = forms.CharField(
        label=_("Journey reference"),
        help_text=_("For example CAFE-2026-000123"),
        required=False,
        max_length=32,
    )
    person = forms.CharField(
        label=_("Person"),
        help_text=_("A username, or part of a name"),
        required=False,
        max_length=150,
    )
    start = BoundedDateField(
        label=_("From"),
        help_text=_("For example 2026-01-01"),
        required=False,
        error_messages={
            "invalid": _("Enter the date as year-month-day, for example 2026-01-01"),
        },
    )
    end = BoundedDateField(
        label=_("To"),
        help_text=_("For example 2026-12-31"),
        required=False,
        error_messages={
            "invalid": _("Enter the date as year-month-day, for example 2026-12-31"),
        },
    )

    secret_only = forms.BooleanField(
        label=_("Only reads of items marked as secret"),
        help_text=_("Every time a document or an answer under a secrecy marking was shown."),
        required=False,
    )

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and start > end:
            self.add_error("end", _("Enter an end date on or after the start date"))
        return cleaned

    def search(self) -> dict:
        """The valid form's criteria, as records.selectors.access_log_search takes them."""
        data = self.cleaned_data
        return {
            "journey_reference": data["journey"],
            "person": data["person"],
            "start": data["start"],
            "end": data["end"],
            "secret_only": data["secret_only"],
        }


class LegalHoldForm(forms.Form):
    """Why a journey's records are held (or why the hold is lifted): logged with the hold."""

    use_required_attribute = False
    reason = forms.CharField(
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "max_length": _("Shorten the reason to %(limit_value)d characters or fewer"),
        },
    )

    def __init__(self, *args, lifting: bool, **kwargs):
        super().__init__(*args, **kwargs)
        reason = self.fields["reason"]
        if lifting:
            reason.label = _("Why is the hold lifted?")
            reason.help_text = _("For example: the judgment has become final.")
            reason.error_messages["required"] = _("Enter why the hold is lifted")
        else:
            reason.label = _("Why must the journey's records be held?")
            reason.help_text = _(
                "For example: an appeal, a court case or a supervisory authority's inquiry. "
                "Nothing of the journey is disposed of while the hold is in force."
            )
            reason.error_messages["required"] = _("Enter why the records must be held")
