"""Admission rules, control indicators and idle land on the tiny site, computed by hand.

The tiny site (tests/conftest.py): park A holds four 1-ha parcels P1–P4 (far_max 2, 2,
2, 1), park B one 1-ha parcel Q1 committed for 2万 m² in two phases from 2013. With
plot ratio 1.5: capacity P1–P3 15,000 m², P4 10,000 m², Q1 20,000 m². Land 500 元/m²,
construction 4,000 and fit-out 1,000 元/m² of floor, occupancy ceiling 80 %, revenue
1万 元/m², ramp 2 years, build 2 years, phases ≤ 1万 m² (P1–P3 in two phases of 7,500).

The quarterly schedule (docs/MODEL.md; t = 0 is 2012Q1, events at the end of a quarter):

- Land: 2 ha/yr = 5,000 m² a quarter down the queue P1, P2, P3, P4; the cumulative 1,
  2, 3, 4 ha are serviced — and, take-up unlimited, sold — in 2012Q2, 2012Q4, 2013Q2,
  2013Q4 (t = 1, 3, 5, 7).
- Start = contracted start = sale + 1 yr: P1 2013Q2, P2 2013Q4, P3 2014Q2, P4 2014Q4.
- Phases build 8 quarters and the next starts as one tops out (top-out = duration):
  P1 completes 7,500 m² in 2015Q2 and 7,500 more in 2017Q2, P2 2015Q4 / 2017Q4, P3
  2016Q2 / 2018Q2; P4's one phase of 10,000 m² 2016Q4. Q1 (committed 2013) is sold
  2012Q1 (start − lag) and builds 10,000 m² 2013Q1→2015Q1, 10,000 more →2017Q1.
- Investment: land 5e6 in the quarter of sale; construction 7,500 × 4,000 / 8 =
  3.75e6 a quarter of each phase (P4, Q1: 10,000 × 4,000 / 8 = 5e6); fit-out 7.5e6
  (P4, Q1: 10e6) in the quarter a phase completes.
- Occupancy: the demand backlog (1.5万 m²/yr from 2012) always exceeds the room, so
  each building — each phase is one — fills at its ramp, 0.8 × its floor / 8 quarters
  = 10 % of its floor a quarter from the quarter it completes, up to 80 %. Yearly
  revenue = Σ of the four quarter-end occupied floors × 1万 元/m² ÷ 4 (no growth);
  亿元/ha = CNY ÷ 10⁴ m² ÷ 10⁴.

Investment at completion (1 CNY/m² = 1 万元/ha, parcels are 10,000 m²):
  P1–P3: 10,000 × 500 + 15,000 × (4,000 + 1,000) = 80,000,000 → 8,000 万元/ha
  P4:    10,000 × 500 + 10,000 × 5,000           = 55,000,000 → 5,500 万元/ha
  Q1:    10,000 × 500 + 20,000 × 5,000           = 105,000,000 → 10,500 万元/ha
Revenue at maturity (base-year prices), 亿元/ha = CNY ÷ 10,000 m² ÷ 10,000:
  P1–P3: 15,000 × 0.8 × 10,000 = 120,000,000 → 1.2 亿元/ha
  P4:    10,000 × 0.8 × 10,000 =  80,000,000 → 0.8 亿元/ha
  Q1:    20,000 × 0.8 × 10,000 = 160,000,000 → 1.6 亿元/ha

Year by year (NO_GROWTH), investment to date in 万元/ha and revenue in 亿元/ha:

====  =====================  =====================  ======================  ======
year  P1 to date / revenue   P2                     P3                      P4
====  =====================  =====================  ======================  ======
2012  500 / 0                500 / 0                0 / 0                   0
2013  1,625 / 0              875 / 0                500 / 0                 500
2014  3,125 / 0              2,375 / 0              1,625 / 0               1,000
2015  5,375 / 0.1125         4,625 / 0.01875        3,125 / 0               3,000
2016  6,875 / 0.4125         6,125 / 0.2625         5,375 / 0.1125          5,500 / 0.025
2017  8,000 / 0.7125         8,000 / 0.5625         6,875 / 0.4125          5,500 / 0.35
2018  8,000 / 1.0125         8,000 / 0.8625         8,000 / 0.7125          5,500 / 0.725
2019  8,000 / 1.2            8,000 / 1.14375        8,000 / 1.0125          5,500 / 0.8
====  =====================  =====================  ======================  ======

Q1: 500, 2,500, 4,500, 7,500, 9,500, 10,500 … 万元/ha; revenue 0, 0, 0, 0.25, 0.65,
1.05, 1.45, 1.6 亿元/ha.

Idle land needs developers who start later than contracted: :data:`IDLE_LAG` gives
park A a contracted start 1 yr after sale but an actual one 4 yr after.
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
from tests.conftest import NO_GROWTH, Loaded, tiny_toml

#: NO_GROWTH where park A's developers start 4 years after the sale although their land
#: contracts say 1 year: its land lies idle (from 1 yr after the contracted start) and
#: becomes reclaimable (from 2 yr after it) before anything is built.
IDLE_LAG = NO_GROWTH.replace(
    "[rules]", "[parks.A]\nstart_lag_years = 4\ncontract_lag_years = 1\n\n[rules]"
)


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
    # Investment to date (万元/ha): 2012 land 5e6 → 500; 2013 + 3 × 3.75e6 → 1,625;
    # 2014 + 4 × 3.75e6 → 3,125; 2015 + 4 × 3.75e6 + 7.5e6 fit-out → 5,375 (< 5,500);
    # 2016 + 4 × 3.75e6 → 6,875 ≥ 5,500. Revenue: quarter-end occupied floor summed over
    # the year × 1万 ÷ 4 ÷ 10⁸: 2015 (750 + 1,500 + 2,250) → 0.1125, 2016 (3,000 … 5,250)
    # → 0.4125, 2017 (6,000 + 6,750 + 7,500 + 8,250) → 0.7125, 2018 (9,000 + 9,750 +
    # 10,500 + 11,250) → 1.0125 亿元/ha ≥ 1: the first phase is full from 2017Q1, the
    # second (done 2017Q2) fills 750 m² a quarter.
    assert p1["meets_investment_rule"] and p1["meets_revenue_rule"]
    assert p1["first_investment_year"] == 2016
    assert p1["first_revenue_year"] == 2018
    assert p1["first_compliant_year"] == 2018
    assert p1["years_to_comply"] == 6  # sold 2012 (2012Q2)


def test_parcel_that_never_meets_revenue_and_one_exactly_at_the_threshold(
    load: Callable[[str], Loaded],
) -> None:
    p4 = by_parcel(admission(*rr(load(NO_GROWTH)))).loc["P4"]
    # Exactly 5,500 万元/ha: meets, margin 0; reached at completion in 2016Q4 (2013 land
    # 5e6 → 500, 2014 + 5e6 → 1,000, 2015 + 4 × 5e6 → 3,000, 2016 + 3 × 5e6 + 10e6
    # fit-out → 5,500).
    assert p4["investment_intensity_wan_per_ha"] == 5500.0
    assert p4["investment_margin_wan_per_ha"] == 0.0
    assert p4["meets_investment_rule"]
    assert p4["first_investment_year"] == 2016
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
    assert p1["first_revenue_year"] == 2019  # 4 × 12,000 × 1万 ÷ 4 = 1.2e8, exactly


def test_growth_lets_yearly_revenue_pass_what_base_prices_fail(
    load: Callable[[str], Loaded],
) -> None:
    # With the tiny site's 10 %/yr growth (1.1^(t/4) in quarter t) and the 2 亿元/ha
    # rule: P1 is 1.2 亿元/ha at maturity in 2012 prices (fails), but in 2019 (t = 28–31,
    # 12,000 m² occupied) 12,000 × 1万 ÷ 4 × 1.1⁷ × (1 + 1.1^¼ + 1.1^½ + 1.1^¾) =
    # 3e7 × 1.9487171 × 4.147022 = 2.424 亿元/ha; 2018 (9,000 … 11,250 m²) gives 1.864.
    scenario, _site, result = load('extends = "tiny.toml"\n')
    p1 = by_parcel(admission(result, scenario.rules)).loc["P1"]
    assert not p1["meets_revenue_rule"]
    assert p1["first_revenue_year"] == 2019


def test_compliance_by_year_rows(load: Callable[[str], Loaded]) -> None:
    scenario, _site, result = load(NO_GROWTH)
    table = compliance_by_year(result, scenario.rules)
    assert len(table) == 5 * 8
    p1 = table[table["parcel_id"] == "P1"].set_index("year")
    # The P1 column of the table in the module docstring.
    assert p1["investment_intensity_wan_per_ha"].to_list() == [
        500.0, 1625.0, 3125.0, 5375.0, 6875.0, 8000.0, 8000.0, 8000.0,
    ]  # fmt: skip
    assert p1["revenue_density_yi_per_ha"].to_list() == pytest.approx(
        [0, 0, 0, 0.1125, 0.4125, 0.7125, 1.0125, 1.2]
    )
    assert p1["meets_investment_rule"].to_list() == [False] * 4 + [True] * 4
    assert p1["meets_revenue_rule"].to_list() == [False] * 6 + [True] * 2
    # End of 2015: the first phase is done (2015Q2), the second building.
    assert p1.loc[2014, "status"] == "under_construction"
    assert p1.loc[2015, "status"] == "under_construction"
    assert p1.loc[2017, "status"] == "completed"  # second phase done 2017Q2
    p4 = table[table["parcel_id"] == "P4"].set_index("year")
    assert p4["investment_intensity_wan_per_ha"].to_list() == [
        0.0, 500.0, 1000.0, 3000.0, 5500.0, 5500.0, 5500.0, 5500.0,
    ]  # fmt: skip
    assert p4["revenue_density_yi_per_ha"].to_list() == pytest.approx(
        [0, 0, 0, 0, 0.025, 0.35, 0.725, 0.8]
    )
    assert p4["status"].to_list()[:2] == ["not_released", "released"]  # sold 2013Q4


def test_investment_to_date_reaches_the_completion_figure(load: Callable[[str], Loaded]) -> None:
    scenario, _site, result = load(NO_GROWTH)
    done = investment_to_date(result)[0, -1]  # all five parcels complete by 2019
    np.testing.assert_allclose(done, admission(result, scenario.rules)["investment_cny"])


def test_park_averages_over_admitted_parcels(load: Callable[[str], Loaded]) -> None:
    table = park_admission_by_year(*rr(load(NO_GROWTH))).set_index(["year", "park_id"])
    # Admitted = started by the end of the year. 2012: nothing started in A.
    assert table.loc[(2012, "A"), "admitted_parcels"] == 0
    assert pd.isna(table.loc[(2012, "A"), "meets_investment_rule"])
    # 2013: P1 (started 2013Q2) and P2 (2013Q4): (16.25 + 8.75)e6 / 2 ha = 1,250; B's Q1
    # (2013Q1): 25e6 / 1 ha = 2,500.
    assert table.loc[(2013, "A"), "admitted_parcels"] == 2
    assert table.loc[(2013, "A"), "investment_intensity_wan_per_ha"] == pytest.approx(1250.0)
    assert table.loc[(2013, "B"), "investment_intensity_wan_per_ha"] == pytest.approx(2500.0)
    # 2014: P3 (2014Q2) and P4 (2014Q4) join: (31.25 + 23.75 + 16.25 + 10)e6 / 4 ha.
    assert table.loc[(2014, "A"), "admitted_parcels"] == 4
    assert table.loc[(2014, "A"), "investment_intensity_wan_per_ha"] == pytest.approx(2031.25)
    # 2016: (68.75 + 61.25 + 53.75 + 55)e6 / 4 ha = 5,968.75 ≥ 5,500; revenue
    # (41.25 + 26.25 + 11.25 + 2.5)e6 / 4 ha = 0.203125 亿元/ha < 1.
    row = table.loc[(2016, "A")]
    assert row["admitted_parcels"] == 4 and row["admitted_area_ha"] == pytest.approx(4.0)
    assert row["investment_intensity_wan_per_ha"] == pytest.approx(5968.75)
    assert row["revenue_density_yi_per_ha"] == pytest.approx(0.203125)
    assert row["meets_investment_rule"] and not row["meets_revenue_rule"]
    # 2019, all five built: investment (3 × 80 + 55 + 105)e6 / 5 ha = 8,000; revenue
    # (120 + 114.375 + 101.25 + 80 + 160)e6 / 5 ha = 1.15125 亿元/ha (P2's and P3's
    # second phases still filling).
    total = table.loc[(2019, "total")]
    assert total["investment_intensity_wan_per_ha"] == pytest.approx(8000.0)
    assert total["revenue_density_yi_per_ha"] == pytest.approx(1.15125)
    assert total["meets_revenue_rule"]


def test_compliance_classes(load: Callable[[str], Loaded]) -> None:
    scenario, _site, result = load(NO_GROWTH)
    c = Compliance
    # 2016 (the table of the module docstring; rules 5,500 万元/ha and 1 亿元/ha): P1
    # 6,875 / 0.41, P2 6,125 / 0.26, P4 5,500 / 0.025 (done 2016Q4) and Q1 9,500 / 0.65
    # → investment only; P3, half built (2016Q2), 5,375 / 0.11 → fails both.
    codes = compliance_classes(result, scenario.rules, year=2016)
    assert codes.tolist() == [c.INVESTMENT_ONLY] * 2 + [c.FAILS_BOTH] + [c.INVESTMENT_ONLY] * 2
    # 2015: P1 (5,375 / 0.11) and P2 (4,625 / 0.02; first phase done 2015Q4) fail both;
    # P3, P4 have nothing completed; Q1 7,500 / 0.25 → investment only.
    codes = compliance_classes(result, scenario.rules, year=2015)
    assert codes.tolist() == [c.FAILS_BOTH] * 2 + [c.NOT_BUILT] * 2 + [c.INVESTMENT_ONLY]
    # 2018: P1 1.0125, Q1 1.45 亿元/ha → both; P2 0.8625, P3 0.7125, P4 0.725 →
    # investment only.
    codes = compliance_classes(result, scenario.rules, year=2018)
    assert codes.tolist() == [c.COMPLIES] + [c.INVESTMENT_ONLY] * 3 + [c.COMPLIES]
    # 2014: nothing completed (Q1's first phase completes in 2015Q1).
    assert set(compliance_classes(result, scenario.rules, year=2014)) == {c.NOT_BUILT}


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


def test_no_idle_land_when_developers_start_on_contract(load: Callable[[str], Loaded]) -> None:
    # Start lag = contract lag (1 yr): every parcel starts in its contracted quarter, a
    # year before it could be idle.
    table = idle_land(*rr(load(NO_GROWTH)))
    assert table[["idle_parcels", "reclaimable_parcels", "reclaimed_parcels"]].sum().sum() == 0


def test_idle_land_by_park_and_year(load: Callable[[str], Loaded]) -> None:
    table = idle_land(*rr(load(IDLE_LAG))).set_index(["year", "park_id"])
    # A's parcels are sold in 2012Q2, 2012Q4, 2013Q2, 2013Q4 (t = 1, 3, 5, 7); contracted
    # start + 4 quarters (t = 5, 7, 9, 11); idle from a year after it (t = 9, 11, 13, 15 =
    # 2014Q2, 2014Q4, 2015Q2, 2015Q4), reclaimable from two years after it (t = 13, 15, 17,
    # 19 = 2015Q2, 2015Q4, 2016Q2, 2016Q4), both until the actual start at sale + 16
    # quarters (t = 17, 19, 21, 23 = 2016Q2, 2016Q4, 2017Q2, 2017Q4). At the year ends:
    # 2014: P1, P2 idle; 2015: all four idle, P1 and P2 reclaimable; 2016: P1, P2 started,
    # P3 and P4 idle and reclaimable; 2017: all started.
    a = table.xs("A", level="park_id")
    assert a["idle_parcels"].to_list() == [0, 0, 2, 4, 2, 0, 0, 0]
    assert a["idle_area_ha"].to_list() == pytest.approx([0, 0, 2, 4, 2, 0, 0, 0])
    assert a["reclaimable_parcels"].to_list() == [0, 0, 0, 2, 2, 0, 0, 0]
    assert a["reclaimable_area_ha"].to_list() == pytest.approx([0, 0, 0, 2, 2, 0, 0, 0])
    assert table["reclaimed_parcels"].sum() == 0  # reclaim_idle is off
    assert (table.xs("B", level="park_id")["idle_parcels"] == 0).all()  # committed Q1
    assert table.loc[(2015, "total"), "idle_area_ha"] == pytest.approx(4.0)


def test_idle_by_parcel(load: Callable[[str], Loaded]) -> None:
    scenario, _, result = load(IDLE_LAG)
    table = by_parcel(idle_by_parcel(result, scenario.rules))
    # From the spells of test_idle_land_by_park_and_year: each of P1–P4 ends two years
    # idle; P1, P2 idle from 2014 and reclaimable from 2015, P3, P4 a year later.
    assert table["idle_years"].to_list() == [2, 2, 2, 2, 0]
    assert table["first_idle_year"].to_list()[:4] == [2014, 2014, 2015, 2015]
    assert table["reclaimable_year"].to_list()[:4] == [2015, 2015, 2016, 2016]
    assert pd.isna(table.loc["Q1", "first_idle_year"])
    assert pd.isna(table.loc["Q1", "reclaimable_year"])


def test_longer_idle_rule(load: Callable[[str], Loaded]) -> None:
    text = IDLE_LAG + "idle_after_years = 2\nreclaim_after_years = 3\n"
    scenario, _, result = load(text)
    table = by_parcel(idle_by_parcel(result, scenario.rules))
    # Idle from the contracted start + 8 quarters (t = 13, 15, 17, 19) until the start
    # (t = 17, 19, 21, 23): one year end each — P1, P2 2015, P3, P4 2016. Reclaimable from
    # contracted start + 12 quarters, which is each parcel's start quarter: a parcel that
    # starts in the quarter it would become reclaimable is kept (docs/MODEL.md).
    assert table["idle_years"].to_list() == [1, 1, 1, 1, 0]
    assert table["first_idle_year"].to_list()[:4] == [2015, 2015, 2016, 2016]
    assert table["reclaimable_year"].isna().all()


#: IDLE_LAG on the tiny site cut at 2017 (its 2018 target moved to 2017), so that every
#: reclaimed parcel is sold again but not yet reclaimed a second time.
def idle_lag_to_2017(write_scenario: Callable[..., Path]) -> str:
    text = tiny_toml(("horizon = 2019", "horizon = 2017"), ("year = 2018", "year = 2017"))
    write_scenario(text, "tiny_2017.toml")
    return IDLE_LAG.replace('"tiny.toml"', '"tiny_2017.toml"') + "reclaim_idle = true\n"


def test_reclaim_idle_reports_reclaimed_land(
    load: Callable[[str], Loaded], write_scenario: Callable[..., Path]
) -> None:
    scenario, _, result = load(idle_lag_to_2017(write_scenario))
    table = idle_land(result, scenario.rules)
    a = table[table["park_id"] == "A"].set_index("year")
    # Each parcel is taken back at the end of the quarter it becomes reclaimable: P1
    # 2015Q2, P2 2015Q4, P3 2016Q2, P4 2016Q4; serviced already, it sells again the next
    # quarter (take-up unlimited) and its contract clock restarts.
    assert a["reclaimed_parcels"].to_list() == [0, 0, 0, 2, 2, 0]
    assert a["reclaimed_area_ha"].to_list() == pytest.approx([0, 0, 0, 2, 2, 0])
    # Year ends: 2015 — P1, sold again 2015Q3 (contracted start 2016Q3), is not idle; P2
    # (taken back at that very quarter end), P3 and P4 are; P2 is the reclaimable one.
    # 2016 — P3, sold again 2016Q3, is not idle; P4 is idle and reclaimable (taken back
    # 2016Q4). 2017 — P1 is idle again from 2017Q3 (contracted start 2016Q3 + 1 yr).
    assert a["idle_parcels"].to_list() == [0, 0, 2, 3, 1, 1]
    assert a["reclaimable_parcels"].to_list() == [0, 0, 0, 1, 1, 0]
    idle = by_parcel(idle_by_parcel(result, scenario.rules))
    assert idle["idle_years"].to_list() == [2, 2, 1, 2, 0]  # P1: 2014 and 2017
    # P1 and P3 were taken back mid-year, never reclaimable at a year end: their
    # reclaimable year is the year they were taken back.
    assert idle["reclaimable_year"].to_list()[:4] == [2015, 2015, 2016, 2016]
    np.testing.assert_array_equal(result.reclaim_year[0], [2015, 2015, 2016, 2016, np.nan])
    # P1's land is paid twice (5e6 in 2012Q2, again in 2015Q3), but investment to date is
    # the holder's own: 500 万元/ha throughout, not 1,000 from 2015 — the first
    # developer's land price is no part of the second's project.
    assert result.series["investment_cny"][0, :, 0].tolist() == [5e6, 0, 0, 5e6, 0, 0]
    yearly = compliance_by_year(result, scenario.rules)
    p1 = yearly[yearly["parcel_id"] == "P1"]
    assert p1["investment_intensity_wan_per_ha"].to_list() == [500.0] * 6


def test_land_reclaimed_twice_counts_twice(load: Callable[[str], Loaded]) -> None:
    table = idle_land(*rr(load(IDLE_LAG + "reclaim_idle = true\n")))
    reclaimed = table[table["park_id"] == "A"].set_index("year")["reclaimed_parcels"]
    # As in the 2017 case, plus the second round: sold again the quarter after being taken
    # back, P1 (2015Q3), P2 (2016Q1) and P3 (2016Q3) are reclaimable 3 years on, in
    # 2018Q3, 2019Q1 and 2019Q3; P4 (sold again 2017Q1) would be in 2020Q1.
    assert reclaimed.to_list() == [0, 0, 0, 2, 2, 0, 1, 2]


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
    assert list(yearly.columns[:5]) == [
        "parcel_id",
        "park_id",
        "park_name_zh",
        "park_name_en",
        "year",
    ]
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


def test_control_indicators_hold_only_the_listed_land_uses(write_scenario) -> None:
    """R&D/office land is not held to the industrial layout indicators unless listed."""
    from sim.outcome import compute
    from tests.conftest import load_inputs, tiny_toml

    text = tiny_toml(
        ("[rules]\n", '[rules]\nbuilding_coefficient = "20 %"\n'),  # below the 30 % minimum
    )
    held = compute(*load_inputs(write_scenario(text, "held.toml"))).rules.controls
    assert not held["meets_building_coefficient_rule"].any()  # every parcel fails
    exempt_text = text.replace("[rules]\n", '[rules]\ncontrol_land_uses = ["industrial"]\n')
    exempt = compute(*load_inputs(write_scenario(exempt_text, "exempt.toml"))).rules.controls
    assert exempt["meets_building_coefficient_rule"].isna().all()  # software_rd: not assessed
    assert not (exempt["meets_control_indicators"] == False).any()  # noqa: E712 - NA-aware


def test_admission_rules_are_not_assessed_without_thresholds(write_scenario) -> None:
    """No thresholds in the scenario: no flags, no audit findings, not a default 4000/2亿."""
    from sim.outcome import compute
    from tests.conftest import load_inputs, tiny_toml

    text = tiny_toml(
        ('investment_intensity_min = "4000 万元/ha"\n', ""),
        ('revenue_density_min = "2 亿元/ha"\n', ""),
    )
    outcome = compute(*load_inputs(write_scenario(text)))
    assert outcome.scenario.rules.investment_intensity_min is None
    for table in (outcome.rules.admission, outcome.rules.compliance):
        assert table["meets_investment_rule"].isna().all()
        assert table["meets_revenue_rule"].isna().all()
    checks = {f.check for f in outcome.audit.findings}
    assert not checks & {"investment_rule", "revenue_rule", "admitted_average"}
