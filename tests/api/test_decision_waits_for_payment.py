"""A unit's system deciding through the API meets the same wait for payment as the case page."""

from django.utils import timezone

from journeys.models import Step
from payments.models import Invoice
from tests.payments.factories import house_journey, permit_step


def test_an_api_approval_of_an_unpaid_step_is_a_payment_due_problem(db, house, api_caller):
    step = permit_step(house_journey(house))
    caller = api_caller(step.unit)
    taken = caller.post(f"/api/v1/steps/{step.pk}/take/")
    response = caller.post(
        f"/api/v1/steps/{step.pk}/decision/",
        {"outcome": "approve", "reasons": "All in order."},
        headers={"If-Match": taken["ETag"]},
    )
    assert response.status_code == 409
    assert response.json()["type"] == "urn:portal:problem:payment-due"
    step.refresh_from_db()
    assert step.status == Step.Status.IN_PROGRESS
    Invoice.objects.filter(step=step).update(paid_at=timezone.now())
    response = caller.post(
        f"/api/v1/steps/{step.pk}/decision/",
        {"outcome": "approve", "reasons": "All in order."},
        headers={"If-Match": taken["ETag"]},
    )
    assert response.status_code == 200, response.content
