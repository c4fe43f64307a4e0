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


def advance(inputs: Inputs, *, record: bool = True) -> Quarters:
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
        return park_param(name)[:, pk]

    def yearly(values: FloatArray) -> FloatArray:  # (D?, K, Y) → (D, K, Y)
        return np.broadcast_to(values, (n_draws, n_parks, n_years)).astype(float)

    def psum(values: npt.ArrayLike) -> FloatArray:  # (D, P) → (D, K)
        flat = np.asarray(values, dtype=float).reshape(-1)
        sums = np.bincount(group, weights=flat, minlength=n_draws * n_parks)
        return np.asarray(sums, dtype=np.float64).reshape(n_draws, n_parks)

    group = (np.arange(n_draws)[:, None] * n_parks + pk[None, :]).reshape(-1)

    # --- parcels: capacity, phases, timing --------------------------------------------
    committed = inputs.committed_phases > 0  # (P,)
    queued = ~committed
    far = np.where(
        np.isnan(inputs.far_max),
        parcel_param("plot_ratio"),
        np.minimum(parcel_param("plot_ratio"), inputs.far_max),
    )
    c_floor = np.broadcast_to(inputs.committed_floor, (n_draws, n_parcels))
    capacity = np.where(committed, c_floor, inputs.area_m2 * far)
    max_phase = parcel_param("max_floor_per_phase")
    n_phases = np.where(
        committed,
        np.maximum(inputs.committed_phases, 1).astype(float),
        np.maximum(1.0, np.ceil(capacity / max_phase)),
    )
    phase_floor = capacity / n_phases
    lag = q_lag(parcel_param("start_lag_years"))
    contract_lag = q_lag(parcel_param("contract_lag_years"))
    tau = q_build(parcel_param("topout_years"))
    delta = np.maximum(tau, q_build(parcel_param("duration_years")))
    c_start_year = np.broadcast_to(inputs.committed_start, (n_draws, n_parcels))
    c_start = np.where(committed, q_lag(c_start_year - base_year), np.nan)
    first = min(0.0, float(np.nanmin(c_start, initial=0.0)))
    offset = int(-first)  # quarters simulated before the base year (projects under way)
    n_steps = offset + n_quarters
    c_start = c_start + offset  # on the step axis
    c_sold = np.maximum(c_start - lag, float(offset))  # sold no earlier than the base year

    # --- the queue: cumulative area in order within each park -------------------------
    order = np.lexsort((inputs.queue_rank, pk))
    order = order[queued[order]]
    area_sorted = inputs.area_m2[order]
    park_sorted = pk[order]
    cum_sorted = np.cumsum(area_sorted)
    park_total = np.bincount(park_sorted, weights=area_sorted, minlength=n_parks)
    park_start = np.concatenate([[0.0], np.cumsum(park_total)[:-1]])
    position = np.full(n_parcels, np.inf)
    position[order] = cum_sorted - park_start[park_sorted]  # cumulative within the park
    position_d = np.broadcast_to(position, (n_draws, n_parcels)).copy()
    # Sorted layout for reclaimed parcels' new positions (park, then queue rank).
    all_order = np.lexsort((inputs.queue_rank, pk))
    all_park = pk[all_order]
    group_first = np.searchsorted(all_park, np.arange(n_parks))

    # --- park parameters --------------------------------------------------------------
    supply = yearly(inputs.land_supply_m2) / 4.0
    take_up = yearly(inputs.take_up_m2) / 4.0
    demand = yearly(inputs.demand_m2) / 4.0
    ceiling_k = park_param("occupancy_ceiling")
    ceiling = ceiling_k[:, pk]
    ramp_years = parcel_param("occupancy_ramp_years")
    rpm_k = park_param("revenue_per_m2")
    growth_k = park_param("revenue_growth")
    m2pw_k = park_param("m2_per_worker")
    land_price = parcel_param("land_price")
    construction_cost = parcel_param("construction_cost")
    fitout_cost = parcel_param("fitout_cost")
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

    def n_started(at: FloatArray | float) -> FloatArray:
        start = ev["start"]
        since = np.asarray(at) - start
        ok = np.isfinite(start) & (since >= 0)
        with np.errstate(invalid="ignore"):
            count = np.floor(np.where(ok, since, 0.0) / tau) + 1.0
        return np.where(ok, np.minimum(count, n_phases), 0.0)

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

    for u in range(n_steps):
        t = u - offset  # quarter index from the base year's Q1
        y = t // 4 if t >= 0 else -1
        here = float(u)

        # 1. Servicing, in queue order under the cumulative budget.
        if y >= 0:
            serviced_budget += supply[:, :, y]
        # (A reclaimed parcel stays serviced; only never-serviced parcels are tested,
        # and their queue position is still the original one.)
        newly = ~serviced & queued & (position_d <= serviced_budget[:, pk] + _EPS)
        serviced |= newly
        ev["serviced"][newly] = here

        # 2. Sale at the take-up rate, never beyond the serviced prefix of the queue.
        # Servicing goes in queue order, so the serviced land is a prefix of the queue.
        prefix = psum(np.where(serviced & queued, inputs.area_m2, 0.0))
        whole = prefix >= park_total[None, :] - _EPS
        reachable = np.where(whole, park_total[None, :] + rejoined, prefix)
        if y >= 0:
            park_out["take_up_factor"][:, t] = feedback
            with np.errstate(invalid="ignore"):  # inf × 0: a feedback of 0 stops all take-up
                rate = np.where(feedback > 0, take_up[:, :, y] * feedback, 0.0)
        else:
            rate = np.zeros((n_draws, n_parks))
        pointer = np.minimum(pointer + rate, reachable)
        buy = ~sold & queued & serviced & (position_d <= pointer[:, pk] + _EPS)
        buy |= committed & ~sold & (c_sold <= here)
        sold |= buy
        ev["sold"][buy] = here
        ev["serviced"] = np.where(buy & committed, here, ev["serviced"])
        ev["first_sold"] = np.where(buy & np.isnan(ev["first_sold"]), here, ev["first_sold"])
        queue_buy = buy & ~committed
        ev["start"] = np.where(queue_buy, here + lag, ev["start"])
        ev["contract"] = np.where(queue_buy, here + contract_lag, ev["contract"])
        land = np.where(buy, inputs.area_m2 * land_price, 0.0)

        # 3. Phases: started, topped out, completed (counts × phase floor).
        started_n = n_started(here)
        topped_n = n_started(here - tau)
        done_n = n_started(here - delta)
        completed = done_n * phase_floor
        finished = (done_n >= n_phases) & np.isnan(ev["completion"]) & (done_n > 0)
        ev["completion"][finished] = here

        # 4. Idle land, from the contracted start; reclaim at the end of the quarter.
        waiting = sold & ~(ev["start"] <= here) & ~committed
        age = here - ev["contract"]
        idle = waiting & (age >= idle_after)
        reclaimable = waiting & (age >= reclaimable_after)
        taken = np.zeros_like(reclaimable)
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
        with np.errstate(divide="ignore", invalid="ignore"):
            ramp = np.where(ramp_years > 0, ceiling * completed / (4.0 * ramp_years), np.inf)
        room = np.maximum(0.0, np.minimum(ceiling * completed - occupied, ramp))
        base_floor = base_completed + np.where(t >= base_done, base_building, 0.0)
        base_room = np.maximum(0.0, ceiling_k * base_floor - base_occupied)
        waiting_demand = backlog + (demand[:, :, y] if y >= 0 else 0.0)
        total_room = psum(room) + base_room
        with np.errstate(divide="ignore", invalid="ignore"):
            # Negative net absorption places nothing and waits in the backlog.
            share = np.where(total_room > 0, np.clip(waiting_demand / total_room, 0.0, 1.0), 0.0)
        occupied = occupied + share[:, pk] * room
        base_occupied = base_occupied + share * base_room
        backlog = waiting_demand - share * total_room

        # 6. Money: revenue (floor-driven and other), investment.
        grow = (1.0 + growth_k) ** (t / 4.0)
        revenue = occupied * (rpm_k * grow)[:, pk] / 4.0
        building = started_n - done_n  # phases begun in the δ quarters up to this one
        construction = building * phase_floor * construction_cost / delta
        fitout = (done_n - n_started(here - 1.0 - delta)) * phase_floor * fitout_cost
        investment = land + construction + fitout

        # 7. Vacancy feedback for the next quarter's take-up.
        park_completed = psum(completed) + base_floor
        park_occupied = psum(occupied) + base_occupied
        with np.errstate(divide="ignore", invalid="ignore"):
            vacancy = np.where(park_completed > 0, 1.0 - park_occupied / park_completed, 0.0)
        feedback = np.clip(1.0 - v_elastic * (vacancy - v_target), 0.0, 1.0)

        if t < 0:
            before_base += investment
            continue
        other = other_revenue * (1.0 + other_growth) ** (t / 4.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            other_workers = np.where(per_worker > 0, other / per_worker, 0.0)
        sold_floor = np.where(sold | (committed & (c_sold <= here)), capacity, 0.0)
        stocks = {
            "floor_sold_m2": sold_floor,
            "floor_started_m2": started_n * phase_floor,
            "floor_topped_out_m2": topped_n * phase_floor,
            "floor_completed_m2": completed,
            "floor_occupied_m2": occupied,
            "revenue_cny": revenue,
            "investment_cny": investment,
        }
        for name, values in stocks.items():
            park_out[name][:, t] = psum(values)
            if record:
                parcel_out[name][:, t] = values
        base_revenue = base_occupied * rpm_k * grow / 4.0
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
        if record:
            parcel_out["idle"][:, t] = idle
            parcel_out["reclaimable"][:, t] = reclaimable
            parcel_out["reclaimed"][:, t] = taken

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
