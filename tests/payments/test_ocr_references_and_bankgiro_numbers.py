import pytest
from django.core.exceptions import ValidationError

from payments.ocr import ocr_is_valid, ocr_make
from units.bankgiro import bankgiro_display, luhn_check_digit, validate_bankgiro


@pytest.mark.parametrize(
    ("digits", "check"),
    [("7992739871", 3), ("123456789", 7), ("5050105", 5), ("0", 0), ("18", 2)],
)
def test_the_check_digit_is_modulus_10(digits, check):
    assert luhn_check_digit(digits) == check


@pytest.mark.parametrize(
    "reference",
    [
        "79927398713",  # the textbook Luhn number; 11 digits, and its length digit is 1
        "1234574",  # 12345, length digit 7, check digit 4
        "0000174",
    ],
)
def test_known_valid_references_pass(reference):
    assert ocr_is_valid(reference)


@pytest.mark.parametrize(
    "reference",
    [
        "79927398710",  # wrong check digit
        "79927398731",  # two neighbours swapped
        "1234584",  # wrong length digit (8 for 7 digits), check digit right for it
        "1234575",  # one digit off
        "12345 74",
        "",
        "1" * 26,  # longer than a BgMax reference can be
    ],
)
def test_known_invalid_references_fail(reference):
    assert not ocr_is_valid(reference)


def test_a_reference_without_a_length_digit_can_be_checked_by_its_check_digit_alone():
    assert ocr_is_valid("1234567897", length_digit=False)
    assert not ocr_is_valid("1234567897")  # its last-but-one digit is not its length


@pytest.mark.parametrize("base", [1, 42, 12345, 987654321, 10**20])
def test_every_reference_made_passes_both_checks(base):
    reference = ocr_make(base)
    assert ocr_is_valid(reference)
    assert reference[:-2].lstrip("0") == str(base)


def test_references_of_different_numbers_differ():
    assert len({ocr_make(n) for n in range(1, 2000)}) == 1999


@pytest.mark.parametrize("number", ["5050-1055", "50501055", "5550-1027", "991-2346"])
def test_valid_bankgiro_numbers_are_accepted(number):
    validate_bankgiro(number)


@pytest.mark.parametrize("number", ["5050-1056", "505-105", "5050-10555", "ABCD-1055", ""])
def test_invalid_bankgiro_numbers_are_refused(number):
    with pytest.raises(ValidationError):
        validate_bankgiro(number)


def test_a_bankgiro_number_is_shown_as_on_an_invoice():
    assert bankgiro_display("50501055") == "5050-1055"
    assert bankgiro_display("9912346") == "991-2346"
