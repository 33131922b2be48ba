"""The insight figures, computed by the database, agree with a brute-force computation in
Python on randomly generated journeys."""

import datetime as dt
import io
import random
import statistics

import pytest
from django.urls import reverse
from django.utils import timezone

from coordination.insight import Period, handoff_figures, insight
from journeys import services
from journeys.models import Handoff, Journey, JourneyType, Step
from tests.factories import (
    decide,
    make_caseworker,
    make_coordinator,
    make_user,
    submitted_journey,
)
from tests.html import parse
from tests.journey_types import journey_type, make_test_units

KEYS = ["parallel-2", "parallel-1", "chain-1"]


def p90(values):
    return (
        statistics.quantiles(values, n=10, method="inclusive")[8] if len(values) > 1 else values[0]
    )


@pytest.fixture
def random_history(db):
    """Sixty journeys with random lead times, deadlines, pauses and handoff latencies."""
    rng = random.Random(20261129)
    applicant = make_user()
    base = timezone.now() - dt.timedelta(days=200)
    trail = journey_type(parallel=2, chain=1)  # parallel-1 -> chain-1, and parallel-2
    step_types = {s.key: s for s in trail.steps.filter(key__in=KEYS)}
    steps, handoffs = [], []
    for number in range(60):
        submitted = base + dt.timedelta(hours=rng.randint(0, 2000))
        closed = submitted + dt.timedelta(hours=rng.randint(24, 3000))
        journey = Journey.objects.create(
            journey_type=trail,
            applicant=applicant,
            reference=f"RND-{number}",
            status=rng.choice([Journey.Status.COMPLETED, Journey.Status.REJECTED]),
            created_at=submitted,
            submitted_at=submitted,
            closed_at=closed,
            last_event_at=closed,
        )
        for key, step_type in step_types.items():
            activated = submitted + dt.timedelta(minutes=rng.randint(0, 5000))
            decided = activated + dt.timedelta(minutes=rng.randint(30, 90_000))
            due = rng.choice([None, activated + dt.timedelta(days=rng.randint(1, 60))])
            step = Step(
                journey=journey,
                step_type=step_type,
                unit_id=step_type.unit_id,
                status=rng.choice([Step.Status.APPROVED, Step.Status.REJECTED]),
                activated_at=activated,
                decided_at=decided,
                due_at=due,
                paused_days=rng.randint(0, 3),
            )
            steps.append(step)
            handoffs.append((step, activated - dt.timedelta(seconds=rng.uniform(0.05, 30)), key))
    Step.objects.bulk_create(steps)
    Handoff.objects.bulk_create(
        Handoff(step=s, unit_id=s.unit_id, created_at=created, delivered_at=s.activated_at)
        for s, created, _ in handoffs
    )
    return trail, steps, Journey.objects.filter(reference__startswith="RND-")


def test_the_database_figures_match_a_brute_force_computation(random_history):
    trail, steps, journeys = random_history
    period = Period(
        journey_type=trail,
        start=(timezone.now() - dt.timedelta(days=400)).date(),
        end=(timezone.now() + dt.timedelta(days=400)).date(),
    )
    figures = insight(period)

    by_key = {row["key"]: row for row in figures["steps"]}
    for key in KEYS:
        mine = [s for s in steps if s.step_type.key == key]
        leads = [(s.decided_at - s.activated_at).total_seconds() / 86400 for s in mine]
        row = by_key[key]
        assert row["decided"] == len(mine)
        assert row["median_days"] == pytest.approx(statistics.median(leads), abs=0.006)
        assert row["p90_days"] == pytest.approx(p90(leads), abs=0.006)
        with_deadline = [s for s in mine if s.due_at]
        within = [s for s in with_deadline if s.decided_at <= s.due_at]
        assert row["within_deadline"] == pytest.approx(
            100 * len(within) / len(with_deadline), abs=0.05
        )
        assert row["applicant_days"] == sum(s.paused_days for s in mine)

    latencies = {row["key"]: row for row in figures["handoffs"]}
    for key in KEYS:
        handoffs = Handoff.objects.filter(step__step_type__key=key).select_related("step")
        values = [(h.delivered_at - h.created_at).total_seconds() for h in handoffs]
        assert latencies[key]["median_seconds"] == pytest.approx(
            statistics.median(values), abs=0.002
        )
        assert latencies[key]["p90_seconds"] == pytest.approx(p90(values), abs=0.002)

    leads = [(j.closed_at - j.submitted_at).total_seconds() / 86400 for j in journeys]
    assert figures["journeys"]["closed"] == len(leads)
    assert figures["journeys"]["median_days"] == pytest.approx(statistics.median(leads), abs=0.006)
    assert figures["journeys"]["p90_days"] == pytest.approx(p90(leads), abs=0.006)

    held = {}
    for s in steps:
        held.setdefault(s.unit_id, 0.0)
        held[s.unit_id] += (s.decided_at - s.activated_at).total_seconds() - s.paused_days * 86400
    applicant = sum(s.paused_days for s in steps) * 86400
    total = sum(max(v, 0) for v in held.values()) + applicant
    carriers = figures["carriers"]
    assert carriers["applicant_share"] == pytest.approx(100 * applicant / total, abs=0.05)
    assert sum(u["share"] for u in carriers["units"]) + carriers[
        "applicant_share"
    ] == pytest.approx(100, abs=0.2)
    assert sum(u["decided"] for u in carriers["units"]) == len(steps)

    # The longest chain by median lead time among the type's dependencies.
    path = [step["key"] for step in figures["critical_path"]]
    chain = by_key["parallel-1"]["median_days"] + by_key["chain-1"]["median_days"]
    if chain > by_key["parallel-2"]["median_days"]:
        assert path[:2] == ["parallel-1", "chain-1"]


def test_the_insight_page_shows_tables_charts_and_exports_csv(client, random_history):
    client.force_login(make_coordinator())
    url = reverse("coordination:insight")
    first = JourneyType.objects.filter(is_current=True).order_by("name").first()
    assert first.name in client.get(url).content.decode()  # the first service by name
    url += "?journey_type=permit-trail"
    html = client.get(url).content.decode()
    assert "Lead time per step" in html and "Who carries the journey" in html
    assert len(parse(html).find_all("svg", "portal-gantt__bar")) == len(KEYS)  # a bar per step
    csv = client.get(url + "&format=csv")
    assert csv["Content-Type"].startswith("text/csv")
    assert "Parallel step 1" in csv.content.decode()
    bad = client.get(url + "&start=2026-12-31&end=2026-01-01")
    assert bad.status_code == 422
    assert "Enter an end date on or after the start date" in bad.content.decode()


def test_the_page_shows_cached_figures_until_the_refresh_recomputes_them(client, random_history):
    from django.core.management import call_command

    trail, _, journeys = random_history
    client.force_login(make_coordinator())
    url = reverse("coordination:insight") + "?journey_type=permit-trail"
    closed = insight(Period.default(trail, timezone.localdate()))["journeys"]["closed"]
    assert f"{closed} (" in client.get(url).content.decode()
    assert "Figures as of" in client.get(url).content.decode()

    Journey.objects.filter(pk=journeys.first().pk).update(closed_at=None, status="in_progress")
    assert f"{closed} (" in client.get(url).content.decode()  # still the cached figures
    call_command("insight_refresh", stdout=io.StringIO())
    assert f"{closed - 1} (" in client.get(url).content.decode()


def test_handoff_latency_is_each_handoffs_own_delivery_time_and_leaves_superseded_ones_out(db):
    """A reopening, a send-back or a transfer supersedes a step's handoff and hands it off anew;
    the step's activation time then belongs to no single handoff (a recalled step is activated
    again, a transferred one keeps its first). Each handoff counts from its writing to its own
    delivery, and a superseded one not at all."""
    start = timezone.now() - dt.timedelta(days=10)

    def at(seconds: float) -> dt.datetime:
        return start + dt.timedelta(seconds=seconds)

    def deliver(now: dt.datetime) -> None:
        for pk in Handoff.objects.undelivered().values_list("pk", flat=True):
            services.handoff_deliver(handoff_id=pk, now=now)

    trail = journey_type(parallel=2, chain=1)
    journey = submitted_journey(trail, now=at(0), deliver=False)
    deliver(at(1))  # parallel-1 and parallel-2: 1 s
    first = journey.steps.get(step_type__key="parallel-1")
    worker = make_caseworker(first.unit)
    decide(first, by=worker, now=at(100))
    deliver(at(102))  # chain-1: 2 s, then superseded by the reopening
    services.step_reopen(step=first, by=worker, reason="Recheck.", now=at(200))
    deliver(at(201))  # the recall
    services.step_decide(step=first, by=worker, outcome="approve", reasons="Ok.", now=at(300))
    deliver(at(304))  # chain-1 again: 4 s
    moved = journey.steps.get(step_type__key="parallel-2")
    services.step_transfer(
        step=moved,
        to=make_test_units("office-right")["office-right"],
        by=make_caseworker(moved.unit),
        reason="Not ours.",
        now=at(400),
    )
    deliver(at(407))  # parallel-2 in its new unit: 7 s; its first handoff is superseded

    assert Handoff.objects.filter(superseded_at__isnull=False).count() == 2
    period = Period(
        journey_type=trail, start=start.date() - dt.timedelta(days=1), end=timezone.localdate()
    )
    figures = {row["key"]: row for row in handoff_figures(period)}
    assert {key: (row["handoffs"], row["median_seconds"]) for key, row in figures.items()} == {
        "parallel-1": (1, 1.0),
        "parallel-2": (1, 7.0),
        "chain-1": (1, 4.0),
    }
