"""Admission rules, control indicators and idle land on the tiny site, computed by hand.

The tiny site (tests/conftest.py): park A holds four 1-ha parcels P1–P4 (far_max 2, 2,
2, 1), park B one 1-ha parcel Q1 committed for 2万 m² in two phases from 2013. With
plot ratio 1.5: capacity P1–P3 15,000 m², P4 10,000 m², Q1 20,000 m². Land 500 元/m²,
construction 4,000 and fit-out 1,000 元/m² of floor, occupancy ceiling 80 %, revenue
1万 元/m², ramp 2 years, build 2 years, phases ≤ 1万 m² (P1–P3 in two phases of 7,500).

The engine's schedule for it (tests/test_engine.py): P1, P2 released 2012, start 2013,
done 2015; P3, P4 released 2013; P3 starts 2015 (done 2017), P4 starts 2017 (done
2018); Q1 released = started 2013, done 2015.

Investment at completion (1 CNY/m² = 1 万元/ha, parcels are 10,000 m²):
  P1–P3: 10,000 × 500 + 15,000 × (4,000 + 1,000) = 80,000,000 → 8,000 万元/ha
  P4:    10,000 × 500 + 10,000 × 5,000           = 55,000,000 → 5,500 万元/ha
  Q1:    10,000 × 500 + 20,000 × 5,000           = 105,000,000 → 10,500 万元/ha
Revenue at maturity (base-year prices), 亿元/ha = CNY ÷ 10,000 m² ÷ 10,000:
  P1–P3: 15,000 × 0.8 × 10,000 = 120,000,000 → 1.2 亿元/ha
  P4:    10,000 × 0.8 × 10,000 =  80,000,000 → 0.8 亿元/ha
  Q1:    20,000 × 0.8 × 10,000 = 160,000,000 → 1.6 亿元/ha
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from sim.cli import main
from sim.errors import ScenarioError
from sim.result import Result
from sim.rules import (
    Compliance,
    admission,
    bind_rules,
    compliance_by_year,
    compliance_classes,
    control_indicators,
    idle_by_parcel,
    idle_land,
    investment_to_date,
    park_admission_by_year,
)
from sim.scenario import Rules
from tests.conftest import NO_GROWTH, Loaded


def rr(loaded: Loaded) -> tuple[Result, Rules]:
    """The arguments of a rule function: the result and the scenario's rules."""
    scenario, _, result = loaded
    return result, scenario.rules


def controls(loaded: Loaded) -> pd.DataFrame:
    scenario, site, result = loaded
    return control_indicators(result, scenario.rules, bind_rules(scenario, site))


def by_parcel(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.set_index("parcel_id")


# --- admission rules ------------------------------------------------------------------


def test_admission_at_completion_and_maturity(load: Callable[[str], Loaded]) -> None:
    table = by_parcel(admission(*rr(load(NO_GROWTH))))
    assert table["investment_cny"].to_dict() == {
        "P1": 80e6, "P2": 80e6, "P3": 80e6, "P4": 55e6, "Q1": 105e6,
    }  # fmt: skip
    assert table["revenue_mature_cny"].to_dict() == pytest.approx(
        {"P1": 1.2e8, "P2": 1.2e8, "P3": 1.2e8, "P4": 0.8e8, "Q1": 1.6e8}
    )
    assert table["investment_intensity_wan_per_ha"].to_dict() == {
        "P1": 8000.0, "P2": 8000.0, "P3": 8000.0, "P4": 5500.0, "Q1": 10500.0,
    }  # fmt: skip
    assert table["revenue_density_yi_per_ha"].to_dict() == pytest.approx(
        {"P1": 1.2, "P2": 1.2, "P3": 1.2, "P4": 0.8, "Q1": 1.6}
    )
    # Margins in the rules' units: 8,000 − 5,500 = +2,500 万元/ha; 0.8 − 1 = −0.2 亿元/ha.
    assert table.loc["P1", "investment_margin_wan_per_ha"] == 2500.0
    assert table.loc["P4", "revenue_margin_yi_per_ha"] == pytest.approx(-0.2)


def test_investment_met_at_completion_revenue_only_after_the_ramp(
    load: Callable[[str], Loaded],
) -> None:
    p1 = by_parcel(admission(*rr(load(NO_GROWTH)))).loc["P1"]
    # Investment to date: 2012 land 5e6 (500), 2013 + 15e6 (2,000), 2014 + 37.5e6 (5,750
    # ≥ 5,500). Revenue: occupied 3,000 m² (2015) → 0.3, 9,000 (2016) → 0.9, 12,000
    # (2017) → 1.2 亿元/ha ≥ 1: the ramp ends in 2017.
    assert p1["meets_investment_rule"] and p1["meets_revenue_rule"]
    assert p1["first_investment_year"] == 2014
    assert p1["first_revenue_year"] == 2017
    assert p1["first_compliant_year"] == 2017
    assert p1["years_to_comply"] == 5  # released 2012


def test_parcel_that_never_meets_revenue_and_one_exactly_at_the_threshold(
    load: Callable[[str], Loaded],
) -> None:
    p4 = by_parcel(admission(*rr(load(NO_GROWTH)))).loc["P4"]
    # Exactly 5,500 万元/ha: meets, margin 0; reached at completion (2013 land 500,
    # 2017 + 20e6 → 2,500, 2018 + 30e6 → 5,500).
    assert p4["investment_intensity_wan_per_ha"] == 5500.0
    assert p4["investment_margin_wan_per_ha"] == 0.0
    assert p4["meets_investment_rule"]
    assert p4["first_investment_year"] == 2018
    # 0.8 亿元/ha at best: never meets 1 亿元/ha.
    assert not p4["meets_revenue_rule"]
    assert pd.isna(p4["first_revenue_year"]) and pd.isna(p4["first_compliant_year"])
    assert pd.isna(p4["years_to_comply"])


def test_revenue_exactly_at_the_threshold(load: Callable[[str], Loaded]) -> None:
    # "1.2 亿元/ha" goes through pint; P1's 1.2e8 ÷ 1e4 m² must still count as meeting it.
    text = NO_GROWTH.replace('"1 亿元/ha"', '"1.2 亿元/ha"')
    p1 = by_parcel(admission(*rr(load(text)))).loc["P1"]
    assert p1["meets_revenue_rule"]
    assert p1["revenue_margin_yi_per_ha"] == pytest.approx(0.0, abs=1e-12)
    assert p1["first_revenue_year"] == 2017


def test_growth_lets_yearly_revenue_pass_what_base_prices_fail(
    load: Callable[[str], Loaded],
) -> None:
    # With the tiny site's 10 %/yr growth and the 2 亿元/ha rule: P1 is 1.2 亿元/ha at
    # maturity in 2012 prices (fails), but 12,000 m² × 1万 × 1.1⁶ = 2.126 亿元/ha in 2018.
    scenario, _site, result = load('extends = "tiny.toml"\n')
    p1 = by_parcel(admission(result, scenario.rules)).loc["P1"]
    assert not p1["meets_revenue_rule"]
    assert p1["first_revenue_year"] == 2018


def test_compliance_by_year_rows(load: Callable[[str], Loaded]) -> None:
    scenario, _site, result = load(NO_GROWTH)
    table = compliance_by_year(result, scenario.rules)
    assert len(table) == 5 * 8
    p1 = table[table["parcel_id"] == "P1"].set_index("year")
    assert p1["investment_intensity_wan_per_ha"].to_list() == [
        500.0, 2000.0, 5750.0, 8000.0, 8000.0, 8000.0, 8000.0, 8000.0,
    ]  # fmt: skip
    assert p1["revenue_density_yi_per_ha"].to_list() == pytest.approx(
        [0, 0, 0, 0.3, 0.9, 1.2, 1.2, 1.2]
    )
    assert p1["meets_investment_rule"].to_list() == [False, False] + [True] * 6
    assert p1["meets_revenue_rule"].to_list() == [False] * 5 + [True] * 3
    assert p1.loc[2015, "status"] == "completed"


def test_investment_to_date_reaches_the_completion_figure(load: Callable[[str], Loaded]) -> None:
    scenario, _site, result = load(NO_GROWTH)
    done = investment_to_date(result)[0, -1]  # all five parcels complete by 2019
    np.testing.assert_allclose(done, admission(result, scenario.rules)["investment_cny"])


def test_park_averages_over_admitted_parcels(load: Callable[[str], Loaded]) -> None:
    table = park_admission_by_year(*rr(load(NO_GROWTH))).set_index(["year", "park_id"])
    # 2012: nothing started; 2014: P1, P2 (57.5e6 each over 2 ha) → 5,750.
    assert table.loc[(2012, "A"), "admitted_parcels"] == 0
    assert pd.isna(table.loc[(2012, "A"), "meets_investment_rule"])
    assert table.loc[(2014, "A"), "investment_intensity_wan_per_ha"] == 5750.0
    # 2015: P3 joins with 20e6 to date: (80 + 80 + 20)e6 / 3 ha = 6,000; revenue
    # (30 + 30 + 0)e6 / 3 ha = 0.2 亿元/ha.
    row = table.loc[(2015, "A")]
    assert row["admitted_parcels"] == 3 and row["admitted_area_ha"] == pytest.approx(3.0)
    assert row["investment_intensity_wan_per_ha"] == pytest.approx(6000.0)
    assert row["revenue_density_yi_per_ha"] == pytest.approx(0.2)
    assert row["meets_investment_rule"] and not row["meets_revenue_rule"]
    # 2019, all five: investment (3 × 80 + 55 + 105)e6 / 5 ha = 8,000; revenue
    # (3 × 120 + 40 + 160)e6 / 5 ha = 1.12 亿元/ha (P4, done 2018, is half occupied).
    total = table.loc[(2019, "total")]
    assert total["investment_intensity_wan_per_ha"] == pytest.approx(8000.0)
    assert total["revenue_density_yi_per_ha"] == pytest.approx(1.12)
    assert total["meets_revenue_rule"]


def test_compliance_classes(load: Callable[[str], Loaded]) -> None:
    scenario, _site, result = load(NO_GROWTH)
    # 2016: P1, P2 built, 8,000 万元/ha but 0.9 亿元/ha → investment only; P3 half built
    # (7,500 m² done), 5,750 and no revenue yet → investment only; P4 not started; Q1
    # 10,500 and 1.2 → both.
    codes = compliance_classes(result, scenario.rules, year=2016)
    expected = [Compliance.INVESTMENT_ONLY] * 3 + [Compliance.NOT_BUILT, Compliance.COMPLIES]
    assert codes.tolist() == expected
    # 2013: nothing completed.
    assert set(compliance_classes(result, scenario.rules, year=2013)) == {Compliance.NOT_BUILT}


# --- control indicators ---------------------------------------------------------------


LAYOUT_RULES = """
extends = "tiny.toml"
site.parcels = "layout.gpkg"
[rules]
building_coefficient = "40 %"
admin_share = "5 %"
green_share = "15 %"
[rules.plot_ratio_min]
software_rd = 1.2
"""


def write_layout(folder: Path, **columns: list[float]) -> None:
    parcels = gpd.read_file(folder / "site.gpkg", layer="parcels")
    parks = gpd.read_file(folder / "site.gpkg", layer="parks")
    parcels = parcels.assign(**columns)
    parks.to_file(folder / "layout.gpkg", layer="parks", engine="pyogrio")
    parcels.to_file(folder / "layout.gpkg", layer="parcels", engine="pyogrio")


def test_control_indicators(tiny_dir: Path, load: Callable[[str], Loaded]) -> None:
    nan = float("nan")
    write_layout(
        tiny_dir,
        building_coefficient=[0.25, nan, nan, nan, 0.30],  # P1 below 30 %; Q1 exactly at it
        admin_share=[nan, 0.08, nan, nan, 0.07],  # P2 above 7 %; Q1 exactly at it
        green_share=[nan, nan, 0.25, nan, 0.20],  # P3 above 20 %; Q1 exactly at it
    )
    scenario, site, result = load(LAYOUT_RULES)
    table = by_parcel(control_indicators(result, scenario.rules, bind_rules(scenario, site)))
    # FAR = capacity ÷ area: 1.5, 1.5, 1.5, 1.0 (P4's cap), 2.0 (Q1's 2万 m²); minimum 1.2.
    assert table["far"].to_list() == [1.5, 1.5, 1.5, 1.0, 2.0]
    assert table["meets_plot_ratio_rule"].to_list() == [True, True, True, False, True]
    # Parcel values where given, else [rules]: 40 %, 5 %, 15 %.
    assert table["building_coefficient"].to_list() == [0.25, 0.4, 0.4, 0.4, 0.3]
    assert table["admin_share"].to_list() == [0.05, 0.08, 0.05, 0.05, 0.07]
    assert table["green_share"].to_list() == [0.15, 0.15, 0.25, 0.15, 0.2]
    assert table["meets_building_coefficient_rule"].to_list() == [False, True, True, True, True]
    assert table["meets_admin_share_rule"].to_list() == [True, False, True, True, True]
    assert table["meets_green_share_rule"].to_list() == [True, True, False, True, True]
    assert table["meets_control_indicators"].to_list() == [False, False, False, False, True]


def test_unknown_layout_is_not_assessed(load: Callable[[str], Loaded]) -> None:
    table = controls(load('extends = "tiny.toml"\n'))
    assert table["building_coefficient"].isna().all()
    assert table["meets_building_coefficient_rule"].isna().all()
    # Plot ratios all pass the default minimum 1.0, the layout is unknown: no verdict.
    assert table["meets_plot_ratio_rule"].all()
    assert table["meets_control_indicators"].isna().all()


def test_wildcard_plot_ratio_rule(load: Callable[[str], Loaded]) -> None:
    scenario, site, _ = load(
        'extends = "tiny.toml"\n[rules.plot_ratio_min]\nindustrial = 2.0\n"*" = 0.7\n'
    )
    assert bind_rules(scenario, site).plot_ratio_min.tolist() == [0.7] * 5


def test_land_use_without_a_rule(load: Callable[[str], Loaded]) -> None:
    scenario, site, _ = load('extends = "tiny.toml"\n[rules.plot_ratio_min]\nindustrial = 1.0\n')
    with pytest.raises(ScenarioError, match="land use 'software_rd'") as info:
        bind_rules(scenario, site)
    message = str(info.value)
    assert "5 parcel(s): P1, P2, P3 and 2 more" in message
    assert "add software_rd = 1.0 to [rules.plot_ratio_min]" in message
    assert "'industrial'" in message  # what the table does list


# --- idle land ------------------------------------------------------------------------


def test_idle_land_by_park_and_year(load: Callable[[str], Loaded]) -> None:
    table = idle_land(*rr(load(NO_GROWTH))).set_index(["year", "park_id"])
    # P3 and P4, released 2013: unstarted at the end of 2014 → idle (2014 − 2013 ≥ 1).
    # P3 starts 2015; P4 stays idle through 2016 and is reclaimable in 2015–2016
    # (≥ 2 years); it starts in 2017.
    idle = table.xs("A", level="park_id")["idle_parcels"]
    assert idle.to_list() == [0, 0, 2, 1, 1, 0, 0, 0]
    reclaimable = table.xs("A", level="park_id")["reclaimable_area_ha"]
    assert reclaimable.to_list() == pytest.approx([0, 0, 0, 1, 1, 0, 0, 0])
    assert table["reclaimed_parcels"].sum() == 0  # reclaim_idle is off
    assert (table.xs("B", level="park_id")["idle_parcels"] == 0).all()  # committed Q1
    assert table.loc[(2014, "total"), "idle_area_ha"] == pytest.approx(2.0)


def test_reclaim_idle_reports_reclaimed_land(load: Callable[[str], Loaded]) -> None:
    table = idle_land(*rr(load(NO_GROWTH + "reclaim_idle = true\n")))
    reclaimed = table[table["park_id"] == "A"].set_index("year")["reclaimed_area_ha"]
    assert reclaimed.to_list() == pytest.approx([0, 0, 0, 1, 0, 0, 0, 0])  # P4, once, 2015


def test_idle_by_parcel(load: Callable[[str], Loaded]) -> None:
    scenario, _, result = load(NO_GROWTH)
    table = by_parcel(idle_by_parcel(result, scenario.rules))
    assert table["idle_years"].to_list() == [0, 0, 1, 3, 0]
    assert table.loc["P4", "first_idle_year"] == 2014
    assert table.loc["P4", "reclaimable_year"] == 2015
    assert pd.isna(table.loc["P3", "reclaimable_year"])


def test_longer_idle_rule(load: Callable[[str], Loaded]) -> None:
    scenario, _, result = load(NO_GROWTH + "idle_after_years = 2\nreclaim_after_years = 3\n")
    table = by_parcel(idle_by_parcel(result, scenario.rules))
    # P4 released 2013, started 2017: idle from 2015, reclaimable from 2016.
    assert table.loc["P4", "idle_years"] == 2
    assert table.loc["P4", "reclaimable_year"] == 2016


# --- outputs --------------------------------------------------------------------------


def test_written_densities_recompute_from_their_parts(tiny_dir: Path) -> None:
    out = tiny_dir / "out"
    assert main(["run", str(tiny_dir / "tiny.toml"), "--out", str(out), "-q", "--no-figures"]) == 0
    parcels = gpd.read_file(out / "parcels.gpkg", layer="parcels")
    for column in (
        "investment_cny", "revenue_mature_cny", "investment_intensity_wan_per_ha",
        "revenue_density_yi_per_ha", "meets_investment_rule", "meets_revenue_rule",
        "first_compliant_year", "plot_ratio_min", "meets_control_indicators", "idle_years",
    ):  # fmt: skip
        assert column in parcels.columns
    area = parcels["area_m2"].to_numpy()
    np.testing.assert_array_equal(
        parcels["investment_intensity_wan_per_ha"], parcels["investment_cny"] / area
    )
    np.testing.assert_array_equal(
        parcels["revenue_density_yi_per_ha"], parcels["revenue_mature_cny"] / area / 1e4
    )
    np.testing.assert_array_equal(parcels["area_ha"], area / 1e4)
    assert parcels.set_index("parcel_id").loc["P4", "investment_cny"] == 55e6

    raw = (out / "compliance.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    yearly = pd.read_csv(out / "compliance.csv", encoding="utf-8-sig")
    assert list(yearly.columns[:3]) == ["parcel_id", "park_id", "year"]
    yearly_area = yearly["parcel_id"].map(parcels.set_index("parcel_id")["area_m2"])
    np.testing.assert_array_equal(
        yearly["investment_intensity_wan_per_ha"], yearly["investment_to_date_cny"] / yearly_area
    )
    np.testing.assert_array_equal(
        yearly["revenue_density_yi_per_ha"], yearly["revenue_cny"] / yearly_area / 1e4
    )
    last = yearly[yearly["year"] == 2019].set_index("parcel_id")
    np.testing.assert_array_equal(  # all built by 2019: to date = at completion
        last["investment_to_date_cny"], parcels.set_index("parcel_id")["investment_cny"]
    )
