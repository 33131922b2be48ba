"""A citizen finds a service, answers one question per page, checks, submits and tracks."""
# Keeps the shipped café: its subject is the citizen's way through that service's questions.

import datetime as dt

import pytest
from django.test.html import Element, parse_html
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from journeys.definitions import APPLICANT_IDENTITY_NUMBER
from journeys.models import ApplicantMessage, Journey
from tests.factories import answer_questions, decide, make_user, submitted_journey
from tests.html import parse

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
    """A draft whose applicant has said it is for themselves (the first question)."""
    client.post(reverse("citizens:application_start", args=["open-a-cafe"]))
    journey = Journey.objects.get(applicant=citizen)
    applicant = reverse("citizens:application_applicant", args=[journey.public_id])
    client.post(applicant, {"applying_as": "person"})
    return Journey.objects.get(pk=journey.pk)


def question_url(journey, key):
    return reverse("citizens:application_question", args=[journey.public_id, key])


def submit(client, journey):
    answer_questions(client, journey, ANSWERS)
    client.post(reverse("citizens:application_check", args=[journey.public_id]))
    journey.refresh_from_db()
    return journey


def test_the_start_page_lists_steps_units_stages_cost_and_documents(client, cafe):
    page = client.get(reverse("citizens:service_start", args=["open-a-cafe"])).content.decode()
    for text in (
        "Register the food business",
        "Urban Planning",
        "14,000 to 45,000 SEK",
        "10 to 30 weeks",
        "Floor plan",
        "At the same time:",
        "Other ways to apply",
        "Sign in to start",
    ):
        assert text in page, text


def test_no_applicant_field_is_asked_twice_in_either_journey_type(client, citizen, catalogue):
    for journey_type in catalogue.values():
        keys = [field["key"] for field in journey_type.fields]
        assert len(keys) == len(set(keys)), journey_type.slug
        for step_type in journey_type.steps.all():
            known = {*keys, APPLICANT_IDENTITY_NUMBER}  # from the e-ID, never asked
            assert set(step_type.needs) <= known, step_type.key
        client.post(reverse("citizens:application_start", args=[journey_type.slug]))
        journey = Journey.objects.filter(applicant=citizen).latest("pk")
        asked = []
        for key in keys:
            html = client.get(question_url(journey, key)).content.decode()
            asked += [k for k in keys if parse(html).find_all(name=k)]
        assert sorted(asked) == sorted(keys), journey_type.slug


def test_each_question_page_has_the_label_as_its_heading_a_back_link_and_continue(client, draft):
    page = parse(client.get(question_url(draft, "contact_name")).content)
    label = page.find("h1", "govuk-label-wrapper").find("label", "govuk-label--l")
    assert label.text == "Contact person"
    assert page.control_labelled("Contact person").attrs["name"] == "contact_name"
    assert page.find("title").text.startswith("Contact person – Open a café")
    assert page.find("a", "govuk-back-link").attrs["href"] == question_url(draft, "org_number")
    assert page.find("button", "govuk-button").text == "Continue"
    radio = parse(client.get(question_url(draft, "uses_lpg")).content)
    heading = radio.find("h1", "govuk-fieldset__heading")
    assert heading.text == "Will you use bottled gas (LPG)?" and heading.parent.tag == "legend"


def test_continue_saves_the_draft_and_moves_to_the_next_question(client, draft):
    response = client.post(question_url(draft, "company_name"), {"company_name": "Kaffekoppen"})
    assert response.url == question_url(draft, "org_number")
    draft.refresh_from_db()
    assert draft.data == {"company_name": "Kaffekoppen"}
    resume = client.get(reverse("citizens:application_resume", args=[draft.public_id]))
    assert resume.url == question_url(draft, "org_number")


def test_a_failed_answer_keeps_the_value_and_explains_what_to_do(client, draft):
    response = client.post(question_url(draft, "org_number"), {"org_number": "556016-0681"})
    html = response.content.decode()
    assert response.status_code == 200
    page = parse(html)
    assert page.find("title").text.startswith("Error: ")
    assert "There is a problem" in html
    assert page.find("a", href="#id_org_number")
    assert "Check the organisation number: the last digit does not match" in html
    assert 'value="556016-0681"' in html
    empty = client.post(question_url(draft, "contact_name"), {"contact_name": ""})
    empty = empty.content.decode()
    assert "Enter contact person" in empty
    radio = client.post(question_url(draft, "uses_lpg"), {}).content.decode()
    assert "Select yes or no" in radio and 'href="#id_uses_lpg_0"' in radio
    for page in (html, empty, radio):
        for banned in ("invalid", "this field is required", "please", "sorry"):
            assert banned not in page.lower().replace("aria-invalid", ""), banned
    draft.refresh_from_db()
    assert draft.data == {}


def test_change_links_return_to_check_answers(client, draft):
    answer_questions(client, draft, ANSWERS)
    check = client.get(reverse("citizens:application_check", args=[draft.public_id]))
    change = f"{question_url(draft, 'company_name')}?change=1"
    assert change in check.content.decode()
    assert "Accept and send application" in check.content.decode()
    assert "Outdoor seating" not in check.content.decode()  # answered no: not applied for
    response = client.post(change, {"company_name": "Bönan AB"})
    assert response.url == reverse("citizens:application_check", args=[draft.public_id])


def test_submitting_gives_a_reference_a_receipt_and_a_tracking_page(client, draft):
    journey = submit(client, draft)
    assert journey.reference.startswith("CAFE-")
    confirmation = client.get(
        reverse("citizens:application_confirmation", args=[journey.public_id])
    ).content.decode()
    for text in (
        journey.reference,
        "What happens next",
        "20 working days after it starts",
        "coordinator@example.org",
        "Follow your application",
        "Print your receipt",
    ):
        assert text in confirmation, text

    track = client.get(reverse("citizens:application_track", args=[journey.public_id]))
    html = track.content.decode()
    assert "Register the food business" in html and "Environment &amp; Health Protection" in html
    assert "Cannot start yet" in html
    assert "Starts when this is approved: Building permit for change of use and signs" in html
    assert "1,000 SEK" in html

    (receipt,) = ApplicantMessage.objects.filter(journey=journey)
    assert journey.reference in receipt.subject
    assert "appeal" in receipt.body and "20 working days" in receipt.body
    messages = client.get(reverse("citizens:messages")).content.decode()
    assert receipt.subject in messages


def test_the_tracking_page_refreshes_its_progress_region_for_htmx(client, draft):
    journey = submit(client, draft)
    url = reverse("citizens:application_track", args=[journey.public_id])
    partial = client.get(url, headers={"HX-Request": "true"}).content.decode()
    fragment = parse(partial)
    assert [(e.tag, e.attrs.get("id")) for e in fragment.elements] == [("div", "progress")]
    assert not fragment.find_all("html")


def _elements(node, name: str):
    for child in node.children:
        if isinstance(child, Element):
            if child.name == name:
                yield child
            yield from _elements(child, name)


def _text(node) -> str:
    return " ".join(c if isinstance(c, str) else _text(c) for c in node.children).strip()


def _decision_cells(html: str) -> dict[str, Element]:
    """The steps table's "Decision" cell of each step, by the step's name."""
    (table,) = (t for t in _elements(parse_html(html), "table") if "Steps" in _text(t))
    headings = [_text(th) for th in _elements(next(_elements(table, "thead")), "th")]
    column = headings.index("Decision")
    cells = {}
    for row in _elements(next(_elements(table, "tbody")), "tr"):
        row_cells = [c for c in row.children if isinstance(c, Element)]
        name = next(c for c in row_cells[0].children if isinstance(c, str)).strip()
        cells[name] = row_cells[column]
    return cells


def test_the_tracking_page_dates_a_decided_step_by_its_decision_and_an_open_one_by_its_due_date(
    client, citizen, cafe
):
    now = timezone.now()
    journey = submitted_journey(cafe, citizen, now=now - dt.timedelta(days=5))
    registration = decide(
        journey.steps.get(step_type__key="company-registration"), now=now - dt.timedelta(days=2)
    )
    permit = journey.steps.get(step_type__key="building-permit")
    url = reverse("citizens:application_track", args=[journey.public_id])
    cells = _decision_cells(client.get(url).content.decode())

    # A decision is a moment; an expected date only a day (to the second, one expected
    # "today" would read otherwise at every request, and so would the page's validator).
    for step, said, date, machine in (
        (registration, "Decided", registration.decided_at, lambda day: day.isoformat()),
        (permit, "Expected by", permit.due_at, lambda day: day.date().isoformat()),
    ):
        cell = cells[step.step_type.name]
        (time,) = _elements(cell, "time")
        day = timezone.localtime(date)
        assert _text(cell) == f"{said} {date_format(day, 'j F Y')}", step
        assert dict(time.attributes)["datetime"] == machine(day.replace(microsecond=0))
    assert registration.decided_at.date() != registration.due_at.date()


def test_a_submitted_application_cannot_be_edited(client, draft):
    journey = submit(client, draft)
    response = client.post(question_url(journey, "company_name"), {"company_name": "Changed"})
    assert response.status_code == 404
    journey.refresh_from_db()
    assert journey.data["company_name"] == "Kaffekoppen AB"


def test_submitting_an_incomplete_draft_sends_the_citizen_back_to_complete_it(client, draft):
    response = client.post(reverse("citizens:application_check", args=[draft.public_id]))
    assert response.url == reverse("citizens:application_resume", args=[draft.public_id])
    draft.refresh_from_db()
    assert draft.status == Journey.Status.DRAFT and draft.reference is None
