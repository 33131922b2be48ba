import datetime as dt

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.html import escape
from django.utils.translation import gettext_lazy as _

from citizens.identity_numbers import normalise_orgnr, normalise_personnummer
from journeys.definitions import FILE_KIND
from journeys.documents import accept_attribute, check_upload, upload_hint
from journeys.forms import BoundedDateField
from journeys.models import JourneyType
from journeys.selectors import journey_routing_fields

YES_NO = [("yes", _("Yes")), ("no", _("No"))]


class FileAnswerField(forms.FileField):
    """A file question's answer: a new upload, checked as every upload is (for the types the
    question takes), or, when none is chosen, the file given before (the initial value: its
    name, as the journey's data holds it)."""

    def __init__(self, *, accept=None, **kwargs):
        self.accept = accept
        kwargs["widget"] = forms.FileInput(attrs={"accept": accept_attribute(accept)})
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        value = super().clean(data, initial)
        if isinstance(value, UploadedFile):
            check_upload(value, accept=self.accept)
        return value


class ApplicantDataForm(forms.Form):
    """The journey's applicant data: every field once, whatever number of steps need it. Bind it
    with the files too (a file question), and with the answers as `initial` as well as data to
    check a whole draft (a file given before then answers its question)."""

    use_required_attribute = False
    REMOVE = "%s-remove"

    def __init__(self, *args, journey_type: JourneyType, only: list[str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.kinds = {}
        for spec in journey_type.display_fields:
            if only is None or spec["key"] in only:
                self.fields[spec["key"]] = self._field(spec)
                self.kinds[spec["key"]] = spec["kind"]
                if spec["kind"] == FILE_KIND and only is not None:
                    self._file_given(spec)

    def _file_given(self, spec: dict) -> None:
        """On a file question's page: the file given before, and (optional) a way to remove it."""
        name = self.initial.get(spec["key"])
        if not name:
            return
        field = self.fields[spec["key"]]
        field.help_text = " ".join(
            [
                str(spec.get("hint", "")),
                str(
                    _("You have sent %(name)s. Choose another file only to replace it.")
                    % {"name": escape(name)}  # the hint is shown as HTML
                ),
                str(upload_hint(spec.get("accept"))),
            ]
        ).strip()
        if spec.get("optional", False):
            self.fields[self.REMOVE % spec["key"]] = forms.BooleanField(
                label=_("Remove %(name)s from the application") % {"name": name},
                required=False,
            )

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
            case "file":
                common["error_messages"]["required"] = _("Select a file for %(label)s") % {
                    "label": label[:1].lower() + label[1:]
                }
                common["help_text"] = " ".join(
                    [str(common["help_text"]), str(upload_hint(spec.get("accept")))]
                ).strip()
                return FileAnswerField(accept=spec.get("accept"), **common)
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
            if kind == FILE_KIND:
                continue  # stored as documents: file_answers()
            if kind == "yesno":
                value = value == "yes"
            elif isinstance(value, dt.date):
                value = value.isoformat()
            answers[key] = value
        return answers

    def file_answers(self) -> dict[str, tuple[UploadedFile | None, bool]]:
        """File questions: key -> (the new upload or None, whether to remove the file given)."""
        return {
            key: (
                value if isinstance(value := self.cleaned_data.get(key), UploadedFile) else None,
                bool(self.cleaned_data.get(self.REMOVE % key)),
            )
            for key, kind in self.kinds.items()
            if kind == FILE_KIND
        }

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
        self.fields["documents"].queryset = journey.documents.from_applicant()
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


class OwnDataDownloadForm(forms.Form):
    """The "download your data" button: nothing to fill in; it carries the refusal when the
    account has downloaded as often as an hour allows."""

    def refuse(self, message: str) -> None:
        self.is_valid()  # add_error needs the form cleaned first
        self.add_error(None, message)
