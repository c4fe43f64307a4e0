"""Monte Carlo: sampling the scenario's distributions and market, and the ensemble run."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sim.engine import prepare, run_draws, simulate_draws
from sim.inputs import PARK_FIELDS
from sim.montecarlo import sample_inputs
from sim.result import SERIES
from tests.conftest import TINY_TOML, load_inputs, tiny_toml


def tiny_with(write_scenario, *replacements: tuple[str, str], extra: str = "") -> Path:
    return write_scenario(tiny_toml(*replacements, extra=extra))


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


def test_park_fields_have_one_name_from_scenario_to_result(write_scenario) -> None:
    """The scenario's key, the resolved parameter, the engine's array and the result's
    parameter are one name (no table translating between them)."""
    from sim.engine import simulate
    from sim.scenario import ParkAssumptions, ParkParams

    assert set(PARK_FIELDS) <= set(ParkAssumptions.model_fields)
    assert set(PARK_FIELDS) <= set(ParkParams.model_fields)
    scenario, site = load_inputs(write_scenario(TINY_TOML))
    assert tuple(prepare(scenario, site).park) == PARK_FIELDS
    assert tuple(simulate(scenario, site).parameters) == PARK_FIELDS


@pytest.mark.parametrize("name", PARK_FIELDS)
def test_every_park_field_is_sampled_when_a_distribution(write_scenario, name: str) -> None:
    line = next(line for line in TINY_TOML.splitlines() if line.startswith(f"{name} = "))
    value = line.split(" = ", 1)[1]
    path = tiny_with(write_scenario, (line, f'{name} = {{ dist = "choice", values = [{value}] }}'))
    scenario, site = load_inputs(path)
    inputs = prepare(scenario, site)
    sampled = sample_inputs(inputs, scenario, 5, np.random.default_rng(0))
    assert sampled.park[name].shape == (5, len(inputs.park_ids))
    assert np.array_equal(sampled.park[name], np.repeat(inputs.park[name], 5, axis=0))
    others = [other for other in PARK_FIELDS if other != name]
    assert all(sampled.park[other].shape[0] == 1 for other in others)
