"""CPU time of the tracking page's projection (journeys.projections) for a 20-step journey.

The projection is pure, so it runs here on Step rows built in memory (no database): four
branches of five steps, the later ones joining the earlier, with working-day deadlines in the
Swedish calendar across Christmas; six steps decided, three with their units (one waiting for
the applicant), eleven waiting. Each round projects the journey and words each step's reason
for a moved date, as the page does. Prints JSON: rounds, and the median and 95th percentile
of CPU milliseconds per round (target: under 2 ms).

    DEBUG=1 SECRET_KEY=x .venv/bin/python bench/projection.py"""

import datetime as dt
import json
import os
import statistics
import sys
import time
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
django.setup()

from django.utils import timezone  # noqa: E402

from journeys.models import JourneyType, Step, StepType  # noqa: E402
from journeys.projections import journey_project  # noqa: E402
from journeys.selectors import moved_reason  # noqa: E402
from units.models import Unit  # noqa: E402

ROUNDS = 2000
BRANCHES, LENGTH = 4, 5


def journey(now: dt.datetime) -> tuple[list[Step], dict[int, frozenset[int]]]:
    units = [Unit(pk=n, slug=f"unit-{n}", name=f"Unit {n}", country="SE") for n in range(4)]
    journey_type = JourneyType(pk=1, slug="bench", name="Bench")
    steps, dependencies = [], {}
    submitted = now - dt.timedelta(days=20)
    for branch in range(BRANCHES):
        for position in range(LENGTH):
            pk = branch * LENGTH + position + 1
            step_type = StepType(
                pk=pk,
                journey_type=journey_type,
                key=f"s{pk}",
                name=f"Step {pk}",
                unit=units[branch],
                deadline_days=5 + position,
                deadline_working_days=True,
            )
            before = {pk - 1} if position else set()
            if branch and position == LENGTH - 1:
                before.add(branch * LENGTH)  # the previous branch's last step joins in
            dependencies[pk] = frozenset(before)
            step = Step(pk=pk, step_type=step_type, unit=units[branch], status=Step.Status.WAITING)
            step.projected_decision_at_submission = submitted + dt.timedelta(days=10 * position)
            if position < 1 or (branch < 2 and position < 2):
                step.status = Step.Status.APPROVED
                step.activated_at = submitted
                step.decided_at = submitted + dt.timedelta(days=3 + position)
            elif position < 2 or (branch == 0 and position == 2):
                step.status = Step.Status.IN_PROGRESS
                step.activated_at = now - dt.timedelta(days=4)
                step.due_at = now + dt.timedelta(days=6)
                if branch == 2:
                    step.status = Step.Status.WAITING_FOR_APPLICANT
                    step.paused_at = now - dt.timedelta(days=2)
            steps.append(step)
    return steps, dependencies


def main() -> None:
    now = timezone.make_aware(dt.datetime(2026, 12, 14, 10, 0))  # noqa: DTZ001 (made aware)
    steps, dependencies = journey(now)
    statuses = sorted({s.status for s in steps})
    journey_project(steps, dependencies, now=now)  # warm the holiday calendars' caches
    samples = []
    for _ in range(ROUNDS):
        start = time.process_time()
        projection = journey_project(steps, dependencies, now=now)
        for step in steps:
            found = projection.of(step)
            if found is not None:
                moved_reason(found, found.moved(step.projected_decision_at_submission))
        samples.append((time.process_time() - start) * 1000)
    samples.sort()
    print(
        json.dumps(
            {
                "steps": len(steps),
                "statuses": statuses,
                "rounds": ROUNDS,
                "cpu_ms_median": round(statistics.median(samples), 3),
                "cpu_ms_p95": round(samples[int(0.95 * len(samples))], 3),
                "completion": projection.completion.isoformat(),
            }
        )
    )


if __name__ == "__main__":
    main()
