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

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import box

from sim.engine import PARK_FIELDS, Inputs, prepare, run, run_parks, simulate
from sim.result import Status
from tests.conftest import CRS, X0, Y0, load_and_simulate, load_inputs, tiny_layers, tiny_toml
from tests.oracle import oracle

YEARS = list(range(2012, 2020))


@pytest.fixture
def tiny_result(tiny_dir: Path):
    return load_and_simulate(tiny_dir / "tiny.toml")[2]


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
    text = tiny_toml(("start_year = 2013", "start_year = 2010"))
    _, _, result = load_and_simulate(write_scenario(text))
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
    # Queued parcels never start before release + lag (the lag in whole years, rounded
    # up as the engine does); statuses are valid codes.
    assert set(np.unique(result.status)) <= {int(s) for s in Status}
    started = result.start_year[0]
    released = result.release_year[0]
    lag = np.ceil(inputs.park["start_lag_years"][0] - 1e-9)[inputs.parcel_park]
    queued = ~np.isfinite(inputs.committed_start)
    assert np.all(np.isfinite(released[queued & np.isfinite(started)]))  # started ⇒ released
    ok = ~np.isfinite(started) | (started >= released + lag)
    assert np.all(ok[queued]), (started[queued], released[queued], lag[queued])


@settings(max_examples=60, deadline=None)
@given(random_inputs())
def test_queued_starts_respect_demand(inputs: Inputs) -> None:
    """Floor started in a year by the queue never exceeds the demand left by committed."""
    result = run(inputs)
    started = result.series["floor_completed_m2"] + result.series["floor_under_construction_m2"]
    new = np.diff(started[0], axis=0, prepend=0.0)  # floor started each year, per parcel
    queued = ~np.isfinite(inputs.committed_start)
    # Committed floor started per park and year: equal phases a year apart from its start.
    committed = np.zeros((len(inputs.park_ids), inputs.years.size))
    for j in np.flatnonzero(~queued):
        for phase in range(inputs.committed_phases[j]):
            t = int(inputs.committed_start[j]) + phase - int(inputs.years[0])
            if 0 <= t < inputs.years.size:
                committed[inputs.parcel_park[j], t] += (
                    inputs.committed_floor[j] / inputs.committed_phases[j]
                )
    left = np.maximum(inputs.demand_m2[0] - committed, 0.0)  # (K, Y)
    for k in range(len(inputs.park_ids)):
        members = (inputs.parcel_park == k) & queued
        per_year = new[:, members].sum(axis=1)
        assert np.all(per_year <= left[k] + 1e-6 * np.maximum(left[k], 1.0)), k


def test_same_inputs_same_output(tiny_dir: Path) -> None:
    scenario, site = load_inputs(tiny_dir / "tiny.toml")
    first, second = simulate(scenario, site), simulate(scenario, site)
    for name in first.series:
        assert np.array_equal(first.series[name], second.series[name])
    assert np.array_equal(first.status, second.status)
    for name in ("release_year", "start_year", "completion_year", "capacity_m2"):
        assert np.array_equal(getattr(first, name), getattr(second, name), equal_nan=True)


def test_investment_before_base_year(write_scenario) -> None:
    # Q1 (1 ha, park B) committed from 2011: phase 1 builds 2011–2012, phase 2 2012–2013.
    text = tiny_toml(("start_year = 2013", "start_year = 2011"))
    _, _, result = load_and_simulate(write_scenario(text))
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
    text = tiny_toml(("[rules]\n", "[rules]\nreclaim_idle = true\n"))
    _, _, result = load_and_simulate(write_scenario(text))
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
    """With 1 ha/yr park A's queue P1, P2, P3, P4 is out one parcel a year, 2012–2015.
    Demand of 1万 m²/yr (phases of 7,500 m²; P4's two of 5,000) starts P1 in 2013 and
    2014 and P2 in 2015 and 2016, first come first served, so P3 (out 2014, ready 2015)
    waits behind P2: unstarted at the end of 2016, two years after its release, it is
    taken back. Behind the original 4 ha it needs 5 ha of cumulative supply (reached in
    2016) and is out again no earlier than the next year, 2017; ready in 2018 (lag 1), it
    starts then. P4 (out 2015) starts in 2017, in time, so it is never taken back."""
    text = tiny_toml(
        ("[rules]\n", "[rules]\nreclaim_idle = true\n"),
        ('land_supply_per_year = "2 ha"', 'land_supply_per_year = "1 ha"'),
        ('demand_per_year = "1.5万 m2"', 'demand_per_year = "1万 m2"'),
        ('max_floor_per_phase = "1万 m2"', 'max_floor_per_phase = "0.8万 m2"'),
    )
    scenario, site, result = load_and_simulate(write_scenario(text))
    assert result.first_release_year is not None and result.reclaim_year is not None
    nan = np.nan
    # P1, P2, P3, P4, Q1 (committed 2013)
    np.testing.assert_array_equal(result.first_release_year[0], [2012, 2013, 2014, 2015, 2013])
    np.testing.assert_array_equal(result.reclaim_year[0], [nan, nan, 2016, nan, nan])
    np.testing.assert_array_equal(result.release_year[0], [2012, 2013, 2017, 2015, 2013])
    np.testing.assert_array_equal(result.start_year[0], [2013, 2015, 2018, 2017, 2013])
    expected = oracle(prepare(scenario, site))
    np.testing.assert_array_equal(result.reclaim_year, expected["reclaim"])
    np.testing.assert_array_equal(result.release_year, expected["release"])


# ---------------------------------------------------------------- queue order

#: Park A, 1000 m × 200 m, holds 1-ha parcels at these (column, row) cells of 100 m, by id,
#: with their phase. The start area is the centroid of the phase-1 parcels: columns 0, 3,
#: 4, 5 and 8 of row 0 average to x = 450 m, y = 50 m.
QUEUE_CELLS = {
    # phase 1, at 0 m, 100 m (twice) and 400 m (twice) from the start area
    "P1": (0, 0, 1),  # 400 m
    "P2": (5, 0, 1),  # 100 m
    "P3": (8, 0, 1),  # 400 m
    "P4": (3, 0, 1),  # 100 m
    "P5": (4, 0, 1),  # 0 m
    # phase 2: after every phase-1 parcel, however close
    "R0": (7, 0, 2),  # 300 m
    "R1": (1, 0, 2),  # 300 m
    "R2": (6, 0, 2),  # 200 m
    "R9": (5, 1, 2),  # √(100² + 100²) = 141 m: straight-line distance
}
#: Release order: by phase, then distance, then id (ties at 100, 300 and 400 m).
QUEUE_ORDER = ["P5", "P2", "P4", "P1", "P3", "R9", "R2", "R0", "R1"]


def test_release_queue_is_ordered_by_phase_then_distance_to_the_start_area(
    tiny_dir: Path, write_scenario
) -> None:
    ids = list(QUEUE_CELLS)[::-1]  # rows in neither id nor queue order
    cells = [box(X0 + 100 * c, Y0 + 100 * r, X0 + 100 * (c + 1), Y0 + 100 * (r + 1))
             for c, r, _ in (QUEUE_CELLS[i] for i in ids)]  # fmt: skip
    parks, tiny_parcels = tiny_layers()
    parks = parks.set_geometry([box(X0, Y0, X0 + 1000, Y0 + 200), box(X0 + 1100, Y0,
                                X0 + 1200, Y0 + 100)], crs=CRS)  # fmt: skip
    q1 = tiny_parcels[tiny_parcels.parcel_id == "Q1"].set_geometry(
        [box(X0 + 1100, Y0, X0 + 1200, Y0 + 100)], crs=CRS
    )
    parcels = gpd.GeoDataFrame(
        {
            "parcel_id": ids,
            "park_id": "A",
            "zone": "rd",
            "far_max": 2.0,
            "phase": [QUEUE_CELLS[i][2] for i in ids],
            "land_use": "software_rd",
        },
        geometry=cells,
        crs=CRS,
    )
    parcels = pd.concat([parcels, q1], ignore_index=True)
    parks.to_file(tiny_dir / "queue.gpkg", layer="parks", engine="pyogrio")
    parcels.to_file(tiny_dir / "queue.gpkg", layer="parcels", engine="pyogrio")
    # 1 ha a year releases one parcel a year, 2012–2020, in queue order.
    text = tiny_toml(
        ('"site.gpkg"', '"queue.gpkg"'),
        ("horizon = 2019", "horizon = 2021"),
        ('land_supply_per_year = "2 ha"', 'land_supply_per_year = "1 ha"'),
    )
    _, _, result = load_and_simulate(write_scenario(text))
    released = dict(zip(result.parcel_ids, result.release_year[0], strict=True))
    assert [released[i] for i in QUEUE_ORDER] == list(range(2012, 2021))
