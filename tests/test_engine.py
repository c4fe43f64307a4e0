"""The engine against a hand calculation, and its invariants under random inputs.

Hand calculation for the tiny scenario (tests/conftest.py), park A:
four 1-ha parcels, plot ratio 1.5 (P4 capped at far_max 1.0), so capacities are
15,000, 15,000, 15,000 and 10,000 m²; phases of at most 10,000 m² → P1–P3 build two
phases of 7,500 m², P4 one of 10,000 m². Land supply 2 ha/yr releases P1, P2 in 2012
and P3, P4 in 2013. Demand 15,000 m²/yr, lag 1, duration 2 (complete at the end of
the second year):

====  ===========================================  =======================
year  starts (first come, first served)            completed at year end
====  ===========================================  =======================
2013  P1.1 + P2.1 = 15,000                         —
2014  P1.2 + P2.2 = 15,000 (P3 waits)              P1.1, P2.1 = 15,000
2015  P3.1 = 7,500 (P4's 10,000 would exceed)      + P1.2, P2.2 = 30,000
2016  P3.2 = 7,500 (P4 still behind P3 in queue)   + P3.1 = 37,500
2017  P4 = 10,000                                  + P3.2 = 45,000
2018  —                                            + P4 = 55,000
====  ===========================================  =======================

Park B holds only Q1, committed: 20,000 m² in two phases starting 2013 and 2014.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.engine import PARK_FIELDS, Inputs, run, run_parks, simulate
from sim.result import Status
from sim.scenario import load_scenario
from sim.site import load_site

YEARS = list(range(2012, 2020))


@pytest.fixture
def tiny_result(tiny_dir: Path):
    scenario = load_scenario(tiny_dir / "tiny.toml")
    site = load_site(scenario.site, scenario.scenario.crs)
    return simulate(scenario, site)


def park_series(result, name: str, park: str) -> list[float]:
    return result.by_park(name)[0, :, result.park_ids.index(park)].tolist()


def test_release_start_completion_years_match_hand_calculation(tiny_result) -> None:
    frame = tiny_result.parcel_frame().set_index("parcel_id")
    assert frame["release_year"].tolist() == [2012, 2012, 2013, 2013, 2013]
    assert frame["start_year"].tolist() == [2013, 2013, 2015, 2015 + 2, 2013]
    assert frame["completion_year"].tolist() == [2015, 2015, 2017, 2018, 2015]
    assert frame["capacity_m2"].tolist() == pytest.approx([15000, 15000, 15000, 10000, 20000])


def test_floor_completed_year_by_year(tiny_result) -> None:
    a = park_series(tiny_result, "floor_completed_m2", "A")
    assert a == pytest.approx([0, 0, 15000, 30000, 37500, 45000, 55000, 55000])
    b = park_series(tiny_result, "floor_completed_m2", "B")
    assert b == pytest.approx([0, 0, 10000, 20000, 20000, 20000, 20000, 20000])


def test_floor_under_construction_year_by_year(tiny_result) -> None:
    # Started this year or last and not complete at year end.
    a = park_series(tiny_result, "floor_under_construction_m2", "A")
    assert a == pytest.approx([0, 15000, 15000, 7500, 7500, 10000, 0, 0])
    b = park_series(tiny_result, "floor_under_construction_m2", "B")
    assert b == pytest.approx([0, 10000, 10000, 0, 0, 0, 0, 0])


def test_occupancy_revenue_and_workers(tiny_result) -> None:
    # Completed floor fills linearly over 2 years to 80 %: 0 at completion year end,
    # 40 % a year later, 80 % after two.
    occupied = park_series(tiny_result, "floor_occupied_m2", "A")
    expected_2015 = 15000 * 0.4
    expected_2016 = 15000 * 0.8 + 15000 * 0.4
    expected_2017 = 30000 * 0.8 + 7500 * 0.4
    assert occupied[3] == pytest.approx(expected_2015)
    assert occupied[4] == pytest.approx(expected_2016)
    assert occupied[5] == pytest.approx(expected_2017)
    revenue = park_series(tiny_result, "revenue_cny", "A")
    # 10,000 元/m² in 2012, growing 10 % a year.
    assert revenue[3] == pytest.approx(expected_2015 * 10000 * 1.1**3)
    assert revenue[4] == pytest.approx(expected_2016 * 10000 * 1.1**4)
    workers = park_series(tiny_result, "workers_persons", "A")
    assert workers[4] == pytest.approx(expected_2016 / 40)


def test_investment_flows(tiny_result) -> None:
    # land 500 元/m² of land at release; construction 4,000 元/m² spread over the two
    # building years; fit-out 1,000 元/m² in the completion year.
    invest = park_series(tiny_result, "investment_cny", "A")
    land = 20000 * 500
    assert invest[0] == pytest.approx(land)  # 2012: P1, P2 released
    # 2013: P3, P4 released; P1.1, P2.1 first building year
    assert invest[1] == pytest.approx(land + 15000 * 4000 / 2)
    # 2014: P1.1, P2.1 second year + completion fit-out; P1.2, P2.2 first year
    assert invest[2] == pytest.approx(15000 * 4000 / 2 * 2 + 15000 * 1000)
    total_floor = 55000
    assert sum(invest) == pytest.approx(2 * land + total_floor * (4000 + 1000))


def test_status_codes(tiny_result) -> None:
    status = tiny_result.status[0]
    assert status[YEARS.index(2012)].tolist() == [1, 1, 0, 0, 0]
    assert status[YEARS.index(2013)].tolist() == [2, 2, 1, 1, 2]
    assert status[YEARS.index(2016)].tolist() == [4, 4, 2, 1, 4]
    assert status[YEARS.index(2019)].tolist() == [Status.COMPLETED] * 5


def test_parts_add_up_to_total(tiny_result) -> None:
    summary = tiny_result.summary_frame()
    for year, group in summary.groupby("year"):
        parks = group[group.park_id != "total"].drop(columns=["year", "park_id"]).sum()
        total = group[group.park_id == "total"].drop(columns=["year", "park_id"]).iloc[0]
        np.testing.assert_allclose(parks.to_numpy(float), total.to_numpy(float), err_msg=str(year))


def test_committed_start_before_base_year(write_scenario) -> None:
    from tests.conftest import TINY_TOML

    text = TINY_TOML.replace("start_year = 2013", "start_year = 2010")
    scenario = load_scenario(write_scenario(text))
    result = simulate(scenario, load_site(scenario.site, scenario.scenario.crs))
    # Phases started 2010 and 2011, two years each: complete 2011 and 2012.
    assert park_series(result, "floor_completed_m2", "B")[0] == pytest.approx(20000)


# ---------------------------------------------------------------- invariants


@st.composite
def random_inputs(draw: st.DrawFn) -> Inputs:
    n_parks = draw(st.integers(1, 3))
    n_parcels = draw(st.integers(1, 25))
    n_years = draw(st.integers(1, 12))
    floats = st.floats
    park_of = np.array(draw(st.lists(st.integers(0, n_parks - 1), min_size=n_parcels,
                                     max_size=n_parcels)))  # fmt: skip
    area = np.array(draw(st.lists(floats(1e3, 1e5), min_size=n_parcels, max_size=n_parcels)))
    far_max = np.array(
        draw(st.lists(st.one_of(st.just(np.nan), floats(0.5, 5)), min_size=n_parcels,
                      max_size=n_parcels))
    )  # fmt: skip
    committed = np.array(draw(st.lists(st.booleans(), min_size=n_parcels, max_size=n_parcels)))
    start = np.where(committed, draw(st.integers(2005, 2012 + n_years)), np.nan)
    phases = np.where(committed, draw(st.integers(1, 4)), 0)
    cap = area * np.where(np.isnan(far_max), 2.0, far_max)
    committed_floor = np.where(committed, cap * draw(floats(0.1, 1.0)), 0.0)
    park = {
        "plot_ratio": floats(0.5, 4),
        "start_lag_years": floats(0, 3),
        "duration_years": floats(0.5, 5),
        "max_floor_per_phase": floats(5e3, 2e5),
        "occupancy_ramp_years": floats(0, 4),
        "occupancy_ceiling": floats(0.1, 1),
        "revenue_per_m2": floats(0, 3e4),
        "revenue_growth": floats(-0.5, 0.5),
        "land_price": floats(0, 2e3),
        "construction_cost": floats(0, 1e4),
        "fitout_cost": floats(0, 2e3),
        "m2_per_worker": floats(5, 100),
    }
    values = {k: np.array([draw(st.lists(s, min_size=n_parks, max_size=n_parks))])
              for k, s in park.items()}  # fmt: skip
    assert set(values) == set(PARK_FIELDS)
    yearly = st.lists(floats(0, 3e5), min_size=n_years, max_size=n_years)
    supply = np.array([[draw(yearly) for _ in range(n_parks)]])
    demand = np.array([[draw(yearly) for _ in range(n_parks)]])
    demand = np.maximum(demand, values["max_floor_per_phase"][:, :, None] * 0.5)
    return Inputs(
        name="random",
        years=np.arange(2012, 2012 + n_years),
        park_ids=tuple(f"park{k}" for k in range(n_parks)),
        parcel_ids=np.array([f"p{i}" for i in range(n_parcels)]),
        parcel_park=park_of.astype(np.int64),
        area_m2=area,
        far_max=far_max,
        queue_rank=np.array(draw(st.permutations(range(n_parcels))), dtype=np.int64),
        committed_start=start,
        committed_floor=committed_floor,
        committed_phases=phases.astype(np.int64),
        park=values,
        land_supply_m2=supply,
        demand_m2=demand,
    )


@settings(max_examples=150, deadline=None)
@given(random_inputs())
def test_invariants(inputs: Inputs) -> None:
    result = run(inputs)
    done = result.series["floor_completed_m2"][0]
    building = result.series["floor_under_construction_m2"][0]
    occupied = result.series["floor_occupied_m2"][0]
    cap = result.capacity_m2
    slack = 1e-6 * np.maximum(cap, 1)
    # Built floor never exceeds capacity; nor does floor started.
    assert np.all(done <= cap + slack)
    assert np.all(done + building <= cap + slack)
    assert np.all(occupied <= done + slack)
    # Cumulative series never fall.
    assert np.all(np.diff(done, axis=0) >= -slack)
    assert np.all(np.diff(done + building, axis=0) >= -slack)
    # Parks add up to the total; parcels at the horizon add up to the summary.
    summary = result.summary_frame()
    horizon = summary[summary.year == result.years[-1]].set_index("park_id")
    assert horizon.loc["total", "floor_completed_m2"] == pytest.approx(done[-1].sum(), abs=1e-3)
    per_park = horizon.drop(index="total")["floor_completed_m2"].sum()
    assert per_park == pytest.approx(horizon.loc["total", "floor_completed_m2"], abs=1e-3)
    # Queued parcels never start before release + lag; statuses are valid codes.
    assert set(np.unique(result.status)) <= {int(s) for s in Status}
    started = result.start_year[0]
    released = result.release_year[0]
    queued = ~np.isfinite(inputs.committed_start)
    ok = ~np.isfinite(started) | (started >= released)
    assert np.all(ok[queued])


@settings(max_examples=60, deadline=None)
@given(random_inputs())
def test_queued_starts_respect_demand(inputs: Inputs) -> None:
    """Floor started in a year by the queue never exceeds the demand left by committed."""
    result = run(inputs)
    started = result.series["floor_completed_m2"] + result.series["floor_under_construction_m2"]
    new = np.diff(started[0], axis=0, prepend=0.0)  # floor started each year, per parcel
    queued = ~np.isfinite(inputs.committed_start)
    for k in range(len(inputs.park_ids)):
        members = (inputs.parcel_park == k) & queued
        per_year = new[:, members].sum(axis=1)
        assert np.all(per_year <= inputs.demand_m2[0, k] + 1e-6)


def test_same_inputs_same_output(tiny_dir: Path) -> None:
    scenario = load_scenario(tiny_dir / "tiny.toml")
    site = load_site(scenario.site, scenario.scenario.crs)
    first, second = simulate(scenario, site), simulate(scenario, site)
    for name in first.series:
        assert np.array_equal(first.series[name], second.series[name])


def test_investment_before_base_year(write_scenario) -> None:
    from tests.conftest import TINY_TOML

    # Q1 (1 ha, park B) committed from 2011: phase 1 builds 2011–2012, phase 2 2012–2013.
    text = TINY_TOML.replace("start_year = 2013", "start_year = 2011")
    scenario = load_scenario(write_scenario(text))
    result = simulate(scenario, load_site(scenario.site, scenario.scenario.crs))
    q1 = list(result.parcel_ids).index("Q1")
    # before 2012: land 10,000 m² × 500; half of phase 1's construction 10,000 × 4,000 / 2
    assert result.investment_before_base_cny[0, q1] == pytest.approx(10_000 * 500 + 2e7)
    invest_b = park_series(result, "investment_cny", "B")
    total = result.investment_before_base_cny[0, q1] + sum(invest_b)
    assert total == pytest.approx(10_000 * 500 + 20_000 * (4000 + 1000))


@settings(max_examples=100, deadline=None)
@given(random_inputs())
def test_park_accounting_matches_parcel_accounting(inputs: Inputs) -> None:
    """run_parks (Monte Carlo path) and run (per parcel) are one model."""
    per_parcel = run(inputs)
    per_park = run_parks(inputs)
    for name, values in per_park.items():
        expected = per_parcel.by_park(name)
        np.testing.assert_allclose(values, expected, rtol=1e-9, atol=1e-6, err_msg=name)


def test_idle_land_reclaimed_and_released_again(write_scenario) -> None:
    """[rules] reclaim_idle: P4 (released 2013) is still unstarted at the end of 2015 —
    two years — so it is taken back. It rejoins park A's queue behind the original 4 ha;
    cumulative supply (2 ha/yr: 8 ha by 2015, 10 ha by 2016) covers 4 + 1 ha in 2016, the
    first year after the reclaim, so it is out again in 2016, ready in 2017 (lag 1) and
    starts in 2017 as before. Its land is paid for twice."""
    from tests.conftest import TINY_TOML

    text = TINY_TOML.replace("[rules]\n", "[rules]\nreclaim_idle = true\n")
    scenario = load_scenario(write_scenario(text))
    result = simulate(scenario, load_site(scenario.site, scenario.scenario.crs))
    p4 = list(result.parcel_ids).index("P4")
    assert result.reclaim_year is not None and result.first_release_year is not None
    assert result.reclaim_year[0, p4] == 2015
    assert np.isnan(np.delete(result.reclaim_year[0], p4)).all()
    assert result.first_release_year[0, p4] == 2013
    assert result.release_year[0, p4] == 2016
    assert result.start_year[0, p4] == 2017
    statuses = result.status[0, :, p4].tolist()
    # 2013 released, 2014 idle (released), 2015 taken back, 2016 out again, 2017 building
    assert statuses[1:7] == [1, 1, 0, 1, 2, 4]
    land_price = 500.0
    invest = park_series(result, "investment_cny", "A")
    # 2016: P4's land again (10,000 m² × 500) + P3.1's second and P3.2's first building
    # year (2 × 7,500 × 4,000 / 2) + P3.1's fit-out (7,500 × 1,000)
    assert invest[4] == pytest.approx(10_000 * land_price + 2 * 7_500 * 2_000 + 7_500 * 1_000)
    # Over the run the land of park A is paid for five times: four parcels and P4 again.
    total_floor = 55_000
    assert sum(invest) == pytest.approx(5 * 10_000 * land_price + total_floor * 5_000)
    released = result.released_mask()
    assert released[:, p4].tolist() == [False, True, True, False, True, True, True, True]


def test_reclaimed_land_behind_a_long_queue_waits(write_scenario) -> None:
    """With 1 ha/yr, park A's queue of 4 ha is out only by 2015, so P1 and P2 (out 2012)
    wait; demand is tiny so P3 and P4 are never started: P3 (out 2014) is taken back
    in 2016 and needs 4 ha + 1 ha of cumulative supply — 2016 — so it is out again
    in 2017."""
    from tests.conftest import TINY_TOML

    text = (
        TINY_TOML.replace("[rules]\n", "[rules]\nreclaim_idle = true\n")
        .replace('land_supply_per_year = "2 ha"', 'land_supply_per_year = "1 ha"')
        .replace('demand_per_year = "1.5万 m2"', 'demand_per_year = "1万 m2"')
        .replace('max_floor_per_phase = "1万 m2"', 'max_floor_per_phase = "0.8万 m2"')
    )
    scenario = load_scenario(write_scenario(text))
    result = simulate(scenario, load_site(scenario.site, scenario.scenario.crs))
    from sim.engine import prepare
    from tests.oracle import oracle

    expected = oracle(prepare(scenario, load_site(scenario.site, scenario.scenario.crs)))
    np.testing.assert_array_equal(result.reclaim_year, expected["reclaim"])
    np.testing.assert_array_equal(result.release_year, expected["release"])
    assert np.isfinite(result.reclaim_year).any()
