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
