"""Decision letters and receipts: printed as tagged PDF in the applicant's language after the
decision or submission (by a task, or by the first download), stored once as the journey's
documents, linked in the message, and the same bytes when printed again."""

import datetime as dt
import io
import threading

import pytest
from django.db import OperationalError, connection, transaction
from django.urls import reverse
from django.utils import translation
from pypdf import PdfReader

from journeys import services, tasks
from journeys.models import ApplicantMessage, Document, Journey, Step
from journeys.services import letters
from journeys.services.letters import decision_letter_pdf, receipt_pdf
from tests.factories import make_caseworker, make_user, submitted_journey
from tests.journey_types import journey_type

DECIDED_AT = dt.datetime(2026, 3, 4, 9, 30, tzinfo=dt.UTC)
REASONS = "The premises have no hand-washing basin in the kitchen."
APPEAL = "Write to the Environment Office within three weeks; say which decision and why."
APPEAL_SV = "Skriv till miljöförvaltningen inom tre veckor; ange vilket beslut och varför."


@pytest.fixture
def trail(db):
    return journey_type(parallel=2, chain=1)


def decided(trail, *, language: str, outcome: str, appeal: str = APPEAL, by=None):
    with translation.override(language):
        journey = submitted_journey(trail, make_user(), now=DECIDED_AT - dt.timedelta(days=3))
    step = journey.steps.get(step_type__key="parallel-1")
    by = by or make_caseworker(step.unit)
    step = services.step_claim(step=step, by=by, now=DECIDED_AT)
    return services.step_decide(
        step=step,
        by=by,
        outcome=outcome,
        reasons=REASONS,
        appeal_instructions=appeal,
        communication_note="Told by phone on 1 March; no comment.",
        now=DECIDED_AT,
    )


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def letter_of(step: Step) -> Document:
    """The step's letter, as the task prints it after the decision's commit."""
    tasks.decision_letter_write(step.pk)
    return step.documents.get(generated_as=Document.GeneratedAs.DECISION_LETTER)


def test_a_rejection_letter_in_english_states_the_decision_reasons_law_and_appeal(trail):
    by = make_caseworker(
        journey_type(parallel=2, chain=1).steps.get(key="parallel-1").unit,
        username="case.officer",
    )
    by.first_name, by.last_name = "Cecilia", "Caseworker"
    by.save()
    step = decided(trail, language="en", outcome=Step.Outcome.REJECT, by=by)
    letter = letter_of(step)
    text = pdf_text(letter.file.read())
    assert letter.content_type == "application/pdf"
    assert letter.name == f"Decision {step.journey.reference} Parallel step 1.pdf"
    assert f"{step.unit.name} rejects your application for “Parallel step 1”" in text
    assert REASONS in text
    assert "Legal basis Test Permits Act (2026:1)" in text
    assert f"How to appeal {APPEAL}" in text
    assert "within three weeks of the day you received this decision" in text
    assert step.registration_number.endswith("2026-000001")
    assert f"Registration number {step.registration_number}" in text
    # The letter is registered to the case it decides, with the case's next running number.
    assert letter.registration_number == f"{step.registration_number}-1"
    assert step.journey.reference in text
    assert "Decided by Cecilia Caseworker" in text
    assert "4 March 2026" in text


def test_a_rejection_letter_in_swedish_is_written_in_swedish(trail):
    step = decided(trail, language="sv", outcome=Step.Outcome.REJECT, appeal=APPEAL_SV)
    text = pdf_text(letter_of(step).file.read())
    assert "Enhet office parallel 1 avslår din ansökan om ”Parallellt steg 1”" in text
    assert f"Skäl för beslutet {REASONS}" in text
    assert "Rättslig grund Lagen (2026:1) om testtillstånd" in text
    assert f"Hur man överklagar {APPEAL_SV}" in text
    assert "inom tre veckor från den dag du fick del av beslutet" in text
    assert f"Diarienummer {step.registration_number}" in text
    assert "4 mars 2026" in text
    assert "How to appeal" not in text


def test_an_approval_letter_has_no_appeal_instructions(trail):
    step = decided(trail, language="sv", outcome=Step.Outcome.APPROVE)
    text = pdf_text(letter_of(step).file.read())
    assert "beviljar din ansökan om ”Parallellt steg 1”" in text
    assert REASONS in text
    assert "Hur man överklagar" not in text


def test_the_letter_is_tagged_pdf_ua_with_its_language_and_title(trail):
    step = decided(trail, language="sv", outcome=Step.Outcome.REJECT)
    reader = PdfReader(io.BytesIO(letter_of(step).file.read()))
    catalog = reader.trailer["/Root"]
    assert catalog["/Lang"] == "sv"
    assert bool(catalog["/MarkInfo"]["/Marked"])
    assert "/StructTreeRoot" in catalog
    assert bool(catalog["/ViewerPreferences"]["/DisplayDocTitle"])
    assert reader.metadata.title == f"Beslut: Parallellt steg 1 ({step.journey.reference})"
    assert reader.metadata["/CreationDate"] == "D:20260304093000Z"
    assert b"pdfuaid:part" in catalog["/Metadata"].get_object().get_data()


def test_the_same_letter_printed_again_is_the_same_bytes(trail):
    step = decided(trail, language="en", outcome=Step.Outcome.REJECT)
    stored = letter_of(step).file.read()
    step = Step.objects.select_related("journey", "unit", "step_type", "assignee").get(pk=step.pk)
    assert decision_letter_pdf(step=step) == stored
    assert decision_letter_pdf(step=step) == stored


def test_the_letter_is_printed_once_however_often_it_is_asked_for(trail):
    step = decided(trail, language="en", outcome=Step.Outcome.APPROVE)
    first = letter_of(step)
    services.step_decide(
        step=step, by=step.assignee, outcome="approve", reasons=REASONS, now=DECIDED_AT
    )
    tasks.decision_letter_write(step.pk)
    assert services.decision_letter_create(step=step, now=DECIDED_AT) == first
    assert step.documents.filter(generated_as=Document.GeneratedAs.DECISION_LETTER).count() == 1


def test_an_undecided_step_has_no_letter(trail):
    journey = submitted_journey(trail, make_user())
    step = journey.steps.get(step_type__key="parallel-1")
    assert tasks.decision_letter_write(step.pk) is None
    assert not journey.documents.filter(generated_as=Document.GeneratedAs.DECISION_LETTER)


def test_the_decision_enqueues_its_letter_after_commit(trail, django_capture_on_commit_callbacks):
    journey = submitted_journey(trail, make_user())
    step = journey.steps.get(step_type__key="parallel-1")
    by = make_caseworker(step.unit)
    step = services.step_claim(step=step, by=by, now=DECIDED_AT)
    with django_capture_on_commit_callbacks() as callbacks:
        services.step_decide(step=step, by=by, outcome="approve", reasons=REASONS, now=DECIDED_AT)
    assert any(c.__qualname__.startswith("letters_publish") for c in callbacks)
    assert not journey.documents.filter(generated_as=Document.GeneratedAs.DECISION_LETTER)


def test_the_decision_message_links_to_the_letter(trail, settings):
    step = decided(trail, language="sv", outcome=Step.Outcome.REJECT)
    message = ApplicantMessage.objects.filter(journey=step.journey).first()
    url = reverse("citizens:decision_letter", args=[step.journey.public_id, step.pk])
    assert f"Beslutsbrevet (PDF): {settings.SITE_URL}{url}" in message.body


def test_submitting_writes_a_receipt_with_the_answers(trail):
    with translation.override("sv"):
        journey = submitted_journey(trail, make_user(), now=DECIDED_AT)
    tasks.receipt_write(journey.pk)
    receipt = journey.documents.get(generated_as=Document.GeneratedAs.RECEIPT)
    text = pdf_text(receipt.file.read())
    assert receipt.name == f"Kvitto {journey.reference}.pdf"
    assert f"Kvitto på din ansökan {journey.reference}" in text
    assert "Sökandens namn Ada Applicant" in text
    assert "Parallellt steg 1" in text
    assert "Inga dokument skickades med ansökan." in text
    message = ApplicantMessage.objects.get(journey=journey)
    assert reverse("citizens:receipt", args=[journey.public_id]) in message.body


def test_the_receipt_printed_again_is_the_same_bytes(trail):
    journey = submitted_journey(trail, make_user(), now=DECIDED_AT)
    receipt = services.receipt_create(journey=journey, now=DECIDED_AT)
    with receipt.file.open("rb") as stored:
        assert receipt_pdf(journey=journey) == stored.read()


def test_following_the_link_before_the_task_ran_prints_the_letter(client, trail):
    step = decided(trail, language="en", outcome=Step.Outcome.REJECT)
    url = reverse("citizens:decision_letter", args=[step.journey.public_id, step.pk])
    client.force_login(step.journey.applicant)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert REASONS in pdf_text(b"".join(response.streaming_content))
    assert client.get(url).status_code == 200
    assert step.documents.filter(generated_as=Document.GeneratedAs.DECISION_LETTER).count() == 1


def test_letters_are_downloaded_by_their_applicant_only(client, trail):
    step = decided(trail, language="en", outcome=Step.Outcome.REJECT)
    journey = step.journey
    letter = letter_of(step)
    urls = [
        reverse("citizens:decision_letter", args=[journey.public_id, step.pk]),
        reverse("citizens:receipt", args=[journey.public_id]),
        reverse("citizens:document", args=[journey.public_id, letter.pk]),
    ]
    client.force_login(make_user())
    assert [client.get(url).status_code for url in urls] == [404, 404, 404]
    client.force_login(journey.applicant)
    assert [client.get(url).status_code for url in urls] == [200, 200, 200]
    undecided = journey.steps.get(step_type__key="parallel-2")
    url = reverse("citizens:decision_letter", args=[journey.public_id, undecided.pk])
    assert client.get(url).status_code == 404


def test_a_reopened_decision_gets_a_letter_of_its_own_and_the_first_stays_on_file(trail):
    step = decided(trail, language="en", outcome=Step.Outcome.APPROVE)
    first = letter_of(step)
    by, later = step.assignee, DECIDED_AT + dt.timedelta(days=1)
    step = services.step_reopen(step=step, by=by, reason="Decided on the wrong plan.", now=later)
    step = services.step_decide(
        step=step,
        by=by,
        outcome=Step.Outcome.REJECT,
        reasons=REASONS,
        appeal_instructions=APPEAL,
        communication_note="Told by phone.",
        now=later,
    )
    second = letter_of(step)
    assert second.pk != first.pk
    assert "rejects your application" in pdf_text(second.file.read())
    first.refresh_from_db()
    assert first.generated_as == Document.GeneratedAs.SUPERSEDED_DECISION_LETTER


@pytest.mark.django_db(transaction=True)
def test_the_journey_is_not_locked_while_a_letter_is_printed(monkeypatch):
    """Printing takes about a second: a decision or delivery in the same journey meanwhile must
    not wait for it. Another connection takes the journey's lock, NOWAIT, during the printing."""
    step = decided(journey_type(parallel=2, chain=1), language="en", outcome="approve")
    free_while_printing = []
    real_letter_pdf = letters.letter_pdf

    def lock_from_elsewhere() -> None:
        try:
            with transaction.atomic():
                Journey.objects.select_for_update(nowait=True).get(pk=step.journey_id)
            free_while_printing.append(True)
        except OperationalError:
            free_while_printing.append(False)
        finally:
            connection.close()

    def printing(**kwargs):
        other = threading.Thread(target=lock_from_elsewhere)
        other.start()
        other.join()
        return real_letter_pdf(**kwargs)

    monkeypatch.setattr(letters, "letter_pdf", printing)
    letter = services.decision_letter_create(step=step, now=DECIDED_AT)
    receipt = services.receipt_create(journey=step.journey, now=DECIDED_AT)
    assert free_while_printing == [True, True]
    assert letter.generated_as == Document.GeneratedAs.DECISION_LETTER
    assert receipt.generated_as == Document.GeneratedAs.RECEIPT
    # Asked again, the stored letter is returned, not printed again.
    assert services.decision_letter_create(step=step, now=DECIDED_AT) == letter
    assert len(free_while_printing) == 2
