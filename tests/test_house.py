"""The house's shape: msroi's modules import each other without a circle (function-level
imports included: a circle there is the same tangle, only deferred)."""

from __future__ import annotations

import ast
from pathlib import Path

import msroi

ROOT = Path(msroi.__file__).parent


def import_graph() -> dict[str, set[str]]:
    """Module -> the msroi modules it imports anywhere in its file (packages resolve to
    their ``__init__``; a module's own package is not an import of it)."""
    modules = {}
    for path in ROOT.rglob("*.py"):
        name = ".".join(path.relative_to(ROOT.parent).with_suffix("").parts)
        modules[name.removesuffix(".__init__")] = path

    def resolve(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph = {name: set() for name in modules}
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
            else:
                continue
            for target in targets:
                found = resolve(target) if target.startswith("msroi") else None
                if found and found != "msroi" and found != name and not name.startswith(found + "."):
                    graph[name].add(found)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    return found


def test_no_import_circles():
    graph = import_graph()
    assert "msroi.pipeline" in graph["msroi.batch.job"]  # the graph sees function-level imports
    assert cycles(graph) == []


def test_the_cycle_finder_finds_a_circle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


#: What the lower floors may import from msroi (everything else in msroi sits above them).
ALLOWED = {
    "msroi.metrics": {"msroi.errors"},
    "msroi.nn": {"msroi.errors", "msroi.runtime"},  # Keras builders: never presets or files
    "msroi.jpeg": {"msroi.errors", "msroi.arrays"},  # codecs: arrays in, bytes out, no budget
    "msroi.arrays": {"msroi.errors"},
}


def test_lower_floors_import_nothing_from_above():
    graph = import_graph()
    for floor, allowed in ALLOWED.items():
        inside = [m for m in graph if m == floor or m.startswith(floor + ".")]
        assert inside, floor
        for module in inside:
            above = {d for d in graph[module] if not d.startswith(floor)} - allowed
            assert not above, f"{module} imports {sorted(above)}"
    callers = [m for m, deps in graph.items() if "msroi.cli" in deps]
    assert callers == [], f"only the command line is the command line: {callers}"


def test_no_function_over_sixty_lines():
    long = []
    for path in ROOT.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines = node.end_lineno - node.lineno + 1
                if lines > 60 and not node.name.startswith("numba_"):  # numba kernels: one loop
                    long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({lines})")
    assert not long, long
