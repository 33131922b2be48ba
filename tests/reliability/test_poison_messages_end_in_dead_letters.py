"""On RabbitMQ a message no worker can take ends in the `dead-letters` queue, where it can be
read, instead of vanishing or going round for ever: every queue is declared with a dead-letter
exchange and a delivery limit (portal/celery.py). Two kinds of poison, each sent to a queue the
worker consumes; the dead letter is read from the broker afterwards, with RabbitMQ's own account
of why (`x-death`)."""

import time

import pytest
from django.conf import settings

from portal.celery import DEAD_LETTERS
from tests.reliability.faults import broker_idle, task_runs
from tests.workers import wait_for
from units.models import Unit

ON_RABBITMQ = pytest.mark.parametrize("own_broker", ["rabbitmq"], indirect=True)


def _death(message) -> dict:
    """RabbitMQ's record of the message's first death: queue, reason, count."""
    return dict(message.headers["x-death"][0])


@ON_RABBITMQ
def test_a_message_for_a_task_no_worker_knows_is_rejected_into_the_dead_letters(
    broker, own_broker, start_worker, record_figures
):
    worker = start_worker()  # on every unit's queue
    queue = Unit.objects.get(slug="environment-health").queue_name
    broker.send_task("journeys.tasks.retired_long_ago", args=[42], queue=queue)
    wait_for(lambda: own_broker.queue_length(DEAD_LETTERS) == 1, 60, "the dead letter", worker)

    dead = own_broker.dead_letters()
    death = _death(dead[0])
    figures = {
        "dead_letters": len(dead),
        "task": dead[0].headers["task"],
        "from_queue": death["queue"],
        "reason": death["reason"],
        "left_in_the_portals_queues": own_broker.backlog(),
    }
    record_figures(figures)
    assert "Received unregistered task of type 'journeys.tasks.retired_long_ago'" in (
        worker.output()
    )
    assert figures["dead_letters"] == 1 and figures["task"] == "journeys.tasks.retired_long_ago"
    assert (death["queue"], death["reason"]) == (queue, "rejected")
    assert broker_idle(own_broker)


@ON_RABBITMQ
@pytest.mark.timeout(300)
def test_a_task_that_kills_its_worker_every_time_is_dead_lettered_at_the_delivery_limit(
    broker, own_broker, start_worker, record_figures
):
    worker = start_worker()
    broker.send_task("tests.reliability.crashes_its_worker", args=[7], queue="portal")
    wait_for(lambda: own_broker.queue_length(DEAD_LETTERS) == 1, 240, "the dead letter", worker)
    time.sleep(3)  # a further delivery would run now

    dead = own_broker.dead_letters()
    death = _death(dead[0])
    runs = task_runs("tests.reliability.crashes_its_worker", [7])[7]
    figures = {
        "delivery_limit": settings.RABBITMQ_DELIVERY_LIMIT,
        "runs": runs,
        "dead_letters": len(dead),
        "from_queue": death["queue"],
        "reason": death["reason"],
        "worker_still_running": worker.process.poll() is None,
    }
    record_figures(figures)
    # Each delivery killed the pool process running it (the worker lived on and started
    # another), and each time the message went back to the queue (task_reject_on_worker_lost):
    # the first delivery and the limit's redeliveries, then the dead letter, then nothing.
    assert runs == {"unfinished": settings.RABBITMQ_DELIVERY_LIMIT + 1}, figures
    assert figures["worker_still_running"]
    assert (figures["dead_letters"], death["queue"], death["reason"]) == (
        1,
        "portal",
        "delivery_limit",
    )
    assert broker_idle(own_broker)
