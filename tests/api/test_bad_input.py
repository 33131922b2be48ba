"""Whatever a client sends, the answer is a 4xx problem document: never a 500, never data."""

import pytest

from tests.factories import submitted_journey
from tests.journey_types import journey_type, unit_for
from units.models import Unit


@pytest.fixture
def taken(db, api_caller):
    journey = submitted_journey(journey_type(parallel=1, chain=0))
    caller = api_caller(Unit.objects.get(slug=unit_for("parallel-1")))
    step = journey.steps.get()
    etag = caller.post(f"/api/v1/steps/{step.pk}/take/")["ETag"]
    return caller, step, etag


def post_raw(caller, path, body: bytes, content_type: str, etag: str):
    return caller.http.post(
        path, data=body, content_type=content_type, headers=caller.headers({"If-Match": etag})
    )


def assert_problem(response, status: int, code: str | None = None):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == status
    if code:
        assert problem["type"] == f"urn:portal:problem:{code}"
    return problem


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"",
        b'{"outcome": "approve", "reasons": NaN}',
        b'["outcome", "approve"]',
        b'"approve"',
        b"null",
        b"[" * 5000 + b"]" * 5000,
        b'{"outcome": "approve", "reasons": "\\ud800"}',
        b"\xff\xfe{}",
    ],
    ids=[
        "broken",
        "empty",
        "nan",
        "array",
        "string",
        "null",
        "deep",
        "lone-surrogate",
        "not-utf8",
    ],
)
def test_a_body_that_is_not_a_json_object_is_a_400_problem(taken, body):
    caller, step, etag = taken
    response = post_raw(
        caller, f"/api/v1/steps/{step.pk}/decision/", body, "application/json", etag
    )
    assert_problem(response, 400)


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data"]
)
def test_a_body_that_is_not_json_is_a_415_problem(taken, content_type):
    caller, step, etag = taken
    response = post_raw(
        caller, f"/api/v1/steps/{step.pk}/decision/", b"outcome=approve", content_type, etag
    )
    assert_problem(response, 415, "unsupported-media-type")


@pytest.mark.parametrize(
    "body, pointer",
    [
        ({"outcome": "maybe", "reasons": "x"}, "/outcome"),
        ({"outcome": ["approve"], "reasons": "x"}, "/outcome"),
        ({"outcome": "approve", "reasons": {"a": 1}}, "/reasons"),
        ({"outcome": "approve", "reasons": "x" * 5001}, "/reasons"),
        ({"outcome": "approve", "reasons": "nul\x00"}, "/reasons"),
        ({"outcome": "approve"}, "/reasons"),
        ({"outcome": "approve", "reasons": "x", "extra": 1}, "/extra"),
    ],
)
def test_a_wrong_field_is_a_400_problem_naming_it(taken, body, pointer):
    caller, step, etag = taken
    response = caller.post(f"/api/v1/steps/{step.pk}/decision/", body, headers={"If-Match": etag})
    problem = assert_problem(response, 400, "validation-error")
    assert pointer in {error["pointer"] for error in problem["errors"]}


@pytest.mark.parametrize(
    "body, pointer",
    [
        ({"items": [], "due_date": "2099-01-01"}, "/items"),
        ({"items": "Plan", "due_date": "2099-01-01"}, "/items"),
        ({"items": [1, None], "due_date": "2099-01-01"}, "/items/1"),
        ({"items": ["Plan"], "due_date": "yesterday"}, "/due_date"),
        ({"items": ["Plan"], "due_date": "2000-01-01"}, "/due_date"),
    ],
)
def test_a_wrong_information_request_is_a_400_problem(taken, body, pointer):
    caller, step, etag = taken
    response = caller.post(
        f"/api/v1/steps/{step.pk}/information-requests/", body, headers={"If-Match": etag}
    )
    problem = assert_problem(response, 400, "validation-error")
    assert pointer in {error["pointer"] for error in problem["errors"]}


@pytest.mark.parametrize("if_match", ['"999"', "*", "W/", '"1", "2"', "garbage"])
def test_an_if_match_that_is_not_the_current_version_is_a_412_problem(taken, if_match):
    caller, step, _etag = taken
    response = caller.post(
        f"/api/v1/steps/{step.pk}/decision/",
        {"outcome": "approve", "reasons": "Fine."},
        headers={"If-Match": if_match},
    )
    assert_problem(response, 412, "version-mismatch")


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/steps/abc/",
        "/api/v1/steps/-1/",
        "/api/v1/steps/99999999999999999999999/",
        "/api/v1/steps/9223372036854775808/handoffs/",
        "/api/v1/journeys/not-a-uuid/",
        "/api/v1/journeys/00000000-0000-0000-0000-000000000000/events/",
        "/api/v1/documents/abc/content/",
        "/api/v1/documents/99999999999999999999999/content/",
        "/api/v1/journey-types/99999999999999999999999/",
    ],
)
def test_an_id_that_names_nothing_is_a_404_problem(taken, path):
    caller, _step, _etag = taken
    assert_problem(caller.get(path), 404, "not-found")


@pytest.mark.parametrize(
    "query",
    [
        "?status=bogus",
        "?journey=not-a-uuid",
        "?queue=everything",
        "?unit=%00",
        "?queue=",
        "?journey=",
        "?page_size=0",
        "?page_size=201",
        "?page_size=ten",
    ],
)
def test_a_wrong_filter_is_a_400_problem(taken, query):
    caller, _step, _etag = taken
    assert_problem(caller.get(f"/api/v1/steps/{query}"), 400)


@pytest.mark.parametrize(
    "query",
    [
        "?reference=%00",
        "?submitted_after=soon",
        "?submitted_after=0001-01-01T00:00:00%2B01:00",
        "?status=bogus",
        "?status=",
        "?journey_type=%00",
    ],
)
def test_a_wrong_journey_filter_is_a_400_problem(taken, query):
    caller, _step, _etag = taken
    assert_problem(caller.get(f"/api/v1/journeys/{query}"), 400)


@pytest.mark.parametrize("query", ["?is_current=1", "?is_current=yes", "?is_current="])
def test_a_boolean_is_true_or_false(taken, query):
    caller, _step, _etag = taken
    assert_problem(caller.get(f"/api/v1/journey-types/{query}"), 400)
    assert caller.get("/api/v1/journey-types/?is_current=false").status_code == 200


def test_a_time_with_an_offset_postgresql_refuses_is_read_in_utc(taken):
    """Schemathesis found it: ISO 8601 allows an offset of +21:23, PostgreSQL does not."""
    caller, _step, _etag = taken
    response = caller.get("/api/v1/journeys/?submitted_after=1065-07-11T19:06:20%2B21:23")
    assert response.status_code == 200
    assert len(response.json()["results"]) == 1


@pytest.mark.parametrize("cursor", ["garbage", "bz14"])
def test_a_cursor_the_api_did_not_give_is_a_400_problem(taken, cursor):
    caller, _step, _etag = taken
    assert_problem(caller.get(f"/api/v1/steps/?cursor={cursor}"), 400, "invalid-cursor")


def test_a_request_for_another_format_is_a_406_problem(taken):
    caller, step, _etag = taken
    response = caller.get(f"/api/v1/steps/{step.pk}/", headers={"Accept": "text/csv"})
    assert_problem(response, 406, "not-acceptable")
