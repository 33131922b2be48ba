import pytest
from django.core.exceptions import ValidationError

from citizens.identity_numbers import normalise_orgnr, normalise_personnummer


@pytest.mark.parametrize(
    ("entered", "stored"),
    [
        ("556016-0680", "556016-0680"),
        ("5560160680", "556016-0680"),
        ("16556016-0680", "556016-0680"),
    ],
)
def test_organisation_numbers_are_accepted_in_common_forms(entered, stored):
    assert normalise_orgnr(entered) == stored


@pytest.mark.parametrize(
    ("entered", "code"),
    [("556016-0681", "luhn"), ("55601", "format"), ("abc", "format"), ("19556016-0680", "format")],
)
def test_wrong_organisation_numbers_say_what_is_wrong(entered, code):
    with pytest.raises(ValidationError) as error:
        normalise_orgnr(entered)
    assert error.value.code == code


@pytest.mark.parametrize(
    ("entered", "stored"),
    [
        ("19811218-9876", "19811218-9876"),
        ("811218-9876", "19811218-9876"),
        ("198112189876", "19811218-9876"),
        ("19811278-9873", "19811278-9873"),  # co-ordination number: day + 60
    ],
)
def test_personal_identity_numbers_are_accepted(entered, stored):
    assert normalise_personnummer(entered) == stored


@pytest.mark.parametrize(
    ("entered", "code"),
    [("19811218-9875", "luhn"), ("19811318-9875", "date"), ("1981-12-18", "format")],
)
def test_wrong_personal_identity_numbers_say_what_is_wrong(entered, code):
    with pytest.raises(ValidationError) as error:
        normalise_personnummer(entered)
    assert error.value.code == code
