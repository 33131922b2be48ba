"""The dependency graph of a journey type's steps: its validation and the walks over it.

Every way a journey type is made (a file, the admin, any later editor or API) checks its graph
with `graph_check`, and every walk here goes through `graphlib`, so even a graph corrupted in
the database raises `GraphError` at once instead of looping.

A published journey type version never changes (a changed definition is loaded as a new
version), so its graph can be kept for the life of the process; pages and handoffs then ask
for it without a query."""

import graphlib
import logging
from collections.abc import Hashable, Iterable, Mapping
from functools import lru_cache

from journeys.models import StepType
from journeys.states import StepStatus

logger = logging.getLogger(__name__)

Graph = Mapping[Hashable, Iterable[Hashable]]


class GraphError(ValueError):
    """A step graph that is not a DAG of its own steps: a dependency on a step it does not have
    (`unknown`, naming the step and the missing dependency) or a `cycle` (naming its steps)."""

    def __init__(self, kind: str, nodes: list):
        self.kind, self.nodes = kind, nodes
        if kind == "cycle":
            self.detail = "dependencies form a cycle: " + " -> ".join(str(n) for n in nodes)
            super().__init__(self.detail)
        else:
            self.detail = f"depends on unknown step '{nodes[1]}'"
            super().__init__(f"step {nodes[0]}: {self.detail}")


def graph_check(graph: Graph) -> None:
    """Raise GraphError unless every dependency is a step of the graph and there is no cycle."""
    for node, dependencies in graph.items():
        for dependency in dependencies:
            if dependency not in graph:
                raise GraphError("unknown", [node, dependency])
    try:
        graphlib.TopologicalSorter(graph).prepare()
    except graphlib.CycleError as error:
        raise GraphError("cycle", list(error.args[1])) from None


def graph_levels(graph: Graph) -> dict[Hashable, int]:
    """Each step's stage: 0 for steps that wait for nothing, else one more than the latest
    stage it waits for. Steps of one stage can run at the same time."""
    graph_check(graph)
    level: dict[Hashable, int] = {}
    for node in graphlib.TopologicalSorter(graph).static_order():
        level[node] = 1 + max((level[d] for d in graph[node]), default=-1)
    return level


def graph_longest_path(graph: Graph, weight: Mapping[Hashable, float]) -> list[Hashable]:
    """The chain of dependent steps with the largest total weight (the critical path)."""
    graph_check(graph)
    best: dict[Hashable, tuple[float, list]] = {}
    for node in graphlib.TopologicalSorter(graph).static_order():
        length, path = max((best[d] for d in graph[node]), default=(0.0, []))
        best[node] = (length + weight.get(node, 0), [*path, node])
    return max(best.values(), key=lambda item: item[0], default=(0.0, []))[1]


def graph_blockers(graph: Graph, node: Hashable, status: Mapping[Hashable, str]) -> list:
    """What a waiting step still waits for: its dependencies in the journey not yet approved
    (a dependency the journey does not have, an inapplicable step, holds nothing up)."""
    if status.get(node) != StepStatus.WAITING:
        return []
    return [d for d in graph.get(node, ()) if d in status and status[d] != StepStatus.APPROVED]


def graph_ready(graph: Graph, status: Mapping[Hashable, str]) -> list:
    """The waiting steps that may start now: every dependency they have in the journey is
    approved. `status` holds the journey's steps, by the same keys as the graph."""
    return [
        node
        for node, state in status.items()
        if state == StepStatus.WAITING and not graph_blockers(graph, node, status)
    ]


def graph_descendants(graph: Graph, node: Hashable) -> set:
    """Every step that waits, directly or through others, for `node`."""
    found: set = set()
    frontier = [node]
    while frontier:
        current = frontier.pop()
        for other, deps in graph.items():
            if current in deps and other not in found:
                found.add(other)
                frontier.append(other)
    return found


@lru_cache(maxsize=256)
def step_dependencies(journey_type_id: int) -> dict[int, frozenset[int]]:
    """Each step type of the version, by id, with the ids of the step types it waits for.
    Raises GraphError (and logs it) when the stored graph is corrupt."""
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
    try:
        graph_check(graph)
    except GraphError:
        logger.exception("Journey type %s has a corrupt step graph", journey_type_id)
        raise
    return {pk: frozenset(deps) for pk, deps in graph.items()}
