"""One validator for every way a journey type is made, and graph walks that cannot loop."""

import pytest
from django.urls import reverse

from journeys.graph import (
    GraphError,
    graph_blockers,
    graph_check,
    graph_levels,
    graph_longest_path,
    graph_ready,
)
from journeys.models import JourneyType, StepType
from tests.factories import make_user
from tests.journey_types import journey_type


def test_levels_put_independent_steps_in_one_stage():
    graph = {"a": [], "b": [], "c": ["a"], "d": ["c", "b"]}
    assert graph_levels(graph) == {"a": 0, "b": 0, "c": 1, "d": 2}


def test_the_longest_path_follows_the_heaviest_chain():
    graph = {"a": [], "b": [], "c": ["a"], "d": ["c", "b"]}
    assert graph_longest_path(graph, {"a": 5, "b": 1, "c": 1, "d": 1}) == ["a", "c", "d"]
    assert graph_longest_path(graph, {"a": 1, "b": 9, "c": 1, "d": 1}) == ["b", "d"]


@pytest.mark.parametrize(
    ("graph", "kind"),
    [
        ({"a": ["b"], "b": ["a"]}, "cycle"),
        ({"a": ["a"]}, "cycle"),
        ({"a": [], "b": ["c"], "c": ["b"]}, "cycle"),
        ({"a": ["elsewhere"]}, "unknown"),
    ],
)
def test_a_graph_that_is_not_a_dag_of_its_own_steps_is_refused(graph, kind):
    with pytest.raises(GraphError) as refused:
        graph_check(graph)
    assert refused.value.kind == kind
    with pytest.raises(GraphError):
        graph_levels(graph)
    with pytest.raises(GraphError):
        graph_longest_path(graph, {})


def _admin_add_form(units, steps: list[dict]) -> dict:
    data = {
        "slug": "admin-made",
        "version": "1",
        "is_current": "on",
        "name": "Made in the admin",
        "summary": "A service defined in the admin.",
        "reference_prefix": "ADM",
        "documents_needed": "[]",
        "fields": '[{"key": "name", "label": "Name"}]',
        "cost_min": "0",
        "cost_max": "0",
        "time_min_weeks": "0",
        "time_max_weeks": "0",
        "translations": "{}",
        "steps-TOTAL_FORMS": str(len(steps)),
        "steps-INITIAL_FORMS": "0",
        "steps-MIN_NUM_FORMS": "0",
        "steps-MAX_NUM_FORMS": "1000",
    }
    for index, step in enumerate(steps):
        data.update(
            {
                f"steps-{index}-order": str(index + 1),
                f"steps-{index}-key": step["key"],
                f"steps-{index}-name": step["key"].title(),
                f"steps-{index}-unit": str(units["police"].pk),
                f"steps-{index}-depends_on_keys": step.get("depends_on", ""),
            }
        )
    return data


@pytest.fixture
def admin_client(client, units):
    client.force_login(make_user(is_staff=True, is_superuser=True))
    return client


@pytest.mark.parametrize(
    ("steps", "problem"),
    [
        (
            [{"key": "first", "depends_on": "second"}, {"key": "second", "depends_on": "first"}],
            "form a cycle",
        ),
        ([{"key": "first", "depends_on": "first"}], "form a cycle"),
        ([{"key": "first", "depends_on": "elsewhere"}], "not a step of this journey type"),
    ],
)
def test_the_admin_refuses_a_graph_that_is_not_a_dag_with_a_form_error(
    admin_client, units, steps, problem
):
    response = admin_client.post(
        reverse("admin:journeys_journeytype_add"), _admin_add_form(units, steps)
    )
    assert response.status_code == 200
    formset = response.context["inline_admin_formsets"][0].formset
    errors = " ".join(str(error) for error in formset.non_form_errors())
    assert problem in errors
    assert not JourneyType.objects.filter(slug="admin-made").exists()


def test_the_admin_saves_dependencies_named_by_key(admin_client, units):
    steps = [{"key": "first"}, {"key": "second", "depends_on": "first"}, {"key": "third"}]
    response = admin_client.post(
        reverse("admin:journeys_journeytype_add"), _admin_add_form(units, steps)
    )
    assert response.status_code == 302, response.context and response.context["errors"]
    second = StepType.objects.get(journey_type__slug="admin-made", key="second")
    assert [s.key for s in second.depends_on.all()] == ["first"]


@pytest.mark.timeout(20)
@pytest.mark.parametrize("corruption", ["cycle", "foreign dependency"])
def test_a_graph_corrupted_in_the_database_fails_the_page_at_once(client, db, corruption):
    """Written past every validator (by hand, by a bad migration): the start page ends with an
    error instead of looping for ever and taking a server process with it."""
    trail = journey_type(parallel=1, chain=1)
    other = journey_type(slug="other-trail", prefix="OTHER")
    first, second = (trail.steps.get(key=k) for k in ("parallel-1", "chain-1"))
    if corruption == "cycle":
        first.depends_on.add(second)
    else:
        first.depends_on.add(other.steps.first())
    with pytest.raises(GraphError):
        client.get(reverse("citizens:service_start", args=[trail.slug]))


def test_a_step_is_ready_when_what_it_waits_for_in_the_journey_is_approved():
    graph = {"a": [], "b": ["a"], "c": ["a", "optional"], "d": ["b", "c"]}
    status = {"a": "approved", "b": "waiting", "c": "waiting", "d": "waiting"}
    # "optional" is not part of this journey (an inapplicable step): it holds nothing up.
    assert graph_ready(graph, status) == ["b", "c"]
    assert graph_blockers(graph, "d", status) == ["b", "c"]
    assert graph_blockers(graph, "a", status) == []  # not waiting: blocked by nothing
    status |= {"b": "approved", "c": "rejected"}
    assert graph_ready(graph, status) == []
    assert graph_blockers(graph, "d", status) == ["c"]
