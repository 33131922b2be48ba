"""Form pieces the domain's pages share."""

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from journeys.documents import check_upload
from journeys.models import ConversationMessage


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


class ConversationMessageForm(forms.Form):
    """A message between the applicant and a unit: its text, and a document if wanted."""

    use_required_attribute = False
    body = forms.CharField(
        label=_("Your message"),
        help_text=_("At most 5,000 characters."),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=ConversationMessage.BODY_MAX_LENGTH,
        error_messages={
            "required": _("Enter your message"),
            "max_length": _("Shorten your message to %(limit_value)d characters or fewer"),
        },
    )
    upload = forms.FileField(
        label=_("Attach a document"),
        help_text=_("A PDF, JPG or PNG file, smaller than 10 MB."),
        required=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # No maxlength in the page: a browser would cut a longer text pasted in without a word;
        # the error says how long it may be, and what was written stays to be shortened.
        self.fields["body"].widget.attrs.pop("maxlength", None)

    def clean_upload(self):
        upload = self.cleaned_data.get("upload")
        if upload:
            check_upload(upload)
        return upload

    def clean(self):
        cleaned = super().clean()
        # A browser never sends a chosen file again: say so rather than drop it unseen.
        if cleaned.get("upload") and self.errors:
            self.add_error(
                "upload",
                _("Choose the file again: it is not kept while the message has an error"),
            )
        return cleaned
