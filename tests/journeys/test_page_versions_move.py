"""Every change a polled page shows moves the version its validator is made of (journeys.versions):
a journey's in the change's own transaction, a unit's queue and the dashboard once the change is
committed, the catalogue when a name changes. A version that stood still would let a page answer
"not modified" with something old."""

import datetime as dt
import uuid
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from journeys import services
from journeys.models import (
    ConversationMessage,
    FailedTask,
    Handoff,
    Journey,
    ListVersion,
    Step,
)
from journeys.versions import (
    CATALOGUE,
    DASHBOARD,
    _lists_of,
    journey_versions,
    journeys_changed,
    queue_key,
)
from organisations.register import STAND_IN, StandInRegister
from payments.models import Invoice
from payments.services import payment_file_import
from tests.factories import (
    decide,
    deliver_all,
    make_caseworker,
    make_coordinator,
    make_person,
    organisation_journey,
    submitted_journey,
)
from tests.journey_types import journey_type, make_test_units
from tests.payments.bgmax_files import bgmax_file
from tests.payments.factories import house_journey, make_finance, permit_step
from units.models import StaffProfile, Unit

NOW = timezone.now() - dt.timedelta(days=3)


def later(minutes: int) -> dt.datetime:
    return NOW + dt.timedelta(minutes=minutes)


@pytest.fixture
def journey(db):
    return submitted_journey(journey_type(parallel=2, chain=1, deadline_days=20), now=NOW)


def step(journey, key) -> Step:
    return journey.steps.select_related("unit", "step_type", "journey").get(step_type__key=key)


def version(journey) -> int:
    return Journey.objects.values_list("version", flat=True).get(pk=journey.pk)


def claimed(journey, key="parallel-1"):
    worker = make_caseworker(step(journey, key).unit)
    return services.step_claim(step=step(journey, key), by=worker, now=later(1)), worker


def transfer(journey):
    held, worker = claimed(journey)
    to = Unit.objects.get(slug="office-parallel-2")
    return lambda: services.step_transfer(
        step=held, to=to, by=worker, reason="Not ours.", now=later(3)
    )


def consult(journey, unit=None):
    held, worker = claimed(journey)
    unit = unit or Unit.objects.get(slug="office-parallel-2")
    return lambda: services.consultation_request(
        step=held,
        by=worker,
        unit=unit,
        question="Noise?",
        due_date=later(60 * 24 * 10).date(),
        now=later(2),
    )


# Each kind of change the applicant's page (and a queue, and the dashboard) shows, made through
# its service: set up, then return the change itself.


def delivered(j):
    decide(step(j, "parallel-1"), now=later(1))
    return lambda: deliver_all(later(2))


def taken(j):
    first = step(j, "parallel-1")
    worker = make_caseworker(first.unit)
    return lambda: services.step_claim(step=first, by=worker, now=later(1))


def released(j):
    held, worker = claimed(j)
    return lambda: services.step_release(step=held, by=worker, now=later(2))


def reassigned(j):
    held, _worker = claimed(j)
    lead, other = make_caseworker(held.unit, lead=True), make_caseworker(held.unit)
    return lambda: services.step_reassign(step=held, by=lead, to=other, now=later(2))


def decided(outcome):
    def setup(j):
        held, worker = claimed(j)
        return lambda: services.step_decide(
            step=held, by=worker, outcome=outcome, reasons="Reasons.", now=later(2)
        )

    return setup


def requested(j):
    held, worker = claimed(j)
    return lambda: services.information_request_create(
        step=held,
        by=worker,
        items=["A site plan"],
        due_date=later(60 * 24 * 7).date(),
        now=later(2),
    )


def answered(j):
    request = requested(j)()
    return lambda: services.information_request_answer(
        request=request, by=j.applicant, answer="Attached.", now=later(3)
    )


def unit_writes(j):
    held, worker = claimed(j)
    return lambda: services.conversation_message_send(
        step=held, by=worker, body="When do you open?", now=later(2)
    )


def applicant_writes(j):
    first = step(j, "parallel-1")
    return lambda: services.conversation_message_send(
        step=first, by=j.applicant, body="Any news?", now=later(2)
    )


def applicant_reads(j):
    unit_writes(j)()
    return lambda: services.conversation_read(journey=j, by=j.applicant, now=later(3))


def unit_reads(j):
    applicant_writes(j)()
    first = step(j, "parallel-1")
    reader = make_caseworker(first.unit)
    return lambda: services.conversation_read(journey=j, step=first, by=reader, now=later(3))


def reopened(j):
    approved = decide(step(j, "parallel-1"), now=later(2))
    return lambda: services.step_reopen(
        step=approved, by=approved.assignee, reason="Wrong.", now=later(3)
    )


def sent_back(j):
    decide(step(j, "parallel-1"), now=later(2))
    deliver_all(later(3))
    chained = step(j, "chain-1")
    worker = make_caseworker(chained.unit)
    chained = services.step_claim(step=chained, by=worker, now=later(4))
    earlier = step(j, "parallel-1")
    return lambda: services.step_send_back(
        step=chained, to=earlier, by=worker, reason="Redo.", now=later(5)
    )


def consultation_answered(j):
    consultation = consult(j)()
    answerer = make_caseworker(consultation.unit)
    return lambda: services.consultation_answer(
        consultation=consultation, by=answerer, answer="No.", now=later(3)
    )


def unit_document(j):
    held, worker = claimed(j)
    upload = SimpleUploadedFile("decision.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")
    return lambda: services.step_document_add(
        step=held, by=worker, upload=upload, visible_to_applicant=True, now=later(2)
    )


def contact_named(j):
    coordinator = make_coordinator()
    return lambda: services.journey_contact_assign(
        journey=j, contact=coordinator, by=coordinator, now=later(1)
    )


CHANGES = {
    "a step reaching its unit (a handoff delivered)": delivered,
    "a case taken": taken,
    "a case put back in the queue": released,
    "a case handed to another caseworker": reassigned,
    "an approval": decided("approve"),
    "a rejection": decided("reject"),
    "a request for information": requested,
    "the applicant's answer": answered,
    "a unit's message": unit_writes,
    "the applicant's message": applicant_writes,
    "the applicant reading the unit's message": applicant_reads,
    "the unit reading the applicant's message": unit_reads,
    "an answer changed": lambda j: (
        lambda: services.journey_amend(
            journey=j, by=j.applicant, answers={"site_address": "Storgatan 2"}, now=later(1)
        )
    ),
    "a withdrawal": lambda j: (
        lambda: services.journey_withdraw(
            journey=j, by=j.applicant, reason="Changed plans.", now=later(1)
        )
    ),
    "a transfer": transfer,
    "a reopened decision": reopened,
    "a case sent back": sent_back,
    "a consultation asked": consult,
    "a consultation answered": consultation_answered,
    "a request for a decision": lambda j: (
        lambda: services.decision_request_create(
            step=step(j, "parallel-1"), by=j.applicant, now=later(60 * 24 * 200)
        )
    ),
    "a unit's document": unit_document,
    "a named contact": contact_named,
    "a delay notice": lambda j: lambda: services.delay_notices_sweep(now=later(60 * 24 * 19)),
}


@pytest.mark.parametrize("change", CHANGES)
def test_every_change_the_tracking_page_shows_moves_the_journeys_version(journey, change):
    act = CHANGES[change](journey)
    before = version(journey)
    act()
    assert version(journey) > before, change


def test_a_payment_moves_the_journeys_version(house):
    journey = house_journey(house)
    invoice = Invoice.objects.get(step=permit_step(journey))
    before = version(journey)
    payment_file_import(
        content=bgmax_file("5550-1027", [(invoice.ocr, invoice.amount_ore)]).encode("iso-8859-1"),
        name="bgmax.txt",
        units=[invoice.unit],
        by=make_finance(invoice.unit),
        now=timezone.now(),
    )
    assert version(journey) > before


def test_reading_nothing_new_moves_nothing(journey):
    applicant_reads(journey)()
    before = version(journey)
    assert services.conversation_read(journey=journey, by=journey.applicant, now=later(4)) == 0
    assert version(journey) == before


# The lists: moved once the change is committed.


def lists() -> dict[str, int]:
    return dict(ListVersion.objects.values_list("key", "version"))


def moved(before: dict, after: dict) -> set[str]:
    return {key for key, value in after.items() if value != before.get(key)}


def lists_committed() -> None:
    """Move the lists the test's changes so far moved, as their commit would: a test runs in one
    transaction, so what its setup registered for after the commit is still waiting too."""
    waiting = [entry for entry in connection.run_on_commit if _lists_of(entry[1])]
    for entry in waiting:
        connection.run_on_commit.remove(entry)
        entry[1]()


@pytest.fixture
def committed(db):
    """Make a change and commit it: the list versions it moved."""

    def run(change):
        lists_committed()
        before = lists()
        change()
        lists_committed()
        return moved(before, lists())

    return run


def test_a_case_reaching_a_unit_moves_that_units_queue_and_the_dashboard(journey, committed):
    chained = step(journey, "chain-1")
    assert {queue_key(chained.unit_id), DASHBOARD} <= committed(delivered(journey))


def test_a_transfer_moves_both_units_queues(journey, committed):
    held = step(journey, "parallel-1")
    assert {
        queue_key(held.unit_id),
        queue_key(Unit.objects.get(slug="office-parallel-2").pk),
        DASHBOARD,
    } <= committed(transfer(journey))


def test_a_consultation_moves_the_consulted_units_queue(db, committed):
    make_test_units("office-consulted")
    journey = submitted_journey(journey_type(parallel=1, chain=0), now=NOW)
    consulted = Unit.objects.get(slug="office-consulted")
    assert queue_key(consulted.pk) in committed(consult(journey, consulted))


def test_the_unit_reading_a_message_moves_its_queue_new_messages_filter(journey, committed):
    read = unit_reads(journey)
    assert ConversationMessage.objects.filter(read_at__isnull=True).exists()
    assert queue_key(step(journey, "parallel-1").unit_id) in committed(read)


def test_a_dead_letter_moves_the_dashboard(journey, committed):
    handoff = Handoff.objects.first()
    assert DASHBOARD in committed(
        lambda: services.task_failure_record(
            task_id="t-1",
            task_name="journeys.tasks.handoff_deliver",
            args=[handoff.pk],
            error="boom",
            now=later(1),
        )
    )
    assert FailedTask.objects.count() == 1


def test_publishing_a_handoff_moves_the_dashboard_only_once_it_could_be_listed_as_failed(
    journey, committed, settings, monkeypatch
):
    from journeys.services import outbox

    monkeypatch.setattr(outbox, "_publish", lambda *args, **kwargs: 0)  # the broker is not tested
    decide(step(journey, "parallel-1"), now=later(1))
    fresh = Handoff.objects.undelivered().order_by("-pk")[:1]
    assert committed(lambda: outbox.outbox_publish(fresh, now=later(1))) == set()
    late = later(1) + dt.timedelta(seconds=settings.HANDOFF_GRACE_SECONDS + 1)
    assert committed(lambda: outbox.outbox_publish(fresh, now=late)) == {DASHBOARD}


def test_a_change_rolled_back_moves_no_list(journey, committed):
    def rolled_back():
        with transaction.atomic():
            claimed(journey)
            transaction.set_rollback(True)

    before = version(journey)
    assert committed(rolled_back) == set()
    assert version(journey) == before


def test_one_transaction_moves_its_lists_in_one_statement_after_the_commit(journey):
    lists_committed()
    with transaction.atomic():
        held, worker = claimed(journey)
        services.note_add(
            step=held, by=worker, kind="note", text="A", visible_to_applicant=False, now=later(2)
        )
        decide(step(journey, "parallel-2"), now=later(3))
    (waiting,) = [f for _, f, _ in connection.run_on_commit if _lists_of(f)]
    with CaptureQueriesContext(connection) as queries:
        waiting()
    # The units of the journey's steps and consultations, then every list moved at once.
    assert len(queries) == 2
    assert "ON CONFLICT" in queries[1]["sql"]


# The catalogue: the names every page shows.


def test_a_renamed_unit_or_a_staff_members_new_name_moves_the_catalogue(journey, committed):
    unit = step(journey, "parallel-1").unit
    unit.name = "Planning"
    assert CATALOGUE in committed(unit.save)
    worker = make_caseworker(unit)
    worker.first_name = "Ada"
    assert CATALOGUE in committed(worker.save)
    assert CATALOGUE in committed(
        lambda: StaffProfile.objects.create(user=worker, phone="08-123 45 67")
    )


def test_signing_in_moves_no_catalogue(journey, committed):
    worker = make_caseworker(step(journey, "parallel-1").unit)
    worker.last_login = timezone.now()
    assert committed(lambda: worker.save(update_fields=["last_login"])) == set()


# The version read: the journey's scope (JourneyQuerySet.acting_for) and versions in one query.


def test_the_version_read_answers_those_the_journey_is_acted_on_by_and_nobody_else(
    journey, django_assert_num_queries
):
    with django_assert_num_queries(1):
        status, versions = journey_versions(journey.applicant, public_id=journey.public_id)
    assert status == Journey.objects.get(pk=journey.pk).status and versions[0] == version(journey)
    assert (
        journey_versions(make_caseworker(first_unit(journey)), public_id=journey.public_id) is None
    )
    assert journey_versions(journey.applicant, public_id=uuid.uuid4()) is None


def test_the_version_read_answers_an_organisations_other_representative(cafe, settings):
    settings.SIGNATORY_REGISTER = STAND_IN
    number, anna, bertil = "556016-0680", "19900101-2385", "19850615-2381"
    with mock.patch.object(StandInRegister, "COMPANIES", {number: ("Kaffe AB", {anna, bertil})}):
        journey = organisation_journey(cafe, make_person(anna), number=number, name="Kaffe AB")
        other = make_person(bertil)
        services.journey_applying_for_organisation(
            journey=services.journey_start(journey_type=cafe, applicant=other, now=NOW),
            person=other.person,
            number=number,
            name="Kaffe AB",
            now=NOW,
        )
    assert journey_versions(other, public_id=journey.public_id) == journey_versions(
        journey.applicant, public_id=journey.public_id
    )
    assert journey_versions(make_person("19720304-2382"), public_id=journey.public_id) is None


def first_unit(journey):
    return step(journey, "parallel-1").unit


@pytest.mark.django_db(transaction=True)
def test_a_list_that_fails_to_move_does_not_fail_the_committed_change(caplog):
    journey = submitted_journey(journey_type(parallel=1, chain=0), now=NOW)
    before = version(journey)
    failing = mock.patch("journeys.versions.versions_move", side_effect=DatabaseError("gone"))
    with failing, transaction.atomic():
        journeys_changed([journey.pk])
    assert version(journey) == before + 1  # committed, and the caller was not told otherwise
    assert "gone" in caplog.text  # logged
