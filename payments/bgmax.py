"""Bankgirot's BgMax payment file: fixed-width records of 80 characters, read whole and checked
against its own counts and totals before anything is applied.

Records (transaction codes, positions 1-2) read here, by Bankgirot's technical manual:
01 start (layout "BGMAX", version, timestamp, test marker T/P), 05 opening (recipient bankgiro,
currency), 20 payment and 21 deduction (sender bankgiro 3-12, reference 13-37, amount in öre
38-55, reference code 56, channel 57, BGC serial number 58-69, image marker 70), 22/23 extra
references, 25 information, 26-29 payer's name and address, 15 deposit (bank account 3-37,
date 38-45, deposit serial 46-50, total 51-68, currency 69-71, number of payments 72-79) and 70
end (counts of payment, deduction, extra-reference and deposit records, 3-10, 11-18, 19-26,
27-34). A file whose counts or totals do not add up is refused whole.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

RECORD_LENGTH = 80
KNOWN = {"01", "05", "15", "20", "21", "22", "23", "25", "26", "27", "28", "29", "70"}


class BgMaxError(Exception):
    """A file that cannot be read as BgMax; the message says why, in the reader's language."""

    def __init__(self, message, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.line = line

    def __str__(self) -> str:
        if self.line is None:
            return str(self.message)
        return str(_("Line %(line)s: %(problem)s") % {"line": self.line, "problem": self.message})


@dataclass
class BgPayment:
    sender_bankgiro: str
    reference: str
    reference_code: str
    amount_ore: int
    bgc_serial: str
    is_deduction: bool = False
    payer_name: str = ""
    paid_on: dt.date | None = None


@dataclass
class BgDeposit:
    recipient_bankgiro: str
    currency: str
    payments: list[BgPayment] = field(default_factory=list)
    total_ore: int = 0
    paid_on: dt.date | None = None


@dataclass
class BgMaxFile:
    written_at: str
    is_test: bool
    deposits: list[BgDeposit] = field(default_factory=list)

    @property
    def payments(self) -> list[BgPayment]:
        return [payment for deposit in self.deposits for payment in deposit.payments]


def _number(text: str, line: int, what) -> int:
    if not text.isdigit():
        raise BgMaxError(_("%(what)s is not a number") % {"what": what}, line)
    return int(text)


def bgmax_parse(text: str) -> BgMaxFile:
    """Read a whole BgMax file, or raise BgMaxError naming the first problem."""
    lines = text.replace("\r\n", "\n").rstrip("\n").split("\n") if text.strip() else []
    if not lines or not lines[0].startswith("01BGMAX"):
        raise BgMaxError(_("This is not a BgMax file: it must begin with a BGMAX start record"))
    for number, line in enumerate(lines, start=1):
        if len(line.rstrip()) > RECORD_LENGTH:
            raise BgMaxError(_("a record is longer than 80 characters"), number)
        if line[:2] not in KNOWN:
            raise BgMaxError(_("unknown record type “%(code)s”") % {"code": line[:2]}, number)
    records = [(n, line.ljust(RECORD_LENGTH)) for n, line in enumerate(lines, start=1)]
    start = records[0][1]
    if start[22:24] != "01":
        raise BgMaxError(_("only version 01 of BgMax is supported"), 1)
    if start[44] not in "TP":
        raise BgMaxError(_("the test marker must be T or P"), 1)
    parsed = BgMaxFile(written_at=start[24:44].strip(), is_test=start[44] == "T")
    counts = {"20": 0, "21": 0, "22": 0, "23": 0, "15": 0}
    deposit: BgDeposit | None = None
    last_payment: BgPayment | None = None
    end_seen = False
    for number, record in records[1:]:
        code = record[:2]
        if end_seen:
            raise BgMaxError(_("there are records after the end record"), number)
        if code in counts:
            counts[code] += 1
        if code == "05":
            if deposit is not None:
                raise BgMaxError(_("a deposit opens before the last one was closed"), number)
            deposit = BgDeposit(
                recipient_bankgiro=str(_number(record[2:12], number, _("The bankgiro number"))),
                currency=record[22:25],
            )
            if deposit.currency != "SEK":
                raise BgMaxError(_("only payments in SEK can be read"), number)
            last_payment = None
        elif code == "70":
            if deposit is not None:
                raise BgMaxError(_("the file ends inside a deposit"), number)
            expected = [
                _number(record[2:10], number, _("The number of payments")),
                _number(record[10:18], number, _("The number of deductions")),
                _number(record[18:26], number, _("The number of extra references")),
                _number(record[26:34], number, _("The number of deposits")),
            ]
            found = [counts["20"], counts["21"], counts["22"] + counts["23"], counts["15"]]
            if expected != found:
                raise BgMaxError(
                    _("the end record counts %(expected)s records but the file has %(found)s")
                    % {"expected": sum(expected), "found": sum(found)},
                    number,
                )
            end_seen = True
        elif deposit is None:
            raise BgMaxError(_("a record comes before any deposit opening record"), number)
        elif code in ("20", "21"):
            last_payment = BgPayment(
                sender_bankgiro=record[2:12].lstrip("0"),
                reference=record[12:37].strip(),
                amount_ore=_number(record[37:55], number, _("The amount")),
                reference_code=record[55],
                bgc_serial=record[57:69],
                is_deduction=code == "21",
            )
            if not last_payment.bgc_serial.isdigit():
                raise BgMaxError(_("the payment has no serial number from Bankgirot"), number)
            deposit.payments.append(last_payment)
        elif code == "26":
            if last_payment is not None:
                last_payment.payer_name = record[2:37].strip()
        elif code == "15":
            paid_on = _date(record[37:45], number)
            total = _number(record[50:68], number, _("The deposit's total"))
            count = _number(record[71:79], number, _("The number of payments"))
            payments = [p for p in deposit.payments if not p.is_deduction]
            deductions = [p for p in deposit.payments if p.is_deduction]
            paid = sum(p.amount_ore for p in payments) - sum(p.amount_ore for p in deductions)
            if count != len(deposit.payments) or total != paid:
                raise BgMaxError(
                    _("the deposit's total or number of payments does not match its payments"),
                    number,
                )
            deposit.total_ore = total
            deposit.paid_on = paid_on
            for payment in deposit.payments:
                payment.paid_on = paid_on
            parsed.deposits.append(deposit)
            deposit = None
    if not end_seen:
        raise BgMaxError(_("The file is incomplete: its end record is missing"))
    return parsed


def _date(text: str, line: int) -> dt.date:
    try:
        return dt.datetime.strptime(text, "%Y%m%d").date()  # noqa: DTZ007 (a date, no time)
    except ValueError:
        raise BgMaxError(_("the deposit date is not a date"), line) from None
