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
  sold so far are cumulative sums along the queue, looked up at ``N``
  (:class:`_Tables`). Land taken back rejoins the queue behind everything else, first
  in, first out; since a park's start lag is the same for all its land, either every
  sale of a park is taken back or none is, and a park that takes land back sells its
  queue round and round: the ``N``-th sale is parcel ``N mod n``.
- **A sale fixes its schedule.** The quarter a parcel is sold fixes when each of its
  phases starts, tops out and completes; each quarter's sales are booked at once into
  per-park schedules of floor started, topped out and completed.
- **Buildings that complete together fill together.** Every phase completed in the same
  quarter of the same park has the same room per m² in every later quarter, so
  occupancy is kept per completion cohort ``(S, D, K)`` as occupied floor per m²
  (:class:`_Cohorts`) — or, when no parcel's history is kept, as running sums per park
  (:class:`_RunningCohorts`).

The loop over quarters therefore works on per-park arrays ``(D, K)`` and the cohorts;
nothing loops over parcels or draws. When asked, each parcel's history is rebuilt
afterwards (:func:`_parcel_history`) in whole-array operations, from the per-park paths
and the parcel's place in its queue. ``tests/oracle_quarterly.py`` is the same model
written plainly, one parcel at a time, and the engine equals it on random cases
(``tests/test_buildout.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from sim.inputs import Inputs

__all__ = ["PARCEL_FLOWS", "Quarters", "advance", "q_build", "q_lag", "to_years"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

_EPS = 1e-6  # m²: cumulative areas are compared with this slack

#: Per-park series of :attr:`Quarters.park`.
PARK_NAMES = (
    "floor_sold_m2",
    "floor_started_m2",
    "floor_topped_out_m2",
    "floor_completed_m2",
    "floor_occupied_m2",
    "revenue_cny",
    "investment_cny",
    "base_completed_m2",
    "base_occupied_m2",
    "revenue_other_cny",
    "workers_persons",
    "workers_other_persons",
    "backlog_m2",
    "base_revenue_cny",
    "take_up_factor",
)


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
    phase_floor: FloatArray  # (Dq, P)
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
    queues: tuple[IntArray, ...]  # per park: its queued parcels in queue order
    positions: tuple[FloatArray, ...]  # per park: cumulative area along its queue
    place: IntArray  # (P,) place in its park's queue (0 for committed parcels)
    position: FloatArray  # (P,) queue area up to and with each parcel (0 for committed)
    count: FloatArray  # (K,) parcels in each queue
    total: FloatArray  # (K,) area of each queue
    reclaiming: BoolArray  # (D, K) every sale is taken back before it starts
    reclaim_q: float  # quarters from the contracted start to reclaimable
    idle_q: float  # … to idle
    revenue_per_m2: FloatArray | None  # (Dr, P) each parcel's own (applicants), else None
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


def _own_revenue(inputs: Inputs, n_draws: int, n_parks: int) -> FloatArray | None:
    """Give each parcel's revenue per m² occupied ``(Dr, P)``, or None.

    Admitted applicants give their own (``Inputs.parcel_revenue_per_m2``, NaN: the
    park's); without them, None.
    """
    own = inputs.parcel_revenue_per_m2
    if own is None:
        return None
    park = np.asarray(inputs.park["revenue_per_m2"], dtype=float)[:, inputs.parcel_park]
    own = np.asarray(own, dtype=float)
    rows = max(own.shape[0], park.shape[0])
    shape = (rows, inputs.parcel_park.size)
    return np.where(np.isnan(own), np.broadcast_to(park, shape), np.broadcast_to(own, shape))


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
    # fmin skips NaN: a parcel without a cap takes the park's plot ratio.
    capacity = inputs.area_m2 * np.fmin(varying("plot_ratio")[:, pk], inputs.far_max)
    n_phases = np.maximum(np.ceil(capacity / varying("max_floor_per_phase")[:, pk]), 1.0)
    lag = q_lag(park("start_lag_years"))
    c_parcels = np.flatnonzero(committed)
    c_capacity = np.asarray(inputs.committed_floor, dtype=float)[:, c_parcels]
    c_phases = np.maximum(inputs.committed_phases[c_parcels], 1).astype(float)
    c_year = np.broadcast_to(inputs.committed_start[:, c_parcels], (n_draws, c_parcels.size))
    c_start = q_lag(c_year - base_year)
    offset = int(-min(0.0, float(np.min(c_start, initial=0.0))))
    c_start = c_start + offset
    c_sold = np.maximum(c_start - lag[:, pk[c_parcels]], float(offset))  # not before the base

    queued_phases = n_phases[:, ~committed].max(initial=1.0)
    n_max = int(max(queued_phases, c_phases.max(initial=1.0)))
    tau, delta = _build_times(inputs, n_draws, n_parks, n_max)
    # The crew moves to the next phase when the previous one tops out.
    begin = np.concatenate([np.zeros((n_draws, n_parks, 1)), np.cumsum(tau, axis=2)], axis=2)
    contract_lag = q_lag(park("contract_lag_years"))
    reclaim_q = float(q_lag(inputs.reclaim_after_years))
    reclaiming = lag > contract_lag + reclaim_q if inputs.reclaim_idle else np.zeros_like(lag, bool)

    order = np.lexsort((inputs.queue_rank, pk))
    order = order[~committed[order]]
    queues = tuple(order[pk[order] == k] for k in range(n_parks))
    positions = tuple(np.cumsum(inputs.area_m2[q]) for q in queues)
    place = np.zeros(pk.size, dtype=np.int64)
    position = np.zeros(pk.size)
    for queue, cumulative in zip(queues, positions, strict=True):
        place[queue] = np.arange(queue.size)
        position[queue] = cumulative
    n_quarters = 4 * inputs.years.size
    return _Plan(
        draws=n_draws,
        quarters=n_quarters,
        offset=offset,
        steps=offset + n_quarters,
        park_of=pk,
        capacity=np.asarray(capacity, dtype=float),
        n_phases=np.asarray(n_phases, dtype=float),
        phase_floor=np.asarray(capacity / n_phases, dtype=float),
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
        queues=queues,
        positions=positions,
        place=place,
        position=position,
        count=np.array([q.size for q in queues], dtype=float),
        total=np.array([p[-1] if p.size else 0.0 for p in positions]),
        reclaiming=np.asarray(reclaiming, dtype=bool),
        reclaim_q=reclaim_q,
        idle_q=float(q_lag(inputs.idle_after_years)),
        revenue_per_m2=_own_revenue(inputs, n_draws, n_parks),
        uniform=inputs.phase_years is None,
    )


def _per_parcel(
    plan: _Plan, queued: FloatArray, committed: FloatArray, cols: IntArray
) -> FloatArray:
    """Gather values of parcels ``cols`` ``(D, p)``.

    ``queued`` ``(·, P)`` holds every parcel's value; committed parcels take theirs from
    ``committed`` ``(·, C)`` instead.
    """
    out = np.broadcast_to(queued[:, cols], (plan.draws, cols.size)).copy()
    mine = plan.committed[cols]
    if mine.any():
        index = np.searchsorted(plan.c_parcels, cols[mine])
        values = np.broadcast_to(committed, (plan.draws, plan.c_parcels.size))
        out[:, mine] = values[:, index]
    return out


def _parcel_phases(plan: _Plan, cols: IntArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Phases, floor of a phase and capacity of parcels ``cols``, each ``(D, p)``."""
    n_phases = _per_parcel(plan, plan.n_phases, plan.c_phases[None, :], cols)
    capacity = _per_parcel(plan, plan.capacity, plan.c_capacity, cols)
    return n_phases, capacity / n_phases, capacity


class _Tables:
    """Cumulative sums of per-parcel values along each park's queue, looked up by count.

    Park ``k``'s table starts with a 0 at ``slot[k]``, followed by the running sum over
    its queue; looking up ``N`` entries of a queue sold round and round adds whole
    rounds of the park's total.
    """

    def __init__(self, plan: _Plan, values: FloatArray) -> None:
        counts = plan.count.astype(np.int64)
        self.slot = np.concatenate([[0], np.cumsum(counts + 1)[:-1]]).astype(np.int64)
        table = np.zeros((values.shape[0], int(counts.sum() + counts.size)))
        for k, queue in enumerate(plan.queues):
            start = self.slot[k] + 1
            table[:, start : start + queue.size] = np.cumsum(values[:, queue], axis=1)
        self.table = table
        self.count = np.maximum(plan.count, 1.0)
        self.round = table[:, self.slot + counts]  # (Dv, K): one whole queue

    def at(self, n: FloatArray) -> FloatArray:
        """Sum the first ``n`` entries of each park's (repeating) queue ``(D, K)``."""
        rounds = np.floor(n / self.count)
        index = self.slot + (n - rounds * self.count).astype(np.int64)
        if self.table.shape[0] == 1:
            values = self.table[0].take(index)
        else:
            values = np.take_along_axis(self.table, index, axis=1)
        return np.asarray(rounds * self.round + values, dtype=np.float64)


def _count_within(plan: _Plan, x: FloatArray, *, repeat: bool) -> FloatArray:
    """Entries of each park's queue whose cumulative area is ≤ ``x`` ``(D, K)``.

    With ``repeat`` the queue repeats (land taken back rejoins it in the same order),
    so ``x`` beyond the queue's area counts whole rounds; without, at most the queue.
    """
    out = np.zeros(x.shape)
    for k, positions in enumerate(plan.positions):
        if positions.size == 0:
            continue
        if not repeat:
            out[:, k] = np.searchsorted(positions, x[:, k], side="right")
            continue
        rounds = np.floor(np.maximum(x[:, k], 0.0) / plan.total[k])
        rest = x[:, k] - rounds * plan.total[k]
        out[:, k] = rounds * positions.size + np.searchsorted(positions, rest, side="right")
    return out


# ----------------------------------------------------------------------------------------
# The quarterly loop, per park


@dataclass
class _Paths:
    """Per-park paths the parcels' histories are rebuilt from (steps on the step axis)."""

    sold: FloatArray  # (S, D, K) entries of the queue sold by the end of each step
    reclaimed: FloatArray  # (S, D, K) … taken back
    serviced: FloatArray  # (S, D, K) cumulative servicing budget
    occupancy: FloatArray  # (D, K, S, T) occupied floor per m² of each completion cohort
    rate: FloatArray  # (T, D, K) growth of revenue per m² by each quarter, ÷ 4


def _book(
    schedule: FloatArray, step: FloatArray, floor: FloatArray, where: BoolArray | None = None
) -> None:
    """Add ``floor`` ``(D, K)`` to ``schedule[step[d, k], d, k]`` where the step is in range."""
    n_steps, n_draws, n_parks = schedule.shape
    valid = (step < n_steps) & (floor != 0.0)
    if where is not None:
        valid &= where
    if not valid.any():
        return
    rows = np.arange(n_draws * n_parks).reshape(n_draws, n_parks)
    flat = step[valid].astype(np.int64) * (n_draws * n_parks) + rows[valid]
    schedule.reshape(-1)[flat] += floor[valid]


def _book_parcels(
    schedule: FloatArray, park_of: IntArray, step: FloatArray, value: FloatArray
) -> None:
    """Add per-parcel ``value`` ``(D, P)`` to its park's ``schedule`` at ``step`` ``(D, P)``."""
    n_steps, n_draws, n_parks = schedule.shape
    value = np.broadcast_to(value, step.shape)
    valid = np.isfinite(step) & (step < n_steps) & (value != 0.0)
    if not valid.any():
        return
    draw = np.broadcast_to(np.arange(n_draws)[:, None], step.shape)
    park = np.broadcast_to(park_of[None, :], step.shape)
    flat = step[valid].astype(np.int64) * (n_draws * n_parks) + draw[valid] * n_parks + park[valid]
    # (the cells booked are few: committed parcels × draws, against steps × draws × parks)
    np.add.at(schedule.reshape(-1), flat, value[valid])


def _committed_schedules(inputs: Inputs, plan: _Plan, schedules: dict[str, FloatArray]) -> None:
    """Book committed projects' sales, land payments and phases, all known up front."""
    cols = plan.c_parcels
    if cols.size == 0:
        return
    pk = plan.park_of[cols]
    price = np.broadcast_to(inputs.park["land_price"], (plan.draws, len(inputs.park_ids)))
    _book_parcels(schedules["sold"], pk, plan.c_sold, plan.c_capacity)
    _book_parcels(schedules["land"], pk, plan.c_sold, inputs.area_m2[cols] * price[:, pk])
    cost = np.broadcast_to(inputs.park["construction_cost"], price.shape)[:, pk]
    floor = plan.c_capacity / plan.c_phases
    for j in range(int(plan.c_phases.max())):
        tau, delta = plan.tau[:, pk, j], plan.delta[:, pk, j]
        begun = np.where(j < plan.c_phases, plan.c_start + plan.begin[:, pk, j], np.nan)
        _book_parcels(schedules["started"], pk, begun, floor)
        _book_parcels(schedules["topped"], pk, begun + tau, floor)
        _book_parcels(schedules["completed"], pk, begun + delta, floor)
        if plan.revenue_per_m2 is not None:  # applicants: floor weighted by its revenue
            _book_parcels(
                schedules["earning"], pk, begun + delta, floor * plan.revenue_per_m2[:, cols]
            )
        # Construction is spent evenly over the δ steps begun … begun + δ − 1.
        _book_parcels(schedules["spend"], pk, begun, floor * cost / delta)
        _book_parcels(schedules["spend"], pk, begun + delta, -floor * cost / delta)


def _in_order(values: FloatArray) -> FloatArray:
    """Sum ``values`` over the leading axis one row after another.

    ``ndarray.sum`` adds a contiguous axis pairwise, in an order that depends on the
    array's shape: a draw run alone would then differ in the last bit from the same
    draw in a batch. A running sum adds in the same order whatever the shape.

    Examples
    --------
    >>> _in_order(np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])).tolist()
    [9.0, 12.0]
    """
    if values.shape[0] == 0:
        return np.zeros(values.shape[1:])
    return np.asarray(np.cumsum(values, axis=0)[-1], dtype=np.float64)


class _Cohorts:
    """Occupancy per completion cohort, kept per cohort (to rebuild parcels' histories).

    Cohort ``q`` is the floor completed in step ``q`` (``schedule[q]``); ``o`` its
    occupied floor per m². A cohort's room per m² is ``min(ceiling − o, ramp)``.
    """

    def __init__(
        self, schedule: FloatArray, ceiling: FloatArray, ramp: FloatArray, n_quarters: int
    ) -> None:
        self.schedule, self.ceiling, self.ramp = schedule, ceiling, ramp
        self.o = np.zeros(schedule.shape)  # (S, D, K)
        n_steps, n_draws, n_parks = schedule.shape
        self.history = np.zeros((n_draws, n_parks, n_steps, n_quarters))
        self._room: FloatArray = self.o[:0]

    def room(self, u: int, first: npt.NDArray[np.int64] | None = None) -> FloatArray:
        """Room of the cohorts completed by step ``u`` ``(D, K)`` (``first`` unused)."""
        del first
        room = np.minimum(self.ceiling - self.o[: u + 1], self.ramp)
        np.maximum(room, 0.0, out=room)
        self._room = room
        return _in_order(self.schedule[: u + 1] * room)

    def fill(self, u: int, share: FloatArray, t: int) -> None:
        """Fill ``share`` of every cohort's room (and keep quarter ``t``'s state)."""
        self._room *= share
        self.o[: u + 1] += self._room
        if t >= 0:
            self.history[:, :, :, t] = self.o.transpose(1, 2, 0)


class _RunningCohorts:
    """The same occupancy, kept as running sums per park (no per-cohort state to update).

    While a cohort's room per m² is the ramp ``ρ`` (``ceiling − o ≥ ρ``) it fills
    ``φ·ρ`` a step, so its occupancy is ``ρ·(Φ − Φ_q)``, with ``Φ`` the running sum of
    the park's shares φ and ``Φ_q`` its value when the cohort completed; once
    ``ceiling − o < ρ`` its room shrinks by ``1 − φ`` a step, for good. Cohorts leave
    the ramp in the order they completed, so the park's room is ``ρ ×`` the floor of the
    cohorts still on the ramp (the newest ones) plus the room ``Z`` of the others, which
    shrinks by ``1 − φ`` a step. Cohorts leaving in a step join ``Z`` with room
    ``Σ F_q·(ceiling − ρ·(Φ − Φ_q))``, from running sums of ``F_q`` and ``F_q·Φ_q``.
    """

    def __init__(self, schedule: FloatArray, ceiling: FloatArray, ramp: FloatArray) -> None:
        self.schedule, self.ceiling, self.ramp = schedule, ceiling, ramp
        _, n_draws, n_parks = schedule.shape
        self.start = np.zeros(schedule.shape)  # Φ_q of each cohort
        self.floor = np.zeros(schedule.shape)  # Σ F_q up to each cohort
        self.weighted = np.zeros(schedule.shape)  # Σ F_q·Φ_q up to each cohort
        self.phi = np.zeros((n_draws, n_parks))
        self.first = np.zeros((n_draws, n_parks), dtype=np.int64)  # oldest cohort on the ramp
        self.tail = np.zeros((n_draws, n_parks))  # Z
        self._cells = np.arange(n_draws * n_parks)
        self.finite = np.isfinite(ramp)
        with np.errstate(divide="ignore", invalid="ignore"):
            self.limit = np.where(self.finite, ceiling / ramp - 1.0, -1.0)
            self.rho = np.where(self.finite, ramp, 0.0)

    def _below(self, values: FloatArray, count: npt.NDArray[np.int64]) -> FloatArray:
        """``values[count − 1]`` per draw and park, 0 where ``count`` is 0."""
        flat = values.reshape(values.shape[0], -1)
        picked = flat[np.maximum(count - 1, 0).ravel(), self._cells].reshape(count.shape)
        return np.where(count > 0, picked, 0.0)

    def room(self, u: int, first: npt.NDArray[np.int64] | None = None) -> FloatArray:
        """Room of the cohorts completed by step ``u`` ``(D, K)``.

        ``first``: the oldest cohort on the ramp after this step, when another set of
        the same cohorts (driven by the same shares) has found it.
        """
        # (The schedule of step u is final now: sales book completions in later steps.)
        new = self.schedule[u]
        self.start[u] = self.phi
        self.floor[u] = new + (self.floor[u - 1] if u else 0.0)
        self.weighted[u] = new * self.phi + (self.weighted[u - 1] if u else 0.0)
        # A cohort has left the ramp once Φ − Φ_q > ceiling/ρ − 1; Φ_q grows with q.
        # (Cohorts before the oldest still on the ramp in any draw need no second look.)
        if first is None:
            low = int(self.first.min())
            first = low + (self.start[low : u + 1] < self.phi - self.limit).sum(axis=0)
        if np.any(first != self.first):
            leaving = self._below(self.floor, first) - self._below(self.floor, self.first)
            phis = self._below(self.weighted, first) - self._below(self.weighted, self.first)
            # Σ F_q (ceiling − ρ (Φ − Φ_q)); with no ramp, cohorts leave as they complete.
            self.tail += (self.ceiling - self.rho * self.phi) * leaving + self.rho * phis
            self.first = first
        on_ramp = self.floor[u] - self._below(self.floor, self.first)
        return np.asarray(self.rho * on_ramp + self.tail, dtype=np.float64)

    def fill(self, u: int, share: FloatArray, t: int) -> None:
        """Fill ``share`` of every cohort's room."""
        del u, t
        self.phi = self.phi + share
        self.tail = self.tail * (1.0 - share)


def _offer(
    waiting: FloatArray, room: FloatArray, attractiveness: FloatArray, weight: float
) -> FloatArray:
    """Share the city's waiting demand ``(D,)`` out to parks ``(D, K)`` by a logit.

    A park's weight is ``exp(a_k) × room_k ** weight``; parks outside the logit (NaN)
    or without room get nothing, so demand goes where there is space.

    Examples
    --------
    >>> _offer(np.array([300.0]), np.array([[100.0, 200.0, 0.0]]), np.zeros(3), 1.0).tolist()
    [[100.0, 200.0, 0.0]]
    """
    member = np.isfinite(attractiveness) & (room > 0)
    a = np.where(member, attractiveness, -np.inf)
    top = np.max(a, axis=1, keepdims=True)
    with np.errstate(invalid="ignore"):
        w = np.where(member, np.exp(a - np.where(np.isfinite(top), top, 0.0)), 0.0)
        w = np.where(member, w * np.where(member, room, 1.0) ** weight, 0.0)
    total = w.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        offered = np.where(total > 0, np.maximum(waiting, 0.0)[:, None] * w / total, 0.0)
    return np.asarray(offered, dtype=np.float64)


def _simulate(  # noqa: C901 - one quarter's stages in order, each a few lines
    inputs: Inputs, plan: _Plan, *, record: bool
) -> tuple[dict[str, FloatArray], FloatArray, _Paths | None]:
    """Step every park through the quarters.

    Returns per-park series ``(D, T, K)``, the city's unplaced demand ``(D, T)`` and,
    when recording, the paths parcels' histories are rebuilt from.
    """
    n_draws, n_parks, n_years = plan.draws, len(inputs.park_ids), inputs.years.size
    n_steps, n_quarters, offset = plan.steps, plan.quarters, plan.offset

    def park(name: str) -> FloatArray:
        return np.broadcast_to(np.asarray(inputs.park[name], dtype=float), (n_draws, n_parks))

    def yearly(values: FloatArray) -> FloatArray:
        return np.broadcast_to(values, (n_draws, n_parks, n_years))

    supply = yearly(inputs.land_supply_m2) / 4.0
    take_up = yearly(inputs.take_up_m2) / 4.0
    demand = yearly(inputs.demand_m2) / 4.0
    ceiling = park("occupancy_ceiling")
    ramp_years = park("occupancy_ramp_years")
    with np.errstate(divide="ignore"):
        # The most a building fills in a quarter, per m² (inf: no limit).
        ramp = np.where(ramp_years > 0, ceiling / (4.0 * ramp_years), np.inf)
    price, cost, fitout = park("land_price"), park("construction_cost"), park("fitout_cost")
    rpm, growth, m2pw = park("revenue_per_m2"), park("revenue_growth"), park("m2_per_worker")
    base_completed = park("base_floor_completed")
    base_building = park("base_floor_under_construction")
    # The base floor under construction completes like a phase started in the base
    # year's first quarter: in the completed stock from quarter q_build(years).
    base_done = q_build(park("base_completion_years"))
    other_revenue, other_growth = park("other_revenue"), park("other_revenue_growth")
    per_worker = park("revenue_per_worker")
    v_target, v_elastic = park("vacancy_target"), park("vacancy_elasticity")

    # (Tables hold queued parcels only: committed ones are in no queue.)
    n_max = int(plan.n_phases[:, ~plan.committed].max(initial=0.0))
    area = _Tables(plan, inputs.area_m2[None, :])
    capacity = _Tables(plan, plan.capacity)
    phases = [
        _Tables(plan, np.where(plan.n_phases > j, plan.phase_floor, 0.0)) for j in range(n_max)
    ]
    schedules = {
        name: np.zeros((n_steps, n_draws, n_parks))  # step first: a step's slice is contiguous
        for name in ("started", "topped", "completed", "sold", "land", "spend", "earning")
    }
    _committed_schedules(inputs, plan, schedules)
    any_reclaiming = bool(plan.reclaiming.any())
    building = ~plan.reclaiming  # parks whose sales start (the others are all taken back)
    back = plan.contract_lag + plan.reclaim_q  # a sale is taken back this many steps on

    zeros = np.zeros((n_draws, n_parks))
    budget, pointer, rejoined, backlog = zeros.copy(), zeros.copy(), zeros.copy(), zeros.copy()
    base_occupied = park("base_floor_occupied").copy()
    started, topped, completed, occupied = zeros.copy(), zeros.copy(), zeros.copy(), zeros.copy()
    spending = zeros.copy()  # construction spent a step, per park
    sold_committed, area_sold = zeros.copy(), zeros.copy()
    phase_sold = [zeros.copy() for _ in range(n_max)]
    n_sold = zeros.copy()
    sold_path = np.zeros((n_steps, n_draws, n_parks))
    reclaimed_path = np.zeros((n_steps, n_draws, n_parks))
    serviced_path = np.zeros((n_steps, n_draws, n_parks))
    allocation = inputs.allocation
    pool, pool_backlog = None, np.zeros(n_draws)
    unplaced = np.zeros((n_draws, n_quarters))
    attractiveness, room_weight = np.zeros(n_parks), 1.0
    if allocation is not None:
        pool = np.broadcast_to(allocation.pool_m2, (n_draws, n_years)) / 4.0
        attractiveness, room_weight = allocation.attractiveness, allocation.room_weight
    cohorts: _Cohorts | _RunningCohorts
    if record:
        cohorts = _Cohorts(schedules["completed"], ceiling, ramp, n_quarters)
    else:
        cohorts = _RunningCohorts(schedules["completed"], ceiling, ramp)
    # applicants: with parcels' own revenue per m², the same cohorts weighted by it
    # (each cohort fills alike per m², so occupied × revenue sums the same way).
    own_revenue = plan.revenue_per_m2
    earning: _Cohorts | _RunningCohorts | None = None
    earned = zeros.copy()  # Σ occupied floor × its own revenue per m²
    earning_tables: list[_Tables] = []
    earning_sold = [zeros.copy() for _ in range(n_max)]
    if own_revenue is not None:
        earning_tables = [
            _Tables(plan, np.where(plan.n_phases > j, plan.phase_floor * own_revenue, 0.0))
            for j in range(n_max)
        ]
        earning = _RunningCohorts(schedules["earning"], ceiling, ramp)
    rates = np.zeros((n_quarters, n_draws, n_parks))
    out = {name: np.zeros((n_draws, n_quarters, n_parks)) for name in PARK_NAMES}  # (D, T, K)
    # Vacancy before the first step: the base stock (its floor under construction not yet
    # complete) with its tenants.
    with np.errstate(divide="ignore", invalid="ignore"):
        vacancy = np.where(base_completed > 0, 1.0 - base_occupied / base_completed, 0.0)
    feedback = np.clip(1.0 - v_elastic * (vacancy - v_target), 0.0, 1.0)

    for u in range(n_steps):
        t = u - offset  # quarter index from the base year's Q1
        y = t // 4 if t >= 0 else -1

        # 1. Servicing, in queue order under the cumulative budget.
        if y >= 0:
            budget = budget + supply[:, :, y]
        serviced_path[u] = budget
        n_serviced = _count_within(plan, budget + _EPS, repeat=False)
        prefix = area.at(n_serviced)

        # 2. Sale at the take-up rate, never beyond the serviced prefix of the queue
        # (nor, once all of it is serviced, beyond the land taken back by last quarter).
        whole = prefix >= plan.total - _EPS
        reachable = np.where(whole, plan.total + rejoined, prefix)
        if y >= 0:
            out["take_up_factor"][:, t] = feedback
            with np.errstate(invalid="ignore"):  # inf × 0: a feedback of 0 stops all take-up
                rate = np.where(feedback > 0, take_up[:, :, y] * feedback, 0.0)
            pointer = np.minimum(pointer + rate, reachable)
        counted = _count_within(plan, pointer + _EPS, repeat=any_reclaiming)
        now = np.where(whole, counted, np.minimum(counted, n_serviced))
        sold_path[u] = now
        n_reclaimed = zeros
        if any_reclaiming:
            ago = np.maximum(u - back, 0.0).astype(np.int64)[None]
            then = np.take_along_axis(sold_path, ago, axis=0)[0]
            n_reclaimed = np.where(plan.reclaiming & (u >= back), then, 0.0)
            reclaimed_path[u] = n_reclaimed

        # 3. A sale books its phases: start after the lag, one a top-out apart.
        if np.any(now != n_sold):
            for j, table in enumerate(phases):
                floor_j = table.at(now)
                new = floor_j - phase_sold[j]
                phase_sold[j] = floor_j
                begun = u + plan.lag + plan.begin[:, :, j]
                tau, delta = plan.tau[:, :, j], plan.delta[:, :, j]
                _book(schedules["started"], begun, new, building)
                _book(schedules["topped"], begun + tau, new, building)
                _book(schedules["completed"], begun + delta, new, building)
                _book(schedules["spend"], begun, new * cost / delta, building)
                _book(schedules["spend"], begun + delta, -new * cost / delta, building)
                if earning_tables:
                    weighted = earning_tables[j].at(now)
                    _book(schedules["earning"], begun + delta, weighted - earning_sold[j], building)
                    earning_sold[j] = weighted
        n_sold = now
        sold_area = area.at(now)
        land = price * (sold_area - area_sold) + schedules["land"][u]
        area_sold = sold_area
        sold_committed += schedules["sold"][u]
        started += schedules["started"][u]
        spending += schedules["spend"][u]
        topped += schedules["topped"][u]
        finished = schedules["completed"][u]
        completed += finished

        # 4. Occupancy from demand, in proportion to each cohort's room.
        room = cohorts.room(u)
        base_floor = base_completed + np.where(t >= base_done, base_building, 0.0)
        base_room = np.maximum(0.0, ceiling * base_floor - base_occupied)
        waiting = backlog + (demand[:, :, y] if y >= 0 else 0.0)
        total_room = room + base_room
        # Negative net absorption places nothing and waits in the backlog; a park's own
        # demand goes before the city's offer, and the offer not placed returns to the city.
        own = np.maximum(waiting, 0.0)
        if pool is not None:
            pool_waiting = pool_backlog + (pool[:, y] if y >= 0 else 0.0)
            offered = _offer(pool_waiting, total_room, attractiveness, room_weight)
            takes = np.minimum(total_room, own + offered)
        else:
            takes = np.minimum(total_room, own)
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(total_room > 0, takes / total_room, 0.0)
        own = np.minimum(own, takes)
        if pool is not None:
            pool_backlog = pool_waiting - (takes - own).sum(axis=1)
            if t >= 0:
                unplaced[:, t] = pool_backlog
        cohorts.fill(u, share, t)
        occupied = occupied + share * room
        if earning is not None:
            ramp_first = cohorts.first if isinstance(cohorts, _RunningCohorts) else None
            earned = earned + share * earning.room(u, ramp_first)
            earning.fill(u, share, t)
        base_occupied = base_occupied + share * base_room
        backlog = waiting - own

        # 5. Vacancy feedback for the next quarter's take-up.
        park_completed = completed + base_floor
        park_occupied = occupied + base_occupied
        with np.errstate(divide="ignore", invalid="ignore"):
            vacancy = np.where(park_completed > 0, 1.0 - park_occupied / park_completed, 0.0)
        feedback = np.clip(1.0 - v_elastic * (vacancy - v_target), 0.0, 1.0)
        if any_reclaiming:
            rejoined = area.at(n_reclaimed)
        if t < 0:
            continue

        # 6. Money and people.
        grow = (1.0 + growth) ** (t / 4.0) / 4.0
        rate_now = rpm * grow
        rates[t] = grow
        other = other_revenue * (1.0 + other_growth) ** (t / 4.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            other_workers = np.where(per_worker > 0, other / per_worker, 0.0)
        held = capacity.at(now) - capacity.at(n_reclaimed) + sold_committed
        base_revenue = base_occupied * rate_now
        out["floor_sold_m2"][:, t] = held + base_completed + base_building
        out["floor_started_m2"][:, t] = started + base_completed + base_building
        out["floor_topped_out_m2"][:, t] = topped + base_floor
        out["floor_completed_m2"][:, t] = park_completed
        out["floor_occupied_m2"][:, t] = park_occupied
        floor_revenue = occupied * rate_now if earning is None else earned * grow
        out["revenue_cny"][:, t] = floor_revenue + base_revenue + other / 4.0
        out["investment_cny"][:, t] = spending + finished * fitout + land
        out["base_completed_m2"][:, t] = base_floor
        out["base_occupied_m2"][:, t] = base_occupied
        out["revenue_other_cny"][:, t] = other / 4.0
        out["workers_persons"][:, t] = park_occupied / m2pw + other_workers
        out["workers_other_persons"][:, t] = other_workers
        out["backlog_m2"][:, t] = backlog
        out["base_revenue_cny"][:, t] = base_revenue
    city = unplaced
    if not isinstance(cohorts, _Cohorts):
        return out, city, None
    paths = _Paths(sold_path, reclaimed_path, serviced_path, cohorts.history, rates)
    return out, city, paths


# ----------------------------------------------------------------------------------------
# Each parcel's history, rebuilt from the per-park paths

#: Parcels rebuilt together: bounds the temporaries of :func:`_parcel_history` to a few
#: arrays of about this many elements (draws × steps × parcels).
_BLOCK_ELEMENTS = 1 << 16


def _stages(
    plan: _Plan, pk: IntArray, n_phases: FloatArray, since: FloatArray
) -> dict[str, FloatArray]:
    """Count parcels' phases by stage, ``since`` steps after their start ``(D, S, p)``.

    ``since`` is NaN where a parcel has not started (all counts 0). Returns phases
    started, topped out, completed, completed a step before, and ``building``: the sum
    over phases under construction of ``1 / δ`` (the share of a phase's construction
    spent in the step).

    Examples
    --------
    Two phases, top-out 2, build 3 quarters, from the start (−1 … 6 steps since):

    >>> from types import SimpleNamespace
    >>> plan = SimpleNamespace(uniform=True, tau=np.full((1, 1, 2), 2.0),
    ...     delta=np.full((1, 1, 2), 3.0), begin=np.array([[[0.0, 2.0]]]))
    >>> c = _stages(plan, np.array([0]), np.array(2.0), np.arange(-1.0, 7.0)[None, :, None])
    >>> c["started"].ravel().tolist(), c["completed"].ravel().tolist()
    ([0.0, 1.0, 1.0, 2.0, 2.0, 2.0, 2.0, 2.0], [0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 2.0, 2.0])
    """
    tau, delta = plan.tau[:, pk, 0][:, None, :], plan.delta[:, pk, 0][:, None, :]
    if plan.uniform:
        # Every phase takes the same times: phase i starts at i·τ, so each count is a
        # clipped floor (NaN, not started, clips to 0).
        def count(offset: FloatArray | float) -> FloatArray:
            raw = np.floor((since - offset) / tau)
            raw += 1.0
            return np.fmin(np.fmax(raw, 0.0, out=raw), n_phases, out=raw)

        started, completed = count(0.0), count(delta)
        return {
            "started": started,
            "topped": count(tau),
            "completed": completed,
            "before": count(delta + 1.0),
            "building": (started - completed) / delta,
        }
    zeros = np.zeros(since.shape)
    out = {name: zeros.copy() for name in ("started", "topped", "completed", "before")}
    out["building"] = zeros
    for j in range(plan.begin.shape[2]):
        exists = j < n_phases
        begin = plan.begin[:, pk, j][:, None, :]
        tau, delta = plan.tau[:, pk, j][:, None, :], plan.delta[:, pk, j][:, None, :]
        began = exists & (since >= begin)
        finished = exists & (since >= begin + delta)
        out["started"] += began
        out["topped"] += exists & (since >= begin + tau)
        out["completed"] += finished
        out["before"] += exists & (since - 1.0 >= begin + delta)
        out["building"] += np.where(began & ~finished, 1.0 / delta, 0.0)
    return out


def _investment(
    inputs: Inputs,
    plan: _Plan,
    cols: IntArray,
    sales: FloatArray,
    stages: dict[str, FloatArray],
) -> FloatArray:
    """Each parcel's investment in every step ``(D, S, p)``: land, construction, fit-out.

    ``sales`` counts the parcels' sales by each step ``(D, S, p)``; ``stages`` are
    their phases by stage (:func:`_stages`).
    """
    n_parks = len(inputs.park_ids)
    pk = plan.park_of[cols]

    def park(name: str) -> FloatArray:
        values = np.broadcast_to(inputs.park[name], (plan.draws, n_parks))
        return np.asarray(values[:, pk][:, None, :], dtype=np.float64)

    _, floor, _ = (v[:, None, :] for v in _parcel_phases(plan, cols))
    bought = np.diff(sales, axis=1, prepend=0.0) > 0
    spend = np.where(bought, inputs.area_m2[cols] * park("land_price"), 0.0)
    spend += stages["building"] * floor * park("construction_cost")
    spend += (stages["completed"] - stages["before"]) * floor * park("fitout_cost")
    return spend


def _before_base(inputs: Inputs, plan: _Plan) -> FloatArray:
    """Investment in each parcel before the base year ``(D, P)`` (committed projects)."""
    out = np.zeros((plan.draws, plan.park_of.size))
    cols = plan.c_parcels
    if plan.offset == 0 or cols.size == 0:
        return out
    steps = np.arange(plan.steps, dtype=float)[None, :, None]
    sales = (steps >= plan.c_sold[:, None, :]).astype(float)
    n_phases = _parcel_phases(plan, cols)[0][:, None, :]
    since = steps - plan.c_start[:, None, :]
    stages = _stages(plan, plan.park_of[cols], n_phases, since)
    spend = _investment(inputs, plan, cols, sales, stages)
    out[:, cols] = _in_order(spend[:, : plan.offset].transpose(1, 0, 2))
    return out


def _parcel_history(
    inputs: Inputs, plan: _Plan, paths: _Paths, cols: IntArray
) -> tuple[dict[str, npt.NDArray[np.generic]], dict[str, FloatArray]]:
    """Rebuild parcels ``cols``' quarterly series ``(D, T, p)`` and event steps ``(D, p)``."""
    n_draws, n_steps, offset = plan.draws, plan.steps, plan.offset
    n_parks = len(inputs.park_ids)
    pk = plan.park_of[cols]
    committed = plan.committed[cols]
    steps = np.arange(n_steps, dtype=float)[None, :, None]
    place = plan.place[cols].astype(float)
    n_queue = np.maximum(plan.count[pk], 1.0)

    def rounds(path: FloatArray) -> FloatArray:
        """Count the times each parcel was reached by its park's running count."""
        reached = path[:, :, pk].transpose(1, 0, 2) - place
        if not plan.reclaiming.any():  # every queue is sold once at most
            return np.asarray(reached > 0, dtype=np.float64)
        return np.where(reached > 0, np.floor((reached - 1.0) / n_queue) + 1.0, 0.0)

    none = np.broadcast_to(np.nan, (1, plan.park_of.size))
    c_start = _per_parcel(plan, none, plan.c_start, cols)
    c_sold = _per_parcel(plan, none, plan.c_sold, cols)[:, None, :]
    sales = np.where(committed, (steps >= c_sold).astype(float), rounds(paths.sold))
    taken = np.where(committed, 0.0, rounds(paths.reclaimed))
    n_sales, n_taken = sales[:, -1], taken[:, -1]

    def first(counts: FloatArray, level: FloatArray, reached: BoolArray) -> FloatArray:
        """Step at which ``counts`` first reach ``level`` ``(D, p)``, NaN where never."""
        step = (counts < level[:, None, :]).sum(axis=1).astype(float)
        return np.where(reached & (step < n_steps), step, np.nan)

    lag, contract_lag = plan.lag[:, pk], plan.contract_lag[:, pk]
    n_phases, floor, capacity = _parcel_phases(plan, cols)
    # The last phase to complete: with per-phase build times not always the last begun.
    # (Per park, the latest completion among its first j + 1 phases; a parcel with
    # n phases takes entry n − 1.)
    latest = np.maximum.accumulate(plan.begin + plan.delta, axis=2)  # (D, K, J)
    last_phase = np.clip(n_phases.astype(np.int64) - 1, 0, latest.shape[2] - 1)
    draw = np.arange(n_draws)[:, None]
    last_sale = first(sales, n_sales, n_sales > 0)
    start = np.where(committed, c_start, np.where(n_taken < n_sales, last_sale + lag, np.nan))
    budget = paths.serviced[:, :, pk].transpose(1, 0, 2)
    unserviced = (budget + _EPS < plan.position[cols]).sum(axis=1).astype(float)
    first_sale = first(sales, np.ones_like(n_sales), n_sales > 0)
    events = {
        "serviced": np.where(
            committed, first_sale, np.where(unserviced < n_steps, unserviced, np.nan)
        ),
        "sold": last_sale,
        "first_sold": first_sale,
        "contract": np.where(committed, c_start, last_sale + contract_lag),
        "start": start,
        "completion": start + latest[draw, pk[None, :], last_phase],
        "reclaim": first(taken, n_taken, n_taken > 0),
    }

    # Stages, from the start.
    c = _stages(plan, pk, n_phases[:, None, :], steps - start[:, None, :])
    held = sales > taken
    quarter = slice(offset, None)

    def quarters(values: npt.NDArray[np.generic]) -> npt.NDArray[np.generic]:
        return np.ascontiguousarray(values[:, quarter])

    series: dict[str, npt.NDArray[np.generic]] = {
        "floor_sold_m2": quarters(np.where(held, capacity[:, None, :], 0.0)),
        "floor_started_m2": quarters(c["started"] * floor[:, None, :]),
        "floor_topped_out_m2": quarters(c["topped"] * floor[:, None, :]),
        "floor_completed_m2": quarters(c["completed"] * floor[:, None, :]),
    }

    # Occupancy: each phase fills as its completion cohort does, per m².
    history = paths.occupancy.reshape(n_draws * n_parks * n_steps, plan.quarters)
    row = (np.arange(n_draws)[:, None] * n_parks + pk[None, :]) * n_steps
    occupied = np.zeros((n_draws, cols.size, plan.quarters))
    for j in range(int(n_phases.max(initial=0.0))):
        done = start + plan.begin[:, pk, j] + plan.delta[:, pk, j]
        valid = (j < n_phases) & (done < n_steps)  # (NaN: not started)
        index = np.where(valid, row + np.nan_to_num(done).astype(np.int64), 0)
        occupied += np.where(valid, floor, 0.0)[..., None] * history[index]
    occupancy = np.ascontiguousarray(occupied.transpose(0, 2, 1))
    del occupied
    series["floor_occupied_m2"] = occupancy
    if plan.revenue_per_m2 is not None:  # applicants: each parcel's own
        own = np.broadcast_to(plan.revenue_per_m2[:, cols], (n_draws, cols.size))
    else:
        own = np.broadcast_to(inputs.park["revenue_per_m2"], (n_draws, n_parks))[:, pk]
    rate = paths.rate[:, :, pk].transpose(1, 0, 2) * own[:, None, :]
    series["revenue_cny"] = occupancy * rate
    series["investment_cny"] = quarters(_investment(inputs, plan, cols, sales, c))

    # Idle land, from the contracted start of the sale held at each step (before any
    # reclaim of that step).
    taken_before = np.concatenate([np.zeros_like(taken[:, :1]), taken[:, :-1]], axis=1)
    holding = (sales > taken_before) & ~committed
    reclaiming = plan.reclaiming[:, pk][:, None, :]
    holding &= reclaiming | ~(start[:, None, :] <= steps)
    if plan.reclaiming.any():
        # The step of the sale held now: the ``sales``-th sale.
        current = np.stack(
            [(sales < sales[:, u : u + 1]).sum(axis=1) for u in range(n_steps)], axis=1
        ).astype(float)
    else:
        current = last_sale[:, None, :]
    age = steps - (current + contract_lag[:, None, :])
    series["idle"] = quarters(holding & (age >= plan.idle_q))
    series["reclaimable"] = quarters(holding & (age >= plan.reclaim_q))
    series["reclaimed"] = quarters(taken > taken_before)
    return series, events


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
        Keep the parcels' series by year ``(D, Y, P)`` (:func:`to_years` of each block
        of parcels as it is rebuilt, :data:`PARCEL_FLOWS` summed), a quarter of the
        memory; the per-park series stay quarterly.

    Returns
    -------
    Quarters
    """
    plan = _plan(inputs)
    park, city, paths = _simulate(inputs, plan, record=record)
    n_draws, n_parcels = plan.draws, plan.park_of.size
    capacity = _per_parcel(plan, plan.capacity, plan.c_capacity, np.arange(n_parcels))
    parcel: dict[str, npt.NDArray[np.generic]] = {}
    events: dict[str, FloatArray] = {}
    if paths is not None:
        block = max(1, _BLOCK_ELEMENTS // max(1, n_draws * plan.steps))
        steps: dict[str, FloatArray] = {}
        for lo in range(0, max(n_parcels, 1), block):  # one (empty) block without parcels
            cols = np.arange(lo, min(lo + block, n_parcels))
            series, found = _parcel_history(inputs, plan, paths, cols)
            if annual:
                series = {k: to_years(v, flow=k in PARCEL_FLOWS) for k, v in series.items()}
            if not parcel:
                parcel = {
                    k: np.empty((*v.shape[:2], n_parcels), dtype=v.dtype) for k, v in series.items()
                }
                steps = {k: np.empty((n_draws, n_parcels)) for k in found}
            part = slice(lo, lo + cols.size)
            for k, v in series.items():
                parcel[k][:, :, part] = v
            for k, v in found.items():
                steps[k][:, part] = v
            del series, found
        # Quarter indices from the base year's Q1; NaN where not reached by the horizon.
        for name, values in steps.items():
            shifted = values - plan.offset
            events[name] = np.where(shifted <= plan.quarters - 1, shifted, np.nan)
    return Quarters(
        parcel=parcel,
        park=park,
        events=events,
        investment_before_base=_before_base(inputs, plan),
        capacity_m2=capacity,
        city={"pool_backlog_m2": city},
    )
