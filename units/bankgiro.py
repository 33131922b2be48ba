"""Bankgiro numbers: 7 or 8 digits whose last is a modulus-10 (Luhn) check digit."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


def luhn_check_digit(digits: str) -> int:
    """The modulus-10 check digit for `digits`: from the right, every other digit doubled."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char) * (2 if index % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return (10 - total % 10) % 10


def luhn_is_valid(number: str) -> bool:
    return number.isdigit() and int(number[-1]) == luhn_check_digit(number[:-1])


def bankgiro_digits(value: str) -> str:
    """ "5050-1055" -> "50501055" (a hyphen and spaces are how people write it)."""
    return value.replace("-", "").replace(" ", "")


def validate_bankgiro(value: str) -> None:
    digits = bankgiro_digits(value)
    if not (digits.isdigit() and len(digits) in (7, 8) and luhn_is_valid(digits)):
        raise ValidationError(
            _("Enter a bankgiro number of 7 or 8 digits, like 5050-1055, with its check digit"),
            code="bankgiro",
        )


def bankgiro_display(digits: str) -> str:
    """ "50501055" -> "5050-1055", as printed on Swedish invoices."""
    return f"{digits[:-4]}-{digits[-4:]}" if digits else ""
