"""Targets against projections, by hand on the tiny scenario."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.targets import evaluate_targets
from tests.conftest import load_and_simulate, tiny_toml


def test_targets_against_hand_values(tiny_dir: Path) -> None:
    scenario, _, result = load_and_simulate(tiny_dir / "tiny.toml")
    table = evaluate_targets(result, scenario.targets).set_index(["park_id", "year"])
    # total completed by 2016: A 37,500 + B 20,000 = 57,500 ≥ 50,000
    total = table.loc[("total", 2016)]
    assert total["target"] == pytest.approx(50_000)
    assert total["projected"] == pytest.approx(57_500)
    assert total["gap"] == pytest.approx(7_500)
    assert total["share"] == pytest.approx(1.15)
    assert bool(total["met"]) and total["probability_met"] == 1.0
    # A completed by 2018: 55,000 ≥ 45,000
    park_a = table.loc[("A", 2018)]
    assert park_a["projected"] == pytest.approx(55_000)
    assert bool(park_a["met"])


def test_unmet_target_and_floor_started(write_scenario) -> None:
    target = (
        '\n[[targets]]\nmetric = "floor_started"\npark = "A"\nyear = 2014\nvalue = "3.5万 m2"\n'
    )
    text = tiny_toml(extra=target)
    scenario, _, result = load_and_simulate(write_scenario(text))
    row = evaluate_targets(result, scenario.targets).iloc[-1]
    # started by 2014 in A: 15,000 completed + 15,000 under construction
    assert row["metric"] == "floor_started_m2"
    assert row["projected"] == pytest.approx(30_000)
    assert row["gap"] == pytest.approx(-5_000)
    assert not row["met"] and row["probability_met"] == 0.0
