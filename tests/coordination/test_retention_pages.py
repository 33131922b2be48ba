"""The coordinator's retention pages: a journey's rules, what is kept until when, what was
disposed of, and its legal hold (set and lifted with a reason); the disposal register with
the dry run; each in Swedish too, for coordinators alone, in a constant number of queries."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from journeys.models import JourneyEvent
from journeys.templatetags.times import day
from records.disposal import disposal_sweep, legal_hold_set
from records.models import AccessLogEntry, LegalHold
from tests.factories import make_caseworker, make_coordinator
from tests.html import texts
from tests.records.disposal_world import full_journey, kinds, trail_with_rules

NOW = timezone.now()
REGISTER = reverse("coordination:disposals")


@pytest.fixture
def trail(db):
    return trail_with_rules()


@pytest.fixture
def closed(trail):
    """Closed 400 days ago: its photo and the unit's document are due, the rest is not."""
    return full_journey(trail, now=NOW - dt.timedelta(days=400))


@pytest.fixture
def coordinator(client, db):
    user = make_coordinator()
    client.force_login(user)
    return user


def page_of(journey) -> str:
    return reverse("coordination:retention", args=[journey.public_id])


def rows(response) -> list[str]:
    assert response.status_code == 200, response.content[:500]
    return texts(response.content, "tr", "govuk-table__row")


def test_the_page_lists_the_rules_and_what_is_kept_until_when(client, closed, coordinator):
    response = client.get(page_of(closed))
    html = response.content.decode()
    assert "Disposal decision: Test disposal decision 2026:9." in html
    assert "Kept for 3 years after the application was closed" in html
    found = rows(response)
    due_again = closed.closed_at.replace(year=closed.closed_at.year + 3)
    case = next(row for row in found if row.startswith("The answers"))
    assert day(due_again) in case
    plan = next(row for row in found if row.startswith("Site plan"))
    assert "Kept for ever (archived)" in plan and "Never: kept for ever" in plan
    photo = next(row for row in found if row.startswith("Photo of the site"))
    assert "Due now" in photo
    # Document names (the applicant's data) are not shown: kinds and numbers are.
    assert "photo.png" not in html and "site-plan.pdf" not in html
    assert AccessLogEntry.objects.filter(journey_id=closed.pk, user=coordinator).exists()


def test_what_was_disposed_of_is_listed_and_the_access_log_still_finds_the_journey(
    client, closed, coordinator, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        disposal_sweep(now=NOW.replace(year=NOW.year + 4))
    response = client.get(page_of(closed))
    html = response.content.decode()
    assert "The case's personal data was disposed of on" in html
    disposed = texts(response.content, "tr", "govuk-table__row")
    assert any(
        "Photo of the site" in row and "Its retention rule fell due" in row for row in disposed
    )
    assert any("The answers" in row and "fell due" in row for row in disposed)
    # The skeleton keeps the journey's page and the access log's search working.
    assert client.get(reverse("coordination:journey", args=[closed.public_id])).status_code == 200
    log = client.get(reverse("coordination:access_log"), {"journey": closed.reference})
    assert len(rows(log)) >= 3  # the header, and this page's reads of the skeleton


def test_a_hold_is_set_and_lifted_with_a_reason_and_logged(client, closed, coordinator):
    hold_url = reverse("coordination:legal_hold", args=[closed.public_id])
    refused = client.post(hold_url, {"reason": ""})
    assert refused.status_code == 422
    assert "There is a problem" in refused.content.decode()
    assert "Enter why the records must be held" in refused.content.decode()
    assert not LegalHold.objects.exists()

    response = client.post(hold_url, {"reason": "Appeal to the administrative court"})
    assert response.status_code == 302 and response.url == page_of(closed)
    hold = LegalHold.objects.active().get(journey=closed)
    assert (hold.set_by, hold.reason) == (coordinator, "Appeal to the administrative court")
    html = client.get(page_of(closed)).content.decode()
    assert "Held since" in html and "Appeal to the administrative court" in html
    assert "Not while the legal hold is in force" in html
    assert "Due now" not in html

    assert client.post(hold_url, {"reason": ""}).status_code == 422
    assert "Enter why the hold is lifted" in client.post(hold_url, {}).content.decode()
    client.post(hold_url, {"reason": "Judgment final"})
    hold.refresh_from_db()
    assert (hold.lifted_by, hold.lift_reason) == (coordinator, "Judgment final")
    events = closed.events.filter(kind__startswith="legal_hold").order_by("pk")
    assert [(e.kind, e.message, e.visible_to_applicant) for e in events] == [
        (JourneyEvent.Kind.LEGAL_HOLD_SET, "Appeal to the administrative court", False),
        (JourneyEvent.Kind.LEGAL_HOLD_LIFTED, "Judgment final", False),
    ]
    assert "Earlier holds" in client.get(page_of(closed)).content.decode()


def test_the_register_lists_the_dry_run_the_holds_and_what_was_disposed_of(
    client, trail, closed, coordinator, django_capture_on_commit_callbacks
):
    held = full_journey(trail, now=NOW - dt.timedelta(days=400))
    legal_hold_set(journey=held, by=coordinator, reason="Inquiry by IMY", now=NOW)
    response = client.get(REGISTER)
    html = response.content.decode()
    assert "2 things are due" in html
    due = [row for row in rows(response) if closed.reference in row]
    assert len(due) == 2 and not any(held.reference in row for row in rows(response))
    dry_run = disposal_sweep(now=timezone.now(), dry_run=True)
    assert {(item.journey.reference, item.document.registration_number) for item in dry_run} == {
        (closed.reference, kinds(closed)[kind].registration_number)
        for kind in ("site_photo", "from_units")
    }
    assert "Inquiry by IMY" in html and held.reference in html
    with django_capture_on_commit_callbacks(execute=True):
        disposal_sweep(now=timezone.now())
    after = client.get(REGISTER)
    assert "Nothing is due." in after.content.decode()
    assert sum("Its retention rule fell due" in row for row in rows(after)) == 2


def test_the_pages_speak_swedish(client, closed, coordinator):
    headers = {"Accept-Language": "sv"}
    html = client.get(page_of(closed), headers=headers).content.decode()
    assert "Bevarande och gallringsstopp" in html
    assert "Gallringsbeslut: Testgallringsbeslut 2026:9." in html
    assert "Bevaras i 3 år efter att ansökan avslutades" in html
    assert "Gallringsregister" in client.get(REGISTER, headers=headers).content.decode()
    refused = client.post(
        reverse("coordination:legal_hold", args=[closed.public_id]), {}, headers=headers
    )
    assert "Det finns ett problem" in refused.content.decode()


@pytest.mark.parametrize("who", ["caseworker", "applicant"])
def test_nobody_but_coordinators_finds_the_pages(client, closed, who):
    user = closed.applicant if who == "applicant" else make_caseworker(closed.steps.first().unit)
    client.force_login(user)
    assert client.get(page_of(closed)).status_code == 404
    assert client.get(REGISTER).status_code == 404
    hold = client.post(reverse("coordination:legal_hold", args=[closed.public_id]), {"reason": "x"})
    assert hold.status_code == 404
    assert not LegalHold.objects.exists()


def test_the_pages_cost_as_many_queries_for_many_journeys_as_for_one(
    client, trail, closed, coordinator, django_capture_on_commit_callbacks
):
    urls = [page_of(closed), REGISTER]
    with django_capture_on_commit_callbacks(execute=True):
        disposal_sweep(now=NOW)  # something disposed of, something still to go
    client.get(REGISTER)  # the first request of a staff session stamps it

    def count(url) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    before = {url: count(url) for url in urls}
    more = [full_journey(trail, now=NOW - dt.timedelta(days=400)) for _ in range(3)]
    legal_hold_set(journey=more[0], by=coordinator, reason="Appeal", now=NOW)
    with django_capture_on_commit_callbacks(execute=True):
        disposal_sweep(now=NOW.replace(year=NOW.year + 4))
    more.append(full_journey(trail, now=NOW - dt.timedelta(days=400)))  # due again
    client.get(REGISTER)  # growing made users, which made cached roles stale: read them again
    for url in urls:
        assert count(url) == before[url], url
