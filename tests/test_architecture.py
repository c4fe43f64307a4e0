"""The layout keeps its promises: no import cycle in sim/, writers and figures compute nothing.

The import graph is read from the source with ``ast`` (imports inside functions count:
a lazy import still ties two modules together), so the test needs nothing imported.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

SIM = Path(__file__).resolve().parents[1] / "sim"

#: Modules that write or draw an Outcome: they may read results, never compute them.
WRITERS = ("sim.export", "sim.qgis", "sim.plot")
#: What computes a run; a writer importing any of these would compute.
COMPUTING = ("sim.engine", "sim.audit", "sim.targets", "sim.montecarlo", "sim.buildout")
#: Names a writer may take from sim.rules: enums and constants, not computations.
RULES_CONSTANTS = {"CNY_PER_M2_PER_YI_PER_HA", "Compliance", "RTOL", "WILDCARD"}


def _module_name(path: Path) -> str:
    parts = path.relative_to(SIM.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in SIM.rglob("*.py")}


def _imports(path: Path, package: str) -> Iterator[tuple[str, tuple[str, ...]]]:
    """Every ``sim`` module ``path`` imports, with the names taken from it."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("sim"):
                    yield alias.name, ()
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the package
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            if module.startswith("sim"):
                yield module, tuple(alias.name for alias in node.names)


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for target, names in _imports(path, package):
            # ``from sim.cli import run`` names a submodule: that is the edge.
            subs = [f"{target}.{n}" for n in names if f"{target}.{n}" in modules]
            for module in subs or [target]:
                if module in modules and module != name:
                    graph[name].add(module)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _package_parent_edge(source: str, target: str) -> bool:
    """A package importing its own submodules (``sim.cli`` → ``sim.cli.run``) is layout."""
    return target.startswith(source + ".") or source.startswith(target + ".")


def test_no_import_cycle_in_sim() -> None:
    graph = {
        name: {t for t in targets if not _package_parent_edge(name, t)}
        for name, targets in _graph().items()
    }
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


@pytest.mark.parametrize(
    "module", sorted(m for m in _modules() if any(m == w or m.startswith(w + ".") for w in WRITERS))
)
def test_writers_and_figures_compute_nothing(module: str) -> None:
    path = _modules()[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for target, names in _imports(path, package):
        assert not any(target == c or target.startswith(c + ".") for c in COMPUTING), (
            f"{module} imports {target}"
        )
        if target == "sim.rules":
            assert set(names) <= RULES_CONSTANTS, f"{module} takes {names} from sim.rules"
        if target == "sim.outcome":  # the holder, not compute() or load()
            assert set(names) <= {"Outcome"}, f"{module} takes {names} from sim.outcome"
