"""Reusable filters; `visible_to(user)` is the one way views reach journeys and steps."""

import datetime as dt

from django.apps import apps
from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q, Subquery
from django.utils import timezone

from journeys.states import ACTIVE_STEP, OPEN_JOURNEY, OPEN_STEP, JourneyStatus, StepStatus
from organisations.models import Organisation
from units.roles import roles_of


def _model(name: str):
    """A model of this app by name: the querysets are defined before their models (models.py
    imports this module), so they ask the app registry instead of importing models.py."""
    return apps.get_model("journeys", name)


def stalled_periods() -> set[int]:
    """The stalled periods the journey types set: a handful, whatever the number of journeys."""
    JourneyType = _model("JourneyType")

    return set(
        JourneyType.objects.filter(stalled_after_days__isnull=False).values_list(
            "stalled_after_days", flat=True
        )
    )


def stalled_condition(now: dt.datetime, periods: set[int] | None = None) -> Q:
    """No event for the journey type's stalled period (or the default). Pass `periods` (from
    stalled_periods) when building several conditions in one request."""
    if periods is None:
        periods = stalled_periods()
    default = now - dt.timedelta(days=settings.STALLED_AFTER_DAYS)
    condition = Q(journey_type__stalled_after_days__isnull=True, last_event_at__lt=default)
    for days in periods:
        condition |= Q(
            journey_type__stalled_after_days=days,
            last_event_at__lt=now - dt.timedelta(days=days),
        )
    return condition


def failed_handoff_exists(now: dt.datetime) -> Exists:
    """The journey has a handoff still undelivered after the grace period."""
    Handoff = _model("Handoff")

    return Exists(
        Handoff.objects.filter(
            step__journey=OuterRef("pk"),
            delivered_at__isnull=True,
            superseded_at__isnull=True,
            created_at__lt=now - dt.timedelta(seconds=settings.HANDOFF_GRACE_SECONDS),
        )
    )


def acting_for_condition(user) -> Q:
    """The journeys a person acts on: those they applied with, and those of the organisations
    they have a recorded right to represent."""
    return Q(applicant=user) | Q(organisation__in=Organisation.objects.represented_by(user))


class JourneyQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Own journeys and the journeys of organisations the user represents, for a citizen;
        journeys with a step in their units for a caseworker; all for a coordinator."""
        roles = roles_of(user)
        if not user.is_authenticated:
            return self.none()
        if roles.is_coordinator:
            return self
        Step = _model("Step")

        in_their_queue = Step.objects.filter(journey=OuterRef("pk")).reached_units(roles.unit_ids)
        return self.filter(acting_for_condition(user) | Exists(in_their_queue))

    def public_copies_for(self, user):
        """Submitted journeys whose public-access copy the user may make: all for a
        coordinator, those of journey types their unit owns for a unit lead
        (units.roles.may_make_public_copy)."""
        roles = roles_of(user)
        if not user.is_authenticated:
            return self.none()
        submitted = self.filter(submitted_at__isnull=False)
        if roles.is_coordinator:
            return submitted
        return submitted.filter(journey_type__owner_unit__in=roles.lead_unit_ids)

    def acting_for(self, user):
        """The journeys the user may act on as an applicant (see acting_for_condition), but a
        draft erased at their request (records.disposal): it is gone for them."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(acting_for_condition(user)).exclude(
            status=JourneyStatus.DRAFT, disposed_at__isnull=False
        )

    def open(self):
        return self.filter(status__in=OPEN_JOURNEY)

    def stalled(self, *, now: dt.datetime):
        return self.open().filter(stalled_condition(now))

    def with_coordination_flags(self, *, now: dt.datetime, periods: set[int] | None = None):
        """Annotate what a coordinator scans for: overdue, stalled, failed handoff, who holds it."""
        Step = _model("Step")

        holding = Step.objects.filter(journey=OuterRef("pk"), status__in=ACTIVE_STEP).order_by(
            "activated_at", "pk"
        )
        return self.annotate(
            is_overdue=Exists(
                Step.objects.filter(journey=OuterRef("pk"), status__in=ACTIVE_STEP, due_at__lt=now)
            ),
            has_failed_handoff=failed_handoff_exists(now),
            is_stalled=models.ExpressionWrapper(
                stalled_condition(now, periods), output_field=models.BooleanField()
            ),
            holding_unit_name=Subquery(holding.values("unit__name")[:1]),
            holding_step_name=Subquery(holding.values("step_type__name")[:1]),
            holding_since=Subquery(holding.values("activated_at")[:1]),
        )


class StepQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Case work scope: steps that reached the user's units, or all for a coordinator.
        Applicants see their steps through their journey, never by a step's own address."""
        roles = roles_of(user)
        if not user.is_authenticated:
            return self.none()
        if roles.is_coordinator:
            return self
        return self.reached_units(roles.unit_ids)

    def reached_units(self, unit_ids):
        """Steps of these units that have reached their queue (a waiting step is not theirs yet)."""
        return self.filter(unit_id__in=unit_ids).exclude(status=StepStatus.WAITING)

    def for_unit(self, unit_or_ids):
        if isinstance(unit_or_ids, int | models.Model):
            return self.filter(unit=unit_or_ids)
        return self.filter(unit_id__in=unit_or_ids)

    def open(self):
        return self.filter(status__in=OPEN_STEP)

    def in_queue(self):
        """What a unit works on: received, in progress, or waiting for the applicant."""
        return self.filter(status__in=ACTIVE_STEP)

    def overdue(self, *, now: dt.datetime):
        return self.in_queue().filter(due_at__lt=now)

    def queue_order(self):
        return self.order_by(models.F("due_at").asc(nulls_last=True), "activated_at", "pk")


class HandoffQuerySet(models.QuerySet):
    def undelivered(self):
        """Still to be carried out (a superseded handoff never will be)."""
        return self.filter(delivered_at__isnull=True, superseded_at__isnull=True)

    def overdue_for_delivery(self, *, now: dt.datetime):
        """Undelivered past the grace period: lost in the broker, or failing in a worker."""
        cutoff = now - dt.timedelta(seconds=settings.HANDOFF_GRACE_SECONDS)
        return (
            self.undelivered()
            .filter(created_at__lt=cutoff)
            .filter(Q(published_at__isnull=True) | Q(published_at__lt=cutoff))
        )

    def unpublished(self, *, before: dt.datetime):
        """Undelivered and never published, written before `before`: the publish after commit
        failed (the broker was down or silent) or its process died first. The relay's work."""
        return self.undelivered().filter(published_at__isnull=True, created_at__lt=before)


class OutgoingEmailQuerySet(models.QuerySet):
    def unsent(self):
        return self.filter(sent_at__isnull=True)

    def overdue_for_sending(self, *, now: dt.datetime):
        """Unsent past the grace period (lost in the broker, or failing in a worker), and not yet
        a dead letter: one whose retries ran out waits for a person, not for the sweep."""
        cutoff = now - dt.timedelta(seconds=settings.HANDOFF_GRACE_SECONDS)
        return (
            self.unsent()
            .filter(created_at__lt=cutoff, failures__isnull=True)
            .filter(Q(published_at__isnull=True) | Q(published_at__lt=cutoff))
        )

    def unpublished(self, *, before: dt.datetime):
        """Unsent and never published, written before `before` (see HandoffQuerySet)."""
        return self.unsent().filter(
            published_at__isnull=True, created_at__lt=before, failures__isnull=True
        )


class ConsultationQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The consultations put to the user's units: only the consulted unit answers them.
        (The asking unit reads them on its step's case page.)"""
        roles = roles_of(user)
        if not user.is_authenticated:
            return self.none()
        return self.filter(unit_id__in=roles.unit_ids)

    def open(self):
        """Waiting for an answer: neither answered nor withdrawn."""
        return self.filter(answered_at__isnull=True, withdrawn_at__isnull=True)

    def for_unit_open(self, unit):
        """Waiting for this unit's answer (read off the consultation_unit_open index)."""
        return self.open().filter(unit=unit)

    def overdue(self, *, now: dt.datetime):
        """Open past the day they were to be answered by (in the server's time zone)."""
        return self.open().filter(due_date__lt=timezone.localtime(now).date())


class DocumentQuerySet(models.QuerySet):
    def uploaded(self):
        """Sent by a person (the applicant or a unit), not written by the portal (letters)."""
        return self.filter(generated_as="")

    def from_applicant(self):
        """The applicant's own uploads: with the application, or answering a request."""
        return self.uploaded().filter(unit__isnull=True)

    def from_units(self):
        """Added to a case by its unit's caseworkers."""
        return self.uploaded().filter(unit__isnull=False)

    def for_applicant(self):
        """What the applicant's side may see and download: a unit's internal ones are not."""
        return self.filter(visible_to_applicant=True)


class SecrecyGroundQuerySet(models.QuerySet):
    def offered(self):
        """The grounds caseworkers may choose from (an inactive one stays on its markings)."""
        return self.filter(active=True)


class SecrecyMarkingQuerySet(models.QuerySet):
    def standing(self):
        """Markings not removed: what secrecy hides now."""
        return self.filter(removed_at__isnull=True)
