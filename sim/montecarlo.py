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

import numpy as np
import numpy.typing as npt

from sim.applicants import admit, apply_admission
from sim.demand import chain_demand
from sim.distributions import Distribution
from sim.inputs import PARK_FIELDS, Inputs
from sim.scenario import Gate, Scenario, park_assumption

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
    if chain is not None and isinstance(chain.city_revenue_growth, Distribution):
        # The economy's growth drawn once per draw; the parks' demand follows from it.
        growth = chain.city_revenue_growth.sample(rng, draws)
        demand = chain_demand(chain, inputs.park_ids, n_years, growth=growth)
    market = scenario.market
    if market is not None and market.demand_sd > 0:
        common = rng.standard_normal((draws, 1, n_years))
        own = rng.standard_normal((draws, n_parks, n_years))
        rho = market.correlation
        z = math.sqrt(rho) * common + math.sqrt(1.0 - rho) * own
        sd = market.demand_sd
        demand = demand * np.exp(sd * z - sd * sd / 2)  # mean-one lognormal factor
    if market is not None and market.demand_level_sd > 0:
        common = rng.standard_normal((draws, 1, 1))
        own = rng.standard_normal((draws, n_parks, 1))
        rho = market.correlation
        z = math.sqrt(rho) * common + math.sqrt(1.0 - rho) * own
        sd = market.demand_level_sd
        demand = demand * np.exp(sd * z - sd * sd / 2)  # one level for the whole horizon
    if market is not None and market.build_speed_sd > 0:
        sd = market.build_speed_sd
        speed = np.exp(sd * rng.standard_normal((draws, 1)) - sd * sd / 2)  # shared, mean one
        # Builders are faster or slower; the contract (its lag, the idle-land clock) is
        # signed as written, so slow builders leave land idle.
        for name in ("start_lag_years", "topout_years", "duration_years"):
            park[name] = np.broadcast_to(park[name], (draws, n_parks)) / speed
    out = replace(
        inputs,
        park=park,
        land_supply_m2=supply,
        take_up_m2=take_up,
        demand_m2=demand,
        committed_start=committed_start,
        committed_floor=committed_floor,
    )
    spec = scenario.applicants
    if spec is not None and spec.gate is not Gate.NONE and inputs.parcel_revenue_per_m2 is None:
        # Drawn last, so a scenario without a gate keeps every other draw as it was.
        out = apply_admission(out, admit(scenario, out, rng, draws=draws))
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
