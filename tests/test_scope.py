"""Who may see what: 404 outside one's scope, sign-in for anonymous visitors."""

import pytest
from django.urls import reverse

from journeys.models import Step
from tests.factories import make_caseworker, make_coordinator, make_user, submitted_journey
from tests.journey_types import journey_type


@pytest.fixture
def journey(db):
    """parallel-1 and parallel-2 in their units' queues, chain-1 waiting for parallel-1."""
    return submitted_journey(journey_type(parallel=2, chain=1), make_user("owner"))


def step_of(journey, key) -> Step:
    return journey.steps.get(step_type__key=key)


def test_a_caseworker_gets_404_for_another_units_step_and_never_sees_it_in_the_queue(
    client, journey
):
    other_step = step_of(journey, "parallel-2")
    own_step = step_of(journey, "parallel-1")
    client.force_login(make_caseworker(own_step.unit))

    queue = client.get(reverse("casework:queue")).content.decode()
    assert reverse("casework:case", args=[own_step.pk]) in queue
    assert reverse("casework:case", args=[other_step.pk]) not in queue
    assert client.get(reverse("casework:case", args=[other_step.pk])).status_code == 404
    assert client.post(reverse("casework:claim", args=[other_step.pk])).status_code == 404
    response = client.post(
        reverse("casework:decide", args=[other_step.pk]),
        {"outcome": "approve", "reasons": "x", "version": other_step.version},
    )
    assert response.status_code == 404
    other_step.refresh_from_db()
    assert other_step.status == Step.Status.QUEUED


def test_a_step_not_yet_in_the_units_queue_is_not_visible_to_that_unit(client, journey):
    chained = step_of(journey, "chain-1")
    assert chained.status == Step.Status.WAITING
    client.force_login(make_caseworker(chained.unit))
    assert client.get(reverse("casework:case", args=[chained.pk])).status_code == 404


def test_a_citizen_gets_404_for_another_citizens_journey(client, journey):
    client.force_login(make_user("someone-else"))
    for name in (
        "application_track",
        "application_resume",
        "application_check",
        "application_confirmation",
    ):
        url = reverse(f"citizens:{name}", args=[journey.public_id])
        assert client.get(url).status_code == 404, name
    url = reverse("citizens:application_question", args=[journey.public_id, "applicant_name"])
    assert client.get(url).status_code == 404
    assert journey.reference not in client.get(reverse("citizens:applications")).content.decode()


def test_citizens_get_404_on_casework_and_coordination_pages(client, journey):
    client.force_login(journey.applicant)
    step = step_of(journey, "parallel-1")
    for url in (
        reverse("casework:queue"),
        reverse("casework:case", args=[step.pk]),
        reverse("coordination:dashboard"),
        reverse("coordination:journey", args=[journey.public_id]),
    ):
        assert client.get(url).status_code == 404, url


def test_caseworkers_get_404_on_coordination_pages(client, journey):
    client.force_login(make_caseworker(step_of(journey, "parallel-1").unit))
    assert client.get(reverse("coordination:dashboard")).status_code == 404
    url = reverse("coordination:journey", args=[journey.public_id])
    assert client.get(url).status_code == 404


def test_a_coordinator_sees_every_journey_but_cannot_act_on_a_step(client, journey):
    client.force_login(make_coordinator())
    assert journey.reference in client.get(reverse("coordination:dashboard")).content.decode()
    step = step_of(journey, "parallel-1")
    assert client.get(reverse("casework:case", args=[step.pk])).status_code == 200
    assert client.post(reverse("casework:claim", args=[step.pk])).status_code == 404


@pytest.mark.parametrize(
    "name",
    [
        "citizens:applications",
        "casework:queue",
        "coordination:dashboard",
    ],
)
def test_anonymous_visitors_are_sent_to_sign_in(client, db, name):
    url = reverse(name)
    response = client.get(url)
    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={url}"


def test_anonymous_visitors_are_sent_to_sign_in_from_journey_pages(client, journey):
    step = step_of(journey, "parallel-1")
    for url in (
        reverse("citizens:application_track", args=[journey.public_id]),
        reverse("casework:case", args=[step.pk]),
        reverse("coordination:journey", args=[journey.public_id]),
    ):
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("login")), url
