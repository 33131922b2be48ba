"""Schemathesis against the live portal and its live schema, as an authorised unit's system:
every operation, with data the schema allows (positive) and data it forbids (negative), and
with both random ids and the ids of real objects in the client's scope. 0 server errors, and
every answer is one the schema describes: its status, content type, headers and body.

Bounded (MAX_EXAMPLES per operation and mode) so it runs in a couple of minutes."""

import os

import pytest
import requests
import schemathesis
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.clients import api_client_create
from tests.api.conftest import add_document
from tests.factories import submitted_journey
from tests.journey_types import journey_type
from units.models import Unit

MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "25"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(900)]


@pytest.fixture
def world(live_server, settings):
    """A unit's client with a token, and a submitted journey with a step in its queue, a step
    in another unit's, a document, events and handoffs: the ids a real system would use."""
    settings.API_RATE_LIMIT = "1000000/minute"
    journey = submitted_journey(journey_type(parallel=2, chain=1))
    own = journey.steps.get(step_type__key="parallel-1")
    document = add_document(journey, own)
    client, secret = api_client_create(
        name="Schemathesis", unit=Unit.objects.get(pk=own.unit_id), now=timezone.now()
    )
    token = requests.post(
        f"{live_server.url}/api/v1/oauth/token/",
        data={"grant_type": "client_credentials"},
        auth=(client.application.client_id, secret),
        timeout=30,
    ).json()["access_token"]
    ids = {
        "/api/v1/journeys/{id}": journey.public_id,
        "/api/v1/steps/{id}": own.pk,
        "/api/v1/documents/{id}": document.pk,
        "/api/v1/journey-types/{id}": journey.journey_type_id,
    }
    return live_server.url, {"Authorization": f"Bearer {token}"}, ids


def real_id(path: str, ids: dict):
    return next((value for prefix, value in ids.items() if path.startswith(prefix)), None)


def run_operation(operation, mode, base_url, headers, ids) -> list[str]:
    """Run one operation's cases in one generation mode; return what failed, if anything."""
    strategies = [operation.as_strategy(generation_mode=mode)]
    known = real_id(operation.path, ids)
    if known is not None:
        strategies.append(
            operation.as_strategy(generation_mode=mode, path_parameters={"id": str(known)})
        )
    checks = CHECKS + ([negative_data_rejection] if mode.name == "NEGATIVE" else [])

    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=st.one_of(strategies))
    def check(case):
        case.call_and_validate(base_url=base_url, headers=headers, checks=checks)

    try:
        check()  # hypothesis shrinks a failure to its smallest case before raising it
    except (Exception, BaseExceptionGroup) as failure:  # collected, reported after all operations
        return [f"{operation.label} [{mode.name}]: {failure}"]
    return []


def test_every_operation_keeps_to_its_schema(world):
    base_url, headers, ids = world
    schema = schemathesis.openapi.from_url(f"{base_url}/api/v1/schema/")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 14
    failures = []
    for operation in operations:
        for mode in (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE):
            failures += run_operation(operation, mode, base_url, headers, ids)
    unique = sorted(set(failures))
    assert not unique, f"{len(unique)} failures:\n\n" + "\n\n".join(unique[:20])
