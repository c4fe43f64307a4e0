"""Capacity, land supply and the plan's own consistency, by hand on the tiny site; the
baseline audit through the command line.

Tiny site capacities (plot ratio 1.5, see tests/test_rules.py): A = 3 × 15,000 +
10,000 = 55,000 m² on 4 ha; B = Q1's committed 20,000 m² on 1 ha; total 75,000 m².
Land (tests/test_rules.py): A's P1–P4 are sold in 2012Q2, 2012Q4, 2013Q2, 2013Q4; B's Q1,
committed for 2013, in 2012Q1 (its start less the 1-yr lag).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

import sim.audit
from sim.audit import Finding, capacity, consistency, land_supply
from sim.audit.findings import CNY_PER_WAN, FLOOR, M2_PER_HA, REVENUE
from sim.cli import main
from sim.outcome import compute
from sim.result import Result
from sim.scenario import Scenario
from sim.units import convert
from tests.conftest import BASELINE, Loaded, tiny_toml

PLAN = """
extends = "tiny.toml"

[[targets]]
metric = "revenue"
park = "total"
year = 2016
value = "10 亿元"

[[targets]]
metric = "revenue"
park = "A"
year = 2016
value = "6 亿元"

[[targets]]
metric = "revenue"
park = "B"
year = 2016
value = "3 亿元"

[[targets]]
metric = "floor_completed"
park = "total"
year = 2016
value = "5万 m2"

[[targets]]
metric = "floor_completed"
park = "A"
year = 2016
value = "6万 m2"

[[targets]]
metric = "floor_under_construction"
park = "A"
year = 2016
value = "1万 m2"

[[targets]]
metric = "workers"
park = "total"
year = 2016
value = 1000

[benchmarks]
tolerance = "10 %"

[benchmarks.base_revenue]
value = "2 亿元"
year = 2011
growth = "100 %"
source = "made up for the test"

[benchmarks.revenue_per_worker]
value = "50 万元"
year = 2014
growth = "0 %"
source = "made up for the test"

[benchmarks.m2_per_worker]
value = "40 m2"
source = "made up for the test"

[benchmarks.investment_intensity]
value = "5000 万元/ha"
year = 2009
source = "made up for the test"
"""


def sr(loaded: Loaded) -> tuple[Scenario, Result]:
    scenario, _, result = loaded
    return scenario, result


def find(findings: list[Finding], check: str, scope: str = "total") -> Finding:
    hits = [f for f in findings if f.check == check and f.scope == scope]
    assert len(hits) == 1, (check, scope, findings)
    return hits[0]


# --- consistency ----------------------------------------------------------------------


def test_split_of_targets(load: Callable[[str], Loaded]) -> None:
    scenario, _, _ = load(PLAN)
    findings = consistency(scenario, park_ids=["A", "B"])
    revenue = find(findings, "revenue_split")
    # 6 + 3 = 9 亿元 against 10: 1 亿元 (10 %) assigned to no park.
    assert (revenue.found, revenue.expected) == (9.0, 10.0)
    assert revenue.difference == pytest.approx(-1.0)
    assert not revenue.ok
    assert "1.0 亿元 (10.0%) is assigned to no park" in revenue.message
    floor = find(findings, "floor_completed_split")
    # A's 6万 m² exceeds the 5万 m² total by 1万 m² (20 %); B has no floor target.
    assert (floor.found, floor.expected) == (6.0, 5.0)
    assert "exceed the total by 1.0 万m² (20.0%)" in floor.message
    # Under-construction targets have no total to split.
    assert not [f for f in findings if f.check == "floor_under_construction_split"]


def test_implied_ratios_against_benchmarks(load: Callable[[str], Loaded]) -> None:
    scenario, _, _ = load(PLAN)
    findings = consistency(scenario)
    # 10 亿元 / 1,000 workers = 100 万元/worker; benchmark 50 万元 (2014, no growth): +100 %.
    per_worker = find(findings, "revenue_per_worker")
    assert per_worker.found == pytest.approx(100.0)
    assert per_worker.expected == pytest.approx(50.0)
    assert per_worker.relative == pytest.approx(1.0)
    assert not per_worker.ok
    # 10 亿元 / 5万 m² = 20,000 元/m²; benchmark 50万 ÷ 40 m² = 12,500: +60 %.
    per_m2 = find(findings, "revenue_per_m2")
    assert per_m2.found == pytest.approx(20_000.0)
    assert per_m2.expected == pytest.approx(12_500.0)
    assert "+60.0%, beyond the 10% tolerance" in per_m2.message
    # A: 6 亿元 on 6万 m² = 10,000 元/m²: −20 %.
    assert find(findings, "revenue_per_m2", "A").relative == pytest.approx(-0.2)
    # 5万 m² / 1,000 workers = 50 m²; benchmark 40: +25 %; 40 m² each holds 1,250.
    m2 = find(findings, "m2_per_worker")
    assert m2.found == pytest.approx(50.0)
    assert m2.relative == pytest.approx(0.25)
    assert "holds 1,250 workers" in m2.message


def test_implied_growth(load: Callable[[str], Loaded]) -> None:
    scenario, _, _ = load(PLAN)
    growth = find(consistency(scenario), "revenue_growth")
    # 2 亿元 (2011) doubling yearly: 2 × 2⁵ = 64 亿元 in 2016 against 10; the target needs
    # (10 / 2)^(1/5) − 1 = 37.97 %/yr.
    assert growth.found == pytest.approx(64.0)
    assert growth.expected == pytest.approx(10.0)
    assert not growth.ok
    assert "54.0 亿元 (540.0%) above the 10 亿元 target" in growth.message
    assert f"{5**0.2 - 1:.1%}/yr" in growth.message


def test_rule_against_benchmark(load: Callable[[str], Loaded]) -> None:
    scenario, _, _ = load(PLAN)
    rule = find(consistency(scenario), "investment_rule_benchmark", "")
    # 4,000 against 5,000 万元/ha: 20 % below.
    assert rule.relative == pytest.approx(-0.2)
    assert "20.0% below the benchmark 5,000 万元/ha (2009)" in rule.message


def test_no_benchmarks_no_verdict(load: Callable[[str], Loaded]) -> None:
    text = PLAN[: PLAN.index("[benchmarks]")]
    scenario, _, _ = load(text)
    findings = consistency(scenario)
    per_worker = find(findings, "revenue_per_worker")
    assert per_worker.ok and math.isnan(per_worker.expected)
    assert "no benchmark" in per_worker.message
    assert not [f for f in findings if f.check == "revenue_growth"]
    assert per_worker.to_dict()["expected"] is None  # JSON-safe


# --- capacity and land supply ---------------------------------------------------------


def test_capacity_against_floor_targets(load: Callable[[str], Loaded]) -> None:
    table = capacity(*sr(load(PLAN))).set_index(["park_id", "basis"])
    # A needs 6万 completed + 1万 under construction = 70,000 m² in 2016; it holds 55,000.
    a = table.loc[("A", "floor target")]
    assert a["year"] == 2016
    assert a["land_ha"] == pytest.approx(4.0)
    assert (a["capacity_m2"], a["target_m2"]) == (55_000.0, 70_000.0)
    assert a["capacity_gap_m2"] == -15_000.0
    assert a["capacity_share"] == pytest.approx(55 / 70)
    assert not a["holds_target"]
    assert a["released_capacity_m2"] == 55_000.0  # all of A sold by 2013Q4
    assert a["base_floor_m2"] == 0.0  # the tiny parks start empty
    # The total needs 5万 m²: 75,000 m² hold it.
    total = table.loc[("total", "floor target")]
    assert total["capacity_m2"] == 75_000.0 and total["holds_target"]
    # Revenue targets ÷ benchmark 12,500 元/m²: A 6 亿 → 48,000 m² of occupied floor.
    assert table.loc[("A", "revenue target"), "target_m2"] == pytest.approx(48_000.0)
    assert table.loc[("B", "revenue target"), "target_m2"] == pytest.approx(24_000.0)
    assert not table.loc[("B", "revenue target"), "holds_target"]  # 20,000 < 24,000
    assert table.loc[("B", "revenue target"), "other_revenue_cny"] == 0.0


#: PLAN with group (non-floor) revenue, flat: A 2 亿元 a year, B 3.5 亿元.
OTHER_REVENUE = (
    PLAN
    + """
[parks.A]
other_revenue = "2 亿元"

[parks.B]
other_revenue = "3.5 亿元"
"""
)


def test_revenue_target_needs_floor_only_beyond_other_revenue(
    load: Callable[[str], Loaded],
) -> None:
    scenario, result = sr(load(OTHER_REVENUE))
    other = result.by_park("revenue_other_cny")[0, result.year_index(2016)]
    assert other.tolist() == pytest.approx([2e8, 3.5e8])  # no growth: 4 quarters × ¼
    table = capacity(scenario, result).set_index(["park_id", "basis"])
    # A: (6 − 2) 亿元 ÷ 12,500 元/m² = 32,000 m² of occupied floor (48,000 without).
    a = table.loc[("A", "revenue target")]
    assert (a["revenue_target_cny"], a["other_revenue_cny"]) == (6e8, pytest.approx(2e8))
    assert a["target_m2"] == pytest.approx(32_000.0)
    assert a["holds_target"]  # 55,000 ≥ 32,000
    # Total: (10 − 2 − 3.5) 亿元 ÷ 12,500 = 36,000 m².
    assert table.loc[("total", "revenue target"), "target_m2"] == pytest.approx(36_000.0)
    # B: 3.5 亿元 of group revenue alone meets the 3 亿元 target: no floor needed (the
    # 20,000 m² that failed 24,000 m² in test_capacity_against_floor_targets).
    b = table.loc[("B", "revenue target")]
    assert b["target_m2"] == 0.0 and b["holds_target"]
    findings = compute(*load(OTHER_REVENUE)[:2]).audit.findings
    b_finding = find([f for f in findings if f.topic == "capacity"], "capacity_for_revenue", "B")
    assert b_finding.ok
    assert "other (non-floor) revenue, 3.5 亿元, alone meets the 3.0 亿元 revenue target" in (
        b_finding.message
    )
    assert "not tested against the land's capacity" in b_finding.message
    a_finding = find(list(findings), "capacity_for_revenue", "A")
    assert "needs 3.2 万m² of occupied floor" in a_finding.message
    assert "for the 4.0 亿元 of its 6.0 亿元 target that its other (non-floor) revenue, " in (
        a_finding.message
    )
    revenue_checks = [f for f in findings if f.check == "capacity_for_revenue"]
    assert len(revenue_checks) == 3 and all(f.ok for f in revenue_checks)  # A, B, total


def test_capacity_counts_the_base_year_floor(load: Callable[[str], Loaded]) -> None:
    text = PLAN + '[parks.A]\nbase_floor_completed = "1万 m2"\nbase_floor_occupied = "0.5万 m2"\n'
    text += 'base_floor_under_construction = "0.5万 m2"\n'
    row = capacity(*sr(load(text))).set_index(["park_id", "basis"]).loc[("A", "floor target")]
    # A's 2016 floor targets (6万 completed + 1万 under construction) count its base
    # stock, so the capacity does too: 55,000 + 10,000 + 5,000 = 70,000 m², exactly.
    assert row["base_floor_m2"] == 15_000.0
    assert row["capacity_m2"] == 70_000.0 and row["holds_target"]
    assert row["released_capacity_m2"] == 70_000.0


def test_capacity_released_by_an_early_target(load: Callable[[str], Loaded]) -> None:
    text = (
        'extends = "tiny.toml"\n[[targets]]\nmetric = "floor_completed"\npark = "A"\n'
        'year = 2012\nvalue = "4万 m2"\n'
    )
    row = capacity(*sr(load(text))).set_index(["park_id", "basis"]).loc[("A", "floor target")]
    # The land holds 55,000 m², but only P1 and P2 (2 × 15,000) are released in 2012.
    assert row["holds_target"] and not row["released_holds_target"]
    assert row["released_capacity_m2"] == 30_000.0


def test_parks_without_targets_are_listed(load: Callable[[str], Loaded]) -> None:
    table = capacity(*sr(load('extends = "tiny.toml"\n')))
    b = table[table["park_id"] == "B"]
    assert b["basis"].to_list() == ["no target"]
    assert b["capacity_m2"].item() == 20_000.0


def test_land_supply_and_years_left(load: Callable[[str], Loaded]) -> None:
    # Q1 committed for 2014 instead of 2013, so that B holds unsold land in 2012.
    text = tiny_toml(("start_year = 2013", "start_year = 2014"))
    table = land_supply(load(text)[2]).set_index(["year", "park_id"])
    # A: 4 ha, 2 ha/yr; P1, P2 sold by the end of 2012 (2012Q2, 2012Q4) → 2 ha left =
    # 1 year; P3, P4 sold 2013Q2, 2013Q4.
    assert table.loc[(2012, "A"), "released_ha"] == pytest.approx(2.0)
    assert table.loc[(2012, "A"), "unreleased_ha"] == pytest.approx(2.0)
    assert table.loc[(2012, "A"), "years_of_supply_left"] == pytest.approx(1.0)
    assert table.loc[(2013, "A"), "unreleased_ha"] == 0.0
    assert table.loc[(2013, "A"), "years_of_supply_left"] == 0.0
    assert table.loc[(2012, "A"), "capacity_unreleased_m2"] == 25_000.0  # P3 + P4
    # B: no supply budget; Q1 is sold at its committed start less the lag, 2013Q1.
    assert table.loc[(2012, "B"), "supply_ha_per_year"] == 0.0
    assert table.loc[(2012, "B"), "unreleased_ha"] == pytest.approx(1.0)
    assert math.isinf(table.loc[(2012, "B"), "years_of_supply_left"])
    assert table.loc[(2013, "B"), "unreleased_ha"] == 0.0
    assert table.loc[(2012, "total"), "unreleased_ha"] == pytest.approx(3.0)


def test_committed_land_sold_in_the_base_year(load: Callable[[str], Loaded]) -> None:
    table = land_supply(load('extends = "tiny.toml"\n')[2]).set_index(["year", "park_id"])
    # Q1 committed for 2013 with a 1-yr lag: sold in 2012Q1, so B has nothing left.
    assert table.loc[(2012, "B"), "unreleased_ha"] == 0.0
    assert table.loc[(2012, "B"), "years_of_supply_left"] == 0.0
    assert table.loc[(2012, "total"), "unreleased_ha"] == pytest.approx(2.0)


def test_reclaimed_land_returns_to_the_pool(load: Callable[[str], Loaded]) -> None:
    # A's developers start 4 yr after the sale, contracted 1 yr: unstarted land is
    # reclaimable 3 yr after the sale (contracted start + 2 yr) and taken back then —
    # P1 2015Q2, P2 2015Q4, P3 2016Q2, P4 2016Q4 (sold t = 1, 3, 5, 7; + 12 quarters).
    # Serviced already, it sells again the next quarter (take-up unlimited), and again
    # 13 quarters later: P1 taken back 2018Q3, P2 2019Q1, P3 2019Q3, each sold again
    # the quarter after.
    text = (
        'extends = "tiny.toml"\n[parks.A]\nstart_lag_years = 4\ncontract_lag_years = 1\n'
        "[rules]\nreclaim_idle = true\n"
    )
    table = land_supply(load(text)[2]).set_index(["year", "park_id"])
    unsold = table.xs("A", level="park_id")["unreleased_ha"]
    # Held at the year ends: only P2 (taken back at the end of 2015Q4) and P4 (2016Q4)
    # are out of hand; P1 and P3, taken back mid-year, were sold again by then.
    assert unsold.to_list() == pytest.approx([2, 0, 0, 1, 1, 0, 0, 0])
    assert table.loc[(2015, "A"), "years_of_supply_left"] == pytest.approx(0.5)  # 1 ÷ 2
    assert table.loc[(2015, "A"), "capacity_unreleased_m2"] == 15_000.0  # P2
    assert table.loc[(2016, "A"), "capacity_unreleased_m2"] == 10_000.0  # P4


def test_audit_report(load: Callable[[str], Loaded]) -> None:
    report = compute(*load(PLAN)[:2]).audit
    assert {f.topic for f in report.findings} == {"capacity", "consistency", "rules"}
    text = report.to_markdown()
    assert "## Capacity (万m²)" in text and "## The plan's own numbers" in text
    assert "made up for the test" in text  # benchmark sources listed once
    record = json.loads(json.dumps(report.to_dict()))  # strictly JSON (no NaN)
    assert record["gaps"] == len(report.gaps) > 0
    years = report.park_years
    assert {"idle_area_ha", "years_of_supply_left", "investment_intensity_wan_per_ha"} <= set(
        years.columns
    )
    assert len(years) == 8 * 3  # years × (A, B, total)


# --- the command line -----------------------------------------------------------------


def test_audit_command_on_the_baseline(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", str(BASELINE)]) == 0
    out = capsys.readouterr().out
    # The policy's own gaps: six park revenue targets vs the city total, named parks'
    # floor targets vs the 1000万 m² total.
    assert "sum to 2,050.0 亿元 against the total 2,200.0 亿元: 150.0 亿元 (6.8%)" in out
    assert "sum to 650.0 万m² against the total 1,000.0 万m²: 350.0 万m² (35.0%)" in out
    # Every park's capacity against its target, Software City with completed +
    # under construction (300 + 200 万m²).
    for park in ("comm_park", "info_valley", "software_city", "total"):
        assert f"| {park} | 2016 | floor target |" in out
    assert "software_city 2016: the floor target needs 500.0 万m²" in out
    assert "| anim_park | 2016 | revenue target |" in out
    for park in ("haier_park", "hisense_park"):  # enterprise targets: not tested on land
        assert f"| {park} | 2016 | revenue target |" not in out
    # A rule below the national average is context, not a gap.
    assert "✓ the investment intensity rule ≥ 4,000 万元/ha is 16.9% below" in out
    assert "context, not a gap" in out


def test_audit_command_json(tiny_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", str(tiny_dir / "tiny.toml"), "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["scenario"] == "tiny"
    assert pd.DataFrame(record["capacity"])["park_id"].to_list()[-1] == "total"


def test_audit_command_bad_input(
    write_scenario: Callable[..., Path], cli_error: Callable[[list[str]], str]
) -> None:
    path = write_scenario('extends = "tiny.toml"\n[rules.plot_ratio_min]\nindustrial = 1.0\n')
    assert "land use 'software_rd'" in cli_error(["audit", str(path)])


# --- the package ----------------------------------------------------------------------


def test_public_names() -> None:
    # What outcome, export and the command line import; the split keeps them all here.
    assert sorted(sim.audit.__all__) == [
        "Audit",
        "Finding",
        "audit",
        "capacity",
        "consistency",
        "land_supply",
        "park_years",
        "rule_findings",
    ]
    assert all(callable(getattr(sim.audit, name)) for name in sim.audit.__all__)


def test_display_scales_are_those_of_the_unit_registry() -> None:
    # Findings divide by these (dividing keeps the numbers of before the split to the
    # bit; units.convert multiplies by the reciprocal); the registry must agree.
    assert convert(1.0, FLOOR.unit, "m2") == FLOOR.scale
    assert convert(1.0, REVENUE.unit, "yuan") == REVENUE.scale
    assert convert(1.0, "ha", "m2") == M2_PER_HA
    assert convert(1.0, "万元", "yuan") == CNY_PER_WAN
