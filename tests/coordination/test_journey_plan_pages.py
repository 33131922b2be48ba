"""The coordinator's side of the journey plan: naming the contact (a form, CSRF, the journal),
"my journeys", journeys at risk of missing their service norm, the critical path, and the
bottleneck heat map."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from coordination.bottlenecks import bottleneck_map
from journeys import services
from journeys.models import JourneyEvent
from tests.factories import (
    decide,
    deliver_all,
    make_caseworker,
    make_coordinator,
    submitted_journey,
)
from tests.html import parse
from tests.journey_types import journey_type


@pytest.fixture
def trail(db):
    return journey_type(parallel=2, chain=1, join=True, deadline_days=10, service_norm_days=60)


@pytest.fixture
def coordinator(client, db):
    user = make_coordinator("coordinator")
    client.force_login(user)
    return user


def test_a_coordinator_names_the_journeys_contact(client, coordinator, trail):
    journey = submitted_journey(trail)
    assert journey.contact == coordinator  # the only coordinator: the default
    lead = make_caseworker(journey.steps.first().unit, lead=True)
    url = reverse("coordination:contact", args=[journey.public_id])
    response = client.post(url, {"contact": lead.pk})
    assert response.status_code == 302
    journey.refresh_from_db()
    assert journey.contact == lead
    assert journey.events.filter(kind=JourneyEvent.Kind.CONTACT_ASSIGNED, actor=coordinator)


def test_only_a_lead_or_a_coordinator_can_be_named(client, coordinator, trail):
    journey = submitted_journey(trail)
    caseworker = make_caseworker(journey.steps.first().unit)
    url = reverse("coordination:contact", args=[journey.public_id])
    response = client.post(url, {"contact": caseworker.pk})
    assert response.status_code == 422
    assert "Select a unit lead or a coordinator" in response.content.decode()
    journey.refresh_from_db()
    assert journey.contact == coordinator


def test_naming_the_contact_needs_the_csrf_token(coordinator, trail):
    journey = submitted_journey(trail)
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(coordinator)
    url = reverse("coordination:contact", args=[journey.public_id])
    assert strict.post(url, {"contact": coordinator.pk}).status_code == 403


def test_my_journeys_lists_those_the_coordinator_is_contact_for(client, coordinator, trail):
    mine = submitted_journey(trail)
    other = make_coordinator()
    theirs = submitted_journey(trail)
    services.journey_contact_assign(
        journey=theirs, contact=other, by=coordinator, now=timezone.now()
    )
    html = client.get(reverse("coordination:dashboard") + "?view=mine").content.decode()
    assert mine.reference in html and theirs.reference not in html


def test_the_dashboard_flags_a_journey_projected_past_its_norm_before_it_is_late(
    client, coordinator
):
    # Three steps of 10 days in a row: 30 days, within the 40-day norm at submission.
    trail = journey_type(
        parallel=2, chain=1, join=True, deadline_days=10, service_norm_days=40, slug="norm-trail"
    )
    on_time = submitted_journey(trail)
    # Sent 12 days ago; the first step has waited for the applicant ever since: its date moves
    # on by the pause, and the steps after it, to 42 days: at risk, 28 days before the norm.
    then = timezone.now() - dt.timedelta(days=12)
    paused = submitted_journey(trail, now=then)
    decide(paused.steps.get(step_type__key="parallel-2"), now=then)
    step = paused.steps.get(step_type__key="parallel-1")
    caseworker = make_caseworker(step.unit)
    step = services.step_claim(step=step, by=caseworker, now=then)
    services.information_request_create(
        step=step, by=caseworker, items=["A plan"], due_date=then.date(), now=then
    )
    page = parse(client.get(reverse("coordination:dashboard")).content)
    rows = {cells[0]: " ".join(cells) for cells in page.find("table").rows()}
    assert "At risk" in rows[paused.reference]
    assert "At risk" not in rows[on_time.reference]
    assert "Expected by" in rows[on_time.reference]


def test_the_journey_page_shows_the_projected_completion_and_critical_path(
    client, coordinator, trail
):
    journey = submitted_journey(trail)
    decide(journey.steps.get(step_type__key="parallel-2"))
    deliver_all()
    page = parse(client.get(reverse("coordination:journey", args=[journey.public_id])).content)
    path = [li.text for li in page.find("ol", **{"data-testid": "critical-path"}).find_all("li")]
    assert [item.split(" – ")[0] for item in path] == [
        "Parallel step 1",
        "Chained step 1",
        "Joining step",
    ]
    assert "Expected to be complete by" in page.text


def test_the_bottleneck_map_aggregates_queue_time_and_overdue_share_per_unit_and_week(
    client, coordinator, trail
):
    now = timezone.now()
    week_ago = now - dt.timedelta(days=14)
    slow = submitted_journey(trail, now=week_ago)  # two steps queued, due after 10 days
    step = slow.steps.get(step_type__key="parallel-1")
    decide(step, now=week_ago + dt.timedelta(days=4))  # waited 4 days, decided on time
    submitted_journey(trail, now=now)
    heat = bottleneck_map(today=timezone.localdate(now), now=now)
    by_unit = {row.unit.slug: row for row in heat.rows}
    cells = [c for c in by_unit["office-parallel-1"].cells if c.received]
    assert [(c.received, c.median_days, c.overdue_share) for c in cells] == [
        (1, 4.0, 0),
        (1, 0.0, 0),
    ]
    # parallel-2 of the older journey is still in the queue, past its due date: 100 % overdue.
    older = next(c for c in by_unit["office-parallel-2"].cells if c.received)
    assert older.overdue_share == 100 and older.median_days == 14.0
    html = client.get(reverse("coordination:bottlenecks")).content.decode()
    assert "<svg" in html and "100% overdue" in html


def test_journey_and_bottleneck_pages_run_constant_queries(
    client, coordinator, trail, django_assert_max_num_queries
):
    from tests.test_query_counts import assert_constant

    journey = submitted_journey(trail)
    urls = [
        reverse("coordination:journey", args=[journey.public_id]),
        reverse("coordination:bottlenecks"),
        reverse("coordination:dashboard") + "?view=mine",
    ]

    def grow():
        for _ in range(5):
            decide(submitted_journey(trail).steps.get(step_type__key="parallel-1"))
        for step in journey.steps.filter(step_type__key__startswith="parallel"):
            decide(step)
        deliver_all()

    client.get(urls[1])  # the heat map's figures come from the cache (as the insight's do)
    assert_constant(client, urls, grow, django_assert_max_num_queries)
