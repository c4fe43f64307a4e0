"""The layout keeps its promises: writers and figures compute nothing.

Imports are read from the source with ``ast`` (imports inside functions count: a lazy
import still ties two modules together), so the test needs nothing imported. The import
graph itself (no cycle, the scenario below the site and engine) is tests/test_imports.py.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

SIM = Path(__file__).resolve().parents[1] / "sim"

#: Modules that write or draw an Outcome: they may read results, never compute them.
WRITERS = ("sim.export", "sim.qgis", "sim.qgis_project", "sim.plot", "sim.report")
#: What computes a run; a writer importing any of these would compute.
COMPUTING = ("sim.engine", "sim.audit", "sim.targets", "sim.montecarlo", "sim.buildout",
             "sim.quarterly", "sim.histories")  # fmt: skip
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
