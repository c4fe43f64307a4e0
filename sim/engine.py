"""The build-out engine: land release, construction starts, phases, completion, occupancy.

``(Scenario, Site) ──prepare──▶ Inputs ──run──▶ Result``; :func:`simulate` does both.

One step a year, base year → horizon; stocks are read at the end of each year and
construction starts at the beginning of a year. Per park and year, in order:

1. **Release.** Parcels outside committed projects queue by ``phase``, then distance
   to the park's start area (the centroid of its first-phase parcels), then id. A
   parcel is released in the first year in which the park's cumulative land supply
   covers the cumulative area of the queue up to and including it (unused supply
   carries over; the queue is never jumped).
2. **Start.** A released parcel may start ``ceil(start_lag_years)`` after release.
   Its capacity (area × min(plot ratio, far_max)) is built in ``n`` equal phases of
   at most ``max_floor_per_phase``; phases start at least a year apart. Starts are
   capped by the park's demand (m² of new floor a year): committed projects take
   their share first, then the queue, first come first served.
3. **Completion.** A phase started in year ``s`` is complete at the end of year
   ``s + ceil(duration_years) − 1`` and under construction until then.
4. **Occupancy.** Completed floor fills linearly to ``occupancy_ceiling`` over
   ``occupancy_ramp_years`` (0 at the end of the completion year).
5. **Economy.** Revenue = occupied floor × revenue per m² × (1 + growth)^(year − base);
   investment = land (area × price, in the release year) + construction (spread
   evenly over the construction years) + fit-out (in the completion year); workers =
   occupied floor ÷ m² per worker.

Park parameters are arrays with a leading draw axis ``(D, K)`` (``(D, K, Y)`` for
yearly ones), parcels are ``(P,)``; the only Python loop is over years.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from sim.errors import Problem, ScenarioError
from sim.result import Result, Status
from sim.scenario import ParkParams, Scenario, resolve_park
from sim.site import Site

__all__ = ["Inputs", "prepare", "run", "simulate"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

#: Park parameters that become ``(D, K)`` arrays in :class:`Inputs`.
PARK_FIELDS = (
    "plot_ratio",
    "start_lag_years",
    "duration_years",
    "max_floor_per_phase_m2",
    "occupancy_ramp_years",
    "occupancy_ceiling",
    "revenue_per_m2",
    "revenue_growth",
    "land_price",
    "construction_cost",
    "fitout_cost",
    "m2_per_worker",
)
#: Scenario field each engine parameter comes from, where the names differ.
PARK_FIELD_SOURCES = {"max_floor_per_phase_m2": "max_floor_per_phase"}
_EPS = 1e-6  # m²: cumulative sums of areas are compared with this slack


@dataclass(frozen=True)
class Inputs:
    """Everything the engine needs, as arrays.

    Attributes
    ----------
    name
        Scenario name.
    years
        Simulated years ``(Y,)``.
    park_ids
        Park ids, index ``k`` of every park axis.
    parcel_ids, parcel_park, area_m2, far_max
        Per parcel ``(P,)``; ``far_max`` is NaN where a parcel has no cap.
    queue_rank
        Position of each parcel in its park's release queue ``(P,)`` (0 first).
    committed_start, committed_floor, committed_phases
        Per parcel ``(P,)``: start year of a committed project (NaN = not committed),
        its floor (m²) and number of phases.
    park
        Park parameters by name (see :data:`PARK_FIELDS`), each ``(D, K)``.
    land_supply_m2, demand_m2
        Yearly park budgets ``(D, K, Y)``.
    """

    name: str
    years: IntArray
    park_ids: tuple[str, ...]
    parcel_ids: npt.NDArray[np.str_]
    parcel_park: IntArray
    area_m2: FloatArray
    far_max: FloatArray
    queue_rank: IntArray
    committed_start: FloatArray
    committed_floor: FloatArray
    committed_phases: IntArray
    park: dict[str, FloatArray]
    land_supply_m2: FloatArray
    demand_m2: FloatArray

    @property
    def draws(self) -> int:
        """Size of the leading draw axis of the park parameters."""
        return int(self.land_supply_m2.shape[0])


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
        are incomplete, or a committed floor exceeds its parcel's cap.
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
    for i, target in enumerate(scenario.targets):
        if target.park != "total" and target.park not in park_ids:
            problems.append(
                Problem(
                    f"targets[{i}].park",
                    f"unknown park {target.park!r}; use 'total' or one of {list(park_ids)}",
                )
            )

    parcels = site.parcels
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
        j = index.get(item.parcel)
        if j is None:
            problems.append(
                Problem(
                    f"committed[{i}].parcel",
                    f"unknown parcel {item.parcel!r}; use a parcel_id from "
                    f"{scenario.site.parcels.name} or drop the entry",
                )
            )
            continue
        cap = area[j] * far_max[j]
        if np.isfinite(cap) and item.floor > cap * (1 + 1e-9):
            problems.append(
                Problem(
                    f"committed[{i}].floor",
                    f"{item.floor:,.0f} m² exceeds parcel {item.parcel}'s capacity "
                    f"{cap:,.0f} m² (area {area[j]:,.0f} m² × far_max {far_max[j]:g}); "
                    "lower the floor or raise the parcel's far_max",
                )
            )
        committed_start[j] = item.start_year
        committed_floor[j] = item.floor
        committed_phases[j] = item.phases
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
        committed_start=committed_start,
        committed_floor=committed_floor,
        committed_phases=committed_phases,
        park=park,
        land_supply_m2=np.array([[p.land_supply_m2 for p in params]], dtype=float),
        demand_m2=np.array([[p.demand_m2 for p in params]], dtype=float),
    )


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


def run(inputs: Inputs) -> Result:
    """Advance all parcels and draws year by year.

    Parameters
    ----------
    inputs
        Arrays from :func:`prepare` (or sampled ones with more draws).

    Returns
    -------
    Result
    """
    years = inputs.years.astype(float)
    n_draws, n_parks = inputs.draws, len(inputs.park_ids)
    n_parcels = inputs.parcel_ids.size
    pk = inputs.parcel_park
    par = {name: values[:, pk] for name, values in inputs.park.items()}  # (D, P)

    committed = np.isfinite(inputs.committed_start)
    far = np.where(
        np.isnan(inputs.far_max), par["plot_ratio"], np.minimum(inputs.far_max, par["plot_ratio"])
    )
    capacity = np.where(committed, inputs.committed_floor, inputs.area_m2 * far)  # (D, P)
    n_phases = np.where(
        committed,
        inputs.committed_phases,
        np.ceil(capacity / par["max_floor_per_phase_m2"] - 1e-9).astype(np.int64),
    )
    n_phases = np.maximum(n_phases, 0)
    n_phases[capacity <= 0] = 0
    max_phases = max(int(n_phases.max(initial=0)), 1)
    phase_floor = np.divide(capacity, n_phases, out=np.zeros_like(capacity), where=n_phases > 0)
    build_years = np.ceil(par["duration_years"] - 1e-9)  # (D, P)
    lag = np.ceil(par["start_lag_years"] - 1e-9)

    release = _release_years(inputs, committed)  # (D, P) year or NaN
    phase_start = np.full((n_draws, n_parcels, max_phases), np.nan)
    # Committed projects: phase k starts in start_year + k, whatever the queue.
    k = np.arange(max_phases)
    committed_starts = inputs.committed_start[:, None] + k[None, :]  # (P, M)
    committed_starts = np.where(
        k[None, :] < inputs.committed_phases[:, None], committed_starts, np.nan
    )
    phase_start[:, committed, :] = committed_starts[committed]
    release = np.where(committed, inputs.committed_start, release)

    # Release queue order, grouped by park: segment offsets for per-park cumulative sums.
    order = np.argsort(inputs.queue_rank, kind="stable")
    order = order[np.argsort(pk[order], kind="stable")]
    sorted_park = pk[order]
    seg_first = np.searchsorted(sorted_park, np.arange(n_parks))

    next_phase = np.zeros((n_draws, n_parcels), dtype=np.int64)
    last_start = np.full((n_draws, n_parcels), -np.inf)
    queued = ~committed
    for t, year in enumerate(years):
        # Only committed phases carry this year as start yet: the queue's are set below.
        committed_now = np.where(phase_start == year, phase_floor[:, :, None], 0.0).sum(axis=2)
        committed_demand = _sum_by_park(committed_now, pk, n_parks)
        room = np.maximum(inputs.demand_m2[:, :, t] - committed_demand, 0.0)  # (D, K)
        eligible = (
            queued[None, :]
            & (release + lag <= year)
            & (next_phase < n_phases)
            & (last_start + 1 <= year)
        )
        proposal = np.where(eligible, phase_floor, 0.0)[:, order]
        running = np.cumsum(proposal, axis=1)
        before_segment = np.concatenate([np.zeros((n_draws, 1)), running], axis=1)[:, seg_first]
        within = running - before_segment[:, sorted_park]
        fits = within <= room[:, sorted_park] + _EPS
        start_sorted = eligible[:, order] & fits
        starting = np.zeros_like(eligible)
        starting[:, order] = start_sorted
        d_idx, p_idx = np.nonzero(starting)
        phase_start[d_idx, p_idx, next_phase[d_idx, p_idx]] = year
        next_phase = next_phase + starting
        last_start = np.where(starting, year, last_start)

    phase_done = phase_start + build_years[:, :, None] - 1  # (D, P, M), NaN = not started
    return _account(inputs, par, capacity, phase_floor, n_phases, release, phase_start, phase_done)


def _release_years(inputs: Inputs, committed: BoolArray) -> FloatArray:
    """Year each queued parcel is released (NaN if not by the horizon), ``(D, P)``."""
    pk = inputs.parcel_park
    order = np.lexsort((inputs.queue_rank, pk))
    area_sorted = np.where(committed, 0.0, inputs.area_m2)[order]
    running = np.cumsum(area_sorted)
    sorted_park = pk[order]
    seg_first = np.searchsorted(sorted_park, np.arange(len(inputs.park_ids)))
    before = np.concatenate([[0.0], running])[seg_first]
    cum_area = np.empty_like(running)
    cum_area[order] = running - before[sorted_park]  # (P,)
    cum_supply = np.cumsum(inputs.land_supply_m2, axis=2)[:, pk, :]  # (D, P, Y)
    short = cum_supply < cum_area[None, :, None] - _EPS
    first = short.sum(axis=2)  # supply is cumulative, so "short" years come first
    years = inputs.years.astype(float)
    release = np.where(first < years.size, years[np.minimum(first, years.size - 1)], np.nan)
    return np.where(committed[None, :], np.nan, release)


def _sum_by_park(values: FloatArray, pk: IntArray, n_parks: int) -> FloatArray:
    """Sum ``(D, P)`` values per park → ``(D, K)``."""
    onehot = np.zeros((pk.size, n_parks))
    onehot[np.arange(pk.size), pk] = 1.0
    return values @ onehot


def _account(
    inputs: Inputs,
    par: dict[str, FloatArray],
    capacity: FloatArray,
    phase_floor: FloatArray,
    n_phases: IntArray,
    release: FloatArray,
    phase_start: FloatArray,
    phase_done: FloatArray,
) -> Result:
    """Turn event years into yearly series, statuses and per-parcel event years."""
    years = inputs.years.astype(float)
    y = years[None, :, None, None]  # (1, Y, 1, 1) against (D, 1, P, M)
    start = phase_start[:, None]
    done = phase_done[:, None]
    floor = phase_floor[:, None, :, None]
    started = start <= y
    completed = done <= y
    building = started & ~completed
    floor_completed = (completed * floor).sum(axis=3)
    floor_building = (building * floor).sum(axis=3)

    ramp = par["occupancy_ramp_years"][:, None, :, None]
    age = y - done
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        share = np.where(ramp > 0, np.clip(age / ramp, 0.0, 1.0), 1.0)
    share = np.where(completed, share, 0.0) * par["occupancy_ceiling"][:, None, :, None]
    occupied = (share * floor).sum(axis=3)

    base = float(years[0])
    growth = (1.0 + par["revenue_growth"][:, None, :]) ** (years[None, :, None] - base)
    revenue = occupied * par["revenue_per_m2"][:, None, :] * growth
    workers = occupied / par["m2_per_worker"][:, None, :]

    build_years = np.ceil(par["duration_years"] - 1e-9)[:, None, :, None]
    construction = np.where(building | (done == y), floor / build_years, 0.0).sum(axis=3)
    construction = construction * par["construction_cost"][:, None, :]
    fitout = ((done == y) * floor).sum(axis=3) * par["fitout_cost"][:, None, :]
    land = (
        (release[:, None, :] == years[None, :, None])
        * inputs.area_m2
        * par["land_price"][:, None, :]
    )
    investment = construction + fitout + land
    # Spending before the base year (projects already under way), per parcel.
    n_build = build_years[:, 0]  # (D, P, 1)
    years_before = np.clip(base - phase_start, 0.0, n_build)
    years_before = np.where(np.isnan(phase_start), 0.0, years_before)
    earlier = (years_before / n_build * phase_floor[:, :, None]).sum(axis=2) * par[
        "construction_cost"
    ]
    earlier += np.where(phase_done < base, phase_floor[:, :, None], 0.0).sum(axis=2) * par[
        "fitout_cost"
    ]
    earlier += np.where(release < base, inputs.area_m2 * par["land_price"], 0.0)

    n_done = completed.sum(axis=3)
    released = release[:, None, :] <= years[None, :, None]
    all_done = (n_done >= n_phases[:, None, :]) & (n_phases[:, None, :] > 0)
    released = release[:, None, :] <= years[None, :, None]
    status = np.full(floor_completed.shape, Status.NOT_RELEASED, dtype=np.int8)
    status[released] = Status.RELEASED
    status[n_done > 0] = Status.PARTLY_COMPLETED
    status[building.any(axis=3)] = Status.UNDER_CONSTRUCTION
    status[all_done] = Status.COMPLETED

    first_start = np.nanmin(np.where(np.isnan(phase_start), np.inf, phase_start), axis=2)
    first_start[np.isinf(first_start)] = np.nan
    last_phase = np.maximum(n_phases - 1, 0)
    last_done = np.take_along_axis(phase_done, last_phase[:, :, None], axis=2)[:, :, 0]
    completion = np.where((n_phases > 0) & (last_done <= years[-1]), last_done, np.nan)

    return Result(
        scenario_name=inputs.name,
        years=inputs.years,
        park_ids=inputs.park_ids,
        parcel_ids=inputs.parcel_ids,
        parcel_park=inputs.parcel_park,
        capacity_m2=capacity[0],
        series={
            "floor_completed_m2": floor_completed,
            "floor_under_construction_m2": floor_building,
            "floor_occupied_m2": occupied,
            "revenue_cny": revenue,
            "investment_cny": investment,
            "workers": workers,
        },
        status=status,
        release_year=release,
        start_year=first_start,
        completion_year=completion,
        investment_before_base_cny=earlier,
    )
