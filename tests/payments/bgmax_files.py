"""BgMax files written the way Bankgirot writes them, for the tests: 80-character records."""

import itertools

_serials = itertools.count(100000000001)


def record(text: str) -> str:
    assert len(text) <= 80, text
    return text.ljust(80)


def payment(reference: str, amount_ore: int, *, serial: str | None = None, code: str = "2"):
    """A TK20 payment record (and its serial, so a test can send the same payment again)."""
    serial = serial or str(next(_serials))
    return record(f"20{'0' * 10}{reference:<25}{amount_ore:018d}{code}1{serial:>12}0"), serial


def bgmax_file(
    recipient_bankgiro: str,
    payments: list[tuple[str, int]] | list[str],
    *,
    names: dict[int, str] | None = None,
    end_counts: tuple[int, int, int, int] | None = None,
    deposit_total: int | None = None,
    test_marker: str = "P",
    stamp: str = "20261201173035010331",
) -> str:
    """A whole file with one deposit to `recipient_bankgiro` of the given payments, which are
    (reference, öre) pairs or ready-made TK20 records."""
    records = [
        record(f"01BGMAX               01{stamp}{test_marker}"),
        record(f"05{int(recipient_bankgiro.replace('-', '')):010d}          SEK"),
    ]
    total = 0
    for index, item in enumerate(payments):
        line = item if isinstance(item, str) else payment(*item)[0]
        records.append(line)
        total += int(line[37:55])
        if names and index in names:
            records.append(record(f"26{names[index]}"))
    total = total if deposit_total is None else deposit_total
    records.append(
        record(f"15{'0' * 25}5841000010" + f"20261201{1:05d}{total:018d}SEK{len(payments):08d}")
    )
    counts = end_counts or (len(payments), 0, 0, 1)
    records.append(record("70" + "".join(f"{n:08d}" for n in counts)))
    return "\n".join(records) + "\n"
