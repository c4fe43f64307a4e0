"""A plain, per-parcel, per-year Python implementation of the build-out model.

The oracle for :mod:`sim.engine`: written for clarity, not speed, straight from the
rules in the engine's module docstring, with loops over draws, years, parks and
parcels. Tests check that the vectorised engine agrees with it exactly; the benchmark
measures how much faster the engine is.
"""

from __future__ import annotations

import math

import numpy as np

from sim.engine import Inputs

EPS = 1e-6


def oracle(inputs: Inputs) -> dict[str, np.ndarray]:
    """Simulate ``inputs`` parcel by parcel; return per-parcel arrays.

    Returns
    -------
    dict
        ``release``, ``first_start``, ``completion`` ``(D, P)`` and the series
        ``floor_completed_m2 … workers`` ``(D, Y, P)``.
    """
    years = [int(y) for y in inputs.years]
    n_draws, n_parcels = inputs.draws, inputs.parcel_ids.size
    out = {
        name: np.zeros((n_draws, len(years), n_parcels))
        for name in (
            "floor_completed_m2", "floor_under_construction_m2", "floor_occupied_m2",
            "revenue_cny", "investment_cny", "workers_persons",
        )
    }  # fmt: skip
    out["release"] = np.full((n_draws, n_parcels), np.nan)
    out["first_start"] = np.full((n_draws, n_parcels), np.nan)
    out["completion"] = np.full((n_draws, n_parcels), np.nan)
    out["reclaim"] = np.full((n_draws, n_parcels), np.nan)
    out["first_release"] = np.full((n_draws, n_parcels), np.nan)
    for d in range(n_draws):
        _one_draw(inputs, d, years, out)
    return out


def _param(inputs: Inputs, name: str, d: int, k: int) -> float:
    values = inputs.park[name]
    return float(values[d if values.shape[0] > 1 else 0, k])


def _yearly(values: np.ndarray, d: int, k: int, t: int) -> float:
    return float(values[d if values.shape[0] > 1 else 0, k, t])


# The oracle spells the model's rules out as one plain loop, on purpose: what it gains in
# obviousness it would lose split into helpers, so it is exempt from the complexity limit.
def _one_draw(  # noqa: C901
    inputs: Inputs, d: int, years: list[int], out: dict[str, np.ndarray]
) -> None:
    n_parks = len(inputs.park_ids)
    parcels = range(inputs.parcel_ids.size)
    park_of = [int(k) for k in inputs.parcel_park]

    # Capacity and phases.
    floor_per_phase, n_phases = {}, {}
    for p in parcels:
        k = park_of[p]
        if math.isfinite(inputs.committed_start[p]):
            capacity = float(inputs.committed_floor[p])
            phases = int(inputs.committed_phases[p])
        else:
            ratio = _param(inputs, "plot_ratio", d, k)
            cap = inputs.far_max[p]
            far = ratio if math.isnan(cap) else min(cap, ratio)
            capacity = float(inputs.area_m2[p]) * far
            phases = math.ceil(capacity / _param(inputs, "max_floor_per_phase", d, k) - 1e-9)
        if capacity <= 0:
            phases = 0
        n_phases[p] = max(phases, 0)
        floor_per_phase[p] = capacity / n_phases[p] if n_phases[p] else 0.0

    # Release, park by park, in queue order.
    queue: dict[int, list[int]] = {k: [] for k in range(n_parks)}
    for p in sorted(parcels, key=lambda p: int(inputs.queue_rank[p])):
        if not math.isfinite(inputs.committed_start[p]):
            queue[park_of[p]].append(p)
    release: dict[int, float] = {}
    for k in range(n_parks):
        cum_area = 0.0
        for p in queue[k]:
            cum_area += float(inputs.area_m2[p])
            supply = 0.0
            for t, year in enumerate(years):
                supply += _yearly(inputs.land_supply_m2, d, k, t)
                if supply >= cum_area - EPS:
                    release[p] = year
                    break
    for p in parcels:
        if math.isfinite(inputs.committed_start[p]) and inputs.committed_start[p] <= years[-1]:
            release[p] = float(inputs.committed_start[p])

    first_release = dict(release)
    reclaimed: dict[int, dict[str, float]] = {}  # parcel → reclaim year, re-release year

    # Starts.
    starts: dict[int, list[float]] = {p: [] for p in parcels}
    for p in parcels:
        if math.isfinite(inputs.committed_start[p]):
            starts[p] = [float(inputs.committed_start[p]) + m for m in range(n_phases[p])]
    for t, year in enumerate(years):
        for k in range(n_parks):
            committed_now = sum(
                floor_per_phase[p]
                for p in parcels
                if park_of[p] == k and math.isfinite(inputs.committed_start[p])
                for s in starts[p]
                if s == year
            )
            room = max(_yearly(inputs.demand_m2, d, k, t) - committed_now, 0.0)
            lag = math.ceil(_param(inputs, "start_lag_years", d, k) - 1e-9)
            used = 0.0
            for p in queue[k]:
                ready = p in release and release[p] + lag <= year
                if not ready or len(starts[p]) >= n_phases[p]:
                    continue
                used += floor_per_phase[p]
                if used > room + EPS:
                    break  # first come, first served: nobody behind may jump the queue
                starts[p].append(float(year))
        if inputs.reclaim_after_years is not None:
            _reclaim(inputs, d, years, t, queue, release, starts, reclaimed)

    # Accounting per parcel and year.
    base = years[0]
    for p in parcels:
        k = park_of[p]
        n_build = math.ceil(_param(inputs, "duration_years", d, k) - 1e-9)
        ramp = _param(inputs, "occupancy_ramp_years", d, k)
        ceiling = _param(inputs, "occupancy_ceiling", d, k)
        floor = floor_per_phase[p]
        done = [s + n_build - 1 for s in starts[p]]
        latest = release.get(p, first_release.get(p))  # taken back, not out again: first
        if latest is not None:
            out["release"][d, p] = latest
        if p in first_release:
            out["first_release"][d, p] = first_release[p]
        if p in reclaimed:
            out["reclaim"][d, p] = reclaimed[p]["year"]
        if starts[p] and min(starts[p]) <= years[-1]:
            out["first_start"][d, p] = min(starts[p])
        if n_phases[p] and len(done) == n_phases[p] and max(done) <= years[-1]:
            out["completion"][d, p] = max(done)
        for t, year in enumerate(years):
            completed = sum(floor for c in done if c <= year)
            building = sum(floor for s, c in zip(starts[p], done, strict=True) if s <= year < c)
            occupied = 0.0
            for c in done:
                if c <= year:
                    share = 1.0 if ramp <= 0 else min(1.0, (year - c) / ramp)
                    occupied += floor * share * ceiling
            growth = (1.0 + _param(inputs, "revenue_growth", d, k)) ** (year - base)
            invest = 0.0
            paid = [first_release.get(p)] + ([reclaimed[p]["again"]] if p in reclaimed else [])
            for when in paid:
                if when == year:
                    invest += float(inputs.area_m2[p]) * _param(inputs, "land_price", d, k)
            for s, c in zip(starts[p], done, strict=True):
                if s <= year <= c:
                    invest += floor / n_build * _param(inputs, "construction_cost", d, k)
                if c == year:
                    invest += floor * _param(inputs, "fitout_cost", d, k)
            out["floor_completed_m2"][d, t, p] = completed
            out["floor_under_construction_m2"][d, t, p] = building
            out["floor_occupied_m2"][d, t, p] = occupied
            out["revenue_cny"][d, t, p] = occupied * _param(inputs, "revenue_per_m2", d, k) * growth
            out["investment_cny"][d, t, p] = invest
            out["workers_persons"][d, t, p] = occupied / _param(inputs, "m2_per_worker", d, k)


def _reclaim(
    inputs: Inputs,
    d: int,
    years: list[int],
    t: int,
    queue: dict[int, list[int]],
    release: dict[int, float],
    starts: dict[int, list[float]],
    reclaimed: dict[int, dict[str, float]],
) -> None:
    """Take back, at the end of year t, land held unstarted for reclaim_after_years."""
    after = inputs.reclaim_after_years
    assert after is not None
    year = years[t]
    for k, members in queue.items():
        # Behind the whole original queue, in reclaim order.
        position = sum(float(inputs.area_m2[p]) for p in members) + sum(
            float(inputs.area_m2[p]) for p in reclaimed if int(inputs.parcel_park[p]) == k
        )
        for p in members:
            if p in reclaimed or p not in release or starts[p]:
                continue
            if year - release[p] < after:
                continue
            position += float(inputs.area_m2[p])
            again = math.nan
            supply = sum(_yearly(inputs.land_supply_m2, d, k, i) for i in range(t + 1))
            for later in range(t + 1, len(years)):
                supply += _yearly(inputs.land_supply_m2, d, k, later)
                if supply >= position - EPS:
                    again = float(years[later])
                    break
            reclaimed[p] = {"year": float(year), "again": again}
            if math.isnan(again):
                del release[p]
            else:
                release[p] = again
