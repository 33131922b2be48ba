"""`Idempotency-Key`: a retried POST gets the first answer again and the work is done once."""

import datetime as dt
import threading

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from api.idempotency import idempotency_keys_sweep
from api.models import IdempotencyRecord
from api.schema import IDEMPOTENCY_KEY
from journeys.models import InformationRequest, JourneyEvent, Step
from tests.factories import submitted_journey
from tests.journey_types import journey_type, unit_for
from units.models import Unit


def _setup(api_caller):
    journey = submitted_journey(journey_type(parallel=1, chain=1))
    caller = api_caller(Unit.objects.get(slug=unit_for("parallel-1")))
    return journey, caller, journey.steps.get(step_type__key="parallel-1")


def test_a_retried_decision_is_decided_once_and_answered_the_same(db, api_caller):
    journey, caller, step = _setup(api_caller)
    taken = caller.post(f"/api/v1/steps/{step.pk}/take/")
    body = {"outcome": "approve", "reasons": "All in order."}
    headers = {"If-Match": taken["ETag"], "Idempotency-Key": "decide-1"}
    first = caller.post(f"/api/v1/steps/{step.pk}/decision/", body, headers=headers)
    assert first.status_code == 200, first.content
    # The retry's If-Match is stale now: without the key it would be a 412.
    again = caller.post(f"/api/v1/steps/{step.pk}/decision/", body, headers=headers)
    assert again.status_code == 200
    assert again.json() == first.json()
    assert again["ETag"] == first["ETag"]
    assert again["Idempotent-Replayed"] == "true"
    assert JourneyEvent.objects.filter(step=step, kind="step_approved").count() == 1


def test_a_retried_information_request_asks_once(db, api_caller):
    journey, caller, step = _setup(api_caller)
    taken = caller.post(f"/api/v1/steps/{step.pk}/take/")
    body = {"items": ["Plan"], "due_date": str(timezone.localdate() + dt.timedelta(days=9))}
    headers = {"If-Match": taken["ETag"], "Idempotency-Key": "ask-1"}
    first = caller.post(f"/api/v1/steps/{step.pk}/information-requests/", body, headers=headers)
    again = caller.post(f"/api/v1/steps/{step.pk}/information-requests/", body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert InformationRequest.objects.filter(step=step).count() == 1


def test_the_same_key_for_another_request_is_a_422_problem(db, api_caller):
    journey, caller, step = _setup(api_caller)
    caller.post(f"/api/v1/steps/{step.pk}/take/", headers={"Idempotency-Key": "k"})
    response = caller.post(
        f"/api/v1/steps/{step.pk}/decision/",
        {"outcome": "approve", "reasons": "Fine."},
        headers={"If-Match": '"1"', "Idempotency-Key": "k"},
    )
    assert response.status_code == 422
    assert response.json()["type"] == "urn:portal:problem:idempotency-key-reused"
    step.refresh_from_db()
    assert step.status == Step.Status.IN_PROGRESS


def test_keys_are_the_clients_own(db, api_caller):
    journey, caller, step = _setup(api_caller)
    other = api_caller(Unit.objects.get(slug=unit_for("parallel-1")))
    assert caller.post(f"/api/v1/steps/{step.pk}/take/", headers={"Idempotency-Key": "k"})
    # The same key from another client is another key: its request runs (and is refused,
    # since the step is the first client's now), nothing of the first answer is replayed.
    response = other.post(f"/api/v1/steps/{step.pk}/take/", headers={"Idempotency-Key": "k"})
    assert response.status_code == 409
    assert "Idempotent-Replayed" not in response


def test_an_error_is_not_kept_so_a_corrected_retry_runs(db, api_caller):
    journey, caller, step = _setup(api_caller)
    taken = caller.post(f"/api/v1/steps/{step.pk}/take/")
    body = {"outcome": "approve", "reasons": "All in order."}
    stale = caller.post(
        f"/api/v1/steps/{step.pk}/decision/",
        body,
        headers={"If-Match": '"0"', "Idempotency-Key": "try"},
    )
    assert stale.status_code == 412
    assert not IdempotencyRecord.objects.filter(key="try").exists()
    fresh = caller.post(
        f"/api/v1/steps/{step.pk}/decision/",
        body,
        headers={"If-Match": taken["ETag"], "Idempotency-Key": "try"},
    )
    assert fresh.status_code == 200


@pytest.mark.parametrize("key", ["", "has space", "x" * 256, "tab\there"])
def test_a_malformed_key_is_a_400_problem(db, api_caller, key):
    journey, caller, step = _setup(api_caller)
    response = caller.post(f"/api/v1/steps/{step.pk}/take/", headers={"Idempotency-Key": key})
    assert response.status_code == 400
    assert response.json()["type"] == "urn:portal:problem:idempotency-key-invalid"


def test_keys_are_forgotten_after_24_hours(db, api_caller):
    journey, caller, step = _setup(api_caller)
    caller.post(f"/api/v1/steps/{step.pk}/take/", headers={"Idempotency-Key": "old"})
    caller.post(f"/api/v1/steps/{step.pk}/take/", headers={"Idempotency-Key": "new"})
    IdempotencyRecord.objects.filter(key="old").update(
        created_at=timezone.now() - dt.timedelta(hours=25)
    )
    assert idempotency_keys_sweep(now=timezone.now()) == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]


def test_every_post_operation_takes_the_key(db):
    """A new POST (the subscriptions' too) without `@idempotent` fails here."""
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    posts = [
        (path, operation)
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
        if method == "post"
    ]
    assert posts
    for path, operation in posts:
        names = {p["name"] for p in operation.get("parameters", []) if p["in"] == "header"}
        assert IDEMPOTENCY_KEY.name in names, path
        assert "422" in operation["responses"], path


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers: PostgreSQL")
def test_concurrent_duplicates_do_the_work_once(api_caller):
    journey, caller, step = _setup(api_caller)
    taken = caller.post(f"/api/v1/steps/{step.pk}/take/")
    body = {"outcome": "approve", "reasons": "All in order."}
    headers = caller.headers({"If-Match": taken["ETag"], "Idempotency-Key": "same"})
    start, answers = threading.Barrier(4), []

    def post():
        try:
            start.wait(10)
            response = Client().post(
                f"/api/v1/steps/{step.pk}/decision/",
                data=body,
                content_type="application/json",
                headers=headers,
            )
            answers.append((response.status_code, response.json()))
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert [status for status, _ in answers] == [200] * 4
    assert all(body == answers[0][1] for _, body in answers)
    assert JourneyEvent.objects.filter(step=step, kind="step_approved").count() == 1
