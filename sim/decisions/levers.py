"""Levers: numeric scenario paths, their bounds, and variant files that override them.

``(scenario file, "PATH[=LOW:HIGH]") ──parse_lever──▶ Lever`` and
``(scenario file, {path: value}) ──variant_text──▶ TOML`` that ``extends`` the file and
overrides only those paths. A lever is any numeric value of the scenario's TOML, named
by its dotted path (``parks.software_city.land_supply_per_year``,
``defaults.duration_years``); a park's value that the file leaves to ``[defaults]`` is
read from there. Values are kept in the unit the file writes them in (``63 ha`` → the
lever's unit is ``ha``), so a variant writes ``"71.25 ha"`` and :func:`sim.scenario.load_scenario`
reads it exactly as any planner's file. The decision tools (:mod:`sim.decisions`) work on
these paths, never on engine internals, so the variant they write is exactly what they
evaluated.
"""

from __future__ import annotations

import math
import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from sim.errors import Problem, ScenarioError
from sim.scenario.overrides import apply_overrides, format_path, parse_path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

__all__ = [
    "Lever",
    "Value",
    "format_value",
    "lever_value",
    "parse_lever",
    "raw_table",
    "split_quantity",
    "variant_text",
]

#: What a variant writes at a path: a number, a quantity text, a table or an array.
Value = float | str | Mapping[str, Any] | list[Any]

_QUANTITY = re.compile(r"\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)\s*(.*?)\s*")


@dataclass(frozen=True)
class Lever:
    """A numeric scenario value that a decision tool may move, with its bounds.

    Attributes
    ----------
    path
        Dotted TOML path, e.g. ``parks.software_city.land_supply_per_year``; several
        paths joined by ``+`` move together (one value for all, e.g. a park's land
        servicing and its sales).
    unit
        The unit the scenario writes it in (``""`` for a plain number); ``current``,
        ``low`` and ``high`` are in it.
    current
        Its value in the scenario (a distribution's: its central parameter — mode,
        mean, median or the middle of a uniform).
    low, high
        The bracket searched or fitted.
    written
        What the scenario writes at each path (a distribution table is scaled, keeping
        its relative spread, when the lever moves).
    """

    path: str
    unit: str
    current: float
    low: float
    high: float
    written: tuple[object, ...] = ()
    arrays: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def paths(self) -> tuple[str, ...]:
        """The scenario paths this lever sets."""
        return tuple(p.strip() for p in self.path.split("+"))

    def values(self, value: float) -> dict[str, Value]:
        """Return what a variant writes to set this lever to ``value`` (in :attr:`unit`).

        Examples
        --------
        >>> Lever("parks.a.land_supply_per_year", "ha", 2.0, 0.0, 4.0).values(2.5)
        {'parks.a.land_supply_per_year': '2.5 ha'}
        >>> lever = Lever("defaults.x", "ha", 2.0, 1.0, 3.0,
        ...               ({"dist": "pert", "min": "1 ha", "mode": "2 ha", "max": "3 ha"},))
        >>> lever.values(3.0)["defaults.x"]
        {'dist': 'pert', 'min': '1.5 ha', 'mode': '3 ha', 'max': '4.5 ha'}
        """
        written = self.written or (None,) * len(self.paths)
        out: dict[str, Value] = {}
        for path, was in zip(self.paths, written, strict=True):
            if isinstance(was, Mapping):
                centre = _centre(was, path)[0]  # each distribution keeps its own spread
                out[path] = _scaled(was, value / centre if centre else 1.0)
            else:
                out[path] = format_value(value, self.unit)
        return _expand_lists(out, self.arrays) if self.arrays else out

    @property
    def label(self) -> str:
        """The path with its unit, for tables and axes."""
        return f"{self.path} ({self.unit})" if self.unit else self.path


#: Distribution parameters that are shares or shapes, not values: never scaled.
_SHAPES = {"dist", "sigma", "lambda", "weights"}
#: The central parameter of each distribution kind (a lever's current value).
_CENTRE = ("mode", "mean", "median")


def _scaled(table: Mapping[str, Any], factor: float) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in table.items():
        if key in _SHAPES:
            out[key] = value
        elif isinstance(value, list):
            out[key] = [_scale_one(v, factor, key) for v in value]
        else:
            out[key] = _scale_one(value, factor, key)
    return out


def _scale_one(value: object, factor: float, key: str) -> float | str:
    number, unit = split_quantity(value, field=key)
    return format_value(number * factor, unit)


def _centre(table: Mapping[str, Any], path: str) -> tuple[float, str]:
    for key in _CENTRE:
        if key in table:
            return split_quantity(table[key], field=f"{path}.{key}")
    if "min" in table and "max" in table:
        low, unit = split_quantity(table["min"], field=f"{path}.min")
        high, _ = split_quantity(table["max"], field=f"{path}.max")
        return (low + high) / 2, unit
    raise ScenarioError(
        "not a numeric lever",
        problems=[
            Problem(
                path,
                "expected a point or a distribution with a central value; "
                f"found {dict(table)}; name a path that holds one number",
            )
        ],
    )


def format_value(value: float, unit: str) -> float | str:
    """Write ``value`` in ``unit`` as a scenario file does (a number when unitless).

    Examples
    --------
    >>> format_value(1.5, "万 m2")
    '1.5 万 m2'
    >>> format_value(3.0, "")
    3.0
    """
    number = float(f"{value:.12g}")
    return number if not unit else f"{number:.12g} {unit}"


def split_quantity(value: object, *, field: str) -> tuple[float, str]:
    """Split a scenario value into its number and the unit it is written in.

    Examples
    --------
    >>> split_quantity("63 ha", field="x")
    (63.0, 'ha')
    >>> split_quantity(2, field="x")
    (2.0, '')

    Raises
    ------
    sim.errors.ScenarioError
        When the value is not one number (a list, a distribution, text).
    """
    if isinstance(value, bool):
        pass
    elif isinstance(value, int | float):
        return float(value), ""
    elif isinstance(value, str):
        match = _QUANTITY.fullmatch(value)
        if match is not None:
            return float(match[1]), match[2]
    kind = "a distribution" if isinstance(value, Mapping) else repr(value)
    raise ScenarioError(
        "not a numeric lever",
        problems=[
            Problem(
                field,
                f"expected one number, with or without a unit (e.g. 63 ha); found {kind}; "
                "name a path that holds one number",
            )
        ],
    )


def raw_table(path: Path) -> dict[str, Any]:
    """Read the scenario's TOML merged over its ``extends`` parents, as written.

    The file should have passed :func:`sim.scenario.load_scenario` (which guards its size,
    nesting and chain); this only reads what it already accepted.
    """
    with Path(path).open("rb") as handle:
        table = tomllib.load(handle)
    parent = table.pop("extends", None)
    if parent is None:
        return table
    return _merge(raw_table(Path(path).parent / str(parent)), table)


def _merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and "dist" not in value and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def lever_value(raw: Mapping[str, Any], path: str) -> object:
    """Return the value at ``path``; a park's missing value comes from ``[defaults]``.

    Examples
    --------
    >>> raw = {"defaults": {"plot_ratio": 2.0}, "parks": {"a": {"plot_ratio": 3.0}, "b": {}}}
    >>> lever_value(raw, "parks.a.plot_ratio"), lever_value(raw, "parks.b.plot_ratio")
    (3.0, 2.0)
    """
    steps, found = _locate(raw, path)
    if found is None and len(steps) == 3 and steps[0] == "parks":
        found = _locate(raw, f"defaults.{steps[2]}")[1]
    if found is None:
        raise ScenarioError(
            "unknown lever",
            problems=[
                Problem(
                    path,
                    "expected a path to a value the scenario (or its [defaults]) sets; found "
                    "none; write a dotted path such as parks.<park>.land_supply_per_year",
                )
            ],
        )
    return found


def _locate(raw: Mapping[str, Any], path: str) -> tuple[tuple[str | int, ...], object]:
    """Follow a lever path through ``raw``: its steps and the value there (None if none).

    The path is read by :func:`~sim.scenario.overrides.parse_path`; a lever may also name
    an entry of an array of tables by a dotted index (``committed.0.start_year``), so a
    number is an index where ``raw`` holds an array and a key where it holds a table.
    """
    try:
        parsed = parse_path(path)
    except ValueError as exc:
        raise ScenarioError(
            "unknown lever",
            problems=[
                Problem(
                    path,
                    f"{exc}; write a dotted path such as parks.<park>.land_supply_per_year "
                    "(an entry of an array of tables by its index: committed.0.start_year)",
                )
            ],
        ) from None
    steps: list[str | int] = []
    node: object = raw
    for step in parsed:
        if isinstance(node, list) and isinstance(step, str) and step.isdecimal():
            step = int(step)
        steps.append(step)
        node = _child(node, step)
    return tuple(steps), node


def _child(node: object, step: str | int) -> object:
    if isinstance(node, list) and isinstance(step, int):
        return node[step] if step < len(node) else None
    return node.get(step) if isinstance(node, Mapping) else None


def _expand_lists(values: dict[str, Value], raw: Mapping[str, Any]) -> dict[str, Value]:
    """Turn paths into arrays of tables (``committed.0.start_year``) into whole arrays.

    A variant replaces an array as a whole (``extends`` merges tables, not arrays), so it
    writes the scenario's array with the lever's entries changed.
    """
    out: dict[str, Value] = {}
    heads: dict[str, str] = {}
    into_arrays: dict[str, Value] = {}
    for path, value in values.items():
        steps = _locate(raw, path)[0]
        index = next((i for i, s in enumerate(steps) if isinstance(s, int)), None)
        if index is None:
            out[path] = value
            continue
        heads.setdefault(".".join(map(str, steps[:index])), format_path(steps[:index]))
        into_arrays[format_path(steps)] = value
    changed = apply_overrides(raw, into_arrays)
    # each head holds an array: _locate made a step an index only where raw has one
    return {**out, **{head: cast(list[Any], _locate(changed, h)[1]) for head, h in heads.items()}}


def parse_lever(spec: str, raw: Mapping[str, Any]) -> Lever:
    """Read ``PATH`` or ``PATH=LOW:HIGH`` (bounds in the unit the scenario writes).

    ``PATH`` may join several paths with ``+`` (they take one value together); a path
    holding a distribution moves its central value and scales the rest with it; an
    entry of an array of tables is named by its index (``committed.0.start_year``).

    Without bounds the bracket is 0 … 4 × the current value (or current ± 10 for a value
    of 0 or below, such as a start year, and current − 10 … current + 10 for a year).

    Examples
    --------
    >>> raw = {"parks": {"a": {"land_supply_per_year": "2 ha"}}}
    >>> parse_lever("parks.a.land_supply_per_year=1:5", raw)
    Lever(path='parks.a.land_supply_per_year', unit='ha', current=2.0, low=1.0, high=5.0,
          written=('2 ha',))
    >>> parse_lever("parks.a.land_supply_per_year", raw).high
    8.0
    >>> raw["parks"]["a"]["take_up_per_year"] = {"dist": "uniform", "min": "1 ha", "max": "5 ha"}
    >>> both = parse_lever("parks.a.land_supply_per_year+parks.a.take_up_per_year", raw)
    >>> later = parse_lever("committed.0.start_year", {"committed": [{"start_year": 2013}]})
    >>> later.low, later.high, later.values(2015)
    (2003.0, 2023.0, {'committed': [{'start_year': 2015.0}]})
    >>> both.values(6)
    {'parks.a.land_supply_per_year': '6 ha',
     'parks.a.take_up_per_year': {'dist': 'uniform', 'min': '2 ha', 'max': '10 ha'}}

    Raises
    ------
    sim.errors.ScenarioError
        For an unknown path, a value that is not one number, or bad bounds.
    """
    path, _, bounds = spec.partition("=")
    paths = [p.strip() for p in path.split("+")]
    path = "+".join(paths)
    written = tuple(lever_value(raw, p) for p in paths)
    found = [
        _centre(w, p) if isinstance(w, Mapping) else split_quantity(w, field=p)
        for p, w in zip(paths, written, strict=True)
    ]
    current, unit = found[0]
    if any(u != unit for _, u in found):
        raise ScenarioError(
            "levers moved together need one unit",
            problems=[
                Problem(
                    path,
                    f"expected every path in the same unit; found "
                    f"{[u for _, u in found]}; write them in one unit",
                )
            ],
        )
    if bounds:
        low_text, sep, high_text = bounds.partition(":")
        try:
            low, high = float(low_text), float(high_text)
        except ValueError:
            low = high = math.nan
        if not sep or not (math.isfinite(low) and math.isfinite(high)) or not low < high:
            raise ScenarioError(
                "bad lever bounds",
                problems=[
                    Problem(
                        path,
                        f"expected PATH=LOW:HIGH with numbers LOW < HIGH in {unit or 'its units'}"
                        f"; found {bounds!r}; write e.g. {path}={current / 2:g}:{current * 2:g}",
                    )
                ],
            )
    elif current > 1800:  # a calendar year
        low, high = current - 10, current + 10
    elif current > 0:
        low, high = 0.0, 4 * current
    else:
        low, high = current - 10, current + 10
    arrays = {top: raw[top] for top in (_in_array(raw, p) for p in paths) if top is not None}
    return Lever(
        path=path, unit=unit, current=current, low=low, high=high, written=written, arrays=arrays
    )


def _in_array(raw: Mapping[str, Any], path: str) -> str | None:
    """Return the top-level key of ``path`` if it goes through an array of ``raw``, else None."""
    steps = _locate(raw, path)[0]
    return str(steps[0]) if any(isinstance(step, int) for step in steps) else None


def variant_text(
    base: Path,
    values: Mapping[str, Value],
    *,
    at: Path | None = None,
    comment: str = "",
) -> str:
    """Write a scenario that ``extends`` ``base`` and overrides only ``values``.

    Parameters
    ----------
    base
        The scenario file it extends.
    values
        Path → TOML value.
    at
        Where the variant will be written: ``extends`` is then relative to it (else
        absolute).
    comment
        Lines written at the top (why the variant exists).

    Examples
    --------
    >>> text = variant_text(Path("/s/base.toml"), {"parks.a.plot_ratio": 2.5})
    >>> print(text.strip())
    extends = "/s/base.toml"
    <BLANKLINE>
    [parks.a]
    plot_ratio = 2.5
    """
    import tomlkit

    doc = tomlkit.document()
    for line in comment.splitlines():
        doc.add(tomlkit.comment(line))
    target = Path(os.path.abspath(base))
    where = (
        target if at is None else Path(os.path.relpath(target, Path(os.path.abspath(at)).parent))
    )
    doc.add("extends", where.as_posix())
    nested = apply_overrides(
        {},
        {
            path: dict(value) if isinstance(value, Mapping) else value
            for path, value in values.items()
        },
    )
    for name, table in nested.items():
        doc.add(tomlkit.nl())
        doc.add(name, _table(table, tomlkit) if isinstance(table, Mapping) else table)
    return tomlkit.dumps(doc)


def _table(values: Mapping[str, Any], tomlkit: Any) -> Any:
    """Make a tomlkit table; distributions stay inline, sub-tables get headers."""
    table = tomlkit.table(is_super_table=not any(_is_leaf(v) for v in values.values()))
    for key, value in values.items():
        if _is_leaf(value):
            if isinstance(value, Mapping):
                inline = tomlkit.inline_table()
                inline.update(value)
                table.add(key, inline)
            else:
                table.add(key, value)
        else:
            table.add(key, _table(value, tomlkit))
    return table


def _is_leaf(value: object) -> bool:
    return not isinstance(value, Mapping) or "dist" in value
