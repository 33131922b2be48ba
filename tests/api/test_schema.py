"""The committed OpenAPI document is the one the code generates, and it is served."""

from pathlib import Path

from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[2]


def test_docs_openapi_yaml_is_up_to_date(tmp_path, db):
    generated = tmp_path / "openapi.yaml"
    call_command("spectacular", "--file", str(generated), "--validate", "--fail-on-warn")
    committed = (ROOT / "docs" / "openapi.yaml").read_text()
    assert generated.read_text() == committed, "docs/openapi.yaml is stale: run `make openapi`"


def test_the_schema_is_served_without_a_token(client, db):
    response = client.get("/api/v1/schema/", headers={"Accept": "application/vnd.oai.openapi+json"})
    assert response.status_code == 200
    assert response.json()["openapi"].startswith("3.1")
    assert "/api/v1/steps/{id}/decision/" in response.json()["paths"]


def test_the_docs_page_loads_its_viewer_from_the_portal_under_the_csp(client, db):
    response = client.get("/api/v1/docs/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "/static/swagger-ui/swagger-ui-bundle.js" in page
    assert "/static/js/api-docs.js" in page
    assert 'data-schema-url="/api/v1/schema/"' in page
    assert "<script>" not in page and "<style" not in page and "http" not in page.split("<main>")[0]
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
