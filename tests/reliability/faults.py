"""What the fault-injection tests measure: lost handoffs, double activations, delays."""

import datetime as dt

from django.conf import settings
from django.utils import timezone

from journeys.models import Handoff, JourneyEvent, Step
from journeys.services import handoffs as handoff_services


def delivery_figures(handoffs: list[Handoff]) -> dict:
    """Lost (never delivered), activated twice, and the worst delay, for these handoffs."""
    ids = [h.pk for h in handoffs]
    rows = Handoff.objects.filter(pk__in=ids).select_related("step")
    activations = {}
    for step_id in JourneyEvent.objects.filter(
        kind=JourneyEvent.Kind.STEP_QUEUED, step__handoffs__pk__in=ids
    ).values_list("step_id", flat=True):
        activations[step_id] = activations.get(step_id, 0) + 1
    delays = [
        (h.step.activated_at - h.created_at).total_seconds() for h in rows if h.step.activated_at
    ]
    return {
        "handoffs": len(ids),
        "lost": sum(1 for h in rows if h.step.status == Step.Status.WAITING),
        "activated_twice": sum(1 for n in activations.values() if n > 1),
        "worst_delay_s": round(max(delays, default=0), 2),
    }


def all_queued(handoffs: list[Handoff]) -> bool:
    return not Step.objects.filter(
        pk__in=[h.step_id for h in handoffs], status=Step.Status.WAITING
    ).exists()


def publish(handoffs: list[Handoff]) -> int:
    return handoff_services.handoffs_publish([h.pk for h in handoffs])


def sweep_now() -> int:
    """One sweep, as beat runs it once the grace period has passed."""
    later = timezone.now() + dt.timedelta(seconds=settings.HANDOFF_GRACE_SECONDS + 1)
    return handoff_services.handoffs_sweep(now=later)
