"""A citizen downloads everything the portal holds about them as one zip (issue 18, item 6):
every kind of thing about them is in it, unpacked and read back; nothing about anyone else is,
though two applicants represent the same organisation; nothing staff-internal is; the download
is limited per hour and recorded in the access log."""

import datetime as dt
import io
import json
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from api.clients import api_client_create
from journeys import services
from journeys.models import Document, Journey
from organisations.register import STAND_IN, StandInRegister
from records.models import AccessLogEntry
from records.selectors import access_log_search
from records.services import access_record
from tests.factories import deliver_all, make_caseworker, make_coordinator, make_person
from tests.journey_types import journey_type

ORGANISATION = "556016-0680"
ANNA_NUMBER = "19900101-2385"
BERTIL_NUMBER = "19850615-2381"
ANNA = {
    "applicant_name": "Anna Andersson",
    "contact_email": "anna@example.org",
    "site_address": "Annagatan 1, Annestad",
}
ANNA_FOR_THE_COMPANY = {**ANNA, "site_address": "Kaffegatan 7, Annestad"}
BERTIL = {
    "applicant_name": "Bertil Berg",
    "contact_email": "bertil@example.org",
    "site_address": "Bertilsvägen 2, Bergby",
}


def pdf(name: str) -> bytes:
    """A PDF whose bytes say which file it is, to find it again in the zip."""
    return b"%PDF-1.7\n% " + name.encode() + b"\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def upload(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, pdf(name))


def apply(kind, person, answers, *, plan: str, for_organisation: bool = False) -> Journey:
    """A submitted application with its site plan, handed to its units."""
    now = timezone.now()
    journey = services.journey_start(journey_type=kind, applicant=person, now=now)
    if for_organisation:
        services.journey_applying_for_organisation(
            journey=journey, person=person.person, number=ORGANISATION, name="Kaffe AB", now=now
        )
    services.journey_save_answers(journey=journey, answers=answers)
    services.journey_file_answer(
        journey=journey, key="site_plan", upload=upload(plan), by=person, now=now
    )
    journey = services.journey_submit(journey=journey, by=person, language="en", now=now)
    deliver_all(now)
    return journey


def step(journey, key: str):
    return journey.steps.select_related("unit", "journey").get(step_type__key=key)


@pytest.fixture
def world(db, client, settings, monkeypatch):
    """Anna and Bertil both sign for Kaffe AB. Anna applied for herself (a rich case: a
    request answered with a file, a unit's shown and internal documents, an internal note, a
    conversation with attachments, a decision, reads by a caseworker and a unit's system) and
    for the company, and has a draft; Bertil applied for himself and for the company, and Anna
    wrote in his company application."""
    settings.SIGNATORY_REGISTER = STAND_IN
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # the client's
    monkeypatch.setattr(
        StandInRegister, "COMPANIES", {ORGANISATION: ("Kaffe AB", {ANNA_NUMBER, BERTIL_NUMBER})}
    )
    kind = journey_type(parallel=2, chain=1, files=True)
    anna = make_person(ANNA_NUMBER, "Anna", "Andersson")
    bertil = make_person(BERTIL_NUMBER, "Bertil", "Berg")
    now = timezone.now()

    own = apply(kind, anna, ANNA, plan="anna-plan.pdf")
    permit = step(own, "parallel-1")
    planner = make_caseworker(permit.unit, username="planner")
    planner.first_name, planner.last_name = "Petra", "Planner"
    planner.save()
    permit = services.step_claim(step=permit, by=planner, now=now)
    request = services.information_request_create(
        step=permit,
        by=planner,
        items=["A photo of the entrance"],
        due_date=timezone.localdate() + dt.timedelta(days=10),
        now=now,
        blocks=[],
    )
    services.information_request_answer(
        request=request,
        by=anna,
        answer="Here is the entrance.",
        uploads=[upload("entrance.pdf")],
        now=now,
    )
    deliver_all(now)  # back with the unit
    permit = step(own, "parallel-1")
    services.step_document_add(
        step=permit,
        by=planner,
        upload=upload("inspection-report.pdf"),
        visible_to_applicant=True,
        now=now,
    )
    services.step_document_add(
        step=permit,
        by=planner,
        upload=upload("internal-memo.pdf"),
        visible_to_applicant=False,
        now=now,
    )
    services.note_add(
        step=permit,
        by=planner,
        kind="note",
        text="Internal: check the fire exits.",
        visible_to_applicant=False,
        now=now,
    )
    services.conversation_message_send(
        step=permit, by=anna, body="Can you come on Friday?", now=now
    )
    services.conversation_message_send(
        step=permit, by=planner, body="Yes, Friday works.", files=[upload("timetable.pdf")], now=now
    )
    second = step(own, "parallel-2")
    decider = make_caseworker(second.unit)
    services.step_claim(step=second, by=decider, now=now)
    services.step_decide(
        step=step(own, "parallel-2"),
        by=decider,
        outcome="approve",
        reasons="All in order for Anna.",
        now=now,
    )
    # Reads of Anna's application: the case page and a document on it, and a unit's system.
    client.force_login(planner)
    assert client.get(reverse("casework:case", args=[permit.pk])).status_code == 200
    entrance = Document.objects.get(name="entrance.pdf")
    url = reverse("casework:document", args=[permit.pk, entrance.pk])
    assert client.get(url).status_code == 200
    system, _secret = api_client_create(name="Planning system", unit=permit.unit, now=now)
    access_record(
        user=system.user,
        api_client=system,
        what=AccessLogEntry.What.JOURNEY,
        path=f"/api/v1/journeys/{own.public_id}/",
        now=now,
        journey=own,
    )
    client.logout()

    company = apply(
        kind, anna, ANNA_FOR_THE_COMPANY, plan="anna-company-plan.pdf", for_organisation=True
    )
    draft = services.journey_start(journey_type=kind, applicant=anna, now=now)
    services.journey_save_answers(journey=draft, answers={"site_address": "Utkastvägen 3"})

    bertils_own = apply(kind, bertil, BERTIL, plan="bertil-plan.pdf")
    services.conversation_message_send(
        step=step(bertils_own, "parallel-1"), by=bertil, body="Bertil asks about his own.", now=now
    )
    bertils_company = apply(
        kind,
        bertil,
        {**BERTIL, "site_address": "Bolagsgatan 9, Bergby"},
        plan="bertil-company-plan.pdf",
        for_organisation=True,
    )
    thread = step(bertils_company, "parallel-1")
    services.conversation_message_send(
        step=thread, by=bertil, body="Bertil asks for the company.", now=now
    )
    services.conversation_message_send(
        step=thread,
        by=anna,
        body="Anna adds a word for the company.",
        files=[upload("anna-note.pdf")],
        now=now,
    )
    client.force_login(make_caseworker(thread.unit))
    assert client.get(reverse("casework:case", args=[thread.pk])).status_code == 200
    client.logout()
    return {
        "anna": anna,
        "bertil": bertil,
        "own": own,
        "company": company,
        "draft": draft,
        "bertils_own": bertils_own,
        "bertils_company": bertils_company,
    }


def download(client, user) -> zipfile.ZipFile:
    client.force_login(user)
    response = client.post(reverse("citizens:own_data_download"))
    assert response.status_code == 200, response.content[-2000:]
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith('attachment; filename="your-data-')
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def files(archive: zipfile.ZipFile) -> dict[str, bytes]:
    """The zip's files by their path under its one root folder."""
    roots = {name.split("/", 1)[0] for name in archive.namelist()}
    assert len(roots) == 1 and next(iter(roots)).startswith("your-data-"), roots
    return {name.split("/", 1)[1]: archive.read(name) for name in archive.namelist()}


def read_json(unpacked: dict[str, bytes], path: str) -> dict:
    return json.loads(unpacked[path])


def test_the_zip_holds_every_kind_of_thing_about_the_applicant(client, world):
    anna, own, company, draft = world["anna"], world["own"], world["company"], world["draft"]
    unpacked = files(download(client, anna))

    account = read_json(unpacked, "account.json")
    assert account["account"]["username"] == anna.username
    assert (account["account"]["first_name"], account["account"]["last_name"]) == (
        "Anna",
        "Andersson",
    )
    assert account["e_id"]["personal_identity_number"] == "19900101-****"
    assert [(o["name"], o["number"], o["recorded"]) for o in account["organisations"]] == [
        ("Kaffe AB", ORGANISATION, True)
    ]
    subjects = {m["subject"] for m in account["messages"]}
    assert len(account["messages"]) >= 3 and all(subjects)  # submissions, the request, the reply
    folders = {a["folder"] for a in account["applications"]}
    assert folders == {
        f"applications/{own.reference}",
        f"applications/{company.reference}",
        f"applications/draft-{draft.public_id.hex[:8]}",
    }

    application = read_json(unpacked, f"applications/{own.reference}/application.json")
    assert application["reference"] == own.reference and application["organisation"] is None
    assert {a["key"]: a["value"] for a in application["answers"]} == {
        **ANNA,
        "site_plan": "anna-plan.pdf",
        "site_photo": None,  # an optional question left unanswered
    }
    assert [s["name"] for s in application["steps"]] == [
        "Parallel step 1",
        "Parallel step 2",
        "Chained step 1",
    ]
    approved = application["steps"][1]
    assert (approved["status"], approved["reasons"]) == ("approved", "All in order for Anna.")
    assert application["steps"][0]["registration_number"]
    [request] = application["information_requests"]
    assert (request["asked_for"], request["answer"]) == (
        ["A photo of the entrance"],
        "Here is the entrance.",
    )
    kinds = {e["kind"] for e in application["events"]}
    assert {"submitted", "information_requested", "information_answered", "step_approved"} <= kinds
    assert {"message_received", "message_sent"} <= kinds
    [thread] = application["conversations"]
    assert [(m["from"], m["body"]) for m in thread["messages"]] == [
        ("You", "Can you come on Friday?"),
        ("Office parallel 1", "Yes, Friday works."),
    ]
    [attachment] = thread["messages"][1]["attachments"]
    assert unpacked[attachment["file"]] == pdf("timetable.pdf")

    documents = {d["name"]: d for d in application["documents"]}
    for name, source in [
        ("anna-plan.pdf", "you"),
        ("entrance.pdf", "you"),
        ("inspection-report.pdf", "unit"),
        ("timetable.pdf", "unit"),
    ]:
        assert documents[name]["from"] == source, name
        assert unpacked[documents[name]["file"]] == pdf(name), name
    letters = [d for d in application["documents"] if d["kind"] != "uploaded"]
    assert sorted(d["kind"] for d in letters) == ["decision_letter", "receipt"]
    for letter in letters:
        assert letter["file"].startswith(f"applications/{own.reference}/letters/")
        assert unpacked[letter["file"]].startswith(b"%PDF")

    reads = [(r["who"], r["through"], r["what"], r["document"]) for r in application["access_log"]]
    assert ("Petra Planner", "Portal page", "Case page with the answers", "") in reads
    assert ("Petra Planner", "Portal page", "Document", "entrance.pdf") in reads
    assert ("Office parallel 1 (own system)", "API", "Journey with the answers", "") in reads
    assert {r["client"] for r in application["access_log"]} == {"", "Planning system"}

    for_company = read_json(unpacked, f"applications/{company.reference}/application.json")
    assert for_company["organisation"] == {"name": "Kaffe AB", "number": ORGANISATION}
    in_draft = read_json(unpacked, f"applications/draft-{draft.public_id.hex[:8]}/application.json")
    assert in_draft["status"] == "draft" and in_draft["reference"] == ""

    summary = unpacked["summary.html"].decode()
    for text in (
        own.reference,
        company.reference,
        "Petra Planner",
        "Yes, Friday works.",
        "19900101-****",
    ):
        assert text in summary, text
    assert f'href="{documents["entrance.pdf"]["file"]}"' in summary
    assert '<link rel="stylesheet" href="summary.css">' in summary  # beside it, no inline style
    assert b"border-collapse" in unpacked["summary.css"]


def test_nothing_of_another_applicant_nor_anything_internal_is_in_it(client, world):
    """Bertil represents the same company: his applications, his messages and documents, his
    answers and who read his applications are not Anna's, though she may read his company
    application on the company's page. What she wrote in it is hers, and is in it alone."""
    unpacked = files(download(client, world["anna"]))
    everything = b"\n".join([*unpacked.values(), *(name.encode() for name in unpacked)])
    for foreign in [
        b"Bertil",
        b"bertil",
        BERTIL_NUMBER.encode(),
        world["bertils_own"].reference.encode(),
        b"Bolagsgatan",
        # Staff-internal: the unit's internal document and note.
        b"internal-memo",
        b"check the fire exits",
        # The whole personal identity number: only ever shortened.
        ANNA_NUMBER.encode(),
    ]:
        assert foreign not in everything, foreign

    company = world["bertils_company"]
    part = read_json(unpacked, f"other-applications/{company.reference}/your-part.json")
    assert [m["body"] for m in part["messages"]] == ["Anna adds a word for the company."]
    [document] = part["documents"]
    assert unpacked[document["file"]] == pdf("anna-note.pdf")
    assert all(event["by_you"] for event in part["events"])
    assert {p.split("/")[0] for p in unpacked if company.reference in p} == {"other-applications"}


def test_a_shared_company_application_is_whole_for_who_applied_with_it(client, world):
    """The other side: Bertil's export holds his company application whole, Anna's words in it
    as his tracking page shows them, and nothing of Anna's own applications."""
    unpacked = files(download(client, world["bertil"]))
    company = world["bertils_company"]
    application = read_json(unpacked, f"applications/{company.reference}/application.json")
    [thread] = application["conversations"]
    assert [(m["from"], m["body"]) for m in thread["messages"]] == [
        ("You", "Bertil asks for the company."),
        ("Anna Andersson", "Anna adds a word for the company."),
    ]
    everything = b"\n".join(unpacked.values())
    for foreign in (world["own"].reference, world["company"].reference, "Annagatan", "Utkastvägen"):
        assert foreign.encode() not in everything, foreign
    assert not any(p.startswith("other-applications/") for p in unpacked)


def test_fees_are_in_it(client, house):
    from payments.models import Invoice
    from tests.payments.factories import house_journey, permit_step

    applicant = make_person(ANNA_NUMBER, "Anna", "Andersson")
    journey = house_journey(house, applicant)
    invoice = Invoice.objects.get(step=permit_step(journey))
    application = read_json(
        files(download(client, applicant)), f"applications/{journey.reference}/application.json"
    )
    [fee] = application["fees"]
    assert (fee["ocr_reference"], fee["amount_ore"], fee["status"]) == (
        invoice.ocr,
        invoice.amount_ore,
        "To pay",
    )
    assert fee["pay_by"] == invoice.due_date.isoformat()


def test_each_download_is_recorded_in_the_access_log_and_shown_in_the_next(client, world):
    anna, own = world["anna"], world["own"]
    before = AccessLogEntry.objects.count()
    download(client, anna)
    entries = AccessLogEntry.objects.filter(what=AccessLogEntry.What.OWN_DATA)
    assert AccessLogEntry.objects.count() == before + 3
    assert {(e.user, e.via, e.journey_id) for e in entries} == {
        (anna, AccessLogEntry.Via.WEB, journey.pk)
        for journey in (own, world["company"], world["draft"])
    }
    assert {e.path for e in entries} == {reverse("citizens:own_data_download")}
    # A data protection officer finds them by the person or the application.
    assert set(access_log_search(person=anna.username)) == set(entries)
    assert entries.get(journey=own) in access_log_search(journey_reference=own.reference)

    application = read_json(
        files(download(client, anna)), f"applications/{own.reference}/application.json"
    )
    assert ("You", "The applicant's own data, downloaded") in {
        (r["who"], r["what"]) for r in application["access_log"]
    }


def test_a_download_without_applications_is_recorded_too(client, db):
    person = make_person(ANNA_NUMBER, "Anna", "Andersson")
    unpacked = files(download(client, person))
    assert read_json(unpacked, "account.json")["applications"] == []
    assert "You have no applications." in unpacked["summary.html"].decode()
    entry = AccessLogEntry.objects.get()
    assert (entry.user, entry.what, entry.journey_id) == (person, "own_data", None)


def test_a_document_whose_file_is_no_longer_kept_is_listed_without_it(client, world):
    own = world["own"]
    plan = Document.objects.get(name="anna-plan.pdf")
    plan.file.storage.delete(plan.file.name)
    unpacked = files(download(client, world["anna"]))
    application = read_json(unpacked, f"applications/{own.reference}/application.json")
    listed = next(d for d in application["documents"] if d["name"] == "anna-plan.pdf")
    assert listed["file"] is None and listed["sha256"] == plan.sha256
    assert not any(path.endswith("anna-plan.pdf") for path in unpacked)


def test_downloads_are_limited_per_hour(client, db, settings):
    settings.OWN_DATA_DOWNLOADS_PER_HOUR = 2
    person = make_person(ANNA_NUMBER, "Anna", "Andersson")
    download(client, person)
    download(client, person)
    response = client.post(reverse("citizens:own_data_download"))
    assert response.status_code == 429
    page = response.content.decode()
    assert "You can download your data 2 times an hour. Try again in an hour." in page
    assert "<title>Error:" in page
    assert AccessLogEntry.objects.count() == 2  # the refused one recorded nothing


def test_the_page_says_what_is_held_in_english_and_swedish(client, world):
    client.force_login(world["anna"])
    page = client.get(reverse("citizens:own_data")).content.decode()
    assert '<h1 class="govuk-heading-xl">Your data</h1>' in page
    assert "3 applications, 1 of them for an organisation" in page
    assert "19900101-****" in page and ANNA_NUMBER not in page
    page = client.get(reverse("citizens:own_data"), HTTP_ACCEPT_LANGUAGE="sv").content.decode()
    assert "Dina uppgifter" in page and "Ladda ned dina uppgifter (zip)" in page
    assert "3 ansökningar, 1 av dem för en organisation" in page


def test_the_summary_and_labels_follow_the_readers_language(client, world):
    client.force_login(world["anna"])
    response = client.post(reverse("citizens:own_data_download"), HTTP_ACCEPT_LANGUAGE="sv")
    unpacked = files(zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))))
    summary = unpacked["summary.html"].decode()
    assert '<html lang="sv">' in summary and "Dina uppgifter" in summary
    application = read_json(unpacked, f"applications/{world['own'].reference}/application.json")
    assert application["steps"][1]["status_label"] == "Beviljad"


@pytest.mark.parametrize("who", ["caseworker", "coordinator"])
def test_staff_have_no_such_page(client, world, who):
    unit = step(world["own"], "parallel-1").unit
    client.force_login(make_caseworker(unit) if who == "caseworker" else make_coordinator())
    assert client.get(reverse("citizens:own_data")).status_code == 404
    assert client.post(reverse("citizens:own_data_download")).status_code == 404
    assert not AccessLogEntry.objects.filter(what="own_data").exists()


def test_anonymous_visitors_are_asked_to_sign_in(client, db):
    for response in (
        client.get(reverse("citizens:own_data")),
        client.post(reverse("citizens:own_data_download")),
    ):
        assert response.status_code == 302 and "/login/" in response.url
