"""A unit's register (diarium): every case that reaches a unit is registered on arrival with the
next number of the unit's register for the year, for example MHN 2026-000123, and documents that
reach the case later are registered to it with a running number (MHN 2026-000123-2).

Both numbers are taken by a single UPDATE (an upsert for a register's first number of a year)
inside the caller's transaction: the row stays locked until that transaction ends, so concurrent
registrations queue behind each other and a rolled-back one gives its number back. Numbers are
consecutive, none given twice and none skipped."""

import datetime as dt

from django.db import connection
from django.utils import timezone

from units.models import RegisterCounter, Unit


def _one(sql: str, params: list) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def registration_number_take(*, unit: Unit, now: dt.datetime) -> str:
    """The next number of the unit's register; call within the registering transaction."""
    year = timezone.localtime(now).year
    table = connection.ops.quote_name(RegisterCounter._meta.db_table)
    number = _one(
        f"INSERT INTO {table} (unit_id, year, last) VALUES (%s, %s, 1) "
        f"ON CONFLICT (unit_id, year) DO UPDATE SET last = {table}.last + 1 RETURNING last",
        [unit.pk, year],
    )
    return f"{unit.register_code} {year}-{number:06d}"


def case_document_number_take(*, step_pk: int) -> int:
    """The next running number of a registered case's documents (1, 2, ...)."""
    from journeys.models import Step

    table = connection.ops.quote_name(Step._meta.db_table)
    return _one(
        f"UPDATE {table} SET documents_registered = documents_registered + 1 "
        "WHERE id = %s RETURNING documents_registered",
        [step_pk],
    )
