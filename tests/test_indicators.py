"""Indicators Chinese practice reports (sim/indicators.py), worked by hand on the tiny site.

Growth 0 and demand enough to fill every building by 2019: a 1-ha parcel at plot ratio
1.5 holds 15,000 m², 80 % occupied = 12,000 m² × 1万 元/m² = 1.2 亿元 a year = 12,000 万元/ha
= 800 万元/亩; tax at 5 % = 40 万元/亩, value added at 35 % = 280 万元/亩; 12,000 m² ÷ 40 m²
per worker = 300 workers/ha. P4 (plot ratio capped at 1.0) has two thirds of each.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.indicators import score, score_class
from sim.outcome import compute
from sim.scenario import Indicators
from tests.conftest import load_inputs, tiny_toml

INDICATORS = """
[indicators]
year = 2019
tax_to_revenue = "5 %"
value_added_ratio = "35 %"
[indicators.score.tax_per_mu]
weight = 0.5
benchmark = 40
[indicators.score.employment_density]
weight = 0.5
benchmark = 600
"""
FULL = (
    ('revenue_growth = "10 %"', 'revenue_growth = "0 %"'),
    ('demand_per_year = "1.5万 m2"', 'demand_per_year = "10万 m2"'),
)


@pytest.fixture
def tables(write_scenario) -> tuple[pd.DataFrame, pd.DataFrame]:
    outcome = compute(*load_inputs(write_scenario(tiny_toml(*FULL, extra=INDICATORS))))
    assert outcome.indicators is not None
    return outcome.indicators.parcels.set_index("parcel_id"), outcome.indicators.parks.set_index(
        "park_id"
    )


def test_parcel_indicators_by_hand(tables: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    parcels, _ = tables
    p1 = parcels.loc["P1"]
    assert p1["revenue_wan_per_ha"] == pytest.approx(12_000)
    assert p1["revenue_wan_per_mu"] == pytest.approx(800)
    assert p1["tax_wan_per_mu"] == pytest.approx(40)
    assert p1["value_added_wan_per_mu"] == pytest.approx(280)
    assert p1["employment_density_persons_per_ha"] == pytest.approx(300)
    assert p1["plot_ratio"] == pytest.approx(1.5)
    assert p1["area_mu"] == pytest.approx(15)
    # Investment at completion: land 500 + (4,000 + 1,000) × 1.5 = 8,000 元/m² = 8,000 万元/ha.
    assert p1["investment_intensity_wan_per_ha"] == pytest.approx(8_000)
    assert p1["investment_intensity_wan_per_mu"] == pytest.approx(8_000 / 15)
    assert np.isnan(p1["investment_intensity_pledged_wan_per_ha"])  # no applicants
    assert parcels.loc["P4", "tax_wan_per_mu"] == pytest.approx(40 * 2 / 3)


def test_mu_jun_score_and_classes_by_hand(tables: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    parcels, _ = tables
    # P1: 0.5 × 40/40 + 0.5 × 300/600 = 0.75 → 75 (B); P4: 0.5 × 2/3 + 0.5 × 1/3 = 50 (C);
    # Q1 (plot ratio 2): 0.5 × min(53.3/40, 1.5) + 0.5 × 400/600 = 100 (A).
    assert parcels.loc["P1", "score"] == pytest.approx(75)
    assert parcels.loc["P4", "score"] == pytest.approx(50)
    assert parcels.loc["Q1", "score"] == pytest.approx(100)
    assert parcels["score_class"].to_dict() == {
        "P1": "B",
        "P2": "B",
        "P3": "B",
        "P4": "C",
        "Q1": "A",
    }


def test_park_land_use_indicators_by_hand(tables: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    parcels, parks = tables
    a = parks.loc["A"]
    assert a["land_supply_rate"] == pytest.approx(1.0)  # all 4 ha serviced are sold
    assert a["land_built_rate"] == pytest.approx(1.0)
    assert a["composite_plot_ratio"] == pytest.approx((3 * 1.5 + 1.0) / 4)
    assert a["fixed_asset_intensity_wan_per_ha"] == pytest.approx((3 * 8_000 + 5_500) / 4)
    # 2019 revenue (tests/test_rules.py): P1 1.2, P2 1.14375, P3 1.0125, P4 0.8 亿元/ha —
    # P2's and P3's second phases still fill — taxed at 5 %, over A's 4 ha.
    assert a["tax_wan_per_ha"] == pytest.approx((12_000 + 11_437.5 + 10_125 + 8_000) * 0.05 / 4)
    # End of 2019: 43,250 of 55,000 m² occupied (tests/test_engine.py).
    assert a["vacancy_rate"] == pytest.approx(1 - 43_250 / 55_000)
    # The park's score is the area-weighted mean of its parcels' (all 1 ha).
    in_a = ["P1", "P2", "P3", "P4"]
    assert a["score"] == pytest.approx(parcels.loc[in_a, "score"].mean())
    assert np.isnan(a["building_density"])  # no layout given: not assessed
    assert np.isnan(a["idle_disposal_rate"])  # no idle land


def test_score_caps_each_indicator() -> None:
    spec = Indicators.model_validate(
        {"score": {"tax_per_mu": {"weight": 1.0, "benchmark": 10}}, "score_cap": 1.5}
    )
    assert score({"tax_per_mu": np.array([100.0])}, spec).tolist() == [150.0]
    assert score_class(np.array([150.0]), spec).tolist() == ["A"]


def test_weights_must_sum_to_one(write_scenario) -> None:
    from sim.errors import SimError

    bad = INDICATORS.replace("weight = 0.5\nbenchmark = 600", "weight = 0.4\nbenchmark = 600")
    with pytest.raises(SimError, match=r"indicators\.score"):
        load_inputs(write_scenario(tiny_toml(extra=bad)))
