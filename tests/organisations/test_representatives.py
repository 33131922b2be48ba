"""Applying for an organisation: the journey records the organisation and who applied; the
organisation's other representatives see and continue its journeys once their right is
recorded (the companies register, an invitation, a caseworker); anyone else sees nothing."""

import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from journeys import services
from journeys.models import Journey, JourneyEvent
from organisations.models import Representative
from organisations.register import STAND_IN, StandInRegister
from organisations.services import NotARepresentative, representative_invite
from tests.factories import (
    make_caseworker,
    make_person,
    make_user,
    organisation_draft,
    organisation_journey,
)
from tests.html import parse

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
NUMBER = "556016-0680"
ANNA, BERTIL, CECILIA = "19900101-2385", "19850615-2381", "19720304-2382"


@pytest.fixture(autouse=True)
def register(settings, monkeypatch):
    """The stand-in companies register, listing Anna as a signatory of Kaffekoppen AB."""
    settings.SIGNATORY_REGISTER = STAND_IN
    monkeypatch.setattr(StandInRegister, "COMPANIES", {NUMBER: ("Kaffekoppen AB", {ANNA})})


def _right(user, number=NUMBER) -> Representative | None:
    return Representative.objects.filter(
        organisation__number=number, personal_identity_number=user.person.personal_identity_number
    ).first()


def test_a_signatory_in_the_register_is_recorded_at_once(cafe):
    anna = make_person(ANNA, "Anna", "Andersson")
    draft = organisation_draft(cafe, anna, number=NUMBER, name="Whatever the applicant typed")
    assert draft.applying_as == Journey.ApplyingAs.ORGANISATION
    assert draft.organisation.name == "Kaffekoppen AB"  # the register's name
    assert draft.data["org_number"] == NUMBER  # asked once: the question is answered
    right = _right(anna)
    assert right.basis == Representative.Basis.REGISTER and right.is_recorded
    assert right.name == "Anna Andersson"


def test_someone_the_register_does_not_list_only_claims_the_right(cafe):
    anna = make_person(ANNA)
    recorded = organisation_journey(cafe, anna, number=NUMBER, name="Kaffekoppen AB")
    bertil = make_person(BERTIL)
    claimed = organisation_journey(cafe, bertil, number=NUMBER, name="Kaffekoppen AB")
    assert not _right(bertil).is_recorded
    # Bertil follows his own application, not the organisation's others.
    assert set(Journey.objects.acting_for(bertil)) == {claimed}
    # Anna, who represents the organisation, sees both.
    assert set(Journey.objects.acting_for(anna)) == {recorded, claimed}
    assert set(Journey.objects.visible_to(anna)) == {recorded, claimed}


def test_a_representative_invites_another_who_then_sees_and_continues(client, cafe):
    anna = make_person(ANNA)
    journey = organisation_journey(cafe, anna, number=NUMBER, name="Kaffekoppen AB")
    client.force_login(anna)
    page = reverse("citizens:organisation", args=[journey.organisation.public_id])
    response = client.post(
        reverse("citizens:representative_invite", args=[journey.organisation.public_id]),
        {"number": "198506152381", "name": "Bertil Berg"},
    )
    assert response.status_code == 302 and response.url == page
    # Bertil signs in with e-ID for the first time after the invitation.
    bertil = make_person(BERTIL, "Bertil", "Berg")
    assert _right(bertil).basis == Representative.Basis.INVITATION
    assert _right(bertil).recorded_by == anna
    client.force_login(bertil)
    assert (
        client.get(reverse("citizens:application_track", args=[journey.public_id])).status_code
        == 200
    )
    listing = parse(client.get(reverse("citizens:applications")).content)
    assert journey.reference in listing.text
    assert listing.find("a", href=page).text == "Kaffekoppen AB"
    draft = organisation_draft(cafe, anna, number=NUMBER, name="Kaffekoppen AB")
    question = reverse("citizens:application_question", args=[draft.public_id, "company_name"])
    assert client.post(question, {"company_name": "Kaffekoppen AB"}).status_code == 302
    draft.refresh_from_db()
    assert draft.data["company_name"] == "Kaffekoppen AB"


def test_an_invitation_needs_a_recorded_right_of_ones_own(client, cafe):
    anna = make_person(ANNA)
    journey = organisation_journey(cafe, anna, number=NUMBER, name="Kaffekoppen AB")
    bertil = make_person(BERTIL)
    organisation_draft(cafe, bertil, number=NUMBER, name="Kaffekoppen AB")  # claimed only
    with pytest.raises(NotARepresentative):
        representative_invite(
            organisation=journey.organisation,
            by=bertil,
            number=CECILIA,
            name="Cecilia",
            now=timezone.now(),
        )
    client.force_login(bertil)
    url = reverse("citizens:representative_invite", args=[journey.organisation.public_id])
    assert client.post(url, {"number": CECILIA, "name": "Cecilia"}).status_code == 404
    assert (
        client.get(
            reverse("citizens:organisation", args=[journey.organisation.public_id])
        ).status_code
        == 404
    )


def test_a_caseworker_whose_step_sees_the_organisation_confirms_a_claim(client, cafe, units):
    bertil = make_person(BERTIL, "Bertil", "Berg")
    journey = organisation_journey(cafe, bertil, number=NUMBER, name="Kaffekoppen AB")
    tax = journey.steps.get(step_type__key="company-registration")
    planning = journey.steps.get(step_type__key="building-permit")
    # The building permit's unit does not see the organisation number, so it cannot confirm.
    client.force_login(make_caseworker(planning.unit))
    case = client.get(reverse("casework:case", args=[planning.pk])).content.decode()
    assert NUMBER not in case and "Confirm the right to represent" not in case
    assert (
        client.post(reverse("casework:representative_confirm", args=[planning.pk])).status_code
        == 404
    )
    client.force_login(make_caseworker(tax.unit))
    case = parse(client.get(reverse("casework:case", args=[tax.pk])).content)
    details = case.find("section", id="applicant-details").text
    assert "Kaffekoppen AB (556016-0680)" in details
    assert "Not confirmed yet" in details
    response = client.post(reverse("casework:representative_confirm", args=[tax.pk]))
    assert response.status_code == 302
    right = _right(bertil)
    assert right.basis == Representative.Basis.CASEWORKER and right.is_recorded
    event = journey.events.get(kind=JourneyEvent.Kind.REPRESENTATIVE_RECORDED)
    assert event.step == tax and "Bertil Berg" in event.message
    # Once recorded, Bertil sees the organisation's other journeys too.
    anna = make_person(ANNA)
    other = organisation_journey(cafe, anna, number=NUMBER, name="Kaffekoppen AB")
    assert other in Journey.objects.acting_for(bertil)
    # Confirming again finds nothing to confirm.
    assert client.post(reverse("casework:representative_confirm", args=[tax.pk])).status_code == 404


def test_the_applicant_chooses_private_person_or_organisation(client, cafe):
    anna = make_person(ANNA, "Anna", "Andersson")
    client.force_login(anna)
    started = client.post(reverse("citizens:application_start", args=["open-a-cafe"]))
    draft = Journey.objects.get()
    resume = client.get(started.url)
    applicant_page = reverse("citizens:application_applicant", args=[draft.public_id])
    assert resume.url == applicant_page
    page = parse(client.get(applicant_page).content)
    assert page.find("h1").text == "Who is the application for?"
    missing = client.post(applicant_page, {})
    assert "Select who the application is for" in missing.content.decode()
    chose = client.post(applicant_page, {"applying_as": "organisation"})
    organisation_page = reverse("citizens:application_organisation", args=[draft.public_id])
    assert chose.url == organisation_page
    wrong = client.post(organisation_page, {"number": "556016-0681", "name": "Kaffekoppen AB"})
    assert "the last digit does not match" in wrong.content.decode()
    done = client.post(organisation_page, {"number": "5560160680", "name": "Kaffekoppen AB"})
    assert client.get(done.url).url == reverse(
        "citizens:application_question", args=[draft.public_id, "company_name"]
    )
    draft.refresh_from_db()
    assert draft.organisation.number == NUMBER and draft.applicant == anna
    check = client.get(reverse("citizens:application_check", args=[draft.public_id]))
    text = parse(check.content).find("main").text
    assert "Kaffekoppen AB (556016-0680)" in text
    assert "Anna Andersson, 19900101-****" in text
    # Changing to a private person drops the organisation.
    client.post(applicant_page + "?change=1", {"applying_as": "person"})
    draft.refresh_from_db()
    assert draft.applying_as == Journey.ApplyingAs.PERSON and draft.organisation is None


def test_an_account_without_e_id_cannot_apply_for_an_organisation(client, cafe):
    local = make_user("local")
    client.force_login(local)
    draft = services.journey_start(journey_type=cafe, applicant=local, now=timezone.now())
    url = reverse("citizens:application_organisation", args=[draft.public_id])
    response = client.post(url, {"number": NUMBER, "name": "Kaffekoppen AB"})
    assert response.status_code == 200
    assert "sign in with e-ID" in response.content.decode()
    draft.refresh_from_db()
    assert draft.organisation is None


def test_the_stand_in_register_is_refused_in_production_settings():
    """It answers from made-up data: settings with DEBUG off will not start with it."""
    script = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='portal.settings'; django.setup()"
    )
    env = {"PATH": "/usr/bin:/bin", "DEBUG": "0", "SECRET_KEY": "x", "SIGNATORY_REGISTER": STAND_IN}
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "for tests and development only" in result.stderr
    env["DEBUG"] = "1"
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**env, "PORTAL_VAR_DIR": "/tmp"},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
