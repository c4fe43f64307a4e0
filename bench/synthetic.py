"""Synthetic sites for benchmarks: engine inputs of any size, without geometry.

``synthetic_inputs(parcels, years, draws)`` lays out ``parks`` parks of equal parcel
counts with areas of 1–8 ha, plot-ratio caps of 1.2–4, a queue, land servicing that
covers most parcels over the years, a take-up rate below it (so serviced land waits),
phases that top out before they complete, a base-year stock, vacancy feedback on
take-up, and demand that fills only part of what is built — every stage of the
quarterly model (docs/MODEL.md) does work. With several draws, durations, lags and
demand are sampled.
"""

from __future__ import annotations

import numpy as np

from sim.engine import PARK_FIELDS, Inputs

BASE_YEAR = 2012


def synthetic_inputs(
    parcels: int,
    years: int,
    draws: int = 1,
    *,
    parks: int = 20,
    lag: float = 1.0,
    seed: int = 0,
) -> Inputs:
    """Build engine inputs for a synthetic site.

    Parameters
    ----------
    parcels, years, draws
        Sizes of the three axes.
    parks
        Number of parks (parcels are split evenly).
    lag
        Start lag in years (0 lets parcels start in the quarter they are sold); the
        contracted lag is the same.
    seed
        Seed of the layout and of the sampled parameters.

    Returns
    -------
    sim.engine.Inputs
    """
    rng = np.random.default_rng(seed)
    parks = min(parks, parcels)
    park_of = np.sort(rng.integers(0, parks, parcels))
    area = rng.uniform(1e4, 8e4, parcels)
    far_max = rng.choice([1.2, 2.0, 3.0, 4.0], parcels)
    park_area = np.bincount(park_of, weights=area, minlength=parks)
    point = {
        "plot_ratio": 2.0,
        "start_lag_years": lag,
        "contract_lag_years": lag,
        "topout_years": 2.0,
        "duration_years": 3.0,
        "max_floor_per_phase": 1.5e5,
        "occupancy_ramp_years": 3.0,
        "occupancy_ceiling": 0.85,
        "revenue_per_m2": 15_800.0,
        "revenue_growth": 0.085,
        "land_price": 600.0,
        "construction_cost": 5_600.0,
        "fitout_cost": 1_000.0,
        "m2_per_worker": 38.0,
        "base_floor_completed": 2e5,
        "base_floor_occupied": 1.6e5,
        "base_floor_under_construction": 5e4,
        "base_completion_years": 1.0,
        "other_revenue": 1e9,
        "other_revenue_growth": 0.05,
        "revenue_per_worker": 1e6,
        "vacancy_target": 0.15,
        "vacancy_elasticity": 1.0,
    }
    assert set(point) == set(PARK_FIELDS)
    park = {name: np.full((1, parks), value) for name, value in point.items()}
    supply = np.repeat((park_area / max(years, 1) * 0.8)[None, :, None], years, axis=2)
    demand = np.repeat((park_area * 1.2 / max(years, 1))[None, :, None], years, axis=2)
    demand = np.maximum(demand, 1.5e5)
    take_up = supply * 0.75  # developers buy less land than is serviced
    if draws > 1:
        park["duration_years"] = rng.triangular(2.5, 3.0, 3.5, (draws, parks))
        park["topout_years"] = park["duration_years"] * 2.0 / 3.0
        park["start_lag_years"] = rng.choice([0.0, 0.5, 1.0, 2.0], (draws, parks))
        park["contract_lag_years"] = park["start_lag_years"]
        shocks = rng.lognormal(-(0.25**2) / 2, 0.25, (draws, parks, years))
        demand = demand * shocks
        supply = np.repeat(supply, draws, axis=0)
        take_up = np.repeat(take_up, draws, axis=0)
    return Inputs(
        name=f"synthetic {parcels:,} parcels",
        years=np.arange(BASE_YEAR, BASE_YEAR + years),
        park_ids=tuple(f"park{k}" for k in range(parks)),
        # Ids as short as a real site's (``astype(str)`` alone gives 21 characters each).
        parcel_ids=np.arange(parcels).astype(f"<U{len(str(parcels))}"),
        parcel_park=park_of.astype(np.int64),
        area_m2=area,
        far_max=far_max,
        queue_rank=np.arange(parcels, dtype=np.int64),
        committed_start=np.full((1, parcels), np.nan),
        committed_floor=np.zeros((1, parcels)),
        committed_phases=np.zeros(parcels, dtype=np.int64),
        park=park,
        land_supply_m2=supply,
        take_up_m2=take_up,
        demand_m2=demand,
    )
