import datetime as dt

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from citizens.identity_numbers import normalise_orgnr, normalise_personnummer
from journeys.documents import check_upload
from journeys.forms import BoundedDateField
from journeys.models import JourneyType
from journeys.selectors import journey_routing_fields

YES_NO = [("yes", _("Yes")), ("no", _("No"))]


class ApplicantDataForm(forms.Form):
    """The journey's applicant data: every field once, whatever number of steps need it."""

    use_required_attribute = False

    def __init__(self, *args, journey_type: JourneyType, only: list[str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.kinds = {}
        for spec in journey_type.display_fields:
            if only is None or spec["key"] in only:
                self.fields[spec["key"]] = self._field(spec)
                self.kinds[spec["key"]] = spec["kind"]

    @staticmethod
    def _field(spec: dict) -> forms.Field:
        label = spec["label"]
        optional = spec.get("optional", False)
        common = {
            "label": label,
            "required": not optional,
            "help_text": spec.get("hint", ""),
            "error_messages": {
                "required": _("Enter %(label)s") % {"label": label[:1].lower() + label[1:]},
                "max_length": _("Shorten your answer to %(limit_value)d characters or fewer"),
            },
        }
        match spec["kind"]:
            case "textarea":
                return forms.CharField(
                    widget=forms.Textarea(attrs={"rows": 3}), max_length=2000, **common
                )
            case "email":
                common["error_messages"]["invalid"] = _(
                    "Enter an e-mail address in the correct format, like name@example.com"
                )
                return forms.EmailField(**common)
            case "date":
                common["error_messages"]["invalid"] = _(
                    "Enter the date as year-month-day, for example 2027-03-15"
                )
                return BoundedDateField(**common)
            case "yesno":
                common["error_messages"]["required"] = _("Select yes or no")
                return forms.ChoiceField(choices=YES_NO, widget=forms.RadioSelect, **common)
            case "orgnr" | "personnummer":
                return forms.CharField(max_length=20, **common)
            case _:
                return forms.CharField(max_length=300, **common)

    def clean(self):
        cleaned = super().clean()
        for key, kind in self.kinds.items():
            value = cleaned.get(key)
            if not value or kind not in ("orgnr", "personnummer"):
                continue
            check = normalise_orgnr if kind == "orgnr" else normalise_personnummer
            try:
                cleaned[key] = check(value)
            except ValidationError as error:
                self.add_error(key, error)
        return cleaned

    def answers(self) -> dict:
        """The cleaned data as JSON-safe answers (dates as ISO text, yes/no as booleans)."""
        answers = {}
        for key, kind in self.kinds.items():
            value = self.cleaned_data.get(key)
            if kind == "yesno":
                value = value == "yes"
            elif isinstance(value, dt.date):
                value = value.isoformat()
            answers[key] = value
        return answers

    @classmethod
    def initial_from(cls, data: dict) -> dict:
        return {
            key: ("yes" if value else "no") if isinstance(value, bool) else value
            for key, value in data.items()
        }


class InformationAnswerForm(forms.Form):
    use_required_attribute = False
    answer = forms.CharField(
        label=_("Your answer"),
        help_text=_("Answer each item the unit asked for."),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=10000,
        error_messages={"required": _("Enter your answer to the request")},
    )
    upload = forms.FileField(
        label=_("Upload a document"),
        help_text=_("A PDF, JPG or PNG file, smaller than 10 MB."),
        required=False,
    )
    documents = forms.ModelMultipleChoiceField(
        label=_("Documents you have already sent"),
        help_text=_("Select any that answer this request too; they are not sent again."),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    # Answers a routing rule reads may be corrected with the answer; other kinds are not
    # offered (their checks belong to the application's question pages).
    AMENDABLE_KINDS = ("text", "textarea", "email", "phone")

    def __init__(self, *args, journey, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["documents"].queryset = journey.documents.filter(generated_as="")
        self.fields["documents"].label_from_instance = lambda document: document.name
        if not self.fields["documents"].queryset.exists():
            del self.fields["documents"]
        self.amendable = []
        routing = set(journey_routing_fields(journey))
        for spec in journey.journey_type.display_fields:
            if spec["key"] in routing and spec["kind"] in self.AMENDABLE_KINDS:
                field = ApplicantDataForm._field(spec)
                field.required = False
                field.initial = journey.data.get(spec["key"], "")
                field.help_text = _(
                    "Your earlier answer. Change it only if it was wrong: it decides which "
                    "unit handles a later step."
                )
                self.fields[spec["key"]] = field
                self.amendable.append(spec["key"])

    def amendments(self) -> dict:
        """The answers to the journey's questions given with this answer (changed or not)."""
        return {key: self.cleaned_data.get(key, "") for key in self.amendable}

    def clean_upload(self):
        upload = self.cleaned_data.get("upload")
        if upload:
            check_upload(upload)
        return upload


class ApplyingAsForm(forms.Form):
    """Who the application is for: the applicant as a private person, or an organisation."""

    use_required_attribute = False
    applying_as = forms.ChoiceField(
        label=_("Who is the application for?"),
        choices=[
            ("person", _("Myself, as a private person")),
            ("organisation", _("An organisation, such as a company or an association")),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": _("Select who the application is for")},
    )


class OrganisationForm(forms.Form):
    """The organisation applied for: its number (format and check digit) and name."""

    use_required_attribute = False
    number = forms.CharField(
        label=_("Organisation number"),
        help_text=_("10 digits, for example 556016-0680"),
        max_length=20,
        error_messages={"required": _("Enter the organisation number")},
    )
    name = forms.CharField(
        label=_("Name of the organisation"),
        max_length=200,
        error_messages={
            "required": _("Enter the name of the organisation"),
            "max_length": _("Shorten the name to %(limit_value)d characters or fewer"),
        },
    )

    def __init__(self, *args, person=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.person = person

    def clean_number(self):
        return normalise_orgnr(self.cleaned_data["number"])

    def clean(self):
        cleaned = super().clean()
        if self.person is None:
            raise ValidationError(
                _(
                    "To apply for an organisation, sign in with e-ID: the right to represent it "
                    "goes with your personal identity number"
                ),
                code="no_person",
            )
        return cleaned


class RepresentativeInviteForm(forms.Form):
    """Another person who may act for the organisation, by their personal identity number."""

    use_required_attribute = False
    number = forms.CharField(
        label=_("Their personal identity number"),
        help_text=_("12 digits, for example 19810215-1234"),
        max_length=20,
        error_messages={"required": _("Enter their personal identity number")},
    )
    name = forms.CharField(
        label=_("Their name"),
        max_length=300,
        error_messages={
            "required": _("Enter their name"),
            "max_length": _("Shorten the name to %(limit_value)d characters or fewer"),
        },
    )

    def clean_number(self):
        return normalise_personnummer(self.cleaned_data["number"])


class WithdrawForm(forms.Form):
    """Why the applicant withdraws: optional, seen by the units on the journey's timeline."""

    use_required_attribute = False
    reason = forms.CharField(
        label=_("Why are you withdrawing your application?"),
        help_text=_("You do not have to say. The units handling your application will see it."),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={
            "max_length": _("Shorten your reason to %(limit_value)d characters or fewer"),
        },
    )
