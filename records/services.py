"""The access log's use-cases: record a read (one row, or a list page's rows in one INSERT),
and dispose of the entries past their retention period (the only way any entry goes)."""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction

from api.models import ApiClient
from journeys.models import Document, Journey, SecrecyMarking, Step
from records.models import AccessLogEntry

What = AccessLogEntry.What
PATH_LENGTH = AccessLogEntry._meta.get_field("path").max_length


@dataclass(frozen=True)
class AccessRead:
    """What one entry names: a journey and perhaps one of its steps or documents, or nothing
    (a read that showed no journey)."""

    journey_id: int | None = None
    journey_reference: str = ""
    step_id: int | None = None
    document_id: int | None = None
    document_name: str = ""
    # A secret item's read (What.SECRET_ITEM): its marking, ground and answer.
    secrecy_marking_id: int | None = None
    secrecy_ground: str = ""
    field_key: str = ""

    @classmethod
    def of(
        cls, journey: Journey, *, step: Step | None = None, document: Document | None = None
    ) -> "AccessRead":
        return cls(
            journey_id=journey.pk,
            journey_reference=journey.reference or "",
            step_id=step.pk if step is not None else None,
            document_id=document.pk if document is not None else None,
            document_name=document.name if document is not None else "",
        )

    @classmethod
    def secret(
        cls, journey: Journey, marking: SecrecyMarking, *, step: Step | None = None
    ) -> "AccessRead":
        """The read of one marked item (its marking's ground and document selected with it)."""
        document = marking.document if marking.document_id is not None else None
        return cls(
            journey_id=journey.pk,
            journey_reference=journey.reference or "",
            step_id=step.pk if step is not None else None,
            document_id=marking.document_id,
            document_name=document.name if document is not None else "",
            secrecy_marking_id=marking.pk,
            secrecy_ground=marking.ground.label,
            field_key=marking.field_key,
        )

    @property
    def is_secret(self) -> bool:
        return self.secrecy_marking_id is not None


def _entry(*, user, api_client, what: str, path: str, now: dt.datetime, read: AccessRead):
    return AccessLogEntry(
        at=now,
        user_id=user.pk if user is not None else None,
        api_client=api_client,
        via=AccessLogEntry.Via.API if api_client is not None else AccessLogEntry.Via.WEB,
        what=What.SECRET_ITEM if read.is_secret else what,
        journey_id=read.journey_id,
        journey_reference=read.journey_reference,
        step_id=read.step_id,
        document_id=read.document_id,
        document_name=read.document_name,
        secrecy_marking_id=read.secrecy_marking_id,
        secrecy_ground=read.secrecy_ground,
        field_key=read.field_key,
        path=path[:PATH_LENGTH],
    )


def access_record(
    *,
    user,
    what: str,
    path: str,
    now: dt.datetime,
    journey: Journey,
    step: Step | None = None,
    document: Document | None = None,
    api_client: ApiClient | None = None,
    secret: Iterable[SecrecyMarking] = (),
) -> AccessLogEntry:
    """Record that `user` (through `api_client`, or on a portal page) read `what` of `journey`,
    and each item marked as secret that the read showed (`secret`, their grounds selected):
    one INSERT for them all. Returns the read's own entry."""
    reads = [AccessRead.of(journey, step=step, document=document)]
    reads += [AccessRead.secret(journey, marking, step=step) for marking in secret]
    entries = [
        _entry(user=user, api_client=api_client, what=what, path=path, now=now, read=read)
        for read in reads
    ]
    if len(entries) == 1:
        entries[0].save()
    else:
        AccessLogEntry.objects.bulk_create(entries)
    return entries[0]


def access_record_many(
    *,
    user,
    what: str,
    path: str,
    now: dt.datetime,
    reads: Iterable[AccessRead],
    api_client: ApiClient | None = None,
) -> int:
    """Record one read that named several journeys (a list page, the change feed): one entry
    per read, written in one INSERT however many there are."""
    entries = [
        _entry(user=user, api_client=api_client, what=what, path=path, now=now, read=read)
        for read in reads
    ]
    AccessLogEntry.objects.bulk_create(entries)
    return len(entries)


@transaction.atomic
def access_log_dispose(*, now: dt.datetime) -> int:
    """Delete the entries older than ACCESS_LOG_RETENTION_DAYS; returns how many went.

    The database refuses any other DELETE of the log (migration 0002): the sweep marks its
    transaction, deletes, and takes the mark off again (so that a caller's transaction around
    it does not go on deleting); a failure rolls the mark back with the rest."""
    cutoff = now - dt.timedelta(days=settings.ACCESS_LOG_RETENTION_DAYS)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL portal.access_log_disposal = 'on'")
        elif connection.vendor == "sqlite":
            cursor.execute(
                "INSERT INTO records_access_log_disposal (started_at) VALUES (%s)",
                [now.isoformat()],
            )
        deleted, _per_model = AccessLogEntry.objects.filter(at__lt=cutoff).delete()
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL portal.access_log_disposal = 'off'")
        elif connection.vendor == "sqlite":
            cursor.execute("DELETE FROM records_access_log_disposal")
    return deleted
