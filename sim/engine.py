"""The build-out engine: land release, construction starts, phases, completion, occupancy.

``(Scenario, Site) ──prepare──▶ Inputs ──run──▶ Result``; :func:`simulate` does both.
Monte Carlo: :func:`run_ensemble` samples the inputs once
(:func:`sim.montecarlo.sample_inputs`) and runs the draws in chunks. :class:`Inputs`
and :data:`PARK_FIELDS` live in :mod:`sim.inputs` (re-exported here).

One step a quarter, from Q1 of the base year to Q4 of the horizon (docs/MODEL.md; the
step itself is :func:`sim.buildout.advance`). Per park and quarter, in order: land is
serviced under the park's budget in queue order (``phase``, then distance to the park's
start area, then id); developers buy serviced land at the take-up rate, slowed when the
park's vacancy exceeds a target; sold land starts after its lag and is built in phases
of at most ``max_floor_per_phase`` that start as the previous one tops out; completed
floor fills from demand (net absorption) in proportion to each building's room, and
unplaced demand waits in a backlog; idle land is counted from the contracted start and,
with ``[rules] reclaim_idle``, taken back and sold again. Each park starts from its
base-year stock; revenue is floor-driven plus the park's other revenue, and
``[rest_of_city]`` carries the city outside the parks.

:func:`run` keeps every parcel's history (``(D, Y, P)`` year-end views, and per-park
series by year and by quarter); :func:`run_parks` keeps only per-park series for Monte
Carlo, and :func:`run_draws` feeds it chunks of draws. Python loops run over quarters
and parks, never over parcels or draws.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np
import numpy.typing as npt

from sim.buildout import advance, park_years, to_years
from sim.demand import chain_allocation, chain_demand
from sim.distributions import point_value
from sim.errors import Problem, ScenarioError
from sim.inputs import PARK_FIELDS, Inputs
from sim.montecarlo import sample_inputs
from sim.quarterly import SLACK_M2
from sim.result import Ensemble, Result, Status
from sim.scenario import ParkParams, Scenario, resolve_park
from sim.site import Site

__all__ = [
    "PARK_FIELDS",
    "Inputs",
    "prepare",
    "run",
    "run_draws",
    "run_ensemble",
    "run_parks",
    "simulate",
    "simulate_draws",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


def prepare(scenario: Scenario, site: Site) -> Inputs:
    """Bind a scenario to its site and lay both out as arrays for :func:`run`.

    Parameters
    ----------
    scenario
        A loaded scenario.
    site
        Its validated site.

    Returns
    -------
    Inputs
        Deterministic inputs (one draw).

    Raises
    ------
    ScenarioError
        If the scenario names parks or parcels the site lacks, a park's assumptions
        are incomplete, a committed floor exceeds its parcel's cap, or the site has no
        park or no parcel.
    """
    parks = site.parks
    park_ids = tuple(parks["park_id"])
    problems = [
        Problem(
            f"parks.{pid}",
            f"unknown park {pid!r}; the parks layer has {list(park_ids)} — rename the "
            "table to one of these or add the park to the parks layer",
        )
        for pid in scenario.parks
        if pid not in park_ids
    ]
    names = dict(zip(parks["park_id"], parks["name_zh"], strict=True))
    params: list[ParkParams] = []
    for pid in park_ids:
        try:
            params.append(resolve_park(scenario, pid, park_name=str(names[pid])))
        except ScenarioError as exc:
            problems.extend(exc.problems)
    if scenario.demand is not None:
        problems += [
            Problem(
                f"demand.shares.{pid}",
                f"unknown park {pid!r}; the parks layer has {list(park_ids)} — name one "
                "of these or drop the share",
            )
            for pid in scenario.demand.shares
            if pid not in park_ids
        ]
        problems += [
            Problem(
                f"demand.attractiveness.{pid}",
                f"unknown park {pid!r}; the parks layer has {list(park_ids)} — name one "
                "of these or drop it",
            )
            for pid in scenario.demand.attractiveness
            if pid not in park_ids
        ]
    for i, target in enumerate(scenario.targets):
        if target.park != "total" and target.park not in park_ids:
            problems.append(
                Problem(
                    f"targets[{i}].park",
                    f"unknown park {target.park!r}; use 'total' or one of {list(park_ids)}",
                )
            )

    parcels = site.parcels
    if not park_ids or not len(parcels):
        # load_site refuses empty layers; a Site made in code may still have none.
        kind, layer = (
            ("parcel", scenario.site.parcels) if park_ids else ("park", scenario.site.parks)
        )
        problems.append(
            Problem(
                f"site.{kind}s",
                f"expected at least one {kind} to build on; found none in {layer.name}; "
                f"draw the {kind}s, or point [site] at the layer that holds them",
            )
        )
        raise ScenarioError(
            f"{len(problems)} problem(s) binding the scenario to its site",
            source=scenario.path,
            problems=problems,
        )
    parcel_ids = parcels["parcel_id"].to_numpy(dtype=str)
    index = {pid: i for i, pid in enumerate(parcel_ids)}
    n_parcels = parcel_ids.size
    parcel_park = parcels["park_id"].map({p: k for k, p in enumerate(park_ids)}).to_numpy()
    area = parcels["area_m2"].to_numpy(dtype=float)
    far_max = parcels["far_max"].to_numpy(dtype=float)
    committed_start = np.full(n_parcels, np.nan)
    committed_floor = np.zeros(n_parcels)
    committed_phases = np.zeros(n_parcels, dtype=np.int64)
    for i, item in enumerate(scenario.committed):
        unknown = [p for p in item.parcels if p not in index]
        if unknown:
            problems.append(
                Problem(
                    f"committed[{i}].parcel",
                    f"unknown parcel {unknown[0]!r}; use a parcel_id from "
                    f"{scenario.site.parcels.name} or drop the entry",
                )
            )
            continue
        rows = np.array([index[p] for p in item.parcels])
        floor = point_value(item.floor)
        cap = float((area[rows] * far_max[rows]).sum())
        if np.isfinite(cap) and floor > cap * (1 + 1e-9):
            shown = ", ".join(item.parcels)
            problems.append(
                Problem(
                    f"committed[{i}].floor",
                    f"{floor:,.0f} m² exceeds the capacity of parcel(s) {shown}, "
                    f"{cap:,.0f} m² (area × far_max); lower the floor or raise far_max",
                )
            )
        committed_start[rows] = point_value(item.start_year)
        committed_floor[rows] = floor * area[rows] / area[rows].sum()  # split by area
        committed_phases[rows] = item.phases
    problems = list(dict.fromkeys(problems))  # a [defaults] gap is found once per park
    if problems:
        raise ScenarioError(
            f"{len(problems)} problem(s) binding the scenario to its site",
            source=scenario.path,
            problems=problems,
        )

    centroids = parcels.geometry.centroid
    cx, cy = centroids.x.to_numpy(), centroids.y.to_numpy()
    phase = parcels["phase"].to_numpy()
    first = phase == _min_per_group(phase, parcel_park, len(park_ids))[parcel_park]
    start_x = _mean_per_group(cx, first, parcel_park, len(park_ids))
    start_y = _mean_per_group(cy, first, parcel_park, len(park_ids))
    distance = np.hypot(cx - start_x[parcel_park], cy - start_y[parcel_park])
    order = np.lexsort((parcel_ids, distance, phase, parcel_park))
    queue_rank = np.empty(n_parcels, dtype=np.int64)
    queue_rank[order] = np.arange(n_parcels)

    park = {name: np.array([[float(getattr(p, name)) for p in params]]) for name in PARK_FIELDS}
    return Inputs(
        name=scenario.name,
        years=np.arange(scenario.scenario.base_year, scenario.scenario.horizon + 1),
        park_ids=park_ids,
        parcel_ids=parcel_ids,
        parcel_park=parcel_park.astype(np.int64),
        area_m2=area,
        far_max=far_max,
        queue_rank=queue_rank,
        committed_start=committed_start[None, :],
        committed_floor=committed_floor[None, :],
        committed_phases=committed_phases,
        park=park,
        land_supply_m2=np.array([[p.land_supply_m2 for p in params]], dtype=float),
        take_up_m2=np.array([[p.take_up_m2 for p in params]], dtype=float),
        demand_m2=(
            np.array([[p.demand_m2 for p in params]], dtype=float)
            if scenario.demand is None
            else chain_demand(scenario.demand, park_ids, len(scenario.years))
        ),
        allocation=(
            None
            if scenario.demand is None
            else chain_allocation(scenario.demand, park_ids, len(scenario.years))
        ),
        idle_after_years=float(scenario.rules.idle_after_years),
        reclaim_after_years=float(scenario.rules.reclaim_after_years),
        reclaim_idle=scenario.rules.reclaim_idle,
        rest_of_city=_rest_of_city(scenario),
    )


def _rest_of_city(scenario: Scenario) -> dict[str, FloatArray] | None:
    rest = scenario.rest_of_city
    if rest is None:
        return None
    return {
        "revenue": np.array([rest.revenue]),
        "revenue_growth": np.array([rest.revenue_growth]),
        "revenue_per_worker": np.array([rest.revenue_per_worker]),
    }


def _min_per_group(values: IntArray, groups: IntArray, n: int) -> IntArray:
    out = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(out, groups, values)
    return out


def _mean_per_group(values: FloatArray, mask: BoolArray, groups: IntArray, n: int) -> FloatArray:
    total = np.bincount(groups[mask], weights=values[mask], minlength=n)
    count = np.bincount(groups[mask], minlength=n)
    return total / np.maximum(count, 1)


def simulate(scenario: Scenario, site: Site) -> Result:
    """Run the deterministic build-out of a scenario on its site.

    Parameters
    ----------
    scenario
        A loaded scenario.
    site
        Its validated site.

    Returns
    -------
    Result
        One draw.
    """
    return run(prepare(scenario, site))


def simulate_draws(
    scenario: Scenario,
    site: Site,
    *,
    draws: int,
    seed: int | None = None,
    chunk_size: int = 2048,
    progress: Callable[[int], None] | None = None,
) -> Ensemble:
    """Run a Monte Carlo build-out: sample every uncertain input, simulate all draws.

    Parameters
    ----------
    scenario
        A loaded scenario (its distributions and ``[market]`` are sampled).
    site
        Its validated site.
    draws
        Number of draws.
    seed
        Seed of the run's one generator; default the scenario's ``seed``.
    chunk_size
        Draws simulated together; bounds memory, never changes results (lowered
        where one chunk would not fit in the memory available).
    progress
        Called with the number of draws finished after each chunk.

    Returns
    -------
    Ensemble
        Per-park series for every draw.

    Raises
    ------
    SimError
        When the draws' results cannot fit in the memory available
        (:func:`sim.memory.plan_draws`), before anything is allocated.
    """
    return run_ensemble(
        prepare(scenario, site),
        scenario,
        draws=draws,
        seed=seed,
        chunk_size=chunk_size,
        progress=progress,
    )


def run_ensemble(
    inputs: Inputs,
    scenario: Scenario,
    *,
    draws: int,
    seed: int | None = None,
    chunk_size: int = 2048,
    progress: Callable[[int], None] | None = None,
) -> Ensemble:
    """Run a Monte Carlo build-out from prepared inputs (see :func:`simulate_draws`).

    Parameters
    ----------
    inputs
        :func:`prepare` of ``scenario`` and its site (point values).
    scenario
        The scenario, whose distributions and ``[market]`` are sampled.
    draws, seed, chunk_size, progress
        As for :func:`simulate_draws`.

    Returns
    -------
    Ensemble
    """
    seed = scenario.scenario.seed if seed is None else seed
    sampled, chunk_size = _plan_and_sample(
        inputs, scenario, draws=draws, seed=seed, chunk_size=chunk_size
    )
    series = run_draws(sampled, chunk_size=chunk_size, progress=progress)
    return _ensemble(series, inputs, scenario, seed=seed)


def _plan_and_sample(
    inputs: Inputs, scenario: Scenario, *, draws: int, seed: int, chunk_size: int
) -> tuple[Inputs, int]:
    """Check that ``draws`` fit in memory, then sample them from one generator of ``seed``.

    Shared by :func:`run_ensemble` and :func:`sim.split.run_ensemble_split`, so both
    refuse the same runs and sample the same draws.

    Returns
    -------
    tuple
        The sampled inputs and the chunk size to run them with (``chunk_size``, lowered
        where one chunk would not fit; :func:`sim.memory.plan_draws`).
    """
    from sim.memory import plan_draws
    from sim.result import PARK_SERIES

    plan = plan_draws(  # refuses what cannot fit before anything is allocated
        draws=draws,
        chunk_size=chunk_size,
        parcels=inputs.parcel_ids.size,
        parks=len(inputs.park_ids),
        years=inputs.years.size,
        series=len(PARK_SERIES),
        park_fields=len(PARK_FIELDS),
    )
    sampled = sample_inputs(inputs, scenario, draws, np.random.default_rng(seed))
    return sampled, plan.chunk_size


def _ensemble(
    series: dict[str, FloatArray], inputs: Inputs, scenario: Scenario, *, seed: int
) -> Ensemble:
    """Hold :func:`run_draws`' ``series`` as an :class:`~sim.result.Ensemble`.

    The ``rest_of_city/<series>`` keys move out of ``series`` (which is changed in
    place) into the ensemble's ``rest_of_city``.
    """
    rest = {
        k.split("/", 1)[1]: series.pop(k) for k in list(series) if k.startswith("rest_of_city/")
    }
    return Ensemble(
        scenario_name=scenario.name,
        years=inputs.years,
        park_ids=inputs.park_ids,
        series=series,
        seed=seed,
        rest_of_city=rest or None,
    )


def run_draws(
    inputs: Inputs,
    *,
    chunk_size: int = 2048,
    progress: Callable[[int], None] | None = None,
) -> dict[str, FloatArray]:
    """Run :func:`run_parks` over chunks of draws and join the results.

    Inputs are sampled before chunking, so results do not depend on ``chunk_size``;
    memory is bounded by it.

    Parameters
    ----------
    inputs
        Sampled inputs.
    chunk_size
        Draws per chunk (≥ 1).
    progress
        Called with the number of draws finished after each chunk.

    Returns
    -------
    dict
        The :data:`~sim.result.SERIES` keys, each ``(D, Y, K)``.
    """
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be ≥ 1; found {chunk_size}")
    total = inputs.draws
    parts: list[dict[str, FloatArray]] = []
    for start in range(0, total, chunk_size):
        stop = min(start + chunk_size, total)
        whole = start == 0 and stop == total
        parts.append(run_parks(inputs if whole else _draw_slice(inputs, start, stop, total)))
        if progress is not None:
            progress(stop)
    if len(parts) == 1:
        return parts[0]
    return {name: np.concatenate([p[name] for p in parts], axis=0) for name in parts[0]}


def _draw_slice(inputs: Inputs, start: int, stop: int, total: int) -> Inputs:
    return replace(inputs, **_drawn_fields(inputs, start, stop, total))


def _drawn_fields(inputs: Inputs, start: int, stop: int, total: int) -> dict[str, Any]:
    """Every field of ``inputs`` with a draw axis, cut to draws ``start:stop``."""

    def cut(values: FloatArray) -> FloatArray:
        return values[start:stop] if values.shape[0] == total and total > 1 else values

    def cut_all(values: dict[str, FloatArray] | None) -> dict[str, FloatArray] | None:
        return None if values is None else {k: cut(v) for k, v in values.items()}

    def maybe(values: FloatArray | None) -> FloatArray | None:
        return None if values is None else cut(values)

    allocation = inputs.allocation
    return {
        "park": cut_all(inputs.park),
        "land_supply_m2": cut(inputs.land_supply_m2),
        "take_up_m2": cut(inputs.take_up_m2),
        "demand_m2": cut(inputs.demand_m2),
        "committed_start": cut(inputs.committed_start),
        "committed_floor": cut(inputs.committed_floor),
        "rest_of_city": cut_all(inputs.rest_of_city),
        "allocation": None
        if allocation is None
        else replace(allocation, pool_m2=cut(allocation.pool_m2)),
        "phase_years": cut_all(inputs.phase_years),
        # applicants: per-parcel economics have a draw axis too
        "parcel_revenue_per_m2": maybe(inputs.parcel_revenue_per_m2),
        "parcel_investment_intensity": maybe(inputs.parcel_investment_intensity),
    }


#: Series that are flows (summed over a year's quarters); the others are stocks.
FLOWS = ("revenue_cny", "investment_cny", "revenue_other_cny")


def _park_series(park: dict[str, FloatArray]) -> dict[str, FloatArray]:
    """Name the per-park quarterly arrays of ``advance`` as :data:`~sim.result.PARK_SERIES`."""
    return {
        "floor_completed_m2": park["floor_completed_m2"],
        "floor_under_construction_m2": park["floor_started_m2"] - park["floor_completed_m2"],
        "floor_occupied_m2": park["floor_occupied_m2"],
        "revenue_cny": park["revenue_cny"],
        "investment_cny": park["investment_cny"],
        "workers_persons": park["workers_persons"],
        "floor_sold_m2": park["floor_sold_m2"],
        "floor_started_m2": park["floor_started_m2"],
        "floor_topped_out_m2": park["floor_topped_out_m2"],
        "floor_vacant_m2": park["floor_completed_m2"] - park["floor_occupied_m2"],
        "revenue_other_cny": park["revenue_other_cny"],
        "workers_other_persons": park["workers_other_persons"],
        "base_floor_completed_m2": park["base_completed_m2"],
        "base_floor_occupied_m2": park["base_occupied_m2"],
    }


def _rest_series(inputs: Inputs) -> dict[str, FloatArray] | None:
    """Compute ``rest_of_city`` by quarter, ``(D, 4Y)``.

    Revenue is a quarter of the yearly rate; workers are the yearly rate ÷ revenue per
    worker.
    """
    rest = inputs.rest_of_city
    if rest is None:
        return None
    t = np.arange(4 * inputs.years.size, dtype=float)[None, :]
    rate = rest["revenue"][:, None] * (1.0 + rest["revenue_growth"][:, None]) ** (t / 4.0)
    # Every draw gets a row, as the parks' series do, even where nothing of the rest
    # varies: chunks of draws are joined along this axis (run_draws).
    rate = np.broadcast_to(rate, (inputs.draws, t.size))
    per_worker = rest["revenue_per_worker"][:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        workers = np.where(per_worker > 0, rate / per_worker, 0.0)
    return {
        "revenue_cny": rate / 4.0,
        "revenue_other_cny": rate / 4.0,
        "workers_persons": workers,
        "workers_other_persons": workers,
    }


def _by_year(series: dict[str, FloatArray]) -> dict[str, FloatArray]:
    return {
        name: np.asarray(to_years(values, flow=name in FLOWS), dtype=np.float64)
        for name, values in series.items()
    }


def run(inputs: Inputs) -> Result:
    """Advance all parcels and draws quarter by quarter, keeping every parcel's history.

    Parameters
    ----------
    inputs
        Arrays from :func:`prepare` (or sampled ones with a few draws).

    Returns
    -------
    Result
        Per-parcel year-end series ``(D, Y, P)``; per-park series (base stock and other
        revenue included) by year and by quarter; for many draws use :func:`run_parks`.
    """
    q = advance(inputs, record=True, annual=True)
    n_draws, n_parks = inputs.draws, len(inputs.park_ids)
    series = {name: np.asarray(q.parcel[name], dtype=np.float64)
              for name in ("floor_sold_m2", "floor_started_m2", "floor_topped_out_m2",
                           "floor_completed_m2", "floor_occupied_m2", "revenue_cny",
                           "investment_cny")}  # fmt: skip
    series["floor_under_construction_m2"] = (
        series["floor_started_m2"] - series["floor_completed_m2"]
    )
    series["floor_vacant_m2"] = series["floor_completed_m2"] - series["floor_occupied_m2"]
    m2pw = np.broadcast_to(inputs.park["m2_per_worker"], (n_draws, n_parks))
    series["workers_persons"] = series["floor_occupied_m2"] / m2pw[:, None, inputs.parcel_park]

    base_year = float(inputs.years[0])

    def year_of(quarter: FloatArray) -> FloatArray:  # (in place: each temporary is fresh memory)
        year = quarter / 4.0
        np.floor(year, out=year)
        year += base_year  # NaN (not reached) stays NaN
        return year

    events = q.events
    completion = year_of(events["completion"])
    quarterly = _park_series(q.park)
    rest = _rest_series(inputs)
    rest_q = None if rest is None else {k: v[:, :, None] for k, v in rest.items()}
    return Result(
        scenario_name=inputs.name,
        years=inputs.years,
        park_ids=inputs.park_ids,
        parcel_ids=inputs.parcel_ids,
        parcel_park=inputs.parcel_park,
        capacity_m2=q.capacity_m2[0],
        area_m2=inputs.area_m2,
        parameters=inputs.park,
        land_supply_m2=inputs.land_supply_m2,
        series=series,
        status=_status(series, completion, inputs.years),
        release_year=year_of(events["sold"]),
        start_year=year_of(events["start"]),
        completion_year=completion,
        investment_before_base_cny=q.investment_before_base,
        first_release_year=year_of(events["first_sold"]),
        reclaim_year=year_of(events["reclaim"]),
        park_series=_by_year(quarterly),
        quarterly=quarterly,
        idle=np.asarray(q.parcel["idle"], dtype=bool),
        reclaimable=np.asarray(q.parcel["reclaimable"], dtype=bool),
        reclaimed=np.asarray(q.parcel["reclaimed"], dtype=np.int64),
        events_q=events,
        rest_of_city=None if rest_q is None else _by_year(rest_q),
        rest_of_city_quarterly=rest_q,
    )


def _status(
    series: dict[str, FloatArray], completion_year: FloatArray, years: IntArray
) -> npt.NDArray[np.int8]:
    """Each parcel's :class:`~sim.result.Status` at every year end, ``(D, Y, P)``."""
    started = series["floor_started_m2"]
    completed = series["floor_completed_m2"]
    status = np.full(started.shape, Status.NOT_RELEASED, dtype=np.int8)
    status[series["floor_sold_m2"] > 0] = Status.RELEASED
    status[completed > 0] = Status.PARTLY_COMPLETED
    status[started > completed + SLACK_M2] = Status.UNDER_CONSTRUCTION
    status[completion_year[:, None, :] <= years[None, :, None]] = Status.COMPLETED
    return status


def run_parks(inputs: Inputs) -> dict[str, FloatArray]:
    """Advance all parcels and draws, keeping only per-park series (for Monte Carlo).

    The same model as :func:`run`, accounted per park, so memory grows with draws ×
    parks × years rather than draws × parcels × years.

    Parameters
    ----------
    inputs
        Sampled inputs with any number of draws.

    Returns
    -------
    dict
        The :data:`~sim.result.PARK_SERIES` keys, each ``(D, Y, K)``, and with
        ``[rest_of_city]`` the keys ``rest_of_city/<series>``, each ``(D, Y, 1)``.
    """
    series = _park_series(park_years(inputs)[0])
    rest = _rest_series(inputs)
    if rest is not None:
        for name, values in _by_year({k: v[:, :, None] for k, v in rest.items()}).items():
            series[f"rest_of_city/{name}"] = values
    return series
