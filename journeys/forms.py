from django import forms
from django.utils.translation import gettext_lazy as _

from journeys.models import Step


class DecisionForm(forms.Form):
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
    version = forms.IntegerField(widget=forms.HiddenInput)
