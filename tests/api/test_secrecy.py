"""Through the API, an item one unit marked as secret reaches no other unit's system: not in a
journey's answers or documents, not as a download, not in a list, the change feed or a webhook
event; its marking's journal events keep their message from it. The marking unit's own system
sees the item with its ground."""

import json

import pytest

from api.events import cloud_event_body, published_events
from journeys.models import JourneyEvent
from tests.factories import mark_secret
from tests.journey_types import TRAIL_ANSWERS
from tests.webhooks.factories import make_subscription
from units.models import Unit
from webhooks.models import Delivery

EMAIL = TRAIL_ANSWERS["contact_email"]
NAME = "medical-certificate.pdf"


@pytest.fixture
def world(two_units, api_caller):
    """The two units' journey with a certificate attached to both steps; the first unit marks
    the certificate and the contact e-mail (which both units' steps need) as secret."""
    from tests.api.conftest import add_document

    certificate = add_document(two_units.journey, two_units.own, NAME)
    certificate.steps.add(two_units.other)
    other_caller = api_caller(Unit.objects.get(pk=two_units.other.unit_id))
    subscription = make_subscription(other_caller.client)
    coordination = api_caller()
    mark_secret(two_units.own, field_key="contact_email", ground=(21, 3))
    mark_secret(two_units.own, document=certificate, ground=(21, 1))
    return two_units, certificate, other_caller, coordination, subscription


def everything_read(caller, world) -> str:
    """Every GET the caller may make about the journey, as one text."""
    journey = world.journey.public_id
    paths = [
        "/api/v1/journeys/",
        f"/api/v1/journeys/{journey}/",
        f"/api/v1/journeys/{journey}/documents/",
        f"/api/v1/journeys/{journey}/events/",
        "/api/v1/steps/",
        f"/api/v1/steps/{world.other.pk}/",
        f"/api/v1/steps/{world.other.pk}/messages/",
        "/api/v1/feed/",
    ]
    texts = []
    for path in paths:
        response = caller.get(path)
        assert response.status_code in (200, 404), (path, response.status_code)
        texts.append(response.content.decode())
    return "\n".join(texts)


def test_another_units_system_never_receives_a_marked_item(world):
    units, certificate, other_caller, _coordination, _subscription = world
    read = everything_read(other_caller, units)
    assert EMAIL not in read and NAME not in read and "OSL 21" not in read
    response = other_caller.get(f"/api/v1/documents/{certificate.pk}/content/")
    assert response.status_code == 404
    detail = other_caller.get(f"/api/v1/journeys/{units.journey.public_id}/").json()
    assert "contact_email" not in detail["answers"] and detail["secret_answers"] == {}
    assert detail["answers"]["applicant_name"] == TRAIL_ANSWERS["applicant_name"]


def test_a_coordination_system_never_receives_a_marked_item(world):
    units, certificate, _other, coordination, _subscription = world
    read = everything_read(coordination, units)
    assert EMAIL not in read and NAME not in read
    assert coordination.get(f"/api/v1/documents/{certificate.pk}/content/").status_code == 404


def test_the_marking_events_are_withheld_in_another_units_log(world):
    units, _certificate, other_caller, _coordination, _subscription = world
    events = other_caller.get(f"/api/v1/journeys/{units.journey.public_id}/events/").json()
    marked = [e for e in events["results"] if e["kind"] == JourneyEvent.Kind.SECRECY_MARKED]
    assert len(marked) == 2 and all(e["withheld"] and not e["message"] for e in marked)


def test_no_webhook_event_or_feed_entry_carries_a_marked_item(world):
    units, *_rest, subscription = world
    assert not Delivery.objects.filter(event__kind__in=JourneyEvent.SECRECY_KINDS).exists()
    bodies = [cloud_event_body(event) for event in published_events().filter(journey=units.journey)]
    assert bodies and not any(EMAIL.encode() in b or NAME.encode() in b for b in bodies)
    for delivery in Delivery.objects.filter(subscription=subscription):
        assert delivery.event.kind not in JourneyEvent.SECRECY_KINDS


def test_the_marking_units_system_sees_its_marked_items_with_their_ground(world):
    units, certificate, *_rest = world
    journey = units.journey.public_id
    detail = units.caller.get(f"/api/v1/journeys/{journey}/").json()
    assert detail["answers"]["contact_email"] == EMAIL
    assert detail["secret_answers"] == {"contact_email": "OSL 21:3"}
    documents = units.caller.get(f"/api/v1/journeys/{journey}/documents/").json()["results"]
    secrecy = {d["name"]: d["secrecy"] for d in documents}
    assert secrecy == {"own-plan.pdf": None, NAME: "OSL 21:1"}
    response = units.caller.get(f"/api/v1/documents/{certificate.pk}/content/")
    assert response.status_code == 200
    b"".join(response.streaming_content)
    events = units.caller.get(f"/api/v1/journeys/{journey}/events/").json()["results"]
    marked = [e for e in events if e["kind"] == JourneyEvent.Kind.SECRECY_MARKED]
    assert all("OSL 21" in e["message"] and not e["withheld"] for e in marked)
    assert json.dumps(marked).count(NAME) == 1


def test_reads_cost_the_same_with_more_marked_items(two_units, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.api.conftest import add_document
    from tests.factories import make_caseworker

    units = two_units
    caseworker = make_caseworker(Unit.objects.get(pk=units.own.unit_id))
    journey = f"/api/v1/journeys/{units.journey.public_id}/"
    paths = [journey, f"{journey}documents/", f"{journey}events/"]
    mark_secret(units.own, by=caseworker, document=units.own_document)
    counted = {}
    for path in paths:
        with CaptureQueriesContext(connection) as queries:
            assert units.caller.get(path).status_code == 200
        counted[path] = len(queries)
    for n in range(5):
        document = add_document(units.journey, units.own, f"more-{n}.pdf")
        mark_secret(units.own, by=caseworker, document=document)
    mark_secret(units.own, by=caseworker, field_key="contact_email")
    for path in paths:
        with django_assert_max_num_queries(counted[path]):
            assert units.caller.get(path).status_code == 200
