"""The build-out engine: land release, construction starts, phases, completion, occupancy.

``(Scenario, Site) ──prepare──▶ Inputs ──run──▶ Result``; :func:`simulate` does both.
Monte Carlo: :func:`run_ensemble` samples the inputs once
(:func:`sim.montecarlo.sample_inputs`) and runs the draws in chunks. :class:`Inputs`
and :data:`PARK_FIELDS` live in :mod:`sim.inputs` (re-exported here).

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
6. **Idle land** (when ``Inputs.reclaim_after_years`` is set, from ``[rules]
   reclaim_idle``): a queued parcel released in ``r`` and unstarted at the end of
   ``r + reclaim_after_years`` is taken back; it rejoins its park's release queue
   behind every original parcel, is released again when cumulative supply covers that
   position (no earlier than the next year) and its land is paid again. For starts it
   keeps its place in the queue order.

Park parameters are arrays with a leading draw axis ``(D, K)`` (``(D, K, Y)`` for
yearly ones; ``1`` where a parameter does not vary), parcels are ``(P,)``. Python
loops run over years, parks and blocks of queue rows — never over parcels or draws.
:func:`run` keeps every parcel's history (``(D, Y, P)``); :func:`run_parks` accounts
per park (``(D, Y, K)``) for Monte Carlo, and :func:`run_draws` feeds it chunks of
draws. Both share the release/start queue and the accounting (``_flows``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from sim.errors import Problem, ScenarioError
from sim.inputs import PARK_FIELDS, Inputs
from sim.montecarlo import sample_inputs
from sim.result import Ensemble, Result, Status, sum_by_park
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

_EPS = 1e-6  # m²: cumulative sums of areas are compared with this slack


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
        reclaim_after_years=(
            scenario.rules.reclaim_after_years if scenario.rules.reclaim_idle else None
        ),
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
    from sim.memory import plan_draws
    from sim.result import SERIES

    seed = scenario.scenario.seed if seed is None else seed
    plan = plan_draws(  # refuses what cannot fit before anything is allocated
        draws=draws,
        chunk_size=chunk_size,
        parcels=inputs.parcel_ids.size,
        parks=len(inputs.park_ids),
        years=inputs.years.size,
        series=len(SERIES),
        park_fields=len(PARK_FIELDS),
    )
    sampled = sample_inputs(inputs, scenario, draws, np.random.default_rng(seed))
    return Ensemble(
        scenario_name=scenario.name,
        years=inputs.years,
        park_ids=inputs.park_ids,
        series=run_draws(sampled, chunk_size=plan.chunk_size, progress=progress),
        seed=seed,
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
        parts.append(run_parks(_draw_slice(inputs, start, stop, total)))
        if progress is not None:
            progress(stop)
    return {name: np.concatenate([p[name] for p in parts], axis=0) for name in parts[0]}


def _draw_slice(inputs: Inputs, start: int, stop: int, total: int) -> Inputs:
    def cut(values: FloatArray) -> FloatArray:
        return values[start:stop] if values.shape[0] == total and total > 1 else values

    return replace(
        inputs,
        park={name: cut(values) for name, values in inputs.park.items()},
        land_supply_m2=cut(inputs.land_supply_m2),
        demand_m2=cut(inputs.demand_m2),
    )


def _build(
    inputs: Inputs, parcels: IntArray | None = None
) -> tuple[FloatArray, IntArray, FloatArray]:
    """Capacity, number of phases and floor per phase, ``(D or 1, n)`` each.

    Of the given parcels, or of all parcels (without copying their arrays) if None.
    """

    def of(values: npt.NDArray[Any]) -> npt.NDArray[Any]:
        return values if parcels is None else values[parcels]

    park = of(inputs.parcel_park)
    plot_ratio = inputs.park["plot_ratio"][:, park]
    far_max = of(inputs.far_max)
    far = np.where(np.isnan(far_max), plot_ratio, np.minimum(far_max, plot_ratio))
    committed = np.isfinite(of(inputs.committed_start))
    capacity = of(inputs.area_m2) * far
    if committed.any():
        capacity = np.where(committed, of(inputs.committed_floor), capacity)
    per_phase = inputs.park["max_floor_per_phase"][:, park]
    n_phases = np.ceil(capacity / per_phase - 1e-9).astype(np.int64)
    if committed.any():
        n_phases = np.where(committed, of(inputs.committed_phases), n_phases)
    n_phases[capacity <= 0] = 0
    np.maximum(n_phases, 0, out=n_phases)
    phase_floor = np.divide(capacity, n_phases, out=np.zeros_like(capacity), where=n_phases > 0)
    return capacity, n_phases, phase_floor


@dataclass(frozen=True)
class _Queue:
    """What the release queue did, for the parcels that can enter it by the horizon.

    Attributes
    ----------
    parcels
        Queued parcels that some draw releases by the horizon, in queue order (park by
        park); the others can change nothing and are left out of the yearly loop.
    released_area
        Land released per park and simulated year ``(D, K, Y)``.
    started_floor
        Floor the queue started per park and simulated year ``(D, K, Y)``.
    release
        Release year ``(D, Q)`` (NaN = not released), when asked to record.
    starts
        Whether each queued parcel started a phase, per year ``(Y, D, Q)``, when asked.
    reclaim, rerelease
        Year idle land was reclaimed and re-released ``(D, Q)``, NaN where not, when
        asked to record and reclaim is on.
    """

    parcels: IntArray
    released_area: FloatArray
    started_floor: FloatArray
    release: FloatArray | None
    starts: npt.NDArray[np.bool_] | None
    reclaim: FloatArray | None = None
    rerelease: FloatArray | None = None


def _run_queue(
    inputs: Inputs,
    committed_started: FloatArray,
    *,
    record: bool,
    built: tuple[FloatArray, IntArray, FloatArray] | None = None,
) -> _Queue:
    years = inputs.years.astype(float)
    n_years, n_draws, n_parks = years.size, inputs.draws, len(inputs.park_ids)
    pk = inputs.parcel_park
    queued = ~np.isfinite(inputs.committed_start)
    order = np.lexsort((inputs.queue_rank, pk))
    order = order[queued[order]]
    # Cumulative area of the queue up to and including each parcel, within its park.
    running = np.cumsum(inputs.area_m2[order])
    seg = np.searchsorted(pk[order], np.arange(n_parks + 1))
    cum_area = running - np.concatenate([[0.0], running])[seg[pk[order]]]
    supply = np.broadcast_to(inputs.land_supply_m2, (n_draws, n_parks, n_years))
    cum_supply = np.cumsum(supply, axis=2)
    queue_total = np.bincount(pk[order], weights=inputs.area_m2[order], minlength=n_parks).astype(
        np.float64
    )
    reachable = cum_area <= cum_supply[:, :, -1].max(axis=0)[pk[order]] + _EPS
    parcels, cum_area = order[reachable], cum_area[reachable]
    bounds = np.searchsorted(pk[parcels], np.arange(n_parks + 1))

    # Release: the queue up to a parcel is out once cumulative supply covers its
    # cumulative area. n_released[d, k, t] counts a park's parcels out by year t.
    n_released = np.zeros((n_draws, n_parks, n_years), dtype=np.int64)
    released_area = np.zeros((n_draws, n_parks, n_years))
    for k in range(n_parks):
        block = cum_area[bounds[k] : bounds[k + 1]]
        count = np.searchsorted(block, cum_supply[:, k, :] + _EPS, side="right")
        n_released[:, k, :] = count
        total = np.where(count > 0, np.concatenate([[0.0], block])[count], 0.0)
        released_area[:, k, :] = np.diff(total, axis=1, prepend=0.0)
    # Parcels out by year − lag are ready to start in year.
    lag = np.ceil(inputs.park["start_lag_years"] - 1e-9).astype(np.int64)  # (1 or D, K)
    source = np.arange(n_years)[None, None, :] - lag[:, :, None]
    n_ready = np.where(
        source >= 0,
        np.take_along_axis(
            np.broadcast_to(n_released, (n_draws, n_parks, n_years)),
            np.broadcast_to(np.maximum(source, 0), (n_draws, n_parks, n_years)),
            axis=2,
        ),
        0,
    )

    # Arrays are (parcel, draw) here: a park's parcels are a contiguous block of rows and
    # the running sums run down rows of contiguous draws.
    if built is None:
        _, phases_by_draw, floor_by_draw = _build(inputs, parcels)
    else:
        phases_by_draw, floor_by_draw = built[1][:, parcels], built[2][:, parcels]
    n_phases, phase_floor = phases_by_draw.T, floor_by_draw.T  # (Q, 1 or D)
    remaining = np.array(np.broadcast_to(n_phases, (parcels.size, n_draws)), dtype=np.int16)
    room = np.maximum(inputs.demand_m2 - committed_started, 0.0)  # (D, K, Y)
    started_floor = np.zeros((n_draws, n_parks, n_years))
    starts = np.zeros((n_years, n_draws, parcels.size), dtype=bool) if record else None
    first_open = bounds[:-1].copy()  # rows before it have started every phase in every draw
    idle = _IdleLand.start(inputs, parcels, n_phases, queue_total, cum_supply, lag)
    for t in range(n_years):
        for k in range(n_parks):  # parks, not parcels: a handful of blocks
            lo = first_open[k]
            hi = bounds[k] + int(n_ready[:, k, t].max())
            if lo >= hi:
                continue
            started_floor[:, k, t] = _start_block(
                t, year=years[t], rows=(lo, hi, bounds[k]), n_ready=n_ready[:, k, t],
                room=room[:, k, t], remaining=remaining, phase_floor=phase_floor,
                idle=idle, starts=starts,
            )  # fmt: skip
            open_rows = np.flatnonzero(remaining[lo:hi].any(axis=1))
            first_open[k] = lo + (int(open_rows[0]) if open_rows.size else hi - lo)
        if idle is not None:
            idle.reclaim(t, years, bounds, lo_rows=first_open, n_released=n_released,
                         remaining=remaining, released_area=released_area)  # fmt: skip
    release = None
    if record:
        release = np.full((n_draws, parcels.size), np.nan)
        for k in range(n_parks):
            lo, hi = bounds[k], bounds[k + 1]
            row = np.arange(hi - lo)[None, :, None]
            first = (n_released[:, k, None, :] <= row).sum(axis=2)  # years still waiting
            release[:, lo:hi] = np.where(
                first < n_years, years[np.minimum(first, n_years - 1)], np.nan
            )
    return _Queue(
        parcels=parcels,
        released_area=released_area,
        started_floor=started_floor,
        release=release,
        starts=starts,
        reclaim=None if idle is None else idle.reclaim_year.T,
        rerelease=None if idle is None else idle.rerelease.T,
    )


@dataclass
class _IdleLand:
    """Reclaiming idle land and re-releasing it at the back of its park's queue.

    A queued parcel released in year ``r`` and not started by the end of year
    ``t ≥ r + reclaim_after_years`` is reclaimed (once). It rejoins its park's queue
    behind every parcel of the original queue, in reclaim order, and is released again
    when cumulative supply covers the original queue plus the land reclaimed before it
    and itself — no earlier than ``t + 1`` — paying for the land again.
    Arrays are ``(Q, D)`` like the queue's.
    """

    after: int
    area: FloatArray  # (Q,)
    park: IntArray  # (Q,)
    n_phases: npt.NDArray[np.int16]  # (Q, D)
    queue_total: FloatArray  # (K,) area of each park's whole original queue
    cum_supply: FloatArray  # (D, K, Y)
    lag: IntArray  # (1 or D, K)
    reclaimed: npt.NDArray[np.bool_]
    reclaim_year: FloatArray
    rerelease: FloatArray
    ready_year: FloatArray
    appended: FloatArray  # (D, K) land already appended behind each park's queue

    @classmethod
    def start(
        cls,
        inputs: Inputs,
        parcels: IntArray,
        n_phases: npt.NDArray[Any],
        queue_total: FloatArray,
        cum_supply: FloatArray,
        lag: IntArray,
    ) -> _IdleLand | None:
        if inputs.reclaim_after_years is None:
            return None
        shape = (parcels.size, inputs.draws)
        return cls(
            after=inputs.reclaim_after_years,
            area=inputs.area_m2[parcels],
            park=inputs.parcel_park[parcels],
            n_phases=np.array(np.broadcast_to(n_phases, shape), dtype=np.int16),
            queue_total=queue_total,
            cum_supply=cum_supply,
            lag=lag,
            reclaimed=np.zeros(shape, dtype=bool),
            reclaim_year=np.full(shape, np.nan),
            rerelease=np.full(shape, np.nan),
            ready_year=np.full(shape, np.inf),
            appended=np.zeros((inputs.draws, queue_total.size)),
        )

    def ready(
        self, ready: npt.NDArray[np.bool_], lo: int, hi: int, year: float
    ) -> npt.NDArray[np.bool_]:
        """Readiness of rows ``lo:hi``, with reclaimed parcels ready only once re-released."""
        return np.where(self.reclaimed[lo:hi], self.ready_year[lo:hi] <= year, ready)

    def reclaim(
        self,
        t: int,
        years: FloatArray,
        bounds: IntArray,
        *,
        lo_rows: IntArray,
        n_released: IntArray,
        remaining: npt.NDArray[np.int16],
        released_area: FloatArray,
    ) -> None:
        """Take back, at the end of year ``t``, what has been held unstarted too long."""
        if t - self.after < 0:
            return
        for k in range(self.queue_total.size):
            out_by = n_released[:, k, t - self.after]  # released by t − after, per draw
            lo, hi = lo_rows[k], bounds[k] + int(out_by.max(initial=0))
            if lo >= hi:
                continue
            row = np.arange(lo - bounds[k], hi - bounds[k])[:, None]
            taken = (
                (row < out_by[None, :])
                & ~self.reclaimed[lo:hi]
                & (remaining[lo:hi] == self.n_phases[lo:hi])
            )
            if not taken.any():
                continue
            area = np.where(taken, self.area[lo:hi, None], 0.0)
            position = self.queue_total[k] + self.appended[None, :, k] + np.cumsum(area, axis=0)
            self.appended[:, k] += area.sum(axis=0)
            again = np.full(taken.shape, np.nan)
            for later in range(t + 1, years.size):
                hit = (
                    taken
                    & np.isnan(again)
                    & (self.cum_supply[None, :, k, later] >= position - _EPS)
                )
                again[hit] = years[later]
                released_area[:, k, later] += np.where(hit, area, 0.0).sum(axis=0)
            self.reclaimed[lo:hi] |= taken
            self.reclaim_year[lo:hi] = np.where(taken, years[t], self.reclaim_year[lo:hi])
            self.rerelease[lo:hi] = np.where(taken, again, self.rerelease[lo:hi])
            lag = self.lag[:, k][None, :]
            ready = np.where(np.isnan(again), np.inf, again + lag)
            self.ready_year[lo:hi] = np.where(taken, ready, self.ready_year[lo:hi])


#: Rows of the queue first taken when looking for what fits a year's demand.
_BLOCK = 64


def _start_block(
    t: int,
    *,
    year: float,
    rows: tuple[int, int, int],
    n_ready: IntArray,
    room: FloatArray,
    remaining: npt.NDArray[np.int16],
    phase_floor: FloatArray,
    idle: _IdleLand | None,
    starts: npt.NDArray[np.bool_] | None,
) -> FloatArray:
    """Start, first come first served, what fits one park's demand in year ``t``.

    Works down the park's open rows ``lo:hi`` (``first`` is the park's first row) in
    blocks of doubling size, carrying the running sum of proposed floor, and stops once
    no draw has room left: the running sum never falls, so nothing further down fits.

    Returns
    -------
    numpy.ndarray
        Floor started per draw ``(D,)``.
    """
    lo, hi, first = rows
    n_draws = room.shape[0]
    carry = np.zeros(n_draws)
    started = np.zeros(n_draws)
    limit = room + _EPS
    a, size = lo, _BLOCK
    while a < hi:
        # Blocks double in size: cheap when demand runs out early, few steps when not.
        b = min(a + size, hi)
        ready = np.arange(a - first, b - first)[:, None] < n_ready[None, :]
        if idle is not None:
            ready = idle.ready(ready, a, b, year)
        eligible = ready & (remaining[a:b] > 0)
        cumulative = np.where(eligible, phase_floor[a:b], 0.0)
        np.cumsum(cumulative, axis=0, out=cumulative)
        cumulative += carry
        fits = cumulative <= limit
        starting = fits & eligible
        remaining[a:b] -= starting
        if starts is not None:
            starts[t][:, a:b] = starting.T
        # The rows that fit are a prefix: the floor started is the running sum at the
        # last of them (or what earlier blocks started, if none fits here).
        n_fit = np.count_nonzero(fits, axis=0)
        last = cumulative[np.maximum(n_fit - 1, 0), np.arange(n_draws)]
        started = np.where(n_fit > 0, last, started)
        carry = cumulative[-1]
        if np.all(carry > limit):
            break
        a, size = b, 2 * size
    return started


def _committed_starts(inputs: Inputs, first_year: float, n_years: int) -> FloatArray:
    """Floor committed projects start per parcel and year from ``first_year``, ``(1, P, T)``."""
    out = np.zeros((1, inputs.parcel_ids.size, n_years))
    committed = np.flatnonzero(np.isfinite(inputs.committed_start))
    phases = inputs.committed_phases[committed]
    floor = inputs.committed_floor[committed] / np.maximum(phases, 1)
    for phase in range(int(phases.max(initial=0))):
        t = (inputs.committed_start[committed] + phase - first_year).astype(np.int64)
        live = (phase < phases) & (t >= 0) & (t < n_years)
        out[0, committed[live], t[live]] = floor[live]
    return out


def _committed_land(inputs: Inputs, first_year: float, n_years: int) -> FloatArray:
    """Land of committed projects in their start year from ``first_year``, ``(1, P, T)``."""
    out = np.zeros((1, inputs.parcel_ids.size, n_years))
    parcels = np.flatnonzero(np.isfinite(inputs.committed_start))
    t = (inputs.committed_start[parcels] - first_year).astype(np.int64)
    live = (t >= 0) & (t < n_years)
    out[0, parcels[live], t[live]] = inputs.area_m2[parcels[live]]
    return out


def _timeline(inputs: Inputs) -> tuple[float, int, int]:
    """Return the accounting timeline: first year, length, position of the base year.

    The timeline starts at the earliest committed start, if before the base year.
    """
    base = float(inputs.years[0])
    committed = np.isfinite(inputs.committed_start)
    first = min(base, float(inputs.committed_start[committed].min(initial=base)))
    offset = int(base - first)
    return first, offset + inputs.years.size, offset


def _sum_parks(values: FloatArray, park: IntArray, n_parks: int) -> FloatArray:
    """Sum ``(D, P, T)`` per-parcel values into ``(D, K, T)`` per park."""
    return sum_by_park(values.transpose(0, 2, 1), park, n_parks).transpose(0, 2, 1)


@dataclass(frozen=True)
class _Flows:
    """Yearly quantities of some units (parks or parcels) on the accounting timeline."""

    series: dict[str, FloatArray]  # SERIES keys, (D, Y, N) over the simulated years
    completed: FloatArray  # floor completing per year (D, N, T)
    investment_before: FloatArray  # investment before the base year (D, N)


def _flows(
    started: FloatArray,
    land: FloatArray,
    park_params: dict[str, FloatArray],
    unit_park: IntArray | None,
    years: FloatArray,
    offset: int,
) -> _Flows:
    """Completion, occupancy, revenue, investment and workers from floor started.

    Parameters
    ----------
    started
        Floor started per unit and year of the timeline ``(D, N, T)``.
    land
        Land released per unit and year ``(D or 1, N, T)``.
    park_params
        Park parameters, ``(D or 1, K)``.
    unit_park
        The park of each unit, or None when the units are the parks.
    years
        Simulated years; the timeline's year ``offset`` is the base year.
    offset
        Position of the base year on the timeline.
    """
    n_ext = started.shape[2]

    def per_unit(values: npt.NDArray[Any]) -> npt.NDArray[Any]:
        # Gathered one at a time: per-parcel copies of every parameter would be large.
        return values if unit_park is None else values[..., unit_park]

    def param(name: str) -> FloatArray:
        return per_unit(park_params[name])

    # A phase started in year s completes at the end of s + n − 1.
    n_build = per_unit(np.ceil(park_params["duration_years"] - 1e-9).astype(np.int64))
    source = np.arange(n_ext)[None, None, :] - (n_build[:, :, None] - 1)
    completed = np.where(
        source >= 0,
        np.take_along_axis(started, np.broadcast_to(np.maximum(source, 0), started.shape), axis=2),
        0.0,
    )
    cum_started = np.cumsum(started, axis=2)
    cum_completed = np.cumsum(completed, axis=2)

    # Occupancy: each year's completions fill linearly over the ramp to the ceiling.
    ramp = param("occupancy_ramp_years")[:, :, None]
    occupied = np.zeros(np.broadcast_shapes(completed.shape, ramp.shape))
    for age in range(n_ext):
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            share = np.where(ramp > 0, np.clip(age / ramp, 0.0, 1.0), 1.0)
        occupied[:, :, age:] += completed[:, :, : n_ext - age] * share
    occupied *= param("occupancy_ceiling")[:, :, None]

    # Investment: land at release, construction spread evenly over the building years,
    # fit-out at completion.
    construction = np.zeros_like(cum_started)
    spend = started / n_build[:, :, None]
    for lag in range(min(int(n_build.max(initial=1)), n_ext)):
        part = np.where(lag < n_build[:, :, None], spend, 0.0)
        construction[:, :, lag:] += part[:, :, : n_ext - lag]
    investment = land * param("land_price")[:, :, None]
    investment += construction * param("construction_cost")[:, :, None]
    investment += completed * param("fitout_cost")[:, :, None]
    del construction

    def per_year(values: FloatArray) -> FloatArray:
        return np.ascontiguousarray(values[:, :, offset:].transpose(0, 2, 1))  # (D, Y, N)

    base = years[0]
    growth = (1.0 + park_params["revenue_growth"][:, None, :]) ** (years[None, :, None] - base)
    price = per_unit(growth * park_params["revenue_per_m2"][:, None, :])  # (D, Y, N)
    occupied_y = per_year(occupied)
    del occupied
    return _Flows(
        series={
            "floor_completed_m2": per_year(cum_completed),
            "floor_under_construction_m2": per_year(cum_started - cum_completed),
            "floor_occupied_m2": occupied_y,
            "revenue_cny": occupied_y * price,
            "investment_cny": per_year(investment),
            "workers_persons": occupied_y / param("m2_per_worker")[:, None, :],
        },
        completed=completed,
        investment_before=investment[:, :, :offset].sum(axis=2),
    )


def run(inputs: Inputs) -> Result:
    """Advance all parcels and draws year by year, keeping every parcel's history.

    Parameters
    ----------
    inputs
        Arrays from :func:`prepare` (or sampled ones with a few draws).

    Returns
    -------
    Result
        Per-parcel series ``(D, Y, P)``; for many draws use :func:`run_parks`.
    """
    years = inputs.years.astype(float)
    first, n_ext, offset = _timeline(inputs)
    n_draws, n_parcels = inputs.draws, inputs.parcel_ids.size
    pk = inputs.parcel_park
    committed_ext = _committed_starts(inputs, first, n_ext)  # (1, P, T)
    committed_park = _sum_parks(committed_ext[:, :, offset:], pk, len(inputs.park_ids))
    capacity, n_phases, phase_floor = _build(inputs)
    queue = _run_queue(inputs, committed_park, record=True, built=(capacity, n_phases, phase_floor))
    assert queue.starts is not None and queue.release is not None
    capacity = np.broadcast_to(capacity, (n_draws, n_parcels))

    started = np.repeat(committed_ext, n_draws, axis=0)
    queue_floor = np.broadcast_to(phase_floor, (n_draws, n_parcels))[:, queue.parcels]
    started[:, queue.parcels, offset:] = queue.starts.transpose(1, 2, 0) * queue_floor[:, :, None]
    release = np.full((n_draws, n_parcels), np.nan)
    release[:, queue.parcels] = queue.release
    committed = np.isfinite(inputs.committed_start) & (inputs.committed_start <= years[-1])
    release[:, committed] = inputs.committed_start[committed]
    reclaim = np.full((n_draws, n_parcels), np.nan)
    rerelease = np.full((n_draws, n_parcels), np.nan)
    if queue.reclaim is not None and queue.rerelease is not None:
        reclaim[:, queue.parcels] = queue.reclaim
        rerelease[:, queue.parcels] = queue.rerelease
    land = np.repeat(_committed_land(inputs, first, n_ext), n_draws, axis=0)
    for paid in (release, rerelease):  # land is paid again when re-released
        released_t = paid[:, queue.parcels] - first
        d_idx, q_idx = np.nonzero(np.isfinite(released_t))
        parcel = queue.parcels[q_idx]
        land[d_idx, parcel, released_t[d_idx, q_idx].astype(np.int64)] += inputs.area_m2[parcel]
    flows = _flows(started, land, inputs.park, pk, years, offset)

    # Events and states from the counts of phases started and completed.
    n_started = np.cumsum(started > 0, axis=2)  # (D, P, T)
    n_done = np.cumsum(flows.completed > 0, axis=2)
    phases = np.broadcast_to(n_phases, (n_draws, n_parcels))[:, :, None]
    ext_years = first + np.arange(n_ext, dtype=np.float64)
    first_start = _first_year(n_started > 0, ext_years)
    completion = _first_year((n_done >= phases) & (phases > 0), ext_years)
    s, c = n_started[:, :, offset:], n_done[:, :, offset:]
    status = np.full(s.shape, Status.NOT_RELEASED, dtype=np.int8)
    held = (release[:, :, None] <= years) & ~(reclaim[:, :, None] <= years)
    status[held | (rerelease[:, :, None] <= years)] = Status.RELEASED
    status[c > 0] = Status.PARTLY_COMPLETED
    status[s > c] = Status.UNDER_CONSTRUCTION
    status[(c >= phases) & (phases > 0)] = Status.COMPLETED
    return Result(
        scenario_name=inputs.name,
        years=inputs.years,
        park_ids=inputs.park_ids,
        parcel_ids=inputs.parcel_ids,
        parcel_park=inputs.parcel_park,
        capacity_m2=np.array(capacity[0]),
        area_m2=inputs.area_m2,
        parameters=inputs.park,
        land_supply_m2=inputs.land_supply_m2,
        series=flows.series,
        status=np.ascontiguousarray(status.transpose(0, 2, 1)),
        release_year=np.where(np.isfinite(rerelease), rerelease, release),
        start_year=first_start,
        completion_year=completion,
        investment_before_base_cny=flows.investment_before,
        first_release_year=release,
        reclaim_year=reclaim,
    )


def _first_year(reached: npt.NDArray[np.bool_], years: FloatArray) -> FloatArray:
    """Year in which ``reached`` first holds along the last axis; NaN if never."""
    return np.where(reached.any(axis=2), years[reached.argmax(axis=2)], np.nan)


def run_parks(inputs: Inputs) -> dict[str, FloatArray]:
    """Advance all parcels and draws, keeping only per-park series (for Monte Carlo).

    The same model as :func:`run`, accounted per park rather than per parcel, so memory
    grows with draws × parks × years rather than draws × parcels × years.

    Parameters
    ----------
    inputs
        Sampled inputs with any number of draws.

    Returns
    -------
    dict
        The :data:`~sim.result.SERIES` keys, each ``(D, Y, K)``.
    """
    years = inputs.years.astype(float)
    first, n_ext, offset = _timeline(inputs)
    n_parks = len(inputs.park_ids)
    pk = inputs.parcel_park
    committed = _sum_parks(_committed_starts(inputs, first, n_ext), pk, n_parks)  # (1, K, T)
    queue = _run_queue(inputs, committed[:, :, offset:], record=False)
    started = np.repeat(committed, inputs.draws, axis=0)
    started[:, :, offset:] += queue.started_floor
    land = np.repeat(_sum_parks(_committed_land(inputs, first, n_ext), pk, n_parks),
                     inputs.draws, axis=0)  # fmt: skip
    land[:, :, offset:] += queue.released_area
    return _flows(started, land, inputs.park, None, years, offset).series
