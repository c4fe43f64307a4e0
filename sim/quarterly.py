"""The quarterly loop of the build-out, compiled: every draw, quarter and park (docs/MODEL.md).

``Parks, Queue, Committed ──step_all──▶ per-park quarterly series``. Each quarter
depends on the last one (take-up slows with vacancy, occupancy fills the room that is
left, demand not placed waits), so the loop runs quarter after quarter; numpy would
spend it on a few hundred small calls a quarter, so it is compiled with numba instead.
The work per quarter is a few dozen operations per park, whatever the number of
parcels: for each draw the kernel lays the parcels for sale out as running sums along
each park's queue (area, floor, each phase's floor) and books the committed projects
into the draw's schedules, then looks sales up in those sums. :mod:`sim.buildout`
prepares the arrays and rebuilds parcels' histories from the paths afterwards.

Per draw, per quarter ``u``, per park, in order:

1. **Servicing.** The cumulative budget counts the queue's parcels serviced.
2. **Sale.** Take-up (× the vacancy feedback) moves a pointer along the queue's area,
   never past the serviced prefix (nor, once all of it is serviced, past the land taken
   back so far); the parcels sold are a prefix of the queue, read from the tables.
   With reclaiming, the sale of ``back`` quarters ago is taken back.
3. **Booking.** The floor of each phase newly sold is booked into the park's schedules
   of floor started, topped out, completed and the spending, one top-out apart.
4. **Occupancy.** Completed floor fills from the park's demand (and its offer from the
   city's pool, shared out by a logit on attractiveness and room), in proportion to
   the room of every completion cohort; demand not placed waits in a backlog.
5. **Feedback, money, people.** Vacancy sets next quarter's take-up factor; revenue,
   investment and workers of the quarter are written out.

Occupancy per completion cohort is kept per cohort when parcels' histories are asked
for (a ``history`` array), else as running sums (``ramp_room`` in :func:`step_all`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple, TypeVar, cast

import numba
import numpy as np
import numpy.typing as npt

__all__ = [
    "FLOWS",
    "KINDS",
    "OUTPUTS",
    "SLACK_M2",
    "TABLES",
    "Committed",
    "Parks",
    "Queue",
    "compiled",
    "feedback_factor",
    "row",
    "split",
    "step_all",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

_F = TypeVar("_F", bound=Callable[..., Any])


def compiled(func: _F) -> _F:
    """Compile ``func`` with numba, cached on disk, with numpy's float semantics.

    ``error_model="numpy"``: a division by zero gives inf or NaN, as numpy does, rather
    than raising. ``nogil``: threads can run it side by side (:func:`step_all` on
    separate draws).
    """
    return cast(_F, numba.njit(cache=True, error_model="numpy", nogil=True)(func))


#: m²: cumulative areas are compared with this slack (parks' queues, parcels' stages).
SLACK_M2 = 1e-6

#: The schedules a draw books ahead, ``(len(KINDS), S, K)``: per step and park.
KINDS = ("started", "topped", "completed", "sold", "land", "spend", "earning")
_STARTED, _TOPPED, _COMPLETED, _SOLD, _LAND, _SPEND, _EARNING = range(len(KINDS))

#: The per-park series :func:`step_all` writes, ``(len(OUTPUTS), D, T, K)``.
OUTPUTS = (
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
(
    _O_SOLD,
    _O_STARTED,
    _O_TOPPED,
    _O_COMPLETED,
    _O_OCCUPIED,
    _O_REVENUE,
    _O_INVESTMENT,
    _O_BASE_COMPLETED,
    _O_BASE_OCCUPIED,
    _O_REVENUE_OTHER,
    _O_WORKERS,
    _O_WORKERS_OTHER,
    _O_BACKLOG,
    _O_BASE_REVENUE,
    _O_TAKE_UP,
) = range(len(OUTPUTS))

#: The outputs that are flows: a quarter's (or a year's) sum; the others are stocks at
#: the period's end.
FLOWS = ("revenue_cny", "investment_cny", "revenue_other_cny", "base_revenue_cny")


class Parks(NamedTuple):
    """Each park's assumptions per draw: ``(D, K)`` unless said, in quarters and per quarter."""

    supply: FloatArray  # (D, K, Y) land serviced a quarter, m² of the queue's area
    take_up: FloatArray  # (D, K, Y) land bought a quarter at a factor of 1, m²
    demand: FloatArray  # (D, K, Y) the park's own net absorption a quarter, m²
    ceiling: FloatArray  # occupancy ceiling (share of completed floor)
    ramp: FloatArray  # most a building fills a quarter, per m² (inf: no limit)
    price: FloatArray  # land price, 元/m²
    cost: FloatArray  # construction cost, 元/m² of floor
    fitout: FloatArray  # fit-out, 元/m² completed
    revenue_per_m2: FloatArray  # revenue a year per m² occupied, in the base year
    revenue_growth: FloatArray  # its growth a year
    m2_per_worker: FloatArray
    other_revenue: FloatArray  # the park's revenue not driven by floor, a year's, base year
    other_growth: FloatArray  # its growth a year
    per_worker: FloatArray  # revenue per worker of that revenue
    base_completed: FloatArray  # base-year floor completed, m²
    base_building: FloatArray  # … under construction, m²
    base_done: FloatArray  # quarter the base floor under construction completes
    base_occupied: FloatArray  # base-year floor occupied, m²
    vacancy_target: FloatArray
    vacancy_elasticity: FloatArray
    lag: FloatArray  # quarters from sale to start
    back: FloatArray  # quarters from sale to reclaim
    reclaiming: npt.NDArray[np.bool_]  # every sale of the park is taken back
    tau: FloatArray  # (D, K, J) quarters from a phase's start to its top-out
    delta: FloatArray  # (D, K, J) … to its completion
    begin: FloatArray  # (D, K, J) quarters from a project's start to phase j's


class Queue(NamedTuple):
    """The parcels for sale: park after park, each park's in the order it sells them.

    Park ``k``'s parcels are entries ``first[k] … first[k] + size[k] − 1``; entry ``i``
    is parcel ``parcel[i]`` of the per-parcel values, which have one row, or one for
    every draw.
    """

    first: IntArray  # (K,)
    size: IntArray  # (K,)
    parcel: IntArray  # (N,)
    positions: FloatArray  # (N,) running area along each park's queue
    total: FloatArray  # (K,) area of each queue
    area: FloatArray  # (P,)
    capacity: FloatArray  # (Dq, P) floor
    n_phases: FloatArray  # (Dq, P) phases it is built in
    revenue: FloatArray  # (Dr, P) own revenue per m² (NaN: the park's); (0, P) without
    phases: int  # J: the most phases of a parcel for sale


class Committed(NamedTuple):
    """Committed projects: sold and started when the scenario says, whatever the queue."""

    park: IntArray  # (C,)
    area: FloatArray  # (C,)
    capacity: FloatArray  # (Dc, C) floor
    n_phases: FloatArray  # (C,)
    start: FloatArray  # (D, C) step of the start
    sold: FloatArray  # (D, C) step of the sale
    revenue: FloatArray  # (Dr, C) own revenue per m² (NaN: the park's); (0, C) without


#: The running sums along each queue a draw looks sold floor up in, before the phases'
#: (each phase's floor). The floor weighted by own revenue is summed over each
#: quarter's new sales instead: it differs by draw, and tables would be laid out again.
TABLES = ("area", "capacity")
_AREA, _CAPACITY = range(len(TABLES))


@compiled
def split(n: float, size: int) -> tuple[float, int]:
    """Whole rounds and the rest of ``n`` parcels sold from a queue of ``size``.

    The sum over the first ``n`` parcels of a queue sold round and round is
    ``rounds ×`` the queue's whole sum ``+`` the sum over its first ``rest``.

    Examples
    --------
    >>> split(5.0, 2), split(1.0, 2), split(0.0, 0)
    ((2.0, 1), (0.0, 1), (0.0, 0))
    """
    count = max(size, 1)
    rounds = np.floor(n / count)
    return rounds, int(n - rounds * count)


@compiled
def feedback_factor(elasticity: float, target: float, vacancy: float) -> float:
    """Take-up factor for a park's vacancy: ``clip(1 − elasticity·(vacancy − target), 0, 1)``.

    Examples
    --------
    >>> feedback_factor(2.0, 0.2, 0.5), feedback_factor(0.0, 0.2, 0.9)
    (0.4, 1.0)
    """
    x = 1.0 - elasticity * (vacancy - target)
    return float(min(max(x, 0.0), 1.0))


@compiled
def row(values: FloatArray, d: int) -> int:
    """Give the row of draw ``d`` in values of one row, or one for every draw."""
    return d if values.shape[0] > 1 else 0


@compiled
def step_all(  # noqa: C901 - one quarter's stages in order
    parks: Parks,
    queue: Queue,
    committed: Committed,
    pool: FloatArray,
    attractiveness: FloatArray,
    room_weight: float,
    offset: int,
    repeat: bool,
    out: FloatArray,
    unplaced: FloatArray,
    paths: FloatArray,
    history: FloatArray,
    draws: tuple[int, int],
    yearly: bool,
) -> None:
    """Step draws ``draws[0] … draws[1] − 1`` and every park through the quarters.

    Parameters
    ----------
    parks, queue, committed
        The parks' assumptions, the parcels for sale and the committed projects.
    pool
        The city's demand shared out by the logit, a quarter's, ``(D, Y)``, or
        ``(D, 0)`` without.
    attractiveness, room_weight
        The logit's terms: a park's weight is ``exp(a_k) × room_k ** room_weight``;
        parks outside the logit (NaN) or without room get nothing, so demand goes
        where there is space.
    offset
        Steps simulated before the base year's Q1 (``S = offset + T``).
    repeat
        Some park takes land back: queues are sold round and round.
    out
        ``(len(OUTPUTS), D, T, K)``, zeros, written: stocks at the end of each quarter,
        flows (:data:`FLOWS`) of the quarter; with ``yearly``, ``(len(OUTPUTS), D, Y,
        K)``: stocks at the end of each year, flows of the year.
    unplaced
        ``(D, T)``, or with ``yearly`` ``(D, Y)``: the city's demand not yet placed at
        the end of each quarter (year).
    paths
        ``(4, D, S, K)``: queue entries sold, taken back, and the servicing budget by
        the end of each step, and (in the first ``T`` steps) the growth of revenue per
        m² by each quarter ÷ 4; ``(4, 0, 0, 0)`` not to keep them.
    history
        ``(D, K, S, T)``: occupied floor per m² of each completion cohort at the end
        of each quarter, kept per cohort; ``(0, 0, 0, 0)`` for running sums.
    draws
        The draws to step, ``(first, last + 1)``; only their rows of ``out``,
        ``unplaced``, ``paths`` and ``history`` are written, so threads can step
        separate draws of the same arrays at once (the GIL is released).
    yearly
        Write ``out`` and ``unplaced`` by year (without ``paths`` or ``history``).

    Notes
    -----
    Arrays are read in the loop only through local names and closures: handing an
    array to a function, or reading it from a tuple, costs two reference counts each
    time, and in a loop this size they would be most of a quarter's work. A draw's
    tables and schedules are its own scratch arrays, small enough to stay in cache.
    """
    # (Fields of a tuple are unpacked once: read in the loop, each costs a reference count.)
    supply, take_up, demand = parks.supply, parks.take_up, parks.demand
    ceilings, ramps = parks.ceiling, parks.ramp
    prices, costs, fitouts = parks.price, parks.cost, parks.fitout
    rpm, rpm_growth, m2pw = parks.revenue_per_m2, parks.revenue_growth, parks.m2_per_worker
    other_revenue, other_growth, per_workers = (
        parks.other_revenue, parks.other_growth, parks.per_worker
    )  # fmt: skip
    base_completed, base_building = parks.base_completed, parks.base_building
    base_done, base_occupied0 = parks.base_done, parks.base_occupied
    v_target, v_elastic = parks.vacancy_target, parks.vacancy_elasticity
    lags, backs, reclaims = parks.lag, parks.back, parks.reclaiming
    taus, deltas, begins = parks.tau, parks.delta, parks.begin
    firsts, sizes, positions, totals = queue.first, queue.size, queue.positions, queue.total
    parcel_of = queue.parcel
    q_area, q_capacity, q_phases, q_revenue = (
        queue.area, queue.capacity, queue.n_phases, queue.revenue
    )  # fmt: skip
    n_phases = queue.phases
    c_park, c_area, c_capacity, c_phases = (
        committed.park, committed.area, committed.capacity, committed.n_phases
    )  # fmt: skip
    c_start, c_sold, c_revenue = committed.start, committed.sold, committed.revenue

    n_parks = ceilings.shape[1]
    n_steps = offset + out.shape[2] * (4 if yearly else 1)
    has_pool = pool.shape[1] > 0
    has_earning = q_revenue.shape[0] > 0
    record = history.shape[0] > 0
    keep = paths.shape[1] > 0
    zeros = np.zeros(n_parks)
    # State per park, reset for each draw.
    budget, pointer, rejoined, backlog = zeros.copy(), zeros.copy(), zeros.copy(), zeros.copy()
    started, topped, completed, occupied = zeros.copy(), zeros.copy(), zeros.copy(), zeros.copy()
    spending, sold_committed, area_sold = zeros.copy(), zeros.copy(), zeros.copy()
    n_sold, earned, feedback, base_occupied = zeros.copy(), zeros.copy(), zeros.copy(), zeros.copy()
    growth, growth_q, other, other_q = zeros.copy(), zeros.copy(), zeros.copy(), zeros.copy()
    phase_sold = np.zeros((max(n_phases, 1), n_parks))
    earning_sold = np.zeros((max(n_phases, 1), n_parks))
    sold_path = np.zeros((n_steps, n_parks))
    sched = np.zeros((len(KINDS), n_steps, n_parks))  # the draw's schedules
    # Occupancy: per cohort (o) when recording, else running sums per park.
    o = np.zeros((n_steps, n_parks))
    start = np.zeros((n_steps, n_parks))  # Φ_q of each cohort
    # Running sums over the cohorts before each: row q is the sum over cohorts < q.
    floor_sum, weighted = np.zeros((n_steps + 1, n_parks)), np.zeros((n_steps + 1, n_parks))
    e_floor, e_weighted = np.zeros((n_steps + 1, n_parks)), np.zeros((n_steps + 1, n_parks))
    phi, tail, e_tail = zeros.copy(), zeros.copy(), zeros.copy()
    first = np.zeros(n_parks, dtype=np.int64)  # the oldest cohort on the ramp
    serviced_at, sold_at = firsts.copy(), firsts.copy()  # where the counts ended
    # This step's per-park values, across the offer.
    room, e_room, base_room, base_floor = zeros.copy(), zeros.copy(), zeros.copy(), zeros.copy()
    waiting, total_room, offered = zeros.copy(), zeros.copy(), zeros.copy()
    now, n_reclaimed = zeros.copy(), zeros.copy()
    # The draw's tables: per park a 0, then the running sums along its queue, in the
    # columns slot[k] … slot[k] + size[k]; one table a column, so that a quarter's
    # look-ups of a park read neighbouring entries.
    slots = firsts + np.arange(n_parks)
    n_tables = len(TABLES) + n_phases
    tables = np.zeros((sizes.sum() + n_parks, n_tables))
    # (else they are laid out again for each draw)
    same_tables = q_capacity.shape[0] == 1 and q_phases.shape[0] == 1
    earning_acc = np.zeros((max(n_phases, 1), n_parks))  # floor × own revenue sold so far
    entry_floor = np.zeros(parcel_of.size)  # floor of a phase of each queue entry
    entry_phases = np.zeros(parcel_of.size, dtype=np.int64)  # … and its phases (≤ J)
    # The draw's own revenue per parcel, copied in order: read in queue order straight
    # from the (D, P) array, most reads would miss the cache.
    own_revenue = np.zeros(q_revenue.shape[1])

    running = np.zeros(n_tables)  # the running sums of one park's queue

    def lay_out(d: int) -> None:
        """Lay out draw ``d``'s tables (the area's only for the first draw stepped: it is fixed)."""
        rq = row(q_capacity, d)
        for k in range(n_parks):
            c = slots[k]
            running[:] = 0.0
            tables[c, _AREA if d == draws[0] else _CAPACITY :] = 0.0
            for entry in range(firsts[k], firsts[k] + sizes[k]):
                c += 1
                i = parcel_of[entry]
                capacity, phases = q_capacity[rq, i], q_phases[rq, i]
                floor = capacity / phases
                entry_floor[entry], entry_phases[entry] = floor, min(n_phases, int(phases))
                if d == draws[0]:
                    running[_AREA] += q_area[i]
                    tables[c, _AREA] = running[_AREA]
                running[_CAPACITY] += capacity
                tables[c, _CAPACITY] = running[_CAPACITY]
                for j in range(min(n_phases, int(phases))):  # the phases it has
                    running[len(TABLES) + j] += floor
                for j in range(n_phases):
                    tables[c, len(TABLES) + j] = running[len(TABLES) + j]

    def earn_sold(d: int, k: int, sold: float, now: float) -> None:
        """Add the floor × own revenue of park ``k``'s sales ``sold … now − 1`` (rounds too)."""
        for n in range(int(sold), int(now)):
            entry = firsts[k] + n % sizes[k]
            own = own_revenue[parcel_of[entry]]
            if np.isnan(own):
                own = rpm[d, k]
            value = entry_floor[entry] * own
            for j in range(entry_phases[entry]):
                earning_acc[j, k] += value

    def at(table: int, k: int, n: float) -> float:
        """Sum of table ``table`` over park ``k``'s first ``n`` parcels sold."""
        if not repeat:  # n ≤ the queue's size
            return float(tables[slots[k] + int(n), table])
        rounds, rest = split(n, sizes[k])
        whole = tables[slots[k] + sizes[k], table] if rounds > 0 else 0.0
        return float(rounds * whole + tables[slots[k] + rest, table])

    def within(k: int, x: float, repeat: bool, hint: IntArray) -> float:
        """Parcels of park ``k``'s queue whose cumulative area is ≤ ``x`` (rounds too).

        ``hint[k]`` is where the last count of the same kind ended: the budget and the
        land sold only grow, so a queue that is not sold round and round is searched
        onwards from there (the search moves a few parcels a quarter).
        """
        size = sizes[k]
        if size == 0:
            return 0.0
        lo, hi = firsts[k], firsts[k] + size
        if repeat:
            rounds = np.floor(max(x, 0.0) / totals[k])
            x = x - rounds * totals[k]
            while lo < hi:  # the first entry > x (searchsorted, side="right")
                mid = (lo + hi) // 2
                if positions[mid] <= x:
                    lo = mid + 1
                else:
                    hi = mid
            return float(rounds * size + (lo - firsts[k]))
        if hint[k] > lo and positions[hint[k] - 1] <= x:
            lo = hint[k]
        while lo < hi and positions[lo] <= x:
            lo += 1
        hint[k] = lo
        return float(lo - firsts[k])

    def book(kind: int, step: float, k: int, value: float) -> None:
        """Add ``value`` to the draw's schedule at ``step`` when it is within the horizon."""
        if step < n_steps and value != 0.0:
            sched[kind, int(step), k] += value

    def book_committed(d: int) -> None:
        """Book the committed projects' sales, land payments and phases, known up front."""
        rc, rr = row(c_capacity, d), row(c_revenue, d) if has_earning else 0
        for c in range(c_park.size):
            k = c_park[c]
            capacity = c_capacity[rc, c]
            book(_SOLD, c_sold[d, c], k, capacity)
            book(_LAND, c_sold[d, c], k, c_area[c] * prices[d, k])
            floor = capacity / c_phases[c]
            own = c_revenue[rr, c] if has_earning else 0.0
            if has_earning and np.isnan(own):
                own = rpm[d, k]
            for j in range(int(c_phases[c])):
                begun = c_start[d, c] + begins[d, k, j]
                tau, delta = taus[d, k, j], deltas[d, k, j]
                book(_STARTED, begun, k, floor)
                book(_TOPPED, begun + tau, k, floor)
                book(_COMPLETED, begun + delta, k, floor)
                if has_earning:  # applicants: floor weighted by its revenue
                    book(_EARNING, begun + delta, k, floor * own)
                # Construction is spent evenly over the δ steps begun … begun + δ − 1.
                book(_SPEND, begun, k, floor * costs[d, k] / delta)
                book(_SPEND, begun + delta, k, -floor * costs[d, k] / delta)

    def ramp_room(u: int, k: int, ceiling: float, ramp: float) -> None:
        """Room of park ``k``'s cohorts completed by step ``u``, from running sums.

        While a cohort's room per m² is the ramp ``ρ`` (``ceiling − o ≥ ρ``) it fills
        ``φ·ρ`` a step, so its occupancy is ``ρ·(Φ − Φ_q)``, with ``Φ`` the running
        sum of the park's shares φ and ``Φ_q`` its value when the cohort completed;
        once ``ceiling − o < ρ`` its room shrinks by ``1 − φ`` a step, for good.
        Cohorts leave the ramp in the order they completed, so the park's room is
        ``ρ ×`` the floor of the cohorts still on the ramp (the newest ones) plus the
        room ``Z`` (``tail``) of the others, which shrinks by ``1 − φ`` a step (in the
        fill). Cohorts leaving in a step join ``Z`` with room ``Σ F_q·(ceiling −
        ρ·(Φ − Φ_q))``, from running sums of ``F_q`` and ``F_q·Φ_q``. The floor
        weighted by its own revenue (``e_*``) fills alike.
        """
        new, e_new = sched[_COMPLETED, u, k], sched[_EARNING, u, k]
        start[u, k] = phi[k]
        floor_sum[u + 1, k] = new + floor_sum[u, k]
        weighted[u + 1, k] = new * phi[k] + weighted[u, k]
        e_floor[u + 1, k] = e_new + e_floor[u, k]
        e_weighted[u + 1, k] = e_new * phi[k] + e_weighted[u, k]
        # A cohort has left the ramp once Φ − Φ_q > ceiling/ρ − 1; Φ_q grows with q.
        # With no ramp, cohorts leave as they complete.
        finite = np.isfinite(ramp)
        limit = ceiling / ramp - 1.0 if finite else -1.0
        rho = ramp if finite else 0.0
        old = f = first[k]
        while f <= u and start[f, k] < phi[k] - limit:
            f += 1
        if f != old:
            leaving = floor_sum[f, k] - floor_sum[old, k]
            phis = weighted[f, k] - weighted[old, k]
            tail[k] += (ceiling - rho * phi[k]) * leaving + rho * phis
            leaving = e_floor[f, k] - e_floor[old, k]
            phis = e_weighted[f, k] - e_weighted[old, k]
            e_tail[k] += (ceiling - rho * phi[k]) * leaving + rho * phis
            first[k] = f
        room[k] = rho * (floor_sum[u + 1, k] - floor_sum[f, k]) + tail[k]
        e_room[k] = rho * (e_floor[u + 1, k] - e_floor[f, k]) + e_tail[k]

    def offer(waiting: float) -> None:
        """Share the city's waiting demand out to parks by the logit, into ``offered``."""
        top = -np.inf
        for k in range(n_parks):
            if np.isfinite(attractiveness[k]) and total_room[k] > 0 and attractiveness[k] > top:
                top = attractiveness[k]
        if not np.isfinite(top):
            top = 0.0
        weights = 0.0
        for k in range(n_parks):
            offered[k] = 0.0
            if np.isfinite(attractiveness[k]) and total_room[k] > 0:
                offered[k] = np.exp(attractiveness[k] - top) * total_room[k] ** room_weight
            weights += offered[k]
        for k in range(n_parks):
            offered[k] = max(waiting, 0.0) * offered[k] / weights if weights > 0 else 0.0

    for d in range(draws[0], draws[1]):
        if d == draws[0] or not same_tables:
            lay_out(d)
        sched[:] = 0.0
        book_committed(d)
        if has_earning:
            own_revenue[:] = q_revenue[row(q_revenue, d)]
        serviced_at[:] = firsts
        sold_at[:] = firsts
        for k in range(n_parks):
            budget[k] = pointer[k] = rejoined[k] = backlog[k] = 0.0
            started[k] = topped[k] = completed[k] = occupied[k] = 0.0
            spending[k] = sold_committed[k] = area_sold[k] = n_sold[k] = earned[k] = 0.0
            phi[k] = tail[k] = e_tail[k] = 0.0
            first[k] = 0
            base_occupied[k] = base_occupied0[d, k]
            base = base_completed[d, k]
            vacancy = 1.0 - base_occupied[k] / base if base > 0 else 0.0
            feedback[k] = feedback_factor(v_elastic[d, k], v_target[d, k], vacancy)
            # Growth by quarter, (1 + g) ** (t / 4), one quarter's factor at a time.
            growth[k], growth_q[k] = 1.0, (1.0 + rpm_growth[d, k]) ** 0.25
            other[k], other_q[k] = other_revenue[d, k], (1.0 + other_growth[d, k]) ** 0.25
        phase_sold[:] = 0.0
        earning_sold[:] = 0.0
        earning_acc[:] = 0.0
        o[:] = 0.0
        pool_backlog = 0.0

        for u in range(n_steps):
            t = u - offset  # quarter index from the base year's Q1
            y = t // 4 if t >= 0 else -1
            w = y if yearly else t  # the column of out written
            for k in range(n_parks):
                # 1. Servicing, in queue order under the cumulative budget.
                if y >= 0:
                    budget[k] += supply[d, k, y]
                n_serviced = within(k, budget[k] + SLACK_M2, False, serviced_at)
                prefix = at(_AREA, k, n_serviced)

                # 2. Sale at the take-up rate, within the serviced prefix (or, once all
                # of it is serviced, the land taken back by last quarter).
                whole = prefix >= totals[k] - SLACK_M2
                reachable = totals[k] + rejoined[k] if whole else prefix
                if y >= 0:
                    out[_O_TAKE_UP, d, w, k] = feedback[k]
                    rate = take_up[d, k, y] * feedback[k] if feedback[k] > 0 else 0.0
                    pointer[k] = min(pointer[k] + rate, reachable)
                counted = within(k, pointer[k] + SLACK_M2, repeat, sold_at)
                now[k] = counted if whole else min(counted, n_serviced)
                sold_path[u, k] = now[k]
                n_reclaimed[k] = 0.0
                if repeat and reclaims[d, k] and u >= backs[d, k]:
                    n_reclaimed[k] = sold_path[int(max(u - backs[d, k], 0.0)), k]
                if keep:
                    paths[0, d, u, k] = now[k]
                    paths[1, d, u, k] = n_reclaimed[k]
                    paths[2, d, u, k] = budget[k]

                # 3. A sale books its phases: start after the lag, one a top-out apart.
                if now[k] != n_sold[k]:
                    building = not reclaims[d, k]
                    if has_earning:
                        earn_sold(d, k, n_sold[k], now[k])
                    for j in range(n_phases):
                        floor_j = at(len(TABLES) + j, k, now[k])
                        new = floor_j - phase_sold[j, k]
                        phase_sold[j, k] = floor_j
                        weighted_j = earning_acc[j, k] if has_earning else 0.0
                        earning_new = weighted_j - earning_sold[j, k]
                        earning_sold[j, k] = weighted_j
                        if not building:
                            continue
                        begun = u + lags[d, k] + begins[d, k, j]
                        tau, delta = taus[d, k, j], deltas[d, k, j]
                        spend = new * costs[d, k] / delta
                        book(_STARTED, begun, k, new)
                        book(_TOPPED, begun + tau, k, new)
                        book(_COMPLETED, begun + delta, k, new)
                        book(_SPEND, begun, k, spend)
                        book(_SPEND, begun + delta, k, -spend)
                        if has_earning:
                            book(_EARNING, begun + delta, k, earning_new)
                    n_sold[k] = now[k]
                sold_area = at(_AREA, k, now[k])
                land = prices[d, k] * (sold_area - area_sold[k]) + sched[_LAND, u, k]
                area_sold[k] = sold_area
                sold_committed[k] += sched[_SOLD, u, k]
                started[k] += sched[_STARTED, u, k]
                spending[k] += sched[_SPEND, u, k]
                topped[k] += sched[_TOPPED, u, k]
                finished = sched[_COMPLETED, u, k]
                completed[k] += finished
                if t >= 0:
                    out[_O_INVESTMENT, d, w, k] += spending[k] + finished * fitouts[d, k] + land

                # 4. Occupancy: the room of every cohort completed so far.
                ceiling, ramp = ceilings[d, k], ramps[d, k]
                if record:
                    room[k] = e_room[k] = 0.0
                    for q in range(u + 1):
                        cut = max(min(ceiling - o[q, k], ramp), 0.0)
                        room[k] += sched[_COMPLETED, q, k] * cut
                        e_room[k] += sched[_EARNING, q, k] * cut
                else:
                    ramp_room(u, k, ceiling, ramp)
                base_floor[k] = base_completed[d, k]
                if t >= base_done[d, k]:
                    base_floor[k] += base_building[d, k]
                base_room[k] = max(0.0, ceiling * base_floor[k] - base_occupied[k])
                waiting[k] = backlog[k] + (demand[d, k, y] if y >= 0 else 0.0)
                total_room[k] = room[k] + base_room[k]

            # The city's offer, then what each park takes: its own demand first.
            pool_waiting = 0.0
            if has_pool:
                pool_waiting = pool_backlog + (pool[d, y] if y >= 0 else 0.0)
                offer(pool_waiting)
            placed_from_pool = 0.0
            for k in range(n_parks):
                ceiling, ramp = ceilings[d, k], ramps[d, k]
                # Negative net absorption places nothing and waits in the backlog.
                own = max(waiting[k], 0.0)
                takes = min(total_room[k], own + offered[k] if has_pool else own)
                share = takes / total_room[k] if total_room[k] > 0 else 0.0
                own = min(own, takes)
                placed_from_pool += takes - own
                if record:
                    for q in range(u + 1):
                        o[q, k] += max(min(ceiling - o[q, k], ramp), 0.0) * share
                    if t >= 0:
                        for q in range(n_steps):
                            history[d, k, q, t] = o[q, k]
                else:
                    phi[k] += share
                    tail[k] *= 1.0 - share
                    e_tail[k] *= 1.0 - share
                occupied[k] += share * room[k]
                earned[k] += share * e_room[k]
                base_occupied[k] += share * base_room[k]
                backlog[k] = waiting[k] - own

                # 5. Vacancy feedback for the next quarter's take-up.
                park_completed = completed[k] + base_floor[k]
                park_occupied = occupied[k] + base_occupied[k]
                vacancy = 0.0
                if v_elastic[d, k] != 0.0 and park_completed > 0:
                    vacancy = 1.0 - park_occupied / park_completed
                if v_elastic[d, k] != 0.0:  # (else the factor stays 1)
                    feedback[k] = feedback_factor(v_elastic[d, k], v_target[d, k], vacancy)
                if repeat:
                    rejoined[k] = at(_AREA, k, n_reclaimed[k])
                if t < 0:
                    continue

                # 6. Money and people: the quarter's flows, then (by year: at Q4 only)
                # the stocks.
                grow = growth[k] / 4.0
                growth[k] *= growth_q[k]
                rate_now = rpm[d, k] * grow
                other_now = other[k]
                other[k] *= other_q[k]
                base_revenue = base_occupied[k] * rate_now
                floor_revenue = earned[k] * grow if has_earning else occupied[k] * rate_now
                out[_O_REVENUE, d, w, k] += floor_revenue + base_revenue + other_now / 4.0
                out[_O_REVENUE_OTHER, d, w, k] += other_now / 4.0
                out[_O_BASE_REVENUE, d, w, k] += base_revenue
                if yearly and t % 4 != 3:
                    continue
                other_workers = other_now / per_workers[d, k] if per_workers[d, k] > 0 else 0.0
                held = at(_CAPACITY, k, now[k]) - at(_CAPACITY, k, n_reclaimed[k])
                held += sold_committed[k]
                sold_base = base_completed[d, k] + base_building[d, k]
                out[_O_SOLD, d, w, k] = held + sold_base
                out[_O_STARTED, d, w, k] = started[k] + sold_base
                out[_O_TOPPED, d, w, k] = topped[k] + base_floor[k]
                out[_O_COMPLETED, d, w, k] = park_completed
                out[_O_OCCUPIED, d, w, k] = park_occupied
                out[_O_BASE_COMPLETED, d, w, k] = base_floor[k]
                out[_O_BASE_OCCUPIED, d, w, k] = base_occupied[k]
                out[_O_WORKERS, d, w, k] = park_occupied / m2pw[d, k] + other_workers
                out[_O_WORKERS_OTHER, d, w, k] = other_workers
                out[_O_BACKLOG, d, w, k] = backlog[k]
                if keep:
                    paths[3, d, t, k] = grow
            if has_pool:
                pool_backlog = pool_waiting - placed_from_pool
                if t >= 0:
                    unplaced[d, w] = pool_backlog
