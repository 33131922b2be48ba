"""A step's unit chosen by a rule on the answers: each rule kind, the file's validation, routing
at submission and again when the applicant changes an answer on an information request."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from journeys import services
from journeys.definitions import DefinitionError, journey_type_publish
from journeys.models import JourneyEvent, Step
from journeys.routing import route_unit
from tests.factories import CAFE_ANSWERS, make_caseworker, submitted_journey
from tests.journey_types import make_test_units

OFFICES = ("office-central", "office-north", "office-south", "office-large", "office-first")


def route(*rules, by="postcode", default="office-central"):
    return {"by": by, "rules": list(rules), "default": default}


@pytest.mark.parametrize(
    ("rule", "answer", "chosen"),
    [
        ({"equals": "Södermalm", "unit": "office-south"}, " södermalm ", "office-south"),
        ({"equals": "Södermalm", "unit": "office-south"}, "Norrmalm", "office-central"),
        ({"in": ["Vasastan", "Östermalm"], "unit": "office-north"}, "östermalm", "office-north"),
        ({"in": ["Vasastan", "Östermalm"], "unit": "office-north"}, "Kista", "office-central"),
        ({"prefix": ["113", "114"], "unit": "office-north"}, "114 55", "office-north"),
        ({"prefix": "113", "unit": "office-north"}, "118 20", "office-central"),
        ({"range": {"from": 11800, "to": 12999}, "unit": "office-south"}, "118 20", "office-south"),
        (
            {"range": {"from": 11800, "to": 12999}, "unit": "office-south"},
            "13000",
            "office-central",
        ),
        ({"at_least": 200, "unit": "office-large"}, "250 m²", "office-large"),
        ({"at_least": 200, "unit": "office-large"}, "199,5", "office-central"),
        ({"below": 50, "unit": "office-large"}, "49", "office-large"),
        ({"below": 50, "unit": "office-large"}, "50", "office-central"),
        ({"at_least": 200, "unit": "office-large"}, "", "office-central"),
        ({"at_least": 200, "unit": "office-large"}, "no number", "office-central"),
    ],
)
def test_each_rule_kind_chooses_its_unit_or_leaves_the_default(rule, answer, chosen):
    assert route_unit(route(rule), {"postcode": answer}) == chosen


def test_the_first_matching_rule_wins_and_no_answer_takes_the_default():
    rules = route(
        {"prefix": "11", "unit": "office-first"}, {"prefix": "114", "unit": "office-north"}
    )
    assert route_unit(rules, {"postcode": "11455"}) == "office-first"
    assert route_unit(rules, {}) == "office-central"


def definition(step_route, **step):
    return {
        "slug": "routed-service",
        "name": "Routed service",
        "summary": "A service whose step is routed.",
        "reference_prefix": "ROUTE",
        "fields": [
            {"key": "postcode", "label": "Postcode", "optional": True},
            {"key": "name", "label": "Name"},
        ],
        "steps": [
            {"key": "first", "name": "First", "unit": "office-first"},
            {
                "key": "routed",
                "name": "Routed",
                "depends_on": ["first"],
                "route": step_route,
                "needs": ["name"],
                **step,
            },
        ],
    }


@pytest.fixture
def offices(db):
    return make_test_units(*OFFICES)


ROUTE = route(
    {"prefix": ["113", "114"], "unit": "office-north"},
    {"range": {"from": 11800, "to": 12999}, "unit": "office-south"},
)


@pytest.mark.parametrize(
    ("step_route", "extra", "message"),
    [
        (route({"prefix": "1", "unit": "office-nowhere"}), {}, "unknown unit 'office-nowhere'"),
        (
            route({"prefix": "1", "unit": "office-north"}, default="office-nowhere"),
            {},
            "unknown default unit 'office-nowhere'",
        ),
        ({"by": "postcode", "rules": [{"prefix": "1", "unit": "office-north"}]}, {}, "default"),
        (route({"prefix": "1", "unit": "office-north"}, by="zip"), {}, "'by' must name a field"),
        (route(), {}, "at least one rule"),
        (route({"unit": "office-north"}), {}, "exactly one of"),
        (route({"prefix": "1", "below": 3, "unit": "office-north"}), {}, "exactly one of"),
        (
            route({"prefix": "1", "unit": "office-north", "office": "x"}),
            {},
            "unknown key(s) office",
        ),
        ({**ROUTE, "fallback": "office-north"}, {}, "route: unknown key(s) fallback"),
        (route({"range": {"from": 5, "to": 1}, "unit": "office-north"}), {}, "end before"),
        (route({"range": {"from": "a", "to": 1}, "unit": "office-north"}), {}, "'range' must"),
        (route({"at_least": "many", "unit": "office-north"}), {}, "'at_least' must be a number"),
        (route({"in": [], "unit": "office-north"}), {}, "'in' must be a list"),
        (ROUTE, {"unit": "office-north"}, "either 'unit' or a 'route'"),
    ],
)
def test_a_rule_that_cannot_work_is_refused_with_where_and_why(offices, step_route, extra, message):
    with pytest.raises(DefinitionError) as refused:
        journey_type_publish(definition(step_route, **extra), source="routed.yaml")
    assert str(refused.value).startswith("routed.yaml: step routed: ")
    assert message in str(refused.value)


def test_a_step_is_routed_at_submission_by_the_answers(offices):
    service, _ = journey_type_publish(definition(ROUTE), source="routed.yaml")
    routed = service.steps.get(key="routed")
    assert routed.unit.slug == "office-central"  # the default is the step type's unit
    cases = {"114 55": "office-north", "120 30": "office-south", "": "office-central"}
    for postcode, unit in cases.items():
        journey = submitted_journey(service, answers={"name": "Anna", "postcode": postcode})
        assert journey.steps.get(step_type__key="routed").unit.slug == unit


@pytest.fixture
def asked(offices):
    """A routed journey whose first step asked the applicant for information."""
    service, _ = journey_type_publish(definition(ROUTE), source="routed.yaml")
    now = timezone.now() - dt.timedelta(days=3)
    journey = submitted_journey(service, answers={"name": "Anna", "postcode": "114 55"}, now=now)
    first = journey.steps.get(step_type__key="first")
    worker = make_caseworker(first.unit)
    first = services.step_claim(step=first, by=worker, now=now)
    request = services.information_request_create(
        step=first, by=worker, items=["Check the postcode"], due_date=now.date(), now=now
    )
    return journey, request


def test_a_changed_answer_on_an_information_request_routes_a_waiting_step_again(asked):
    journey, request = asked
    services.information_request_answer(
        request=request,
        by=journey.applicant,
        answer="The premises are on Södermalm.",
        amendments={"postcode": "118 20", "not_a_field": "ignored"},
        now=timezone.now(),
    )
    journey.refresh_from_db()
    assert journey.data["postcode"] == "118 20" and "not_a_field" not in journey.data
    routed = journey.steps.get(step_type__key="routed")
    assert routed.status == Step.Status.WAITING and routed.unit.slug == "office-south"
    moved = journey.events.get(kind=JourneyEvent.Kind.STEP_REROUTED)
    assert moved.step == routed and moved.message == "Office north → Office south"
    assert journey.events.filter(kind=JourneyEvent.Kind.ANSWERS_AMENDED).get().message == (
        "Postcode"
    )


def test_an_unchanged_answer_moves_nothing(asked):
    journey, request = asked
    services.information_request_answer(
        request=request,
        by=journey.applicant,
        answer="Same place.",
        amendments={"postcode": "114 55"},
        now=timezone.now(),
    )
    assert journey.steps.get(step_type__key="routed").unit.slug == "office-north"
    assert not journey.events.filter(
        kind__in=[JourneyEvent.Kind.STEP_REROUTED, JourneyEvent.Kind.ANSWERS_AMENDED]
    ).exists()


def test_a_step_already_handed_to_its_unit_is_not_rerouted(asked):
    journey, _ = asked
    first = journey.steps.get(step_type__key="first")
    services.journey_answers_amend(
        journey=journey, by=journey.applicant, answers={"postcode": "999"}, now=timezone.now()
    )
    assert journey.steps.get(pk=first.pk).unit.slug == "office-first"
    routed = journey.steps.get(step_type__key="routed")
    assert routed.unit.slug == "office-central"
    routed.handoffs.create(unit=routed.unit, created_at=timezone.now())
    moved = services.journey_answers_amend(
        journey=journey, by=journey.applicant, answers={"postcode": "114"}, now=timezone.now()
    )
    assert moved == [] and journey.steps.get(pk=routed.pk).unit.slug == "office-central"


def test_the_cafe_routes_food_registration_by_the_premises_postcode(cafe):
    food = cafe.steps.get(key="food-registration")
    assert food.unit.slug == "environment-health"
    assert food.unit_slug_for({"premises_postcode": "114 55"}) == "environment-health-north"
    assert food.unit_slug_for({"premises_postcode": "118 46"}) == "environment-health-south"
    assert food.unit_slug_for({"premises_postcode": "164 40"}) == "environment-health"


def test_the_applicant_corrects_the_postcode_with_an_answer_and_the_food_step_moves(client, cafe):
    journey = submitted_journey(cafe, answers={**CAFE_ANSWERS, "premises_postcode": "164 40"})
    food = journey.steps.get(step_type__key="food-registration")
    assert food.unit.slug == "environment-health"
    permit = journey.steps.get(step_type__key="building-permit")
    worker = make_caseworker(permit.unit)
    permit = services.step_claim(step=permit, by=worker, now=timezone.now())
    request = services.information_request_create(
        step=permit,
        by=worker,
        items=["Which district are the premises in?"],
        due_date=timezone.localdate() + dt.timedelta(days=5),
        now=timezone.now(),
    )
    client.force_login(journey.applicant)
    track = reverse("citizens:application_track", args=[journey.public_id])
    page = client.get(track).content.decode()
    field = f'name="request-{request.pk}-premises_postcode"'
    assert field in page and 'value="164 40"' in page
    response = client.post(
        reverse("citizens:information_answer", args=[journey.public_id, request.pk]),
        {
            f"request-{request.pk}-answer": "Norrmalm; the postcode was wrong.",
            f"request-{request.pk}-premises_postcode": "114 55",
        },
    )
    assert response.status_code == 302
    food.refresh_from_db()
    assert food.unit.slug == "environment-health-north"
    assert journey.events.filter(kind=JourneyEvent.Kind.STEP_REROUTED, step=food).exists()
    # Once the step is with a unit, the answer that routes it is no longer offered.
    Step.objects.filter(pk=food.pk).update(status=Step.Status.QUEUED)
    assert field.split('"')[1] not in client.get(track).content.decode()
