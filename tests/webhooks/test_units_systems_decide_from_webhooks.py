"""End to end: two units work in their own systems. Each system is a separate process that
subscribes itself through the API (answering the handshake), receives its steps as signed
events from a real Celery worker, verifies them with the `standardwebhooks` library, and takes
and decides each step through the API with a token got by client credentials. The first unit's
decision hands the next step to the second unit through the real worker, and so the journey
completes without anyone opening a page. Everything is checked from the database and the
systems' records afterwards."""

import pytest
from django.utils import timezone

from api.clients import api_client_create
from journeys.models import Handoff, Journey, Step
from tests.factories import submitted_journey
from tests.journey_types import journey_type, unit_for
from tests.workers import WorkerProcess, wait_for
from units.models import Unit
from webhooks.models import Delivery, Subscription


@pytest.mark.timeout(240)
def test_two_units_systems_decide_their_steps_from_webhooks(
    transactional_db, celery_broker, live_server, settings, tmp_path, start_receiver
):
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = True  # the systems listen on 127.0.0.1
    kind = journey_type(parallel=1, chain=1)  # parallel-1, then chain-1 in another unit
    systems = {}
    for key in ("parallel-1", "chain-1"):
        unit = Unit.objects.get(slug=unit_for(key))
        client, secret = api_client_create(
            name=f"{unit.name} system", unit=unit, now=timezone.now()
        )
        receiver = start_receiver(
            key,
            extra=[
                f"--api={live_server.url}",
                f"--client-id={client.application.client_id}",
                f"--client-secret={secret}",
                "--subscribe",
                "step.queued",
                "step.decided",
            ],
        )
        systems[key] = (client, receiver)
    assert Subscription.objects.count() == 2  # each system subscribed itself
    queues = ["portal", "webhooks", *(u.queue_name for u in Unit.objects.all())]
    worker = WorkerProcess(
        queues, tmp_path / "worker.log", env={"WEBHOOKS_ALLOW_PRIVATE_ADDRESSES": "1"}
    ).start()
    try:
        journey = submitted_journey(kind, deliver=False)  # the worker hands the first step on
        wait_for(
            lambda: Journey.objects.get(pk=journey.pk).status == Journey.Status.COMPLETED,
            120,
            "both systems to decide and the journey to complete",
            worker,
        )
        wait_for(lambda: not Delivery.objects.undelivered().exists(), 30, "the last events", worker)
    finally:
        worker.stop()

    for key, (client, receiver) in systems.items():
        step = Step.objects.get(journey=journey, step_type__key=key)
        assert step.status == Step.Status.APPROVED
        assert step.assignee == client.user  # decided by the system, through the API
        assert step.reasons == "Checked in our own case system."
        events = receiver.events()
        # Its own step's events only, each signed and verified by the library, in order.
        assert [(e["type"], e["step"]["id"]) for e in events] == [
            ("step.queued", step.pk),
            ("step.decided", step.pk),
        ], (key, events, receiver.output())
        assert all(e["verified"] is True for e in events)
        assert [d["status"] for d in receiver.records("decided")] == [200]
        assert receiver.records("decision-error") == []
        rows = Delivery.objects.filter(subscription__client=client)
        assert rows.count() == 2 and not rows.undelivered().exists()
        assert sorted(rows.values_list("webhook_id", flat=True)) == sorted(
            e["webhook_id"] for e in events
        )
    # The second unit's step reached it through the worker, handed on by the first's decision.
    handoff = Handoff.objects.get(step__journey=journey, step__step_type__key="chain-1")
    assert handoff.delivered_at is not None
    first = Step.objects.get(journey=journey, step_type__key="parallel-1")
    assert handoff.created_at == first.decided_at
