"""Rank what matters: which uncertain input moves an output most.

``(scenario, output) ──sensitivity──▶ Sensitivity`` (one row per input)

The inputs are the scenario's distributions (every ``{ dist = … }`` value of its TOML,
:func:`uncertain_inputs`); the output is one quantity of the point run (``METRIC PARK
YEAR``, default the scenario's first target). Each evaluation sets every input to a
value (the rest at their point values) and runs the deterministic model, so the index of
an input is about that input alone (``[market]`` shocks, which have no point value, are
left out).

- **tornado**: each input at its P10 and at its P90, the rest at their point values;
  ranked by the swing ``|y(P90) − y(P10)|``.
- **morris**: elementary effects (Morris 1991; μ* of Campolongo et al. 2007) over the
  inputs' quantiles 0.5 %–99.5 % (each value is the input's inverse cdf at the sampled
  quantile, so steps follow its distribution), from :mod:`SALib`.
- **sobol**: first-order and total-order indices with bootstrap 95 % intervals (Saltelli
  2002; Saltelli et al. 2010) from :mod:`SALib` — its sampling and estimators, never our
  own — over the same quantile space, so the variance decomposed is that of the
  scenario's own distributions.

:func:`indices` does the global methods for any vectorised model ``X (n, k) → y (n,)``
over a box (the tests check it on a linear toy with known indices). The scenario's
runs go to the executor as one list.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from sim.decisions.evaluate import Query, Task, evaluate, query_from
from sim.decisions.levers import Value, format_value, raw_table, split_quantity
from sim.distributions import Distribution
from sim.errors import Problem, SimError
from sim.executor import Executor, SerialExecutor
from sim.units import Dimension

__all__ = ["METHODS", "Input", "Sensitivity", "indices", "sensitivity", "uncertain_inputs"]

FloatArray = npt.NDArray[np.float64]
#: The methods :func:`sensitivity` knows.
METHODS = ("tornado", "morris", "sobol")
#: The quantile range the global methods sample (distributions may be unbounded).
_QUANTILES = (0.005, 0.995)


@dataclass(frozen=True)
class Input:
    """One uncertain input: its path, unit and distribution in that unit."""

    path: str
    unit: str
    distribution: Distribution

    @property
    def point(self) -> float:
        """Its point value (what the deterministic run uses)."""
        return self.distribution.point()

    def value(self, quantile: float) -> Value:
        """Return the TOML value of this input at ``quantile`` of its distribution."""
        return format_value(float(self.distribution.quantile(quantile)), self.unit)


def uncertain_inputs(raw: Mapping[str, Any], prefix: str = "") -> list[Input]:
    """Every distribution in a raw scenario table, in file order.

    Examples
    --------
    >>> raw = {"defaults": {"x": {"dist": "uniform", "min": "1 ha", "max": "3 ha"}, "y": 2}}
    >>> [(i.path, i.unit, i.point) for i in uncertain_inputs(raw)]
    [('defaults.x', 'ha', 2.0)]
    """
    found: list[Input] = []
    for key, value in raw.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping) and "dist" in value:
            found.append(_input(path, value))
        elif isinstance(value, Mapping):
            found.extend(uncertain_inputs(value, prefix=f"{path}."))
    return found


def _input(path: str, table: Mapping[str, Any]) -> Input:
    numbers: dict[str, Any] = {}
    units = set()
    for key, value in table.items():
        if key in ("dist", "sigma", "lambda", "weights"):
            numbers[key] = value
        elif isinstance(value, list):
            split = [split_quantity(v, field=f"{path}.{key}") for v in value]
            numbers[key] = [n for n, _ in split]
            units |= {u for _, u in split}
        else:
            number, unit = split_quantity(value, field=f"{path}.{key}")
            numbers[key] = number
            units.add(unit)
    if len(units) > 1:
        raise SimError(
            "mixed units in a distribution",
            problems=[
                Problem(path, f"expected one unit for every parameter; found {sorted(units)}")
            ],
        )
    # Parameters in the file's own unit: ratios to the parser, so values stay in that unit.
    return Input(
        path, units.pop() if units else "", Distribution.from_table(numbers, Dimension.RATIO)
    )


@dataclass(frozen=True)
class Sensitivity:
    """What :func:`sensitivity` found: one row per input, most influential first.

    Attributes
    ----------
    method
        ``tornado``, ``morris`` or ``sobol``.
    output
        What was measured.
    base
        The output of the point run.
    table
        Tornado: ``input, unit, p10, p90, low_output, high_output, swing``; Morris:
        ``input, mu_star, mu_star_conf, sigma``; Sobol: ``input, S1, S1_conf, ST,
        ST_conf``; sorted by swing, μ* or ST.
    evaluations
        Scenario runs used.
    """

    method: str
    output: Query
    base: float
    table: pd.DataFrame
    evaluations: int


def indices(
    model: Callable[[FloatArray], FloatArray],
    names: Sequence[str],
    bounds: Sequence[tuple[float, float]],
    *,
    method: str = "sobol",
    samples: int = 256,
    seed: int = 0,
) -> pd.DataFrame:
    """Morris or Sobol indices of a vectorised model over a box, with SALib.

    Parameters
    ----------
    model
        ``X (n, k) → y (n,)``.
    names, bounds
        The inputs and their ranges.
    method
        ``morris`` or ``sobol``.
    samples
        Sobol: the base sample N (a power of 2; N·(k + 2) runs). Morris: trajectories
        (r·(k + 1) runs).
    seed
        Seed of SALib's sampling and bootstrap.

    Returns
    -------
    pandas.DataFrame
        Sorted by ``ST`` (Sobol) or ``mu_star`` (Morris), most influential first.

    Examples
    --------
    >>> table = indices(lambda x: 2 * x[:, 0] + x[:, 1], ["a", "b"], [(0, 1), (0, 1)],
    ...                 samples=1024)
    >>> table["input"].tolist(), bool(abs(table["S1"].iloc[0] - 0.8) < 0.05)
    (['a', 'b'], True)
    """
    problem = {"num_vars": len(names), "names": list(names), "bounds": [list(b) for b in bounds]}
    if method == "sobol":
        from SALib.analyze import sobol as analyze
        from SALib.sample import sobol as sample

        x = sample.sample(problem, samples, calc_second_order=False, seed=seed)
        y = np.asarray(model(x), dtype=float)
        found = analyze.analyze(problem, y, calc_second_order=False, seed=seed)
        table = pd.DataFrame(
            {
                "input": list(names),
                "S1": found["S1"],
                "S1_conf": found["S1_conf"],
                "ST": found["ST"],
                "ST_conf": found["ST_conf"],
            }
        )
        return table.sort_values("ST", ascending=False, kind="stable").reset_index(drop=True)
    if method == "morris":
        from SALib.analyze import morris as analyze_morris
        from SALib.sample import morris as sample_morris

        x = sample_morris.sample(problem, samples, num_levels=4, seed=seed)
        y = np.asarray(model(x), dtype=float)
        found = analyze_morris.analyze(problem, x, y, num_levels=4, seed=seed)
        table = pd.DataFrame(
            {
                "input": list(names),
                "mu_star": found["mu_star"],
                "mu_star_conf": found["mu_star_conf"],
                "sigma": found["sigma"],
            }
        )
        return table.sort_values("mu_star", ascending=False, kind="stable").reset_index(drop=True)
    raise SimError(
        "unknown method",
        problems=[Problem("--method", f"expected one of {METHODS}; found {method!r}")],
    )


def sensitivity(
    scenario: str | Path,
    *,
    method: str = "tornado",
    output: Query | str | None = None,
    samples: int | None = None,
    seed: int | None = None,
    executor: Executor | None = None,
) -> Sensitivity:
    """Rank the scenario's uncertain inputs by their effect on one output.

    Parameters
    ----------
    scenario
        The scenario file (it must hold distributions).
    method
        ``tornado``, ``morris`` or ``sobol``.
    output
        A :class:`~sim.decisions.evaluate.Query` or ``"METRIC PARK YEAR"``; default the
        scenario's first target.
    samples
        Sobol N (default 64) or Morris trajectories (default 10).
    seed
        Seed of the sampling (default the scenario's).
    executor
        Where evaluations run.

    Returns
    -------
    Sensitivity
    """
    from sim.scenario import load_scenario

    if method not in METHODS:
        raise SimError(
            "unknown method",
            problems=[Problem("--method", f"expected one of {METHODS}; found {method!r}")],
        )
    loaded = load_scenario(scenario)
    path = str(Path(loaded.path).resolve())
    query = _output(output, loaded)
    inputs = uncertain_inputs(raw_table(Path(path)))
    if not inputs:
        raise SimError(
            "nothing uncertain",
            source=Path(path),
            problems=[
                Problem(
                    "scenario",
                    "expected at least one { dist = … } value; found none; "
                    "run it on a scenario with distributions (e.g. *_uncertain.toml)",
                )
            ],
        )
    run = executor or SerialExecutor()
    count = 0

    def outputs(settings: list[dict[str, Value]]) -> FloatArray:
        nonlocal count
        tasks = [Task(path, tuple(s.items()), (query,)) for s in settings]
        count += len(tasks)
        return np.array([r[0, 0] for r in run.map(evaluate, tasks)], dtype=float)

    def at_quantiles(x: FloatArray) -> FloatArray:
        return outputs(
            [{i.path: i.value(float(q)) for i, q in zip(inputs, row, strict=True)} for row in x]
        )

    [base] = outputs([{}])
    seed = loaded.scenario.seed if seed is None else seed
    if method == "tornado":
        settings = [{i.path: i.value(q)} for i in inputs for q in (0.1, 0.9)]
        y = outputs(settings).reshape(len(inputs), 2)
        table = pd.DataFrame(
            {
                "input": [i.path for i in inputs],
                "unit": [i.unit for i in inputs],
                "p10": [float(i.distribution.quantile(0.1)) for i in inputs],
                "p90": [float(i.distribution.quantile(0.9)) for i in inputs],
                "low_output": y[:, 0],
                "high_output": y[:, 1],
                "swing": np.abs(y[:, 1] - y[:, 0]),
            }
        )
        table = table.sort_values("swing", ascending=False, kind="stable").reset_index(drop=True)
    else:
        n = samples or (64 if method == "sobol" else 10)
        table = indices(
            at_quantiles,
            [i.path for i in inputs],
            [_QUANTILES] * len(inputs),
            method=method,
            samples=n,
            seed=seed,
        )
    return Sensitivity(
        method=method, output=query, base=float(base), table=table, evaluations=count
    )


def _output(output: Query | str | None, scenario: Any) -> Query:
    if isinstance(output, Query):
        return output
    if output is None:
        if not scenario.targets:
            raise SimError(
                "no output", problems=[Problem("--output", 'expected "METRIC PARK YEAR"')]
            )
        target = scenario.targets[0]
        return query_from(target.metric.value, target.park, target.year)
    parts = output.split()
    if len(parts) != 3 or not parts[2].isdigit():
        raise SimError(
            "bad output",
            problems=[
                Problem(
                    "--output",
                    f'expected "METRIC PARK YEAR"; found {output!r}; '
                    'write e.g. --output "floor_completed total 2016"',
                )
            ],
        )
    return query_from(parts[0], parts[1], int(parts[2]))
