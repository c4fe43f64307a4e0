"""Monte Carlo sampling: deterministic engine inputs in, inputs with a draw axis out.

``(Inputs, Scenario, draws, rng) ──sample_inputs──▶ Inputs`` with a leading draw axis:
every park assumption the scenario gives as a distribution (:mod:`sim.distributions`)
is sampled per park, and the ``[market]`` table multiplies yearly demand by a shared,
correlated, mean-one lognormal factor. Sampling happens once, up front, in a fixed
order (parks, then fields, then the market factor), so results do not depend on how
the engine chunks the draws. :func:`sim.engine.run_ensemble` calls it.

It reads the scenario and the inputs' layout (:mod:`sim.inputs`) and never imports
the engine.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from sim.applicants import admit, apply_admission
from sim.demand import chain_allocation, chain_demand
from sim.distributions import Distribution
from sim.inputs import PARK_FIELDS, Inputs
from sim.scenario import Gate, Scenario, park_assumption

if TYPE_CHECKING:
    from sim.scenario import Market

FloatArray = npt.NDArray[np.float64]

__all__ = ["sample_inputs"]


def sample_inputs(
    inputs: Inputs,
    scenario: Scenario,
    draws: int,
    rng: np.random.Generator,
) -> Inputs:
    """Give deterministic inputs a leading draw axis of sampled park parameters.

    Parameters
    ----------
    inputs
        Point-valued inputs from :func:`sim.engine.prepare` (one draw).
    scenario
        The scenario, whose distributions and ``[market]`` table are sampled.
    draws
        Number of Monte Carlo draws.
    rng
        The run's generator (made once from the seed and passed down).

    Returns
    -------
    Inputs
        Park parameters ``(draws, K)``; yearly land supply and demand ``(draws, K, Y)``.
        Demand is multiplied by the market factor when the scenario has ``[market]``.
        With an ``[applicants]`` gate, each draw's applicants are drawn and admitted
        (:func:`sim.applicants.admit`) and set its take-up and parcel economics.
    """
    n_parks, n_years = len(inputs.park_ids), inputs.years.size
    # Parameters that do not vary keep a draw axis of 1 and broadcast.
    park = dict(inputs.park)
    supply = np.repeat(inputs.land_supply_m2, draws, axis=0)
    demand = np.repeat(inputs.demand_m2, draws, axis=0)
    take_up = np.repeat(inputs.take_up_m2, draws, axis=0)
    yearly = {"land_supply_per_year": supply, "demand_per_year": demand,
              "take_up_per_year": take_up}  # fmt: skip
    for k, park_id in enumerate(inputs.park_ids):
        for name in (*PARK_FIELDS, *yearly):
            value = park_assumption(scenario, park_id, name)
            if not isinstance(value, Distribution):
                continue
            sampled = value.sample(rng, draws)
            if name in yearly:
                # A distribution of a yearly budget scales every year by the same level.
                base = yearly[name][:, k, :]
                level = value.point()
                yearly[name][:, k, :] = (
                    base * (sampled / level)[:, None] if level else sampled[:, None]
                )
            else:
                if park[name].shape[0] != draws:
                    park[name] = np.repeat(park[name], draws, axis=0)
                park[name][:, k] = sampled
    # Where the scenario leaves them out, the contract lag is the start lag and top-out the
    # build time: they follow that field's draws.
    for name, like in (
        ("contract_lag_years", "start_lag_years"),
        ("topout_years", "duration_years"),
    ):
        for k, park_id in enumerate(inputs.park_ids):
            if park_assumption(scenario, park_id, name) is None and park[like].shape[0] == draws:
                if park[name].shape[0] != draws:
                    park[name] = np.repeat(park[name], draws, axis=0)
                park[name][:, k] = park[like][:, k]
    committed_start, committed_floor = _sample_committed(inputs, scenario, draws, rng)
    chain = scenario.demand
    allocation = inputs.allocation
    if chain is not None and isinstance(chain.city_revenue_growth, Distribution):
        # The economy's growth drawn once per draw; the parks' demand follows from it.
        growth = chain.city_revenue_growth.sample(rng, draws)
        demand = chain_demand(chain, inputs.park_ids, n_years, growth=growth)
        allocation = chain_allocation(chain, inputs.park_ids, n_years, growth=growth)
    pool = None if allocation is None else allocation.pool_m2
    market = scenario.market
    if market is not None:
        demand, pool = _market_demand(market, demand, pool, rng)
    speed = np.ones((draws, 1))
    if market is not None and market.build_speed_sd > 0:
        sd = market.build_speed_sd
        speed = np.exp(sd * rng.standard_normal((draws, 1)) - sd * sd / 2)  # shared, mean one
        # Builders are faster or slower; the contract (its lag, the idle-land clock) is
        # signed as written, so slow builders leave land idle.
        for name in ("start_lag_years", "topout_years", "duration_years"):
            park[name] = np.broadcast_to(park[name], (draws, n_parks)) / speed
    if allocation is not None and pool is not None:
        allocation = replace(allocation, pool_m2=np.broadcast_to(pool, (draws, n_years)).copy())
    phase_years = None
    if market is not None and market.per_phase_build_times:
        phase_years = _sample_phases(inputs, scenario, draws, rng, park, speed)
    out = replace(
        inputs,
        park=park,
        land_supply_m2=supply,
        take_up_m2=take_up,
        demand_m2=demand,
        committed_start=committed_start,
        committed_floor=committed_floor,
        allocation=allocation,
        phase_years=phase_years,
    )
    spec = scenario.applicants
    if spec is not None and spec.gate is not Gate.NONE and inputs.parcel_revenue_per_m2 is None:
        # Drawn last, so a scenario without a gate keeps every other draw as it was.
        out = apply_admission(out, admit(scenario, out, rng, draws=draws))
    return out


def _market_demand(
    market: Market, demand: FloatArray, pool: FloatArray | None, rng: np.random.Generator
) -> tuple[FloatArray, FloatArray | None]:
    """Apply ``[market]``'s yearly shocks and demand level to parks' and the city's demand.

    Parks' factors correlate through the city-wide one; the city's demand (shared out
    by a logit) takes the city-wide factor alone.
    """
    draws, n_parks, n_years = demand.shape
    if market.demand_sd > 0:
        common = rng.standard_normal((draws, 1, n_years))
        own = rng.standard_normal((draws, n_parks, n_years))
        rho = market.correlation
        z = math.sqrt(rho) * common + math.sqrt(1.0 - rho) * own
        sd = market.demand_sd
        demand = demand * np.exp(sd * z - sd * sd / 2)  # mean-one lognormal factor
        if pool is not None:  # the city's demand takes the city-wide factor
            pool = pool * np.exp(sd * common[:, 0, :] - sd * sd / 2)
    if market.demand_level_sd > 0:
        common = rng.standard_normal((draws, 1, 1))
        own = rng.standard_normal((draws, n_parks, 1))
        rho = market.correlation
        z = math.sqrt(rho) * common + math.sqrt(1.0 - rho) * own
        sd = market.demand_level_sd
        demand = demand * np.exp(sd * z - sd * sd / 2)  # one level for the whole horizon
        if pool is not None:
            pool = pool * np.exp(sd * common[:, 0, :] - sd * sd / 2)
    return demand, pool


def _sample_phases(
    inputs: Inputs,
    scenario: Scenario,
    draws: int,
    rng: np.random.Generator,
    park: dict[str, FloatArray],
    speed: FloatArray,
) -> dict[str, FloatArray]:
    """Draw every phase's build and top-out times ``(D, K, J)`` (``per_phase_build_times``).

    ``J`` is the most phases a parcel has at the parks' point values; later phases (a
    plot ratio drawn higher) take the last. A distribution is sampled ``J`` times per
    draw; a point value (or one already drawn per draw) serves every phase; a top-out
    time the scenario leaves out is each phase's build time (NaN). Both are divided by
    the build-speed factor.
    """
    n_parks = len(inputs.park_ids)
    ratio = np.asarray(inputs.park["plot_ratio"], dtype=float)[0, inputs.parcel_park]
    capacity = inputs.area_m2 * np.fmin(ratio, inputs.far_max)
    per_phase = np.asarray(inputs.park["max_floor_per_phase"], dtype=float)[0, inputs.parcel_park]
    n_phases = max(
        int(np.ceil(capacity / per_phase).max(initial=1.0)),
        int(inputs.committed_phases.max(initial=1)),
        1,
    )
    out = {}
    for name in ("duration_years", "topout_years"):
        values = np.empty((draws, n_parks, n_phases))
        for k, park_id in enumerate(inputs.park_ids):
            value = park_assumption(scenario, park_id, name)
            if isinstance(value, Distribution):
                drawn = value.sample(rng, draws * n_phases).reshape(draws, n_phases)
                values[:, k, :] = drawn / speed
            elif value is None and name == "topout_years":
                values[:, k, :] = np.nan
            else:  # (the park's value, already divided by the build-speed factor)
                values[:, k, :] = np.broadcast_to(park[name], (draws, n_parks))[:, k, None]
        out[name] = values
    return out


def _sample_committed(
    inputs: Inputs, scenario: Scenario, draws: int, rng: np.random.Generator
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Sample committed projects' start and floor per draw ``(D, P)`` where uncertain."""
    start, floor = inputs.committed_start, inputs.committed_floor
    index = {str(p): i for i, p in enumerate(inputs.parcel_ids)}
    for item in scenario.committed:
        rows = np.array([index[p] for p in item.parcels])
        if isinstance(item.start_year, Distribution):
            if start.shape[0] != draws:
                start = np.repeat(start, draws, axis=0)
            start[:, rows] = item.start_year.sample(rng, draws)[:, None]
        if isinstance(item.floor, Distribution):
            if floor.shape[0] != draws:
                floor = np.repeat(floor, draws, axis=0)
            share = inputs.area_m2[rows] / inputs.area_m2[rows].sum()
            floor[:, rows] = item.floor.sample(rng, draws)[:, None] * share[None, :]
    return start, floor
