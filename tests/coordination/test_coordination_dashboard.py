"""The coordinator sees failed handoffs, overdue and stalled journeys first, and who holds them."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from journeys.models import Handoff, Step
from tests.factories import bulk_queued_steps, make_coordinator, submitted_journey
from tests.html import parse
from tests.journey_types import journey_type


@pytest.fixture
def trail(db):
    """parallel-1 -> chain-1 -> chain-2, and parallel-2: two units at submission."""
    return journey_type(parallel=2, chain=2, deadline_days=70)


@pytest.fixture
def coordinator_client(client, db):
    client.force_login(make_coordinator())
    return client


def rows(client) -> list[str]:
    html = client.get(reverse("coordination:dashboard")).content.decode()
    return [" | ".join(cells) for cells in parse(html).find("table").rows()]


def test_stuck_journeys_come_first_each_flagged_with_the_unit_holding_it(
    coordinator_client, trail, settings
):
    now = timezone.now()
    healthy = submitted_journey(trail, now=now - dt.timedelta(hours=1))
    stalled = submitted_journey(trail, now=now - dt.timedelta(days=settings.STALLED_AFTER_DAYS + 1))
    overdue = submitted_journey(trail, now=now - dt.timedelta(days=40))
    overdue.steps.filter(step_type__key="parallel-1").update(due_at=now - dt.timedelta(days=1))
    Step.objects.filter(journey=overdue).update()  # keep the rest as delivered
    failed = submitted_journey(trail, now=now - dt.timedelta(hours=2), deliver=False)

    table = rows(coordinator_client)
    order = [
        next(i for i, row in enumerate(table) if j.reference in row)
        for j in (failed, overdue, stalled, healthy)
    ]
    assert order == sorted(order)
    assert "Handoff failed" in table[order[0]]
    assert "Overdue" in table[order[1]]
    assert "Stalled" in table[order[2]]
    healthy_row = table[order[3]]
    assert "Stalled" not in healthy_row and "Overdue" not in healthy_row
    assert "Office parallel 1" in healthy_row or "Office parallel 2" in healthy_row
    assert "1\xa0hour" in healthy_row


def test_the_coordinator_opens_any_journey_with_its_steps_and_timeline(coordinator_client, trail):
    journey = submitted_journey(trail)
    html = coordinator_client.get(
        reverse("coordination:journey", args=[journey.public_id])
    ).content.decode()
    assert journey.reference in html
    assert "Chained step 2" in html  # a step that has not started
    assert "Application submitted" in html


def test_the_list_pages_through_every_open_journey_once_failed_handoffs_first(
    coordinator_client, trail
):
    failed = submitted_journey(trail, deliver=False)
    Handoff.objects.filter(step__journey=failed).update(
        created_at=timezone.now() - dt.timedelta(hours=1)  # past the grace period: failed
    )
    bulk_queued_steps(trail.steps.get(key="parallel-1"), 30)
    seen = []
    for page in (1, 2):
        url = reverse("coordination:dashboard") + f"?page={page}"
        html = coordinator_client.get(url).content.decode()
        seen += [
            link.text
            for link in parse(html).find_all("a")
            if link.attrs["href"].startswith("/coordination/journeys/")
        ]
    assert seen[0] == failed.reference
    assert len(seen) == len(set(seen)) == 31
