"""Overrides at scenario paths: ``{"defaults.plot_ratio": 2.0}`` applied to a raw TOML table.

A *scenario path* names one value of a scenario file the way its tables read:
dotted keys for tables (``defaults.take_up_per_year``, ``parks.comm_park.plot_ratio``,
``market.demand_sd``) and ``[i]`` for an item of an array of tables (``targets[0].value``,
``committed[2].start_year``). :func:`apply_overrides` sets each value in a copy of the
raw table (after ``extends`` is merged, before validation), so the variant is a real
scenario, validated like a file; :func:`sim.scenario.load_scenario` takes the overrides
directly. Sweeps (:mod:`sim.sweep`) and the decision tools share this one helper.

Missing tables on the way are created (``parks.new_id.plot_ratio`` makes
``[parks.new_id]``; validation then says whether the park exists); an index past the
end of an array, or a path through a value that is not a table, is an error naming the
path.
"""

from __future__ import annotations

import copy
import itertools
import re
from collections.abc import Mapping
from typing import Any

from sim.errors import Problem, ScenarioError

__all__ = ["apply_overrides", "format_path", "parse_path"]

_PART = re.compile(r"([^.\[\]]+)((?:\[\d+\])*)")


def parse_path(path: str) -> tuple[str | int, ...]:
    """Split a scenario path into keys (str) and array indices (int).

    Parameters
    ----------
    path
        E.g. ``"parks.comm_park.plot_ratio"`` or ``"targets[0].value"``.

    Returns
    -------
    tuple
        The steps from the top table down.

    Raises
    ------
    ValueError
        When the path is empty or not of that form.

    Examples
    --------
    >>> parse_path("targets[0].value")
    ('targets', 0, 'value')
    >>> parse_path("parks.comm_park.plot_ratio")
    ('parks', 'comm_park', 'plot_ratio')
    """
    steps: list[str | int] = []
    for part in path.split("."):
        match = _PART.fullmatch(part.strip())
        if match is None:
            raise ValueError(
                f"expected a scenario path such as defaults.plot_ratio or targets[0].value; "
                f"found {path!r}"
            )
        steps.append(match.group(1))
        steps += [int(i) for i in re.findall(r"\[(\d+)\]", match.group(2))]
    return tuple(steps)


def apply_overrides(raw: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Return a deep copy of ``raw`` with each scenario path set to its value.

    Parameters
    ----------
    raw
        A scenario's raw TOML table (``extends`` merged).
    overrides
        Scenario path → value, as a TOML file would write it (``"2 ha"``, ``1.5``,
        ``{dist = "pert", ...}``); applied in order.

    Returns
    -------
    dict
        The new table; ``raw`` is untouched.

    Raises
    ------
    ScenarioError
        One error listing every path that cannot be set.

    Examples
    --------
    >>> raw = {"defaults": {"plot_ratio": 1.5}, "targets": [{"value": "5万 m2"}]}
    >>> apply_overrides(raw, {"defaults.plot_ratio": 2.0, "targets[0].value": "6万 m2"})
    {'defaults': {'plot_ratio': 2.0}, 'targets': [{'value': '6万 m2'}]}
    >>> raw["defaults"]["plot_ratio"]
    1.5
    """
    table = copy.deepcopy(dict(raw))
    problems = []
    for path, value in overrides.items():
        try:
            _set(table, parse_path(path), copy.deepcopy(value))
        except ValueError as exc:
            problems.append(Problem(path, str(exc)))
    if problems:
        raise ScenarioError(f"{len(problems)} override(s) cannot be applied", problems=problems)
    return table


def _set(table: dict[str, Any], steps: tuple[str | int, ...], value: Any) -> None:
    node: Any = table
    for i, (step, following) in enumerate(itertools.pairwise(steps)):
        child = _child(node, step, steps[:i])
        if child is None:
            child = [] if isinstance(following, int) else {}
            node[step] = child
        node = child
    last = steps[-1]
    _child(node, last, steps[:-1])  # checks the container and the index
    node[last] = value


def _child(node: Any, step: str | int, above: tuple[str | int, ...]) -> Any:
    where = format_path(above) or "the top table"
    if isinstance(step, int):
        if not isinstance(node, list):
            raise ValueError(f"expected an array of tables at {where}; found {_kind(node)}")
        if step >= len(node):
            raise ValueError(
                f"expected an index below {len(node)} ({where} has {len(node)} item(s)); "
                f"found [{step}]; use an existing item"
            )
        return node[step]
    if not isinstance(node, dict):
        raise ValueError(
            f"expected a table at {where}; found {_kind(node)}; "
            "a path goes through tables and arrays of tables only"
        )
    return node.get(step)


def _kind(node: Any) -> str:
    return "an array" if isinstance(node, list) else f"the value {node!r}"


def format_path(steps: tuple[str | int, ...]) -> str:
    """Write steps as a scenario path, the inverse of :func:`parse_path`.

    Examples
    --------
    >>> format_path(("targets", 0, "value"))
    'targets[0].value'
    >>> format_path(parse_path("parks.comm_park.plot_ratio"))
    'parks.comm_park.plot_ratio'
    """
    text = ""
    for step in steps:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else step)
    return text
