"""A citizen finds a service, enters the data once, checks it, submits and tracks every step."""

import pytest
from django.urls import reverse

from journeys.models import Journey
from tests.factories import make_user

ANSWERS = {
    "company_name": "Kaffekoppen AB",
    "org_number": "556016-0680",
    "contact_name": "Anna Andersson",
    "contact_email": "anna@example.org",
    "contact_phone": "070-123 45 67",
    "premises_address": "Storgatan 1",
    "opening_date": "2027-03-15",
    "serves_alcohol": "yes",
    "outdoor_seating": "no",
    "uses_lpg": "no",
}


@pytest.fixture
def citizen(client, db):
    user = make_user("anna")
    client.force_login(user)
    return user


@pytest.fixture
def draft(client, citizen, cafe):
    client.post(reverse("citizens:application_start", args=["open-a-cafe"]))
    return Journey.objects.get(applicant=citizen)


def test_signing_up_logs_the_citizen_in(client, cafe):
    response = client.post(
        reverse("citizens:signup"),
        {
            "username": "newcomer",
            "email": "new@example.org",
            "password1": "a-long-enough-passphrase",
            "password2": "a-long-enough-passphrase",
        },
    )
    assert response.status_code == 302
    assert client.get(reverse("citizens:applications")).status_code == 200


def test_the_start_page_lists_steps_units_cost_and_documents(client, cafe):
    page = client.get(reverse("citizens:service_start", args=["open-a-cafe"])).content.decode()
    for text in (
        "Register the food business",
        "Urban Planning",
        "14000 to 45000 SEK",
        "Floor plan",
    ):
        assert text in page
    assert "Sign in to start" in page


def test_the_details_page_asks_each_field_once(client, draft):
    page = client.get(reverse("citizens:application_details", args=[draft.public_id]))
    html = page.content.decode()
    for field in draft.journey_type.fields:
        assert html.count(f'name="{field["key"]}"') == (2 if field["kind"] == "yesno" else 1)


def test_a_failed_submit_keeps_every_value_and_explains_what_to_do(client, draft):
    url = reverse("citizens:application_details", args=[draft.public_id])
    response = client.post(url, {**ANSWERS, "org_number": "556016-0681", "contact_name": ""})
    html = response.content.decode()
    assert response.status_code == 200
    assert "<title>Error: " in html
    assert "There is a problem" in html
    assert "Check the organisation number: the last digit does not match" in html
    assert "Enter contact person" in html
    assert 'href="#id_contact_name"' in html
    assert 'value="Kaffekoppen AB"' in html and 'value="556016-0681"' in html
    for banned in ("invalid", "This field is required", "please", "sorry"):
        assert banned not in html.lower().replace("aria-invalid", "")
    draft.refresh_from_db()
    assert draft.data == {}


def test_check_answers_then_submit_gives_a_reference_and_a_tracking_page(client, draft):
    client.post(reverse("citizens:application_details", args=[draft.public_id]), ANSWERS)
    check = client.get(reverse("citizens:application_check", args=[draft.public_id]))
    html = check.content.decode()
    assert "Kaffekoppen AB" in html and "Change" in html
    assert "Accept and send application" in html
    assert "Outdoor seating" not in html  # answered no: not part of this journey

    response = client.post(reverse("citizens:application_check", args=[draft.public_id]))
    assert response.url == reverse("citizens:application_confirmation", args=[draft.public_id])
    draft.refresh_from_db()
    confirmation = client.get(response.url).content.decode()
    assert draft.reference in confirmation
    assert draft.reference.startswith("CAFE-")

    track = client.get(reverse("citizens:application_track", args=[draft.public_id]))
    html = track.content.decode()
    assert "Register the food business" in html and "Environment Health" in html
    assert "Cannot start yet" in html
    assert "Starts when this is approved: Building permit for change of use and signs" in html


def test_the_tracking_page_refreshes_its_progress_region_for_htmx(client, draft):
    client.post(reverse("citizens:application_details", args=[draft.public_id]), ANSWERS)
    client.post(reverse("citizens:application_check", args=[draft.public_id]))
    url = reverse("citizens:application_track", args=[draft.public_id])
    partial = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert partial.lstrip().startswith('<div id="progress"')
    assert "<html" not in partial


def test_a_submitted_application_cannot_be_edited(client, draft):
    client.post(reverse("citizens:application_details", args=[draft.public_id]), ANSWERS)
    client.post(reverse("citizens:application_check", args=[draft.public_id]))
    url = reverse("citizens:application_details", args=[draft.public_id])
    assert client.post(url, {**ANSWERS, "company_name": "Changed"}).status_code == 404
    draft.refresh_from_db()
    assert draft.data["company_name"] == "Kaffekoppen AB"


def test_submitting_an_incomplete_draft_sends_the_citizen_back_to_complete_it(client, draft):
    response = client.post(reverse("citizens:application_check", args=[draft.public_id]))
    assert response.url == reverse("citizens:application_details", args=[draft.public_id])
    draft.refresh_from_db()
    assert draft.status == Journey.Status.DRAFT and draft.reference is None
