"""A unit asks another unit's opinion on its step (remiss): the question waits in the consulted
unit's queue, counts when overdue, shows only what the asking step may see, and the answer is
attached to the asking step; both on the journey's timeline."""

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from journeys import services
from journeys.models import Consultation, JourneyEvent, OutgoingEmail
from tests.factories import make_caseworker, make_coordinator, send_emails, submitted_journey
from tests.journey_types import TRAIL_ANSWERS, journey_type
from units.models import StaffProfile


@pytest.fixture
def asked(db):
    """parallel-1's caseworker asks parallel-2's unit; that unit sees the question."""
    journey = submitted_journey(journey_type())
    step = journey.steps.get(step_type__key="parallel-1")
    consulted_unit = journey.steps.get(step_type__key="parallel-2").unit
    worker = make_caseworker(step.unit)
    step = services.step_claim(step=step, by=worker, now=timezone.now())
    consultation = services.consultation_request(
        step=step,
        by=worker,
        unit=consulted_unit,
        question="Does the site need a noise permit?",
        due_date=timezone.localdate() + dt.timedelta(days=10),
        now=timezone.now(),
    )
    return consultation, worker, make_caseworker(consulted_unit)


def test_asking_records_the_question_on_the_timeline_and_e_mails_the_consulted_unit(asked):
    consultation, _worker, _ = asked
    event = consultation.step.journey.events.get(kind=JourneyEvent.Kind.CONSULTATION_REQUESTED)
    assert event.step == consultation.step and event.message == consultation.unit.name
    email = OutgoingEmail.objects.get(kind=OutgoingEmail.Kind.CONSULTATION)
    assert email.consultation == consultation


def test_a_unit_cannot_consult_itself_nor_ask_on_a_case_it_does_not_hold(asked):
    consultation, worker, _ = asked
    with pytest.raises(services.SameUnit):
        services.consultation_request(
            step=consultation.step,
            by=worker,
            unit=consultation.step.unit,
            question="?",
            due_date=timezone.localdate(),
            now=timezone.now(),
        )
    with pytest.raises(services.NotAssignee):
        services.consultation_request(
            step=consultation.step,
            by=make_caseworker(consultation.step.unit),
            unit=consultation.unit,
            question="?",
            due_date=timezone.localdate(),
            now=timezone.now(),
        )


def test_the_question_waits_in_the_consulted_units_queue_and_counts_when_overdue(client, asked):
    consultation, _, consulted = asked
    client.force_login(consulted)
    page = client.get(reverse("casework:queue")).content.decode()
    assert "1 consultation to answer" in page and "1 overdue" not in page
    url = reverse("casework:consultation", args=[consultation.pk])
    assert url in page
    Consultation.objects.filter(pk=consultation.pk).update(
        due_date=timezone.localdate() - dt.timedelta(days=1)
    )
    page = client.get(reverse("casework:queue")).content.decode()
    assert "1 overdue" in page
    assert list(Consultation.objects.overdue(now=timezone.now())) == [consultation]
    lead = make_caseworker(consultation.unit, lead=True)
    client.force_login(lead)
    workload = client.get(reverse("casework:workload")).content.decode()
    assert "Consultations to answer" in workload and "1 overdue" in workload
    client.force_login(make_coordinator())
    tab = client.get(reverse("coordination:dashboard"), {"view": "consultations"})
    assert consultation.step.journey.reference in tab.content.decode()


def test_the_consulted_unit_sees_the_asking_steps_fields_and_the_question_only(client, asked):
    consultation, _, consulted = asked
    client.force_login(consulted)
    page = client.get(reverse("casework:consultation", args=[consultation.pk])).content.decode()
    assert "Does the site need a noise permit?" in page
    # parallel-1 needs the name and the e-mail address; chain-1's site address is not its.
    assert TRAIL_ANSWERS["contact_email"] in page
    assert TRAIL_ANSWERS["site_address"] not in page


def test_the_answer_is_attached_to_the_asking_step_and_on_the_timeline(client, asked):
    consultation, worker, consulted = asked
    client.force_login(consulted)
    url = reverse("casework:consultation_answer", args=[consultation.pk])
    assert client.post(url, {"answer": ""}).status_code == 422
    response = client.post(url, {"answer": "No permit needed below 45 dB."})
    assert response.status_code == 302
    consultation.refresh_from_db()
    assert consultation.answered_by == consulted and consultation.answer.startswith("No permit")
    journey = consultation.step.journey
    assert journey.events.filter(kind=JourneyEvent.Kind.CONSULTATION_ANSWERED).count() == 1
    assert client.post(url, {"answer": "Again."}).status_code == 409
    client.force_login(worker)
    case = client.get(reverse("casework:case", args=[consultation.step.pk])).content.decode()
    assert "No permit needed below 45 dB." in case and "Consultations on this step" in case
    assert "Consulted unit answered" in case  # the timeline


def test_asking_through_the_case_page(client, asked):
    consultation, worker, _ = asked
    step = consultation.step
    step.refresh_from_db()
    client.force_login(worker)
    url = reverse("casework:consult", args=[step.pk])
    due = (timezone.localdate() + dt.timedelta(days=7)).isoformat()
    refused = client.post(
        url, {"version": step.version, "unit": "", "question": "", "due_date": due}
    )
    assert refused.status_code == 422 and "Select the unit to consult" in refused.content.decode()
    sent = client.post(
        url,
        {
            "version": step.version,
            "unit": consultation.unit.pk,
            "question": "And the drainage?",
            "due_date": due,
        },
    )
    assert sent.status_code == 302
    assert step.consultations.count() == 2


def test_other_units_get_404(client, asked):
    consultation, worker, _ = asked
    for user in (
        worker,
        make_caseworker(consultation.step.journey.steps.get(step_type__key="chain-1").unit),
    ):
        client.force_login(user)
        url = reverse("casework:consultation", args=[consultation.pk])
        assert client.get(url).status_code == 404
        answer = reverse("casework:consultation_answer", args=[consultation.pk])
        assert client.post(answer, {"answer": "x"}).status_code == 404


def test_the_consulted_units_members_are_e_mailed_on_its_queue_in_their_language(asked, settings):
    settings.SITE_URL = "https://portal.example.org"
    consultation, _, consulted = asked
    StaffProfile.objects.create(user=consulted, language="sv")
    email = OutgoingEmail.objects.get(kind=OutgoingEmail.Kind.CONSULTATION)
    assert email.queue == consultation.unit.queue_name
    assert send_emails(kind=OutgoingEmail.Kind.CONSULTATION) == 1
    message = mail.outbox[-1]
    assert message.to == [consulted.email]
    assert message.subject == f"Remiss: {consultation.step.journey.reference}"
    assert "ber om din enhets yttrande" in message.body
    url = f"https://portal.example.org/work/consultations/{consultation.pk}/"
    assert f"Öppna remissen: {url}" in message.body
    assert send_emails(kind=OutgoingEmail.Kind.CONSULTATION) == 0  # sent once
