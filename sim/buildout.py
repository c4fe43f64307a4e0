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

Every array has a leading draw axis; per-parcel state is ``(D, P)``, per-park state
``(D, K)``. The only Python loop is over quarters; nothing loops over parcels or draws.
``tests/oracle_quarterly.py`` is the same model written plainly, one parcel at a time,
and the engine equals it on random cases (``tests/test_buildout.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from sim.inputs import Inputs

__all__ = ["Quarters", "advance", "q_build", "q_lag"]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

_EPS = 1e-6  # m²: cumulative areas are compared with this slack


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


def _to_parcels(values: FloatArray, pk: npt.NDArray[np.int64]) -> FloatArray:
    """Spread per-park values ``(D, K)`` to parcels ``(D, P)``."""
    if values.shape[0] == 1:  # ``take`` of one row is ~8× faster than fancy indexing
        return np.asarray(values[0].take(pk)[None, :], dtype=np.float64)
    return np.asarray(values[:, pk], dtype=np.float64)


def _park_summer(
    pk: npt.NDArray[np.int64], n_draws: int, n_parks: int
) -> Callable[[npt.ArrayLike], FloatArray]:
    """Make a function summing per-parcel values ``(D, P)`` per park ``(D, K)``."""
    n_parcels = pk.size
    starts = np.searchsorted(pk, np.arange(n_parks))
    if n_parcels and np.all(pk[1:] >= pk[:-1]) and np.all(np.diff([*starts, n_parcels]) > 0):
        # Parcels sorted by park, no park empty: contiguous sums, ~10× faster than bincount.
        def by_runs(values: npt.ArrayLike) -> FloatArray:
            array = np.broadcast_to(np.asarray(values, dtype=float), (n_draws, n_parcels))
            return np.asarray(np.add.reduceat(array, starts, axis=1), dtype=np.float64)

        return by_runs
    group = (np.arange(n_draws)[:, None] * n_parks + pk[None, :]).reshape(-1)

    def by_count(values: npt.ArrayLike) -> FloatArray:
        flat = np.broadcast_to(np.asarray(values, dtype=float), (n_draws, n_parcels)).reshape(-1)
        sums = np.bincount(group, weights=flat, minlength=n_draws * n_parks)
        return np.asarray(sums, dtype=np.float64).reshape(n_draws, n_parks)

    return by_count


def _sell(
    buy: BoolArray,
    sold: BoolArray,
    ev: dict[str, FloatArray],
    here: float,
    *,
    committed: BoolArray,
    c_sold: FloatArray,
    lag: FloatArray,
    contract_lag: FloatArray,
    land_cost: FloatArray,
) -> FloatArray | float:
    """Book this quarter's sales in place (committed projects too); return land paid."""
    any_committed = bool(committed.any())
    if any_committed:
        buy |= committed & ~sold & (c_sold <= here)
    if not buy.any():
        return 0.0
    sold |= buy
    ev["sold"][buy] = here
    queue_buy = buy
    if any_committed:
        ev["serviced"][buy & committed] = here
        queue_buy = buy & ~committed
    ev["first_sold"][buy & np.isnan(ev["first_sold"])] = here
    np.copyto(ev["start"], here + lag, where=queue_buy)
    np.copyto(ev["contract"], here + contract_lag, where=queue_buy)
    return np.where(buy, land_cost, 0.0)


def _phase_counts(
    since: FloatArray,
    tau: FloatArray,
    delta: FloatArray,
    n_phases: FloatArray,
    *,
    previous: FloatArray | None,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Phases started, topped out, completed now and completed a quarter ago.

    ``since`` is quarters since the start (NaN: not started; overwritten). Starts and
    quarters are whole numbers, so topped(t) = started(t − τ) is one count less. A
    quarter ago's count is ``previous`` (the last call's) when given: a start set since
    lies in the future, so it counts 0 at both.
    """
    step = np.floor(since / tau)
    started = _clip_count(step + 1.0, n_phases)
    topped = _clip_count(step, n_phases)
    del step
    since -= delta
    if previous is None:
        previous = _phases_by(since - 1.0, tau, n_phases)
    return started, topped, _phases_by(since, tau, n_phases), previous


def _complete(
    done: FloatArray, n_phases: FloatArray, pending: BoolArray, completion: FloatArray, here: float
) -> None:
    """Date parcels whose last phase completed this quarter (in place)."""
    finished = done >= n_phases  # (n_phases ≥ 1)
    finished &= pending
    if finished.any():
        completion[finished] = here
        pending &= ~finished


def _idle_flags(
    sold: BoolArray,
    ev: dict[str, FloatArray],
    here: float,
    committed: BoolArray,
    idle_after: float,
    reclaimable_after: float,
) -> tuple[BoolArray, BoolArray]:
    """Sold, unstarted queued parcels idle and reclaimable, from the contracted start."""
    waiting = sold & ~(ev["start"] <= here)
    waiting &= ~committed
    age = here - ev["contract"]
    return waiting & (age >= idle_after), waiting & (age >= reclaimable_after)


def _clip_count(count: FloatArray, n_phases: FloatArray) -> FloatArray:
    """Clip phase counts to ``0 … n`` in place; NaN (not started) becomes 0."""
    np.fmax(count, 0.0, out=count)
    return np.fmin(count, n_phases, out=count)


def _phases_by(since: FloatArray, tau: FloatArray, n_phases: FloatArray) -> FloatArray:
    """``n_started`` of docs/MODEL.md from quarters since the start (NaN: not started).

    ``since`` is overwritten (it is a temporary of the caller's).
    """
    np.divide(since, tau, out=since)
    np.floor(since, out=since)
    since += 1.0
    return _clip_count(since, n_phases)


@dataclass(frozen=True)
class Quarters:
    """What :func:`advance` found, quarter by quarter from the base year's Q1.

    Attributes
    ----------
    parcel
        Per-parcel series ``(D, T, P)`` (only when recorded): ``floor_sold_m2,
        floor_started_m2, floor_topped_out_m2, floor_completed_m2, floor_occupied_m2``
        (stocks at the end of the quarter), ``revenue_cny, investment_cny`` (flows of
        the quarter), ``idle, reclaimable`` (bool at the end of the quarter) and
        ``reclaimed`` (taken back in the quarter).
    park
        Per-park series ``(D, T, K)`` of the same stocks and flows over the park's
        parcels and its base stock, plus ``base_completed_m2, base_occupied_m2,
        base_revenue_cny, revenue_other_cny, workers_persons, workers_other_persons,
        backlog_m2`` and ``take_up_factor`` (the vacancy feedback on take-up).
    events
        Per-parcel quarter indices ``(D, P)`` (NaN where not reached): ``serviced,
        sold, first_sold, contract, start, completion, reclaim`` (the latest).
    investment_before_base
        Investment spent on each parcel before the base year ``(D, P)``.
    capacity_m2
        Floor each parcel holds ``(D, P)``.
    """

    parcel: dict[str, npt.NDArray[np.generic]]
    park: dict[str, FloatArray]
    events: dict[str, FloatArray]
    investment_before_base: FloatArray
    capacity_m2: FloatArray


def advance(inputs: Inputs, *, record: bool = True) -> Quarters:  # noqa: C901 - the model step, stage by stage
    """Run the quarterly model of docs/MODEL.md on prepared inputs.

    Parameters
    ----------
    inputs
        The arrays of docs/MODEL.md, with any number of draws.
    record
        Keep every parcel's quarterly history (``Quarters.parcel``); without it only
        per-park series are kept, so memory grows with draws × parcels, not × quarters.

    Returns
    -------
    Quarters
    """
    n_draws = inputs.draws
    n_parks, n_parcels = len(inputs.park_ids), inputs.parcel_ids.size
    n_years = inputs.years.size
    n_quarters = 4 * n_years
    pk = inputs.parcel_park
    base_year = float(inputs.years[0])

    def park_param(name: str) -> FloatArray:
        return np.broadcast_to(inputs.park[name], (n_draws, n_parks)).astype(float)

    def parcel_param(name: str) -> FloatArray:
        return _to_parcels(park_param(name), pk)

    def to_parcels(values: FloatArray) -> FloatArray:  # (D, K) → (D, P)
        return _to_parcels(values, pk)

    def yearly(values: FloatArray) -> FloatArray:  # (D?, K, Y) → (D, K, Y)
        return np.broadcast_to(values, (n_draws, n_parks, n_years)).astype(float)

    psum = _park_summer(pk, n_draws, n_parks)  # (D, P) → (D, K)

    # --- parcels: capacity, phases, timing --------------------------------------------
    committed = inputs.committed_phases > 0  # (P,)
    queued = ~committed
    any_committed = bool(committed.any())
    # fmin skips NaN: a parcel without a cap takes the park's plot ratio.
    capacity = inputs.area_m2 * np.fmin(parcel_param("plot_ratio"), inputs.far_max)
    n_phases = np.ceil(capacity / parcel_param("max_floor_per_phase"))
    np.maximum(n_phases, 1.0, out=n_phases)
    c_start = np.full((n_draws, n_parcels), np.nan)
    if any_committed:
        c_floor = np.broadcast_to(inputs.committed_floor, (n_draws, n_parcels))
        capacity = np.where(committed, c_floor, capacity)
        c_phases = np.maximum(inputs.committed_phases, 1).astype(float)
        n_phases = np.where(committed, c_phases, n_phases)
        c_start_year = np.broadcast_to(inputs.committed_start, (n_draws, n_parcels))
        c_start = np.where(committed, q_lag(c_start_year - base_year), np.nan)
    phase_floor = capacity / n_phases
    # Quarters are found per park, then spread to parcels.
    lag = to_parcels(q_lag(park_param("start_lag_years")))
    contract_lag = to_parcels(q_lag(park_param("contract_lag_years")))
    tau_k = q_build(park_param("topout_years"))
    tau = to_parcels(tau_k)
    delta = to_parcels(np.maximum(tau_k, q_build(park_param("duration_years"))))
    first = min(0.0, float(np.nanmin(c_start, initial=0.0)))
    offset = int(-first)  # quarters simulated before the base year (projects under way)
    n_steps = offset + n_quarters
    c_start = c_start + offset  # on the step axis
    c_sold = np.maximum(c_start - lag, float(offset))  # sold no earlier than the base year

    # --- the queue: cumulative area in order within each park -------------------------
    all_order = np.lexsort((inputs.queue_rank, pk))
    order = all_order[queued[all_order]]
    area_sorted = inputs.area_m2[order]
    park_sorted = pk[order]
    cum_sorted = np.cumsum(area_sorted)
    park_total = np.bincount(park_sorted, weights=area_sorted, minlength=n_parks)
    park_start = np.concatenate([[0.0], np.cumsum(park_total)[:-1]])
    position = np.full(n_parcels, np.inf)
    position[order] = cum_sorted - park_start[park_sorted]  # cumulative within the park
    position_d = np.broadcast_to(position, (n_draws, n_parcels)).copy()
    # Sorted layout for reclaimed parcels' new positions (park, then queue rank).
    all_park = pk[all_order]
    group_first = np.searchsorted(all_park, np.arange(n_parks))

    # --- park parameters --------------------------------------------------------------
    supply = yearly(inputs.land_supply_m2) / 4.0
    take_up = yearly(inputs.take_up_m2) / 4.0
    demand = yearly(inputs.demand_m2) / 4.0
    ceiling_k = park_param("occupancy_ceiling")
    ceiling = to_parcels(ceiling_k)
    ramp_years = park_param("occupancy_ramp_years")
    with np.errstate(divide="ignore"):
        # The most a building fills in a quarter, per m² of occupiable floor (inf: no limit).
        ramp_per_q = to_parcels(np.where(ramp_years > 0, 1.0 / (4.0 * ramp_years), np.inf))
    has_ramp = bool(np.any(ramp_years > 0))
    rpm_k = park_param("revenue_per_m2")
    # applicants: a parcel's own revenue per m² (admitted pledges × shortfall, base-year
    # prices) replaces the park's where given (NaN: the park's); sim/applicants.py
    rpm_own = inputs.parcel_revenue_per_m2
    rpm_p = None if rpm_own is None else np.where(np.isnan(rpm_own), to_parcels(rpm_k), rpm_own)
    growth_k = park_param("revenue_growth")
    m2pw_k = park_param("m2_per_worker")
    land_cost = inputs.area_m2 * parcel_param("land_price")
    # Construction is spread evenly over a phase's δ quarters; fit-out falls at completion.
    build_per_q = phase_floor * parcel_param("construction_cost") / delta
    fitout_per_phase = phase_floor * parcel_param("fitout_cost")
    base_completed = park_param("base_floor_completed")
    base_building = park_param("base_floor_under_construction")
    # The base floor under construction completes like a phase started in the base
    # year's first quarter: in the completed stock from quarter q_build(years).
    base_done = q_build(park_param("base_completion_years"))
    other_revenue = park_param("other_revenue")
    other_growth = park_param("other_revenue_growth")
    per_worker = park_param("revenue_per_worker")
    v_target = park_param("vacancy_target")
    v_elastic = park_param("vacancy_elasticity")
    idle_after = float(q_lag(inputs.idle_after_years))
    reclaimable_after = float(q_lag(inputs.reclaim_after_years))

    # --- state ------------------------------------------------------------------------
    nan = np.full((n_draws, n_parcels), np.nan)
    serviced = np.zeros((n_draws, n_parcels), dtype=bool)
    sold = np.zeros((n_draws, n_parcels), dtype=bool)
    event_names = ("serviced", "sold", "first_sold", "contract", "start", "completion", "reclaim")
    ev = {name: nan.copy() for name in event_names}
    # A committed project's start and contract are known from the outset (it may have
    # started before the base year, before its land is booked as sold).
    ev["start"] = np.where(committed, c_start, np.nan)
    ev["contract"] = ev["start"].copy()
    occupied = np.zeros((n_draws, n_parcels))
    serviced_budget = np.zeros((n_draws, n_parks))
    pointer = np.zeros((n_draws, n_parks))  # W: cumulative sold area along the queue
    appended = np.zeros((n_draws, n_parks))  # area of reclaimed parcels queued again
    rejoined = np.zeros((n_draws, n_parks))  # … of which may be sold from this quarter
    backlog = np.zeros((n_draws, n_parks))
    base_occupied = np.broadcast_to(park_param("base_floor_occupied"), (n_draws, n_parks)).copy()
    before_base = np.zeros((n_draws, n_parcels))
    # Vacancy before the first step: the base stock (its floor under construction not yet
    # complete) with its tenants.
    with np.errstate(divide="ignore", invalid="ignore"):
        vacancy0 = np.where(base_completed > 0, 1.0 - base_occupied / base_completed, 0.0)
    feedback = np.clip(1.0 - v_elastic * (vacancy0 - v_target), 0.0, 1.0)

    park_names = ("floor_sold_m2", "floor_started_m2", "floor_topped_out_m2",
                  "floor_completed_m2", "floor_occupied_m2", "revenue_cny", "investment_cny",
                  "base_completed_m2", "base_occupied_m2", "revenue_other_cny",
                  "workers_persons", "workers_other_persons", "backlog_m2",
                  "base_revenue_cny", "take_up_factor")  # fmt: skip
    park_out = {name: np.zeros((n_draws, n_quarters, n_parks)) for name in park_names}
    parcel_names = park_names[:7]  # the stocks and flows every parcel has
    parcel_out: dict[str, npt.NDArray[np.generic]] = {}
    if record:
        parcel_out = {name: np.zeros((n_draws, n_quarters, n_parcels)) for name in parcel_names}
        parcel_out["idle"] = np.zeros((n_draws, n_quarters, n_parcels), dtype=bool)
        parcel_out["reclaimable"] = np.zeros((n_draws, n_quarters, n_parcels), dtype=bool)
        parcel_out["reclaimed"] = np.zeros((n_draws, n_quarters, n_parcels), dtype=bool)

    pending_service = np.broadcast_to(queued, (n_draws, n_parcels)).copy()  # never serviced
    pending_completion = np.ones((n_draws, n_parcels), dtype=bool)
    prefix = np.zeros((n_draws, n_parks))
    track_idle = record or inputs.reclaim_idle
    idle = reclaimable = np.zeros((n_draws, n_parcels), dtype=bool)
    done_before: FloatArray | None = None  # phases completed by the previous quarter

    for u in range(n_steps):
        t = u - offset  # quarter index from the base year's Q1
        y = t // 4 if t >= 0 else -1
        here = float(u)

        # 1. Servicing, in queue order under the cumulative budget.
        if y >= 0:
            serviced_budget += supply[:, :, y]
        # (A reclaimed parcel stays serviced; only never-serviced parcels are tested,
        # and their queue position is still the original one.)
        newly = position_d <= to_parcels(serviced_budget + _EPS)
        newly &= pending_service
        if newly.any():
            serviced |= newly
            pending_service &= ~newly
            ev["serviced"][newly] = here
            # Servicing goes in queue order, so the serviced land is a prefix of the queue.
            prefix = psum(np.where(serviced, inputs.area_m2, 0.0))

        # 2. Sale at the take-up rate, never beyond the serviced prefix of the queue.
        whole = prefix >= park_total[None, :] - _EPS
        reachable = np.where(whole, park_total[None, :] + rejoined, prefix)
        if y >= 0:
            park_out["take_up_factor"][:, t] = feedback
            with np.errstate(invalid="ignore"):  # inf × 0: a feedback of 0 stops all take-up
                rate = np.where(feedback > 0, take_up[:, :, y] * feedback, 0.0)
        else:
            rate = np.zeros((n_draws, n_parks))
        pointer = np.minimum(pointer + rate, reachable)
        buy = position_d <= to_parcels(pointer + _EPS)
        buy &= serviced  # (serviced parcels are queued ones)
        buy &= ~sold
        land = _sell(buy, sold, ev, here, committed=committed, c_sold=c_sold,
                     lag=lag, contract_lag=contract_lag, land_cost=land_cost)  # fmt: skip

        # 3. Phases: started, topped out, completed (counts × phase floor).
        started_n, topped_n, done_n, done_before = _phase_counts(
            here - ev["start"], tau, delta, n_phases, previous=done_before
        )
        completed = done_n * phase_floor
        _complete(done_n, n_phases, pending_completion, ev["completion"], here)

        # 4. Idle land, from the contracted start; reclaim at the end of the quarter.
        taken: BoolArray | None = None  # taken back this quarter
        if track_idle:
            idle, reclaimable = _idle_flags(
                sold, ev, here, committed, idle_after, reclaimable_after
            )
        if inputs.reclaim_idle and reclaimable.any():
            taken = reclaimable
            sold &= ~taken
            ev["reclaim"][taken] = here
            ev["start"][taken] = np.nan  # its last contract quarter is kept
            area_taken = np.where(taken, inputs.area_m2, 0.0)[:, all_order]
            running = np.cumsum(area_taken, axis=1)
            before = np.where(group_first > 0, running[:, np.maximum(group_first - 1, 0)], 0.0)
            within = running - before[:, all_park]
            new_pos = park_total[all_park][None, :] + appended[:, all_park] + within
            pos_sorted = position_d[:, all_order]
            pos_sorted = np.where(taken[:, all_order], new_pos, pos_sorted)
            position_d[:, all_order] = pos_sorted
            appended += psum(np.where(taken, inputs.area_m2, 0.0))
        rejoined = appended.copy()  # from the next quarter these may be sold

        # 5. Occupancy from demand, in proportion to each building's room.
        ready = ceiling * completed
        room = ready - occupied
        if has_ramp:
            with np.errstate(invalid="ignore"):  # 0 × inf where nothing is complete
                np.fmin(room, ready * ramp_per_q, out=room)
        del ready
        np.maximum(room, 0.0, out=room)
        base_floor = base_completed + np.where(t >= base_done, base_building, 0.0)
        base_room = np.maximum(0.0, ceiling_k * base_floor - base_occupied)
        waiting_demand = backlog + (demand[:, :, y] if y >= 0 else 0.0)
        total_room = psum(room) + base_room
        with np.errstate(divide="ignore", invalid="ignore"):
            # Negative net absorption places nothing and waits in the backlog.
            share = np.where(total_room > 0, np.clip(waiting_demand / total_room, 0.0, 1.0), 0.0)
        room *= to_parcels(share)
        occupied += room
        del room
        base_occupied = base_occupied + share * base_room
        backlog = waiting_demand - share * total_room

        # 6. Money: revenue (floor-driven and other), investment.
        grow = (1.0 + growth_k) ** (t / 4.0)
        investment = started_n - done_n  # phases begun in the δ quarters up to this one
        investment *= build_per_q
        fitout = done_n - done_before
        fitout *= fitout_per_phase
        investment += fitout
        investment += land
        del fitout, land
        done_before = done_n

        # 7. Vacancy feedback for the next quarter's take-up.
        parcels_completed = psum(completed)
        parcels_occupied = psum(occupied)
        park_completed = parcels_completed + base_floor
        park_occupied = parcels_occupied + base_occupied
        with np.errstate(divide="ignore", invalid="ignore"):
            vacancy = np.where(park_completed > 0, 1.0 - park_occupied / park_completed, 0.0)
        feedback = np.clip(1.0 - v_elastic * (vacancy - v_target), 0.0, 1.0)

        if t < 0:
            before_base += investment
            continue
        other = other_revenue * (1.0 + other_growth) ** (t / 4.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            other_workers = np.where(per_worker > 0, other / per_worker, 0.0)
        on_sold = sold | (committed & (c_sold <= here)) if any_committed else sold
        sold_floor = np.where(on_sold, capacity, 0.0)
        rate_now = rpm_k * grow / 4.0
        started_floor = started_n * phase_floor
        topped_floor = topped_n * phase_floor
        park_out["floor_sold_m2"][:, t] = psum(sold_floor)
        park_out["floor_started_m2"][:, t] = psum(started_floor)
        park_out["floor_topped_out_m2"][:, t] = psum(topped_floor)
        park_out["floor_completed_m2"][:, t] = parcels_completed
        park_out["floor_occupied_m2"][:, t] = parcels_occupied
        # applicants: per parcel where parcels have their own revenue per m²
        parcel_rate = to_parcels(rate_now) if rpm_p is None else rpm_p * to_parcels(grow) / 4.0
        parcel_revenue = occupied * parcel_rate
        park_out["revenue_cny"][:, t] = (
            parcels_occupied * rate_now if rpm_p is None else psum(parcel_revenue)
        )
        park_out["investment_cny"][:, t] = psum(investment)
        if record:
            parcel_out["floor_sold_m2"][:, t] = sold_floor
            parcel_out["floor_started_m2"][:, t] = started_floor
            parcel_out["floor_topped_out_m2"][:, t] = topped_floor
            parcel_out["floor_completed_m2"][:, t] = completed
            parcel_out["floor_occupied_m2"][:, t] = occupied
            parcel_out["revenue_cny"][:, t] = parcel_revenue  # applicants: per parcel
            parcel_out["investment_cny"][:, t] = investment
            parcel_out["idle"][:, t] = idle
            parcel_out["reclaimable"][:, t] = reclaimable
            if taken is not None:
                parcel_out["reclaimed"][:, t] = taken
        del sold_floor, started_floor, topped_floor, started_n, topped_n, completed
        base_revenue = base_occupied * rate_now
        park_out["floor_completed_m2"][:, t] += base_floor
        park_out["floor_occupied_m2"][:, t] += base_occupied
        park_out["floor_started_m2"][:, t] += base_completed + base_building
        park_out["floor_topped_out_m2"][:, t] += base_floor
        park_out["floor_sold_m2"][:, t] += base_completed + base_building
        park_out["revenue_cny"][:, t] += base_revenue + other / 4.0
        park_out["base_completed_m2"][:, t] = base_floor
        park_out["base_occupied_m2"][:, t] = base_occupied
        park_out["revenue_other_cny"][:, t] = other / 4.0
        park_out["workers_persons"][:, t] = park_occupied / m2pw_k + other_workers
        park_out["workers_other_persons"][:, t] = other_workers
        park_out["backlog_m2"][:, t] = backlog
        park_out["base_revenue_cny"][:, t] = base_revenue

    def relative(values: FloatArray) -> FloatArray:
        # Quarter indices from the base year's Q1; NaN where not reached by the horizon
        # (a start scheduled after it).
        shifted = values - offset
        return np.where(shifted <= n_quarters - 1, shifted, np.nan)

    return Quarters(
        parcel=parcel_out,
        park=park_out,
        events={name: relative(values) for name, values in ev.items()},
        investment_before_base=before_base,
        capacity_m2=capacity,
    )
