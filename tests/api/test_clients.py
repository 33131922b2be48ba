"""A unit's system gets a short-lived token by client credentials and sees its unit's steps only;
a revoked client's tokens stop working at once."""

from django.core.management import call_command
from django.utils import timezone
from oauth2_provider.models import Application

from api.clients import api_client_revoke
from tests.api.conftest import token_for
from tests.factories import submitted_journey
from tests.journey_types import journey_type, unit_for
from units.models import Unit


def test_the_command_prints_the_secret_once_and_stores_only_its_hash(db, capsys, client):
    journey_type(parallel=1)
    call_command("api_client_create", "--unit", unit_for("parallel-1"))
    printed = dict(line.split("=", 1) for line in capsys.readouterr().out.split())
    application = Application.objects.get(client_id=printed["client_id"])
    assert printed["client_secret"] not in application.client_secret
    response = token_for(client, printed["client_id"], printed["client_secret"])
    assert response.status_code == 200
    assert 0 < response.json()["expires_in"] <= 600


def test_a_wrong_secret_gets_no_token(db, api_caller, client):
    journey_type(parallel=1)
    caller = api_caller(Unit.objects.get(slug=unit_for("parallel-1")))
    response = token_for(client, caller.client.application.client_id, "not-the-secret")
    assert response.status_code == 401


def test_a_unit_system_sees_its_units_steps_and_nothing_else(db, api_caller):
    kind = journey_type(parallel=2)
    journey = submitted_journey(kind)
    own = Unit.objects.get(slug=unit_for("parallel-1"))
    caller = api_caller(own)

    listed = caller.get("/api/v1/steps/").json()["results"]
    assert [s["key"] for s in listed] == ["parallel-1"]
    other = journey.steps.get(step_type__key="parallel-2")
    response = caller.get(f"/api/v1/steps/{other.pk}/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 404


def test_a_revoked_clients_token_stops_working_and_it_gets_no_new_one(db, api_caller, client):
    journey_type(parallel=1)
    caller = api_caller(Unit.objects.get(slug=unit_for("parallel-1")))
    assert caller.get("/api/v1/steps/").status_code == 200

    api_client_revoke(client=caller.client, now=timezone.now())

    assert caller.get("/api/v1/steps/").status_code == 401
    response = token_for(client, caller.client.application.client_id, caller.secret)
    assert response.status_code in (400, 401)


def test_a_coordination_client_reads_every_step_and_changes_none(db, api_caller):
    kind = journey_type(parallel=2)
    journey = submitted_journey(kind)
    caller = api_caller()
    listed = caller.get(f"/api/v1/steps/?journey={journey.public_id}").json()["results"]
    assert sorted(s["key"] for s in listed) == sorted(
        journey.steps.values_list("step_type__key", flat=True)
    )
    step = journey.steps.first()
    response = caller.post(f"/api/v1/steps/{step.pk}/take/")
    assert response.status_code == 403
    assert response.json()["type"] == "urn:portal:problem:forbidden"


def test_an_oversized_body_is_a_413_problem_before_it_is_read(db, api_caller, settings):
    settings.MAX_REQUEST_BYTES = 1000
    journey_type(parallel=1)
    caller = api_caller(Unit.objects.get(slug=unit_for("parallel-1")))
    response = caller.post("/api/v1/steps/1/decision/", {"reasons": "x" * 2000})
    assert response.status_code == 413
    assert response.json()["type"] == "urn:portal:problem:request-too-large"


def test_an_unknown_api_address_is_a_404_problem(client, db):
    response = client.get("/api/v1/nothing-here/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


def test_a_post_to_an_unknown_api_address_is_a_404_problem_not_a_csrf_page(client, db):
    response = client.post("/api/v1/nothing-here/", data={}, content_type="application/json")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


def test_tokens_are_stored_hashed_and_never_read_from_the_url(db, api_caller):
    from oauth2_provider.models import AccessToken

    journey_type(parallel=1)
    caller = api_caller(Unit.objects.get(slug=unit_for("parallel-1")))
    assert not AccessToken.objects.filter(token=caller.token).exists()
    assert AccessToken.objects.filter(application=caller.client.application).exists()
    assert caller.get("/api/v1/steps/").status_code == 200
    in_url = caller.http.get(f"/api/v1/steps/?access_token={caller.token}")
    assert in_url.status_code == 401
