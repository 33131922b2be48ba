"""Every coordination URL: coordinators get in, anyone else gets 404 (anonymous: sign in)."""

import pytest
from django.urls import reverse

from coordination.urls import urlpatterns as coordination_urlpatterns
from journeys.models import Handoff
from tests.factories import make_caseworker, make_coordinator, submitted_journey
from tests.journey_types import journey_type
from tests.webhooks.factories import make_subscription, paused
from webhooks.models import Delivery

COORDINATION_URLS = {
    "dashboard": "get",
    "insight": "get",
    "journey": "get",
    "escalate": "post",
    "remind": "post",
    "contact": "post",
    "bottlenecks": "get",
    "access_log": "get",
    "republish": "post",
    "webhook_deliveries": "get",
    "webhook_send_again": "post",
    "webhook_resume": "post",
    "retention": "get",
    "legal_hold": "post",
    "disposals": "get",
}


def test_every_coordination_url_is_in_this_matrix():
    assert {p.name for p in coordination_urlpatterns} == set(COORDINATION_URLS)


@pytest.fixture
def world(db):
    journey = submitted_journey(journey_type(), deliver=False)
    permit = journey.steps.get(step_type__key="parallel-1")
    handoff = Handoff.objects.filter(step__journey=journey).first()
    subscription = paused(make_subscription())
    delivery = Delivery.objects.create(
        subscription=subscription,
        event=journey.events.get(kind="submitted"),
        journey=journey,
        webhook_id="msg_access",
        created_at=journey.submitted_at,
        next_attempt_at=journey.submitted_at,
    )
    args = {
        "dashboard": [],
        "insight": [],
        "journey": [journey.public_id],
        "escalate": [journey.public_id],
        "remind": [journey.public_id],
        "contact": [journey.public_id],
        "bottlenecks": [],
        "access_log": [],
        "republish": [handoff.pk],
        "webhook_deliveries": [],
        "webhook_send_again": [delivery.pk],
        "webhook_resume": [subscription.public_id],
        "retention": [journey.public_id],
        "legal_hold": [journey.public_id],
        "disposals": [],
    }
    users = {
        "citizen (the applicant)": journey.applicant,
        "caseworker": make_caseworker(permit.unit),
        "unit lead": make_caseworker(permit.unit, lead=True),
        "coordinator": make_coordinator(),
    }
    return args, users


@pytest.mark.parametrize(
    "role", ["anonymous", "citizen (the applicant)", "caseworker", "unit lead", "coordinator"]
)
def test_coordination_urls_answer_each_role(client, world, role):
    args, users = world
    if role != "anonymous":
        client.force_login(users[role])
    for name, method in COORDINATION_URLS.items():
        response = getattr(client, method)(reverse(f"coordination:{name}", args=args[name]))
        if role == "anonymous":
            assert response.status_code == 302 and "/accounts/login/" in response.url, name
        elif role == "coordinator":
            assert response.status_code in (200, 302, 422), (name, response.status_code)
        else:
            assert response.status_code == 404, (role, name, response.status_code)
