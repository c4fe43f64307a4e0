"""The import graph of ``sim``: no cycles, and the scenario below the site and engine.

Edges are every ``import`` in a module, including those inside functions (a lazy
import still ties two modules together), but not those under ``if TYPE_CHECKING:``,
which never run. Importing ``sim.a.b`` also runs ``sim/a/__init__.py``; that implicit
edge to a parent package is not counted (a package importing its own modules is not
a cycle).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SIM = Path(__file__).resolve().parents[1] / "sim"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SIM.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(SIM.rglob("*.py"))}


def _resolve(name: str) -> str | None:
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _runtime_imports(module: str) -> set[str]:
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                for other in child.orelse:
                    visit(other)
                continue
            names: list[str] = []
            if isinstance(child, ast.Import):
                names = [alias.name for alias in child.names]
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    parts = package.split(".")[: len(package.split(".")) - child.level + 1]
                    base = ".".join([*parts, *([base] if base else [])])
                names = [base, *(f"{base}.{alias.name}" for alias in child.names)]
            for name in names:
                target = _resolve(name) if name.split(".")[0] == "sim" else None
                if target is not None and target != module:
                    found.add(target)
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    return found


GRAPH = {module: _runtime_imports(module) for module in MODULES}


def _reaches(start: str) -> set[str]:
    seen: set[str] = set()
    todo = [start]
    while todo:
        for target in GRAPH[todo.pop()]:
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_import_cycle(module: str) -> None:
    back = sorted(t for t in GRAPH[module] if module in _reaches(t) and t != module)
    assert not back, f"{module} imports {back}, which import {module} again"


@pytest.mark.parametrize("module", [m for m in MODULES if m.startswith("sim.scenario")])
def test_scenario_never_imports_site_or_engine(module: str) -> None:
    below = {"sim.site", "sim.engine", "sim.montecarlo", "sim.inputs", "sim.result"}
    assert not _reaches(module) & below


def test_graph_sees_known_edges() -> None:
    """Guard the walker itself: it must see the edges it is meant to find."""
    assert "sim.montecarlo" in GRAPH["sim.engine"]
    assert "sim.scenario.schema" in GRAPH["sim.scenario.loading"]
    assert GRAPH["sim.distributions"] <= {"sim.units", "sim.errors"}
