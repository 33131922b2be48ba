"""The queue, tracking and coordinator pages run as many queries for 50 journeys as for 5."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import decide, make_caseworker, make_coordinator, make_user, submitted_journey
from units.models import Unit


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def grow_to(cafe, applicant, total: int) -> None:
    from journeys.models import Journey

    for _ in range(total - Journey.objects.count()):
        journey = submitted_journey(cafe, applicant)
        decide(journey.steps.get(step_type__key="company-registration"))


@pytest.mark.parametrize("page", ["queue", "tracking", "dashboard"])
def test_page_queries_do_not_grow_with_the_number_of_journeys(
    client, cafe, page, django_assert_max_num_queries
):
    applicant = make_user()
    grow_to(cafe, applicant, 5)
    planning = Unit.objects.get(slug="urban-planning")
    viewer = {
        "queue": make_caseworker(planning),
        "tracking": applicant,
        "dashboard": make_coordinator(),
    }[page]
    client.force_login(viewer)
    first = applicant.journeys.order_by("pk").first()

    def url():
        return {
            "queue": reverse("casework:queue"),
            "tracking": reverse("citizens:application_track", args=[first.public_id]),
            "dashboard": reverse("coordination:dashboard"),
        }[page]

    small = count_queries(client, url())
    grow_to(cafe, applicant, 50)
    with django_assert_max_num_queries(small):
        client.get(url())
    assert count_queries(client, url()) == small


def test_the_queue_runs_as_many_queries_for_1000_cases_as_for_10(
    client, cafe, django_assert_max_num_queries
):
    from tests.factories import bulk_queued_steps

    permit = cafe.steps.get(key="building-permit")
    client.force_login(make_caseworker(permit.unit))
    bulk_queued_steps(permit, 10)
    url = reverse("casework:queue")
    counts = {}
    for filter_name in ("all", "mine", "overdue", "due_soon"):
        counts[filter_name] = count_queries(client, f"{url}?filter={filter_name}")
    bulk_queued_steps(permit, 990)
    for filter_name, small in counts.items():
        with django_assert_max_num_queries(small):
            response = client.get(f"{url}?filter={filter_name}")
        assert response.status_code == 200
        assert count_queries(client, f"{url}?filter={filter_name}") == small
