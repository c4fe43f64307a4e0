"""Monte Carlo: sampling the scenario's distributions and market, and the ensemble run."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sim.engine import prepare, run_draws, simulate_draws
from sim.inputs import PARK_FIELDS
from sim.montecarlo import sample_inputs
from sim.result import SERIES
from sim.scenario.schema import OPTIONAL_DEFAULTS
from tests.conftest import TINY_TOML, load_inputs, tiny_toml


def tiny_with(write_scenario, *replacements: tuple[str, str], extra: str = "") -> Path:
    return write_scenario(tiny_toml(*replacements, extra=extra))


def test_mean_converges_to_hand_calculation(write_scenario) -> None:
    """Duration ~ U(0.125, 2.125) years builds a phase in q = floor(4·d + 0.5) quarters,
    uniform on 1 … 8 (each 1/8); top-out follows it (τ = δ = q). Starts do not depend on
    it (tests/test_engine.py: P1, P2, P3, P4 at t 5, 7, 9, 11; Q1 at t 4), and phase i
    (from 0) of a parcel started at s completes at s + (i + 1)·q, so at the year end t it
    is complete with probability P(q ≤ (t − s)/(i + 1)) = clip(floor((t − s)/(i + 1)), 0,
    8) / 8."""
    path = tiny_with(
        write_scenario,
        ("duration_years = 2", 'duration_years = { dist = "uniform", min = 0.125, max = 2.125 }'),
    )
    scenario, site = load_inputs(path)
    ensemble = simulate_draws(scenario, site, draws=20_000, seed=11)
    # park: [(start quarter, phases, floor of a phase)]
    parcels = {
        "A": [(5, 2, 7_500), (7, 2, 7_500), (9, 2, 7_500), (11, 1, 10_000)],
        "B": [(4, 2, 10_000)],
    }
    for park, members in parcels.items():
        completed = ensemble.by_park("floor_completed_m2")[:, :, ensemble.park_ids.index(park)]
        for y in range(ensemble.years.size):
            t = 4 * y + 3
            expected = sum(
                floor * min(8, max(0, (t - s) // (i + 1))) / 8
                for s, phases, floor in members
                for i in range(phases)
            )
            values = completed[:, y]
            se = values.std() / np.sqrt(values.size) + 1e-9
            assert abs(values.mean() - expected) <= 4 * se + 1e-6, (park, y)
    # 2016 (t 19) in park A by hand: P1 phase 1 ⌊14/1⌋ → 8/8, phase 2 ⌊14/2⌋ = 7 → 7/8;
    # P2 ⌊12⌋ → 1, ⌊6⌋ → 6/8; P3 ⌊10⌋ → 1, ⌊5⌋ → 5/8; P4 ⌊8⌋ → 1.
    expected_2016 = 7_500 * (1 + 7 / 8 + 1 + 6 / 8 + 1 + 5 / 8) + 10_000
    a_2016 = ensemble.by_park("floor_completed_m2")[:, 4, ensemble.park_ids.index("A")]
    assert a_2016.mean() == pytest.approx(expected_2016, rel=0.01)


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


#: A value for each park field the tiny scenario leaves out (it takes its default there).
OPTIONAL_VALUES = {
    "contract_lag_years": "0.5",
    "topout_years": "1.5",
    "base_floor_completed": '"1万 m2"',
    "base_floor_occupied": '"0.5万 m2"',
    "base_floor_under_construction": '"0.3万 m2"',
    "base_completion_years": "0.75",
    "other_revenue": '"2 亿元"',
    "other_revenue_growth": '"5 %"',
    "revenue_per_worker": '"80 万元"',
    "vacancy_target": '"10 %"',
    "vacancy_elasticity": "2",
}
#: Fields that, when left out, follow another field's draws.
FOLLOWERS = {"start_lag_years": "contract_lag_years", "duration_years": "topout_years"}


def test_optional_values_cover_what_the_tiny_scenario_leaves_out() -> None:
    given = {line.split(" = ", 1)[0] for line in TINY_TOML.splitlines() if " = " in line}
    assert set(OPTIONAL_VALUES) == set(PARK_FIELDS) - given
    assert set(OPTIONAL_VALUES) <= set(OPTIONAL_DEFAULTS)


@pytest.mark.parametrize("name", PARK_FIELDS)
def test_every_park_field_is_sampled_when_a_distribution(write_scenario, name: str) -> None:
    """A one-value choice of any park field: sampled per draw and park (a draw axis of 5)
    with the point value everywhere; every other field keeps one row, but for a field left
    out that follows the sampled one (contract lag, top-out)."""
    if name in OPTIONAL_VALUES:
        value = OPTIONAL_VALUES[name]
        replacement = (
            "[defaults]\n",
            f'[defaults]\n{name} = {{ dist = "choice", values = [{value}] }}\n',
        )
        point = write_scenario(
            tiny_toml(("[defaults]\n", f"[defaults]\n{name} = {value}\n")), "point.toml"
        )
    else:
        line = next(line for line in TINY_TOML.splitlines() if line.startswith(f"{name} = "))
        value = line.split(" = ", 1)[1]
        replacement = (line, f'{name} = {{ dist = "choice", values = [{value}] }}')
        point = write_scenario(tiny_toml(), "point.toml")
    scenario, site = load_inputs(tiny_with(write_scenario, replacement))
    inputs = prepare(scenario, site)
    sampled = sample_inputs(inputs, scenario, 5, np.random.default_rng(0))
    assert sampled.park[name].shape == (5, len(inputs.park_ids))
    assert np.array_equal(sampled.park[name], np.repeat(inputs.park[name], 5, axis=0))
    point_inputs = prepare(*load_inputs(point))
    assert np.array_equal(inputs.park[name], point_inputs.park[name])
    follower = FOLLOWERS.get(name)
    if follower is not None:
        assert np.array_equal(sampled.park[follower], sampled.park[name])
    others = [other for other in PARK_FIELDS if other not in (name, follower)]
    assert [o for o in others if sampled.park[o].shape[0] != 1] == []


def test_a_left_out_follower_follows_its_field_draw_by_draw(write_scenario) -> None:
    path = tiny_with(
        write_scenario,
        ("start_lag_years = 1", 'start_lag_years = { dist = "uniform", min = 0, max = 2 }'),
        ("[parks.B]\n", "[parks.B]\ncontract_lag_years = 0.25\n"),
    )
    scenario, site = load_inputs(path)
    sampled = sample_inputs(prepare(scenario, site), scenario, 50, np.random.default_rng(1))
    lag, contract = sampled.park["start_lag_years"], sampled.park["contract_lag_years"]
    a, b = sampled.park_ids.index("A"), sampled.park_ids.index("B")
    assert np.array_equal(contract[:, a], lag[:, a])  # left out in A: follows the draws
    assert (contract[:, b] == 0.25).all()  # given in B
    assert np.unique(lag[:, a]).size == 50


def test_rest_of_city_in_chunked_draws(write_scenario) -> None:
    """The rest of the city has a row per draw however the draws are chunked (a chunk
    once gave it one row, so that 3 chunks made 3 rows whatever the draws)."""
    path = tiny_with(
        write_scenario,
        ("duration_years = 2", 'duration_years = { dist = "uniform", min = 1, max = 3 }'),
        extra='\n[rest_of_city]\nrevenue = "100 亿元"\nrevenue_per_worker = "50 万元"\n',
    )
    scenario, site = load_inputs(path)
    ensemble = simulate_draws(scenario, site, draws=10, chunk_size=3)
    assert ensemble.rest_of_city is not None
    assert ensemble.rest_of_city["revenue_cny"].shape == (10, 8, 1)
    assert ensemble.rest_of_city["workers_persons"][:, 0, 0] == pytest.approx(
        [20_000.0] * 10
    )  # 100 亿 / 50 万
    assert ensemble.total("revenue_cny").shape == (10, 8)
    ensemble.percentile_frame()
