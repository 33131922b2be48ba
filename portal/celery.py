"""The Celery app, configured from the CELERY_* Django settings (beat schedules included)."""

import contextlib
import os

import amqp
from celery import Celery, states
from celery.app.amqp import AMQP, Queues
from celery.signals import task_postrun, task_prerun
from django.conf import settings
from django.db import DatabaseError, close_old_connections, connections
from kombu import Exchange, Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

# Where RabbitMQ puts a message no worker can take: one rejected without requeueing (a task
# name no worker knows, a body it cannot decode) or redelivered more often than the delivery
# limit (a task that kills its worker every time). An exchange and a quorum queue of that name.
DEAD_LETTERS = "dead-letters"


def dead_letter_arguments() -> dict:
    """Every queue's declaration arguments: a quorum queue (replicated, every message on disk
    before it is confirmed) whose dead letters go to DEAD_LETTERS at least once (kept in the
    queue until the dead-letter queue has confirmed them, which RabbitMQ allows only together
    with overflow reject-publish). Redis and the filesystem transport ignore them."""
    return {
        "x-queue-type": "quorum",
        "x-dead-letter-exchange": DEAD_LETTERS,
        "x-dead-letter-strategy": "at-least-once",
        "x-overflow": "reject-publish",
        "x-delivery-limit": settings.RABBITMQ_DELIVERY_LIMIT,
    }


def dead_letters_queue() -> Queue:
    """The queue the dead letters of every other queue end in (a fanout exchange keeps each
    message's own routing key, its queue, for whoever reads them)."""
    return Queue(
        DEAD_LETTERS,
        Exchange(DEAD_LETTERS, type="fanout"),
        routing_key=DEAD_LETTERS,
        queue_arguments={"x-queue-type": "quorum"},
    )


class DeadLetteringQueue(Queue):
    """A queue that, on RabbitMQ, declares where its dead letters go before itself, wherever it
    is declared: by a worker before it consumes, by a publisher before it publishes."""

    def declare(self, nowait: bool = False, channel=None) -> str:
        channel = channel or self.channel
        if isinstance(channel, amqp.Channel):
            dead_letters_queue().bind(channel).declare()
        return super().declare(nowait=nowait, channel=channel)


class DeadLetteringQueues(Queues):
    """Celery's routing table, each queue a `DeadLetteringQueue` declared with
    `dead_letter_arguments()`: the default queue, and the unit queues (`unit.<slug>`), which
    are rows and are made when first used.

    The declaration is the same whatever the broker: RabbitMQ refuses a queue redeclared with
    other arguments (PRECONDITION_FAILED), so no process may declare it differently from the
    others, whichever broker it met first."""

    def __setitem__(self, name: str, queue: Queue) -> None:
        # Changed in place: Queues.add returns the very queue it was given.
        queue.__class__ = DeadLetteringQueue
        queue.queue_arguments = {**dead_letter_arguments(), **(queue.queue_arguments or {})}
        super().__setitem__(name, queue)


class PortalAMQP(AMQP):
    queues_cls = DeadLetteringQueues


app = Celery("portal", amqp=PortalAMQP)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


# Database connections in the worker. Celery's Django fixup closes every connection after every
# task, so each task opened a new PostgreSQL connection, which costs more than the queries of a
# handoff. settings.CELERY_DB_REUSE_MAX turns that off (the fixup then closes them only every
# CELERY_DB_REUSE_MAX tasks); these receivers apply Django's own rule for requests instead: a
# connection is kept while it is usable and younger than CONN_MAX_AGE, and is checked before its
# first query in each task (CONN_HEALTH_CHECKS). A task that did not succeed drops it in any case:
# an error or a time limit may have interrupted a query in a way Django cannot detect (the
# reason Celery stopped relying on close_if_unusable_or_obsolete alone, celery#9824).
# Eager tasks run inside the caller's connection and transaction, which are not theirs to close.


@task_prerun.connect
def _drop_unusable_connections(sender=None, **kwargs) -> None:
    if not getattr(sender.request, "is_eager", False):
        close_old_connections()


@task_postrun.connect
def _keep_or_drop_connections(sender=None, state=None, **kwargs) -> None:
    if getattr(sender.request, "is_eager", False):
        return
    if state == states.SUCCESS:
        close_old_connections()
        return
    for connection in connections.all(initialized_only=True):
        with contextlib.suppress(DatabaseError):
            connection.close()
