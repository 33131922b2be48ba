"""The applicant corrects answers after submitting (issue 17): an answer may change until a step
that needs it is decided. Each step that needs a changed answer gets a journal entry with the
old and the new value (seen by its unit only, as the answers are), a unit holding such a step is
told, and a step already being worked on is flagged; decided steps are untouched. Steps no unit
has had yet are routed again by the new answers."""

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F

from journeys.models import Journey, JourneyEvent, OutgoingEmail, Step
from journeys.services.emails import outgoing_emails_create
from journeys.services.events import journey_event_record
from journeys.services.fees import step_invoices_follow
from units.models import Unit


class AmendRefused(Exception):
    """Nothing was changed."""


class JourneyNotOpen(AmendRefused):
    """The journey is closed (decided, withdrawn) or not yet submitted."""


class AnswerDecided(AmendRefused):
    """A step that needs one of the answers is decided: that answer can no longer change."""

    def __init__(self, keys: list[str]):
        super().__init__(", ".join(keys))
        self.keys = keys


# Answers the applicant does not type: the organisation applied for (chosen on its own page)
# and the identity number from the e-ID; and files, already attached to the steps that need
# them (a newer one goes to the unit as the answer to its request for information).
NOT_AMENDABLE_KINDS = ("orgnr", "personnummer", "file")


@dataclass(frozen=True)
class Answer:
    """One answer of a submitted journey as its applicant may change it."""

    key: str
    label: str
    value: object
    changeable: bool  # no step that needs it is decided
    decided_by: tuple[str, ...]  # the decided steps' names that fix it, when not changeable


def journey_answers(journey: Journey, steps: list[Step]) -> list[Answer]:
    """The journey's answers with whether each may still change, from its steps (read with
    their step types): no query of its own."""
    decided = [s for s in steps if s.status in Step.DECIDED_STATUSES]
    amendable = journey.is_open
    answers = []
    for field in journey.journey_type.display_fields:
        if field["kind"] in NOT_AMENDABLE_KINDS:
            continue
        fixed_by = tuple(
            s.step_type.display_name for s in decided if field["key"] in s.step_type.needs
        )
        answers.append(
            Answer(
                key=field["key"],
                label=field["label"],
                value=journey.data.get(field["key"]),
                changeable=amendable and not fixed_by,
                decided_by=fixed_by,
            )
        )
    return answers


def amendable_keys(journey: Journey) -> set[str]:
    steps = list(journey.steps.select_related("step_type"))
    return {a.key for a in journey_answers(journey, steps) if a.changeable}


def _shown(value) -> str:
    return "–" if value in (None, "") else str(value)


@transaction.atomic
def journey_amend(*, journey: Journey, by, answers: dict, now: dt.datetime) -> list[str]:
    """Change answers of a submitted journey on its applicant's request. Refuses the whole
    change (nothing saved) when the journey is not open or a step that needs one of the answers
    is decided. Returns the keys that changed (none when the answers were the same)."""
    journey = Journey.objects.select_for_update().select_related("journey_type").get(pk=journey.pk)
    if not journey.is_open:
        raise JourneyNotOpen
    steps = list(journey.steps.select_related("step_type", "unit"))
    by_key = {a.key: a for a in journey_answers(journey, steps)}
    changed = {
        key: value
        for key, value in answers.items()
        if key in by_key and _shown(journey.data.get(key)) != _shown(value)
    }
    fixed = [key for key in changed if not by_key[key].changeable]
    if fixed:
        raise AnswerDecided(fixed)
    if changed:
        journey_answers_changed(journey=journey, steps=steps, by=by, answers=changed, now=now)
    return list(changed)


def journey_answers_changed(
    *, journey: Journey, steps: list[Step], by, answers: dict, now: dt.datetime, asking=None
) -> list[Step]:
    """Store changed answers of a submitted journey and tell whoever they concern: the
    journey's log (the labels, for the applicant), each open step that needs one (the old and
    the new values, for its unit), its unit's members (a step with the unit) and the
    caseworker (a step being worked on is flagged). `asking`: the step whose information
    request brought the change, which asked for it and is not flagged. The caller holds the
    journey's row lock. Returns the steps routed to another unit by the new answers."""
    before = dict(journey.data)
    journey.data = {**journey.data, **answers}
    journey.save(update_fields=["data"])
    labels = {f["key"]: f["label"] for f in journey.journey_type.display_fields}
    journey_event_record(
        journey=journey,
        kind=JourneyEvent.Kind.ANSWERS_AMENDED,
        actor=by,
        now=now,
        message=", ".join(labels.get(key, key) for key in answers),
    )
    for step in steps:
        concerned = [key for key in answers if key in step.step_type.needs]
        if not concerned or step.status not in Step.OPEN_STATUSES:
            continue
        event = journey_event_record(
            journey=journey,
            step=step,
            kind=JourneyEvent.Kind.ANSWER_CHANGED,
            actor=by,
            now=now,
            message="\n".join(
                f"{labels.get(key, key)}: {_shown(before.get(key))} → {_shown(answers[key])}"
                for key in concerned
            ),
            visible_to_applicant=False,
        )
        if asking is not None and step.pk == asking.pk:
            continue
        if step.status in (Step.Status.IN_PROGRESS, Step.Status.WAITING_FOR_APPLICANT):
            Step.objects.filter(pk=step.pk).update(answers_changed_at=now, version=F("version") + 1)
        if step.status in Step.ACTIVE_STATUSES and not step.unit.works_in_own_system:
            outgoing_emails_create(
                kind=OutgoingEmail.Kind.ANSWERS_CHANGED,
                journey=journey,
                step=step,
                event=event,
                queue=step.unit.queue_name,
                now=now,
            )
    return steps_reroute(journey=journey, by=by, now=now)


def routed_units(step_types, data: dict) -> dict[int, Unit]:
    """Step type id -> the unit its routing rule chooses for these answers (routed only)."""
    chosen = {s.pk: s.unit_slug_for(data) for s in step_types if s.routing}
    if not chosen:
        return {}
    units = Unit.objects.in_bulk(set(chosen.values()), field_name="slug")
    return {pk: units[slug] for pk, slug in chosen.items()}


def steps_reroute(*, journey: Journey, by, now: dt.datetime) -> list[Step]:
    """Route again, by the journey's answers now, its routed steps that no unit has had yet
    (waiting, no handoff written); each move is on the timeline, and a moved step's unpaid
    invoice is issued again to its new unit. The caller holds the journey's row lock. A step
    already in a queue moves only by a transfer."""
    steps = list(
        journey.steps.filter(status=Step.Status.WAITING, handoffs__isnull=True)
        .exclude(step_type__routing={})
        .select_related("step_type", "unit")
    )
    routed = routed_units([s.step_type for s in steps], journey.data)
    moved = []
    for step in steps:
        unit_id = routed[step.step_type_id].pk
        if unit_id == step.unit_id:
            continue
        before = step.unit
        if not Step.objects.filter(pk=step.pk, status=Step.Status.WAITING).update(
            unit_id=unit_id, version=F("version") + 1
        ):
            continue
        step.refresh_from_db()
        journey_event_record(
            journey=journey,
            step=step,
            kind=JourneyEvent.Kind.STEP_REROUTED,
            actor=by,
            now=now,
            message=f"{before.name} → {step.unit.name}",
        )
        moved.append(step)
    step_invoices_follow(journey=journey, steps=moved, now=now)
    return moved


def journey_answers_amend(
    *, journey: Journey, by, answers: dict, now: dt.datetime, asking: Step | None = None
) -> list[Step]:
    """Change a submitted journey's answers as given (the applicant's, on an information
    request: `asking` is its step), whatever is decided: only fields of the journey type
    change, and an answer sent back the same (or a question left empty) is no change. The
    caller holds the journey's row lock. Returns the steps routed to another unit."""
    keys = {f["key"] for f in journey.journey_type.fields}
    changed = {
        k: v for k, v in answers.items() if k in keys and _shown(journey.data.get(k)) != _shown(v)
    }
    if not changed:
        return []
    steps = list(journey.steps.select_related("step_type", "unit"))
    return journey_answers_changed(
        journey=journey, steps=steps, by=by, answers=changed, now=now, asking=asking
    )
