"""Due dates count working days in the unit's country, and move while the applicant is asked."""

import datetime as dt
import zoneinfo

import pytest

from units import calendars
from units.models import Unit

STOCKHOLM = zoneinfo.ZoneInfo("Europe/Stockholm")


def at(day: str, hour: int = 10) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(hour=hour, tzinfo=STOCKHOLM)


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        ("2026-11-27", 1, "2026-11-30"),  # Friday + 1 working day = Monday
        ("2026-11-23", 5, "2026-11-30"),  # a whole week
        ("2026-06-17", 2, "2026-06-22"),  # Midsummer Eve (Fri 19th) is no working day
        ("2026-12-22", 3, "2026-12-29"),  # Christmas Eve, Christmas Day and the weekend skipped
        ("2026-12-30", 1, "2027-01-04"),  # New Year's Eve, New Year's Day, weekend
        ("2026-04-01", 2, "2026-04-07"),  # Good Friday and Easter Monday
        ("2026-06-05", 1, "2026-06-08"),  # National Day falls on a Saturday
    ],
)
def test_working_days_skip_weekends_and_swedish_holidays(start, days, due):
    result = calendars.add_days(at(start), days, working_days=True, country="SE")
    assert result == at(due)


def test_calendar_days_count_every_day():
    result = calendars.add_days(at("2026-12-22"), 3, working_days=False, country="SE")
    assert result == at("2026-12-25")


def test_another_countrys_holidays_apply_to_its_units():
    # 17 May is Norway's Constitution Day; in Sweden it is an ordinary Monday in 2027.
    assert calendars.add_days(at("2027-05-14"), 1, working_days=True, country="NO") == at(
        "2027-05-18"
    )
    assert calendars.add_days(at("2027-05-14"), 1, working_days=True, country="SE") == at(
        "2027-05-17"
    )


def test_a_unit_working_other_weekdays_counts_those():
    unit = Unit(slug="x", name="X", country="SE", working_weekdays="123456")
    assert unit.due_at(at("2026-11-27"), 1, working_days=True) == at("2026-11-28")


def test_waiting_for_the_applicant_moves_a_calendar_due_date_by_the_time_waited():
    due = at("2026-12-01")
    moved = calendars.shift_for_pause(
        due, at("2026-11-10", 9), at("2026-11-13", 15), working_days=False, country="SE"
    )
    assert moved == due + dt.timedelta(days=3, hours=6)


def test_waiting_for_the_applicant_moves_a_working_day_due_date_by_working_days_lost():
    due = at("2026-12-01")
    # Paused Friday 20 Nov, answered Tuesday 24 Nov: Monday and Tuesday were lost.
    moved = calendars.shift_for_pause(
        due, at("2026-11-20"), at("2026-11-24"), working_days=True, country="SE"
    )
    assert moved == at("2026-12-03")
    # Paused Friday, answered Saturday: no working day lost, the due date stands.
    assert (
        calendars.shift_for_pause(
            due, at("2026-11-20"), at("2026-11-21"), working_days=True, country="SE"
        )
        == due
    )
