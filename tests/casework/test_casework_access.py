"""Every caseworker URL, requested as every role: the answer its scope allows, 404 outside it."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import get_resolver, reverse
from django.utils import timezone

from casework.urls import urlpatterns as casework_urlpatterns
from journeys import services
from tests.factories import make_caseworker, make_coordinator, make_user, submitted_journey
from tests.journey_types import journey_type

# name -> (method, needs a step)
CASEWORK_URLS = {
    "document": ("get", True),
    "document_add": ("post", True),
    "queue": ("get", False),
    "take_next": ("post", False),
    "workload": ("get", False),
    "case": ("get", True),
    "claim": ("post", True),
    "release": ("post", True),
    "decide": ("post", True),
    "request_information": ("post", True),
    "note": ("post", True),
    "delay": ("post", True),
    "reassign": ("post", True),
    "reopen": ("post", True),
    "send_back": ("post", True),
    "transfer": ("post", True),
    "representative_confirm": ("post", True),
    "consult": ("post", True),
    "message": ("post", True),
    "secrecy_mark": ("post", True),
    "secrecy_remove": ("post", True),
    # A consultation's own address: put by the own unit's step to the other unit.
    "consultation": ("get", "consultation"),
    "consultation_answer": ("post", "consultation"),
}
CONSULTED_ONLY = {"consultation": 404, "consultation_answer": 404}
OWN_UNIT = {name: 200 if method == "get" else "ok" for name, (method, _) in CASEWORK_URLS.items()}
# A private person's journey has no right to represent to confirm (an organisation's is in
# tests/organisations/ and tests/security/test_access_matrix.py).
OWN_UNIT["representative_confirm"] = 404
# What each role gets: a status code, "login" (sent to sign in) or "ok" (200, 302, 409 or 422:
# allowed in, then the form or the case's state decides).
EXPECTED = {
    "anonymous": dict.fromkeys(CASEWORK_URLS, "login"),
    "citizen": dict.fromkeys(CASEWORK_URLS, 404),
    "other_unit_caseworker": {
        **dict.fromkeys(CASEWORK_URLS, 404),
        "queue": 200,
        "take_next": "ok",
        "consultation": 200,
        "consultation_answer": "ok",
    },
    "own_unit_caseworker": {**OWN_UNIT, "workload": 404, "reassign": 404, **CONSULTED_ONLY},
    "unit_lead": {**OWN_UNIT, **CONSULTED_ONLY},
    # A coordinator reads the case, not the applicant's documents (journeys/disclosure.py).
    "coordinator": {**dict.fromkeys(CASEWORK_URLS, 404), "case": 200},
}


def test_every_casework_url_is_in_this_matrix():
    names = {p.name for p in casework_urlpatterns}
    assert names == set(CASEWORK_URLS)
    assert get_resolver().namespace_dict["casework"]


@pytest.fixture
def people(db):
    journey = submitted_journey(journey_type(), make_user("applicant"))
    step = journey.steps.get(step_type__key="parallel-1")
    other_unit = journey.steps.get(step_type__key="parallel-2").unit
    document = services.document_add(
        journey=journey,
        by=journey.applicant,
        upload=SimpleUploadedFile("plan.pdf", b"%PDF-1.7\n%%EOF\n"),
        steps=[step],
        now=timezone.now(),
    )
    asker = make_caseworker(step.unit)
    step = services.step_claim(step=step, by=asker, now=timezone.now())
    consultation = services.consultation_request(
        step=step,
        by=asker,
        unit=other_unit,
        question="An opinion, please.",
        due_date=timezone.localdate(),
        now=timezone.now(),
    )
    return (
        step,
        document,
        consultation,
        {
            "anonymous": None,
            "citizen": journey.applicant,
            "other_unit_caseworker": make_caseworker(other_unit),
            "own_unit_caseworker": make_caseworker(step.unit),
            "unit_lead": make_caseworker(step.unit, lead=True),
            "coordinator": make_coordinator(),
        },
    )


@pytest.mark.parametrize("role", list(EXPECTED))
def test_casework_urls_answer_each_role_within_its_scope(client, people, role):
    step, document, consultation, users = people
    if users[role]:
        client.force_login(users[role])
    for name, (method, needs_step) in CASEWORK_URLS.items():
        args = [step.pk] if needs_step else []
        if needs_step == "consultation":
            args = [consultation.pk]
        if name == "document":
            args.append(document.pk)
        url = reverse(f"casework:{name}", args=args)
        response = getattr(client, method)(
            url, {"version": step.version} if method == "post" else {}
        )
        expected = EXPECTED[role][name]
        if expected == "login":
            assert response.status_code == 302 and response.url.startswith(reverse("login")), name
        elif expected == "ok":
            assert response.status_code in (200, 302, 409, 422), (name, response.status_code)
        else:
            assert response.status_code == expected, (name, response.status_code)
