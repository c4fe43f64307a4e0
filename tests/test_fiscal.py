"""The fiscal ledger: awards, caps, dated tax regimes, land, payback, fiscal.csv and its chart."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from matplotlib.patches import Rectangle

from sim.firms import BASE_BORN, FirmPopulation, ParkFirms
from sim.fiscal import (
    Ledger,
    LedgerInputs,
    apply_caps,
    fiscal_ledger,
    incentive_claims,
    milestone_crossings,
    payback_year,
    tax_items,
    year_fraction,
)
from sim.outcome import compute
from sim.scenario import Scenario
from sim.scenario.fiscal import InterestSubsidy, MilestoneAward, TaxLine, TraineeGrant
from sim.site import Site
from tests.conftest import load_inputs, tiny_toml

YEARS = np.arange(2012, 2016)
WAN = 1e4

FISCAL = """
[firms]
base = { A = 2 }
m2_per_firm = "1000 m2"
size_sigma = 1.0
growth_sd = 0.2
exit_rate = "5 %"
source = "made up for the test"

[[incentives]]
kind = "milestone_award"
name = "awards"
thresholds = ["1000 万元", "1 亿元"]
amounts = ["10 万元", "50 万元"]
source = "made up"

[[incentives]]
kind = "interest_subsidy"
name = "interest"
parks = ["A"]
loan = "1 亿元"
rate = "6 %"
share = "50 %"
cap_per_park = "500 万元"
start = 2012-07-01
source = "made up"

[[incentives]]
kind = "rent_subsidy"
name = "rent"
rate = "100 元/m2"
years = 2
source = "made up"

[[incentives]]
kind = "trainee_grant"
name = "training"
institutions = 2
trainees_per_institution = 1500
per_trainee = "1000 元"
cap_per_institution = "100 万元"
cap_total = "500 万元"
source = "made up"

[[incentives]]
kind = "land_concession"
name = "concession"
market_price = "1500 元/m2"
share = "50 %"
source = "made up"

[fiscal]
source = "made up"

[[fiscal.tax]]
name = "business_tax"
base = "turnover"
rate = "5 %"
local_share = "100 %"
end = 2013-08-01
source = "made up"

[[fiscal.tax]]
name = "vat"
base = "value_added"
rate = "6 %"
base_share = "50 %"
local_share = "25 %"
start = 2013-08-01
source = "made up"

[[fiscal.tax]]
name = "cit"
base = "profit"
rate = "25 %"
base_share = "10 %"
local_share = "40 %"
holiday = [0, 0, "50 %"]
holiday_share = "100 %"
source = "made up"

[fiscal.land]
development_cost = "300 元/m2"
source = "made up"
"""

NO_INCENTIVES = FISCAL[FISCAL.index("[fiscal]") :]


def _line(**fields: object) -> TaxLine:
    """A tax line from fields as a scenario writes them (units as text)."""
    return TaxLine.model_validate(fields)


def _inputs(revenue: np.ndarray, *, parks: tuple[str, ...] = ("A",)) -> LedgerInputs:
    """Ledger inputs of one draw, revenue ``(Y, K)``, nothing else."""
    values = np.asarray(revenue, dtype=float)[None]
    zeros = np.zeros_like(values)
    return LedgerInputs(
        years=YEARS[: values.shape[1]],
        park_ids=parks,
        revenue=values,
        other_revenue=zeros,
        occupied=zeros,
        workers=zeros,
        workers_other=zeros,
        land_sold_m2=zeros,
        land_price=np.zeros((1, len(parks))),
    )


def _one_firm(revenue: list[float], born: int = BASE_BORN) -> FirmPopulation:
    n = len(revenue)
    park = ParkFirms(
        alive=np.ones((1, n, 1), dtype=bool),
        born=np.full((1, n, 1), born, dtype=np.int16),
        revenue=np.array(revenue, dtype=float)[None, :, None],
        anchor=np.zeros(1, dtype=bool),
    )
    return FirmPopulation(years=YEARS[:n], park_ids=("A",), parks=(park,))


AWARDS = MilestoneAward.model_validate(
    {
        "kind": "milestone_award",
        "name": "awards",
        "thresholds": ["5000 万元", "1 亿元", "5 亿元", "10 亿元"],
        "amounts": ["50 万元", "100 万元", "150 万元", "200 万元"],
        "source": "POLICY 六、（十三）",
    }
)


def test_a_firm_crossing_two_thresholds_in_one_year_gets_both_awards_once() -> None:
    # 2012 0.1亿 (base); 2013 2亿 crosses 5000万 and 1亿 → 50 + 100 = 150万;
    # 2014 still 2亿: nothing; 2015 6亿 crosses 5亿 → 150万. Never 10亿.
    firms = _one_firm([1e7, 2e8, 2e8, 6e8])
    paid = incentive_claims(AWARDS, _inputs(np.zeros((4, 1))), firms, 1000.0)[0, :, 0]
    assert paid.tolist() == [0.0, 150 * WAN, 0.0, 150 * WAN]


def test_falling_back_and_crossing_again_pays_no_second_award() -> None:
    crossed = milestone_crossings(_one_firm([1e7, 6e7, 1e7, 6e7]).parks[0], [5e7])
    assert crossed[0, :, 0].tolist() == [0.0, 1.0, 0.0, 0.0]


def test_a_new_firm_in_a_reused_slot_earns_its_own_award() -> None:
    park = ParkFirms(
        alive=np.ones((1, 3, 1), dtype=bool),
        born=np.array([[[BASE_BORN], [BASE_BORN], [2]]], dtype=np.int16),
        revenue=np.array([[[6e7], [6e7], [6e7]]]),
        anchor=np.zeros(1, dtype=bool),
    )
    # The base firm was above 5000万 from the start; the entrant of year 2 reaches it.
    assert milestone_crossings(park, [5e7])[0, :, 0].tolist() == [0.0, 0.0, 1.0]


def test_the_interest_subsidy_stops_when_the_park_cap_binds() -> None:
    # 1亿 × 6 % × 50 % = 300万 a year, from 2012-07-01 (184 of 366 days in 2012);
    # the 500万 cap per park leaves 500 − 150.8 − 300 = 49.2万 for 2014, then nothing.
    subsidy = InterestSubsidy.model_validate(
        {"kind": "interest_subsidy", "name": "i", "loan": "1 亿元", "rate": "6 %",
         "share": "50 %", "cap_per_park": "500 万元", "start": dt.date(2012, 7, 1),
         "source": "s"}
    )  # fmt: skip
    claims = incentive_claims(subsidy, _inputs(np.zeros((4, 1))), None, 1.0)
    paid = apply_caps(claims, cap_per_park=subsidy.cap_per_park)[0, :, 0] / WAN
    first = 300 * 184 / 366
    np.testing.assert_allclose(paid, [first, 300, 500 - first - 300, 0.0])
    assert paid.sum() == pytest.approx(500.0)


def test_the_trainee_grant_is_capped_per_institution_and_year() -> None:
    # 1,500 trainees × 1000 元 = 150万 > the 100万 cap: two institutions get 200万 a year.
    grant = TraineeGrant.model_validate(
        {"kind": "trainee_grant", "name": "t", "institutions": 2,
         "trainees_per_institution": 1500, "per_trainee": "1000 元",
         "cap_per_institution": "100 万元", "source": "s"}
    )  # fmt: skip
    paid = incentive_claims(grant, _inputs(np.ones((4, 2)), parks=("A", "B")), None, 1.0)
    np.testing.assert_allclose(paid[0].sum(axis=1), [200 * WAN] * 4)
    np.testing.assert_allclose(paid[0, :, 0], paid[0, :, 1])  # equal revenue: equal split


def test_a_tax_regime_change_mid_year_splits_the_year_pro_rata() -> None:
    # 2013: business tax 5 % on turnover until 2013-08-01 (212 of 365 days), then VAT
    # 6 % on value added (50 %) with a local share of 25 % for the other 153 days.
    lines = [
        _line(name="bt", base="turnover", rate="5 %", local_share="100 %",
                end=dt.date(2013, 8, 1), source="s"),
        _line(name="vat", base="value_added", rate="6 %", base_share="50 %",
                local_share="25 %", start=dt.date(2013, 8, 1), source="s"),
    ]  # fmt: skip
    revenue = np.array([[0.0], [1e8], [1e8], [1e8]])  # the increment over 2012 is taxed
    taxes = tax_items(lines, _inputs(revenue), None, tax_base="increment", tax_other_revenue=False)
    bt, vat = taxes["bt"][0, :, 0], taxes["vat"][0, :, 0]
    assert bt[1] == pytest.approx(1e8 * 0.05 * 212 / 365)
    assert vat[1] == pytest.approx(1e8 * 0.06 * 0.5 * 0.25 * 153 / 365)
    assert bt[2] == 0.0 and vat[2] == pytest.approx(1e8 * 0.0075)
    assert year_fraction([2013], end=dt.date(2013, 8, 1))[0] + year_fraction(
        [2013], dt.date(2013, 8, 1)
    )[0] == pytest.approx(1.0)


def test_a_refund_above_a_burden_caps_the_tax() -> None:
    # Software products: 17 % × 60 % value added = 10.2 % of sales, refunded above 3 %.
    line = _line(name="vat_sw", base="value_added", rate="17 %", base_share="60 %",
                   max_burden="3 %", local_share="50 %", source="s")  # fmt: skip
    taxes = tax_items([line], _inputs(np.array([[1e8]])), None, tax_base="all",
                      tax_other_revenue=False)  # fmt: skip
    assert taxes["vat_sw"][0, 0, 0] == pytest.approx(1e8 * 0.03 * 0.5)


def test_the_tax_holiday_exempts_new_firms_then_halves_their_tax() -> None:
    # A firm entering in 2013 with 1亿 a year: CIT 25 % × 10 % margin × 40 % local
    # = 100万 a year; exempt in 2013 and 2014 (ages 0, 1), half in 2015 (age 2).
    line = _line(name="cit", base="profit", rate="25 %", base_share="10 %",
                   local_share="40 %", holiday=(0, 0, "50 %"), holiday_share="100 %",
                   source="s")  # fmt: skip
    park = ParkFirms(
        alive=np.array([[[False], [True], [True], [True]]]),
        born=np.array([[[BASE_BORN], [1], [1], [1]]], dtype=np.int16),
        revenue=np.array([[[0.0], [1e8], [1e8], [1e8]]]),
        anchor=np.zeros(1, dtype=bool),
    )
    firms = FirmPopulation(years=YEARS, park_ids=("A",), parks=(park,))
    revenue = np.array([[0.0], [1e8], [1e8], [1e8]])
    cit = tax_items([line], _inputs(revenue), firms, tax_base="all", tax_other_revenue=False)
    np.testing.assert_allclose(cit["cit"][0, :, 0] / WAN, [0.0, 0.0, 0.0, 50.0])


def test_payback_year_on_a_toy_ledger() -> None:
    net = np.array(
        [
            [-5.0, -3.0, 2.0, 4.0, 3.0],  # cumulative −5 −8 −6 −2 +1 → 2016
            [1.0, 1.0, 1.0, 1.0, 1.0],  # never in deficit → the first year
            [-5.0, 6.0, -2.0, 0.5, 1.0],  # −5 +1 −1 −0.5 +0.5 → 2016 (after the relapse)
            [-5.0, 1.0, 1.0, 1.0, 1.0],  # still −1 at the horizon → none
        ]
    )
    cumulative = np.cumsum(net, axis=1).T[None]  # (1, Y, K)
    years = [2012, 2013, 2014, 2015, 2016]
    result = payback_year(cumulative, years)[0]
    assert result[:3].tolist() == [2016.0, 2012.0, 2016.0]
    assert np.isnan(result[3])


def test_the_payback_table_gives_whole_years_and_the_share_paid_back() -> None:
    from sim.fiscal import LedgerItem

    # Three draws, one park, nets a year: paid back in 2013, in 2014, never.
    nets = np.array([[-1.0, 2.0, 2.0], [-1.0, -2.0, 4.0], [-1.0, -2.0, -3.0]])
    ledger = Ledger(
        years=np.array([2012, 2013, 2014]), park_ids=("A",),
        items=(LedgerItem("tax", "tax", "tax", "cash"),), values=nets[:, :, None, None],
        jobs_created=np.zeros((3, 3, 1)), occupied_gained=np.zeros((3, 3, 1)),
    )  # fmt: skip
    table = ledger.payback_frame().set_index("park_id")
    assert str(table["payback_year"].dtype) == "Int64"
    assert table.loc["A", "payback_year"] == 2013
    assert table.loc["A", "payback_year_p10"] == 2013
    assert table.loc["A", "payback_year_p50"] == 2014
    assert bool(table["payback_year_p90"].isna()["A"])  # the last draw never pays back
    assert table.loc["A", "probability_paid_back"] == pytest.approx(2 / 3)


@settings(max_examples=60, deadline=None)
@given(
    claims=hnp.arrays(np.float64, (2, 5, 3), elements=st.floats(0, 1e7)),
    per_year=st.one_of(st.none(), st.floats(0, 1e7)),
    per_park=st.one_of(st.none(), st.floats(0, 3e7)),
    total=st.one_of(st.none(), st.floats(0, 5e7)),
)
def test_outlays_never_exceed_their_caps(
    claims: np.ndarray, per_year: float | None, per_park: float | None, total: float | None
) -> None:
    paid = apply_caps(claims, cap_per_year=per_year, cap_per_park=per_park, cap_total=total)
    slack = 1e-6
    assert (paid >= -slack).all()
    assert (paid <= claims + slack).all()
    if per_year is not None:
        assert (paid <= per_year + slack).all()
    if per_park is not None:
        assert (paid.sum(axis=1) <= per_park + slack).all()
    if total is not None:
        assert (paid.sum(axis=(1, 2)) <= total + slack).all()
    if per_year is None and per_park is None and total is None:
        np.testing.assert_array_equal(paid, claims)


@pytest.fixture(scope="module")
def fiscal_scenarios(site_dir: tuple[Path, Site]) -> tuple[Scenario, Scenario]:
    folder, _ = site_dir
    (folder / "fiscal.toml").write_text(tiny_toml(extra=FISCAL), encoding="utf-8")
    (folder / "no_incentives.toml").write_text(tiny_toml(extra=NO_INCENTIVES), encoding="utf-8")
    return load_inputs(folder / "fiscal.toml")[0], load_inputs(folder / "no_incentives.toml")[0]


_PATHS = hnp.arrays(np.float64, (1, 4, 2), elements=st.floats(0, 5e8))


@settings(max_examples=25, deadline=None)
@given(revenue=_PATHS, occupied=_PATHS, land=_PATHS)
def test_ledger_rows_sum_to_totals(
    fiscal_scenarios: tuple[Scenario, Scenario],
    revenue: np.ndarray,
    occupied: np.ndarray,
    land: np.ndarray,
) -> None:
    scenario, _ = fiscal_scenarios
    ledger = _random_ledger(scenario, revenue, occupied / 1e3, land / 1e4)
    frame = ledger.frame()
    items = frame[frame["kind"] != "summary"]
    summary = frame[frame["kind"] == "summary"].pivot_table(
        index=["year", "park_id"], columns="item", values="value_cny", sort=False
    )
    net = items.pivot_table(
        index=["year", "park_id"], values="value_cny", aggfunc="sum", sort=False
    )["value_cny"]
    np.testing.assert_allclose(net.to_numpy(), summary["net"].to_numpy(), atol=1e-3)
    groups = summary[["outlays", "tax", "land"]].to_numpy().sum(axis=1)
    np.testing.assert_allclose(groups, summary["net"].to_numpy(), atol=1e-3)
    by_park = items[items["park_id"] != "total"].pivot_table(
        index=["year", "item"], values="value_cny", aggfunc="sum"
    )["value_cny"]
    totals = items[items["park_id"] == "total"].pivot_table(
        index=["year", "item"], values="value_cny", aggfunc="sum"
    )["value_cny"]
    np.testing.assert_allclose(by_park.to_numpy(), totals.to_numpy(), atol=1e-3)


@settings(max_examples=25, deadline=None)
@given(revenue=_PATHS, occupied=_PATHS, land=_PATHS)
def test_with_no_incentives_the_ledger_is_tax_and_land_only(
    fiscal_scenarios: tuple[Scenario, Scenario],
    revenue: np.ndarray,
    occupied: np.ndarray,
    land: np.ndarray,
) -> None:
    _, scenario = fiscal_scenarios
    ledger = _random_ledger(scenario, revenue, occupied / 1e3, land / 1e4)
    assert {item.group for item in ledger.items} == {"tax", "land"}
    assert not ledger.outlays().any()
    np.testing.assert_allclose(ledger.net(), ledger.group("tax") + ledger.group("land"))


def _random_ledger(
    scenario: Scenario, revenue: np.ndarray, occupied: np.ndarray, land: np.ndarray
) -> Ledger:
    from sim.firms import simulate_firms

    zeros = np.zeros_like(revenue)
    run = LedgerInputs(
        years=YEARS, park_ids=("A", "B"), revenue=revenue, other_revenue=zeros,
        occupied=np.maximum.accumulate(occupied, axis=1), workers=occupied / 40,
        workers_other=zeros, land_sold_m2=land, land_price=np.full((1, 2), 500.0),
    )  # fmt: skip
    firms = simulate_firms(
        YEARS, ("A", "B"), occupied_m2=run.occupied, revenue=revenue, other_revenue=zeros,
        spec=scenario.firms, seed=1,
    ) if scenario.firms is not None else None  # fmt: skip
    return fiscal_ledger(scenario, run, firms)


def test_the_land_ledger_books_sales_less_development_and_the_concession(
    write_scenario: Callable[..., Path],
) -> None:
    outcome = compute(*load_inputs(write_scenario(tiny_toml(extra=FISCAL))))
    assert outcome.fiscal is not None
    frame = outcome.fiscal.table
    assert frame is not None
    total = frame[frame["park_id"] == "total"].groupby("item")["value_cny"].sum()
    sold = float(outcome.result.area_m2[(outcome.result.series["floor_sold_m2"][0, -1] > 0)].sum())
    # Every parcel sold once: 500 元/m² in, 300 元/m² out, half the land forgone
    # (1500 − 500) × 50 %.
    assert total["land_sale"] == pytest.approx(500 * sold)
    assert total["land_development"] == pytest.approx(-300 * sold)
    assert total["concession"] == pytest.approx(-1000 * 0.5 * sold)


def test_fiscal_csv_is_written_tidy_with_percentiles_with_draws(
    tmp_path: Path, write_scenario: Callable[..., Path]
) -> None:
    from sim.cli import main

    path = write_scenario(tiny_toml(extra=FISCAL))
    out = tmp_path / "out"
    assert main(["run", str(path), "--out", str(out), "--draws", "20", "--no-figures"]) == 0
    table = pd.read_csv(out / "fiscal.csv", encoding="utf-8-sig")
    assert list(table.columns[:8]) == [
        "year", "park_id", "park_name_zh", "park_name_en", "item", "kind", "value_cny", "basis",
    ]  # fmt: skip
    assert {"value_cny_p10", "value_cny_p50", "value_cny_p90"} <= set(table.columns)
    assert {"awards", "interest", "business_tax", "vat", "land_sale", "net"} <= set(table["item"])
    payback = pd.read_csv(out / "fiscal_payback.csv", encoding="utf-8-sig")
    assert payback["park_id"].tolist() == ["A", "B", "total"]
    assert str(payback["payback_year"].dtype) in ("Int64", "float64")  # empty: never paid back
    assert "probability_paid_back" in payback


@pytest.mark.usefixtures("agg")
def test_the_fiscal_chart_draws_outlays_below_and_revenue_above_zero(
    write_scenario: Callable[..., Path],
) -> None:
    from sim.plot.fiscal import fiscal_chart

    outcome = compute(*load_inputs(write_scenario(tiny_toml(extra=FISCAL))), draws=5)
    assert outcome.fiscal is not None and outcome.fiscal.table is not None
    _, ax = fiscal_chart(outcome.fiscal.table, lang="en")
    heights: dict[str, list[float]] = {}
    for patch in ax.patches:
        assert isinstance(patch, Rectangle)
        heights.setdefault(str(patch.get_gid()), []).append(patch.get_height())
    interest, tax = heights["fiscal-interest_subsidy"], heights["fiscal-tax"]
    assert all(h <= 0 for h in interest) and interest[0] < 0
    assert all(h >= 0 for h in tax) and max(tax) > 0
    line = next(x for x in ax.lines if x.get_gid() == "fiscal-cumulative-net")
    rows = outcome.fiscal.table
    cumulative = rows[(rows["park_id"] == "total") & (rows["item"] == "cumulative_net")]
    drawn = np.asarray(line.get_ydata(), dtype=float)
    np.testing.assert_allclose(drawn, cumulative["value_cny"].to_numpy() / 1e8)
    assert any(c.get_gid() == "fiscal-cumulative-band" for c in ax.collections)


def test_an_unknown_incentive_kind_is_refused_with_the_choices(
    write_scenario: Callable[..., Path],
) -> None:
    from sim.errors import ScenarioError

    bad = FISCAL.replace('kind = "rent_subsidy"', 'kind = "tax_holiday"')
    with pytest.raises(ScenarioError, match="milestone_award"):
        load_inputs(write_scenario(tiny_toml(extra=bad)))


def test_milestone_thresholds_need_one_amount_each(write_scenario: Callable[..., Path]) -> None:
    from sim.errors import ScenarioError

    bad = FISCAL.replace('amounts = ["10 万元", "50 万元"]', 'amounts = ["10 万元"]')
    with pytest.raises(ScenarioError, match="one amount per threshold"):
        load_inputs(write_scenario(tiny_toml(extra=bad)))


def test_the_baseline_encodes_every_measure_of_the_seed_with_amounts() -> None:
    from sim.scenario import load_scenario
    from tests.conftest import BASELINE

    scenario = load_scenario(BASELINE)
    sections = {i.section for i in scenario.incentives}
    # POLICY "Money the policy commits" and the entrant measures of 四、（十二）.
    assert sections >= {
        "四、（十）", "四、（十二）", "五、（十一）", "六、（十三）", "七、（十六）",
        "八、（十九）", "十、（二十四）", "十、（二十五）",
    }  # fmt: skip
    kinds = {i.kind for i in scenario.incentives}
    assert kinds >= {"milestone_award", "interest_subsidy", "equity_injection", "land_concession"}
    assert all(i.source for i in scenario.incentives)
    awards = next(i for i in scenario.incentives if i.name == "revenue_milestone_awards")
    assert isinstance(awards, MilestoneAward)
    assert awards.thresholds == (5e7, 1e8, 5e8, 1e9)
    assert awards.amounts == (5e5, 1e6, 1.5e6, 2e6)
    assert scenario.fiscal is not None
    vat = [t for t in scenario.fiscal.tax if t.name == "vat_services"]
    assert [t.local_share for t in vat] == [0.25, 0.5]
    assert vat[1].start == dt.date(2016, 5, 1)


def test_draws_equal_to_the_deterministic_run_book_the_same_land_and_tax(
    write_scenario: Callable[..., Path],
) -> None:
    """The tiny scenario has no distributions: every draw is the deterministic run, so
    the items that do not depend on the firms' random sizes agree exactly (the land of
    a draw is read from its floor sold, the deterministic run's from its parcels)."""
    outcome = compute(*load_inputs(write_scenario(tiny_toml(extra=FISCAL))), draws=3)
    assert outcome.fiscal is not None and outcome.fiscal.ensemble is not None
    det, ens = outcome.fiscal.ledger, outcome.fiscal.ensemble
    for i, item in enumerate(det.items):
        if item.name in ("land_sale", "land_development", "concession", "interest", "vat"):
            for draw in range(3):
                np.testing.assert_allclose(ens.values[draw, ..., i], det.values[0, ..., i])
