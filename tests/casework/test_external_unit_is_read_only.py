"""A unit that works in its own case system works its steps through the API only: on the portal's
pages its cases are read-only for everyone, and every form's POST is refused with the reason."""

import pytest
from django.urls import reverse
from django.utils import timezone

from journeys import services
from journeys.models import Step
from tests.factories import make_caseworker, make_coordinator, submitted_journey
from tests.html import texts
from tests.journey_types import journey_type

ACTION_BUTTONS = [
    "Take the next case",
    "Take this case",
    "Record the decision",
    "Send the request",
    "Put back in the queue",
    "Reassign",
    "Save the entry",
    "Save the reason",
]
# Every case form, with a body it would accept for an ordinary unit.
CASE_POSTS = {
    "claim": {},
    "release": {},
    "decide": {"outcome": "approve", "reasons": "Fine."},
    "request_information": {"items": "Drawings", "due_date": "2099-01-01"},
    "note": {"kind": "note", "text": "Called the applicant."},
    "delay": {"reason": "Waiting for another agency."},
    "reassign": {},
}


@pytest.fixture
def step(db):
    trail = journey_type(parallel=2, chain=1, deadline_days=70)
    step = submitted_journey(trail).steps.get(step_type__key="parallel-1")
    step.unit.works_in_own_system = True
    step.unit.save(update_fields=["works_in_own_system"])
    return step


@pytest.fixture
def lead(client, step):
    user = make_caseworker(step.unit, lead=True)
    client.force_login(user)
    return user


def _buttons(html: str) -> set[str]:
    return {b for b in ACTION_BUTTONS if f">{b}<" in html}


def test_the_queue_lists_the_cases_with_the_note_and_no_take_next(client, lead, step):
    html = client.get(reverse("casework:queue")).content.decode()
    assert step.journey.reference in html
    assert f"Worked in {step.unit.name}'s own system" in html
    assert _buttons(html) == set()


def test_the_case_page_is_read_only_for_the_units_own_members(client, lead, step):
    response = client.get(reverse("casework:case", args=[step.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "own system" in html
    assert "Parallel step 2" in html  # the whole journey, as for any case
    assert _buttons(html) == set()


def test_the_workload_page_offers_no_reassignment(client, lead, step):
    html = client.get(reverse("casework:workload")).content.decode()
    assert step.journey.reference in html
    assert _buttons(html) == set()
    assert "Reassign to" not in html


def test_take_next_is_refused_with_the_reason_and_takes_nothing(client, lead, step):
    response = client.post(reverse("casework:take_next"), {"unit": step.unit.slug})
    assert response.status_code == 403
    assert "works its cases in its own system" in response.content.decode()
    step.refresh_from_db()
    assert step.status == Step.Status.QUEUED and step.assignee is None


@pytest.mark.parametrize("name", list(CASE_POSTS))
def test_every_case_form_is_refused_and_changes_nothing(client, lead, step, name):
    if name in {"release", "decide", "request_information"}:
        # A step the unit's system has taken through the API (as its account).
        system = make_caseworker(step.unit)
        step = services.step_claim(step=step, by=system, now=timezone.now())
    before = Step.objects.values().get(pk=step.pk)
    events = step.journey.events.count()
    body = {**CASE_POSTS[name], "version": step.version}
    if name == "reassign":
        body["assignee"] = lead.pk
    response = client.post(reverse(f"casework:{name}", args=[step.pk]), body)
    assert response.status_code == 403, name
    html = response.content.decode()
    banners = texts(html, "div", "govuk-notification-banner")
    assert any("works its cases in its own system" in b for b in banners), banners
    assert _buttons(html) == set()
    assert Step.objects.values().get(pk=step.pk) == before
    assert step.journey.events.count() == events


def test_the_refusal_is_in_swedish_for_a_swedish_reader(client, lead, step):
    client.post(reverse("set_language"), {"language": "sv", "next": "/"})
    response = client.post(reverse("casework:claim", args=[step.pk]))
    assert response.status_code == 403
    html = response.content.decode()
    assert "handlägger sina ärenden i sitt eget system" in html
    assert "Handläggs i" in html


def test_reading_stays_as_it_was(client, step):
    """The coordinator reads the case; other units' caseworkers get 404 as for any case; a
    coordinator's POST is still 404, not the refusal (nothing about the unit is revealed)."""
    client.force_login(make_coordinator())
    assert client.get(reverse("casework:case", args=[step.pk])).status_code == 200
    assert client.post(reverse("casework:claim", args=[step.pk])).status_code == 404
    other_unit = step.journey.steps.get(step_type__key="parallel-2").unit
    client.force_login(make_caseworker(other_unit))
    assert client.get(reverse("casework:case", args=[step.pk])).status_code == 404
    assert client.post(reverse("casework:claim", args=[step.pk])).status_code == 404


def test_an_ordinary_units_case_still_offers_its_actions(client, step):
    """The same journey's step in a unit that works in the portal is unaffected."""
    other = step.journey.steps.get(step_type__key="parallel-2")
    client.force_login(make_caseworker(other.unit))
    html = client.get(reverse("casework:case", args=[other.pk])).content.decode()
    assert "Take this case" in html and "own system" not in html
    assert client.post(reverse("casework:claim", args=[other.pk])).status_code == 302
