"""The dependency graph of a journey type's steps, read once per process.

A published journey type version never changes (a changed definition is loaded as a new
version), so its graph can be kept for the life of the process; pages and handoffs then ask
for it without a query."""

from functools import lru_cache

from journeys.models import StepType


@lru_cache(maxsize=256)
def step_dependencies(journey_type_id: int) -> dict[int, frozenset[int]]:
    """Each step type of the version, by id, with the ids of the step types it waits for."""
    graph: dict[int, set[int]] = {
        pk: set()
        for pk in StepType.objects.filter(journey_type_id=journey_type_id).values_list(
            "pk", flat=True
        )
    }
    links = StepType.depends_on.through.objects.filter(
        from_steptype__journey_type_id=journey_type_id
    )
    for step_type, prerequisite in links.values_list("from_steptype_id", "to_steptype_id"):
        graph[step_type].add(prerequisite)
    return {pk: frozenset(deps) for pk, deps in graph.items()}
