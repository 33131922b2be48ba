"""The BgMax reader: whole files read, and every file that does not add up refused with why."""

import datetime as dt

import pytest

from payments.bgmax import BgMaxError, bgmax_parse
from tests.payments.bgmax_files import bgmax_file, payment, record

BG = "5550-1027"


def test_a_file_is_read_with_its_deposit_payments_and_payer_names():
    text = bgmax_file(BG, [("1234574", 110000), ("0000174", 50)], names={1: "Anna Andersson"})
    parsed = bgmax_parse(text)
    assert not parsed.is_test and parsed.written_at == "20261201173035010331"
    (deposit,) = parsed.deposits
    assert deposit.recipient_bankgiro == "55501027" and deposit.currency == "SEK"
    assert deposit.total_ore == 110050 and deposit.paid_on == dt.date(2026, 12, 1)
    first, second = parsed.payments
    assert (first.reference, first.amount_ore, first.reference_code) == ("1234574", 110000, "2")
    assert second.payer_name == "Anna Andersson" and len(second.bgc_serial) == 12


def test_a_test_file_is_marked_as_such_and_windows_line_ends_are_read():
    text = bgmax_file(BG, [("1234574", 100)], test_marker="T").replace("\n", "\r\n")
    assert bgmax_parse(text).is_test


def test_a_deduction_lowers_the_deposit():
    deduction = record(payment("1234574", 30)[0].replace("20", "21", 1)[:70] + "1")
    text = bgmax_file(BG, [("1234574", 100), deduction], end_counts=(1, 1, 0, 1), deposit_total=70)
    assert [p.is_deduction for p in bgmax_parse(text).payments] == [False, True]


def _problem(text: str) -> str:
    with pytest.raises(BgMaxError) as refused:
        bgmax_parse(text)
    return str(refused.value)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "must begin with a BGMAX start record"),
        ("%PDF-1.7\n", "must begin with a BGMAX start record"),
        ("hello,world\n1,2\n", "must begin with a BGMAX start record"),
    ],
)
def test_what_is_not_bgmax_at_all_is_refused(text, problem):
    assert problem in _problem(text)


def test_a_truncated_file_is_refused():
    whole = bgmax_file(BG, [("1234574", 100), ("0000174", 200)])
    lines = whole.splitlines()
    assert "end record is missing" in _problem("\n".join(lines[:-1]))
    assert "ends inside a deposit" not in _problem("\n".join(lines[:-1]))
    # Cut inside a deposit, the end record kept (as a careless copy might): still refused.
    assert "Line 4" in _problem("\n".join([*lines[:3], lines[-1]]))
    # Cut in the middle of a record.
    assert "end record is missing" in _problem(whole[: len(whole) // 2])


def test_counts_in_the_end_record_must_match_the_records():
    text = bgmax_file(BG, [("1234574", 100)], end_counts=(2, 0, 0, 1))
    assert "counts 3 records but the file has 2" in _problem(text)


def test_the_deposit_total_must_match_its_payments():
    text = bgmax_file(BG, [("1234574", 100), ("0000174", 200)], deposit_total=250)
    assert "does not match its payments" in _problem(text)


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda lines: lines.__setitem__(2, lines[2][:40] + "X" + lines[2][41:]), "Line 3"),
        (lambda lines: lines.__setitem__(2, "99" + lines[2][2:]), "unknown record type"),
        (lambda lines: lines.__setitem__(2, lines[2] + "overlong"), "longer than 80"),
        (lambda lines: lines.__setitem__(1, lines[1].replace("SEK", "EUR")), "SEK"),
        (lambda lines: lines.__setitem__(0, lines[0].replace("P ", "X ")), "test marker"),
        (lambda lines: lines.__setitem__(2, lines[2][:57] + " " * 12 + lines[2][69:]), "serial"),
        (lambda lines: lines.insert(1, lines[2]), "before any deposit"),
        (lambda lines: lines.append(lines[2]), "after the end record"),
    ],
)
def test_malformed_records_are_refused_with_their_line(change, problem):
    lines = bgmax_file(BG, [("1234574", 100)]).splitlines()
    change(lines)
    assert problem in _problem("\n".join(lines))


def test_the_reason_is_given_in_swedish_to_a_swedish_reader():
    from django.utils import translation

    with translation.override("sv"):
        assert "Rad" in _problem(bgmax_file(BG, [("1234574", 100)], end_counts=(2, 0, 0, 1)))
