"""An external unit's step is in the journey like any other: what its system does through the API
shows on the citizen's tracking page and the coordinator's pages as a caseworker's work would
(who, when, reasons, due date), the actor named by its unit, never by the client's account; and
its members get no e-mail about cases (its system gets the events)."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from journeys.models import OutgoingEmail, Step
from tests.factories import (
    decide,
    deliver_all,
    make_caseworker,
    make_coordinator,
    submitted_journey,
)
from tests.html import parse
from tests.journey_types import journey_type, unit_for
from units.models import Unit

REASONS = "Registered for F-tax and VAT by the Tax Agency system."


@pytest.fixture
def external(db):
    unit = Unit.objects.get_or_create(slug=unit_for("parallel-1"), defaults={"name": "Tax"})[0]
    unit.name = "Tax Agency"
    unit.works_in_own_system = True
    unit.save()
    return unit


@pytest.fixture
def journey(external):
    return submitted_journey(journey_type(parallel=2, chain=1, deadline_days=20))


@pytest.fixture
def system(api_caller, external):
    return api_caller(external)


def _decide_through_the_api(system, step: Step) -> None:
    taken = system.post(f"/api/v1/steps/{step.pk}/take/")
    assert taken.status_code == 200, taken.content
    decided = system.post(
        f"/api/v1/steps/{step.pk}/decision/",
        {"outcome": "approve", "reasons": REASONS},
        headers={"If-Match": taken["ETag"]},
    )
    assert decided.status_code == 200, decided.content


def test_a_decision_through_the_api_shows_on_the_citizens_tracking_page(client, journey, system):
    step = journey.steps.get(step_type__key="parallel-1")
    _decide_through_the_api(system, step)

    client.force_login(journey.applicant)
    html = client.get(reverse("citizens:application_track", args=[journey.public_id])).content
    page = parse(html)
    row = next(r for r in page.find("table").rows() if r[0].startswith("Parallel step 1"))
    assert row[1] == "Tax Agency"  # who handles it
    assert row[2].startswith("Approved")
    assert row[3] == f"Decided {timezone.localdate():%-d %B %Y}"  # when
    assert REASONS in page.find("ol", "portal-timeline").text  # why
    assert system.client.user.username not in html.decode()


def test_the_journal_and_the_coordinator_name_the_unit_not_the_clients_account(
    client, journey, system
):
    step = journey.steps.get(step_type__key="parallel-1")
    _decide_through_the_api(system, step)
    username = system.client.user.username

    client.force_login(make_coordinator())
    for url in (
        reverse("coordination:journey", args=[journey.public_id]),
        reverse("casework:case", args=[step.pk]),
    ):
        html = client.get(url).content.decode()
        assert "Tax Agency (own system)" in html, url
        assert REASONS in html, url
        assert username not in html, url


def test_a_step_taken_by_the_system_shows_in_the_units_queue_as_the_units(
    client, journey, system, external
):
    step = journey.steps.get(step_type__key="parallel-1")
    assert system.post(f"/api/v1/steps/{step.pk}/take/").status_code == 200
    client.force_login(make_caseworker(external, lead=True))
    for url in (reverse("casework:queue"), reverse("casework:workload")):
        html = client.get(url).content.decode()
        assert "Tax Agency (own system)" in html, url
        assert system.client.user.username not in html, url


def test_the_applicant_sees_the_systems_request_for_information_and_its_due_date(
    client, journey, system
):
    step = journey.steps.get(step_type__key="parallel-1")
    taken = system.post(f"/api/v1/steps/{step.pk}/take/")
    due = timezone.localdate() + dt.timedelta(days=14)
    asked = system.post(
        f"/api/v1/steps/{step.pk}/information-requests/",
        {"items": ["The company's articles of association"], "due_date": due.isoformat()},
        headers={"If-Match": taken["ETag"]},
    )
    assert asked.status_code == 201, asked.content

    client.force_login(journey.applicant)
    html = client.get(reverse("citizens:application_track", args=[journey.public_id])).content
    text = parse(html).text
    assert "Tax Agency needs more information from you" in text
    assert "The company's articles of association" in text
    assert f"answer by {due:%-d %B %Y}" in text


def test_the_external_units_members_get_no_email_about_its_cases(journey, external):
    """Queued (and, after a rejection elsewhere, cancelled): the other unit's members are told,
    the external unit's are not."""
    ours = journey.steps.get(step_type__key="parallel-1")
    theirs = journey.steps.get(step_type__key="parallel-2")
    make_caseworker(external)
    make_caseworker(theirs.unit)
    queued = OutgoingEmail.objects.filter(kind=OutgoingEmail.Kind.STEP_QUEUED)
    assert set(queued.values_list("step", flat=True)) == {theirs.pk}

    decide(theirs, "reject")
    deliver_all()
    ours.refresh_from_db()
    assert ours.status == Step.Status.CANCELLED
    assert not OutgoingEmail.objects.filter(step=ours).exists()
