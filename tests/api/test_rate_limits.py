"""Each client has its own rate limit (API_RATE_LIMIT); past it, a 429 problem with Retry-After."""

from api.throttling import parse_rate
from tests.journey_types import journey_type, unit_for
from units.models import Unit


def test_past_its_limit_a_client_gets_429_with_retry_after(db, api_caller, settings):
    settings.API_RATE_LIMIT = "3/minute"
    journey_type(parallel=1)
    caller = api_caller(Unit.objects.get(slug=unit_for("parallel-1")))
    answers = [caller.get("/api/v1/steps/").status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    response = caller.get("/api/v1/steps/")
    assert response.status_code == 429
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["type"] == "urn:portal:problem:too-many-requests"
    assert 1 <= int(response["Retry-After"]) <= 60


def test_one_clients_requests_do_not_count_against_another(db, api_caller, settings):
    settings.API_RATE_LIMIT = "2/hour"
    journey_type(parallel=1)
    busy = api_caller(Unit.objects.get(slug=unit_for("parallel-1")))
    for _ in range(3):
        busy.get("/api/v1/steps/")
    assert busy.get("/api/v1/steps/").status_code == 429
    assert api_caller().get("/api/v1/steps/").status_code == 200


def test_rates_read_as_drf_writes_them():
    assert parse_rate("600/minute") == (600, 60)
    assert parse_rate("10/s") == (10, 1)
    assert parse_rate("5000/hour") == (5000, 3600)
    assert parse_rate("100000/day") == (100000, 86400)
