"""Documents with the application and a unit's own: a file question's answer is kept once and
attached by reference to every step that needs it; a caseworker's document stays with its step,
internal unless shown to the applicant (journeys/services/documents.py, casework.py)."""

from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from journeys import services
from journeys.disclosure import disclosed_documents, journey_disclosure
from journeys.models import Document, JourneyEvent, Step
from tests.factories import decide, deliver_all, make_caseworker, make_user, submitted_journey
from tests.journey_types import journey_type

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def pdf(name: str = "site-plan.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF)


@pytest.fixture
def trail(db):
    """parallel-1 and chain-1 need the site plan, parallel-2 the photo; each its own unit."""
    return journey_type(parallel=2, chain=1, files=True)


@pytest.fixture
def draft(trail):
    applicant = make_user("applicant")
    return services.journey_start(journey_type=trail, applicant=applicant, now=timezone.now())


def test_a_file_answer_is_stored_once_and_its_name_is_the_answer(draft):
    document = services.journey_file_answer(
        journey=draft, key="site_plan", upload=pdf(), by=draft.applicant, now=timezone.now()
    )
    draft.refresh_from_db()
    assert draft.data == {"site_plan": "site-plan.pdf"}
    assert (document.field_key, document.content_type) == ("site_plan", "application/pdf")
    assert document.visible_to_applicant and document.unit is None
    assert list(draft.documents.all()) == [document]
    assert not document.steps.exists()  # a draft has no steps yet


def test_a_new_file_replaces_the_draft_one_and_removing_leaves_no_answer(
    draft, django_capture_on_commit_callbacks
):
    first = services.journey_file_answer(
        journey=draft,
        key="site_photo",
        upload=pdf("old.pdf"),
        by=draft.applicant,
        now=timezone.now(),
    )
    old_file = Path(first.file.path)
    with django_capture_on_commit_callbacks(execute=True):
        second = services.journey_file_answer(
            journey=draft,
            key="site_photo",
            upload=SimpleUploadedFile("new.png", PNG),
            by=draft.applicant,
            now=timezone.now(),
        )
    assert list(draft.documents.all()) == [second] and not old_file.exists()
    draft.refresh_from_db()
    assert draft.data["site_photo"] == "new.png"
    # Continuing without a new file keeps it; removing it leaves the question answered "none".
    kept = services.journey_file_answer(
        journey=draft, key="site_photo", by=draft.applicant, now=timezone.now()
    )
    assert kept == second
    with django_capture_on_commit_callbacks(execute=True):
        services.journey_file_answer(
            journey=draft, key="site_photo", remove=True, by=draft.applicant, now=timezone.now()
        )
    draft.refresh_from_db()
    assert draft.data["site_photo"] == "" and not draft.documents.exists()
    assert not Path(second.file.path).exists()


def test_a_file_of_a_type_the_question_does_not_take_is_refused(draft):
    with pytest.raises(ValidationError) as refused:
        services.journey_file_answer(
            journey=draft,
            key="site_plan",
            upload=SimpleUploadedFile("plan.png", PNG),
            by=draft.applicant,
            now=timezone.now(),
        )
    assert refused.value.messages == ["The file must be a PDF file"]
    assert not Document.objects.filter(journey=draft).exists()
    # The upload checks hold for every type: markup in a PNG is refused as before.
    with pytest.raises(ValidationError):
        services.journey_file_answer(
            journey=draft,
            key="site_photo",
            upload=SimpleUploadedFile("photo.png", PNG + b"<script>"),
            by=draft.applicant,
            now=timezone.now(),
        )


def test_submission_attaches_the_document_by_reference_to_every_step_that_needs_it(trail):
    applicant = make_user("applicant")
    journey = submitted_journey(trail, applicant, files={"site_plan": pdf()})
    document = Document.objects.get(journey=journey)
    assert {s.step_type.key for s in document.steps.all()} == {"parallel-1", "chain-1"}
    assert Document.objects.count() == 1  # one file, one row: no copies

    # The units of those steps read it once their step is with them; the others never.
    def sees(step: Step) -> bool:
        reader = make_caseworker(step.unit)
        return document in disclosed_documents(journey, journey_disclosure(journey, reader))

    steps = {s.step_type.key: s for s in journey.steps.all()}
    assert sees(steps["parallel-1"]) and not sees(steps["parallel-2"])
    assert not sees(steps["chain-1"])  # still waiting for parallel-1
    decide(steps["parallel-1"])
    deliver_all()
    steps["chain-1"].refresh_from_db()
    assert steps["chain-1"].status == Step.Status.QUEUED and sees(steps["chain-1"])


def test_file_answers_cannot_be_amended_after_submission(trail):
    journey = submitted_journey(trail, files={"site_plan": pdf()})
    keys = [answer.key for answer in services.journey_answers(journey, list(journey.steps.all()))]
    assert "site_plan" not in keys and "site_photo" not in keys
    assert (
        services.journey_amend(
            journey=journey,
            by=journey.applicant,
            answers={"site_plan": "x.pdf"},
            now=timezone.now(),
        )
        == []
    )
    after = services.journey_file_answer(
        journey=journey,
        key="site_plan",
        upload=pdf("other.pdf"),
        by=journey.applicant,
        now=timezone.now(),
    )
    assert after.name == "site-plan.pdf"  # a submitted journey's file stays as sent


@pytest.fixture
def case(trail):
    """parallel-1 taken by its caseworker."""
    journey = submitted_journey(trail, files={"site_plan": pdf()})
    step = journey.steps.get(step_type__key="parallel-1")
    caseworker = make_caseworker(step.unit)
    return services.step_claim(step=step, by=caseworker, now=timezone.now()), caseworker


@pytest.mark.parametrize("visible", [False, True])
def test_a_caseworkers_document_stays_with_its_step_on_the_journal(case, visible):
    step, caseworker = case
    version = step.version
    document = services.step_document_add(
        step=step,
        by=caseworker,
        upload=SimpleUploadedFile("site-visit.png", PNG),
        visible_to_applicant=visible,
        expected_version=step.version,
        now=timezone.now(),
    )
    assert (document.unit, document.visible_to_applicant) == (step.unit, visible)
    assert list(document.steps.all()) == [step] and document.field_key == ""
    event = JourneyEvent.objects.get(kind=JourneyEvent.Kind.DOCUMENT_ADDED)
    # Registered to its case, as every document that reaches a registered case is.
    assert document.registration_number == f"{step.registration_number}-1"
    assert (event.step, event.actor) == (step, caseworker)
    assert event.message == f"{document.registration_number} site-visit.png"
    assert event.visible_to_applicant is visible
    journey = step.journey
    assert (document in journey.documents.for_applicant()) is visible
    assert document not in journey.documents.from_applicant()
    other = make_caseworker(journey.steps.get(step_type__key="parallel-2").unit)
    assert document not in disclosed_documents(journey, journey_disclosure(journey, other))
    assert document in disclosed_documents(journey, journey_disclosure(journey, caseworker))
    step.refresh_from_db()
    assert step.version == version + 1  # the case changed: forms loaded before are stale


def test_a_caseworkers_document_is_refused_on_a_changed_or_closed_case(case):
    step, caseworker = case
    add = {
        "by": caseworker,
        "upload": SimpleUploadedFile("letter.pdf", PDF),
        "visible_to_applicant": True,
        "now": timezone.now(),
    }
    with pytest.raises(services.StepChanged):
        services.step_document_add(step=step, expected_version=step.version - 1, **add)
    decide(step, by=caseworker)
    with pytest.raises(services.StepClosed):
        services.step_document_add(step=step, **add)
    assert not Document.objects.filter(unit__isnull=False).exists()


def test_a_file_sent_in_a_conversation_belongs_to_the_side_that_sent_it(case):
    step, caseworker = case
    journey = step.journey
    for by, name in ((caseworker, "opening-hours.pdf"), (journey.applicant, "lease.pdf")):
        services.conversation_message_send(
            step=step, by=by, body="See the file.", now=timezone.now(), files=[pdf(name)]
        )
    from_unit = Document.objects.get(name="opening-hours.pdf")
    assert from_unit.unit == step.unit and from_unit.visible_to_applicant
    assert Document.objects.get(name="lease.pdf").unit is None
    # The applicant's own documents, offered again when a unit asks: not the unit's file.
    assert {d.name for d in journey.documents.from_applicant()} == {"site-plan.pdf", "lease.pdf"}
