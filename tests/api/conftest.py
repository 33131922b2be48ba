"""API clients for the tests: created as `api_client_create` creates them, their tokens got from
the real token endpoint with the client-credentials grant."""

import base64
from dataclasses import dataclass

import pytest
from django.test import Client
from django.utils import timezone

from api.clients import api_client_create
from api.models import ApiClient


@dataclass
class Caller:
    """A client's system calling the API with a bearer token."""

    client: ApiClient
    secret: str
    http: Client
    token: str = ""

    def headers(self, extra: dict | None = None) -> dict:
        return {"Authorization": f"Bearer {self.token}", **(extra or {})}

    def get(self, path: str, headers: dict | None = None):
        return self.http.get(path, headers=self.headers(headers))

    def post(self, path: str, body=None, headers: dict | None = None):
        return self.http.post(
            path,
            data=body if body is not None else {},
            content_type="application/json",
            headers=self.headers(headers),
        )


def token_for(http: Client, client_id: str, secret: str):
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return http.post(
        "/api/v1/oauth/token/",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {basic}"},
    )


@pytest.fixture(autouse=True)
def _fast_secret_hashing(settings):
    """Client secrets are hashed like passwords (PBKDF2, a million rounds: most of an API
    test's time otherwise); what is tested is that they are hashed and checked, not how slowly."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def api_caller(db):
    """`api_caller(unit=...)` or `api_caller()` (coordination): a client with a fresh token."""

    def make(unit=None) -> Caller:
        client, secret = api_client_create(
            name=f"{unit.name if unit else 'Coordination'} system", unit=unit, now=timezone.now()
        )
        http = Client()
        response = token_for(http, client.application.client_id, secret)
        assert response.status_code == 200, response.content
        return Caller(
            client=client, secret=secret, http=http, token=response.json()["access_token"]
        )

    return make


PDF = b"%PDF-1.7\n1 0 obj << >> endobj\n%%EOF\n"


def add_document(journey, step, name: str = "plan.pdf"):
    """A PDF the applicant attached to `step`, stored as the portal stores uploads."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from journeys import services

    return services.document_add(
        journey=journey,
        by=journey.applicant,
        upload=SimpleUploadedFile(name, PDF),
        steps=[step],
        now=timezone.now(),
    )


@dataclass
class TwoUnits:
    """A submitted journey whose steps `own` and `other` are in two units' queues, each with a
    document attached; `caller` is `own`'s unit's system."""

    journey: object
    own: object
    other: object
    own_document: object
    other_document: object
    caller: Caller


@pytest.fixture
def two_units(db, api_caller) -> TwoUnits:
    from journeys.models import Step
    from tests.factories import submitted_journey
    from tests.journey_types import journey_type
    from units.models import Unit

    journey = submitted_journey(journey_type(parallel=2, chain=0))
    own = journey.steps.get(step_type__key="parallel-1")
    other = journey.steps.get(step_type__key="parallel-2")
    assert own.status == other.status == Step.Status.QUEUED
    return TwoUnits(
        journey=journey,
        own=own,
        other=other,
        own_document=add_document(journey, own, "own-plan.pdf"),
        other_document=add_document(journey, other, "other-plan.pdf"),
        caller=api_caller(Unit.objects.get(pk=own.unit_id)),
    )
