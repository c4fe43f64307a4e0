"""Sweep files: ``SWEEP.toml`` in, a :class:`SweepSpec` with every variant spelled out.

A sweep names a base scenario, the draws and seed of every variant, the objective that
ranks them, and its variants, any of (concatenated in this order):

- ``[grid]``: scenario path → list of values; every combination is a variant.
- ``[hypercube]``: ``samples`` (and a ``seed``) and scenario path → ``{min, max}``
  (optionally ``unit = "ha"``); a Latin hypercube (:class:`scipy.stats.qmc.LatinHypercube`)
  over the ranges, one variant per sample.
- ``[[variants]]``: an explicit list, each ``{name = ..., set = {path = value, ...}}``.

Scenario paths are those of :mod:`sim.scenario.overrides` (``defaults.plot_ratio``,
``parks.comm_park.take_up_per_year``, ``targets[0].value``); write them as quoted keys.
Paths relative to the sweep file are made absolute. Bad input is one
:class:`~sim.errors.ScenarioError` naming the file and each field.
"""

from __future__ import annotations

import itertools
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from sim.errors import Problem, ScenarioError
from sim.scenario.overrides import parse_path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

__all__ = ["COLUMNS", "Objective", "SweepSpec", "Variant", "load_sweep", "parse_sweep"]

#: Target-table columns an objective may rank by.
COLUMNS = ("probability_met", "share", "gap", "projected", "projected_p50")


@dataclass(frozen=True)
class Variant:
    """One variant: a name and the overrides that make it from the base scenario."""

    name: str
    overrides: dict[str, Any]


@dataclass(frozen=True)
class Objective:
    """What ranks the variants: a target-table column, for one target or averaged.

    Attributes
    ----------
    column
        One of :data:`COLUMNS`.
    maximize
        Larger is better (else smaller).
    target
        Index of a ``[[targets]]`` entry of the base scenario; None: the mean over all.
    """

    column: str = "probability_met"
    maximize: bool = True
    target: int | None = None

    def describe(self) -> str:
        """Say the objective in words.

        Examples
        --------
        >>> Objective().describe()
        'maximize the mean probability_met over all targets'
        """
        which = "over all targets" if self.target is None else f"of targets[{self.target}]"
        mean = "mean " if self.target is None else ""
        return f"{'maximize' if self.maximize else 'minimize'} the {mean}{self.column} {which}"


@dataclass(frozen=True)
class SweepSpec:
    """A validated sweep file.

    Attributes
    ----------
    path
        The sweep file.
    name
        The sweep's name (the default output folder's).
    scenario
        The base scenario file (absolute).
    draws, seed
        Monte Carlo draws of every variant and their seed (None: the scenario's).
    objective
        What ranks the variants.
    best
        How many of the best variants to list.
    variants
        Every variant, in the order grid, hypercube, list.
    levers
        Every scenario path any variant sets, in first-seen order.
    """

    path: Path
    name: str
    scenario: Path
    draws: int
    seed: int | None
    objective: Objective
    best: int
    variants: tuple[Variant, ...]

    @property
    def levers(self) -> tuple[str, ...]:
        """Every scenario path a variant sets."""
        seen: dict[str, None] = {}
        for variant in self.variants:
            seen.update(dict.fromkeys(variant.overrides))
        return tuple(seen)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Head(_Model):
    name: str = Field(min_length=1)
    scenario: str = Field(min_length=1)
    draws: int = Field(ge=2, le=10_000_000)
    seed: int | None = Field(default=None, ge=0)
    best: int = Field(default=5, ge=1)


class _Objective(_Model):
    maximize: Literal[COLUMNS] | None = None  # type: ignore[valid-type]
    minimize: Literal[COLUMNS] | None = None  # type: ignore[valid-type]
    target: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _one(self) -> _Objective:
        if (self.maximize is None) == (self.minimize is None):
            raise ValueError('expected exactly one of maximize = "..." or minimize = "..."')
        return self


class _Range(_Model):
    min: float
    max: float
    unit: str | None = None

    @model_validator(mode="after")
    def _ordered(self) -> _Range:
        if not self.min < self.max:
            raise ValueError(f"expected min < max; found min = {self.min}, max = {self.max}")
        return self


class _Listed(_Model):
    name: str | None = None
    set: dict[str, Any] = Field(min_length=1)


class _File(_Model):
    sweep: _Head
    objective: _Objective = _Objective(maximize="probability_met")
    grid: dict[str, list[Any]] = Field(default_factory=dict)
    hypercube: dict[str, Any] = Field(default_factory=dict)
    variants: list[_Listed] = Field(default_factory=list)


def load_sweep(path: str | Path) -> SweepSpec:
    """Read and validate a sweep file.

    Raises
    ------
    ScenarioError
        Naming the file and every problem (TOML syntax, unknown keys, bad paths,
        empty lists, ranges, no variant at all).
    """
    path = Path(path).resolve()
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(
            f"cannot read the sweep file ({exc}); name a UTF-8 TOML file", source=path
        ) from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"not valid TOML: {exc}", source=path) from None
    return parse_sweep(raw, path)


def parse_sweep(raw: dict[str, Any], path: Path) -> SweepSpec:
    """Validate a sweep file's table (see :func:`load_sweep`); ``path`` anchors relative paths.

    Examples
    --------
    >>> from pathlib import Path
    >>> spec = parse_sweep({"sweep": {"name": "s", "scenario": "base.toml", "draws": 10},
    ...                     "grid": {"defaults.plot_ratio": [1.5, 2.0]}}, Path("/x/s.toml"))
    >>> [(v.name, v.overrides) for v in spec.variants]
    [('g0000', {'defaults.plot_ratio': 1.5}), ('g0001', {'defaults.plot_ratio': 2.0})]
    >>> str(spec.scenario), spec.levers
    ('/x/base.toml', ('defaults.plot_ratio',))
    """
    try:
        model = _File.model_validate(raw)
    except ValidationError as exc:
        found = [
            Problem(".".join(str(p) for p in error["loc"]) or "(top)", error["msg"])
            for error in exc.errors()
        ]
        raise ScenarioError(
            f"{len(found)} problem(s) in the sweep file", source=path, problems=found
        ) from None
    problems: list[Problem] = []
    variants = [
        *_grid(model.grid, problems),
        *_hypercube(model.hypercube, problems),
        *_listed(model.variants),
    ]
    for variant in variants:
        for lever in variant.overrides:
            try:
                parse_path(lever)
            except ValueError as exc:
                problems.append(Problem(f"{variant.name}: {lever}", str(exc)))
    if not variants:
        problems.append(
            Problem(
                "grid", "expected variants: a [grid], a [hypercube] or [[variants]]; found none"
            )
        )
    names = [v.name for v in variants]
    problems += [
        Problem("variants", f"expected each name once; found {name!r} again; rename one")
        for name in sorted({n for n in names if names.count(n) > 1})
    ]
    if problems:
        problems = list(dict.fromkeys(problems))
        raise ScenarioError(
            f"{len(problems)} problem(s) in the sweep file", source=path, problems=problems
        )
    head, objective = model.sweep, model.objective
    return SweepSpec(
        path=path,
        name=head.name,
        scenario=(path.parent / head.scenario).resolve(),
        draws=head.draws,
        seed=head.seed,
        objective=Objective(
            column=str(objective.maximize or objective.minimize),
            maximize=objective.maximize is not None,
            target=objective.target,
        ),
        best=head.best,
        variants=tuple(variants),
    )


def _grid(grid: dict[str, list[Any]], problems: list[Problem]) -> list[Variant]:
    for lever, values in grid.items():
        if not values:
            problems.append(Problem(f"grid.{lever}", "expected a list of values; found []"))
    if not grid or any(not values for values in grid.values()):
        return []
    levers = list(grid)
    combos = itertools.product(*(grid[lever] for lever in levers))
    return [
        Variant(f"g{i:04d}", dict(zip(levers, combo, strict=True)))
        for i, combo in enumerate(combos)
    ]


def _hypercube(table: dict[str, Any], problems: list[Problem]) -> list[Variant]:
    if not table:
        return []
    from scipy.stats import qmc

    table = dict(table)
    samples, seed = table.pop("samples", None), table.pop("seed", 0)
    if not isinstance(samples, int) or isinstance(samples, bool) or samples < 1:
        problems.append(
            Problem("hypercube.samples", f"expected a whole number ≥ 1; found {samples!r}")
        )
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        problems.append(Problem("hypercube.seed", f"expected a whole number ≥ 0; found {seed!r}"))
    ranges: dict[str, _Range] = {}
    for lever, value in table.items():
        try:
            ranges[lever] = _Range.model_validate(value)
        except ValidationError as exc:
            message = "; ".join(e["msg"] for e in exc.errors())
            problems.append(
                Problem(
                    f"hypercube.{lever}",
                    f'expected {{ min = …, max = …, unit = "…" (optional) }}; {message}',
                )
            )
    if not ranges:
        problems.append(Problem("hypercube", "expected at least one scenario path with a range"))
    if problems or not isinstance(samples, int) or not isinstance(seed, int):
        return []
    unit = qmc.LatinHypercube(d=len(ranges), seed=seed).random(samples)
    low = [r.min for r in ranges.values()]
    high = [r.max for r in ranges.values()]
    points = qmc.scale(unit, low, high)
    return [
        Variant(
            f"h{i:04d}",
            {
                lever: _value(float(x), r.unit)
                for (lever, r), x in zip(ranges.items(), row, strict=True)
            },
        )
        for i, row in enumerate(points)
    ]


def _value(x: float, unit: str | None) -> float | str:
    number = float(f"{x:.6g}")
    return number if unit is None else f"{number:g} {unit}"


def _listed(listed: list[_Listed]) -> list[Variant]:
    return [Variant(item.name or f"v{i:04d}", dict(item.set)) for i, item in enumerate(listed)]
