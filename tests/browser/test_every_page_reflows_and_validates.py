"""Every page of every role, in English and Swedish, at 320 CSS pixels (400 % zoom of a 1280 px
window): no sideways scrolling (WCAG 1.4.10), no axe-core violation, no Nu HTML Checker error."""

import datetime as dt
import re
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from accounts.tokens import signup_token_make
from casework.selectors import QUEUE_FILTERS
from coordination.dashboard import VIEWS
from journeys import services
from journeys.models import Handoff, Journey
from organisations.register import STAND_IN, StandInRegister
from records.disposal import disposal_sweep
from tests.browser.conftest import browser_page, sign_in_through_provider
from tests.factories import (
    CAFE_ANSWERS,
    decide,
    make_caseworker,
    make_coordinator,
    make_person,
    make_user,
    mark_secret,
    organisation_journey,
    submitted_journey,
)
from tests.webhooks.factories import make_subscription, paused
from webhooks.models import Delivery

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
LANGUAGES = {"en": "en-GB", "sv": "sv-SE"}
CONTINUE = {"en": "Continue", "sv": "Fortsätt"}
PUBLIC_PAGES = [
    "/",
    "/accessibility/",
    "/privacy/",
    "/contact/",
    "/accounts/login/",
    "/accounts/signup/",
    "/accounts/signup/sent/",
    "/services/",
    "/services/open-a-cafe/",
]


@pytest.fixture(params=list(LANGUAGES))
def language(request) -> str:
    return request.param


@pytest.fixture
def narrow_page(browser, live_server, language):
    """A 320 x 640 page whose browser asks for the language (Accept-Language)."""
    options = {"locale": LANGUAGES[language], "viewport": {"width": 320, "height": 640}}
    with browser_page(browser, live_server, **options) as page:
        yield page


@pytest.fixture
def visit(narrow_page, language, assert_accessible):
    """Check the page at `path`, or the page as it is now: in the language, 320 px wide."""

    def check(path: str | None = None) -> None:
        if path is not None:
            narrow_page.goto(path)
        expect(narrow_page.locator("html")).to_have_attribute("lang", language)
        assert narrow_page.viewport_size["width"] == 320
        assert_accessible(narrow_page, f"{narrow_page.url} ({language}, 320 px)")

    return check


def sign_in(page, username: str, password: str = "pw-for-tests-only") -> None:
    """Sign in through the form, whichever language it speaks."""
    page.goto("/accounts/login/")
    page.locator("[name=username]").fill(username)
    page.locator("[name=password]").fill(password)
    page.locator("main form[action='/accounts/login/'] button[type=submit]").click()


@pytest.fixture
def portal(cafe):
    """Journeys in the states every page shows: a decided step, a step held by the unit lead,
    a request waiting for the applicant, an overdue and a stalled journey, a failed handoff,
    a withdrawn journey and a draft."""
    now = timezone.now()
    anna = make_user("anna")
    journey = submitted_journey(
        cafe,
        anna,
        now=now - dt.timedelta(days=3),
        files={"floor_plan": SimpleUploadedFile("floor-plan.pdf", PDF)},
    )
    steps = {step.step_type.key: step for step in journey.steps.select_related("unit")}
    decide(steps["company-registration"], now=now - dt.timedelta(days=2))
    lead = make_caseworker(steps["building-permit"].unit, lead=True, username="planning-lead")
    make_caseworker(steps["building-permit"].unit, username="planner")
    services.step_claim(step=steps["building-permit"], by=lead, now=now)
    # The unit's own documents: one internal, one shown to the applicant.
    for name, visible in (("site-visit.png", False), ("letter.pdf", True)):
        services.step_document_add(
            step=steps["building-permit"],
            by=lead,
            upload=SimpleUploadedFile(name, PNG if name.endswith(".png") else PDF),
            visible_to_applicant=visible,
            now=now,
        )
    # The planning unit has marked the premises' address and the floor plan as secret: its
    # case page tags them and lists the markings, the public-access copy withholds them.
    mark_secret(steps["building-permit"], by=lead, field_key="premises_address", ground=(21, 3))
    mark_secret(
        steps["building-permit"],
        by=lead,
        document=journey.documents.get(field_key="floor_plan"),
        ground=(18, 8),
    )
    fire = make_caseworker(steps["gas-permit"].unit)
    gas = services.step_claim(step=steps["gas-permit"], by=fire, now=now)
    services.information_request_create(
        step=gas,
        by=fire,
        items=["Floor plan of the kitchen", "Where the bottles are kept"],
        due_date=timezone.localdate() + dt.timedelta(days=10),
        now=now,
        # It pauses the outdoor seating too (the tracking page lists both), not the building
        # permit, which the lead holds with every form of the case page.
        blocks=[steps["outdoor-seating"]],
    )
    # The planning lead consults Fire & Rescue on the building permit: overdue since yesterday.
    consultation = services.consultation_request(
        step=steps["building-permit"],
        by=lead,
        unit=steps["gas-permit"].unit,
        question="Is the escape route wide enough for the planned seating?",
        due_date=timezone.localdate() - dt.timedelta(days=1),
        now=now,
    )
    make_caseworker(steps["gas-permit"].unit, username="fire-consulted")
    # Anna and the planning lead write to each other about the building permit (a file too);
    # her last message is unread, so the queue marks the case.
    for by, body, files in (
        (anna, "May the terrace open before the permit is decided?", []),
        (lead, "No: the permit first.", [SimpleUploadedFile("rules.pdf", b"%PDF-1.7\n%%EOF\n")]),
        (anna, "Thank you, we will wait.", []),
    ):
        services.conversation_message_send(
            step=steps["building-permit"], by=by, body=body, files=files, now=now
        )
    quiet = {**CAFE_ANSWERS, "outdoor_seating": False, "uses_lpg": False}
    overdue = submitted_journey(cafe, answers=quiet, now=now - dt.timedelta(days=80))
    stalled = submitted_journey(cafe, answers=quiet, now=now - dt.timedelta(days=12))
    services.step_claim(
        step=stalled.steps.get(step_type__key="building-permit"),
        by=lead,
        now=now - dt.timedelta(days=11),
    )
    failed = submitted_journey(cafe, answers=quiet, deliver=False)
    Handoff.objects.filter(step__journey=failed).update(created_at=now - dt.timedelta(hours=1))
    make_coordinator("coordinator")
    # A unit's system that stopped answering (paused, its events waiting) and one failing.
    stopped = paused(make_subscription(url="https://tax-agency-system.example.org/webhooks/portal"))
    failing = make_subscription(url="https://planning.example.org/hooks")
    submitted_journey(cafe, anna, answers=quiet)
    withdrawn = submitted_journey(cafe, anna, answers=quiet)
    services.journey_withdraw(journey=withdrawn, by=anna, reason="Other premises.", now=now)
    Delivery.objects.filter(subscription__in=[stopped, failing]).update(
        attempts=4,
        last_status=503,
        last_error="HTTP 503 Service Unavailable",
        next_attempt_at=now + dt.timedelta(minutes=5),
    )
    # A draft whose menu was sent: its page shows the file and the way to remove it.
    sent = services.journey_start(journey_type=cafe, applicant=anna, now=now)
    services.journey_file_answer(
        journey=sent, key="menu", upload=SimpleUploadedFile("menu.pdf", PDF), by=anna, now=now
    )
    return {
        "journey": journey,
        "draft": services.journey_start(journey_type=cafe, applicant=anna, now=now),
        "draft_with_a_file": sent,
        "held": steps["building-permit"],
        "queued": overdue.steps.get(step_type__key="building-permit"),
        "stalled": stalled,
        "consultation": consultation,
        "withdrawn": withdrawn,
    }


def test_public_pages(narrow_page, portal, visit):
    for path in PUBLIC_PAGES:
        visit(path)
    # Forms shown again with their errors.
    sign_in(narrow_page, "anna", password="not-the-password")
    expect(narrow_page.locator(".govuk-error-summary")).to_be_visible()
    visit()
    narrow_page.goto("/accounts/signup/")
    narrow_page.locator("[name=username]").fill("anna")
    narrow_page.locator("main form button[type=submit]").click()
    expect(narrow_page.locator(".govuk-error-summary")).to_be_visible()
    visit()
    # The page the sign-up e-mail links to, as it first opens and with its errors.
    confirm = reverse(
        "accounts:signup_confirm",
        args=[signup_token_make(username="newcomer", email="newcomer@example.org")],
    )
    visit(confirm)
    narrow_page.locator("main form button[type=submit]").click()
    expect(narrow_page.locator(".govuk-error-summary")).to_be_visible()
    visit()
    visit(reverse("accounts:signup_confirm", args=["not-a-token"]))


def test_citizen_pages(narrow_page, language, portal, visit):
    journey, draft = portal["journey"], portal["draft"]
    sign_in(narrow_page, "anna")
    expect(narrow_page).not_to_have_url(re.compile("/accounts/login/"))
    for path in (
        "/services/",
        "/services/open-a-cafe/",
        "/applications/",
        "/messages/",
        "/your-data/",
        f"/applications/{draft.public_id}/questions/company_name/",
        f"/applications/{draft.public_id}/questions/serves_alcohol/",
        f"/applications/{draft.public_id}/questions/floor_plan/",
        f"/applications/{portal['draft_with_a_file'].public_id}/questions/menu/",
        f"/applications/{draft.public_id}/check/",
        f"/applications/{journey.public_id}/confirmation/",
        f"/applications/{journey.public_id}/",
        f"/applications/{journey.public_id}/answers/contact_phone/change/",
        f"/applications/{journey.public_id}/withdraw/",
        f"/applications/{portal['withdrawn'].public_id}/",
        f"/applications/{portal['withdrawn'].public_id}/withdraw/",  # 409: why it cannot be
        "/erasure/",
    ):
        visit(path)
    thread = f"/applications/{journey.public_id}/steps/{portal['held'].pk}/messages/"
    visit(thread)
    narrow_page.locator("main form[enctype='multipart/form-data'] button[type=submit]").click()
    expect(narrow_page.locator(".govuk-error-summary")).to_be_visible()
    visit()
    narrow_page.goto(f"/applications/{draft.public_id}/questions/company_name/")
    narrow_page.get_by_role("button", name=CONTINUE[language]).click()
    expect(narrow_page.locator(".govuk-error-summary")).to_be_visible()
    visit()
    # A file the question does not take (a JPEG for the PDF or PNG floor plan).
    narrow_page.goto(f"/applications/{draft.public_id}/questions/floor_plan/")
    narrow_page.locator("input[type=file]").set_input_files(
        files=[{"name": "plan.jpg", "mimeType": "image/jpeg", "buffer": JPEG}]
    )
    narrow_page.get_by_role("button", name=CONTINUE[language]).click()
    expect(narrow_page.locator(".govuk-error-summary")).to_be_visible()
    visit()
    # Last, as it erases the drafts above: asking for erasure (the page says what went).
    narrow_page.goto("/erasure/")
    narrow_page.locator("main form button[type=submit]").click()
    expect(narrow_page.locator(".govuk-notification-banner")).to_be_visible()
    visit()


def _serve(body: bytes, content_type: str):
    """A route handler answering with `body` (Playwright passes the request too to a handler
    that takes two arguments, so this one takes one)."""
    return lambda route: route.fulfill(status=200, content_type=content_type, body=body)


def test_own_data_download_and_its_summary(narrow_page, portal, visit, settings):
    """Your data: the download's summary opens in a browser as a page of its own (checked
    like every page, in the reader's language), and the page that refuses a download past the
    hour's limit."""
    settings.OWN_DATA_DOWNLOADS_PER_HOUR = 1
    sign_in(narrow_page, "anna")
    visit("/your-data/")
    with narrow_page.expect_download() as download:
        narrow_page.locator("main form[action='/your-data/download/'] button").click()
    with zipfile.ZipFile(download.value.path()) as archive:
        [root] = {name.split("/", 1)[0] for name in archive.namelist()}
        summary = {name: archive.read(f"{root}/{name}") for name in ("summary.html", "summary.css")}
    # Served as it is opened from the unpacked folder: a document of its own, its stylesheet
    # beside it.
    for name, content_type in (("summary.html", "text/html"), ("summary.css", "text/css")):
        narrow_page.route(f"**/{name}", _serve(summary[name], f"{content_type}; charset=utf-8"))
    visit("/your-data/summary.html")
    expect(narrow_page.locator("table").first).to_have_css("border-collapse", "collapse")
    for name in summary:
        narrow_page.unroute(f"**/{name}")
    narrow_page.goto("/your-data/")
    narrow_page.locator("main form[action='/your-data/download/'] button").click()
    expect(narrow_page.locator(".govuk-error-summary")).to_be_visible()
    visit()


def test_caseworker_pages(narrow_page, portal, visit):
    sign_in(narrow_page, "planner")
    expect(narrow_page).not_to_have_url(re.compile("/accounts/login/"))
    for key in QUEUE_FILTERS:
        visit(f"/work/?filter={key}")
    # A filter chosen on the page swaps the results in place (htmx).
    narrow_page.locator(".portal-filters a").last.click()
    expect(narrow_page).to_have_url(re.compile(r"filter=due_soon"))
    visit()
    visit(f"/work/steps/{portal['queued'].pk}/")
    visit(f"/work/steps/{portal['held'].pk}/")


def test_consultation_pages(narrow_page, portal, visit):
    """The consulted unit's queue with the consultation, its page, and its answer refused empty."""
    sign_in(narrow_page, "fire-consulted")
    expect(narrow_page).not_to_have_url(re.compile("/accounts/login/"))
    visit("/work/")
    visit(f"/work/consultations/{portal['consultation'].pk}/")
    narrow_page.locator("#answer-heading ~ form button[type=submit]").click()
    expect(narrow_page.locator(".govuk-error-summary")).to_be_visible()
    visit()


def test_unit_lead_pages(narrow_page, portal, visit):
    sign_in(narrow_page, "planning-lead")
    expect(narrow_page).not_to_have_url(re.compile("/accounts/login/"))
    visit("/work/")
    visit("/work/workload/")
    # The lead holds this case: every form of the case page at once.
    visit(f"/work/steps/{portal['held'].pk}/")
    narrow_page.locator("#decide-heading ~ form button[type=submit]").click()
    expect(narrow_page.locator(".govuk-error-summary")).to_be_visible()
    visit()
    narrow_page.locator("#document-heading ~ form button[type=submit]").click()
    expect(narrow_page.locator(".govuk-error-summary")).to_be_visible()
    visit()  # the document form without a file
    # The secrecy forms sent empty: marking (no item, ground or reason) and removing.
    for form in ("secrecy", "unmark"):
        narrow_page.locator(f"#{form}-heading ~ form button[type=submit]").click()
        expect(narrow_page.locator(".govuk-error-summary")).to_be_visible()
        visit()


def test_pages_of_a_unit_that_works_in_its_own_system(narrow_page, portal, visit):
    """Its queue, workload and case pages, read-only with their note; a refused form."""
    queued = portal["queued"].journey.steps.get(step_type__key="company-registration")
    unit = queued.unit
    unit.works_in_own_system = True
    unit.save(update_fields=["works_in_own_system"])
    make_caseworker(unit, lead=True, username="tax-lead")
    sign_in(narrow_page, "tax-lead")
    expect(narrow_page).not_to_have_url(re.compile("/accounts/login/"))
    visit("/work/")
    visit("/work/workload/")
    visit(f"/work/steps/{queued.pk}/")
    # The page a refused form answers with (here a claim sent anyway): the case and the reason.
    narrow_page.evaluate(
        """(action) => {
            const form = document.createElement("form");
            form.method = "post";
            form.action = action;
            const token = document.createElement("input");
            token.name = "csrfmiddlewaretoken";
            token.value = document.querySelector("[name=csrfmiddlewaretoken]").value;
            form.append(token);
            document.body.append(form);
            form.submit();
        }""",
        f"/work/steps/{queued.pk}/claim/",
    )
    expect(narrow_page.locator(".govuk-notification-banner")).to_be_visible()
    visit()


def test_coordinator_pages(narrow_page, portal, visit):
    sign_in(narrow_page, "coordinator")
    expect(narrow_page).not_to_have_url(re.compile("/accounts/login/"))
    for view in VIEWS:
        visit(f"/coordination/?view={view}")
    visit("/coordination/?view=journeys&min_age_days=7")
    narrow_page.locator("#results .portal-filters a").nth(2).click()
    expect(narrow_page).to_have_url(re.compile(r"view=stalled"))
    visit()
    # The public-access copy's page: one with withheld items, one with none.
    visit(f"/records/journeys/{portal['journey'].public_id}/public-copy/")
    visit(f"/records/journeys/{portal['stalled'].public_id}/public-copy/")
    visit(f"/coordination/journeys/{portal['stalled'].public_id}/")
    narrow_page.locator("form[action$='/escalate/'] button[type=submit]").click()
    expect(narrow_page.locator(".govuk-error-summary")).to_be_visible()
    visit()
    narrow_page.locator("form[action$='/contact/'] button[type=submit]").click()
    visit()
    visit("/coordination/bottlenecks/")
    visit("/coordination/insight/")
    visit("/coordination/insight/?start=2026-13-01")
    visit("/coordination/webhooks/")
    # The access log: every read above, one journey's reads, and a date it cannot read.
    visit("/coordination/access-log/")
    visit(f"/coordination/access-log/?journey={portal['stalled'].reference}")
    visit("/coordination/access-log/?start=2026-13-01")
    expect(narrow_page.locator(".govuk-error-summary")).to_be_visible()
    # Retention: a journey's rules and what is kept, a hold refused without a reason, then set;
    # with the clock moved on, a disposed-of journey and the disposal register.
    retention = f"/coordination/journeys/{portal['stalled'].public_id}/retention/"
    visit(retention)
    narrow_page.locator("form[action$='/legal-hold/'] button[type=submit]").click()
    expect(narrow_page.locator(".govuk-error-summary")).to_be_visible()
    visit()
    narrow_page.locator("textarea[name=reason]").fill("Appeal to the administrative court")
    narrow_page.locator("form[action$='/legal-hold/'] button[type=submit]").click()
    expect(narrow_page.locator(".govuk-warning-text")).to_be_visible()
    visit()
    visit("/coordination/disposals/")
    disposal_sweep(now=timezone.now().replace(year=timezone.now().year + 11))
    visit(f"/coordination/journeys/{portal['withdrawn'].public_id}/retention/")
    visit(f"/coordination/journeys/{portal['withdrawn'].public_id}/")
    visit("/coordination/disposals/")


def test_identity_and_organisation_pages(
    narrow_page, language, visit, identity, settings, monkeypatch, cafe
):
    """Signing in through the providers (the portal's pages on the way: the provider's own are
    not the portal's), a refusal, closed sign-up, applying for an organisation, its page, and
    the case page of a unit that sees the organisation and the applicant's number."""
    settings.SIGNATORY_REGISTER = STAND_IN
    monkeypatch.setattr(
        StandInRegister, "COMPANIES", {"556016-0680": ("Kaffekoppen AB", {"19900101-2385"})}
    )
    visit("/accounts/login/")
    visit("/accounts/signup/")  # closed: a page that points to e-ID
    sign_in_through_provider(narrow_page, "David Dahl")  # a low level of assurance: refused
    expect(narrow_page.locator("main h1")).to_be_visible()
    visit()

    sign_in_through_provider(narrow_page, "Anna Andersson")
    visit("/applications/")
    narrow_page.goto("/services/open-a-cafe/")
    narrow_page.locator("main form button[type=submit]").click()
    visit()  # who is the application for?
    narrow_page.locator("main form button[type=submit]").click()
    expect(narrow_page.locator(".govuk-error-summary")).to_be_visible()
    visit()
    narrow_page.locator("input[value=organisation]").check()
    narrow_page.locator("main form button[type=submit]").click()
    visit()  # which organisation?
    narrow_page.locator("[name=number]").fill("556016-0681")
    narrow_page.locator("main form button[type=submit]").click()
    expect(narrow_page.locator(".govuk-error-summary")).to_be_visible()
    visit()
    narrow_page.locator("[name=number]").fill("556016-0680")
    narrow_page.locator("[name=name]").fill("Kaffekoppen AB")
    narrow_page.locator("main form button[type=submit]").click()
    draft = Journey.objects.get(applicant__person__personal_identity_number="19900101-2385")
    visit(f"/applications/{draft.public_id}/check/")
    organisation = f"/organisations/{draft.organisation.public_id}/"
    visit(organisation)
    narrow_page.locator("main form button[type=submit]").click()
    expect(narrow_page.locator(".govuk-error-summary")).to_be_visible()
    visit()

    # The Tax Agency's step needs the organisation number: its case page shows the organisation
    # and the right to represent it, not confirmed yet, with the button that confirms it.
    journey = organisation_journey(
        cafe, make_person("19850615-2381", "Bertil", "Berg"), number="556016-0680", name="x"
    )
    tax = journey.steps.get(step_type__key="company-registration")
    make_caseworker(tax.unit, username="tax-caseworker")
    narrow_page.goto("/")
    narrow_page.locator("header form[action='/accounts/logout/'] button").click()
    sign_in(narrow_page, "tax-caseworker")
    visit(f"/work/steps/{tax.pk}/")  # an organisation, a right not confirmed yet


def test_fee_and_payment_file_pages(narrow_page, house, visit):
    """The applicant's fees, the case waiting for payment, the finance staff's upload page (as it
    opens and with an error) and a file's report (payments app)."""
    from payments.models import Invoice
    from tests.payments.bgmax_files import bgmax_file
    from tests.payments.factories import house_journey, make_finance, permit_step

    applicant = make_user("anna")
    journey = house_journey(house, applicant)
    step = permit_step(journey)
    invoice = Invoice.objects.get(step=step)
    planner = make_caseworker(step.unit, username="planner")
    services.step_claim(step=step, by=planner, now=timezone.now())
    make_finance(step.unit, username="planning-finance")
    sign_in(narrow_page, "planner")
    visit(f"/work/steps/{step.pk}/")  # waiting for payment
    narrow_page.locator("header form[action='/accounts/logout/'] button").click()
    sign_in(narrow_page, "planning-finance")
    visit("/payments/")
    narrow_page.locator("main form button[type=submit]").click()
    expect(narrow_page.locator(".govuk-error-summary")).to_be_visible()
    visit()
    content = bgmax_file("5550-1027", [(invoice.ocr, invoice.amount_ore), ("1234574", 100)])
    narrow_page.locator("input[type=file]").set_input_files(
        files=[{"name": "BGMAX.txt", "mimeType": "text/plain", "buffer": content.encode()}]
    )
    narrow_page.locator("main form button[type=submit]").click()
    expect(narrow_page.locator(".govuk-panel")).to_be_visible()
    visit()  # the file's report
    visit("/payments/")  # with a file imported
    narrow_page.locator("header form[action='/accounts/logout/'] button").click()
    sign_in(narrow_page, "anna")
    visit(f"/applications/{journey.public_id}/")  # the fee, paid
