"""Form pieces the domain's pages share."""

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _


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
