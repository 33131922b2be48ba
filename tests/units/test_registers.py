"""A unit's register gives consecutive numbers however many cases reach it at once."""

import pytest
from django.db import transaction
from django.utils import timezone

from journeys import services
from journeys.models import Handoff, Step
from tests.casework.test_casework_concurrency import run_together
from tests.factories import submitted_journey
from tests.journey_types import journey_type
from units.models import RegisterCounter
from units.registers import registration_number_take

pytestmark = pytest.mark.django_db(transaction=True)


class RolledBack(Exception):
    pass


def test_twenty_cases_reaching_a_unit_at_once_get_twenty_consecutive_numbers():
    trail = journey_type(parallel=1, chain=0)
    now = timezone.now()
    for _ in range(20):
        submitted_journey(trail, now=now, deliver=False)
    handoffs = list(Handoff.objects.undelivered().values_list("pk", flat=True))
    unit = Step.objects.first().unit
    assert len(handoffs) == 20

    def deliver(pk):
        return lambda: services.handoff_deliver(handoff_id=pk, now=timezone.now())

    def abandoned():
        # A registration whose transaction rolls back gives its number back.
        with transaction.atomic():
            registration_number_take(unit=unit, now=timezone.now())
            raise RolledBack

    results = run_together([deliver(pk) for pk in handoffs] + [abandoned] * 5)

    errors = [r for r in results[:20] if isinstance(r, Exception)]
    assert not errors, errors
    assert all(isinstance(r, RolledBack) for r in results[20:])
    numbers = sorted(Step.objects.values_list("registration_number", flat=True))
    year = timezone.localtime(now).year
    assert numbers == [f"{unit.register_code} {year}-{n:06d}" for n in range(1, 21)]
    assert RegisterCounter.objects.get(unit=unit, year=year).last == 20
