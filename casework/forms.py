"""The case page's forms: each carries the version the case was loaded at."""

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from journeys.documents import accept_attribute, check_upload, upload_hint
from journeys.forms import BoundedDateField, ConversationMessageForm
from journeys.models import JourneyEvent, SecrecyGround, Step
from units.models import Unit


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

    blocks = forms.ModelMultipleChoiceField(
        label=_("Steps this request pauses"),
        help_text=_(
            "The steps ticked stop their clocks too and go on together when the applicant "
            "answers. Ticked to begin with: the steps that need the same details. This step "
            "always pauses."
        ),
        queryset=Step.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, blockable=None, default=(), **kwargs):
        super().__init__(*args, **kwargs)
        if not blockable:
            del self.fields["blocks"]
            return
        field = self.fields["blocks"]
        field.queryset = Step.objects.filter(pk__in=[s.pk for s in blockable])
        labels = {s.pk: f"{s.step_type.display_name} ({s.unit.display_name})" for s in blockable}
        field.label_from_instance = lambda s: labels[s.pk]
        # The choices in the journey's order, from the rows already read (no query per option).
        field.choices = [(s.pk, labels[s.pk]) for s in blockable]
        field.initial = [s.pk for s in default]

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


class DocumentForm(CaseForm):
    """A document of the unit's own for the case: internal unless shown to the applicant."""

    id_prefix = "document"
    upload = forms.FileField(
        label=_("Document"),
        error_messages={"required": _("Select the file to add to the case")},
    )
    visible_to_applicant = forms.BooleanField(
        label=_("The applicant may see this document"),
        help_text=_("Leave it unticked for an internal document, seen by your unit only."),
        required=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        upload = self.fields["upload"]
        upload.help_text = " ".join(
            [str(_("For example a site-visit photo or a letter you sent.")), str(upload_hint())]
        )
        upload.widget.attrs["accept"] = accept_attribute()

    def clean_upload(self):
        upload = self.cleaned_data["upload"]
        check_upload(upload)
        return upload


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


class ReopenForm(CaseForm):
    id_prefix = "reopen"
    reason = forms.CharField(
        label=_("Why the decision is reopened"),
        help_text=_("The applicant and the units whose steps depend on it read this."),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=3000,
        error_messages={"required": _("Enter why the decision is reopened")},
    )


class SendBackForm(CaseForm):
    id_prefix = "send-back"
    to = forms.ModelChoiceField(
        label=_("Earlier step to send it back to"),
        queryset=Step.objects.none(),
        widget=forms.RadioSelect,
        error_messages={"required": _("Select the earlier step to send the case back to")},
    )
    reason = forms.CharField(
        label=_("What must be done first"),
        help_text=_("For example: the building permit must be amended first."),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=3000,
        error_messages={"required": _("Enter what must be done first")},
    )

    def __init__(self, *args, targets, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["to"]
        field.queryset = Step.objects.filter(pk__in=[t.pk for t in targets])
        labels = {t.pk: f"{t.step_type.display_name} ({t.unit.display_name})" for t in targets}
        field.label_from_instance = lambda t: labels[t.pk]
        field.choices = [(t.pk, labels[t.pk]) for t in targets]


class TransferForm(CaseForm):
    id_prefix = "transfer"
    unit = forms.ModelChoiceField(
        label=_("Unit to transfer the case to"),
        queryset=None,
        error_messages={"required": _("Select the unit to transfer the case to")},
    )
    reason = forms.CharField(
        label=_("Why the case belongs to that unit"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=3000,
        error_messages={"required": _("Enter why the case belongs to the other unit")},
    )

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        self.fields["unit"].label_from_instance = lambda unit: unit.display_name


class ConsultationForm(CaseForm):
    """Ask another unit's opinion on the step (remiss)."""

    id_prefix = "consult"
    unit = forms.ModelChoiceField(
        label=_("Unit to consult"),
        queryset=Unit.objects.none(),
        empty_label=_("Choose a unit"),
        error_messages={"required": _("Select the unit to consult")},
    )
    question = forms.CharField(
        label=_("Question to the unit"),
        help_text=_("The unit sees your question and the answers your step may see."),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=3000,
        error_messages={"required": _("Enter the question to the unit")},
    )
    due_date = BoundedDateField(
        label=_("The unit should answer by"),
        help_text=_("For example 2027-03-15"),
        error_messages={
            "required": _("Enter the date the unit should answer by"),
            "invalid": _("Enter the date as year-month-day, for example 2027-03-15"),
        },
    )

    def __init__(self, *args, asking_unit: Unit, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = Unit.objects.exclude(pk=asking_unit.pk).order_by("name")

    def clean_due_date(self) -> dt.date:
        due = self.cleaned_data["due_date"]
        if due <= timezone.localdate():
            raise forms.ValidationError(_("Enter a date after today"))
        return due


class ConsultationAnswerForm(forms.Form):
    use_required_attribute = False
    answer = forms.CharField(
        label=_("Your unit's answer"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=5000,
        error_messages={"required": _("Enter your unit's answer")},
    )


class MessageForm(ConversationMessageForm):
    """The unit's message to the applicant about its step (no version: a message changes
    nothing another form on the page was loaded with)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "message-%s")
        super().__init__(*args, **kwargs)
        self.fields["body"].label = _("Your message to the applicant")


class SecrecyMarkForm(forms.Form):
    """Mark a document or an answer of the case as subject to secrecy (no version: a marking
    changes nothing another form on the page was loaded with). `items`: (value, label) of what
    the unit sees and has not marked yet."""

    use_required_attribute = False
    item = forms.ChoiceField(
        label=_("Document or answer"),
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Select the document or answer to mark as secret"),
            "invalid_choice": _("Select one of the documents or answers listed"),
        },
    )
    ground = forms.ModelChoiceField(
        label=_("Ground for secrecy"),
        help_text=_("The provision of the Public Access to Information and Secrecy Act (OSL)."),
        queryset=SecrecyGround.objects.none(),
        empty_label=_("Choose a ground"),
        error_messages={
            "required": _("Select the ground for secrecy"),
            "invalid_choice": _("Select one of the grounds listed"),
        },
    )
    reason = forms.CharField(
        label=_("Why it is secret"),
        help_text=_("What the ground protects here. Only your unit reads this."),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        error_messages={"required": _("Enter why the document or answer is secret")},
    )

    def __init__(self, *args, items: list[tuple[str, str]], **kwargs):
        kwargs.setdefault("auto_id", "secrecy-%s")
        super().__init__(*args, **kwargs)
        self.fields["item"].choices = items
        ground = self.fields["ground"]
        ground.queryset = SecrecyGround.objects.offered()
        ground.label_from_instance = lambda g: f"{g.label} – {g.display_title}"


class SecrecyRemoveForm(forms.Form):
    """Remove one of the unit's secrecy markings on the case, saying why."""

    use_required_attribute = False
    marking = forms.ChoiceField(
        label=_("Marking to remove"),
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Select the marking to remove"),
            "invalid_choice": _("Select one of the markings listed"),
        },
    )
    reason = forms.CharField(
        label=_("Why the marking is removed"),
        help_text=_("For example: the ground no longer applies. Only your unit reads this."),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        error_messages={"required": _("Enter why the marking is removed")},
    )

    def __init__(self, *args, markings: list[tuple[str, str]], **kwargs):
        kwargs.setdefault("auto_id", "unmark-%s")
        super().__init__(*args, **kwargs)
        self.fields["marking"].choices = markings
