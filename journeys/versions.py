"""The versions that move when something a page shows changes: what the pages' validators
(ETags, portal/conditional.py) are made of, so that a page answers a conditional request by
reading a version instead of reading and rendering what it shows.

Every change a page shows must move one of them, and none ever moves back:

- **A journey** (the applicant's tracking page): `Journey.version`, moved in the transaction
  that makes the change, under the journey's row lock that every change of a journey takes
  first. Every event moves it (journeys.services.events); the few changes that write no
  event call `journeys_changed` themselves (read marks, payments).
- **Lists over many journeys** (a unit's queue, the coordinator's dashboard): a ListVersion
  row each, moved once the change is committed, in one statement for the whole transaction.
  In the transaction, those rows would be locks that every change in a unit, or in the whole
  portal, waits for. After it, no page can keep a current validator for a list read before
  the change: a page reads its version before what it shows, so a page rendered from data
  older than a change carries a version older than the one the change moves on to.
- **The catalogue** (the names of units, services, steps, staff and organisations that every
  page shows): one ListVersion moved by any change of them (journeys.signals).
"""

import functools
import logging
import uuid
from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.db import connections, router, transaction
from django.db.models import CharField, F, OuterRef, Subquery, Value
from django.db.models.functions import Cast, Concat

from journeys.models import Consultation, Journey, ListVersion, Step

logger = logging.getLogger(__name__)

DASHBOARD = "dashboard"
CATALOGUE = "catalogue"
QUEUE_PREFIX = "queue:"


def queue_key(unit_id: int) -> str:
    return f"{QUEUE_PREFIX}{unit_id}"


def journeys_changed(journey_ids: Iterable[int], *, unit_ids: Iterable[int | None] = ()) -> None:
    """Something the journeys' pages show changed, in the caller's transaction (which holds
    their rows' locks, taken before anything else it changed in them): their versions move
    now, and once it is committed the lists they are on (`lists_changed`)."""
    journey_ids = list(journey_ids)
    if journey_ids:
        Journey.objects.filter(pk__in=journey_ids).update(version=F("version") + 1)
        lists_changed(journey_ids=journey_ids, unit_ids=unit_ids)


def lists_changed(
    *,
    journey_ids: Iterable[int] = (),
    unit_ids: Iterable[int | None] = (),
    dashboard: bool = True,
    catalogue: bool = False,
) -> None:
    """Move, once the caller's transaction is committed (at once outside one), the versions of
    the coordinator's dashboard, of the queues of every unit the journeys have a step in or
    consulted about one, and of the units named (a step that just left a unit is in another
    one's now). Several calls in one transaction are one statement after it; a transaction
    rolled back moves nothing."""
    connection = transaction.get_connection()
    pending = None
    if connection.in_atomic_block:
        pending = next(filter(None, (_lists_of(f) for _, f, _ in connection.run_on_commit)), None)
    registered = pending is not None
    pending = pending or _ListsChanged()
    pending.journey_ids.update(journey_ids)
    pending.keys.update(queue_key(unit_id) for unit_id in unit_ids if unit_id is not None)
    if dashboard:
        pending.keys.add(DASHBOARD)
    if catalogue:
        pending.keys.add(CATALOGUE)
    if not registered:
        # Robust: the change is committed whatever happens here; a request must not fail
        # after it. A version that did not move is logged (the page's validator expires).
        transaction.on_commit(pending.move, robust=True)


def catalogue_changed() -> None:
    """A name every page may show changed (a unit, a service, a step, a person, an
    organisation): every page's validator moves on, once the change is committed."""
    lists_changed(dashboard=False, catalogue=True)


class _ListsChanged:
    """The lists one transaction changed, moved on by `move` after the commit."""

    def __init__(self):
        self.journey_ids: set[int] = set()
        self.keys: set[str] = set()

    def move(self) -> None:
        keys = set(self.keys)
        if self.journey_ids:
            ids = list(self.journey_ids)
            units = (
                Step.objects.filter(journey_id__in=ids)
                .order_by()
                .values_list("unit_id", flat=True)
                .union(
                    Consultation.objects.filter(step__journey_id__in=ids)
                    .order_by()
                    .values_list("unit_id", flat=True)
                )
            )
            keys.update(queue_key(unit_id) for unit_id in units)
        if keys:
            versions_move(sorted(keys))


def _lists_of(callback) -> _ListsChanged | None:
    """The lists a callback waiting for the commit moves, if it is one of these."""
    pending = getattr(callback, "__self__", None)
    return pending if isinstance(pending, _ListsChanged) else None


def versions_move(keys: list[str]) -> None:
    """Add one to each ListVersion named (made at 1 if it is new), in one statement that takes
    the rows in key order, so two of them never wait for each other's rows."""
    using = router.db_for_write(ListVersion)
    connection = connections[using]
    table = connection.ops.quote_name(ListVersion._meta.db_table)
    key, version = (connection.ops.quote_name(name) for name in ("key", "version"))
    rows = ", ".join(["(%s, 1)"] * len(keys))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({key}, {version}) VALUES {rows} "
            f"ON CONFLICT ({key}) DO UPDATE SET {version} = {table}.{version} + 1",
            keys,
        )


def _version_of(key) -> Subquery:
    return Subquery(ListVersion.objects.filter(key=key).values("version")[:1])


def catalogue_version() -> Subquery:
    """The catalogue's version, to read in the query a page reads its own version with."""
    return _version_of(CATALOGUE)


def queue_version() -> Subquery:
    """The version of the queue of each unit a query of units reads."""
    return _version_of(Concat(Value(QUEUE_PREFIX), Cast(OuterRef("pk"), CharField())))


def dashboard_versions() -> tuple[int, int]:
    """The dashboard's version and the catalogue's, in one query (0 for one never moved)."""
    found = dict(
        ListVersion.objects.filter(key__in=[DASHBOARD, CATALOGUE]).values_list("key", "version")
    )
    return found.get(DASHBOARD, 0), found.get(CATALOGUE, 0)


def journey_versions(user, *, public_id) -> tuple[str, tuple[int, int]] | None:
    """The journey's status and what its pages' validator reads (its version and the
    catalogue's), in one query, if `user` acts on it (JourneyQuerySet.acting_for); else None.

    The query is the ORM's, compiled once per process with stand-ins for the reader and the
    journey that each read swaps for its own: compiling it (the scope's subqueries) cost three
    times what running it does, on the request a refresh makes every 30 seconds."""
    sql, params, using = _journey_read()
    field = Journey._meta.get_field("public_id")
    journey = field.get_db_prep_value(public_id, connections[using])
    stand_in = field.get_db_prep_value(_JOURNEY, connections[using])
    params = [user.pk if p == _READER else journey if p == stand_in else p for p in params]
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchone()
    if found is None:
        return None
    status, version, catalogue = found
    return status, (version, catalogue or 0)


# Stand-ins no reader's id or journey's address can be.
_READER = -7_340_233_101
_JOURNEY = uuid.UUID(int=0)


@functools.cache
def _journey_read() -> tuple[str, tuple, str]:
    reader = get_user_model()(pk=_READER)
    query = (
        Journey.objects.acting_for(reader)
        .filter(public_id=_JOURNEY)
        .annotate(catalogue=catalogue_version())
        .values_list("status", "version", "catalogue")[:1]
    )
    sql, params = query.query.sql_with_params()
    return sql, params, query.db
