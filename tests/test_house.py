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


#: The floors, lowest first: a module imports msroi only from floors below its own (function-level
#: imports included), never from its own floor's other packages or from above. The order is
#: the pipeline's: arrays -> bitstream -> codecs -> rate -> maps -> one image -> folders.
FLOORS = [
    ["msroi.errors"],
    ["msroi.names", "msroi.plugins", "msroi.quiet"],  # choices by name; entry points; quiet imports
    ["msroi.arrays", "msroi.metrics", "msroi.jpeg", "msroi.parallel"],
    ["msroi.io", "msroi.runtime", "msroi.fixations", "msroi.codecs"],
    ["msroi.nn", "msroi.rate"],  # nn: Keras builders, never presets or files; rate: no maps
    ["msroi.presets"],  # the only owner of preset folders
    ["msroi.maps", "msroi.decoders"],
    ["msroi.pipeline"],  # one image
    ["msroi.batch"],  # files and folders
    ["msroi.training", "msroi.evaluation"],
    ["msroi.cli"],  # parse, call the library, print
]


def floor_of(module: str) -> tuple[int, str]:
    for level, packages in enumerate(FLOORS):
        for package in packages:
            if module == package or module.startswith(package + "."):
                return level, package
    raise AssertionError(f"{module} is on no floor: add it to FLOORS")


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    """Every import of a module on the same floor (another package) or on a higher one."""
    found = []
    for module, deps in graph.items():
        if module == "msroi":
            continue
        level, package = floor_of(module)
        for dep in deps:
            dep_level, dep_package = floor_of(dep)
            if dep_package != package and dep_level >= level:
                found.append(f"{module} -> {dep}")
    return sorted(found)


def test_imports_point_down_the_floors():
    graph = import_graph()
    assert upward_imports(graph) == []


def test_the_floor_check_sees_an_upward_import():
    graph = {"msroi.codecs.rdq": {"msroi.rate.search"}, "msroi.rate.search": {"msroi.codecs.base"},
             "msroi.codecs.base": set(), "msroi.maps.recipes": {"msroi.decoders.base"},
             "msroi.decoders.base": set()}
    assert upward_imports(graph) == ["msroi.codecs.rdq -> msroi.rate.search",
                                     "msroi.maps.recipes -> msroi.decoders.base"]


#: What a command-line module may not call: writing files, and the per-image work the
#: library does (a command parses, calls the library, prints).
CLI_FORBIDDEN = {"open", "write_text", "write_bytes", "write_bytes_atomic", "write_target", "to_csv",
                 "savefig", "mkdir", "rename", "save", "save_png", "encode_png", "load_image",
                 "read_image", "read_source", "semantic_map", "generate_map", "compress",
                 "compress_file", "decode", "decode_one"}


def cli_violations(source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
            if name in CLI_FORBIDDEN:
                found.append(f"{node.lineno}: {name}()")
    return found


def test_the_command_line_writes_nothing_and_touches_no_image():
    modules = sorted((ROOT / "cli").glob("*.py"))
    assert len(modules) >= 10
    found = {p.name: v for p in modules if (v := cli_violations(p.read_text()))}
    assert found == {}
    assert cli_violations("x.to_csv(out)\nio.write_target(p, b)\nfor a in b: pass") == [
        "1: to_csv()", "2: write_target()"]


def test_no_function_over_sixty_lines():
    long = []
    for path in ROOT.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines = node.end_lineno - node.lineno + 1
                if ast.get_docstring(node) is not None:  # the docstring documents, it does not run
                    doc = node.body[0]
                    lines -= doc.end_lineno - doc.lineno + 1
                if lines > 60 and not node.name.startswith("numba_"):  # numba kernels: one loop
                    long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({lines})")
    assert not long, long


def readme_floor_rows() -> list[tuple[int, str]]:
    """(floor, row text) of the README's pipeline table."""
    lines = (ROOT.parent / "README.md").read_text().splitlines()
    start = lines.index("| floor | piece | where |") + 2
    rows = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        cell = line.split("|")[1].strip()
        if cell.isdigit():
            rows.append((int(cell), line))
    return rows


def test_the_readme_table_is_the_tree():
    """Every module of msroi is named in the README's pipeline table (its path, or its file
    name in the row of its package), on the row of its own floor."""
    import re

    rows = readme_floor_rows()
    unnamed, misplaced = [], []
    for path in sorted(ROOT.rglob("*.py")):
        if path.name in ("__init__.py", "__main__.py"):
            continue
        relative = path.relative_to(ROOT.parent).as_posix()
        package = relative.rsplit("/", 1)[0] + "/"
        found = [(level, row) for level, row in rows
                 if f"`{relative}`" in row or (f"`{package}`" in row and f"`{path.name}`" in row)]
        if not found:
            unnamed.append(relative)
            continue
        module = ".".join(path.relative_to(ROOT.parent).with_suffix("").parts)
        if found[0][0] != floor_of(module)[0]:
            misplaced.append(f"{relative}: README floor {found[0][0]}, FLOORS {floor_of(module)[0]}")
    assert unnamed == [] and misplaced == []
    assert re.search(r"`msroi/cli/`: `map.py`", "".join(r for _, r in rows))  # the check reads rows
