"""A step's fee becomes an invoice when its journey type says so, and can hold up approval."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from journeys import services
from journeys.definitions import DefinitionError, journey_type_publish
from journeys.models import JourneyType
from payments.models import Invoice
from payments.ocr import ocr_is_valid
from payments.services import PaymentDue
from tests.factories import (
    answers_for,
    decide,
    deliver_all,
    make_caseworker,
    make_user,
    submitted_journey,
)
from tests.journeys.test_step_graph import _admin_add_form
from tests.payments.factories import house_journey, permit_step

pytestmark = pytest.mark.django_db


def test_a_fee_invoiced_at_submission_becomes_an_invoice_when_the_application_is_sent(
    house, settings
):
    settings.INVOICE_DUE_DAYS = 30
    journey = house_journey(house)
    (invoice,) = Invoice.objects.filter(journey=journey)
    step = permit_step(journey)
    assert invoice.step == step and invoice.unit == step.unit
    assert invoice.amount_ore == 11000_00 and invoice.amount_kronor == "11\u00a0000"
    assert invoice.bankgiro == "55501027" and invoice.bankgiro_display == "5550-1027"
    assert ocr_is_valid(invoice.ocr)
    assert invoice.due_date == timezone.localdate(journey.submitted_at) + dt.timedelta(days=30)
    assert not invoice.is_paid


def test_submitting_twice_makes_one_invoice(house):
    journey = house_journey(house)
    services.journey_submit(
        journey=journey, by=journey.applicant, language="en", now=timezone.now()
    )
    assert Invoice.objects.filter(journey=journey).count() == 1


def test_a_fee_invoiced_at_decision_becomes_an_invoice_when_the_step_is_decided(house):
    journey = house_journey(house, answers=answers_for(house) | {"new_drainage": True})
    permit = permit_step(journey)
    Invoice.objects.filter(step=permit).update(paid_at=timezone.now())
    decide(permit)
    deliver_all()
    drainage = journey.steps.get(step_type__key="drainage-connection")
    assert not Invoice.objects.filter(step=drainage).exists()
    decide(drainage, "reject")
    invoice = Invoice.objects.get(step=drainage)
    assert invoice.amount_ore == 4500_00 and ocr_is_valid(invoice.ocr)


def test_a_journey_type_without_invoicing_only_shows_its_fees(cafe):
    journey = submitted_journey(cafe)
    decide(journey.steps.get(step_type__key="building-permit"))
    assert not Invoice.objects.filter(journey=journey).exists()


def test_approval_waits_for_payment_and_rejection_does_not(house):
    journey = house_journey(house)
    step = permit_step(journey)
    caseworker = make_caseworker(step.unit)
    step = services.step_claim(step=step, by=caseworker, now=timezone.now())
    with pytest.raises(PaymentDue):
        services.step_decide(
            step=step, by=caseworker, outcome="approve", reasons="Fine.", now=timezone.now()
        )
    step.refresh_from_db()
    assert step.status == step.Status.IN_PROGRESS
    Invoice.objects.filter(step=step).update(paid_at=timezone.now())
    step = services.step_decide(
        step=step, by=caseworker, outcome="approve", reasons="Fine.", now=timezone.now()
    )
    assert step.status == step.Status.APPROVED


def test_an_unpaid_step_can_still_be_rejected(house):
    step = permit_step(house_journey(house))
    assert decide(step, "reject").status == step.Status.REJECTED


def _definition(**step_extra):
    return {
        "slug": "fee-test",
        "name": "Fee test",
        "summary": "A type to test fee rules.",
        "reference_prefix": "FEE",
        "steps": [{"key": "one", "name": "One", "unit": "urban-planning", **step_extra}],
    }


@pytest.mark.parametrize(
    ("extra", "problem"),
    [
        ({"fee": 100, "invoice_at": "payday"}, "invoice_at must be 'submission' or 'decision'"),
        ({"fee": -5}, "fee must be whole kronor"),
        ({"fee": "100"}, "fee must be whole kronor"),
        ({"fee": 100, "pay_before_decision": "yes"}, "must be true or false"),
        ({"fee": 100, "pay_before_decision": True}, "needs a fee invoiced at submission"),
        (
            {"fee": 100, "invoice_at": "decision", "pay_before_decision": True},
            "needs a fee invoiced at submission",
        ),
    ],
)
def test_fee_settings_are_validated_when_a_type_is_published(units, extra, problem):
    with pytest.raises(DefinitionError, match=problem):
        journey_type_publish(_definition(**extra), source="fee-test.yaml")


def test_an_invoiced_step_needs_its_unit_to_have_a_bankgiro_number(units):
    units["urban-planning"].bankgiro = ""
    units["urban-planning"].save()
    with pytest.raises(DefinitionError, match="needs a bankgiro number"):
        journey_type_publish(_definition(fee=100, invoice_at="submission"), source="fee-test.yaml")


def test_a_routed_invoiced_step_needs_a_bankgiro_number_for_every_unit_it_may_reach(units):
    units["police"].bankgiro = ""
    units["police"].save()
    definition = _definition(fee=100, invoice_at="submission")
    definition["fields"] = [{"key": "district", "label": "District"}]
    step = definition["steps"][0]
    del step["unit"]
    step["route"] = {
        "by": "district",
        "rules": [{"equals": "north", "unit": "police"}],
        "default": "urban-planning",
    }
    with pytest.raises(DefinitionError, match="unit 'police' needs a bankgiro number"):
        journey_type_publish(definition, source="fee-test.yaml")


def test_the_type_level_invoice_at_applies_to_every_step_with_a_fee(units):
    definition = _definition(fee=100)
    definition["invoice_at"] = "decision"
    journey_type, _new = journey_type_publish(definition, source="fee-test.yaml")
    assert journey_type.steps.get().invoice_at == "decision"
    definition["invoice_at"] = "whenever"
    with pytest.raises(DefinitionError, match="journey type: invoice_at"):
        journey_type_publish(definition, source="fee-test.yaml")


@pytest.mark.parametrize(
    ("step", "problem"),
    [
        ({"fee": "100", "pay_before_decision": "on"}, "only of a fee invoiced at submission"),
        (
            {"fee": "100", "invoice_at": "decision", "pay_before_decision": "on"},
            "only of a fee invoiced at submission",
        ),
        ({"fee": "100", "invoice_at": "submission", "bankgiro": ""}, "bankgiro number before"),
    ],
)
def test_the_admin_checks_the_same_fee_rules(client, units, step, problem):
    if "bankgiro" in step:
        units["police"].bankgiro = step.pop("bankgiro")
        units["police"].save()
    client.force_login(make_user(is_staff=True, is_superuser=True))
    data = _admin_add_form(units, [{"key": "first"}])
    data.update({f"steps-0-{key}": value for key, value in step.items()})
    response = client.post(reverse("admin:journeys_journeytype_add"), data)
    assert response.status_code == 200
    assert problem in response.content.decode()
    assert not JourneyType.objects.filter(slug="admin-made").exists()
