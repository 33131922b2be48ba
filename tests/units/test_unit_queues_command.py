"""`manage.py unit_queues` names the queues a worker consumes, less the units served elsewhere."""

import pytest
from django.core.management import CommandError, call_command

from tests.journey_types import make_test_units

pytestmark = pytest.mark.django_db


def queues(*args) -> list[str]:
    from io import StringIO

    out = StringIO()
    call_command("unit_queues", *args, stdout=out)
    return out.getvalue().strip().split(",")


def test_a_shared_worker_leaves_out_the_units_with_workers_of_their_own():
    make_test_units("office-a", "office-b", "office-c")
    every = queues()
    assert every[:2] == ["portal", "webhooks"]
    assert {"unit.office-a", "unit.office-b", "unit.office-c"} <= set(every)
    shared = queues("--except", "office-b")
    assert shared == [queue for queue in every if queue != "unit.office-b"]


def test_an_unknown_unit_is_refused_rather_than_silently_served_nowhere():
    make_test_units("office-a")
    with pytest.raises(CommandError, match="office-x"):
        queues("--except", "office-x")
