"""Distributions in scenarios, sampling, and the Monte Carlo run."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from sim.engine import prepare, run_draws, simulate_draws
from sim.errors import ScenarioError
from sim.result import SERIES
from sim.scenario import load_scenario
from sim.uncertainty import Distribution, Kind, sample_inputs
from sim.units import Dimension
from tests.conftest import load_inputs, tiny_toml


def tiny_with(write_scenario, *replacements: tuple[str, str], extra: str = "") -> Path:
    return write_scenario(tiny_toml(*replacements, extra=extra))


# ------------------------------------------------------------- distributions


@pytest.mark.parametrize(
    ("table", "dimension", "point", "bounds"),
    [
        ({"dist": "triangular", "min": 2, "mode": 3, "max": 4}, Dimension.DURATION, 3, (2, 4)),
        ({"dist": "pert", "min": "1 ha", "mode": "2 ha", "max": "5 ha"}, Dimension.AREA, 2e4,
         (1e4, 5e4)),
        ({"dist": "uniform", "min": "10 %", "max": "30 %"}, Dimension.RATIO, 0.2, (0.1, 0.3)),
        ({"dist": "normal", "mean": 0.85, "sd": 0.05}, Dimension.RATIO, 0.85,
         (-np.inf, np.inf)),
        ({"dist": "lognormal", "median": "5000 元/m2", "sigma": 0.3}, Dimension.MONEY_PER_AREA,
         5000, (0, np.inf)),
        ({"dist": "choice", "values": [1, 2, 3], "weights": [1, 3, 1]}, Dimension.DURATION, 2,
         (1, 3)),
    ],
)  # fmt: skip
def test_distribution_point_and_bounds(table, dimension, point, bounds) -> None:
    dist = Distribution.from_table(table, dimension)
    assert dist.point() == pytest.approx(point)
    assert dist.bounds() == pytest.approx(bounds)
    sample = dist.sample(np.random.default_rng(0), 4000)
    assert sample.min() >= bounds[0] and sample.max() <= bounds[1]


def test_pert_and_triangular_means_match_scipy() -> None:
    rng = np.random.default_rng(1)
    tri = Distribution.from_table({"dist": "triangular", "min": 2, "mode": 3, "max": 5},
                                  Dimension.DURATION).sample(rng, 200_000)  # fmt: skip
    assert tri.mean() == pytest.approx((2 + 3 + 5) / 3, abs=0.01)
    pert = Distribution.from_table({"dist": "pert", "min": 2, "mode": 3, "max": 5},
                                   Dimension.DURATION).sample(rng, 200_000)  # fmt: skip
    assert pert.mean() == pytest.approx((2 + 4 * 3 + 5) / 6, abs=0.01)


def test_truncated_normal_respects_bounds() -> None:
    dist = Distribution.from_table(
        {"dist": "normal", "mean": "85 %", "sd": "10 %", "min": "70 %", "max": "95 %"},
        Dimension.RATIO,
    )
    sample = dist.sample(np.random.default_rng(2), 50_000)
    assert sample.min() >= 0.7 and sample.max() <= 0.95
    expected = stats.truncnorm(-1.5, 1.0, loc=0.85, scale=0.1).mean()
    assert sample.mean() == pytest.approx(expected, abs=0.002)


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"dist": "triangular", "min": 4, "mode": 3, "max": 5}, "min ≤ mode ≤ max"),
        ({"dist": "triangular", "min": 2, "max": 5}, "missing ['mode']"),
        ({"dist": "uniform", "min": 2, "max": 5, "mode": 3}, "unknown ['mode']"),
        ({"dist": "normal", "mean": 3, "sd": -1}, "positive scale"),
        ({"dist": "lognormal", "median": 0, "sigma": 0.2}, "median: expected > 0"),
        ({"dist": "gamma", "min": 1}, "expected one of"),
        ({"min": 1, "max": 2}, "needs dist"),
        ({"dist": "choice", "values": [1, 2], "weights": [1]}, "one per value"),
        ({"dist": "choice", "values": [1, 2], "weights": [0, 0]}, "positive sum"),
        ({"dist": "uniform", "min": "1 kg", "max": 2}, "uniform.min"),
    ],
)
def test_bad_distribution_parameters(table, message) -> None:
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        Distribution.from_table(table, Dimension.DURATION)


def test_distribution_outside_field_bounds_is_a_scenario_error(write_scenario) -> None:
    path = tiny_with(
        write_scenario,
        ('occupancy_ceiling = "80 %"',
         'occupancy_ceiling = { dist = "normal", mean = "80 %", sd = "10 %" }'),
    )  # fmt: skip
    with pytest.raises(ScenarioError, match=r"defaults\.occupancy_ceiling.*bound it with min/max"):
        load_scenario(path)


# --------------------------------------------------------------- Monte Carlo


def test_mean_converges_to_hand_calculation(write_scenario) -> None:
    """Duration ~ U(0.001, 3) builds in ceil(d) = 1, 2 or 3 years, each with probability
    ≈ 1/3, so E[completed] follows from the deterministic start schedule of park A
    (starts 15,000 m² in 2013 and 2014, 7,500 in 2015 and 2016, 10,000 in 2017)."""
    path = tiny_with(
        write_scenario,
        ("duration_years = 2", 'duration_years = { dist = "uniform", min = 0.001, max = 3 }'),
    )
    scenario, site = load_inputs(path)
    ensemble = simulate_draws(scenario, site, draws=20_000, seed=11)
    cdf = {1: 0.999 / 2.999, 2: 1.999 / 2.999}  # P(ceil(d) ≤ n)
    starts = {2013: 15_000, 2014: 15_000, 2015: 7_500, 2016: 7_500, 2017: 10_000}
    a = ensemble.park_ids.index("A")
    completed = ensemble.by_park("floor_completed_m2")[:, :, a]
    for t, year in enumerate(ensemble.years):
        expected = sum(
            floor * (cdf.get(year - s + 1, 1.0) if year - s + 1 >= 1 else 0.0)
            for s, floor in starts.items()
        )
        values = completed[:, t]
        se = values.std() / np.sqrt(values.size) + 1e-9
        assert abs(values.mean() - expected) <= 4 * se + 1e-6, year


def test_same_seed_same_draws_other_seed_differs(write_scenario) -> None:
    path = tiny_with(
        write_scenario,
        ("duration_years = 2", 'duration_years = { dist = "triangular", min = 1, mode = 2, max = 4 }'),  # noqa: E501
        extra="\n[market]\ndemand_sd = 0.3\ncorrelation = 0.5\n",
    )  # fmt: skip
    scenario, site = load_inputs(path)
    first = simulate_draws(scenario, site, draws=300, seed=5)
    second = simulate_draws(scenario, site, draws=300, seed=5)
    other = simulate_draws(scenario, site, draws=300, seed=6)
    for name in SERIES:
        assert np.array_equal(first.series[name], second.series[name])
    assert not np.array_equal(
        first.series["floor_completed_m2"], other.series["floor_completed_m2"]
    )


@pytest.mark.parametrize("chunk", [1, 7, 64, 1000])
def test_chunk_size_does_not_change_results(write_scenario, chunk: int) -> None:
    path = tiny_with(
        write_scenario,
        ("start_lag_years = 1", 'start_lag_years = { dist = "choice", values = [0, 1, 2] }'),
        extra="\n[market]\ndemand_sd = 0.4\ncorrelation = 0.2\n",
    )
    scenario, site = load_inputs(path)
    sampled = sample_inputs(prepare(scenario, site), scenario, 150, np.random.default_rng(3))
    reference = run_draws(sampled, chunk_size=150)
    chunked = run_draws(sampled, chunk_size=chunk)
    for name in SERIES:
        assert np.array_equal(reference[name], chunked[name]), name


def test_market_factor_is_mean_one_and_correlated(write_scenario) -> None:
    path = tiny_with(write_scenario, extra="\n[market]\ndemand_sd = 0.3\ncorrelation = 0.6\n")
    scenario, site = load_inputs(path)
    inputs = prepare(scenario, site)
    sampled = sample_inputs(inputs, scenario, 40_000, np.random.default_rng(9))
    factor = sampled.demand_m2 / inputs.demand_m2  # (D, K, Y)
    assert factor.mean() == pytest.approx(1.0, abs=0.01)
    logs = np.log(factor[:, :, 0])
    assert np.corrcoef(logs[:, 0], logs[:, 1])[0, 1] == pytest.approx(0.6, abs=0.02)
    assert logs.std(axis=0) == pytest.approx([0.3, 0.3], abs=0.01)


def test_percentiles_ordered_and_probabilities_bounded(write_scenario) -> None:
    from sim.engine import simulate
    from sim.targets import evaluate_targets

    path = tiny_with(
        write_scenario,
        ("duration_years = 2", 'duration_years = { dist = "pert", min = 1, mode = 2, max = 4 }'),
        extra="\n[market]\ndemand_sd = 0.3\n",
    )
    scenario, site = load_inputs(path)
    ensemble = simulate_draws(scenario, site, draws=500)
    table = ensemble.percentile_frame()
    for name in SERIES:
        assert (table[f"{name}_p10"] <= table[f"{name}_p50"] + 1e-9).all()
        assert (table[f"{name}_p50"] <= table[f"{name}_p90"] + 1e-9).all()
    targets = evaluate_targets(simulate(scenario, site), scenario.targets, ensemble=ensemble)
    assert targets["probability_met"].between(0, 1).all()
    assert 0 < targets["probability_met"].iloc[0] < 1  # genuinely uncertain here


def test_distribution_kinds_are_all_documented() -> None:
    import sim.uncertainty

    for kind in Kind:
        assert kind.value in (sim.uncertainty.__doc__ or "")
