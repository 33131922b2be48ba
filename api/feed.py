"""The change feed: a client's published events in commit order, read page by page from a cursor.

A client pulls `GET /api/v1/feed/?after=<cursor>` and stores the `next` cursor it is given; it
never misses an event and never gets one twice, however the writes interleave. Event ids are
handed out when a row is inserted, not when its transaction commits, so a feed read in id order
could pass id 11 (committed) while id 10's transaction is still open; 10 would then land behind
the client's cursor for ever. On PostgreSQL each event records its transaction's id (a trigger,
journeys migration 0006), and the feed reads in (transaction id, event id) order, serving only
events of transactions older than the oldest one still running (the horizon, below): everything
before that point is final, so a cursor never moves past anything that can still appear. On
SQLite one writer commits at a time, in id order, and the id alone is the position.

A page is one range scan of the index on (transaction_id, id), from the cursor on, however long
the log: the cursor is a position, not an offset.

The horizon is this database's: the snapshot's running transactions, less those that
pg_stat_activity shows writing in another database on the same server (a seed, another
portal), which cannot write this log. A transaction the view no longer shows, or hides (a
role without pg_read_all_stats sees no other role's transaction ids), still counts: the
horizon errs towards holding events back, never towards passing one. A writing transaction
left open in this database holds the feed back until it ends: keep them short, and let
PostgreSQL end forgotten ones (`idle_in_transaction_session_timeout`)."""

import base64
import binascii
from dataclasses import dataclass

from django.db import connection
from django.db.models import BooleanField, F, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.fields.tuple_lookups import Tuple, TupleGreaterThan

from api.events import JOURNEY_END_KINDS, in_scope, published_events
from api.models import ApiClient

# The oldest transaction still running that may write this database (or the next to start):
# events of older transactions are final. The running ones are those of this statement's own
# snapshot, so whatever ended before it is visible to it. xid8 has no cast to bigint, its text
# has; pg_stat_activity shows the 32-bit xid.
HORIZON = """(
    SELECT COALESCE(
        MIN(running::text::bigint), MIN(pg_snapshot_xmax(snapshot.taken)::text::bigint)
    )
    FROM (SELECT pg_current_snapshot() AS taken) AS snapshot
    LEFT JOIN LATERAL pg_snapshot_xip(snapshot.taken) AS running ON NOT EXISTS (
        SELECT 1 FROM pg_stat_activity AS elsewhere
        WHERE elsewhere.backend_xid = xid(running)
          AND elsewhere.datname IS DISTINCT FROM current_database()
    )
)"""


class InvalidCursor(ValueError):
    pass


@dataclass(frozen=True)
class Position:
    """Where a client is in the feed: after this transaction's event `event_id` (transaction 0
    on SQLite, where the event id alone orders the feed)."""

    transaction_id: int = 0
    event_id: int = 0

    def encode(self) -> str:
        text = f"{self.transaction_id}.{self.event_id}".encode()
        return base64.urlsafe_b64encode(text).decode().rstrip("=")

    @classmethod
    def decode(cls, cursor: str) -> "Position":
        try:
            text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
            transaction_id, event_id = (int(part) for part in text.split("."))
        except (binascii.Error, UnicodeDecodeError, ValueError) as error:
            raise InvalidCursor(cursor) from error
        if not (0 <= transaction_id < 2**63 and 0 <= event_id < 2**63):
            raise InvalidCursor(cursor)
        return cls(transaction_id, event_id)


# A unit sees a journey's own events (completed, rejected, withdrawn) once a step of the journey
# reached it (api.events.in_scope). Written with Exists, PostgreSQL answers that part of an OR by
# hashing every step the unit ever received (9,524 rows at 10,000 journeys: 27 ms for a page,
# growing with the data); OFFSET 0 keeps the subquery as it is written, asked per journey-level
# event the scan meets, off the step table's journey index (1.5 ms a page, at any size).
REACHED_UNIT = """EXISTS (
    SELECT 1 FROM journeys_step reached
    WHERE reached.journey_id = journeys_journeyevent.journey_id
      AND reached.unit_id = %s AND reached.activated_at IS NOT NULL
    OFFSET 0)"""


def _scoped(events: QuerySet, client: ApiClient) -> QuerySet:
    """`in_scope(events, client)`, written so that PostgreSQL reads it per row (see above);
    tests/api/test_feed.py holds the two to the same events."""
    if connection.vendor != "postgresql" or client.kind == ApiClient.Kind.COORDINATION:
        return in_scope(events, client)
    reached = RawSQL(REACHED_UNIT, [client.unit_id], output_field=BooleanField())
    return events.alias(reached=reached).filter(
        Q(unit=client.unit_id)
        | Q(other_unit=client.unit_id)
        | Q(step__isnull=True, kind__in=JOURNEY_END_KINDS, reached=True)
    )


# The columns a CloudEvents document is made of (api.events.cloud_event_body): a page of 100
# events with every column of five tables spent most of its time decoding JSON columns (the
# journey's answers, the journey type's fields) that no event shows.
DOCUMENT_COLUMNS = [
    "kind",
    "created_at",
    "status_before",
    "status_after",
    "transaction_id",
    "journey__public_id",
    "journey__reference",
    "journey__journey_type__slug",
    "step__step_type__key",
    "step__unit__slug",
    "unit__slug",
    "other_unit__slug",
]


def _ordered_events(client: ApiClient, after: Position) -> QuerySet:
    events = _scoped(published_events().only(*DOCUMENT_COLUMNS), client)
    if connection.vendor == "postgresql":
        events = events.filter(transaction_id__lt=RawSQL(HORIZON, []))
        if after != Position():
            events = events.filter(
                TupleGreaterThan(
                    Tuple(F("transaction_id"), F("id")), (after.transaction_id, after.event_id)
                )
            )
        return events.order_by("transaction_id", "id")
    return events.filter(id__gt=after.event_id).order_by("id")


def feed_page(*, client: ApiClient, after: Position, limit: int) -> tuple[list, Position, bool]:
    """The next `limit` events `client` may see after `after`: (events, the position after
    them, whether more were ready)."""
    events = list(_ordered_events(client, after)[: limit + 1])
    has_more = len(events) > limit
    events = events[:limit]
    if events:
        last = events[-1]
        after = Position(last.transaction_id or 0, last.pk)
    return events, after, has_more
