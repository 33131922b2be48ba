"""The tracking page's refresh (htmx polling) sends the validator the page came with; the server
answers 304 while nothing changed and htmx leaves the page as it is; a decision shows up at the
next refresh. A reload of the page is revalidated by the browser itself (Cache-Control)."""

import json
import re
from unittest import mock

from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from journeys.models import Step
from portal.conditional import PageValidator
from tests.browser.conftest import sign_in
from tests.factories import decide, submitted_journey
from tests.journey_types import journey_type


def sends(headers: str) -> str:
    """The validator the refresh's `data-hx-headers` has htmx send."""
    return json.loads(headers)["If-None-Match"]


def _refresh(response) -> bool:
    return response.request.headers.get("hx-request") == "true"


def test_the_refresh_is_answered_304_until_a_decision_which_it_then_shows(
    page, settings, transactional_db
):
    settings.TRACKING_REFRESH_SECONDS = 1
    journey = submitted_journey(journey_type(parallel=2, chain=1), now=timezone.now())
    sign_in(page, journey.applicant.username)
    track = reverse("citizens:application_track", args=[journey.public_id])
    page.goto(track)
    progress = page.locator("#progress")
    validator = progress.get_attribute("data-hx-headers")
    page.evaluate("document.getElementById('progress').dataset.drawn = 'first'")

    for _ in range(2):  # two refreshes in a row: nothing changed
        with page.expect_response(_refresh) as answered:
            pass
        response = answered.value
        assert response.request.all_headers()["if-none-match"] == sends(validator)
        assert response.status == 304
    # htmx swapped nothing: the element drawn first is still there, as it was.
    assert page.evaluate("document.getElementById('progress').dataset.drawn") == "first"
    expect(progress.get_by_role("row", name=re.compile("^Parallel step 1"))).to_contain_text(
        "Received"
    )

    step = journey.steps.get(step_type__key="parallel-1")
    decide(step)
    assert Step.objects.get(pk=step.pk).status == Step.Status.APPROVED
    with page.expect_response(lambda r: _refresh(r) and r.status == 200) as answered:
        pass
    expect(progress.get_by_role("row", name=re.compile("^Parallel step 1"))).to_contain_text(
        "Approved"
    )
    assert page.evaluate("document.getElementById('progress').dataset.drawn") is None  # swapped
    new_validator = progress.get_attribute("data-hx-headers")
    assert new_validator != validator
    with page.expect_response(_refresh) as answered:
        pass
    assert answered.value.status == 304
    assert answered.value.request.all_headers()["if-none-match"] == sends(new_validator)


def test_a_reload_of_an_unchanged_tracking_page_is_revalidated(page, transactional_db):
    journey = submitted_journey(journey_type(parallel=1, chain=0), now=timezone.now())
    sign_in(page, journey.applicant.username)
    track = reverse("citizens:application_track", args=[journey.public_id])
    first = page.goto(track)
    assert first.status == 200
    reloads, answers = [], []
    page.on("response", lambda r: reloads.append(r) if r.request.is_navigation_request() else None)
    original = PageValidator.not_modified

    def recorded(validator, **kwargs):
        answers.append(original(validator, **kwargs))
        return answers[-1]

    with mock.patch.object(PageValidator, "not_modified", recorded):
        page.reload()
        expect(page.get_by_role("heading", level=1)).to_contain_text(journey.reference)
    (reload,) = reloads
    assert reload.request.all_headers()["if-none-match"] == first.headers["etag"]
    # The server answered 304 (the browser shows its copy; Playwright reports it as 200).
    assert [answer.status_code for answer in answers] == [304]
