"""The project's modules import each other in one direction: no cycle, counting the imports made
inside functions too (a lazy import hides a cycle from Python, not from a reader)."""

import ast
import graphlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = [
    "portal",
    "units",
    "journeys",
    "accounts",
    "organisations",
    "citizens",
    "casework",
    "coordination",
    "demo",
    "api",
    "webhooks",
    "payments",
    "archiving",
]


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" not in path.parts:
                found[_module_name(path)] = path
    return found


def import_graph() -> dict[str, set[str]]:
    """Each first-party module with the first-party modules it imports."""
    modules = _modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                # `from package import module` names a module; `from module import name` not.
                targets = [
                    f"{node.module}.{alias.name}"
                    if f"{node.module}.{alias.name}" in modules
                    else node.module
                    for alias in node.names
                ]
            else:
                continue
            graph[name].update(t for t in targets if t in modules and t != name)
    return graph


def test_the_import_graph_is_read_from_the_code():
    graph = import_graph()
    assert "journeys.services.outbox" in graph["journeys.services.handoffs"]
    assert "journeys.models" in graph["casework.views"]


def test_no_module_imports_itself_back():
    try:
        graphlib.TopologicalSorter(import_graph()).prepare()
    except graphlib.CycleError as cycle:
        raise AssertionError("Import cycle: " + " -> ".join(cycle.args[1])) from None


def test_no_app_imports_a_siblings_views():
    for name, imported in import_graph().items():
        app = name.split(".")[0]
        for target in imported:
            if target.endswith(".views") and target.split(".")[0] != app:
                assert name == "portal.urls", f"{name} imports {target}"
