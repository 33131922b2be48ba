"""The journey's named contact: the one person the applicant calls about the whole journey.

At submission the journey gets a default: the first lead (oldest membership) of the unit that
owns its journey type, or, when the coordinators own it (or the unit has no lead), the first
active coordinator (lowest id). Coordinators may name someone else (`journey_contact_assign`).
Without anyone, pages fall back to the portal's shared contact (settings.PORTAL_CONTACT)."""

import datetime as dt

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q

from journeys.models import Journey, JourneyEvent
from journeys.services.events import journey_event_record
from units.models import Membership
from units.roles import COORDINATE


def coordinators():
    """Active users who hold `units.coordinate` (directly, through a group, or as superuser)."""
    users = get_user_model().objects.filter(is_active=True)
    holds = Q(is_superuser=True) | Q(
        user_permissions__content_type__app_label="units",
        user_permissions__codename=COORDINATE,
    )
    by_group = Q(
        groups__permissions__content_type__app_label="units",
        groups__permissions__codename=COORDINATE,
    )
    return users.filter(holds | by_group).distinct()


def contact_default(journey: Journey):
    """Who the journey's contact is when nobody has been named (None if there is nobody)."""
    owner = journey.journey_type.owner_unit_id
    if owner is not None:
        lead = (
            Membership.objects.leads()
            .filter(unit_id=owner, user__is_active=True)
            .select_related("user")
            .order_by("pk")
            .first()
        )
        if lead is not None:
            return lead.user
    return coordinators().order_by("pk").first()


def contact_candidates():
    """Whom a coordinator may name: the unit leads and the coordinators."""
    leads = Membership.objects.leads().filter(user__is_active=True).values("user_id")
    return (
        get_user_model()
        .objects.filter(Q(pk__in=leads) | Q(pk__in=coordinators().values("pk")))
        .order_by("first_name", "last_name", "email")
    )


@transaction.atomic
def journey_contact_assign(*, journey: Journey, contact, by, now: dt.datetime) -> bool:
    """Name `contact` as the journey's contact; False if they already were."""
    changed = Journey.objects.filter(pk=journey.pk).exclude(contact=contact).update(contact=contact)
    journey.contact = contact
    if not changed:
        return False
    journey_event_record(
        journey=journey,
        kind=JourneyEvent.Kind.CONTACT_ASSIGNED,
        actor=by,
        now=now,
        message=contact.get_full_name() or contact.email,
    )
    return True
