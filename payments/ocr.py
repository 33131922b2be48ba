"""Swedish OCR reference numbers (Bankgirot's "OCR-referens") for invoices.

Our numbers carry both controls Bankgirot offers, so its "hard" OCR check can be switched on for
the unit's bankgiro: the base number (the invoice's step id, at least five digits), then a
length digit (the whole number's length, check digit included, modulo 10), then a
modulus-10 (Luhn) check digit over everything before it. A payer's typing mistake in one digit
or two swapped neighbours fails the check at the payer's bank, before any money moves.
"""

from units.bankgiro import luhn_check_digit, luhn_is_valid

MIN_BASE_DIGITS = 5
MAX_LENGTH = 25  # the widest reference a BgMax payment record carries


def ocr_make(base: int) -> str:
    """The OCR reference for the positive number `base` (with its length and check digits)."""
    digits = str(base).zfill(MIN_BASE_DIGITS)
    length_digit = str((len(digits) + 2) % 10)
    number = digits + length_digit
    return number + str(luhn_check_digit(number))


def ocr_is_valid(reference: str, *, length_digit: bool = True) -> bool:
    """Whether `reference` passes the check digit (and, if asked, the length digit)."""
    if not (reference.isdigit() and 2 <= len(reference) <= MAX_LENGTH):
        return False
    if length_digit and int(reference[-2]) != len(reference) % 10:
        return False
    return luhn_is_valid(reference)
