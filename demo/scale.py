"""Synthetic journeys at municipal scale, consistent with what the services would have written
(steps in dependency order, one activation handoff per reached step, the events of each change),
bulk-loaded with PostgreSQL COPY. Used by `seed_scale` and the benchmark."""

import datetime as dt
import json
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone

from journeys.graph import graph_levels, step_dependencies
from journeys.models import Handoff, Journey, JourneyEvent, JourneyType, Step
from journeys.states import JourneyStatus as J
from journeys.states import StepStatus as S
from units.models import Unit

APPLICANT_PREFIX = "scale-applicant-"
E = JourneyEvent.Kind
# How journeys end up, out of 1000 (the rest are completed).
MIX = [
    ("draft", 20),
    ("rejected", 50),
    ("waiting_for_applicant", 40),
    ("in_progress", 110),
    ("stalled", 20),
    ("overdue", 30),
]
EXTRA_UNITS = 12  # district offices, so there are about twenty units


@dataclass
class Tables:
    """Rows waiting to be copied, table by table, in the models' column order."""

    journeys: list[tuple] = field(default_factory=list)
    steps: list[tuple] = field(default_factory=list)
    events: list[tuple] = field(default_factory=list)
    handoffs: list[tuple] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.journeys)


def generated_only() -> bool:
    """True when every journey in the database was made by this generator."""
    return not Journey.objects.exclude(applicant__username__startswith=APPLICANT_PREFIX).exists()


def reset() -> None:
    """Empty the journey tables (TRUNCATE: the event log's row triggers do not apply)."""
    tables = [m._meta.db_table for m in (JourneyEvent, Handoff, Step, Journey)]
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")


def ensure_units() -> None:
    for number in range(1, EXTRA_UNITS + 1):
        Unit.objects.get_or_create(
            slug=f"district-{number:02d}",
            defaults={
                "name": f"District office {number}",
                "translations": {"sv": {"name": f"Stadsdelsförvaltning {number}"}},
            },
        )


class Generator:
    def __init__(self, *, seed: int, now: dt.datetime, years: int = 4):
        self.rng = random.Random(seed)
        self.now = now
        self.years = years
        self.types = [
            self._plan(t) for t in JourneyType.objects.filter(is_current=True).order_by("slug")
        ]
        if not self.types:
            raise RuntimeError("Load the journey types first (seed_demo or load_journey_type).")
        self.outcomes = [name for name, share in MIX for _ in range(share)]
        self.outcomes += ["completed"] * (1000 - len(self.outcomes))
        with connection.cursor() as cursor:
            for model, attr in ((Journey, "journey"), (Step, "step"), (Handoff, "handoff")):
                cursor.execute(f"SELECT coalesce(max(id), 0) FROM {model._meta.db_table}")
                setattr(self, f"next_{attr}", cursor.fetchone()[0] + 1)
        self.sequence = 0

    @staticmethod
    def _plan(journey_type: JourneyType) -> dict:
        """The journey type's steps in an order where each comes after what it waits for (the
        services' graph, so a definition listing a step before its dependency still works)."""
        graph = step_dependencies(journey_type.pk)
        level = graph_levels(graph)
        steps = sorted(journey_type.steps.all(), key=lambda s: (level[s.pk], s.order))
        return {
            "type": journey_type,
            "steps": [(s, sorted(graph[s.pk]), s.deadline_days or 30) for s in steps],
        }

    def applicants(self, count: int) -> list[int]:
        user_model = get_user_model()
        existing = user_model.objects.filter(username__startswith=APPLICANT_PREFIX).count()
        user_model.objects.bulk_create(
            user_model(username=f"{APPLICANT_PREFIX}{n}", password="!")
            for n in range(existing, max(count, existing))
        )
        return list(
            user_model.objects.filter(username__startswith=APPLICANT_PREFIX).values_list(
                "pk", flat=True
            )
        )

    def batch(self, size: int, applicants: list[int]) -> Tables:
        tables = Tables()
        for _ in range(size):
            self._journey(tables, self.rng.choice(applicants))
        return tables

    def _journey(self, tables: Tables, applicant: int) -> None:
        rng, now = self.rng, self.now
        plan = self.types[0] if rng.random() < 0.6 else self.types[-1]
        outcome = rng.choice(self.outcomes)
        open_outcome = outcome in ("in_progress", "stalled", "overdue", "waiting_for_applicant")
        span = dt.timedelta(days=365 * self.years)
        if outcome == "draft":
            created = now - dt.timedelta(days=rng.uniform(0, 60))
        elif open_outcome:
            created = now - dt.timedelta(days=rng.uniform(5, 150))
        else:
            created = (
                now
                - span
                + dt.timedelta(seconds=rng.uniform(0, span.total_seconds() - 86400 * 200))
            )
        journey_id = self.next_journey
        self.next_journey += 1
        self.sequence += 1
        jt = plan["type"]
        reference = f"{jt.reference_prefix}-{created.year}-S{self.sequence:08d}"
        events: list[tuple] = []
        events.append((journey_id, None, E.STARTED, applicant, created, "", "", "", True))
        if outcome == "draft":
            tables.journeys.append(
                self._journey_row(
                    journey_id, jt, applicant, None, J.DRAFT, created, None, None, created
                )
            )
            tables.events.extend(_in_scope(events, {}))
            return
        submitted = created + dt.timedelta(minutes=rng.uniform(5, 600))
        events.append(
            (journey_id, None, E.SUBMITTED, applicant, submitted, J.DRAFT, J.SUBMITTED, "", True)
        )
        decided_at: dict[int, dt.datetime] = {}
        last = submitted
        status = "completed"
        reject_at = rng.randrange(len(plan["steps"])) if outcome == "rejected" else None
        pause_index = (
            rng.randrange(len(plan["steps"])) if outcome == "waiting_for_applicant" else None
        )
        closed = None
        paused_any = False
        step_units: dict[int, int] = {}
        for index, (step_type, deps, deadline) in enumerate(plan["steps"]):
            step_id = self.next_step
            self.next_step += 1
            step_units[step_id] = step_type.unit_id
            if status != "completed" or any(d not in decided_at for d in deps):
                tables.steps.append(
                    self._step_row(
                        step_id,
                        journey_id,
                        step_type,
                        S.CANCELLED if status == "rejected" else S.WAITING,
                    )
                )
                continue
            ready = max([decided_at[d] for d in deps], default=submitted)
            latency = dt.timedelta(seconds=rng.uniform(0.02, 3.0))
            activated = ready + latency
            due = activated + dt.timedelta(days=deadline)
            claimed = activated + dt.timedelta(hours=rng.uniform(1, 24 * min(deadline, 20) * 0.5))
            lead = dt.timedelta(days=rng.uniform(0.3, deadline * 1.3))
            decided = activated + lead
            paused = rng.choice([0, 0, 0, rng.randint(1, 10)])
            handoff_id = self.next_handoff
            self.next_handoff += 1
            tables.handoffs.append(
                (
                    handoff_id,
                    step_id,
                    step_type.unit_id,
                    None,
                    Handoff.Kind.ACTIVATE,
                    ready,
                    ready,
                    activated,
                    1,
                    1,
                    "",
                )
            )
            events.append((journey_id, step_id, E.HANDOFF_SENT, None, ready, "", "", "", False))
            events.append(
                (journey_id, step_id, E.STEP_QUEUED, None, activated, S.WAITING, S.QUEUED, "", True)
            )
            if open_outcome and (
                decided > now or index == pause_index or outcome in ("stalled", "overdue")
            ):
                row_status, claimed_at, paused_at = self._open_state(
                    outcome, index == pause_index, activated, claimed
                )
                if outcome == "overdue":
                    due = now - dt.timedelta(days=rng.uniform(1, 20))
                if claimed_at:
                    events.append(
                        (
                            journey_id,
                            step_id,
                            E.STEP_CLAIMED,
                            None,
                            claimed_at,
                            S.QUEUED,
                            S.IN_PROGRESS,
                            "",
                            True,
                        )
                    )
                if paused_at:
                    paused_any = True
                    events.append(
                        (
                            journey_id,
                            step_id,
                            E.INFORMATION_REQUESTED,
                            None,
                            paused_at,
                            S.IN_PROGRESS,
                            S.WAITING_FOR_APPLICANT,
                            "Floor plan",
                            True,
                        )
                    )
                tables.steps.append(
                    self._step_row(
                        step_id,
                        journey_id,
                        step_type,
                        row_status,
                        activated=activated,
                        started=claimed_at,
                        due=due,
                        paused_at=paused_at,
                    )
                )
                status = "open"
                last = max(last, paused_at or claimed_at or activated)
                continue
            outcome_status = S.REJECTED if index == reject_at else S.APPROVED
            events.append(
                (
                    journey_id,
                    step_id,
                    E.STEP_CLAIMED,
                    None,
                    claimed,
                    S.QUEUED,
                    S.IN_PROGRESS,
                    "",
                    True,
                )
            )
            events.append(
                (
                    journey_id,
                    step_id,
                    E.STEP_APPROVED if outcome_status == S.APPROVED else E.STEP_REJECTED,
                    None,
                    decided,
                    S.IN_PROGRESS,
                    outcome_status,
                    "Reasons.",
                    True,
                )
            )
            tables.steps.append(
                self._step_row(
                    step_id,
                    journey_id,
                    step_type,
                    outcome_status,
                    activated=activated,
                    started=claimed,
                    decided=decided,
                    due=due,
                    paused_days=paused,
                    reasons="Reasons.",
                )
            )
            last = max(last, decided)
            if outcome_status == S.REJECTED:
                status = "rejected"
                closed = decided
            else:
                decided_at[step_type.pk] = decided
        if status == "completed":
            closed = last
            events.append(
                (journey_id, None, E.COMPLETED, None, closed, J.IN_PROGRESS, J.COMPLETED, "", True)
            )
            journey_status = J.COMPLETED
        elif status == "rejected":
            events.append(
                (
                    journey_id,
                    None,
                    E.CLOSED_REJECTED,
                    None,
                    closed,
                    J.IN_PROGRESS,
                    J.REJECTED,
                    "",
                    True,
                )
            )
            journey_status = J.REJECTED
        else:
            journey_status = J.WAITING_FOR_APPLICANT if paused_any else J.IN_PROGRESS
            if outcome == "stalled":
                last = min(last, now - dt.timedelta(days=rng.uniform(12, 40)))
        tables.journeys.append(
            self._journey_row(
                journey_id,
                jt,
                applicant,
                reference,
                journey_status,
                created,
                submitted,
                closed,
                last,
            )
        )
        tables.events.extend(_in_scope(events, step_units))

    def _open_state(self, outcome, pause, activated, claimed):
        now = self.now
        if pause:
            return S.WAITING_FOR_APPLICANT, claimed, min(claimed + dt.timedelta(hours=2), now)
        if outcome == "stalled" or self.rng.random() < 0.4:
            return S.QUEUED, None, None
        return S.IN_PROGRESS, min(claimed, now), None

    def _journey_row(self, pk, jt, applicant, reference, status, created, submitted, closed, last):
        return {
            "id": pk,
            "public_id": uuid.UUID(int=self.rng.getrandbits(128), version=4),
            "journey_type_id": jt.pk,
            "applicant_id": applicant,
            "reference": reference,
            "data": json.dumps(
                {
                    "company_name": "Kafé AB",
                    "uses_lpg": True,
                    "serves_alcohol": True,
                    "outdoor_seating": True,
                    "new_drainage": True,
                }
            ),
            "status": status,
            "created_at": created,
            "submitted_at": submitted,
            "closed_at": closed,
            "last_event_at": last,
            "stalled_since": None,
            "language": "sv",
            # Private persons: the organisations' share of applications is not modelled here.
            "applying_as": "" if status == J.DRAFT else "person",
            "organisation_id": None,
            # No named contact and no projection kept from submission: pages fall back to the
            # shared contact and show projected dates without a reason for a move.
            "contact_id": None,
            "projected_completion_at_submission": None,
            "version": 0,  # its pages' validator (journeys.versions): no change yet
            # Nothing disposed of yet (records.disposal does that, under the rules).
            "disposed_at": None,
        }

    @staticmethod
    def _step_row(
        pk,
        journey_id,
        step_type,
        status,
        *,
        activated=None,
        started=None,
        decided=None,
        due=None,
        paused_at=None,
        paused_days=0,
        reasons="",
    ):
        return {
            "id": pk,
            "journey_id": journey_id,
            "step_type_id": step_type.pk,
            "unit_id": step_type.unit_id,
            "status": status,
            "assignee_id": None,
            "activated_at": activated,
            "started_at": started,
            "decided_at": decided,
            "due_at": due,
            "paused_at": paused_at,
            "paused_days": paused_days,
            "reasons": reasons,
            "appeal_instructions": "",
            "overdue_flagged_at": None,
            "delay_reason": "",
            "delay_notified_at": None,
            "communication_note": "",
            "review_reason": "",
            "review_flagged_at": None,
            "answers_changed_at": None,
            "registration_number": "",
            "registered_unit_id": None,
            "documents_registered": 0,
            "projected_decision_at_submission": None,
            "version": 1,
        }


def _in_scope(events: list[tuple], step_units: dict[int, int]) -> list[tuple]:
    """Each event row with the unit it is written for (JourneyEvent.unit): the step's unit
    once the step reached it, none for a handoff not yet delivered or the journey's own."""
    return [
        (*event, step_units[event[1]] if event[1] and event[2] != E.HANDOFF_SENT else None)
        for event in events
    ]


def _columns(model) -> list[str]:
    return [f.column for f in model._meta.concrete_fields]


EVENT_FIELDS = [
    "journey_id",
    "step_id",
    "kind",
    "actor_id",
    "created_at",
    "status_before",
    "status_after",
    "message",
    "visible_to_applicant",
    "unit_id",
]
HANDOFF_FIELDS = [
    "id",
    "step_id",
    "unit_id",
    "information_request_id",
    "kind",
    "created_at",
    "published_at",
    "delivered_at",
    "attempts",
    "publish_count",
    "last_error",
]


def copy_in(tables: Tables) -> int:
    """COPY one batch into the four tables, in one transaction. Returns rows written."""
    written = 0
    with transaction.atomic(), connection.cursor() as cursor:
        raw = cursor.cursor
        for model, rows, fields in (
            (Journey, tables.journeys, None),
            (Step, tables.steps, None),
            (JourneyEvent, tables.events, EVENT_FIELDS),
            (Handoff, tables.handoffs, HANDOFF_FIELDS),
        ):
            if not rows:
                continue
            columns = fields or _columns(model)
            sql = f"COPY {model._meta.db_table} ({', '.join(columns)}) FROM STDIN"
            with raw.copy(sql) as copy:
                for row in rows:
                    copy.write_row([row[c] for c in columns] if isinstance(row, dict) else row)
            written += len(rows)
    return written


def fix_sequences() -> None:
    with connection.cursor() as cursor:
        for model in (Journey, Step, Handoff, JourneyEvent):
            table = model._meta.db_table
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"coalesce(max(id), 1)) FROM {table}"
            )


def generate(*, journeys: int, batch_size: int, seed: int, now=None) -> Iterator[tuple[int, int]]:
    """Yield (journeys, rows) written by each batch."""
    ensure_units()
    generator = Generator(seed=seed, now=now or timezone.now())
    applicants = generator.applicants(max(journeys // 3, 1))
    done = 0
    while done < journeys:
        size = min(batch_size, journeys - done)
        rows = copy_in(generator.batch(size, applicants))
        done += size
        yield size, rows
    fix_sequences()
