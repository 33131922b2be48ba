"""Swedish personal identity numbers and organisation numbers: format and check digit (Luhn)."""

import datetime as dt
import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_DIGITS = re.compile(r"^(\d{2})?(\d{6})[-+]?(\d{4})$")


def _luhn_ok(ten_digits: str) -> bool:
    total = 0
    for index, char in enumerate(ten_digits):
        value = int(char) * (2 if index % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def normalise_personnummer(value: str) -> str:
    """Return YYYYMMDD-NNNN, or raise ValidationError saying what to enter."""
    match = _DIGITS.match(value.strip().replace(" ", ""))
    if not match:
        raise ValidationError(
            _("Enter a personal identity number in the format YYYYMMDD-NNNN"), code="format"
        )
    century, date_part, tail = match.groups()
    if not _luhn_ok(date_part + tail):
        raise ValidationError(
            _("Check the personal identity number: the last digit does not match"), code="luhn"
        )
    day = int(date_part[4:6])
    if day > 60:  # a co-ordination number adds 60 to the day
        day -= 60
    if century is None:
        today = dt.date.today()  # noqa: DTZ011 - a birth date, no time zone involved
        century = str(today.year // 100 if int(date_part[:2]) <= today.year % 100 else 19)
    try:
        dt.date(int(century + date_part[:2]), int(date_part[2:4]), day)
    except ValueError as error:
        raise ValidationError(
            _("Check the personal identity number: the date of birth does not exist"), code="date"
        ) from error
    return f"{century}{date_part}-{tail}"


def normalise_orgnr(value: str) -> str:
    """Return NNNNNN-NNNN, or raise ValidationError saying what to enter."""
    match = _DIGITS.match(value.strip().replace(" ", ""))
    if not match or (match.group(1) not in (None, "16")):
        raise ValidationError(
            _("Enter an organisation number in the format NNNNNN-NNNN"), code="format"
        )
    head, tail = match.group(2), match.group(3)
    if not _luhn_ok(head + tail):
        raise ValidationError(
            _("Check the organisation number: the last digit does not match"), code="luhn"
        )
    return f"{head}-{tail}"
