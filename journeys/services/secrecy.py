"""Secrecy marking: a unit marks a document or an answer of a journey as subject to secrecy,
naming the ground (OSL 5 kap. 5 §), and removes a marking, each with a reason and an event in
the journey's log. What a marking hides is journeys.disclosure's rule; who may mark is
units.roles' (a caseworker of the unit whose case it is)."""

import datetime as dt

from django.db import transaction

from journeys.models import Document, Journey, JourneyEvent, SecrecyGround, SecrecyMarking, Step
from journeys.services.events import journey_event_record


class NotMarkable(Exception):
    """The item is not one of the journey's documents or answers that can be marked."""


class AlreadyMarked(Exception):
    """The item is marked already (a marking stands until it is removed)."""


def markable_field(journey: Journey, key: str) -> dict | None:
    """The journey type's field `key`, if its answer can be marked: a file question's answer is
    its document's name, so the document is marked instead."""
    field = next((f for f in journey.journey_type.display_fields if f["key"] == key), None)
    return field if field is not None and field.get("kind") != "file" else None


def _item(journey: Journey, document: Document | None, field_key: str) -> str:
    """How the journal names the item: the document (its number and name) or the question."""
    if document is not None:
        return " ".join(filter(None, [document.registration_number, document.name]))
    return str(markable_field(journey, field_key)["label"])


@transaction.atomic
def secrecy_mark(
    *,
    step: Step,
    by,
    ground: SecrecyGround,
    reason: str,
    now: dt.datetime,
    document: Document | None = None,
    field_key: str = "",
) -> SecrecyMarking:
    """Mark one item of `step`'s journey, a document or an answer (by its field key), as
    subject to secrecy under `ground`, for `step`'s unit: from now on only that unit's members
    and the applicant's side see it. The caller has checked that `by` may mark on this case
    and sees the item."""
    if (document is None) == (not field_key):
        raise ValueError("Mark a document or an answer, one of them.")
    journey = (
        Journey.objects.select_for_update().select_related("journey_type").get(pk=step.journey_id)
    )
    if document is not None and document.journey_id != journey.pk:
        raise NotMarkable
    if field_key and markable_field(journey, field_key) is None:
        raise NotMarkable
    item = {"document": document} if document is not None else {"field_key": field_key}
    if SecrecyMarking.objects.standing().filter(journey=journey, **item).exists():
        raise AlreadyMarked
    marking = SecrecyMarking.objects.create(
        journey=journey,
        step=step,
        unit_id=step.unit_id,
        document=document,
        field_key=field_key,
        ground=ground,
        reason=reason,
        marked_by=by,
        marked_at=now,
    )
    journey_event_record(
        journey=journey,
        step=step,
        kind=JourneyEvent.Kind.SECRECY_MARKED,
        actor=by,
        now=now,
        message=f"{_item(journey, document, field_key)}: {ground.label}. {reason}",
        visible_to_applicant=False,
    )
    return marking


@transaction.atomic
def secrecy_unmark(*, marking: SecrecyMarking, by, reason: str, now: dt.datetime) -> bool:
    """Remove a standing marking (the row stays, with who removed it, when and why): the item
    is seen again as it was before it was marked. Returns False if it was removed already."""
    journey = (
        Journey.objects.select_for_update()
        .select_related("journey_type")
        .get(pk=marking.journey_id)
    )
    removed = SecrecyMarking.objects.filter(pk=marking.pk, removed_at__isnull=True).update(
        removed_at=now, removed_by=by, removal_reason=reason
    )
    if not removed:
        return False
    marking = SecrecyMarking.objects.select_related("document", "ground", "step").get(pk=marking.pk)
    journey_event_record(
        journey=journey,
        step=marking.step,
        kind=JourneyEvent.Kind.SECRECY_REMOVED,
        actor=by,
        now=now,
        message=f"{_item(journey, marking.document, marking.field_key)}: "
        f"{marking.ground.label}. {reason}",
        visible_to_applicant=False,
    )
    return True
