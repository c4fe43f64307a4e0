"""The decision tools on the tiny site: solve, calibrate, sensitivity, their commands.

The tiny scenario gets distributions (take-up, build time) so that P(met) is a real
probability; draws stay small so each test runs in seconds.
"""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.cli import main
from sim.decisions import Query, Task, calibrate, evaluate, parse_lever, sensitivity, solve
from sim.decisions.calibrate import Observations, read_observations
from sim.decisions.levers import raw_table, variant_text
from sim.decisions.sensitivity import indices, uncertain_inputs
from sim.decisions.solve import parse_goal
from sim.errors import SimError
from sim.executor import SerialExecutor
from tests.conftest import tiny_toml

UNCERTAIN = """
[market]
demand_sd = 0.2
correlation = 0.5
build_speed_sd = 0.15
source = "test: shared shocks"
"""

TARGET = "floor_completed A 2016 3万 m2"
LEVER = "parks.A.land_supply_per_year=0.5:4"


class CountingExecutor(SerialExecutor):
    """A serial executor that counts the items it was handed and checks they pickle."""

    def __init__(self) -> None:
        self.items = 0

    def map(self, function, items):  # type: ignore[no-untyped-def]
        items = list(items)
        self.items += len(items)
        pickle.loads(pickle.dumps((function, items)))  # what a Dask executor would ship
        return super().map(function, items)


@pytest.fixture
def uncertain(tiny_dir: Path) -> Path:
    path = tiny_dir / "uncertain.toml"
    path.write_text(tiny_toml(extra=UNCERTAIN), encoding="utf-8")
    return path


def _p_met(path: Path, *, draws: int, seed: int) -> float:
    """P(met) of TARGET from a plain ``compute`` of the scenario file (no decisions code)."""
    from sim.outcome import compute, load

    scenario, site = load(path)
    outcome = compute(scenario, site, draws=draws, seed=seed)
    assert outcome.ensemble is not None
    values = outcome.ensemble.by_park("floor_completed_m2")[:, 4, 0]  # 2016, park A
    return float(np.mean(values >= 3e4))


def test_solve_one_lever_meets_target_and_five_percent_less_does_not(uncertain: Path) -> None:
    executor = CountingExecutor()
    found = solve(uncertain, TARGET, [LEVER], probability=0.8, draws=40, executor=executor)
    assert found.status == "solved" and found.direction == "least"
    v = found.answer[found.levers[0].path]  # type: ignore[index]
    assert 0.5 < v < 4
    assert found.achieved is not None and found.achieved >= 0.8
    assert found.short is not None and found.short < 0.8
    assert executor.items == found.evaluations
    # The written variant, run as any scenario with the same draws and seed, meets it …
    variant = uncertain.parent / "solved.toml"
    variant.write_text(variant_text(uncertain, found.variant_values(), at=variant))
    assert _p_met(variant, draws=40, seed=found.seed) >= 0.8
    # … and v shrunk by 5 % of its bracket does not.
    lever = found.levers[0]
    shrunk = uncertain.parent / "shrunk.toml"
    less = v - 0.05 * (lever.high - lever.low)
    shrunk.write_text(variant_text(uncertain, lever.values(less), at=shrunk))
    assert _p_met(shrunk, draws=40, seed=found.seed) < 0.8


def test_solve_is_stable_between_calls(uncertain: Path) -> None:
    first = solve(uncertain, TARGET, [LEVER], probability=0.5, draws=20, tolerance=0.01)
    second = solve(uncertain, TARGET, [LEVER], probability=0.5, draws=20, tolerance=0.01)
    assert first.answer == second.answer and first.curve == second.curve


def test_solve_greatest_value_for_a_lever_that_hurts(uncertain: Path) -> None:
    found = solve(
        uncertain,
        "floor_completed A 2016 2万 m2",
        ["defaults.duration_years=0.5:4"],
        probability=0.5,
        draws=20,
        tolerance=0.01,
    )
    assert found.direction == "greatest"
    v = found.answer["defaults.duration_years"]  # type: ignore[index]
    p = found.curve[1]
    assert p[0] >= p[-1]
    assert found.short is not None and found.short < 0.5 <= (found.achieved or 0)
    assert 0.5 <= v < 4


def test_solve_reports_unreachable_and_earliest_year(uncertain: Path) -> None:
    found = solve(
        uncertain, "floor_completed A 2016 1000万 m2", ["defaults.plot_ratio=1:2"], draws=5, grid=3
    )
    assert found.status == "unreachable" and found.answer is None
    assert found.variant_values() == {}
    early = solve(uncertain, "floor_completed total 2016 5万 m2", [], probability=0.5, draws=20)
    assert early.earliest_year is not None
    by_year = dict(zip(early.years, early.by_year, strict=True))
    assert by_year[early.earliest_year] >= 0.5
    assert all(by_year[y] < 0.5 for y in early.years if y < early.earliest_year)


def test_solve_least_cost_of_two_levers_meets_the_target(uncertain: Path) -> None:
    levers = ["parks.A.land_supply_per_year=0.5:4", "defaults.plot_ratio=1:2"]
    costs = {levers[0].split("=")[0]: 1.0, "defaults.plot_ratio": 1.0}
    found = solve(uncertain, TARGET, levers, probability=0.5, draws=20, costs=costs)
    assert found.status == "solved" and found.achieved is not None and found.achieved >= 0.5
    assert found.cost is not None
    with pytest.raises(SimError, match="--cost"):
        solve(uncertain, TARGET, levers, draws=5)


def test_goal_and_lever_errors_name_the_fix(uncertain: Path) -> None:
    raw = raw_table(uncertain)
    with pytest.raises(SimError, match="METRIC PARK YEAR VALUE"):
        parse_goal("floor_completed total")
    with pytest.raises(SimError, match="expected one of"):
        parse_goal("floor_built total 2016 1 m2")
    with pytest.raises(SimError, match="LOW < HIGH"):
        parse_lever("defaults.plot_ratio=3:1", raw)
    with pytest.raises(SimError, match="a path to a value"):
        parse_lever("defaults.nothing_here", raw)
    assert parse_lever("parks.A.plot_ratio", raw).current == 1.5  # from [defaults]


def test_lever_paths_are_scenario_paths_and_a_number_is_an_index_only_into_an_array() -> None:
    raw = {"parks": {"7": {"plot_ratio": 2.0}}, "committed": [{"start_year": 2013}]}
    # a park id that is a number is a table key, not an index
    assert parse_lever("parks.7.plot_ratio", raw).values(3.0) == {"parks.7.plot_ratio": 3.0}
    # an entry of an array of tables, by a dotted index or as [i] (sim.scenario.overrides)
    whole = {"committed": [{"start_year": 2015.0}]}
    assert parse_lever("committed.0.start_year", raw).values(2015) == whole
    assert parse_lever("committed[0].start_year", raw).values(2015) == whole
    assert raw["committed"] == [{"start_year": 2013}]  # the scenario's own table is untouched
    with pytest.raises(SimError, match=r"expected a scenario path .* found 'parks\.\.plot_ratio'"):
        parse_lever("parks..plot_ratio", raw)


def test_evaluate_reads_quarters_and_matches_the_run(tiny_dir: Path) -> None:
    from tests.conftest import load_and_simulate

    _, _, result = load_and_simulate(tiny_dir / "tiny.toml")
    queries = (
        Query("floor_completed_m2", "A", 2016),
        Query("floor_completed_m2", "A", 2016, 4),
        Query("floor_completed_m2", "total", 2015, 2),
    )
    values = evaluate(Task(str(tiny_dir / "tiny.toml"), (), queries))[:, 0]
    annual = result.by_park("floor_completed_m2")[0, 4, 0]
    assert result.quarterly is not None
    assert values[0] == values[1] == annual
    assert values[2] == result.quarterly["floor_completed_m2"][0, 13].sum()


def _observe(path: Path, truth: dict[str, object], seed: int) -> Observations:
    queries = tuple(
        Query(s, "A", y)
        for s in ("floor_completed_m2", "floor_occupied_m2")
        for y in range(2014, 2020)
    )
    exact = evaluate(Task(str(path), tuple(truth.items()), queries))[:, 0]
    sd = np.maximum(0.03 * exact, 200.0)
    noisy = exact + np.random.default_rng(seed).standard_normal(exact.size) * sd
    return Observations(queries, noisy, sd, tuple(str(q.year) for q in queries))


FITS = ["defaults.plot_ratio=1:2", "defaults.occupancy_ceiling=50:95"]


def test_calibrate_recovers_known_parameters_within_intervals(tiny_dir: Path) -> None:
    # Five noisy data sets from the model at known values: the 95 % intervals must cover
    # the truth in at least four of five for each parameter (binomial: fails by chance
    # with probability ≈ 2 % at the nominal rate), and be informative.
    path = tiny_dir / "tiny.toml"
    truth = {"defaults.plot_ratio": 1.25, "defaults.occupancy_ceiling": 70.0}
    covered = dict.fromkeys(truth, 0)
    for seed in range(5):
        observed = _observe(
            path, {"defaults.plot_ratio": 1.25, "defaults.occupancy_ceiling": "70 %"}, seed=seed
        )
        found = calibrate(path, observed, FITS)
        for name, value in truth.items():
            low, high = found.interval[name]
            covered[name] += low <= value <= high
            assert high - low < 0.2 * value  # informative, not the whole bracket
            assert abs(found.estimate[name] - value) < 0.1 * value
        assert found.diagnostics["success"] and found.diagnostics["dof"] == 10
        assert found.residuals.shape == (12,)
    assert all(count >= 4 for count in covered.values()), covered


def test_calibrate_posterior_abc_smc_concentrates_on_the_truth(tiny_dir: Path) -> None:
    path = tiny_dir / "tiny.toml"
    observed = _observe(
        path, {"defaults.plot_ratio": 1.25, "defaults.occupancy_ceiling": "70 %"}, seed=4
    )
    found = calibrate(path, observed, FITS, posterior=True, particles=40, generations=2, seed=1)
    post = found.posterior
    assert post is not None
    assert np.isclose(post["weights"].sum(), 1.0)
    assert post["tolerances"] == sorted(post["tolerances"], reverse=True)
    low, high = post["interval"]["defaults.plot_ratio"]
    assert low <= 1.25 <= high and high - low < 0.9  # narrower than the prior 1–2
    assert found.variant_values()["defaults.plot_ratio"]["dist"] == "normal"  # type: ignore[index]


def test_read_observations_dates_and_errors(tmp_path: Path) -> None:
    csv = tmp_path / "obs.csv"
    csv.write_text(
        "date,park_id,metric,value,sd\n2016,A,floor_completed,100,10\n"
        "2016Q3,total,floor_occupied_m2,50,\n2015-05-02,B,workers,7,1\n"
    )
    obs = read_observations(csv)
    assert [(q.year, q.quarter) for q in obs.queries] == [(2016, None), (2016, 3), (2015, 2)]
    assert obs.sd.tolist() == [10.0, 2.5, 1.0]
    csv.write_text("date,park_id,metric,value\n2016-13,A,floor_completed,1\n")
    with pytest.raises(SimError, match="ISO date"):
        read_observations(csv)


def test_sobol_on_a_linear_toy_matches_analytic_indices() -> None:
    # y = 3 x1 + 2 x2 + x3 + 0 x4, x_i ~ U(0, 1): S_i = a_i² / Σ a² = 9/14, 4/14, 1/14, 0.
    table = indices(
        lambda x: x @ np.array([3.0, 2.0, 1.0, 0.0]),
        list("abcd"),
        [(0.0, 1.0)] * 4,
        samples=2048,
        seed=1,
    ).set_index("input")
    expected = np.array([9, 4, 1, 0]) / 14
    assert np.allclose(table.loc[list("abcd"), "S1"], expected, atol=0.03)
    assert np.allclose(table.loc[list("abcd"), "ST"], expected, atol=0.03)  # additive
    assert table.index[-1] == "d"


def test_sensitivity_ranks_the_dominant_input_first_and_the_idle_one_last(
    tiny_dir: Path,
) -> None:
    extra = """
[parks.A]
take_up_per_year = { dist = "uniform", min = "0.5 ha", max = "4 ha" }
land_supply_per_year = "4 ha"
revenue_growth = { dist = "uniform", min = "0 %", max = "20 %" }
"""
    path = tiny_dir / "sens.toml"
    path.write_text(tiny_toml(extra=extra), encoding="utf-8")
    assert [i.path for i in uncertain_inputs(raw_table(path))] == [
        "parks.A.take_up_per_year",
        "parks.A.revenue_growth",
    ]
    output = "floor_completed A 2016"
    for method, column in (("tornado", "swing"), ("morris", "mu_star"), ("sobol", "ST")):
        found = sensitivity(
            path, method=method, output=output, samples=8 if method == "sobol" else 4
        )
        assert found.table["input"].iloc[0] == "parks.A.take_up_per_year", method
        assert found.table["input"].iloc[-1] == "parks.A.revenue_growth", method
        assert abs(found.table[column].iloc[-1]) < 1e-9, method
        assert found.table[column].iloc[0] > 0, method
    with pytest.raises(SimError, match="nothing uncertain"):
        sensitivity(tiny_dir / "tiny.toml")


def test_solve_command_writes_json_chart_and_a_variant_run_reproduces(
    uncertain: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "solved"
    argv = [
        "solve",
        str(uncertain),
        "--target",
        TARGET,
        "--lever",
        LEVER,
        "--draws",
        "30",
        "--tolerance",
        "0.01",
        "--out",
        str(out),
    ]
    assert main(argv) == 0
    assert "P(met) at the answer" in capsys.readouterr().out
    record = json.loads((out / "solve.json").read_text())
    assert record["status"] == "solved" and record["probability_at_answer"] >= 0.8
    assert (out / "probability_curve.png").stat().st_size > 0
    variant = out / "uncertain_solved.toml"
    assert 'extends = "../' in variant.read_text()
    run_out = tmp_path / "run"
    assert (
        main(["run", str(variant), "--draws", "30", "--out", str(run_out), "--no-figures", "-q"])
        == 0
    )
    targets = pd.read_csv(run_out / "targets.csv", encoding="utf-8-sig")
    assert record["draws"] == 30 and _p_met(variant, draws=30, seed=record["seed"]) >= 0.8
    assert len(targets) == 2


def test_calibrate_and_sensitivity_commands_write_their_files(
    tiny_dir: Path, tmp_path: Path
) -> None:
    path = tiny_dir / "tiny.toml"
    observed = _observe(
        path, {"defaults.plot_ratio": 1.25, "defaults.occupancy_ceiling": "70 %"}, seed=5
    )
    csv = tmp_path / "obs.csv"
    pd.DataFrame(
        {
            "date": [q.year for q in observed.queries],
            "park_id": "A",
            "metric": [q.series for q in observed.queries],
            "value": observed.values,
            "sd": observed.sd,
        }
    ).to_csv(csv, index=False)
    out = tmp_path / "cal"
    argv = ["calibrate", str(path), "--observed", str(csv), "--out", str(out), "-q"]
    assert main([*argv, *(x for f in FITS for x in ("--fit", f))]) == 0
    record = json.loads((out / "calibration.json").read_text())
    assert set(record["estimate"]) == {"defaults.plot_ratio", "defaults.occupancy_ceiling"}
    assert (out / "calibration.png").exists() and (out / "tiny_calibrated.toml").exists()
    uncertain = tiny_dir / "u.toml"
    uncertain.write_text(
        tiny_toml(extra='[parks.A]\nplot_ratio = { dist = "uniform", min = 1, max = 2 }\n'),
        encoding="utf-8",
    )
    out = tmp_path / "sens"
    assert main(["sensitivity", str(uncertain), "--out", str(out), "-q"]) == 0
    table = pd.read_csv(out / "sensitivity.csv", encoding="utf-8-sig")
    assert table["input"].tolist() == ["parks.A.plot_ratio"]
    assert (out / "tornado.png").exists()


def test_decision_commands_refuse_bad_input(
    uncertain: Path, cli_error: object, tmp_path: Path
) -> None:
    err = cli_error(
        [
            "solve",
            str(uncertain),
            "--target",
            "floor_completed A",  # type: ignore[operator]
            "--lever",
            LEVER,
            "--out",
            str(tmp_path / "x"),
        ]
    )
    assert "METRIC PARK YEAR VALUE" in err
    err = cli_error(
        [
            "sensitivity",
            str(uncertain),
            "--output",
            "nope",  # type: ignore[operator]
            "--out",
            str(tmp_path / "y"),
        ]
    )
    assert "METRIC PARK YEAR" in err


def test_solve_latest_start_of_a_committed_project(tiny_dir: Path) -> None:
    # Q1 (park B, 2万 m² in two phases of 1万) starts in 2013 and takes 2 years a phase:
    # B completes its 2万 m² by the end of 2016 only if the project starts within 2012
    # (two phases of two years each, the second starting as the first tops out).
    found = solve(
        tiny_dir / "tiny.toml",
        "floor_completed B 2016 2万 m2",
        ["committed.0.start_year=2012:2016"],
        draws=1,
        tolerance=0.01,
    )
    assert found.direction == "greatest" and found.status == "solved"
    latest = found.answer["committed.0.start_year"]  # type: ignore[index]
    assert 2012 <= latest < 2013
    variant = tiny_dir / "late.toml"
    variant.write_text(variant_text(tiny_dir / "tiny.toml", found.variant_values(), at=variant))
    from tests.conftest import load_and_simulate

    scenario, _, result = load_and_simulate(variant)
    assert scenario.committed[0].start_year == latest
    assert result.by_park("floor_completed_m2")[0, 4, 1] >= 2e4


@pytest.mark.slow
def test_abc_smc_posterior_covers_the_truth_at_about_its_nominal_rate(tiny_dir: Path) -> None:
    # Eight synthetic data sets at known values, one ABC-SMC posterior each: its 95 %
    # credible interval should cover the truth in most of them (about 7.6 of 8 at the
    # nominal rate; at least 5 demanded, so a badly miscalibrated posterior fails) and be
    # about as narrow as the least-squares interval, not the prior.
    path = tiny_dir / "tiny.toml"
    truth = {"defaults.plot_ratio": 1.25, "defaults.occupancy_ceiling": 70.0}
    covered = dict.fromkeys(truth, 0)
    for trial in range(8):
        observed = _observe(
            path,
            {"defaults.plot_ratio": 1.25, "defaults.occupancy_ceiling": "70 %"},
            seed=100 + trial,
        )
        found = calibrate(
            path, observed, FITS, posterior=True, particles=60, generations=4, seed=trial
        )
        assert found.posterior is not None
        for name, value in truth.items():
            low, high = found.posterior["interval"][name]
            covered[name] += low <= value <= high
            assert high - low < 0.15 * value
    assert all(count >= 5 for count in covered.values()), covered
