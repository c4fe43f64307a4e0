"""Applicant projects and the admission gate (sim/applicants.py), worked by hand.

Densities are CNY per m² of land: 4,000 万元/ha = 4,000 CNY/m²; 2 亿元/ha = 20,000 CNY/m².
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.applicants import REASONS, admit, apply_admission, gate_park_average, gate_per_project
from sim.engine import prepare, run
from sim.montecarlo import sample_inputs
from sim.outcome import compute
from tests.conftest import BASELINE, load_inputs, tiny_toml
from tests.test_oracle import assert_engine_equals_oracle

INV_MIN, REV_MIN = 4000.0, 20000.0

# Five applicants of 1 ha each, listed in order of merit (best first).
#            inv    rev     the pledges against 4000 / 20000
FIVE = np.array(
    [
        [6000, 30000],  # a: both above
        [4500, 22000],  # b: both above
        [3500, 25000],  # c: investment below
        [5000, 15000],  # d: revenue below
        [1000, 5000],  # e: both below
    ],
    dtype=float,
)
MERIT = np.array([5.0, 4.0, 3.0, 2.0, 1.0])
ONE_HA = np.full(5, 10_000.0)


def test_per_project_gate_admits_the_two_whose_pledges_both_meet() -> None:
    ok = gate_per_project(FIVE[:, 0], FIVE[:, 1], investment_min=INV_MIN, revenue_min=REV_MIN)
    assert ok.tolist() == [True, True, False, False, False]


def test_park_average_gate_admits_four_where_the_per_project_gate_admits_two() -> None:
    # Running land-weighted averages (inv, rev): a (6000, 30000); a+b (5250, 26000);
    # +c (4667, 25667); +d (4750, 23000); +e (4000, 19400) — revenue falls below 20000.
    ok = gate_park_average(
        FIVE[:, 0],
        FIVE[:, 1],
        ONE_HA,
        MERIT,
        np.zeros(5, dtype=np.int64),
        investment_min=INV_MIN,
        revenue_min=REV_MIN,
    )
    assert ok.tolist() == [True, True, True, True, False]


def test_park_average_gate_stops_at_the_first_project_that_would_lower_the_average() -> None:
    # A tiny, excellent project ranked after e is not admitted: admission stops at e.
    inv = np.r_[FIVE[:, 0], 9000.0]
    rev = np.r_[FIVE[:, 1], 90000.0]
    ok = gate_park_average(
        inv,
        rev,
        np.r_[ONE_HA, 100.0],
        np.r_[MERIT, 0.5],
        np.zeros(6, dtype=np.int64),
        investment_min=INV_MIN,
        revenue_min=REV_MIN,
    )
    assert ok.tolist() == [True, True, True, True, False, False]


def test_park_average_gate_counts_prior_admissions_and_keeps_groups_apart() -> None:
    # Group 0 already holds 1 ha at (3000, 20000): a alone brings it to (4500, 25000) ✓,
    # then b to (4500, 24000) ✓, c to (4250, 24250) ✓, d to (4400, 22400) ✓.
    # Group 1 (no prior) gets e alone: (1000, 5000) ✗.
    group = np.array([0, 0, 0, 0, 1])
    prior = (np.array([10_000.0, 0.0]), np.array([3e7, 0.0]), np.array([2e8, 0.0]))
    ok = gate_park_average(
        FIVE[:, 0],
        FIVE[:, 1],
        ONE_HA,
        MERIT,
        group,
        investment_min=INV_MIN,
        revenue_min=REV_MIN,
        prior=prior,
    )
    assert ok.tolist() == [True, True, True, True, False]


pledges = st.lists(
    st.tuples(
        st.floats(100, 20_000),  # investment
        st.floats(1_000, 100_000),  # revenue
        st.floats(100, 100_000),  # land
        st.integers(0, 2),  # group
    ),
    min_size=1,
    max_size=15,
)


@settings(max_examples=80, deadline=None)
@given(rows=pledges, scale_inv=st.floats(1.0, 3.0), scale_rev=st.floats(1.0, 3.0))
def test_raising_a_threshold_never_admits_more(
    rows: list[tuple[float, float, float, int]], scale_inv: float, scale_rev: float
) -> None:
    inv, rev, land, group = (np.array(c) for c in zip(*rows, strict=True))
    group = group.astype(np.int64)
    merit = np.log(inv / 4812) + np.log(rev / 26700)
    for gate in ("per_project", "park_average"):

        def admitted(k_inv: float, k_rev: float, gate: str = gate) -> np.ndarray:
            if gate == "per_project":
                return gate_per_project(
                    inv, rev, investment_min=INV_MIN * k_inv, revenue_min=REV_MIN * k_rev
                )
            return gate_park_average(
                inv,
                rev,
                land,
                merit,
                group,
                investment_min=INV_MIN * k_inv,
                revenue_min=REV_MIN * k_rev,
            )

        loose, strict = admitted(1.0, 1.0), admitted(scale_inv, scale_rev)
        assert not (strict & ~loose).any()  # a subset: fewer projects, less land and floor
        assert (land * strict).sum() <= (land * loose).sum()


APPLICANTS = """
[applicants]
gate = "{gate}"
land_median = "1.5 ha"
land_sd_log = {land_sd}
far_median = 1.5
investment_intensity_median = "4812 万元/ha"
investment_intensity_sd_log = 0.5
revenue_density_median = "2.67 亿元/ha"
revenue_density_sd_log = 0.6
correlation = 0.5
shortfall_median = 0.8
consequence = "penalty"
penalty_share = "20 %"
tolerance = "10 %"
"""


def applicants(gate: str, *, land_sd: float = 0.0, extra: str = "") -> str:
    return APPLICANTS.format(gate=gate, land_sd=land_sd) + extra


def test_gate_none_reproduces_the_run_without_applicants_exactly(write_scenario) -> None:
    plain = load_inputs(write_scenario(tiny_toml(), "plain.toml"))
    gated = load_inputs(write_scenario(tiny_toml(extra=applicants("none")), "none.toml"))
    a, b = compute(*plain, draws=4), compute(*gated, draws=4)
    for name, values in a.result.series.items():
        np.testing.assert_array_equal(b.result.series[name], values, err_msg=name)
    assert a.ensemble is not None and b.ensemble is not None
    for name, values in a.ensemble.series.items():
        np.testing.assert_array_equal(b.ensemble.series[name], values, err_msg=name)
    assert b.applicants is not None and b.applicants["admitted"].all()
    assert (b.applicants["reason"] == "not_gated").all()


def test_arrivals_fill_the_take_up_and_admitted_land_becomes_the_take_up(write_scenario) -> None:
    scenario, site = load_inputs(
        write_scenario(tiny_toml(extra=applicants("per_project", land_sd=0.7)))
    )
    inputs = prepare(scenario, site)
    admission = admit(scenario, inputs, np.random.default_rng(1))
    a_only = admission.park == 0
    for y in range(inputs.years.size):  # park A: 2 ha supply a year, take-up unlimited
        cell = a_only & (admission.year == y)
        assert admission.land_m2[cell].sum() == pytest.approx(20_000.0)
    assert not (admission.park == 1).any()  # park B services no land: no applicants
    admitted = gate_per_project(
        admission.investment_intensity,
        admission.revenue_density,
        investment_min=INV_MIN,
        revenue_min=REV_MIN,
    )
    np.testing.assert_array_equal(admission.admitted, admitted)
    gated = apply_admission(inputs, admission)
    by_year = np.bincount(
        admission.year[admitted], weights=admission.land_m2[admitted], minlength=inputs.years.size
    )
    np.testing.assert_allclose(gated.take_up_m2[0, 0], by_year)
    assert gated.take_up_m2[0, 0].sum() < 20_000.0 * inputs.years.size  # some turned away
    reasons = np.array(REASONS)[admission.reason[~admitted]]
    assert set(reasons) <= {
        "investment_below_threshold",
        "revenue_below_threshold",
        "both_below_threshold",
    }


def test_each_parcel_takes_the_pledges_of_the_applicants_covering_it(write_scenario) -> None:
    # Thresholds 0, so all are admitted; 1.5-ha applicants, no spread in land: in 2012 the
    # park's 2 ha go to a 1.5-ha and a 0.5-ha applicant, in order of merit along the queue
    # P1, P2 (phase 1), P3, P4 of 1 ha each.
    text = tiny_toml(
        ('"4000 万元/ha"', '"0 万元/ha"'),
        ('"2 亿元/ha"', '"0 亿元/ha"'),
        extra=applicants("per_project"),
    )
    scenario, site = load_inputs(write_scenario(text))
    inputs = prepare(scenario, site)
    admission = admit(scenario, inputs, np.random.default_rng(3))
    assert admission.admitted.all()
    first = np.flatnonzero((admission.year == 0) & (admission.park == 0))
    assert sorted(admission.land_m2[first].round().tolist()) == [5_000.0, 15_000.0]
    lead = int(first[admission.land_start_m2[first] == 0][0])
    follow = int(first[first != lead][0])
    assert admission.merit[lead] >= admission.merit[follow]
    assert admission.land_start_m2[follow] == pytest.approx(admission.land_m2[lead])
    gated = apply_admission(inputs, admission)
    dens = admission.delivered_density
    p1, p2 = (int(np.flatnonzero(inputs.parcel_ids == p)[0]) for p in ("P1", "P2"))
    if admission.land_m2[lead] > 10_000:  # P1 wholly in the 1.5-ha lead, P2 half and half
        want_p1, want_p2 = dens[lead], (dens[lead] + dens[follow]) / 2
    else:  # P1 half the 0.5-ha lead and half the 1.5-ha; P2 wholly the 1.5-ha
        want_p1, want_p2 = (dens[lead] + dens[follow]) / 2, dens[follow]
    ceiling, far = 0.8, 1.5  # tiny: occupancy ceiling 80 %, plot ratio 1.5 (far_max 2)
    assert gated.parcel_revenue_per_m2 is not None
    assert gated.parcel_revenue_per_m2[0, p1] == pytest.approx(want_p1 / (far * ceiling))
    assert gated.parcel_revenue_per_m2[0, p2] == pytest.approx(want_p2 / (far * ceiling))
    assert gated.parcel_investment_intensity is not None
    inv = admission.investment_intensity
    want = inv[lead] if admission.land_m2[lead] > 10_000 else (inv[lead] + inv[follow]) / 2
    assert gated.parcel_investment_intensity[0, p1] == pytest.approx(want)
    q1 = int(np.flatnonzero(inputs.parcel_ids == "Q1")[0])
    assert np.isnan(gated.parcel_revenue_per_m2[0, q1])  # committed: the park's value


def test_delivered_revenue_at_full_occupancy_is_the_delivered_density(write_scenario) -> None:
    # Growth 0 and no vacancy left: a parcel's yearly revenue ÷ its land is its delivered
    # density, once its floor is full (occupied = ceiling × floor).
    text = tiny_toml(
        ('revenue_growth = "10 %"', 'revenue_growth = "0 %"'),
        ('demand_per_year = "1.5万 m2"', 'demand_per_year = "10万 m2"'),
        ('"4000 万元/ha"', '"0 万元/ha"'),
        ('"2 亿元/ha"', '"0 亿元/ha"'),
        extra=applicants("per_project"),
    )
    scenario, site = load_inputs(write_scenario(text))
    inputs = prepare(scenario, site)
    gated = apply_admission(inputs, admit(scenario, inputs, np.random.default_rng(2)))
    result = run(gated)
    assert gated.parcel_revenue_per_m2 is not None
    own = gated.parcel_revenue_per_m2[0]
    occupied = result.series["floor_occupied_m2"][0]
    full = occupied[-2] >= 0.8 * result.capacity_m2 - 1e-6  # full all through the last year
    full &= np.isfinite(own) & (result.capacity_m2 > 0)
    assert full.any()
    revenue = result.series["revenue_cny"][0, -1, full]
    capacity = result.capacity_m2[full]
    np.testing.assert_allclose(revenue, 0.8 * capacity * own[full])
    # = the delivered density × land: capacity = land × plot ratio, own = density ÷ (FAR × 80 %)
    far = capacity / result.area_m2[full]
    np.testing.assert_allclose(revenue / result.area_m2[full], own[full] * far * 0.8)


@pytest.mark.parametrize("gate", ["per_project", "park_average"])
def test_engine_equals_oracle_with_parcel_economics(write_scenario, gate: str) -> None:
    text = tiny_toml(extra=applicants(gate, land_sd=0.6))
    scenario, site = load_inputs(write_scenario(text))
    inputs = prepare(scenario, site)
    gated = apply_admission(inputs, admit(scenario, inputs, np.random.default_rng(4)))
    assert gated.parcel_revenue_per_m2 is not None
    assert np.isfinite(gated.parcel_revenue_per_m2).any()
    assert_engine_equals_oracle(gated)
    sampled = sample_inputs(inputs, scenario, 5, np.random.default_rng(5))
    assert sampled.parcel_revenue_per_m2 is not None
    assert sampled.parcel_revenue_per_m2.shape == (5, inputs.parcel_ids.size)
    assert_engine_equals_oracle(sampled)


def test_rejected_applicants_try_the_fallback_park_or_leave(write_scenario) -> None:
    text = tiny_toml(
        ('[parks.B]\nland_supply_per_year = "0 ha"', '[parks.B]\nland_supply_per_year = "0 ha"'),
        extra=applicants("park_average", land_sd=0.7) + 'fallback = { A = ["B"] }\n',
    )
    scenario, site = load_inputs(write_scenario(text))
    outcome = compute(scenario, site)
    assert outcome.admission is not None and outcome.applicants is not None
    a = outcome.admission
    moved = a.hops > 0
    # Every applicant rejected at A tried B; some were taken there, the others left.
    rejected_home = (a.reason > 0) | moved
    assert (moved == rejected_home).all()
    frame = outcome.applicants
    assert set(frame["outcome"]) <= {"admitted", "admitted_elsewhere", "left_city"}
    by_year = outcome.applicants_by_year
    assert by_year is not None
    a_rows = by_year[by_year["park_id"] == "A"]
    assert (a_rows["rejected"] >= a_rows["leaked"]).all()
    assert by_year["leaked"].sum() == int((~a.admitted).sum())
    assert by_year["admitted"].sum() == int(a.admitted.sum())


def test_contract_check_at_daichan_penalises_the_shortfall(write_scenario) -> None:
    # shortfall 0.8 < 1 − 10 % tolerance: every project due by 2019 is penalised
    # 20 % × (pledged − delivered) × land = 20 % × 0.2 × rev × land.
    scenario, site = load_inputs(write_scenario(tiny_toml(extra=applicants("per_project"))))
    inputs = prepare(scenario, site)
    a = admit(scenario, inputs, np.random.default_rng(6))
    # 达产 = year + start lag 1 + build 2 + ramp 2 = year + 5.
    np.testing.assert_array_equal(a.daichan_year[a.admitted], inputs.years[a.year[a.admitted]] + 5)
    due = a.admitted & (a.daichan_year <= 2019)
    assert due.any() and (~due & a.admitted).any()
    np.testing.assert_allclose(
        a.penalty_cny[due], 0.2 * 0.2 * a.revenue_density[due] * a.land_m2[due]
    )
    assert (a.penalty_cny[~due] == 0).all()
    assert not a.contract_met[due].any()


def test_a_gate_without_thresholds_is_refused_naming_the_field(write_scenario) -> None:
    text = tiny_toml(
        ('investment_intensity_min = "4000 万元/ha"\n', ""),
        extra=applicants("per_project"),
    )
    from sim.errors import ScenarioError

    scenario, site = load_inputs(write_scenario(text))
    assert scenario.rules.investment_intensity_min is None  # no default in code
    with pytest.raises(ScenarioError, match="investment_intensity_min"):
        compute(scenario, site)


def test_baseline_strict_variant_admits_less_floor_by_2016(tmp_path: Path) -> None:
    strict = BASELINE.with_name("qingdao_2012_strict.toml")
    base_s, base_site = load_inputs(BASELINE)
    strict_s, strict_site = load_inputs(strict)
    assert base_s.applicants is not None and strict_s.applicants is not None
    assert strict_s.rules.investment_intensity_min == pytest.approx(
        1.5 * (base_s.rules.investment_intensity_min or 0)
    )
    base_in, strict_in = prepare(base_s, base_site), prepare(strict_s, strict_site)
    draws = 20
    base = admit(base_s, base_in, np.random.default_rng(1), draws=draws)
    tight = admit(strict_s, strict_in, np.random.default_rng(1), draws=draws)
    assert (tight.admitted_floor_by(2016) < base.admitted_floor_by(2016)).all()


def test_run_writes_applicants_csv_and_the_admission_figures(write_scenario) -> None:
    from sim.cli import main

    path = write_scenario(tiny_toml(extra=applicants("park_average", land_sd=0.6)))
    out = path.parent / "out"
    assert main(["run", str(path), "--out", str(out), "-q"]) == 0
    frame = pd.read_csv(out / "applicants.csv", encoding="utf-8-sig")
    assert {
        "park_id",
        "year",
        "investment_intensity_wan_per_ha",
        "revenue_density_yi_per_ha",
        "admitted",
        "reason",
        "outcome",
    } <= set(frame.columns)
    by_year = pd.read_csv(out / "applicants_by_year.csv", encoding="utf-8-sig")
    assert by_year["applicants"].sum() == len(frame)
    assert by_year["admitted"].sum() == int(frame["admitted"].sum())
    assert (out / "figures" / "applicant_scatter.png").exists()
    assert (out / "figures" / "admitted_floor_by_year.png").exists()
    assert (out / "park_indicators.csv").exists() and (out / "parcel_indicators.csv").exists()
