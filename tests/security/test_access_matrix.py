"""Every URL pattern of the project, requested as every role: the answer its scope allows.

The journey is an organisation's: its applicant applied for it without being listed as a
signatory (a claimed right), another person represents it on the companies register's word, and
a third claimed the same organisation in an application of their own (a claim is not a right).

A new URL pattern without a row here fails `test_every_url_pattern_is_in_the_matrix`."""
# Keeps the café world (every URL as every role); converting it is left for later.

import datetime as dt
import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import get_resolver, reverse
from django.utils import timezone

from accounts.tokens import signup_token_make
from journeys import services
from journeys.models import Handoff, Journey
from organisations.register import STAND_IN, StandInRegister
from payments.services import payment_file_import
from tests.factories import (
    CAFE_ANSWERS,
    make_caseworker,
    make_coordinator,
    make_person,
    make_user,
    mark_secret,
    organisation_draft,
    organisation_journey,
)
from tests.payments.bgmax_files import bgmax_file
from tests.payments.factories import make_finance
from tests.webhooks.factories import make_subscription, paused
from webhooks.models import Delivery

ROLES = [
    "anonymous",
    "citizen_own",
    "citizen_other",
    "representative",
    "claimant",
    "caseworker_own_unit",
    "caseworker_other_unit",
    "unit_lead",
    "coordinator",
    "administrator",
    "finance",
]
OK, LOGIN = "ok", "login"
EVERYONE = dict.fromkeys(ROLES, OK)
SIGNED_IN = {**EVERYONE, "anonymous": LOGIN}
OWNER_ONLY = {**dict.fromkeys(ROLES, 404), "anonymous": LOGIN, "citizen_own": OK}
# The applicant and the organisation's recorded representatives act on its journeys.
ACTING = {**OWNER_ONLY, "representative": OK}
REPRESENTATIVES = {**dict.fromkeys(ROLES, 404), "anonymous": LOGIN, "representative": OK}
COORDINATORS = {**dict.fromkeys(ROLES, 404), "anonymous": LOGIN}
COORDINATORS |= {"coordinator": OK, "administrator": OK}
UNIT = {**dict.fromkeys(ROLES, 404), "anonymous": LOGIN}
UNIT |= {"caseworker_own_unit": OK, "unit_lead": OK}
UNIT_READ = {**UNIT, "coordinator": OK, "administrator": OK}
ANY_UNIT = {**UNIT, "caseworker_other_unit": OK}
LEAD = {**UNIT, "caseworker_own_unit": 404}
CONSULTED = {**dict.fromkeys(ROLES, 404), "anonymous": LOGIN, "caseworker_other_unit": OK}
# Only a unit that sees the organisation's number (here the Tax Agency's step) confirms a right.
ORGANISATION_UNIT = {**dict.fromkeys(ROLES, 404), "anonymous": LOGIN}
ORGANISATION_UNIT |= {"caseworker_other_unit": OK}
# A citizen's own data (citizens.data_export): every citizen's own; staff have none here.
CITIZENS = {**dict.fromkeys(ROLES, 404), "anonymous": LOGIN}
CITIZENS |= dict.fromkeys(["citizen_own", "citizen_other", "representative", "claimant"], OK)
# A unit's finance staff (payments app) import its payment files; they work no cases.
FINANCE = {**dict.fromkeys(ROLES, 404), "anonymous": LOGIN, "finance": OK}
# Prometheus metrics answer only a scraper with the token (tests/test_metrics.py): no role.
SCRAPER_ONLY = dict.fromkeys(ROLES, 404)

# name -> (method, the arguments' names in the world, who gets what)
MATRIX = {
    "home": ("get", [], EVERYONE),
    "health": ("get", [], EVERYONE),
    "metrics": ("get", [], SCRAPER_ONLY),
    "accessibility": ("get", [], EVERYONE),
    "privacy": ("get", [], EVERYONE),
    "contact": ("get", [], EVERYONE),
    "login": ("get", [], EVERYONE),
    "logout": ("post", [], EVERYONE),
    "set_language": ("post", [], EVERYONE),
    "accounts:signup": ("get", [], EVERYONE),
    "accounts:signup_sent": ("get", [], EVERYONE),
    "accounts:signup_confirm": ("get", ["signup_token"], EVERYONE),
    # Without providers (the embedded default) there is nobody to send anyone to: 404.
    "accounts:eid_start": ("post", [], dict.fromkeys(ROLES, 404)),
    "accounts:eid_callback": ("get", [], dict.fromkeys(ROLES, 404)),
    "accounts:staff_start": ("post", [], dict.fromkeys(ROLES, 404)),
    "accounts:staff_callback": ("get", [], dict.fromkeys(ROLES, 404)),
    "citizens:services": ("get", [], EVERYONE),
    "citizens:service_start": ("get", ["slug"], EVERYONE),
    "citizens:application_start": ("post", ["slug"], SIGNED_IN),
    "citizens:applications": ("get", [], SIGNED_IN),
    "citizens:messages": ("get", [], SIGNED_IN),
    "citizens:own_data": ("get", [], CITIZENS),
    "citizens:own_data_download": ("post", [], CITIZENS),
    # Everyone signed in asks about their own data only (tests/citizens/test_erasure_page.py).
    "citizens:erasure": ("get", [], SIGNED_IN),
    "citizens:application_track": ("get", ["journey"], ACTING),
    "citizens:application_resume": ("get", ["draft"], ACTING),
    "citizens:application_question": ("get", ["draft", "question"], ACTING),
    "citizens:answer_change": ("get", ["journey", "question"], ACTING),
    "citizens:application_withdraw": ("get", ["journey"], ACTING),
    "citizens:application_check": ("get", ["draft"], ACTING),
    "citizens:application_confirmation": ("get", ["journey"], ACTING),
    "citizens:information_answer": ("post", ["journey", "request"], ACTING),
    "citizens:document": ("get", ["journey", "document"], ACTING),
    "citizens:conversation": ("get", ["journey", "step"], ACTING),
    "citizens:decision_request": ("post", ["journey", "step"], ACTING),
    "citizens:receipt": ("get", ["journey"], ACTING),
    "citizens:decision_letter": ("get", ["journey", "decided_step"], ACTING),
    "citizens:application_applicant": ("get", ["draft"], ACTING),
    "citizens:application_organisation": ("get", ["draft"], ACTING),
    "citizens:organisation": ("get", ["organisation"], REPRESENTATIVES),
    "citizens:representative_invite": ("post", ["organisation"], REPRESENTATIVES),
    "casework:queue": ("get", [], ANY_UNIT),
    "casework:take_next": ("post", [], ANY_UNIT),
    "casework:workload": ("get", [], LEAD),
    "casework:case": ("get", ["step"], UNIT_READ),
    "casework:document": ("get", ["step", "document"], UNIT),
    "casework:document_add": ("post", ["step"], UNIT),
    "casework:claim": ("post", ["step"], UNIT),
    "casework:release": ("post", ["step"], UNIT),
    "casework:decide": ("post", ["step"], UNIT),
    "casework:request_information": ("post", ["step"], UNIT),
    "casework:note": ("post", ["step"], UNIT),
    "casework:delay": ("post", ["step"], UNIT),
    "casework:reassign": ("post", ["step"], LEAD),
    "casework:reopen": ("post", ["step"], UNIT),
    "casework:send_back": ("post", ["step"], UNIT),
    "casework:transfer": ("post", ["step"], UNIT),
    "casework:consult": ("post", ["step"], UNIT),
    "casework:message": ("post", ["step"], UNIT),
    # Secrecy markings: the members of the unit whose case it is (not a coordinator).
    "casework:secrecy_mark": ("post", ["step"], UNIT),
    "casework:secrecy_remove": ("post", ["step"], UNIT),
    # Put to the other unit by the own unit's step: only the consulted unit reads and answers it.
    "casework:consultation": ("get", ["consultation"], CONSULTED),
    "casework:consultation_answer": ("post", ["consultation"], CONSULTED),
    "casework:representative_confirm": ("post", ["org_step"], ORGANISATION_UNIT),
    "coordination:dashboard": ("get", [], COORDINATORS),
    "coordination:insight": ("get", [], COORDINATORS),
    "coordination:journey": ("get", ["journey"], COORDINATORS),
    "coordination:escalate": ("post", ["journey"], COORDINATORS),
    "coordination:remind": ("post", ["journey"], COORDINATORS),
    "coordination:contact": ("post", ["journey"], COORDINATORS),
    "coordination:bottlenecks": ("get", [], COORDINATORS),
    "coordination:access_log": ("get", [], COORDINATORS),
    "coordination:retention": ("get", ["journey"], COORDINATORS),
    "coordination:legal_hold": ("post", ["journey"], COORDINATORS),
    "coordination:disposals": ("get", [], COORDINATORS),
    "coordination:republish": ("post", ["handoff"], COORDINATORS),
    "coordination:webhook_deliveries": ("get", [], COORDINATORS),
    "coordination:webhook_send_again": ("post", ["delivery"], COORDINATORS),
    "coordination:webhook_resume": ("post", ["subscription"], COORDINATORS),
    # The café is the coordinators' journey: they (no unit's lead) make its public-access copy.
    "records:public_copy": ("get", ["journey"], COORDINATORS),
    "records:public_copy_download": ("get", ["journey"], COORDINATORS),
    "payments:files": ("get", [], FINANCE),
    "payments:file": ("get", ["payment_file"], FINANCE),
}
# With e-ID and staff single sign-on configured: local sign-up is closed, the starts send
# everyone to the provider, and a callback without a sign-in this browser started is refused.
WITH_PROVIDERS = {
    "accounts:signup": dict.fromkeys(ROLES, 404),
    "accounts:signup_sent": dict.fromkeys(ROLES, 404),
    "accounts:signup_confirm": dict.fromkeys(ROLES, 404),
    "accounts:eid_start": EVERYONE,
    "accounts:eid_callback": dict.fromkeys(ROLES, 403),
    "accounts:staff_start": EVERYONE,
    "accounts:staff_callback": dict.fromkeys(ROLES, 403),
}
# The Django admin is one unit: staff only, everyone else is sent to its sign-in page.
ADMIN_SAMPLES = ["admin:index", "admin:journeys_journey_changelist", "admin:units_unit_add"]


def url_names(resolver=None, namespace: str = "") -> set[str]:
    names = set()
    for pattern in (resolver or get_resolver()).url_patterns:
        if hasattr(pattern, "url_patterns"):
            if pattern.namespace in ("admin", "api"):
                continue  # the admin below; the API's operations in tests/api/test_api_access.py
            prefix = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            names |= url_names(pattern, prefix)
        else:
            names.add(f"{namespace}{pattern.name}")
    return names


def uncovered() -> set[str]:
    return url_names() - set(MATRIX)


def test_every_url_pattern_is_in_the_matrix():
    assert uncovered() == set()
    assert set(MATRIX) <= url_names()  # no stale rows either


def test_a_new_url_pattern_without_a_row_is_caught(settings):
    settings.ROOT_URLCONF = "tests.security.urls_with_an_extra_pattern"
    from django.urls import clear_url_caches

    clear_url_caches()
    try:
        assert uncovered() == {"forgotten"}
    finally:
        clear_url_caches()


KAFFEKOPPEN = "556016-0680"
REGISTERED_NAME = "Koppen Holding AB"  # not an answer's value: the matrix over fields seeks those
APPLICANT_NUMBER = "19900101-2385"


@pytest.fixture
def world(cafe, settings, monkeypatch):
    settings.SIGNATORY_REGISTER = STAND_IN
    monkeypatch.setattr(
        StandInRegister, "COMPANIES", {KAFFEKOPPEN: (REGISTERED_NAME, {"19850615-2381"})}
    )
    representative = make_person("19850615-2381", "Bertil", "Berg")
    organisation_draft(cafe, representative, number=KAFFEKOPPEN, name="Kaffekoppen AB")
    applicant = make_person(APPLICANT_NUMBER, "Anna", "Andersson")
    journey = organisation_journey(cafe, applicant, number=KAFFEKOPPEN, name="Kaffekoppen AB")
    draft = organisation_draft(cafe, applicant, number=KAFFEKOPPEN, name="Kaffekoppen AB")
    claimant = make_person("19720304-2382", "Cecilia", "Carlsson")
    organisation_draft(cafe, claimant, number=KAFFEKOPPEN, name="Kaffekoppen AB")
    assert journey.organisation.representatives.recorded().get().name == "Bertil Berg"
    step = journey.steps.get(step_type__key="building-permit")
    caseworker = make_caseworker(step.unit)
    claimed = services.step_claim(step=step, by=caseworker, now=timezone.now())
    request = services.information_request_create(
        step=claimed,
        by=caseworker,
        items=["Plan"],
        due_date=timezone.localdate() + dt.timedelta(days=5),
        now=timezone.now(),
        blocks=[],  # the asking step only: the step decided below goes on
    )
    document = services.document_add(
        journey=journey,
        by=applicant,
        upload=SimpleUploadedFile("plan.pdf", b"%PDF-1.7\n%%EOF\n"),
        steps=[step],
        now=timezone.now(),
    )
    services.conversation_message_send(
        step=step, by=applicant, body="Is the plan enough?", now=timezone.now()
    )
    other_unit = journey.steps.get(step_type__key="company-registration").unit
    consultation = services.consultation_request(
        step=claimed,
        by=caseworker,
        unit=other_unit,
        question="Is the company registered?",
        due_date=timezone.localdate() + dt.timedelta(days=5),
        now=timezone.now(),
    )
    # A step decided (one nothing waits for), so it has a decision letter.
    decided = journey.steps.filter(step_type__key__in=["outdoor-seating", "gas-permit"]).first()
    decider = make_caseworker(decided.unit)
    services.step_claim(step=decided, by=decider, now=timezone.now())
    services.step_decide(
        step=decided, by=decider, outcome="approve", reasons="Fine.", now=timezone.now()
    )
    # A system's subscription, paused after failing, with an event waiting for it.
    subscription = paused(make_subscription())
    delivery = Delivery.objects.create(
        subscription=subscription,
        event=journey.events.get(kind="submitted"),
        journey=journey,
        webhook_id="msg_matrix",
        created_at=journey.submitted_at,
        next_attempt_at=journey.submitted_at,
        attempts=13,
    )
    admin = make_user("administrator", is_staff=True, is_superuser=True)
    finance = make_finance(step.unit)
    payment_file = payment_file_import(
        content=bgmax_file(step.unit.bankgiro, [("1234574", 100)]).encode(),
        name="bgmax.txt",
        units=[step.unit],
        by=finance,
        now=timezone.now(),
    )
    args = {
        "slug": "open-a-cafe",
        "journey": journey.public_id,
        "draft": draft.public_id,
        "question": "company_name",
        "request": request.pk,
        "document": document.pk,
        "step": step.pk,
        "decided_step": decided.pk,
        "org_step": journey.steps.get(step_type__key="company-registration").pk,
        "handoff": Handoff.objects.filter(step=step).first().pk,
        "delivery": delivery.pk,
        "subscription": subscription.public_id,
        "signup_token": signup_token_make(username="not-yet", email="not-yet@example.org"),
        "organisation": journey.organisation.public_id,
        "consultation": consultation.pk,
        "payment_file": payment_file.pk,
    }
    users = {
        "anonymous": None,
        "citizen_own": applicant,
        "citizen_other": make_user("someone-else"),
        "representative": representative,
        "claimant": claimant,
        "caseworker_own_unit": caseworker,
        "caseworker_other_unit": make_caseworker(other_unit),
        "unit_lead": make_caseworker(step.unit, lead=True),
        "coordinator": make_coordinator(),
        "administrator": admin,
        "finance": finance,
    }
    return args, users


def check(response, expected, what):
    if expected == LOGIN:
        assert response.status_code == 302 and "/login/" in response.url, what
    elif expected == OK:
        assert response.status_code in (200, 302, 409, 422), (what, response.status_code)
        if response.status_code == 302:
            assert "/login/" not in response.url, what
    else:
        assert response.status_code == expected, (what, response.status_code)


@pytest.fixture(params=["embedded", "providers"])
def matrix(request) -> dict:
    """The matrix as the embedded default answers it, and with the identity providers on."""
    if request.param == "embedded":
        return MATRIX
    request.getfixturevalue("eid")
    return {
        name: (method, args, WITH_PROVIDERS.get(name, expected))
        for name, (method, args, expected) in MATRIX.items()
    }


@pytest.mark.parametrize("role", ROLES)
def test_every_url_answers_each_role_within_its_scope(client, world, role, matrix):
    args, users = world
    if users[role]:
        client.force_login(users[role])
    # Reads first, then actions, so an action cannot hide a read's answer.
    ordered = sorted(matrix.items(), key=lambda item: (item[1][0] != "get", item[0] == "logout"))
    for name, (method, arg_names, expected) in ordered:
        url = reverse(name, args=[args[a] for a in arg_names])
        response = getattr(client, method)(url)
        check(response, expected[role], (role, name))
        if name.endswith("_callback") and users[role]:
            client.force_login(users[role])  # a refused callback ends the session
    if users[role]:
        client.force_login(users[role])
    for name in ADMIN_SAMPLES:
        response = client.get(reverse(name))
        if role == "administrator":
            assert response.status_code == 200, name
        else:
            assert response.status_code == 302 and "/admin/login/" in response.url, (role, name)


def _allowed_fields(role: str, journey) -> set[str]:
    """The answers each role may read anywhere (journeys/disclosure.py)."""
    fields = journey.journey_type.fields
    shared = {f["key"] for f in fields if f.get("shared")}
    needs = {s.step_type.key: set(s.step_type.needs) for s in journey.steps.all()}
    return {
        "anonymous": set(),
        "citizen_own": {f["key"] for f in fields},
        "citizen_other": set(),
        "representative": {f["key"] for f in fields},
        "claimant": set(),
        "caseworker_own_unit": needs["building-permit"] | shared,
        # Consulted on the building permit: sees what that step may see, on the consultation.
        "caseworker_other_unit": needs["company-registration"] | needs["building-permit"] | shared,
        "unit_lead": needs["building-permit"] | shared,
        "coordinator": shared,
        "administrator": shared,
        "finance": set(),
    }[role]


@pytest.mark.parametrize("role", ROLES)
def test_no_page_shows_a_role_an_answer_outside_its_fields(client, world, role):
    """The matrix over fields: every page a role may read, searched for every answer's value,
    and for the applicant's personal identity number: whole for nobody here (the only unit
    whose step needs it has not received the journey yet), masked for the applicant alone."""
    args, users = world
    journey = Journey.objects.get(public_id=args["journey"])
    allowed = _allowed_fields(role, journey)
    if users[role]:
        client.force_login(users[role])
    seen_masked = False
    for name, (method, arg_names, expected) in MATRIX.items():
        if method != "get" or expected[role] != OK:
            continue
        response = client.get(reverse(name, args=[args[a] for a in arg_names]))
        if "text/html" not in response.get("Content-Type", ""):
            continue
        page = response.content.decode()
        for key, value in CAFE_ANSWERS.items():
            if isinstance(value, str) and key not in allowed:
                assert value not in page, (role, name, key)
        assert APPLICANT_NUMBER not in page, (role, name)
        assert APPLICANT_NUMBER[:9] not in page or role == "citizen_own", (role, name)
        seen_masked = seen_masked or f"{APPLICANT_NUMBER[:9]}****" in page
    assert seen_masked == (role == "citizen_own")


# Secrecy: what the building-permit unit marks is seen by that unit and the applicant's side
# (OSL 12 kap. 1 §), by nobody else, on any page, download or copy.
SEES_MARKED = {"citizen_own", "representative", "caseworker_own_unit", "unit_lead"}


@pytest.mark.parametrize("role", ROLES)
def test_a_marked_answer_and_document_reach_no_other_unit_consultation_or_copy(client, world, role):
    """The building-permit unit marks the premises' address (which the Tax Agency, consulted
    on the permit, otherwise reads on the consultation) and a certificate attached to both
    units' steps (which the Tax Agency's case page otherwise lists). Every page, download and
    copy a role may open is searched for both, and the Tax Agency's download of the
    certificate is refused."""
    args, users = world
    journey = Journey.objects.get(public_id=args["journey"])
    step = journey.steps.get(pk=args["step"])
    tax = journey.steps.get(pk=args["org_step"])
    certificate = services.document_add(
        journey=journey,
        by=journey.applicant,
        upload=SimpleUploadedFile("health-certificate.pdf", b"%PDF-1.7\n%%EOF\n"),
        steps=[step, tax],
        now=timezone.now(),
    )
    caseworker = users["caseworker_own_unit"]
    mark_secret(step, by=caseworker, field_key="premises_address", ground=(21, 3))
    mark_secret(step, by=caseworker, document=certificate)
    marked = [CAFE_ANSWERS["premises_address"], "health-certificate"]
    if users[role]:
        client.force_login(users[role])
    urls = [
        reverse(name, args=[args[a] for a in arg_names])
        for name, (method, arg_names, expected) in MATRIX.items()
        if method == "get" and expected[role] == OK
    ]
    if role == "caseworker_other_unit":  # its own case in the journey, which lists documents
        urls.append(reverse("casework:case", args=[tax.pk]))
    seen = set()
    for url in urls:
        response = client.get(url)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        if response["Content-Type"] == "application/zip":
            body = b"".join(
                archive.read(member)
                for archive in [zipfile.ZipFile(io.BytesIO(body))]
                for member in archive.namelist()
            )
        text = body.decode("latin-1") + response.get("Content-Disposition", "")
        seen.update(value for value in marked if value.encode().decode("latin-1") in text)
        if url == reverse("records:public_copy_download", args=[args["journey"]]):
            assert "Withheld under OSL 21:3" in text, role
    assert seen == (set(marked) if role in SEES_MARKED else set()), (role, seen)
    if role == "caseworker_other_unit":
        download = reverse("casework:document", args=[tax.pk, certificate.pk])
        assert client.get(download).status_code == 404
