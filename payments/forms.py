from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from journeys.documents import MARKUP


class PaymentFileForm(forms.Form):
    use_required_attribute = False
    upload = forms.FileField(
        label=_("Payment file from Bankgirot (BgMax)"),
        help_text=_("The text file Bankgirot sends for your unit's bankgiro number."),
        error_messages={"required": _("Choose the BgMax file to import")},
    )

    def clean_upload(self):
        """A text file of fixed-width records: its size bounded, its bytes read once here."""
        upload = self.cleaned_data["upload"]
        if upload.size > settings.PAYMENT_FILE_MAX_BYTES:
            raise ValidationError(
                _("The file must be smaller than %(size)s"),
                code="size",
                params={"size": filesizeformat(settings.PAYMENT_FILE_MAX_BYTES)},
            )
        content = upload.read()
        lowered = content.lower()
        if b"\x00" in content or any(tag in lowered for tag in MARKUP):
            raise ValidationError(
                _("The file must be a BgMax text file from Bankgirot"), code="type"
            )
        return (upload.name, content)
