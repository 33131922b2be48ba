import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from journeys.models import JourneyEvent, Step


class BoundedDateField(forms.DateField):
    """A year-month-day date within the years a case can concern (1900-2100), so that no date
    typed or put in an address can overflow the arithmetic done with it."""

    EARLIEST, LATEST = dt.date(1900, 1, 1), dt.date(2100, 12, 31)

    def __init__(self, **kwargs):
        kwargs.setdefault("input_formats", ["%Y-%m-%d"])
        super().__init__(**kwargs)

    def validate(self, value):
        super().validate(value)
        if value and not self.EARLIEST <= value <= self.LATEST:
            raise forms.ValidationError(
                _("Enter a date between %(earliest)s and %(latest)s"),
                code="range",
                params={"earliest": self.EARLIEST.isoformat(), "latest": self.LATEST.isoformat()},
            )


class CaseForm(forms.Form):
    """Every form that changes a case carries the version it was loaded at (optimistic lock)."""

    use_required_attribute = False
    version = forms.IntegerField(widget=forms.HiddenInput)
    # The case page shows several of these forms at once, so each prefixes its fields' ids
    # (id="decision-version"); the field names, which the views bind, stay as they are.
    id_prefix: str

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", f"{self.id_prefix}-%s")
        super().__init__(*args, **kwargs)


class DecisionForm(CaseForm):
    id_prefix = "decision"
    outcome = forms.ChoiceField(
        label=_("Decision"),
        choices=Step.Outcome.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Select approve or reject")},
    )
    reasons = forms.CharField(
        label=_("Reasons for the decision"),
        help_text=_("The applicant reads these. Say what the decision rests on."),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=5000,
        error_messages={"required": _("Enter the reasons for the decision")},
    )
    appeal_instructions = forms.CharField(
        label=_("How to appeal (for a rejection)"),
        help_text=_("Your unit's standard text; adapt it to this case if needed."),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=5000,
        required=False,
    )
    communication_note = forms.CharField(
        label=_("The applicant's chance to comment (for a rejection)"),
        help_text=_(
            "When and how the applicant was told of the material and could comment, "
            "or why that was not needed."
        ),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        required=False,
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("outcome") == Step.Outcome.REJECT:
            if not cleaned.get("appeal_instructions", "").strip():
                self.add_error(
                    "appeal_instructions", _("Enter how the applicant can appeal the rejection")
                )
            if not cleaned.get("communication_note", "").strip():
                self.add_error(
                    "communication_note",
                    _(
                        "Record when the applicant could comment on the material, "
                        "or why that was not needed"
                    ),
                )
        return cleaned


class InformationRequestForm(CaseForm):
    id_prefix = "request"
    items = forms.CharField(
        label=_("What the applicant needs to send"),
        help_text=_("One item per line, in words the applicant understands."),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=3000,
        error_messages={"required": _("Enter at least one item the applicant needs to send")},
    )
    due_date = BoundedDateField(
        label=_("Answer by"),
        help_text=_("For example 2027-03-15"),
        error_messages={
            "required": _("Enter the date the applicant should answer by"),
            "invalid": _("Enter the date as year-month-day, for example 2027-03-15"),
        },
    )

    def clean_items(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["items"].splitlines() if line.strip()]

    def clean_due_date(self) -> dt.date:
        due = self.cleaned_data["due_date"]
        if due <= timezone.localdate():
            raise forms.ValidationError(_("Enter a date after today"))
        return due


class NoteForm(CaseForm):
    id_prefix = "note"
    kind = forms.ChoiceField(
        label=_("What to record"),
        choices=[
            (JourneyEvent.Kind.NOTE, _("Note")),
            (JourneyEvent.Kind.CALL, _("Phone call")),
            (JourneyEvent.Kind.SITE_VISIT, _("Site visit")),
        ],
        widget=forms.RadioSelect,
        initial=JourneyEvent.Kind.NOTE,
        error_messages={"required": _("Select note, phone call or site visit")},
    )
    text = forms.CharField(
        label=_("Journal entry"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        error_messages={"required": _("Enter what happened")},
    )
    visible_to_applicant = forms.BooleanField(
        label=_("The applicant may read this entry"), required=False
    )


class DelayForm(CaseForm):
    id_prefix = "delay"
    reason = forms.CharField(
        label=_("Why the step will be late"),
        help_text=_(
            "The applicant is told this when the step is about to miss its due date "
            "(Administrative Procedure Act, section 11)."
        ),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=3000,
        error_messages={"required": _("Enter the reason for the delay")},
    )


class ReassignForm(CaseForm):
    id_prefix = "reassign"
    assignee = forms.ModelChoiceField(
        label=_("Caseworker"),
        queryset=None,
        error_messages={"required": _("Select a caseworker of the unit")},
    )

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = members
        self.fields["assignee"].label_from_instance = lambda user: user.get_username()


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
        from journeys.dashboard import CoordinationFilters

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
        from journeys.insight import Period

        data = self.cleaned_data
        return Period(
            journey_type=self.journey_types[data["journey_type"]],
            unit=self.units.get(data["unit"]),
            start=data["start"],
            end=data["end"],
        )
