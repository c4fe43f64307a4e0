"""Shared uncertainty and quarterly time in Monte Carlo runs (issue 11).

- A city-wide demand level and construction speed, one factor per draw, shared by
  every park (``[market] demand_level_sd``, ``build_speed_sd``).
- With symmetric inputs, the deterministic run lies inside its own P10–P90 and close to
  the P50: durations are resolved to the quarter, not rounded up to whole years.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sim.engine import prepare
from sim.montecarlo import sample_inputs
from sim.outcome import compute
from tests.conftest import load_inputs, tiny_toml


def test_demand_level_is_one_factor_per_draw_shared_by_parks(write_scenario) -> None:
    path = write_scenario(tiny_toml(extra="[market]\ndemand_level_sd = 0.3\ncorrelation = 1\n"))
    scenario, site = load_inputs(path)
    inputs = prepare(scenario, site)
    sampled = sample_inputs(inputs, scenario, 4000, np.random.default_rng(3))
    factor = sampled.demand_m2 / inputs.demand_m2  # (D, K, Y)
    # One level for the whole horizon and, with correlation 1, for every park.
    assert np.allclose(factor, factor[:, :1, :1])
    assert abs(factor[:, 0, 0].mean() - 1.0) < 0.03  # mean one
    assert abs(np.log(factor[:, 0, 0]).std() - 0.3) < 0.02


def test_build_speed_scales_every_build_time_alike_but_not_contracts(write_scenario) -> None:
    path = write_scenario(tiny_toml(extra="[market]\nbuild_speed_sd = 0.2\n"))
    scenario, site = load_inputs(path)
    inputs = prepare(scenario, site)
    sampled = sample_inputs(inputs, scenario, 500, np.random.default_rng(5))
    ratio = {
        name: inputs.park[name][0, 0] / np.broadcast_to(sampled.park[name], (500, 2))[:, 0]
        for name in ("start_lag_years", "topout_years", "duration_years")
    }
    np.testing.assert_allclose(ratio["duration_years"], ratio["topout_years"])
    np.testing.assert_allclose(ratio["duration_years"], ratio["start_lag_years"])
    assert ratio["duration_years"].std() > 0.1  # it does vary between draws
    contract = np.broadcast_to(sampled.park["contract_lag_years"], (500, 2))[:, 0]
    assert np.all(contract == inputs.park["contract_lag_years"][0, 0])


def test_deterministic_run_lies_inside_its_band_with_symmetric_inputs(
    write_scenario, tiny_dir: Path
) -> None:
    text = tiny_toml(
        (
            "duration_years = 2",
            'duration_years = { dist = "triangular", min = 1.5, mode = 2, max = 2.5 }',
        ),
        (
            "start_lag_years = 1",
            'start_lag_years = { dist = "triangular", min = 0.5, mode = 1, max = 1.5 }',
        ),
    )
    outcome = compute(*load_inputs(write_scenario(text)), draws=2000, seed=9)
    assert outcome.ensemble is not None
    years = outcome.result.years
    deterministic = outcome.result.total("floor_completed_m2")[0]
    draws = outcome.ensemble.total("floor_completed_m2")
    p10, p50, p90 = np.percentile(draws, [10, 50, 90], axis=0)
    scale = max(float(deterministic.max()), 1.0)
    for t in range(years.size):
        assert p10[t] - 1e-6 <= deterministic[t] <= p90[t] + 1e-6, years[t]
        assert abs(deterministic[t] - p50[t]) <= 0.15 * scale, years[t]


PER_PHASE = """
[market]
per_phase_build_times = true
"""


def test_each_phase_draws_its_own_build_time(write_scenario) -> None:
    # The tiny site builds P1–P3 in two phases (tests/conftest.py): with per-phase build
    # times each phase draws its own, independently, from the park's triangular(1, 2, 3).
    triangular = 'duration_years = { dist = "triangular", min = 1, mode = 2, max = 3 }\n'
    text = tiny_toml(("duration_years = 2\n", triangular), extra=PER_PHASE)
    scenario, site = load_inputs(write_scenario(text))
    inputs = prepare(scenario, site)
    sampled = sample_inputs(inputs, scenario, 4000, np.random.default_rng(11))
    assert sampled.phase_years is not None
    years = sampled.phase_years["duration_years"]  # (D, K, J)
    assert years.shape == (4000, 2, 2)
    first, second = years[:, 0, 0], years[:, 0, 1]
    assert abs(first.mean() - 2.0) < 0.03 and abs(second.mean() - 2.0) < 0.03
    assert abs(np.corrcoef(first, second)[0, 1]) < 0.05  # drawn apart
    assert np.isnan(sampled.phase_years["topout_years"]).all()  # top-out = each build time
    # In the engine each phase completes after its own build time: P1 (started 2013Q2,
    # t 5) completes phase 0 at 5 + q(d0) and phase 1, begun as phase 0 tops out, at
    # 5 + q(d0) + q(d1).
    from dataclasses import replace

    from sim.buildout import advance, q_build

    few = replace(
        sampled,
        park={k: v[:8] if v.shape[0] > 1 else v for k, v in sampled.park.items()},
        land_supply_m2=sampled.land_supply_m2[:8],
        take_up_m2=sampled.take_up_m2[:8],
        demand_m2=sampled.demand_m2[:8],
        committed_start=sampled.committed_start[:8],
        committed_floor=sampled.committed_floor[:8],
        phase_years={k: v[:8] for k, v in sampled.phase_years.items()},
    )
    q = advance(few)
    p1 = list(inputs.parcel_ids).index("P1")
    d0, d1 = q_build(years[:8, 0, 0]), q_build(years[:8, 0, 1])
    np.testing.assert_array_equal(q.events["start"][:, p1], 5.0)
    np.testing.assert_array_equal(q.events["completion"][:, p1], 5 + d0 + d1)
