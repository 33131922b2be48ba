"""Operations scrape /metrics: each unit's cases, handoffs and broker queue, and the dead
letters, read from the database and the real broker at each scrape."""

import datetime as dt

import pytest
from django.utils import timezone
from kombu import Connection
from prometheus_client.parser import text_string_to_metric_families

from journeys.models import FailedTask, Handoff
from portal.celery import DEAD_LETTERS, dead_letters_queue
from tests.factories import bulk_queued_steps, submitted_journey
from tests.journey_types import journey_type, make_test_units
from tests.workers import flush_broker

TOKEN = "scraper-token-for-tests"
pytestmark = pytest.mark.django_db


@pytest.fixture
def scraping(settings):
    settings.METRICS_TOKEN = TOKEN
    return {"Authorization": f"Bearer {TOKEN}"}


def samples(response) -> dict:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def test_without_the_token_the_metrics_are_not_found(client, settings):
    assert client.get("/metrics").status_code == 404  # no token configured: closed to all
    settings.METRICS_TOKEN = TOKEN
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers={"Authorization": "Bearer guess"}).status_code == 404


def test_a_scrape_reads_each_units_cases_handoffs_broker_queue_and_the_dead_letters(
    client, scraping, settings
):
    now = timezone.now()
    trail = journey_type(parallel=1, chain=1)
    first = trail.steps.get(key="parallel-1")
    bulk_queued_steps(first, 3, now=now - dt.timedelta(days=40), due_at=now - dt.timedelta(days=1))
    bulk_queued_steps(first, 2, now=now, due_at=now + dt.timedelta(days=5))
    submitted_journey(trail, now=now - dt.timedelta(minutes=5), deliver=False)
    FailedTask.objects.create(task_id="t-1", task_name="x", error="boom", failed_at=now)
    flush_broker()
    with Connection(settings.CELERY_BROKER_URL) as connection:
        queue = connection.SimpleQueue(first.unit.queue_name)
        queue.put({"waiting": 1})
        queue.put({"waiting": 2})
        queue.close()

    response = client.get("/metrics", headers=scraping)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")  # the text format
    got = samples(response)
    unit = (("unit", first.unit.slug),)
    assert got[("portal_unit_open_cases", unit)] == 5
    assert got[("portal_unit_overdue_cases", unit)] == 3
    assert got[("portal_unit_handoffs_undelivered", unit)] == 1
    age = got[("portal_unit_handoff_oldest_seconds", unit)]
    assert 5 * 60 <= age < 10 * 60
    later = (("unit", trail.steps.get(key="chain-1").unit.slug),)
    assert got[("portal_unit_open_cases", later)] == 0
    assert got[("portal_unit_handoff_oldest_seconds", later)] == 0
    assert got[("portal_broker_up", ())] == 1
    assert got[("portal_broker_queue_messages", (("queue", first.unit.queue_name),))] == 2
    assert got[("portal_dead_letters", ())] == 1
    assert Handoff.objects.undelivered().count() == 1


def test_a_broker_that_does_not_answer_is_reported_not_fatal(client, scraping, monkeypatch):
    # Celery lets CELERY_BROKER_URL in the environment win over its configuration.
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://127.0.0.1:9/0")
    response = client.get("/metrics", headers=scraping)
    assert response.status_code == 200
    got = samples(response)
    assert got[("portal_broker_up", ())] == 0
    assert not any(name == "portal_broker_queue_messages" for name, _ in got)


@pytest.mark.parametrize("celery_broker", ["rabbitmq"], indirect=True)
def test_on_rabbitmq_a_scrape_reads_the_dead_letter_queue(client, scraping, celery_broker):
    trail = journey_type(parallel=1, chain=0)
    queue = trail.steps.get().unit.queue_name
    with Connection(celery_broker.url) as connection:  # as a worker declares it, with one in
        dead_letters_queue()(connection.default_channel).declare()
        producer = connection.Producer()
        producer.publish({"task": "gone"}, exchange=DEAD_LETTERS, routing_key=queue)

    got = samples(client.get("/metrics", headers=scraping))

    assert got[("portal_broker_up", ())] == 1
    assert got[("portal_broker_queue_messages", (("queue", DEAD_LETTERS),))] == 1
    assert got[("portal_broker_queue_messages", (("queue", queue),))] == 0  # never declared


@pytest.mark.parametrize("units", [2, 20])
def test_a_scrape_costs_the_same_queries_however_many_units(
    client, scraping, django_assert_max_num_queries, units
):
    make_test_units(*(f"office-{n}" for n in range(units)))
    with django_assert_max_num_queries(6):
        assert client.get("/metrics", headers=scraping).status_code == 200
