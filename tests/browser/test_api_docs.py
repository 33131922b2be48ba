"""The API's documentation page renders every operation of the live schema in the browser,
from the portal's own files (no CDN) and within the Content Security Policy (the `page`
fixture fails on anything the policy blocked).

Not run through axe or the Nu checker: Swagger UI is a third-party viewer whose markup we do
not write; the page's own markup (heading, lede, noscript) is plain."""

from drf_spectacular.generators import SchemaGenerator
from playwright.sync_api import expect


def test_the_api_docs_page_shows_every_operation(page, live_server, db):
    schema = SchemaGenerator().get_schema(request=None, public=True)
    operations = [
        (method.upper(), path)
        for path, methods in schema["paths"].items()
        for method in methods
        if method in ("get", "post", "put", "patch", "delete")
    ]
    outside = []
    page.on(
        "request",
        lambda request: (
            outside.append(request.url)
            if not request.url.startswith((live_server.url, "data:"))
            else None
        ),
    )
    page.goto("/api/v1/docs/")
    expect(page.get_by_role("heading", name="API reference", exact=True)).to_be_visible()
    expect(page.locator(".opblock")).to_have_count(len(operations), timeout=30_000)
    for method, path in operations:
        block = page.locator(f".opblock-{method.lower()}", has_text=path)
        expect(block.first).to_be_visible()
    assert outside == []
