"""Journeys with invoices, built through the real services."""

from journeys.models import Step
from tests.factories import make_user, submitted_journey
from units.models import Membership, Unit


def house_journey(house, applicant=None, **kwargs):
    """An "Extend a house" journey: its building permit is invoiced at submission, and cannot
    be approved before the invoice is paid."""
    return submitted_journey(house, applicant, **kwargs)


def permit_step(journey) -> Step:
    return journey.steps.select_related("step_type", "unit").get(step_type__key="building-permit")


def make_finance(unit: Unit, username: str | None = None):
    user = make_user(username)
    Membership.objects.create(unit=unit, user=user, role=Membership.Role.FINANCE)
    return user
