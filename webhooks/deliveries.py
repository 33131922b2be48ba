"""The webhooks' outbox: each published event a subscriber may see is a delivery row written in
the event's transaction, posted by a task on the `webhooks` queue, and tried again on a schedule
until it is delivered.

The row is the truth. A run of the task locks its row (a second run of the same row waits a
moment, then leaves it to the first), posts while holding the lock, and records the answer in
the same transaction, so a worker killed mid-post leaves the row as it was: the relay's sweep
publishes it again and it is posted again with the same `webhook-id` (delivery is at least once;
a receiver recognises a repeat by that id).

Order per journey: a row is posted only when no older row of its journey is undelivered to the
same subscription; a success goes on with the next one (deliveries_drain).

A slow or dead subscriber delays no other: it holds at most WEBHOOK_CONCURRENCY_PER_SUBSCRIPTION
worker slots at once (PostgreSQL advisory locks held for the attempt), one while it is failing;
and after a failure its breaker (`retry_after`) holds its rows back, without a worker waiting on
them, until the next try on the backoff schedule (WEBHOOK_RETRY_SCHEDULE). A run that finds its
row held back (behind an older row, the breaker, a pause, or every slot taken) marks it
`held_back_at`: the row is waiting, with no message out for it, and the relay (or the run that
delivers the row before it) publishes it when it is due.

Once the subscription has failed for WEBHOOK_GIVE_UP_SECONDS (24 hours or more) it is paused:
nothing is lost (its rows wait for the resume), and the client's unit leads (a coordination
client's coordinators) are told by e-mail.
"""

import contextlib
import datetime as dt
import logging
import time
from collections.abc import Callable
from functools import partial

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import DatabaseError, OperationalError, connection, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from api.events import EVENT_TYPES, audience_unit_ids, cloud_event_body, is_published
from api.models import ApiClient
from journeys.models import JourneyEvent, OutgoingEmail
from journeys.services.emails import outgoing_emails_create
from journeys.services.outbox import outbox_publish
from units.roles import COORDINATE
from webhooks.addresses import refusal_in
from webhooks.models import Delivery, Subscription
from webhooks.signing import signed_post, webhook_id_new

logger = logging.getLogger(__name__)

QUEUE = "webhooks"
# Advisory lock keys of the per-subscription slots: (subscription id << 8) + slot, in a space of
# their own (the high bits) so they meet no other advisory lock.
_SLOT_KEY_BASE = 0x5745_0000_0000_0000
# How many due rows one relay round publishes at most.
_RELAY_BATCH = 1000
# How long one run of deliveries_drain goes on posting (it finishes the post under way).
DRAIN_SECONDS = 5.0


# Writing rows ---------------------------------------------------------------------------------


def deliveries_create(event: JourneyEvent) -> list[Delivery]:
    """The event listener: a row for each subscription that receives the event (its client
    may see it and it asked for its type), published after commit unless its subscription is
    held back. One query when nobody subscribed."""
    if not is_published(event):
        return []
    event_type = EVENT_TYPES[event.kind]
    candidates = [
        s
        for s in Subscription.objects.receiving().select_related("client")
        if event_type in s.event_types
    ]
    if not candidates:
        return []
    audience = None
    receivers = []
    for subscription in candidates:
        if subscription.client.kind == ApiClient.Kind.UNIT:
            if audience is None:
                audience = audience_unit_ids(event)
            if subscription.client.unit_id not in audience:
                continue
        receivers.append(subscription)
    rows = Delivery.objects.bulk_create(
        Delivery(
            subscription=subscription,
            event=event,
            journey_id=event.journey_id,
            webhook_id=webhook_id_new(),
            created_at=event.created_at,
            next_attempt_at=event.created_at,
        )
        for subscription in receivers
    )
    # A row for a paused subscription, or one whose breaker is on, would only be left waiting:
    # it is not published now, and the relay publishes it when it is due.
    ready = [
        row.pk
        for row in rows
        if not (row.subscription.is_paused or row.subscription.waiting(event.created_at))
    ]
    if ready:
        transaction.on_commit(partial(deliveries_publish, ready))
    return rows


def deliveries_publish(
    delivery_ids: list[int], *, now: dt.datetime | None = None, after_commit: bool = True
) -> int:
    """Send each undelivered row's task to the `webhooks` queue; never raises (outbox_publish).
    A row held back is no longer so once this is called: its run marks it again if it must wait
    (which may happen before outbox_publish has marked it published, so the mark of a run that
    waits is what tells the relay). Returns how many were published."""
    Delivery.objects.filter(pk__in=delivery_ids, held_back_at__isnull=False).update(
        held_back_at=None
    )
    return outbox_publish(
        Delivery.objects.filter(pk__in=delivery_ids, delivered_at__isnull=True).order_by("pk"),
        now=now or timezone.now(),
        after_commit=after_commit,
    )


# Posting --------------------------------------------------------------------------------------


def retry_delay(failures: int) -> dt.timedelta:
    """How long the breaker holds after the `failures`-th failed attempt in a row: the schedule
    in order, then its last step again and again."""
    schedule = settings.WEBHOOK_RETRY_SCHEDULE
    return dt.timedelta(seconds=schedule[min(failures, len(schedule)) - 1])


def delivery_attempt(*, delivery_id: int, now: dt.datetime, publish_next: bool = True) -> str:
    """Post one delivery if it may be posted now, and record the answer. Safe to repeat.
    Returns what happened: delivered, failed, paused (this failure paused the subscription),
    waiting (held back; the relay publishes it when due), busy (another run holds it), or gone
    (delivered already, or deleted). After a success the next delivery is published, unless
    the caller goes on itself (`publish_next=False`)."""
    slots: list[int] = []
    try:
        return _attempt(delivery_id, now, publish_next, slots)[0]
    finally:
        _slots_release(slots)


def _attempt(
    delivery_id: int, now: dt.datetime, publish_next: bool, slots: list[int]
) -> tuple[str, Delivery | None]:
    """delivery_attempt's work. `slots` holds the subscription slot its caller holds, if any;
    a slot taken here is added to it, for the caller to let go."""
    with transaction.atomic():
        try:
            delivery = _locked(delivery_id)
        except _Busy:
            return "busy", None
        if delivery is None:
            return "gone", None
        if delivery.delivered_at is not None:
            return "gone", delivery
        subscription = delivery.subscription
        held_back = (
            subscription.is_paused
            or delivery.given_up_at is not None
            or subscription.waiting(now)
            or delivery.next_attempt_at > now
            or _behind_an_older_delivery(delivery)
        )
        if not held_back and not slots:
            slot = _slot_take(subscription)
            if slot is not None:
                slots.append(slot)
        if held_back or not slots:
            Delivery.objects.filter(pk=delivery.pk).update(held_back_at=now)
            return "waiting", delivery
        body = cloud_event_body(delivery.event)
        status, error = _post(subscription, delivery, body, now)
        if error is None:
            _delivered(delivery, status, now, publish_next)
            return "delivered", delivery
        return _failed(delivery, status, error, now), delivery


class _Busy(Exception):
    """Another run holds the row (it is posting it)."""


# How long a run waits for a row another holds. Long enough for a publisher's short UPDATE of
# the row (outbox_publish marks a row published just after sending its message, so its task
# may find it locked for that instant); a run that is posting holds it far longer, and then
# this one leaves the row to it.
_LOCK_WAIT = "1s"


def _locked(delivery_id: int) -> Delivery | None:
    """The row, locked for this transaction, with what its CloudEvent reads; None if it is
    gone; _Busy if another run holds it."""
    rows = (
        Delivery.objects.select_for_update(of=("self",))
        .select_related(
            "subscription",
            "event__journey__journey_type",
            "event__step__step_type",
            "event__step__unit",
            "event__unit",
            "event__other_unit",
        )
        .filter(pk=delivery_id)
    )
    if connection.vendor != "postgresql":
        return rows.first()
    delivery = rows.select_for_update(of=("self",), skip_locked=True).first()
    if delivery is not None or not Delivery.objects.filter(pk=delivery_id).exists():
        return delivery  # the usual case: nobody else holds it (or it is gone)
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL lock_timeout = '{_LOCK_WAIT}'")
            delivery = rows.first()
            cursor.execute("SET LOCAL lock_timeout = DEFAULT")
    except OperationalError as error:
        if getattr(error.__cause__, "sqlstate", None) == "55P03":  # lock_not_available
            raise _Busy from error
        raise
    return delivery


def _behind_an_older_delivery(delivery: Delivery) -> bool:
    return Delivery.objects.filter(
        subscription=delivery.subscription_id,
        journey=delivery.journey_id,
        delivered_at__isnull=True,
        pk__lt=delivery.pk,
    ).exists()


def _slot_take(subscription: Subscription) -> int | None:
    """Take one of the subscription's slots (one while it is failing): a PostgreSQL advisory
    lock of this session, which PostgreSQL also lets go if the worker dies. Returns its key, or
    None when every slot is taken. Without PostgreSQL (the embedded default's SQLite, one
    writer at a time) there is nothing to share: 0."""
    if connection.vendor != "postgresql":
        return 0
    slots = 1 if subscription.failing_since else settings.WEBHOOK_CONCURRENCY_PER_SUBSCRIPTION
    with connection.cursor() as cursor:
        for slot in range(slots):
            key = _SLOT_KEY_BASE + (subscription.pk << 8) + slot
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
            if cursor.fetchone()[0]:
                return key
    return None


def _slots_release(keys: list[int]) -> None:
    if connection.vendor != "postgresql":
        return
    for key in keys:
        # A connection lost meanwhile took the lock with it.
        with contextlib.suppress(DatabaseError), connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [key])


def _post(subscription, delivery, body: bytes, now) -> tuple[int | None, str | None]:
    """The answer's HTTP status, and why the attempt failed (None when it is a 2xx)."""
    try:
        response = signed_post(
            url=subscription.url,
            secret=subscription.secret,
            webhook_id=delivery.webhook_id,
            body=body,
            now=now,
        )
    except Exception as error:  # refused address, DNS, connection, timeout: all count alike
        reason = refusal_in(error) or error
        return None, f"{type(reason).__name__}: {reason}"
    response.close()  # the body is not read: the status says it all
    if 200 <= response.status_code < 300:
        return response.status_code, None
    return response.status_code, f"HTTP {response.status_code} {response.reason}"


def _delivered(delivery: Delivery, status: int, now: dt.datetime, publish_next: bool) -> None:
    Delivery.objects.filter(pk=delivery.pk).update(
        delivered_at=now,
        last_status=status,
        last_error="",
        attempts=F("attempts") + 1,
        held_back_at=None,
    )
    subscription = delivery.subscription
    recovered = subscription.failing_since is not None or subscription.failures
    if recovered:
        Subscription.objects.filter(pk=subscription.pk).update(
            failing_since=None, failures=0, retry_after=None
        )
    if publish_next or recovered:
        transaction.on_commit(
            partial(_publish_next, delivery.subscription_id, delivery.journey_id, bool(recovered))
        )


def _publish_next(subscription_id: int, journey_id: int, recovered: bool) -> None:
    """After a success: the next row of the same journey (whether or not a run already left it
    waiting: a second message for it changes nothing); when the journey has none, the
    subscription's oldest waiting row, so a backlog drains without waiting for the relay; after
    a recovery as many as the subscription has slots."""
    now = timezone.now()
    following = _following(subscription_id, journey_id)
    if following is not None:
        deliveries_publish([following], now=now)
    if recovered or following is None:
        deliveries_publish_due(
            now=now, subscription_id=subscription_id, at_most=None if recovered else 1
        )


def _following(subscription_id: int, journey_id: int) -> int | None:
    """The oldest undelivered row of the subscription's journey, if any (after one is
    delivered: the next in the journey's order)."""
    return (
        Delivery.objects.undelivered()
        .filter(subscription=subscription_id, journey=journey_id, given_up_at__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)
        .first()
    )


def _oldest_waiting(subscription_id: int, *, now: dt.datetime) -> int | None:
    """The subscription's oldest row due and held back that no other run holds (another run
    draining holds the first row of its journey)."""
    with transaction.atomic():
        return (
            Delivery.objects.due(now=now)
            .without_message()
            .filter(subscription=subscription_id)
            .order_by("pk")
            .select_for_update(of=("self",), skip_locked=True)
            .values_list("pk", flat=True)
            .first()
        )


def deliveries_drain(
    *, delivery_id: int, clock: Callable[[], dt.datetime], at_most: int = 50
) -> list[str]:
    """Post a delivery and, while each post succeeds, the subscription's next ones in the same
    run and the same slot: the next of the same journey, else its oldest waiting row; at most
    `at_most` rows or DRAIN_SECONDS, then the next is published for another run. A backlog (a
    subscriber back after an outage) so drains at the subscriber's pace, not at one task and
    one broker round trip per event. Each row is its own attempt, at `clock()`. Returns the
    outcomes."""
    outcomes: list[str] = []
    started = time.monotonic()
    slots: list[int] = []
    current: int | None = delivery_id
    try:
        while current is not None:
            last = len(outcomes) + 1 >= at_most or time.monotonic() - started > DRAIN_SECONDS
            outcome, delivery = _attempt(current, clock(), last, slots)
            outcomes.append(outcome)
            if outcome != "delivered" or last:
                break
            current = _following(delivery.subscription_id, delivery.journey_id)
            if current is None:
                current = _oldest_waiting(delivery.subscription_id, now=clock())
    finally:
        _slots_release(slots)
    return outcomes


def _failed(delivery: Delivery, status: int | None, error: str, now: dt.datetime) -> str:
    """Count the failure, set the breaker on the backoff schedule, or pause the subscription
    once it has failed for WEBHOOK_GIVE_UP_SECONDS."""
    subscription = Subscription.objects.select_for_update(no_key=True).get(
        pk=delivery.subscription_id
    )
    failing_since = subscription.failing_since or now
    failures = subscription.failures + 1
    gives_up = now - failing_since >= dt.timedelta(seconds=settings.WEBHOOK_GIVE_UP_SECONDS)
    row = {"attempts": F("attempts") + 1, "last_status": status, "last_error": error[:2000]}
    if gives_up:
        Subscription.objects.filter(pk=subscription.pk).update(
            status=Subscription.Status.PAUSED,
            paused_at=now,
            failing_since=failing_since,
            failures=failures,
            retry_after=None,
        )
        Delivery.objects.filter(pk=delivery.pk).update(**row, given_up_at=now, held_back_at=now)
        subscription.failing_since, subscription.failures = failing_since, failures
        _tell_about_pause(subscription, error, now)
        logger.warning("webhook subscription %s paused: %s", subscription.public_id, error)
        return "paused"
    retry_after = now + retry_delay(failures)
    Subscription.objects.filter(pk=subscription.pk).update(
        failing_since=failing_since, failures=failures, retry_after=retry_after
    )
    Delivery.objects.filter(pk=delivery.pk).update(
        **row, next_attempt_at=retry_after, held_back_at=now
    )
    return "failed"


# Telling people -------------------------------------------------------------------------------


def pause_recipients(client: ApiClient) -> list[tuple[str, str]]:
    """Who is told that a client's subscription was paused, as (address, language): the leads
    of its unit (the unit's own address if no lead has one), or the coordinators for a
    coordination client."""
    if client.kind == ApiClient.Kind.UNIT:
        unit = client.unit
        recipients = unit.member_recipients(leads_only=True)
        if not recipients and unit.email:
            recipients = [(unit.email, settings.LANGUAGE_CODE)]
        return recipients
    coordinators = (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(
            Q(is_superuser=True)
            | Q(
                user_permissions__codename=COORDINATE,
                user_permissions__content_type__app_label="units",
            )
            | Q(
                groups__permissions__codename=COORDINATE,
                groups__permissions__content_type__app_label="units",
            )
        )
        .exclude(email="")
        .values_list("email", "staff_profile__language")
        .distinct()
        .order_by("email")
    )
    return [(email, language or settings.LANGUAGE_CODE) for email, language in coordinators]


def _tell_about_pause(subscription: Subscription, error: str, now: dt.datetime) -> None:
    """An e-mail to each recipient, through the outbox, in this transaction."""
    client = ApiClient.objects.select_related("unit").get(pk=subscription.client_id)
    context = {
        "client": client.name,
        "url": subscription.url,
        "failing_since": f"{timezone.localtime(subscription.failing_since):%Y-%m-%d %H:%M}",
        "failures": subscription.failures,
        "error": error[:500],
        "path": reverse("coordination:webhook_deliveries"),
        "resume_path": reverse("api:subscription-resume", args=[subscription.public_id]),
    }
    for address, language in pause_recipients(client):
        outgoing_emails_create(
            kind=OutgoingEmail.Kind.ACCOUNT,
            address=address,
            template="webhook_paused",
            context=context,
            language=language,
            now=now,
        )


# The relay ------------------------------------------------------------------------------------


def deliveries_publish_due(
    *,
    now: dt.datetime,
    before: dt.datetime | None = None,
    subscription_id: int | None = None,
    at_most: int | None = None,
) -> int:
    """Publish the rows that are due and have no message: a subscription's oldest ones, as many
    as it has slots (one while it is failing) or `at_most`, rows written before `before` only.
    Returns how many were published."""
    due = Delivery.objects.due(now=now).without_message(written_before=before)
    if subscription_id is not None:
        due = due.filter(subscription=subscription_id)
    rows = due.order_by("pk").values_list("pk", "subscription_id", "subscription__failing_since")
    chosen, taken = [], {}
    if subscription_id is not None:  # one subscription's: no more than its slots
        rows = rows[: at_most or settings.WEBHOOK_CONCURRENCY_PER_SUBSCRIPTION]
    for pk, subscription, failing_since in rows[:_RELAY_BATCH]:
        room = 1 if failing_since else settings.WEBHOOK_CONCURRENCY_PER_SUBSCRIPTION
        if at_most is not None:
            room = min(room, at_most)
        if taken.get(subscription, 0) < room:
            taken[subscription] = taken.get(subscription, 0) + 1
            chosen.append(pk)
    return deliveries_publish(chosen, now=now, after_commit=False) if chosen else 0


def deliveries_sweep(*, now: dt.datetime) -> int:
    """Publish again the rows published more than HANDOFF_GRACE_SECONDS ago and still neither
    delivered nor waiting: their message was lost (a worker killed mid-post, a broker that lost
    it). Returns the count."""
    cutoff = now - dt.timedelta(seconds=settings.HANDOFF_GRACE_SECONDS)
    lost = (
        Delivery.objects.undelivered()
        .filter(published_at__lt=cutoff, held_back_at__isnull=True, given_up_at__isnull=True)
        .filter(subscription__status=Subscription.Status.ACTIVE)
        .order_by("pk")
        .values_list("pk", flat=True)[:_RELAY_BATCH]
    )
    ids = list(lost)
    return deliveries_publish(ids, now=now, after_commit=False) if ids else 0


def deliveries_relay(*, now: dt.datetime, after: dt.timedelta, sweep: bool) -> dict[str, int]:
    """The relay's round for webhooks (registered with journeys.services.relay): the rows due
    (first tries whose publish after commit failed, retries whose time came, rows held back),
    and with `sweep` the lost ones."""
    counts = {"webhooks_relayed": deliveries_publish_due(now=now, before=now - after)}
    if sweep:
        counts["webhooks_swept"] = deliveries_sweep(now=now)
    return counts


# A person's hand ------------------------------------------------------------------------------


@transaction.atomic
def subscription_resume(*, subscription: Subscription, now: dt.datetime) -> bool:
    """Deliver to a paused subscription again, from its oldest waiting row, on a fresh schedule.
    Returns whether it was paused."""
    resumed = Subscription.objects.filter(
        pk=subscription.pk, status=Subscription.Status.PAUSED
    ).update(
        status=Subscription.Status.ACTIVE,
        paused_at=None,
        failing_since=None,
        failures=0,
        retry_after=None,
    )
    if resumed:
        Delivery.objects.undelivered().filter(subscription=subscription).update(
            given_up_at=None, next_attempt_at=now, held_back_at=now
        )
        transaction.on_commit(
            partial(deliveries_publish_due, now=now, subscription_id=subscription.pk)
        )
    subscription.refresh_from_db()
    return bool(resumed)


def delivery_send_again(*, delivery: Delivery, now: dt.datetime) -> bool:
    """Try a failed delivery now, at a coordinator's request, with the older undelivered rows of
    its journey before it: its subscription's breaker is lifted (its failures still count
    towards the pause) and the oldest of those rows is published. Returns False if it was
    delivered or its subscription is paused."""
    with transaction.atomic():
        pending = Delivery.objects.undelivered().filter(
            subscription=delivery.subscription_id,
            journey=delivery.journey_id,
            pk__lte=delivery.pk,
            subscription__status=Subscription.Status.ACTIVE,
        )
        if not pending.filter(pk=delivery.pk).exists():
            return False
        pending.filter(next_attempt_at__gt=now).update(next_attempt_at=now)
        Subscription.objects.filter(pk=delivery.subscription_id).update(retry_after=None)
    first = pending.order_by("pk").values_list("pk", flat=True)[:1]
    deliveries_publish(list(first), now=now, after_commit=False)
    return True
