"""Deadline arithmetic in a unit's calendar.

Working-day calendars (weekends and the country's public holidays) come with the caseworker
issue; until then a working day counts as a calendar day, so the callers need not change.
"""

import datetime as dt


def add_days(start: dt.datetime, days: int, *, working_days: bool, country: str) -> dt.datetime:
    return start + dt.timedelta(days=days)
