"""Publishing outbox rows (handoffs, outgoing e-mails): a row is the truth, its task a message.

Publishing runs after commit, in the request or task that wrote the rows, so it must neither
raise nor wait long: a failure is logged and kept on the row, and the relay (`outbox_relay`)
publishes it again. Each publish opens its own broker connection with timeouts of a fraction of
a second (`OUTBOX_PUBLISH_TIMEOUT_SECONDS`), so a broker that is down, unreachable or frozen
(accepting connections, answering nothing) costs a request at most about that long. After a
failure, publishing after commit stops for `OUTBOX_PUBLISH_PAUSE_SECONDS` in this process: the
next requests do not try a broker just found dead, and the relay publishes their rows.
"""

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from celery import Task
from django.conf import settings
from django.db.models import F, Model, QuerySet
from kombu import Connection

from journeys.versions import lists_changed

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Route:
    """Which task delivers an outbox's rows, and to which queue each row goes."""

    task: Task
    queue: Callable[[Model], str]
    # The coordinator's dashboard lists the outbox's rows undelivered past the grace period
    # (failed handoffs), with their last error: publishing one moves the dashboard's version.
    on_dashboard: bool = False


# Each outbox model's route, set once by journeys.apps (the tasks call the services that write
# the rows, so this module cannot import them without an import cycle).
ROUTES: dict[type[Model], Route] = {}


def outbox_route(
    model: type[Model], *, task: Task, queue: Callable[[Model], str], on_dashboard: bool = False
) -> None:
    ROUTES[model] = Route(task=task, queue=queue, on_dashboard=on_dashboard)


def outbox_of_task(task_name: str) -> type[Model] | None:
    """The outbox model whose rows the named task delivers (for dead letters), if any."""
    return next((model for model, route in ROUTES.items() if route.task.name == task_name), None)


class _Breaker:
    """Until when, in this process, publishing after commit is skipped (monotonic seconds)."""

    paused_until = 0.0


def publish_paused() -> bool:
    return time.monotonic() < _Breaker.paused_until


def publish_resume() -> None:
    _Breaker.paused_until = 0.0


def publishing_connection(task: Task) -> Connection:
    """A connection of its own (not the app's pool, whose timeouts suit the workers) that gives
    up on a silent broker within OUTBOX_PUBLISH_TIMEOUT_SECONDS at each step: connecting, and
    each command (on Redis the channel's PING, the LPUSH; on RabbitMQ the handshake, each
    declaration, the publish and the wait for its confirm)."""
    timeout = settings.OUTBOX_PUBLISH_TIMEOUT_SECONDS
    # One try to connect: kombu otherwise sleeps and tries again (2 s for a refused one).
    connection = task.app.connection_for_write(connect_timeout=timeout)
    if connection.transport.driver_type == "amqp":
        # py-amqp's connect_timeout covers the TCP connect and the AMQP handshake; its read
        # timeout also bounds the wait for the publisher confirm, which is asked for here
        # whatever the app's options: a row counts as published only once RabbitMQ has it.
        options = {"read_timeout": timeout, "write_timeout": timeout, "confirm_publish": True}
    else:
        options = {"socket_connect_timeout": timeout, "socket_timeout": timeout}
    connection.transport_options.update(options, max_retries=0)
    return connection


def outbox_publish(rows: QuerySet, *, now: dt.datetime, after_commit: bool = True) -> int:
    """Send each row's task (its outbox's route) with the row's id to the row's queue, and count
    the publish on the row. Never raises: the first failure ends the batch (the broker is not
    tried once per row), and every row left unpublished keeps why as its last error, for the
    relay to publish. After commit (`after_commit`), a failure also pauses publishing in this
    process; the relay and the sweep pass False, as they exist to try. Returns how many were
    published."""
    model = rows.model
    task, queue = ROUTES[model].task, ROUTES[model].queue
    rows = list(rows)
    try:
        return _publish(model, task, queue, rows, now=now, after_commit=after_commit)
    finally:
        if ROUTES[model].on_dashboard and _listed(rows, now):
            # After the rows' changes: at once outside a transaction, else after its commit.
            lists_changed()


def _publish(model, task, queue, rows, *, now: dt.datetime, after_commit: bool) -> int:
    if after_commit and publish_paused():
        _not_published(model, rows, "paused after a failed publish in this process")
        return 0
    published = 0
    with publishing_connection(task) as connection:
        for index, row in enumerate(rows):
            try:
                task.apply_async(
                    args=[row.pk], queue=queue(row), connection=connection, retry=False
                )
            except Exception as error:  # the broker is down, unreachable or silent
                logger.warning("%s %s not published: %s", model.__name__, row.pk, error)
                _not_published(model, rows[index:], str(error))
                if after_commit:
                    _Breaker.paused_until = time.monotonic() + settings.OUTBOX_PUBLISH_PAUSE_SECONDS
                break
            model.objects.filter(pk=row.pk).update(
                published_at=now, publish_count=F("publish_count") + 1
            )
            published += 1
    return published


def _listed(rows: list[Model], now: dt.datetime) -> bool:
    """Whether any of the rows may be on the dashboard's list of failed ones (older than the
    grace period): a row published at once after its commit never is."""
    cutoff = now - dt.timedelta(seconds=settings.HANDOFF_GRACE_SECONDS)
    return any(row.created_at < cutoff for row in rows)


def _not_published(model: type[Model], rows: list[Model], why: str) -> None:
    if rows:
        model.objects.filter(pk__in=[row.pk for row in rows]).update(
            last_error=f"publish: {why}"[:2000]
        )
