"""Every API operation in the schema, called as every kind of client: the answer its scope
allows, and nothing of what it may not see in any answer.

The rows are read against the generated schema: an operation without a row (or a row without
an operation) fails `test_every_operation_in_the_schema_has_a_row`. Adding an operation is
one line in ROWS: its method and path as the schema writes them, what its {id} names in the
world below, and who gets what."""

import datetime as dt
from dataclasses import dataclass, field

import pytest
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from oauth2_provider.models import AccessToken

from api.clients import api_client_revoke
from journeys import services
from tests.api.conftest import add_document
from tests.factories import submitted_journey
from tests.journey_types import TRAIL_ANSWERS, journey_type, unit_for
from units.models import Unit
from webhooks.models import Subscription

KINDS = [
    "no_token",
    "unknown_token",
    "expired_token",
    "revoked_client",
    "unit_own",  # the client of the unit whose step it is
    "unit_other",  # the client of a unit whose step in the journey has not reached it yet
    "coordination",
]
NO_CLIENT = {"no_token": 401, "unknown_token": 401, "expired_token": 401, "revoked_client": 401}
LIST = {**NO_CLIENT, "unit_own": 200, "unit_other": 200, "coordination": 200}
SCOPED = {**NO_CLIENT, "unit_own": 200, "unit_other": 404, "coordination": 200}
STEP_DATA = {**NO_CLIENT, "unit_own": 200, "unit_other": 404, "coordination": 404}
WRITE = {**NO_CLIENT, "unit_own": 200, "unit_other": 404, "coordination": 403}
CREATE = {**WRITE, "unit_own": 201}
UNVERIFIED = {**NO_CLIENT, "unit_own": 422, "unit_other": 422, "coordination": 422}
DELETED = {**STEP_DATA, "unit_own": 204}


@dataclass(frozen=True)
class Row:
    expected: dict
    names: str | None = None  # what {id} is in the world
    body: dict = field(default_factory=dict)
    if_match: bool = False


DECISION = {"outcome": "approve", "reasons": "All in order."}
SUBSCRIBE = {"url": "https://receiver.invalid/events", "event_types": ["step.queued"]}
ASK = {"items": ["A plan of the premises"], "due_date": "2099-01-01"}

# "METHOD path" as in the schema -> the row. Reads run first, then writes in this order.
ROWS = {
    "GET /api/v1/journey-types/": Row(LIST),
    "GET /api/v1/journey-types/{id}/": Row(LIST, "journey_type"),
    "GET /api/v1/journeys/": Row(LIST),
    "GET /api/v1/journeys/{id}/": Row(SCOPED, "journey"),
    "GET /api/v1/journeys/{id}/documents/": Row(SCOPED, "journey"),
    "GET /api/v1/journeys/{id}/events/": Row(SCOPED, "journey"),
    "GET /api/v1/documents/{id}/content/": Row(STEP_DATA, "document"),
    "GET /api/v1/steps/": Row(LIST),
    "GET /api/v1/steps/{id}/": Row(SCOPED, "step"),
    "GET /api/v1/steps/{id}/handoffs/": Row(SCOPED, "step"),
    "GET /api/v1/steps/{id}/messages/": Row(SCOPED, "step"),
    "GET /api/v1/feed/": Row(LIST),
    "POST /api/v1/steps/{id}/take/": Row(WRITE, "step"),
    "POST /api/v1/steps/{id}/information-requests/": Row(CREATE, "asked_step", ASK, True),
    "POST /api/v1/steps/{id}/messages/": Row(CREATE, "step", {"body": "Noted, thank you."}),
    "POST /api/v1/steps/{id}/decision/": Row(WRITE, "step", DECISION, True),
    # Subscriptions: each client manages its own (coordination clients too); another client's
    # is not found. A new one must pass the handshake, which the address here cannot.
    "GET /api/v1/subscriptions/": Row(LIST),
    "GET /api/v1/subscriptions/{id}/": Row(STEP_DATA, "subscription"),
    "GET /api/v1/subscriptions/{id}/deliveries/": Row(STEP_DATA, "subscription"),
    "POST /api/v1/subscriptions/": Row(UNVERIFIED, None, SUBSCRIBE),
    "POST /api/v1/subscriptions/{id}/resume/": Row(STEP_DATA, "subscription"),
    "DELETE /api/v1/subscriptions/{id}/": Row(DELETED, "subscription"),
}


def schema_operations() -> set[str]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {
        f"{method.upper()} {path}"
        for path, methods in schema["paths"].items()
        for method in methods
        if method in ("get", "post", "put", "patch", "delete")
    }


def test_every_operation_in_the_schema_has_a_row(db):
    operations = schema_operations()
    assert operations - set(ROWS) == set(), "operations without a row"
    assert set(ROWS) - operations == set(), "rows without an operation"
    assert all(set(row.expected) == set(KINDS) for row in ROWS.values())


@pytest.fixture
def world(db, api_caller):
    """Journey J: step parallel-1 in unit A's queue (taken by A's system, a document attached),
    step chain-1 waiting for it in unit B (so J is outside B's scope). A second journey's
    parallel-1, also taken by A, is the one A asks the applicant about."""
    kind = journey_type(parallel=1, chain=1)
    journey, asked = submitted_journey(kind), submitted_journey(kind)
    own_unit = Unit.objects.get(slug=unit_for("parallel-1"))
    other_unit = Unit.objects.get(slug=unit_for("chain-1"))
    callers = {"unit_own": api_caller(own_unit)}
    step = journey.steps.get(step_type__key="parallel-1")
    asked_step = asked.steps.get(step_type__key="parallel-1")
    for held in (step, asked_step):
        services.step_claim(step=held, by=callers["unit_own"].client.user, now=timezone.now())
    document = add_document(journey, step, "site-plan-of-j.pdf")
    callers["unit_other"] = api_caller(other_unit)
    callers["coordination"] = api_caller()
    revoked = api_caller(own_unit)
    api_client_revoke(client=revoked.client, now=timezone.now())
    expired = AccessToken.objects.create(
        user=callers["unit_own"].client.user,
        application=callers["unit_own"].client.application,
        token="expired-token-of-a-unit-client",
        expires=timezone.now() - dt.timedelta(seconds=1),
        scope="read write",
    )
    tokens = {kind: caller.token for kind, caller in callers.items()}
    tokens |= {"revoked_client": revoked.token, "expired_token": expired.token}
    tokens |= {"unknown_token": "not-a-token-anyone-was-given", "no_token": None}
    subscription = Subscription.objects.create(
        client=callers["unit_own"].client,
        url="https://receiver.invalid/events",
        secret="whsec_" + "A" * 32,
        event_types=["step.queued"],
        created_at=timezone.now(),
    )
    ids = {
        "subscription": subscription.public_id,
        "journey_type": kind.pk,
        "journey": journey.public_id,
        "step": step.pk,
        "asked_step": asked_step.pk,
        "document": document.pk,
    }
    # What a client outside J's scope must find in no answer: J's names and applicant data.
    secrets = [str(journey.public_id), journey.reference, "site-plan-of-j", f"/steps/{step.pk}"]
    return callers["unit_own"].http, tokens, ids, secrets, journey


def call(http, operation: str, row: Row, ids: dict, token: str | None):
    method, template = operation.split(" ")
    path = template.replace("{id}", str(ids[row.names])) if row.names else template
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if row.if_match:
        from journeys.models import Step

        headers["If-Match"] = f'"{Step.objects.get(pk=ids[row.names]).version}"'
    if method == "GET":
        return http.get(path, headers=headers)
    if method == "DELETE":
        return http.delete(path, headers=headers)
    return http.post(path, data=row.body, content_type="application/json", headers=headers)


def body_of(response) -> str:
    if hasattr(response, "streaming_content"):
        return b"".join(response.streaming_content).decode("latin-1")
    return response.content.decode()


@pytest.mark.parametrize("kind", KINDS)
def test_every_operation_answers_each_client_kind_within_its_scope(world, kind):
    http, tokens, ids, secrets, journey = world
    ordered = sorted(ROWS, key=lambda op: (not op.startswith("GET"), list(ROWS).index(op)))
    for operation in ordered:
        row = ROWS[operation]
        response = call(http, operation, row, ids, tokens[kind])
        expected = row.expected[kind]
        assert response.status_code == expected, (kind, operation, response.status_code)
        text = body_of(response)
        if expected >= 400:
            assert response["Content-Type"] == "application/problem+json", (kind, operation)
        if kind in ("unit_own", "coordination") and operation == "GET /api/v1/journeys/{id}/":
            assert journey.reference in text  # so the search below would find a leak
        if expected >= 400 or kind == "unit_other":
            leaked = [secret for secret in secrets if secret in text]
            assert not leaked, (kind, operation, leaked)


@pytest.mark.parametrize("kind", ["unit_own", "unit_other", "coordination"])
def test_no_answer_shows_a_client_an_answer_outside_its_fields(world, kind):
    """Field level: A's step needs the applicant's name (shared) and e-mail; B's waiting step
    the site's address, which no client sees (B's step has not reached B); coordination sees
    the shared name only."""
    http, tokens, ids, secrets, journey = world
    allowed = {
        "unit_own": {"applicant_name", "contact_email"},
        "unit_other": set(),
        "coordination": {"applicant_name"},
    }[kind]
    for operation, row in ROWS.items():
        if operation.startswith("GET"):
            text = body_of(call(http, operation, row, ids, tokens[kind]))
            for key, value in TRAIL_ANSWERS.items():
                if isinstance(value, str) and key not in allowed:
                    assert value not in text, (kind, operation, key)


@pytest.mark.parametrize("kind", ["unit_own", "unit_other", "coordination"])
def test_a_marked_answer_and_document_reach_no_other_client_in_any_operation(world, kind):
    """Secrecy: A marks the applicant's name (shared: coordination sees it otherwise) and J's
    document as secret. Every read, the lists and the events included, then shows them to A's
    own system alone."""
    from journeys.models import Document
    from tests.factories import mark_secret

    http, tokens, ids, secrets, journey = world
    step = journey.steps.get(step_type__key="parallel-1")
    mark_secret(step, field_key="applicant_name")
    mark_secret(step, document=Document.objects.get(pk=ids["document"]), ground=(18, 8))
    marked = [TRAIL_ANSWERS["applicant_name"], "site-plan-of-j", "OSL 18:8"]
    seen = set()
    for operation, row in ROWS.items():
        if operation.startswith("GET"):
            text = body_of(call(http, operation, row, ids, tokens[kind]))
            seen.update(value for value in marked if value in text)
    assert seen == (set(marked) if kind == "unit_own" else set()), kind
