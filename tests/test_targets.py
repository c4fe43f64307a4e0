"""Targets against projections, by hand on the tiny scenario (tests/test_engine.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.targets import evaluate_targets
from tests.conftest import load_and_simulate, tiny_toml


def test_targets_against_hand_values(tiny_dir: Path) -> None:
    scenario, _, result = load_and_simulate(tiny_dir / "tiny.toml")
    table = evaluate_targets(result, scenario.targets).set_index(["park_id", "year"])
    # Total completed by the end of 2016: A 32,500 (P1.1, P2.1, P3.1, P4) + B 10,000 (Q1.1)
    # = 42,500 < 50,000.
    total = table.loc[("total", 2016)]
    assert total["target"] == pytest.approx(50_000)
    assert total["projected"] == pytest.approx(42_500)
    assert total["gap"] == pytest.approx(-7_500)
    assert total["share"] == pytest.approx(0.85)
    assert not bool(total["met"]) and total["probability_met"] == 0.0
    # A completed by 2018: all 55,000 ≥ 45,000
    park_a = table.loc[("A", 2018)]
    assert park_a["projected"] == pytest.approx(55_000)
    assert bool(park_a["met"]) and park_a["probability_met"] == 1.0


def test_unmet_target_and_floor_started(write_scenario) -> None:
    target = (
        '\n[[targets]]\nmetric = "floor_started"\npark = "A"\nyear = 2014\nvalue = "3.5万 m2"\n'
    )
    text = tiny_toml(extra=target)
    scenario, _, result = load_and_simulate(write_scenario(text))
    row = evaluate_targets(result, scenario.targets).iloc[-1]
    # Started in A by the end of 2014: P1.1, P2.1 (t 5, 7), P3.1 (t 9), P4 (t 11) = 32,500
    assert row["metric"] == "floor_started_m2"
    assert row["projected"] == pytest.approx(32_500)
    assert row["gap"] == pytest.approx(-2_500)
    assert not row["met"] and row["probability_met"] == 0.0


REST_OF_CITY = """
[rest_of_city]
revenue = "10 亿元"
revenue_per_worker = "100 万元"

[[targets]]
metric = "revenue"
park = "total"
year = 2016
value = "11 亿元"

[[targets]]
metric = "revenue"
park = "A"
year = 2016
value = "1 亿元"

[[targets]]
metric = "workers"
park = "total"
year = 2016
value = 1500
"""


def test_a_total_target_includes_the_rest_of_the_city(write_scenario) -> None:
    """Revenue growth 0: a quarter's revenue is occupied floor × 10,000 / 4 (tests/
    test_engine.py). In 2016 A holds 4,500, 6,750, 9,000 and 12,250 m² at the ends of its
    quarters → 2,500 × 32,500 = 0.8125 亿元; B (Q1) 5,000, 6,000, 7,000, 8,000 → 2,500 ×
    26,000 = 0.65 亿元; the rest of the city 10 亿元. Workers at the end of 2016: A 12,250
    / 40, B 8,000 / 40, the rest 10 亿 / 100 万 = 1,000."""
    text = tiny_toml(('revenue_growth = "10 %"', 'revenue_growth = "0 %"'), extra=REST_OF_CITY)
    scenario, _, result = load_and_simulate(write_scenario(text))
    table = evaluate_targets(result, scenario.targets).iloc[2:]
    revenue, park_a, workers = (row for _, row in table.iterrows())
    assert revenue["projected"] == pytest.approx(0.8125e8 + 0.65e8 + 10e8)
    assert bool(revenue["met"])  # 11.46 亿元 ≥ 11; the parks alone make 1.46
    # A park's target counts the park only.
    assert park_a["projected"] == pytest.approx(0.8125e8)
    assert not bool(park_a["met"])
    # Workers are whole persons: 306.25 + 200 + 1,000 → 1,506.
    assert workers["projected"] == 1_506
    assert bool(workers["met"])
    # Without [rest_of_city] the same total target is far from met.
    bare = tiny_toml(
        ('revenue_growth = "10 %"', 'revenue_growth = "0 %"'),
        extra=REST_OF_CITY.split("\n", 5)[-1],
    )
    scenario, _, result = load_and_simulate(write_scenario(bare, "bare.toml"))
    row = evaluate_targets(result, scenario.targets).iloc[2]
    assert row["projected"] == pytest.approx(0.8125e8 + 0.65e8)
    assert not bool(row["met"])


def test_a_small_shortfall_is_near_not_a_bare_no(load) -> None:
    """Within the tolerance a target not met is ``near``; beyond it, just not met."""
    scenario, _, result = load(tiny_toml())
    projected = float(evaluate_targets(result, scenario.targets[:1])["projected"].iloc[0])
    close = scenario.targets[0].model_copy(update={"value": projected * 1.016})  # 1.6 % short
    far = scenario.targets[0].model_copy(update={"value": projected * 1.2})
    table = evaluate_targets(result, [close, far], tolerance=0.10)
    assert table["met"].tolist() == [False, False]
    assert table["near"].tolist() == [True, False]
    strict = evaluate_targets(result, [close], tolerance=0.0)
    assert strict["near"].tolist() == [False]
