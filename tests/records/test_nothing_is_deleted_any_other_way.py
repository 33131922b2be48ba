"""A journey's records go only through the disposal rules: no delete cascades from a journey
to anything, and the admin cannot delete a journey, nor take one with a user, a unit, a
journey type or an accounting record."""

import pytest
from django.contrib.auth import get_user_model
from django.db.models import CASCADE, DO_NOTHING, ProtectedError
from django.urls import reverse

from journeys.models import Document, Journey, JourneyEvent, JourneyType, Step
from payments.models import Invoice
from tests.factories import decide, make_user, submitted_journey
from tests.journey_types import journey_type


def reverse_relations(model):
    return [
        field
        for field in model._meta.get_fields(include_hidden=True)
        if field.auto_created
        and not field.concrete
        and (field.one_to_many or field.one_to_one or field.many_to_many)
    ]


def test_no_delete_cascades_from_a_journey_to_anything():
    """Every model that refers to a journey, or to one of its records and so on, refuses the
    delete (PROTECT) or refers without a constraint (the access log): only the link rows of
    many-to-many fields (a document's steps) follow their document."""
    cascading, seen, todo = [], set(), [Journey]
    while todo:
        model = todo.pop()
        if model in seen:
            continue
        seen.add(model)
        for relation in reverse_relations(model):
            related = relation.related_model
            if related._meta.auto_created or relation.many_to_many:
                continue  # a many-to-many's own link rows
            if relation.on_delete is CASCADE:
                cascading.append(f"{related.__name__}.{relation.field.name}")
            if relation.on_delete is not DO_NOTHING:
                todo.append(related)
    assert cascading == []
    assert {Step, JourneyEvent, Document, Invoice} <= seen


@pytest.fixture
def journey(db):
    trail = journey_type(parallel=1, chain=0)
    trail.steps.update(fee=None)
    journey = submitted_journey(trail)
    decide(journey.steps.get())
    return journey


@pytest.fixture
def admin_client(client, db):
    client.force_login(make_user("records-admin", is_staff=True, is_superuser=True))
    return client


def test_the_orm_refuses_to_delete_a_journey_or_its_people(journey):
    with pytest.raises(ProtectedError):
        Journey.objects.get(pk=journey.pk).delete()
    with pytest.raises(ProtectedError):
        journey.applicant.delete()
    with pytest.raises(ProtectedError):
        journey.steps.get().delete()
    assert Journey.objects.filter(pk=journey.pk).exists()


def test_the_admin_cannot_delete_a_journey(admin_client, journey):
    page = admin_client.get(reverse("admin:journeys_journey_change", args=[journey.pk]))
    assert page.status_code == 200
    assert reverse("admin:journeys_journey_delete", args=[journey.pk]) not in page.text
    delete = reverse("admin:journeys_journey_delete", args=[journey.pk])
    assert admin_client.get(delete).status_code == 403
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    changelist = admin_client.get(reverse("admin:journeys_journey_changelist"))
    assert "delete_selected" not in changelist.text
    admin_client.post(
        reverse("admin:journeys_journey_changelist"),
        {"action": "delete_selected", "_selected_action": [journey.pk], "post": "yes"},
    )
    assert Journey.objects.filter(pk=journey.pk).exists()


@pytest.mark.parametrize("what", ["applicant", "unit", "journey_type"])
def test_the_admin_cannot_take_a_journey_with_what_it_belongs_to(admin_client, journey, what):
    """Deleting the applicant, a unit of its steps or its journey type: the admin names the
    journey's records that protect it, and deletes nothing."""
    target = {
        "applicant": journey.applicant,
        "unit": journey.steps.get().unit,
        "journey_type": journey.journey_type,
    }[what]
    meta = target._meta
    url = reverse(f"admin:{meta.app_label}_{meta.model_name}_delete", args=[target.pk])
    page = admin_client.get(url)
    assert page.status_code == 200
    assert "<title>Cannot delete " in page.text  # the protected records are listed
    admin_client.post(url, {"post": "yes"})
    assert type(target).objects.filter(pk=target.pk).exists()
    assert Journey.objects.filter(pk=journey.pk).exists()
    assert journey.events.count() > 0


def test_the_admin_cannot_delete_an_accounting_record_or_a_disposal_record(admin_client, db):
    for name in (
        "payments_invoice",
        "payments_paymentfile",
        "records_disposalrecord",
        "records_legalhold",
        "records_erasurerequest",
        "records_accesslogentry",
    ):
        changelist = admin_client.get(reverse(f"admin:{name}_changelist"))
        assert changelist.status_code == 200, name
        assert "delete_selected" not in changelist.text, name
    assert get_user_model().objects.filter(username="records-admin").exists()
    assert JourneyType.objects.exists()
