"""Each parcel's history, rebuilt from the per-park paths, compiled (docs/MODEL.md).

``per-park paths ──rebuild──▶ per-parcel series and event quarters``. The quarterly loop
(:mod:`sim.quarterly`) never touches a parcel: it keeps, per draw, step and park, the
queue entries sold and taken back, the servicing budget, and the occupancy per m² of
every completion cohort. A parcel's history follows from those and its place in its
park's queue, one parcel at a time, in one pass over the steps:

1. **Sales.** The ``n``-th entry of a queue of ``size`` parcels is parcel
   ``n mod size``, so a parcel at place ``i`` has been sold ``⌊(n − i − 1) / size⌋ + 1``
   times once ``n > i`` entries are (once at most without reclaiming); taken back
   likewise. A committed project is sold in its quarter of sale and never taken back.
2. **Events.** The last sale fixes the start (after the park's lag, unless that sale is
   taken back before it starts) and from it every phase's start, top-out and
   completion; serviced is the first step the budget covers the parcel's queue area.
3. **Stages** in every step, counted from the start: phases started, topped out,
   completed (phase ``j`` starts when phase ``j − 1`` tops out).
4. **Occupancy.** Each phase fills as its completion cohort does, per m²; revenue is
   occupancy × revenue per m² (the parcel's own, or its park's) × growth.
5. **Money and land.** Investment: the land in the quarter of a sale, construction over
   each phase's build, fit-out at completion. Idle and reclaimable from the contracted
   start of the sale held; reclaimed in the quarter land is taken back.

numpy would spend this on about a hundred whole-array passes over blocks of parcels,
with temporaries, and then copy each block into place; compiled, each parcel's values
are written once, straight into the outputs (by year when asked), and threads can
rebuild separate parcels side by side (the GIL is released). ``tests/oracle.py`` is
the same model written plainly, and the engine equals it (``tests/test_buildout.py``).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from sim.quarterly import OUTPUTS, SLACK_M2, Committed, Parks, Queue, compiled, row

__all__ = ["EVENTS", "FLAGS", "SERIES", "Places", "count_phases", "rebuild"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

#: The float series :func:`rebuild` writes, ``(len(SERIES), D, T, P)``: the parks' own
#: floor, revenue and investment outputs, per parcel. Stocks at the end of the period,
#: except ``revenue_cny`` and ``investment_cny``, flows of the period.
SERIES = OUTPUTS[: OUTPUTS.index("investment_cny") + 1]
_REVENUE = SERIES.index("revenue_cny")  # the series from here on are flows

#: The flags :func:`rebuild` writes, ``(len(FLAGS), D, T, P)``, at the end of the period.
FLAGS = ("idle", "reclaimable")

#: The event steps :func:`rebuild` writes, ``(len(EVENTS), D, P)``.
EVENTS = ("serviced", "sold", "first_sold", "contract", "start", "completion", "reclaim")


@compiled
def count_phases(since: float, offset: float, tau: float, n_phases: float) -> float:
    """Of ``n_phases`` phases, those at least ``offset`` quarters past their own start.

    ``since``: quarters since the first phase started.

    When every phase takes ``tau`` quarters to top out, phase ``i`` starts at ``i·τ``:
    the count is a clipped floor.

    Examples
    --------
    >>> [count_phases(s, 0.0, 2.0, 3.0) for s in (-1.0, 0.0, 1.0, 2.0, 9.0)]
    [0.0, 1.0, 1.0, 2.0, 3.0]
    """
    raw = np.floor((since - offset) / tau) + 1.0
    return float(min(max(raw, 0.0), n_phases))


class Places(NamedTuple):
    """Where each parcel stands: its park and its place in the park's queue."""

    park: IntArray  # (P,)
    place: IntArray  # (P,) place in its park's queue (0 for committed projects)
    position: FloatArray  # (P,) the queue's area up to and with it (0 for committed)
    committed: BoolArray  # (P,) a committed project
    c_parcels: IntArray  # (C,) ascending: the committed projects' parcels


@compiled
def rebuild(  # noqa: C901 - a parcel's steps in order
    parks: Parks,
    queue: Queue,
    committed: Committed,
    places: Places,
    contract_lag: FloatArray,
    paths: FloatArray,
    history: FloatArray,
    timing: tuple[int, float, float, bool, bool],
    series: FloatArray,
    flags: BoolArray,
    reclaimed: IntArray,
    events: FloatArray,
    before: FloatArray,
    parcels: tuple[int, int],
) -> None:
    """Rebuild the histories of parcels ``parcels[0] … parcels[1] − 1`` in every draw.

    Parameters
    ----------
    parks, queue, committed
        What :func:`sim.quarterly.step_all` stepped.
    places
        Each parcel's park and place in its queue.
    contract_lag
        ``(D, K)`` quarters from a sale to its contracted start.
    paths, history
        What :func:`sim.quarterly.step_all` kept: ``(4, D, S, K)`` entries sold, taken
        back, the servicing budget and revenue growth ÷ 4; ``(D, K, S, T)`` occupancy
        per m² of each completion cohort. Without a history kept (``(4, 0, 0, 0)``,
        ``(0, 0, 0, 0)``), only ``before`` is written, for the committed projects
        ``c_parcels[parcels[0]] … c_parcels[parcels[1] − 1]``.
    timing
        ``(offset, idle_q, reclaim_q, repeat, uniform)``: steps simulated before the
        base year's Q1; quarters from the contracted start to idle and to reclaimable;
        some park sells its queue round and round; every phase takes its park's times.
    series, flags, reclaimed
        Written: ``(len(SERIES), D, T, P)``, ``(len(FLAGS), D, T, P)`` and ``(D, T,
        P)`` (1 in a quarter land is taken back), quarter by quarter from the base
        year's Q1; or with ``Y`` periods instead of ``T``, by year: stocks at Q4, flows
        and ``reclaimed`` summed over the year's quarters.
    events
        Written: ``(len(EVENTS), D, P)``, quarter indices from the base year's Q1, NaN
        where not reached by the horizon.
    before
        ``(D, P)``: the investment in each committed project before the base year,
        written for committed projects only.
    parcels
        The parcels to rebuild ``(first, last + 1)``; only their columns are written,
        so threads can rebuild separate parcels at once.
    """
    # (Fields of a tuple are unpacked once: read in the loop, each costs a reference count.)
    lags, reclaiming, prices, costs, fitouts = (
        parks.lag, parks.reclaiming, parks.price, parks.cost, parks.fitout
    )  # fmt: skip
    park_revenue, taus, deltas, begins = parks.revenue_per_m2, parks.tau, parks.delta, parks.begin
    sizes, area, q_capacity, q_phases, q_revenue = (
        queue.size, queue.area, queue.capacity, queue.n_phases, queue.revenue
    )  # fmt: skip
    c_capacity, c_phases, c_start, c_sold = (
        committed.capacity, committed.n_phases, committed.start, committed.sold
    )  # fmt: skip
    park_of, place_of, position_of, is_committed, c_parcels = (
        places.park, places.place, places.position, places.committed, places.c_parcels
    )  # fmt: skip
    offset, idle_q, reclaim_q, repeat, uniform = timing

    record = history.shape[0] > 0
    n_draws, n_built = lags.shape[0], begins.shape[2]
    n_quarters = history.shape[3] if record else 0
    n_steps = offset + n_quarters
    annual = record and series.shape[2] != n_quarters
    has_own = q_revenue.shape[0] > 0
    sold_path, taken_path, budget_path, rate_path = paths[0], paths[1], paths[2], paths[3]
    sales, taken = np.zeros(max(n_steps, 1)), np.zeros(max(n_steps, 1))
    for d in range(n_draws):
        rq, rc, rr = row(q_capacity, d), row(c_capacity, d), row(q_revenue, d) if has_own else 0
        rp = row(q_phases, d)
        c = np.searchsorted(c_parcels, parcels[0]) if record else parcels[0]
        for i in range(parcels[0], parcels[1]):
            p = i if record else c_parcels[i]
            k, mine = park_of[p], is_committed[p]
            lag, clag = lags[d, k], contract_lag[d, k]

            # 1. Sales and land taken back, by the end of each step.
            if mine:
                n_phases, capacity = c_phases[c], c_capacity[rc, c]
                sold_at, start = c_sold[d, c], c_start[d, c]
                c += 1
                for s in range(n_steps):
                    sales[s] = 1.0 if s >= sold_at else 0.0
                    taken[s] = 0.0
            else:
                n_phases, capacity = q_phases[rp, p], q_capacity[rq, p]
                start = np.nan
                place, size = float(place_of[p]), max(float(sizes[k]), 1.0)
                for s in range(n_steps):
                    reached, back = sold_path[d, s, k] - place, taken_path[d, s, k] - place
                    if repeat:
                        sales[s] = np.floor((reached - 1.0) / size) + 1.0 if reached > 0 else 0.0
                        taken[s] = np.floor((back - 1.0) / size) + 1.0 if back > 0 else 0.0
                    else:
                        sales[s] = 1.0 if reached > 0 else 0.0
                        taken[s] = 1.0 if back > 0 else 0.0
            floor = capacity / n_phases
            n_sales, n_taken = sales[n_steps - 1], taken[n_steps - 1]

            # 2. Events: the first step each count reaches its level.
            below_last, below_one, below_taken, unserviced = 0, 0, 0, 0
            for s in range(n_steps):
                if sales[s] < n_sales:
                    below_last += 1
                if sales[s] < 1.0:
                    below_one += 1
                if taken[s] < n_taken:
                    below_taken += 1
                if not mine and budget_path[d, s, k] + SLACK_M2 < position_of[p]:
                    unserviced += 1
            last_sale = float(below_last) if n_sales > 0 and below_last < n_steps else np.nan
            first_sale = float(below_one) if n_sales > 0 and below_one < n_steps else np.nan
            if not mine:
                start = last_sale + lag if n_taken < n_sales else np.nan
            last = min(max(int(n_phases) - 1, 0), n_built - 1)
            latest = begins[d, k, 0] + deltas[d, k, 0]
            for j in range(1, last + 1):
                latest = max(latest, begins[d, k, j] + deltas[d, k, j])
            if record:
                serviced = float(unserviced) if unserviced < n_steps else np.nan
                found = (
                    first_sale if mine else serviced,
                    last_sale,
                    first_sale,
                    start if mine else last_sale + clag,
                    start,
                    start + latest,
                    float(below_taken) if n_taken > 0 and below_taken < n_steps else np.nan,
                )
                for e in range(len(EVENTS)):  # from the base year's Q1, by the horizon
                    shifted = found[e] - offset
                    events[e, d, p] = shifted if shifted <= n_quarters - 1 else np.nan

            # 3–5, step by step.
            spent, rise = 0.0, 0.0  # investment before the base year; the step of the sale held
            price, cost, fitout = prices[d, k], costs[d, k], fitouts[d, k]
            tau, delta = taus[d, k, 0], deltas[d, k, 0]
            own = park_revenue[d, k]
            if has_own and not np.isnan(q_revenue[rr, p]):
                own = q_revenue[rr, p]
            for s in range(n_steps):
                since = s - start
                sales_before, taken_before = (sales[s - 1], taken[s - 1]) if s else (0.0, 0.0)
                started, topped, completed, done_before, building = 0.0, 0.0, 0.0, 0.0, 0.0
                if not np.isnan(start):
                    if uniform:
                        started = count_phases(since, 0.0, tau, n_phases)
                        topped = count_phases(since, tau, tau, n_phases)
                        completed = count_phases(since, delta, tau, n_phases)
                        done_before = count_phases(since, delta + 1.0, tau, n_phases)
                        building = (started - completed) / delta
                    else:
                        for j in range(min(int(n_phases), n_built)):
                            b, t, dl = begins[d, k, j], taus[d, k, j], deltas[d, k, j]
                            began, finished = since >= b, since >= b + dl
                            if began:
                                started += 1.0
                            if since >= b + t:
                                topped += 1.0
                            if finished:
                                completed += 1.0
                            if since - 1.0 >= b + dl:
                                done_before += 1.0
                            if began and not finished:
                                building += 1.0 / dl
                bought = sales[s] - sales_before > 0
                spend = area[p] * price if bought else 0.0
                spend += building * floor * cost
                spend += (completed - done_before) * floor * fitout
                if bought:
                    rise = float(s)
                if s < offset:
                    spent = spend if s == 0 else spent + spend
                    continue

                q = s - offset
                occupied = 0.0
                for j in range(min(int(n_phases), n_built)):
                    done = start + begins[d, k, j] + deltas[d, k, j]
                    if done < n_steps:
                        occupied += floor * history[d, k, int(done), q]
                revenue = occupied * (rate_path[d, q, k] * own)
                holding = sales[s] > taken_before and not mine
                holding = holding and (reclaiming[d, k] or not start <= s)
                current = rise if repeat else last_sale
                age = s - (current + clag)
                values = (
                    capacity if sales[s] > taken[s] else 0.0,
                    started * floor,
                    topped * floor,
                    completed * floor,
                    occupied,
                    revenue,
                    spend,
                )
                if not annual:
                    for v in range(len(SERIES)):
                        series[v, d, q, p] = values[v]
                    flags[0, d, q, p] = holding and age >= idle_q
                    flags[1, d, q, p] = holding and age >= reclaim_q
                    reclaimed[d, q, p] = 1 if taken[s] > taken_before else 0
                    continue
                y, quarter = q // 4, q % 4
                if quarter == 3:  # stocks at the year's end
                    for v in range(_REVENUE):
                        series[v, d, y, p] = values[v]
                    flags[0, d, y, p] = holding and age >= idle_q
                    flags[1, d, y, p] = holding and age >= reclaim_q
                for v in range(_REVENUE, len(SERIES)):  # flows summed over its quarters
                    flow = values[v] if quarter == 0 else series[v, d, y, p] + values[v]
                    series[v, d, y, p] = flow
                back = 1 if taken[s] > taken_before else 0
                reclaimed[d, y, p] = back if quarter == 0 else reclaimed[d, y, p] + back
            if mine and offset > 0:
                before[d, p] = spent
