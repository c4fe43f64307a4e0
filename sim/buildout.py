"""The quarterly build-out: supply-led construction, demand-led occupancy (docs/MODEL.md).

``Inputs ──advance──▶ Quarters``: one step a quarter from the first quarter any committed
project needs (before the base year, for projects already under way) to Q4 of the
horizon. Each step, per park and in this order: land is serviced under the park's
budget in queue order; developers buy serviced land at the take-up rate (slowed by
vacancy above target when the scenario asks); sold land starts after its lag and is
built in phases that start as the previous one tops out; completed floor fills from
demand in proportion to the room each building has, unplaced demand waits in a
backlog; idle land is flagged from its contracted start and, with reclaiming on, taken
back and queued for sale again.

How it is computed, so that the quarterly loop never touches a parcel:

- **Sales are prefixes.** A park sells its queue in order, so the land sold by a
  quarter is the first ``N`` parcels of the queue. Area, capacity and each phase's floor
  sold so far are cumulative sums along the queue, looked up at ``N``. Land taken back
  rejoins the queue behind everything else, first in, first out; since a park's start
  lag is the same for all its land, either every sale of a park is taken back or none
  is, and a park that takes land back sells its queue round and round: the ``N``-th
  sale is parcel ``N mod n``.
- **A sale fixes its schedule.** The quarter a parcel is sold fixes when each of its
  phases starts, tops out and completes; each quarter's sales are booked at once into
  per-park schedules of floor started, topped out and completed.
- **Buildings that complete together fill together.** Every phase completed in the same
  quarter of the same park has the same room per m² in every later quarter, so
  occupancy is kept per completion cohort — or, when no parcel's history is kept, as
  running sums per park.

The loop over draws, quarters and parks is compiled (:func:`sim.quarterly.step_all`);
this module lays out what it reads (:func:`_parks`, :func:`_queue`,
:func:`_committed`). When asked, each parcel's history is rebuilt afterwards from the
per-park paths and the parcel's place in its queue, compiled too
(:func:`sim.histories.rebuild`), on slices of the parcels side by side.
``tests/oracle.py`` is the same model written plainly, one parcel at a time, and the
engine equals it on random cases (``tests/test_buildout.py``).
"""

from __future__ import annotations

import itertools
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import NamedTuple, TypeVar, cast

import numpy as np
import numpy.typing as npt

from sim.errors import SimError
from sim.histories import EVENTS, FLAGS, SERIES, Places, rebuild
from sim.inputs import Inputs
from sim.quarterly import OUTPUTS, Committed, Parks, Queue, step_all

__all__ = [
    "DRAWS_PER_THREAD",
    "PARCEL_FLOWS",
    "Quarters",
    "advance",
    "park_years",
    "q_build",
    "q_lag",
    "threads",
    "to_years",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


def q_lag(years: npt.ArrayLike) -> FloatArray:
    """Whole quarters of a lag in years, half up (0 allowed).

    Examples
    --------
    >>> q_lag([0, 0.1, 0.125, 1.0, 2.6]).tolist()
    [0.0, 0.0, 1.0, 4.0, 10.0]
    """
    return np.floor(4.0 * np.asarray(years, dtype=float) + 0.5)


def q_build(years: npt.ArrayLike) -> FloatArray:
    """Whole quarters of a build time in years, half up, at least one.

    Examples
    --------
    >>> q_build([0.05, 2.9, 3.0]).tolist()
    [1.0, 12.0, 12.0]
    """
    return np.maximum(1.0, q_lag(years))


@dataclass(frozen=True)
class Quarters:
    """What :func:`advance` found, quarter by quarter from the base year's Q1.

    Attributes
    ----------
    parcel
        Per-parcel series ``(D, T, P)`` (only when recorded; ``(D, Y, P)`` by year with
        ``annual``): ``floor_sold_m2, floor_started_m2, floor_topped_out_m2,
        floor_completed_m2, floor_occupied_m2`` (stocks at the end of the quarter),
        ``revenue_cny, investment_cny`` (flows of the quarter), ``idle, reclaimable``
        (bool at the end of the quarter) and ``reclaimed`` (taken back in the quarter;
        by year, the quarters it was).
    park
        Per-park series ``(D, T, K)`` of the same stocks and flows over the park's
        parcels and its base stock, plus ``base_completed_m2, base_occupied_m2,
        base_revenue_cny, revenue_other_cny, workers_persons, workers_other_persons,
        backlog_m2`` and ``take_up_factor`` (the vacancy feedback on take-up).
    events
        Per-parcel quarter indices ``(D, P)`` (NaN where not reached; only when
        recorded): ``serviced, sold, first_sold, contract, start, completion, reclaim``
        (the latest).
    investment_before_base
        Investment spent on each parcel before the base year ``(D, P)``.
    capacity_m2
        Floor each parcel holds ``(D, P)``.
    city
        City-wide series ``(D, T)``: ``pool_backlog_m2``, the city's demand (shared out
        by the logit) not yet placed at the end of each quarter.
    """

    parcel: dict[str, npt.NDArray[np.generic]]
    park: dict[str, FloatArray]
    events: dict[str, FloatArray]
    investment_before_base: FloatArray
    capacity_m2: FloatArray
    city: dict[str, FloatArray]


# ----------------------------------------------------------------------------------------
# The plan: what is fixed before the first quarter


@dataclass(frozen=True)
class _Plan:
    """Parcels' capacity and phases, parks' timings in quarters, and the queues.

    Shapes: ``Dc`` is 1 when capacity does not vary by draw; step indices run from
    the first quarter simulated (``offset`` quarters before the base year's Q1).
    """

    draws: int
    quarters: int  # T, from the base year's Q1
    offset: int  # quarters simulated before the base year
    steps: int  # S = offset + T
    park_of: IntArray  # (P,)
    capacity: FloatArray  # (Dq, P) of queued parcels (committed ones: see below)
    n_phases: FloatArray  # (Dq, P)
    committed: BoolArray  # (P,)
    c_parcels: IntArray  # (C,) the committed parcels
    c_capacity: FloatArray  # (Dc, C) their floor
    c_phases: FloatArray  # (C,) their phases
    c_start: FloatArray  # (D, C) step of their start
    c_sold: FloatArray  # (D, C) step of their sale
    lag: FloatArray  # (D, K) quarters from sale to start
    contract_lag: FloatArray  # (D, K) quarters from sale to the contracted start
    tau: FloatArray  # (D, K, J) quarters to top out phase j
    delta: FloatArray  # (D, K, J) quarters to complete phase j
    begin: FloatArray  # (D, K, J) quarters from a project's start to phase j's
    order: IntArray  # (N,) the queued parcels, park after park, each park's in queue order
    positions: FloatArray  # (N,) … the running area along each park's queue
    bounds: IntArray  # (K + 1,) park k's queue is order[bounds[k] : bounds[k + 1]]
    total: FloatArray  # (K,) area of each queue
    reclaiming: BoolArray  # (D, K) every sale is taken back before it starts
    reclaim_q: float  # quarters from the contracted start to reclaimable
    idle_q: float  # … to idle
    uniform: bool  # every phase takes the park's times (no per-phase build times)


def _build_times(
    inputs: Inputs, n_draws: int, n_parks: int, n_phases: int
) -> tuple[FloatArray, FloatArray]:
    """Quarters to top out and to complete each phase ``(D, K, J)``.

    The park's ``topout_years`` and ``duration_years`` for every phase, or, with
    ``Inputs.phase_years``, each phase's own (phases past the last given take the last).
    """
    if inputs.phase_years is None:
        topout = np.asarray(inputs.park["topout_years"], dtype=float)[..., None]
        duration = np.asarray(inputs.park["duration_years"], dtype=float)[..., None]
    else:
        duration = np.asarray(inputs.phase_years["duration_years"], dtype=float)
        topout = np.asarray(inputs.phase_years["topout_years"], dtype=float)
        topout = np.where(np.isnan(topout), duration, topout)
        given = np.minimum(np.arange(n_phases), duration.shape[2] - 1)
        duration, topout = duration[:, :, given], topout[:, :, given]
    shape = (n_draws, n_parks, n_phases)
    tau = np.broadcast_to(q_build(topout), shape)
    delta = np.maximum(tau, np.broadcast_to(q_build(duration), shape))
    return np.ascontiguousarray(tau), np.ascontiguousarray(delta)


def _plan(inputs: Inputs) -> _Plan:
    n_draws, n_parks = inputs.draws, len(inputs.park_ids)
    pk = inputs.parcel_park
    base_year = float(inputs.years[0])

    def park(name: str) -> FloatArray:
        return np.broadcast_to(np.asarray(inputs.park[name], dtype=float), (n_draws, n_parks))

    def varying(name: str) -> FloatArray:  # (1, K) when the same in every draw
        values = np.asarray(inputs.park[name], dtype=float)
        return values if values.shape[0] == 1 else park(name)

    committed = inputs.committed_phases > 0
    # fmin skips NaN: a parcel without a cap takes the park's plot ratio. (Computed in
    # place: each temporary of P floats is fresh memory for the kernel to map.)
    capacity = varying("plot_ratio")[:, pk]
    np.fmin(capacity, inputs.far_max, out=capacity)
    capacity *= inputs.area_m2
    n_phases = varying("max_floor_per_phase")[:, pk]
    np.divide(capacity, n_phases, out=n_phases)
    np.maximum(np.ceil(n_phases, out=n_phases), 1.0, out=n_phases)
    lag = q_lag(park("start_lag_years"))
    c_parcels = np.flatnonzero(committed)
    c_capacity = np.asarray(inputs.committed_floor, dtype=float)[:, c_parcels]
    c_phases = np.maximum(inputs.committed_phases[c_parcels], 1).astype(float)
    c_year = np.broadcast_to(inputs.committed_start[:, c_parcels], (n_draws, c_parcels.size))
    c_start = q_lag(c_year - base_year)
    offset = int(-min(0.0, float(np.min(c_start, initial=0.0))))
    c_start = c_start + offset
    c_sold = np.maximum(c_start - lag[:, pk[c_parcels]], float(offset))  # not before the base

    queued_phases = n_phases.max(initial=1.0, where=~committed)
    n_max = int(max(queued_phases, c_phases.max(initial=1.0)))
    tau, delta = _build_times(inputs, n_draws, n_parks, n_max)
    # The crew moves to the next phase when the previous one tops out.
    begin = np.concatenate([np.zeros((n_draws, n_parks, 1)), np.cumsum(tau, axis=2)], axis=2)
    contract_lag = q_lag(park("contract_lag_years"))
    reclaim_q = float(q_lag(inputs.reclaim_after_years))
    reclaiming = lag > contract_lag + reclaim_q if inputs.reclaim_idle else np.zeros_like(lag, bool)

    order = np.lexsort((inputs.queue_rank, pk))
    if committed.any():
        order = order[~committed[order]]
    # ``order`` runs park after park: each queue is a slice of it.
    queued = np.bincount(pk, minlength=n_parks) - np.bincount(pk[committed], minlength=n_parks)
    bounds = np.concatenate([[0], np.cumsum(queued)]).astype(np.int64)
    positions = inputs.area_m2[order]
    for a, b in itertools.pairwise(bounds):
        np.cumsum(positions[a:b], out=positions[a:b])
    n_quarters = 4 * inputs.years.size
    return _Plan(
        draws=n_draws,
        quarters=n_quarters,
        offset=offset,
        steps=offset + n_quarters,
        park_of=pk,
        capacity=np.asarray(capacity, dtype=float),
        n_phases=np.asarray(n_phases, dtype=float),
        committed=committed,
        c_parcels=c_parcels,
        c_capacity=c_capacity,
        c_phases=c_phases,
        c_start=c_start,
        c_sold=c_sold,
        lag=lag,
        contract_lag=contract_lag,
        tau=tau,
        delta=delta,
        begin=begin[:, :, :n_max],
        order=order,
        positions=positions,
        bounds=bounds,
        total=np.array([positions[b - 1] if b > a else 0.0 for a, b in itertools.pairwise(bounds)]),
        reclaiming=np.asarray(reclaiming, dtype=bool),
        reclaim_q=reclaim_q,
        idle_q=float(q_lag(inputs.idle_after_years)),
        uniform=inputs.phase_years is None,
    )


def _capacity(plan: _Plan) -> FloatArray:
    """Floor each parcel holds ``(D, P)``: queued parcels' capacity, committed projects'."""
    out = np.empty((plan.draws, plan.park_of.size))
    out[...] = plan.capacity
    out[:, plan.c_parcels] = plan.c_capacity
    return out


# ----------------------------------------------------------------------------------------
# The quarterly loop, per park (compiled: sim.quarterly)


def _queue(plan: _Plan, inputs: Inputs) -> Queue:
    """Lay out the parcels for sale, park after park in queue order, for :func:`step_all`."""
    own = inputs.parcel_revenue_per_m2
    return Queue(
        first=plan.bounds[:-1],
        size=np.diff(plan.bounds),
        parcel=plan.order,
        positions=plan.positions,
        total=np.asarray(plan.total, dtype=np.float64),
        area=np.asarray(inputs.area_m2, dtype=np.float64),
        capacity=plan.capacity,
        n_phases=plan.n_phases,
        revenue=np.zeros((0, plan.park_of.size)) if own is None else np.asarray(own, float),
        phases=int(plan.n_phases.max(initial=0.0, where=~plan.committed)),
    )


def _committed(plan: _Plan, inputs: Inputs) -> Committed:
    """Lay out the committed projects for :func:`step_all`."""
    cols = plan.c_parcels
    own = inputs.parcel_revenue_per_m2
    return Committed(
        park=plan.park_of[cols],
        area=np.asarray(inputs.area_m2[cols], dtype=np.float64),
        capacity=np.asarray(plan.c_capacity, dtype=np.float64),
        n_phases=plan.c_phases,
        start=plan.c_start,
        sold=plan.c_sold,
        revenue=np.zeros((0, cols.size)) if own is None else np.asarray(own, float)[:, cols],
    )


def _parks(inputs: Inputs, plan: _Plan) -> Parks:
    """Each park's assumptions per draw, in quarters and per quarter, for :func:`step_all`.

    (Arrays may be views here: :func:`_compilable` makes them C arrays of their own.)
    """
    n_draws, n_parks, n_years = plan.draws, len(inputs.park_ids), inputs.years.size

    def park(name: str) -> FloatArray:  # (an assignment broadcasts faster than np.broadcast_to)
        out = np.empty((n_draws, n_parks))
        out[...] = inputs.park[name]
        return out

    def quarterly(values: FloatArray) -> FloatArray:  # a year's → a quarter's
        out = np.empty((n_draws, n_parks, n_years))
        np.divide(values, 4.0, out=out)
        return out

    ceiling, ramp_years = park("occupancy_ceiling"), park("occupancy_ramp_years")
    with np.errstate(divide="ignore"):
        # The most a building fills in a quarter, per m² (inf: no limit).
        ramp = np.where(ramp_years > 0, ceiling / (4.0 * ramp_years), np.inf)
    return Parks(
        supply=quarterly(inputs.land_supply_m2),
        take_up=quarterly(inputs.take_up_m2),
        demand=quarterly(inputs.demand_m2),
        ceiling=ceiling,
        ramp=ramp,
        price=park("land_price"),
        cost=park("construction_cost"),
        fitout=park("fitout_cost"),
        revenue_per_m2=park("revenue_per_m2"),
        revenue_growth=park("revenue_growth"),
        m2_per_worker=park("m2_per_worker"),
        other_revenue=park("other_revenue"),
        other_growth=park("other_revenue_growth"),
        per_worker=park("revenue_per_worker"),
        base_completed=park("base_floor_completed"),
        base_building=park("base_floor_under_construction"),
        # The base floor under construction completes like a phase started in the base
        # year's first quarter: in the completed stock from quarter q_build(years).
        base_done=q_build(park("base_completion_years")),
        base_occupied=park("base_floor_occupied"),
        vacancy_target=park("vacancy_target"),
        vacancy_elasticity=park("vacancy_elasticity"),
        lag=plan.lag,
        back=plan.contract_lag + plan.reclaim_q,
        reclaiming=plan.reclaiming,
        tau=plan.tau,
        delta=plan.delta,
        begin=plan.begin,
    )


_T = TypeVar("_T")


def _compilable(values: _T) -> _T:
    """``values`` (an array, or a tuple of arrays and numbers) as writable C arrays.

    :func:`step_all` is compiled once for each layout of its arguments: read-only or
    Fortran-ordered arrays would each compile it again.
    """
    if isinstance(values, np.ndarray):
        flags = values.flags
        if flags.c_contiguous and flags.writeable:  # (np.require takes 50 times longer)
            return cast(_T, values)
        return cast(_T, np.require(values, requirements=["C", "W"]))
    if isinstance(values, tuple):
        return cast(_T, type(values)(*(_compilable(v) for v in values)))
    return values


#: Fewest draws worth a thread of their own: starting one costs about as much as
#: stepping this many draws of the Qingdao baseline.
DRAWS_PER_THREAD = 16


def threads(n_draws: int, *, per_thread: int | None = None) -> int:
    """Threads to step ``n_draws`` draws on (or other work, ``per_thread`` a thread).

    ``PARKSIM_THREADS`` if set, else the CPUs this process may run on; at most one per
    ``per_thread`` draws (:data:`DRAWS_PER_THREAD`); and 1 when called off the main
    thread, as a Dask worker or any thread pool does: its caller already runs work side
    by side.

    Examples
    --------
    >>> threads(1)
    1
    """
    if threading.current_thread() is not threading.main_thread():
        return 1
    setting = os.environ.get("PARKSIM_THREADS", "").strip()
    if setting:
        if not setting.isdigit() or int(setting) < 1:
            raise SimError(
                f"environment variable PARKSIM_THREADS: expected a whole number ≥ 1; "
                f"found {setting!r}; set it to e.g. 1, or unset it to use every CPU"
            )
        n = int(setting)
    elif hasattr(os, "sched_getaffinity"):
        n = len(os.sched_getaffinity(0))
    else:
        n = os.cpu_count() or 1
    return max(1, min(n, n_draws // (per_thread or DRAWS_PER_THREAD)))


def _in_threads(step: Callable[[tuple[int, int]], None], size: int, n: int) -> None:
    """Call ``step((first, stop))`` on ``n`` consecutive slices of ``range(size)``, side by side.

    One slice a thread, this thread taking the first. Draws (or parcels) are
    independent, so the results are the same whatever the number of threads.

    Examples
    --------
    >>> seen = []
    >>> _in_threads(seen.append, 40, 2)
    >>> sorted(seen)
    [(0, 20), (20, 40)]
    """
    bounds = [size * i // n for i in range(n + 1)]
    slices = list(itertools.pairwise(bounds))
    if n == 1:
        step(slices[0])
        return
    others = [_helpers(n - 1).submit(step, part) for part in slices[1:]]
    step(slices[0])
    for other in others:
        other.result()


_HELPERS: dict[int, ThreadPoolExecutor] = {}  # this process's helper threads, by count
_HELPERS_LOCK = threading.Lock()


def _helpers(n: int) -> ThreadPoolExecutor:
    """``n`` helper threads, started once per process (starting them costs ≈ 0.3 ms).

    Keyed by process id too: a process forked from this one has none of its threads.
    """
    key = os.getpid() * 1024 + n
    with _HELPERS_LOCK:
        if key not in _HELPERS:
            _HELPERS[key] = ThreadPoolExecutor(max_workers=n, thread_name_prefix="parksim")
        return _HELPERS[key]


class _Layout(NamedTuple):
    """What :func:`sim.quarterly.step_all` steps, as compilable arrays."""

    parks: Parks
    queue: Queue
    committed: Committed


def _layout(inputs: Inputs, plan: _Plan) -> _Layout:
    return _Layout(
        _compilable(_parks(inputs, plan)),
        _compilable(_queue(plan, inputs)),
        _compilable(_committed(plan, inputs)),
    )


@dataclass(frozen=True)
class _Kept:
    """What :func:`sim.quarterly.step_all` kept to rebuild parcels' histories from."""

    paths: FloatArray  # (4, D, S, K) entries sold, taken back, servicing budget, growth ÷ 4
    history: FloatArray  # (D, K, S, T) occupied floor per m² of each completion cohort


def _simulate(
    inputs: Inputs, plan: _Plan, layout: _Layout, *, record: bool, yearly: bool = False
) -> tuple[dict[str, FloatArray], FloatArray, _Kept | None]:
    """Step every park through the quarters (:func:`sim.quarterly.step_all`).

    Returns per-park series ``(D, T, K)``, the city's unplaced demand ``(D, T)`` and,
    when recording, the paths parcels' histories are rebuilt from; ``yearly``: the
    series by year, ``(D, Y, K)`` and ``(D, Y)`` (not with ``record``).
    """
    n_draws, n_parks, n_years = plan.draws, len(inputs.park_ids), inputs.years.size
    n_steps, n_quarters = plan.steps, plan.quarters
    allocation = inputs.allocation
    pool, attractiveness, room_weight = np.zeros((n_draws, 0)), np.zeros(n_parks), 1.0
    if allocation is not None:
        pool = np.broadcast_to(allocation.pool_m2, (n_draws, n_years)) / 4.0
        attractiveness = np.asarray(allocation.attractiveness, dtype=np.float64)
        room_weight = float(allocation.room_weight)
    periods = n_years if yearly and not record else n_quarters
    out = np.zeros((len(OUTPUTS), n_draws, periods, n_parks))
    unplaced = np.zeros((n_draws, periods))
    paths = np.zeros((4, n_draws, n_steps, n_parks) if record else (4, 0, 0, 0))
    history = np.zeros((n_draws, n_parks, n_steps, n_quarters) if record else (0, 0, 0, 0))
    parks, queue, committed = layout
    pool, attractiveness = _compilable(pool.astype(np.float64)), _compilable(attractiveness)
    repeat = bool(plan.reclaiming.any())

    def step(draws: tuple[int, int]) -> None:
        step_all(parks, queue, committed, pool, attractiveness, room_weight, plan.offset,
                 repeat, out, unplaced, paths, history, draws, periods != n_quarters)  # fmt: skip

    _in_threads(step, n_draws, threads(n_draws))
    series = dict(zip(OUTPUTS, out, strict=True))
    return series, unplaced, _Kept(paths, history) if record else None


# ----------------------------------------------------------------------------------------
# Each parcel's history, rebuilt from the per-park paths (compiled: sim.histories)

#: Fewest parcel-draws worth a thread of their own when histories are rebuilt.
PARCELS_PER_THREAD = 1 << 15


def _places(plan: _Plan, *, queued: bool) -> Places:
    """Each parcel's park and place in its queue (``queued=False``: committed projects' only)."""
    place = np.zeros(plan.park_of.size if queued else 0, dtype=np.int64)
    position = np.zeros(place.size)
    if queued:
        ranks = np.arange(plan.order.size)
        for a, b in itertools.pairwise(plan.bounds):
            ranks[a:b] -= a
        place[plan.order], position[plan.order] = ranks, plan.positions
    return _compilable(Places(plan.park_of, place, position, plan.committed, plan.c_parcels))


def _histories(
    plan: _Plan, layout: _Layout, kept: _Kept | None, *, annual: bool
) -> tuple[dict[str, npt.NDArray[np.generic]], dict[str, FloatArray], FloatArray]:
    """Rebuild every parcel's series, its event quarters and what it cost before the base.

    Without ``kept`` (no history recorded), only the investment before the base year.
    """
    n_draws, n_parcels = plan.draws, plan.park_of.size
    before = np.zeros((n_draws, n_parcels))
    timing = (plan.offset, plan.idle_q, plan.reclaim_q, bool(plan.reclaiming.any()), plan.uniform)
    parks, queue, committed = layout
    contract_lag = _compilable(plan.contract_lag)
    if kept is None:
        if plan.offset > 0 and plan.c_parcels.size:
            nothing = np.zeros((0, 0, 0, 0))
            places = _places(plan, queued=False)
            rebuild(parks, queue, committed, places, contract_lag, np.zeros((4, 0, 0, 0)),
                    nothing, timing, nothing, nothing.astype(bool), np.zeros((0, 0, 0), np.int64),
                    np.zeros((0, 0, 0)), before, (0, plan.c_parcels.size))  # fmt: skip
        return {}, {}, before
    periods = plan.quarters // 4 if annual else plan.quarters
    series = np.empty((len(SERIES), n_draws, periods, n_parcels))
    flags = np.empty((len(FLAGS), n_draws, periods, n_parcels), dtype=bool)
    reclaimed = np.empty((n_draws, periods, n_parcels), dtype=np.int64)
    events = np.empty((len(EVENTS), n_draws, n_parcels))
    places = _places(plan, queued=True)

    def step(parcels: tuple[int, int]) -> None:
        rebuild(parks, queue, committed, places, contract_lag, kept.paths, kept.history,
                timing, series, flags, reclaimed, events, before, parcels)  # fmt: skip

    _in_threads(step, n_parcels, threads(n_draws * n_parcels, per_thread=PARCELS_PER_THREAD))
    parcel: dict[str, npt.NDArray[np.generic]] = dict(zip(SERIES, series, strict=True))
    parcel.update(zip(FLAGS, flags, strict=True))
    parcel["reclaimed"] = reclaimed if annual else reclaimed.astype(bool)
    return parcel, dict(zip(EVENTS, events, strict=True)), before


#: Per-parcel series that are flows of a quarter (summed over a year); ``reclaimed``
#: counts the quarters land was taken back in; the others are stocks at the period's end.
PARCEL_FLOWS = ("revenue_cny", "investment_cny", "reclaimed")


def to_years(values: npt.NDArray[np.generic], *, flow: bool) -> npt.NDArray[np.generic]:
    """``(D, 4Y, N)`` → ``(D, Y, N)``: the Q4 stock, or the sum of a year's four quarters.

    Booleans summed count quarters (``int64``).

    Examples
    --------
    >>> q = np.arange(8.0).reshape(1, 8, 1)
    >>> to_years(q, flow=False).ravel().tolist(), to_years(q, flow=True).ravel().tolist()
    ([3.0, 7.0], [6.0, 22.0])
    """
    n_draws, n_quarters, n_units = values.shape
    by_year = values.reshape(n_draws, n_quarters // 4, 4, n_units)
    if not flow:
        return np.ascontiguousarray(by_year[:, :, 3])
    if by_year.dtype == np.bool_:
        return np.asarray(by_year.sum(axis=2, dtype=np.int64))
    return np.asarray(by_year.sum(axis=2))


def park_years(inputs: Inputs) -> tuple[dict[str, FloatArray], FloatArray]:
    """Run the quarterly model of docs/MODEL.md, keeping per-park series by year only.

    The same steps as :func:`advance` ``(record=False)``, written by year as they are
    stepped: for Monte Carlo, which reports years.

    Parameters
    ----------
    inputs
        The arrays of docs/MODEL.md, with any number of draws.

    Returns
    -------
    park : dict
        :data:`~sim.quarterly.OUTPUTS`, each ``(D, Y, K)``: stocks at the end of each
        year, flows (:data:`~sim.quarterly.FLOWS`) summed over its quarters, as
        :func:`to_years` makes them of :func:`advance`'s.
    pool_backlog : numpy.ndarray
        ``(D, Y)``: the city's demand not yet placed at the end of each year.
    """
    plan = _plan(inputs)
    park, city, _ = _simulate(inputs, plan, _layout(inputs, plan), record=False, yearly=True)
    return park, city


def advance(inputs: Inputs, *, record: bool = True, annual: bool = False) -> Quarters:
    """Run the quarterly model of docs/MODEL.md on prepared inputs.

    Parameters
    ----------
    inputs
        The arrays of docs/MODEL.md, with any number of draws.
    record
        Keep every parcel's quarterly history and event quarters
        (``Quarters.parcel``, ``Quarters.events``); without it only per-park series
        are kept, and the work grows with draws × parks × quarters, not × parcels.
    annual
        Keep the parcels' series by year ``(D, Y, P)``, written so as they are rebuilt
        (as :func:`to_years` makes them: Q4 stocks, :data:`PARCEL_FLOWS` summed), a
        quarter of the memory; the per-park series stay quarterly.

    Returns
    -------
    Quarters
    """
    plan = _plan(inputs)
    layout = _layout(inputs, plan)
    park, city, kept = _simulate(inputs, plan, layout, record=record)
    capacity = _capacity(plan)
    parcel, events, before = _histories(plan, layout, kept, annual=annual)
    return Quarters(
        parcel=parcel,
        park=park,
        events=events,
        investment_before_base=before,
        capacity_m2=capacity,
        city={"pool_backlog_m2": city},
    )
