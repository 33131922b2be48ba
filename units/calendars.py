"""Deadline arithmetic in a unit's calendar: working days skip weekends and the public holidays
(and de facto holidays such as Midsummer Eve and Christmas Eve) of the unit's country."""

import datetime as dt
import functools

import holidays
from django.utils import timezone

DEFAULT_WORKING_WEEKDAYS = "12345"  # ISO weekdays, Monday = 1
_NON_WORKING_CATEGORIES = ("public", "de_facto")


@functools.lru_cache(maxsize=256)
def _holidays(country: str, year: int) -> frozenset[dt.date]:
    kind = holidays.country_holidays(country, years=year)
    categories = tuple(c for c in _NON_WORKING_CATEGORIES if c in kind.supported_categories)
    return frozenset(holidays.country_holidays(country, years=year, categories=categories))


def holiday_name(day: dt.date, *, country: str) -> str | None:
    if day not in _holidays(country, day.year):
        return None
    kind = holidays.country_holidays(country, years=day.year)
    categories = tuple(c for c in _NON_WORKING_CATEGORIES if c in kind.supported_categories)
    return holidays.country_holidays(country, years=day.year, categories=categories).get(day)


def is_working_day(day: dt.date, *, country: str, weekdays: str = DEFAULT_WORKING_WEEKDAYS) -> bool:
    return str(day.isoweekday()) in weekdays and day not in _holidays(country, day.year)


def _on_day(moment: dt.datetime, day: dt.date) -> dt.datetime:
    """The same local time of day as `moment`, on `day` (daylight saving handled)."""
    local = timezone.localtime(moment)
    return timezone.make_aware(dt.datetime.combine(day, local.time()))


def add_working_days(
    start: dt.datetime, days: int, *, country: str, weekdays: str = DEFAULT_WORKING_WEEKDAYS
) -> dt.datetime:
    """The moment `days` working days after `start` (counting from the next day)."""
    day = _working_days_after(timezone.localtime(start).date(), days, country, weekdays)
    return _on_day(start, day)


@functools.lru_cache(maxsize=4096)
def _working_days_after(day: dt.date, days: int, country: str, weekdays: str) -> dt.date:
    # Remembered: the dashboard projects every step of 25 journeys, and most of them count
    # the same few deadlines from the same day (today).
    remaining = days
    while remaining > 0:
        day += dt.timedelta(days=1)
        if is_working_day(day, country=country, weekdays=weekdays):
            remaining -= 1
    return day


def working_days_between(
    start: dt.date, end: dt.date, *, country: str, weekdays: str = DEFAULT_WORKING_WEEKDAYS
) -> int:
    """Working days after `start` up to and including `end`."""
    return _working_days_between(start, end, country, weekdays)


@functools.lru_cache(maxsize=4096)
def _working_days_between(start: dt.date, end: dt.date, country: str, weekdays: str) -> int:
    count, day = 0, start
    while day < end:
        day += dt.timedelta(days=1)
        count += is_working_day(day, country=country, weekdays=weekdays)
    return count


def add_days(
    start: dt.datetime,
    days: int,
    *,
    working_days: bool,
    country: str,
    weekdays: str = DEFAULT_WORKING_WEEKDAYS,
) -> dt.datetime:
    if working_days:
        return add_working_days(start, days, country=country, weekdays=weekdays)
    return _on_day(start, timezone.localtime(start).date() + dt.timedelta(days=days))


def shift_for_pause(
    due: dt.datetime,
    paused_at: dt.datetime,
    resumed_at: dt.datetime,
    *,
    working_days: bool,
    country: str,
    weekdays: str = DEFAULT_WORKING_WEEKDAYS,
) -> dt.datetime:
    """Move a due date by the time the clock stood still (waiting for the applicant)."""
    if not working_days:
        return due + (resumed_at - paused_at)
    lost = working_days_between(
        timezone.localtime(paused_at).date(),
        timezone.localtime(resumed_at).date(),
        country=country,
        weekdays=weekdays,
    )
    return add_working_days(due, lost, country=country, weekdays=weekdays) if lost else due


def next_midnight(moment: dt.datetime) -> dt.datetime:
    """The first moment of the local day after `moment`'s: when every date a page counts from
    today (days left, days waiting, what is overdue by the day) moves on."""
    tomorrow = timezone.localtime(moment).date() + dt.timedelta(days=1)
    return timezone.make_aware(dt.datetime.combine(tomorrow, dt.time()))
