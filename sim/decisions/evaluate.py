"""One evaluation of a scenario variant: plain data in, the queried values out.

``Task(scenario, overrides, draws, seed, queries) ──evaluate──▶ (Q, D) array``

A :class:`Task` is a scenario file, the lever values to override (dotted paths, as a
variant file writes them), how to run it and which quantities to read. :func:`evaluate`
writes the variant beside nothing the user owns (a temporary file that ``extends`` the
scenario by its absolute path), loads it exactly as ``parksim run`` would, runs the
engine and reads each :class:`Query`. Tasks and results are plain, picklable data and
:func:`evaluate` is a top-level function, so any :class:`~sim.executor.Executor` — in
process or a Dask cluster — can run a list of them. Every Monte Carlo task carries its
seed: the same task gives the same numbers wherever it runs (common random numbers for
the solver).

The site is read once per process and kept (keyed by its files and their modification
times), because a decision tool evaluates one site hundreds of times.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from sim.errors import Problem, SimError

if TYPE_CHECKING:
    from sim.decisions.levers import Value
    from sim.result import Ensemble, Result
    from sim.scenario import Scenario
    from sim.site import Site

__all__ = ["Query", "Task", "evaluate", "evaluate_batch", "query_from", "series_of"]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Query:
    """A quantity to read from a run: a series of one park (or ``total``) at one period.

    Attributes
    ----------
    series
        A per-park series (:data:`sim.result.PARK_SERIES`, e.g. ``floor_completed_m2``).
    park
        A park id or ``total`` (every park and the rest of the city).
    year
        The year.
    quarter
        1–4 for a quarter's value, None for the year's (a stock at year end, a flow
        over the year).
    """

    series: str
    park: str
    year: int
    quarter: int | None = None


@dataclass(frozen=True)
class Task:
    """Everything one evaluation needs, as plain data.

    Attributes
    ----------
    scenario
        Absolute path of the scenario file.
    overrides
        ``(path, value)`` pairs the variant sets (:func:`sim.decisions.levers.variant_text`).
    queries
        What to read.
    draws
        Monte Carlo draws; ``sampled=False`` runs the point values (one draw).
    seed
        Seed of the draws.
    sampled
        Sample the scenario's distributions and ``[market]`` (else every input at its
        point value).
    """

    scenario: str
    overrides: tuple[tuple[str, Value], ...]
    queries: tuple[Query, ...]
    draws: int = 1
    seed: int = 0
    sampled: bool = False


def series_of(metric: str) -> str:
    """Return the series a metric name or a series name reads.

    Examples
    --------
    >>> series_of("floor_completed"), series_of("floor_occupied_m2")
    ('floor_completed_m2', 'floor_occupied_m2')

    Raises
    ------
    sim.errors.SimError
        Naming the metrics and series there are.
    """
    from sim.metrics import Metric
    from sim.result import PARK_SERIES

    try:
        return Metric(metric).column
    except ValueError:
        pass
    if metric in PARK_SERIES:
        return metric
    names = [m.value for m in Metric] + list(PARK_SERIES)
    raise SimError(
        "unknown metric",
        problems=[Problem("metric", f"expected one of {names}; found {metric!r}")],
    )


def query_from(metric: str, park: str, year: int, quarter: int | None = None) -> Query:
    """Make a :class:`Query` from a metric (``floor_completed``) or series name.

    Examples
    --------
    >>> query_from("floor_completed", "total", 2016)
    Query(series='floor_completed_m2', park='total', year=2016, quarter=None)
    """
    return Query(series_of(metric), park, int(year), quarter)


def evaluate(task: Task) -> FloatArray:
    """Run one task: the variant loaded as ``parksim run`` would, the queries read.

    Parameters
    ----------
    task
        The evaluation.

    Returns
    -------
    numpy.ndarray
        ``(Q, D)``: every query in every draw (``D = 1`` for a point run).

    Raises
    ------
    sim.errors.SimError
        When the variant is not a valid scenario, or a query names a park or year the
        run does not have.
    """
    from sim.decisions.levers import variant_text
    from sim.engine import prepare, run, run_ensemble
    from sim.montecarlo import sample_inputs
    from sim.scenario import load_scenario

    with tempfile.TemporaryDirectory(prefix="parksim-eval-") as folder:
        path = Path(folder) / "variant.toml"
        text = variant_text(Path(task.scenario), dict(task.overrides))
        path.write_text(text, encoding="utf-8")
        scenario = load_scenario(path)
    inputs = prepare(scenario, _site(scenario))
    quarterly = any(q.quarter is not None for q in task.queries)
    result: Result | Ensemble
    if not task.sampled:
        result = run(inputs)
    elif quarterly:
        result = run(sample_inputs(inputs, scenario, task.draws, np.random.default_rng(task.seed)))
    else:
        result = run_ensemble(inputs, scenario, draws=task.draws, seed=task.seed)
    return np.stack([_read(result, q) for q in task.queries]) if task.queries else np.zeros((0, 1))


def evaluate_batch(tasks: tuple[Task, ...]) -> list[FloatArray]:
    """Run several tasks in one call (one executor item; the site is read once)."""
    return [evaluate(task) for task in tasks]


def _read(result: Result | Ensemble, query: Query) -> FloatArray:
    years = [int(y) for y in result.years]
    if query.year not in years:
        raise SimError(
            "year outside the run",
            problems=[
                Problem("year", f"expected a year {years[0]}–{years[-1]}; found {query.year}")
            ],
        )
    t = years.index(query.year)
    if query.quarter is not None:
        return _read_quarter(result, query, 4 * t + query.quarter - 1)
    if query.park == "total":
        return np.asarray(result.total(query.series)[:, t], dtype=np.float64)
    k = _park_index(result.park_ids, query.park)
    return np.asarray(result.by_park(query.series)[:, t, k], dtype=np.float64)


def _read_quarter(result: Result | Ensemble, query: Query, q: int) -> FloatArray:
    from sim.result import Result

    if not isinstance(result, Result) or result.quarterly is None:
        raise SimError("no quarterly series in this run; give years instead of quarters")
    values = result.quarterly[query.series]
    if query.park != "total":
        return np.asarray(values[:, q, _park_index(result.park_ids, query.park)])
    total = values[:, q].sum(axis=1)
    rest = result.rest_of_city_quarterly
    if rest is not None and query.series in rest:
        total = total + rest[query.series][:, q, 0]
    return np.asarray(total, dtype=np.float64)


def _park_index(park_ids: tuple[str, ...], park: str) -> int:
    if park not in park_ids:
        raise SimError(
            "unknown park",
            problems=[
                Problem("park", f"expected 'total' or one of {list(park_ids)}; found {park!r}")
            ],
        )
    return park_ids.index(park)


def _site(scenario: Scenario) -> Site:
    files = scenario.site
    key = tuple(
        (str(p), os.stat(p).st_mtime_ns if p.exists() else 0) for p in (files.parks, files.parcels)
    )
    return _cached_site(
        key, files.parks_layer, files.parcels_layer, scenario.scenario.crs, scenario
    )


#: Sites read in this process (a cache: the same files give the same site).
_SITES: dict[tuple[object, ...], Site] = {}


def _cached_site(
    key: tuple[tuple[str, int], ...],
    parks_layer: str,
    parcels_layer: str,
    crs: str,
    scenario: Scenario,
) -> Site:
    """Return the site of ``scenario``, read once per process for the same files."""
    from sim.site import load_site

    whole = (key, parks_layer, parcels_layer, crs)
    if whole not in _SITES:
        if len(_SITES) >= 4:
            _SITES.pop(next(iter(_SITES)))
        _SITES[whole] = load_site(scenario.site, crs, source=scenario.path)
    return _SITES[whole]
