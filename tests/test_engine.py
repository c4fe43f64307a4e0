"""The engine (``prepare → run``) against a hand calculation, and its invariants end to end.

Hand calculation for the tiny scenario (tests/conftest.py) under the quarterly model of
docs/MODEL.md. Quarter ``t`` is year ``2012 + t // 4``; year ends are t = 3, 7, …, 31.

Park A: four 1-ha parcels, plot ratio 1.5 (P4 capped at far_max 1.0), so capacities are
15,000, 15,000, 15,000 and 10,000 m²; phases of at most 10,000 m² → P1–P3 build two
phases of 7,500 m², P4 one of 10,000 m². The queue is P1, P2 (phase 1, 50 m from the
start area, tie by id), P3, P4. Servicing 2 ha/yr = 5,000 m² a quarter covers the
cumulative queue areas 10,000 · 20,000 · 30,000 · 40,000 m² at t = 1, 3, 5, 7; with no
take-up limit each parcel sells in the quarter it is serviced. Start lag 1 yr = 4 quarters;
duration 2 yr = 8 quarters, and top-out defaults to it (τ = δ = 8): the second phase
starts as the first completes.

======  ====  =====  ===========================  ===========================
parcel  sold  start  phases complete (t)          completion year
======  ====  =====  ===========================  ===========================
P1      1     5      13, 21                       2017
P2      3     7      15, 23                       2017
P3      5     9      17, 25                       2018
P4      7     11     19                           2016
======  ====  =====  ===========================  ===========================

Park B holds only Q1, committed: 20,000 m² in two phases of 10,000 from 2013 (t = 4),
sold at max(4 − lag 4, 0) = t 0; phases start at t 4 and 12 and complete at t 12 and 20.

Occupancy: each park gets 15,000 m²/yr = 3,750 a quarter; unplaced demand waits in a
backlog, which by t = 13 (52,500 m²) exceeds all the room A will ever have (0.8 × 55,000
= 44,000), so from then on every building — each phase is one — fills as fast as its ramp
allows: 0.8 × f / (4 × 2 yr) = 0.1 × f a quarter (f its floor), up to 0.8 × f.
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import box

from sim.engine import Inputs, prepare, run, run_draws, run_parks, simulate, simulate_draws
from sim.montecarlo import sample_inputs
from sim.result import PARK_SERIES, Result, Status
from sim.scenario import load_scenario
from sim.site import Site
from tests.buildout_adapter import to_inputs
from tests.conftest import (
    CRS,
    X0,
    Y0,
    load_and_simulate,
    load_inputs,
    tiny_layers,
    tiny_toml,
)
from tests.test_model_invariants import random_inputs as random_oracle_inputs

YEARS = list(range(2012, 2020))
NAN = math.nan
#: 10,000 元/m² a year, paid a quarter at a time, growing 10 % a year: (1.1)^(t/4).
RATE = 1e4 / 4


@pytest.fixture
def tiny_result(tiny_dir: Path) -> Result:
    return load_and_simulate(tiny_dir / "tiny.toml")[2]


def park_series(result: Result, name: str, park: str) -> list[float]:
    return result.by_park(name)[0, :, result.park_ids.index(park)].tolist()


def test_servicing_sale_start_and_completion_match_hand_calculation(tiny_result) -> None:
    events = tiny_result.events_q
    assert events is not None
    # P1, P2, P3, P4, Q1 (committed, sold at the base year's first quarter)
    np.testing.assert_array_equal(events["serviced"][0], [1, 3, 5, 7, 0])
    np.testing.assert_array_equal(events["sold"][0], [1, 3, 5, 7, 0])
    np.testing.assert_array_equal(events["contract"][0], [5, 7, 9, 11, 4])
    np.testing.assert_array_equal(events["start"][0], [5, 7, 9, 11, 4])
    np.testing.assert_array_equal(events["completion"][0], [21, 23, 25, 19, 20])
    assert np.isnan(events["reclaim"][0]).all()
    frame = tiny_result.parcel_frame().set_index("parcel_id")
    assert frame["release_year"].tolist() == [2012, 2012, 2013, 2013, 2012]
    assert frame["start_year"].tolist() == [2013, 2013, 2014, 2014, 2013]
    assert frame["completion_year"].tolist() == [2017, 2017, 2018, 2016, 2017]
    assert frame["capacity_m2"].tolist() == pytest.approx([15000, 15000, 15000, 10000, 20000])


def test_floor_by_stage_year_by_year(tiny_result) -> None:
    # Sold: P1, P2 in 2012; P3, P4 in 2013. Started at year end (t = 3, 7, …):
    # 2013 P1.1 + P2.1; 2014 + P3.1 + P4; 2015 + P1.2 + P2.2; 2016 + P3.2.
    sold = park_series(tiny_result, "floor_sold_m2", "A")
    assert sold == pytest.approx([30000] + [55000] * 7)
    started = park_series(tiny_result, "floor_started_m2", "A")
    assert started == pytest.approx([0, 15000, 32500, 47500, 55000, 55000, 55000, 55000])
    # Topped out = completed (top-out defaults to the duration).
    topped = park_series(tiny_result, "floor_topped_out_m2", "A")
    completed = park_series(tiny_result, "floor_completed_m2", "A")
    assert topped == completed
    # 2015: P1.1 (t 13), P2.1 (t 15); 2016: + P3.1 (t 17), P4 (t 19);
    # 2017: + P1.2 (t 21), P2.2 (t 23); 2018: + P3.2 (t 25).
    assert completed == pytest.approx([0, 0, 0, 15000, 32500, 47500, 55000, 55000])
    building = park_series(tiny_result, "floor_under_construction_m2", "A")
    assert building == pytest.approx([0, 15000, 32500, 32500, 22500, 7500, 0, 0])
    b = park_series(tiny_result, "floor_completed_m2", "B")
    assert b == pytest.approx([0, 0, 0, 10000, 10000, 20000, 20000, 20000])
    b_building = park_series(tiny_result, "floor_under_construction_m2", "B")
    assert b_building == pytest.approx([0, 10000, 10000, 10000, 10000, 0, 0, 0])


def test_occupancy_revenue_and_workers(tiny_result) -> None:
    # The backlog exceeds the room, so every building (a phase) fills 0.1 × its floor a
    # quarter from the quarter it completes, to 0.8 × its floor: a phase completed at q
    # holds min(0.8, 0.1 × (t − q + 1)) × f at t (f = 7,500, P4 10,000).
    # 2015 (t 15): P1.1 750 × 3 (from t 13) + P2.1 750 (t 15) = 3,000.
    # 2016 (t 19): P1.1 5,250 + P2.1 3,750 + P3.1 2,250 (from t 17) + P4 1,000 (t 19) = 12,250.
    # 2017 (t 23): P1.1 6,000 and P2.1 6,000 (full), P3.1 5,250, P4 5,000, P1.2 2,250
    #   (from t 21), P2.2 750 (t 23) → 25,250.
    # 2018 (t 27): P1.1–P3.1 6,000 each, P4 8,000, P1.2 5,250, P2.2 3,750, P3.2 2,250
    #   (from t 25) → 37,250.
    # 2019 (t 31): P1.2 6,000, P2.2 6,000, P3.2 5,250 → 43,250.
    occupied = park_series(tiny_result, "floor_occupied_m2", "A")
    assert occupied == pytest.approx([0, 0, 0, 3000, 12250, 25250, 37250, 43250])
    vacant = park_series(tiny_result, "floor_vacant_m2", "A")
    completed = [0, 0, 0, 15000, 32500, 47500, 55000, 55000]
    assert vacant == pytest.approx([c - o for c, o in zip(completed, occupied, strict=True)])
    # Q1 (park B): its first phase fills 1,000 a quarter from t 12 to 8,000 (t 19); the
    # second, completed at t 20, likewise: 12,000 at t 23, 16,000 from t 27.
    b = park_series(tiny_result, "floor_occupied_m2", "B")
    assert b == pytest.approx([0, 0, 0, 4000, 8000, 12000, 16000, 16000])
    # Revenue of 2015 is the sum of its four quarters (A occupied 0, 750, 1,500, 3,000).
    revenue = park_series(tiny_result, "revenue_cny", "A")
    quarters = {13: 750, 14: 1500, 15: 3000}
    assert revenue[3] == pytest.approx(sum(o * RATE * 1.1 ** (t / 4) for t, o in quarters.items()))
    # 2016: A occupied 4,500, 6,750, 9,000, 12,250 at t 16 … 19.
    quarters = {16: 4500, 17: 6750, 18: 9000, 19: 12250}
    assert revenue[4] == pytest.approx(sum(o * RATE * 1.1 ** (t / 4) for t, o in quarters.items()))
    workers = park_series(tiny_result, "workers_persons", "A")
    assert workers[4] == pytest.approx(12250 / 40)
    # The quarterly series: Q4 stocks are the year-end ones.
    assert tiny_result.quarterly is not None
    a = tiny_result.park_ids.index("A")
    quarterly = tiny_result.quarterly["floor_occupied_m2"][0, :, a]
    assert quarterly[12:20].tolist() == pytest.approx([0, 750, 1500, 3000, 4500, 6750, 9000, 12250])


def test_demand_caps_occupancy_not_construction(write_scenario) -> None:
    """Demand of 4,000 m²/yr (1,000 a quarter) instead of 15,000: construction is the same,
    occupancy is not. A's room still binds until 2016 (12,250 placed of 20,000 demanded),
    then demand: from 2017 A holds all 4,000 × years of demand, 32,000 by 2019, below its
    ceiling of 44,000. Doubling the land supply (4 ha/yr) builds sooner but fills no more."""
    low = tiny_toml(('demand_per_year = "1.5万 m2"', 'demand_per_year = "0.4万 m2"'))
    _, _, base = load_and_simulate(write_scenario(low, "low.toml"))
    _, _, high = load_and_simulate(write_scenario(tiny_toml(), "high.toml"))
    for name in ("floor_sold_m2", "floor_started_m2", "floor_completed_m2", "investment_cny"):
        np.testing.assert_array_equal(base.series[name], high.series[name], err_msg=name)
    occupied = park_series(base, "floor_occupied_m2", "A")
    assert occupied == pytest.approx([0, 0, 0, 3000, 12250, 24000, 28000, 32000])
    assert park_series(base, "floor_occupied_m2", "B")[-1] == pytest.approx(16000)

    more_land = tiny_toml(
        ('demand_per_year = "1.5万 m2"', 'demand_per_year = "0.4万 m2"'),
        ('land_supply_per_year = "2 ha"', 'land_supply_per_year = "4 ha"'),
    )
    _, _, doubled = load_and_simulate(write_scenario(more_land, "more_land.toml"))
    # 10,000 m² a quarter services P1 … P4 at t 0 … 3, starts t 4 … 7: by 2015 (t 15)
    # P1.1, P2.1, P3.1 (t 12, 13, 14) and P4 (t 15) are complete.
    assert park_series(doubled, "floor_completed_m2", "A")[3] == pytest.approx(32500)
    assert park_series(doubled, "floor_occupied_m2", "A")[5:] == pytest.approx(occupied[5:])


def test_investment_flows(tiny_result) -> None:
    # Land 500 元/m² in the quarter of sale; construction 4,000 元/m² spread over a phase's
    # 8 quarters (7,500 m² → 3.75 M a quarter, 10,000 m² → 5 M); fit-out 1,000 元/m² in
    # the quarter a phase completes.
    invest = park_series(tiny_result, "investment_cny", "A")
    land = 10000 * 500
    assert invest[0] == pytest.approx(2 * land)  # 2012: P1, P2 sold
    # 2013: P3, P4 sold; P1.1 builds t 5–7, P2.1 t 7
    assert invest[1] == pytest.approx(2 * land + 4 * 3.75e6)
    # 2014: P1.1, P2.1 four quarters each; P3.1 t 9–11; P4 t 11
    assert invest[2] == pytest.approx(8 * 3.75e6 + 3 * 3.75e6 + 5e6)
    assert sum(invest) == pytest.approx(4 * land + 55000 * (4000 + 1000))
    # B: land in 2012 Q1; Q1.1 builds t 4–11 (10,000 m² → 5 M a quarter).
    b = park_series(tiny_result, "investment_cny", "B")
    assert b[:3] == pytest.approx([land, 4 * 5e6, 4 * 5e6])


def test_status_codes(tiny_result) -> None:
    status = tiny_result.status[0]
    assert status[YEARS.index(2012)].tolist() == [1, 1, 0, 0, 1]
    assert status[YEARS.index(2013)].tolist() == [2, 2, 1, 1, 2]
    # 2016: P4 complete; the others have a phase complete and the next under way.
    assert status[YEARS.index(2016)].tolist() == [2, 2, 2, 4, 2]
    assert status[YEARS.index(2017)].tolist() == [4, 4, 2, 4, 4]
    assert status[YEARS.index(2019)].tolist() == [Status.COMPLETED] * 5


def test_parts_add_up_to_total(tiny_result) -> None:
    summary = tiny_result.summary_frame()
    for year, group in summary.groupby("year"):
        ratios = ["year", "park_id", "vacancy_rate"]  # a ratio of totals, not a sum
        parks = group[group.park_id != "total"].drop(columns=ratios).sum()
        total = group[group.park_id == "total"].drop(columns=ratios).iloc[0]
        np.testing.assert_allclose(parks.to_numpy(float), total.to_numpy(float), err_msg=str(year))


def test_committed_start_before_base_year(write_scenario) -> None:
    text = tiny_toml(("start_year = 2013", "start_year = 2010"))
    _, _, result = load_and_simulate(write_scenario(text))
    # Phases start in 2010 Q1 and 2012 Q1 (t −8, 0) and build 8 quarters: the first is
    # complete at t 0, the second at t 8 (2014 Q1).
    assert park_series(result, "floor_completed_m2", "B")[:3] == pytest.approx([1e4, 1e4, 2e4])
    q1 = list(result.parcel_ids).index("Q1")
    assert result.start_year[0, q1] == 2010
    assert result.completion_year[0, q1] == 2014


def test_investment_before_base_year(write_scenario) -> None:
    # Q1 committed from 2011 (t −4): phase 1 builds t −4 … 3, phase 2 t 4 … 11. It is sold
    # at max(−4 − 4, 0) = t 0, so its land is paid in 2012; before it, four quarters of
    # phase 1's construction, 4 × 10,000 × 4,000 / 8.
    text = tiny_toml(("start_year = 2013", "start_year = 2011"))
    _, _, result = load_and_simulate(write_scenario(text))
    q1 = list(result.parcel_ids).index("Q1")
    assert result.investment_before_base_cny[0, q1] == pytest.approx(4 * 5e6)
    invest_b = park_series(result, "investment_cny", "B")
    # 2012: land and phase 1's last four quarters; 2013: its fit-out (t 4) and phase 2's
    # first four quarters.
    assert invest_b[0] == pytest.approx(10_000 * 500 + 4 * 5e6)
    assert invest_b[1] == pytest.approx(10_000 * 1000 + 4 * 5e6)
    total = result.investment_before_base_cny[0, q1] + sum(invest_b)
    assert total == pytest.approx(10_000 * 500 + 20_000 * (4000 + 1000))


#: Park A's developers buy 1 ha a year (2,500 m² a quarter) and start late: the contract
#: says at once (lag 0), the start lag is longer.
LATE_STARTERS = '\n[parks.A]\ntake_up_per_year = "1 ha"\ncontract_lag_years = 0\n'


def test_idle_land_is_flagged_from_the_contracted_start(write_scenario) -> None:
    """Take-up 2,500 m² a quarter (lost at t 0, when nothing is serviced) sells P1 at t 4,
    P2 at t 8, P3 at t 12, P4 at t 16. Contracted to start at sale, developers start 3.5
    years (14 quarters) later: P1 is idle from t 8 (one year after its contracted start)
    and reclaimable from t 12 (two years), until it starts at t 18. Without reclaiming
    nothing is taken back."""
    text = tiny_toml(extra=LATE_STARTERS + "start_lag_years = 3.5\n")
    _, _, result = load_and_simulate(write_scenario(text))
    assert result.events_q is not None and result.idle is not None
    assert result.reclaimable is not None
    np.testing.assert_array_equal(result.events_q["sold"][0, :4], [4, 8, 12, 16])
    np.testing.assert_array_equal(result.events_q["contract"][0, :4], [4, 8, 12, 16])
    np.testing.assert_array_equal(result.events_q["start"][0, :4], [18, 22, 26, 30])
    assert np.isnan(result.events_q["reclaim"][0]).all()
    p1 = list(result.parcel_ids).index("P1")
    # Year ends t 7, 11, 15, 19: 2013 not yet idle, 2014 idle, 2015 reclaimable, 2016 started.
    assert result.idle[0, 1:5, p1].tolist() == [False, True, True, False]
    assert result.reclaimable[0, 1:5, p1].tolist() == [False, False, True, False]
    assert not result.idle[0, :, list(result.parcel_ids).index("Q1")].any()  # committed


def test_idle_land_reclaimed_and_sold_again_behind_the_queue(write_scenario) -> None:
    """As above with ``reclaim_idle`` and a start lag of 2.5 years (10 quarters): every A
    parcel is reclaimable 8 quarters after its sale, before its developer would start.
    P1 (sold t 4) is taken back at t 12 and rejoins the queue behind the original 4 ha:
    at 50,000 m² cumulative, which the take-up reaches at t 20, after P2, P3 and P4 are
    sold (t 8, 12, 16); P2 (t 8) rejoins at t 16 behind P1, at 60,000 (t 24); P3 (t 12)
    at t 20, at 70,000 (t 28); P4 (t 16) at t 24, at 80,000, beyond the horizon. P1 is
    reclaimed again at t 28. Nothing in park A is ever built; its land is paid seven
    times."""
    text = tiny_toml(
        ("[rules]\n", "[rules]\nreclaim_idle = true\n"),
        extra=LATE_STARTERS + "start_lag_years = 2.5\n",
    )
    _, _, result = load_and_simulate(write_scenario(text))
    events = result.events_q
    assert events is not None
    assert result.reclaim_year is not None and result.first_release_year is not None
    np.testing.assert_array_equal(events["first_sold"][0], [4, 8, 12, 16, 0])
    np.testing.assert_array_equal(events["reclaim"][0], [28, 16, 20, 24, NAN])
    np.testing.assert_array_equal(events["sold"][0], [20, 24, 28, 16, 0])
    np.testing.assert_array_equal(events["start"][0], [NAN, NAN, NAN, NAN, 4])
    np.testing.assert_array_equal(result.first_release_year[0], [2013, 2014, 2015, 2016, 2012])
    np.testing.assert_array_equal(result.reclaim_year[0], [2019, 2016, 2017, 2018, NAN])
    np.testing.assert_array_equal(result.release_year[0], [2017, 2018, 2019, 2016, 2012])
    p1 = list(result.parcel_ids).index("P1")
    # Held at the year ends t 7, 11 (sold t 4), not t 15, 19 (taken back t 12), again
    # t 23, 27 (sold t 20), not t 31 (taken back t 28).
    released = result.released_mask()
    assert released[:, p1].tolist() == [False, True, True, False, False, True, True, False]
    assert result.status[0, :, p1].tolist() == [0, 1, 1, 0, 0, 1, 1, 0]
    assert park_series(result, "floor_started_m2", "A") == [0.0] * 8
    assert sum(park_series(result, "investment_cny", "A")) == pytest.approx(7 * 10_000 * 500)


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
#: Servicing and sale order: by phase, then distance, then id (ties at 100, 300 and 400 m).
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
    # 1 ha a year (2,500 m² a quarter) services the k-th parcel of the queue when the
    # cumulative budget reaches k ha, in Q4 of year 2012 + k − 1 (t = 4k − 1); it sells
    # at once.
    text = tiny_toml(
        ('"site.gpkg"', '"queue.gpkg"'),
        ("horizon = 2019", "horizon = 2021"),
        ('land_supply_per_year = "2 ha"', 'land_supply_per_year = "1 ha"'),
    )
    _, _, result = load_and_simulate(write_scenario(text, "queue.toml"))
    assert result.events_q is not None
    serviced = dict(zip(result.parcel_ids, result.events_q["serviced"][0], strict=True))
    assert [serviced[i] for i in QUEUE_ORDER] == [4 * k + 3 for k in range(9)]
    released = dict(zip(result.parcel_ids, result.release_year[0], strict=True))
    assert [released[i] for i in QUEUE_ORDER] == list(range(2012, 2021))
    # With all land serviced at once and a take-up of 1 ha a year, developers buy in the
    # same order: the k-th parcel when the take-up reaches k ha, at t = 4k − 1.
    text = tiny_toml(
        ('"site.gpkg"', '"queue.gpkg"'),
        ("horizon = 2019", "horizon = 2021"),
        ('land_supply_per_year = "2 ha"', 'land_supply_per_year = "100 ha"'),
        extra='\n[parks.A]\ntake_up_per_year = "1 ha"\n',
    )
    _, _, result = load_and_simulate(write_scenario(text, "take_up.toml"))
    assert result.events_q is not None
    sold = dict(zip(result.parcel_ids, result.events_q["sold"][0], strict=True))
    assert [sold[i] for i in QUEUE_ORDER] == [4 * k + 3 for k in range(9)]
    serviced = dict(zip(result.parcel_ids, result.events_q["serviced"][0], strict=True))
    assert {serviced[i] for i in QUEUE_ORDER} == {0.0}


# ---------------------------------------------------------------- invariants, end to end

TOL = 1e-6
STOCKS = ("floor_sold_m2", "floor_started_m2", "floor_topped_out_m2", "floor_completed_m2",
          "floor_occupied_m2", "floor_under_construction_m2", "floor_vacant_m2")  # fmt: skip
FLOWS = ("revenue_cny", "investment_cny", "revenue_other_cny")


def _area(value: float) -> str:
    return f'"{value:.1f} m2"'


@st.composite
def random_scenarios(draw: st.DrawFn) -> str:
    """Random values for every park field of the tiny scenario, optional ones at random,
    yearly lists, a committed project, reclaiming, the rest of the city, and sometimes
    distributions and a market (to be sampled)."""
    n_years = draw(st.integers(1, 8))
    horizon = 2011 + n_years

    def num(low: float, high: float) -> float:
        return round(draw(st.floats(low, high)), 3)

    def yearly(low: float, high: float) -> str:
        if draw(st.booleans()):
            return _area(num(low, high))
        return "[" + ", ".join(_area(num(low, high)) for _ in range(n_years)) + "]"

    lines = [
        f"land_supply_per_year = {yearly(0, 40_000)}",
        f"demand_per_year = {yearly(0, 40_000)}",
        f"plot_ratio = {num(0.3, 3)}",
        f"start_lag_years = {num(0, 3)}",
        f"duration_years = {num(0.05, 3)}",
        f"max_floor_per_phase = {_area(num(2_000, 30_000))}",
        f"occupancy_ramp_years = {num(0, 3)}",
        f"occupancy_ceiling = {num(0.1, 1)}",
        f'revenue_per_m2 = "{num(0, 2e4)} 元/m2"',
        f"revenue_growth = {num(-0.2, 0.3)}",
        f'land_price = "{num(0, 2_000)} 元/m2"',
        f'construction_cost = "{num(0, 6_000)} 元/m2"',
        f'fitout_cost = "{num(0, 2_000)} 元/m2"',
        f'm2_per_worker = "{num(10, 60)} m2"',
    ]
    base = num(0, 20_000)
    optional = {
        "take_up_per_year": yearly(0, 40_000),
        "contract_lag_years": str(num(0, 3)),
        "topout_years": str(num(0.05, 3)),
        "base_floor_completed": _area(base),
        "base_floor_occupied": _area(round(base * draw(st.floats(0, 1)), 1)),
        "base_floor_under_construction": _area(num(0, 20_000)),
        "base_completion_years": str(num(0.05, 3)),
        "other_revenue": f'"{num(0, 1e9)} 元"',
        "other_revenue_growth": str(num(-0.2, 0.3)),
        "revenue_per_worker": f'"{num(1e5, 1e6)} 元"',
        "vacancy_target": str(num(0, 0.5)),
        "vacancy_elasticity": str(num(0, 4)),
    }
    lines += [f"{k} = {v}" for k, v in optional.items() if draw(st.booleans())]
    uncertain = draw(st.booleans())
    if uncertain:
        lines[4] = 'duration_years = { dist = "uniform", min = 0.1, max = 3 }'
        lines[3] = 'start_lag_years = { dist = "choice", values = [0, 0.5, 1.25] }'
    b = [f"land_supply_per_year = {yearly(0, 40_000)}", f"demand_per_year = {yearly(0, 40_000)}"]
    idle = draw(st.integers(1, 2))
    text = "\n".join(
        [
            "[scenario]",
            'name = "random"',
            "base_year = 2012",
            f"horizon = {horizon}",
            "seed = 3",
            "[site]",
            'parks = "site.gpkg"',
            'parcels = "site.gpkg"',
            "[defaults]",
            *lines,
            "[parks.B]",
            *b,
            "[rules]",
            f"reclaim_idle = {str(draw(st.booleans())).lower()}",
            f"idle_after_years = {idle}",
            f"reclaim_after_years = {idle + draw(st.integers(0, 2))}",
            "",
        ]
    )
    if draw(st.booleans()):
        text += (
            f'[[committed]]\nparcel = "Q1"\nstart_year = {draw(st.integers(2005, horizon))}\n'
            f"floor = {_area(num(100, 30_000))}\nphases = {draw(st.integers(1, 4))}\n"
        )
    if draw(st.booleans()):
        text += f'[rest_of_city]\nrevenue = "{num(0, 1e10)} 元"\nrevenue_growth = 0.05\n'
        text += f'revenue_per_worker = "{num(0, 1e6)} 元"\n'
    if uncertain:
        text += "[market]\ndemand_sd = 0.3\ncorrelation = 0.5\n"
    return text


def scenario_inputs(text: str, folder: Path, site: Site, draws: int = 3) -> Inputs:
    path = folder / "random.toml"
    path.write_text(text, encoding="utf-8")
    scenario = load_scenario(path)
    inputs = prepare(scenario, site)
    if "dist" in text:
        inputs = sample_inputs(
            inputs, scenario, draws, np.random.default_rng(scenario.scenario.seed)
        )
    return inputs


def _park_values(result: Result, name: str) -> np.ndarray:
    """Per-parcel yearly values summed into parks, ``(D, Y, K)``."""
    values = result.series[name]
    onehot = np.eye(len(result.park_ids))[result.parcel_park]
    return np.asarray(values @ onehot)


def check_result(result: Result, inputs: Inputs) -> None:
    """What must hold of any Result, per parcel and per park, in every draw."""
    s = result.series
    n_draws = result.draws
    scale = 1.0 + max(float(np.abs(v).max(initial=0.0)) for v in s.values())
    tol = TOL * scale
    # Stocks never negative; flows not either (no negative price or cost).
    for name in (*STOCKS, "revenue_cny", "investment_cny", "workers_persons"):
        assert (s[name] >= -tol).all(), name
    # Stages ordered: sold ≥ started ≥ topped out ≥ completed ≥ occupied / ceiling.
    assert (s["floor_sold_m2"] >= s["floor_started_m2"] - tol).all()
    assert (s["floor_started_m2"] >= s["floor_topped_out_m2"] - tol).all()
    assert (s["floor_topped_out_m2"] >= s["floor_completed_m2"] - tol).all()
    ceiling = np.broadcast_to(
        result.parameters["occupancy_ceiling"], (n_draws, len(inputs.park_ids))
    )
    ceiling_p = ceiling[:, None, result.parcel_park]
    assert (s["floor_occupied_m2"] <= ceiling_p * s["floor_completed_m2"] + tol).all()
    # Built and occupied floor never fall.
    for name in ("floor_started_m2", "floor_topped_out_m2", "floor_completed_m2",
                 "floor_occupied_m2"):  # fmt: skip
        assert (np.diff(s[name], axis=1) >= -tol).all(), name
    # Parts add up: the park is its parcels plus its base stock (and other revenue).
    park = result.park_series
    assert park is not None and set(park) == set(PARK_SERIES)
    base_done, base_occ = park["base_floor_completed_m2"], park["base_floor_occupied_m2"]
    for name, extra in (("floor_completed_m2", base_done), ("floor_occupied_m2", base_occ),
                        ("investment_cny", 0.0)):  # fmt: skip
        np.testing.assert_allclose(park[name], _park_values(result, name) + extra, atol=tol)
    np.testing.assert_allclose(
        park["floor_vacant_m2"], park["floor_completed_m2"] - park["floor_occupied_m2"], atol=tol
    )
    # Occupied floor of the park is at most its ceiling × its new floor, plus its base
    # tenants; what it gained never exceeds the demand it was given (its own, and any
    # the city's logit offered: at most all of the city's), nor do the parks together.
    base_given = np.broadcast_to(inputs.park["base_floor_occupied"], ceiling.shape)
    new_floor = park["floor_completed_m2"] - base_done
    assert (park["floor_occupied_m2"] - base_occ <= ceiling[:, None] * new_floor + tol).all()
    demand = np.broadcast_to(inputs.demand_m2, (n_draws, *inputs.demand_m2.shape[1:]))
    placed = park["floor_occupied_m2"] - base_given[:, None, :]
    given = np.cumsum(demand, axis=2).transpose(0, 2, 1)
    if inputs.allocation is not None:
        pool = np.broadcast_to(inputs.allocation.pool_m2, (n_draws, inputs.years.size))
        given = given + np.cumsum(pool, axis=1)[:, :, None]
        own = given[:, :, :].sum(axis=2) - (len(inputs.park_ids) - 1) * np.cumsum(pool, axis=1)
        assert (placed.sum(axis=2) <= own + tol * len(inputs.park_ids)).all()
    assert (placed <= given + tol).all()
    # Quarters: Q4 stocks are year ends, a year's flows the sum of its four quarters.
    quarterly = result.quarterly
    assert quarterly is not None
    for name, values in quarterly.items():
        by_year = values.reshape(n_draws, -1, 4, values.shape[2])
        want = by_year.sum(axis=2) if name in FLOWS else by_year[:, :, 3]
        np.testing.assert_allclose(park[name], want, rtol=1e-12, atol=tol, err_msg=name)
    # The summary's total is the parks plus the rest of the city.
    for draw in range(n_draws):
        summary = result.summary_frame(draw=draw)
        summary = summary.drop(columns="vacancy_rate")  # a ratio of totals, not a sum
        total = summary[summary.park_id == "total"].drop(columns=["year", "park_id"])
        parts = summary[summary.park_id != "total"].groupby("year").sum(numeric_only=True)
        np.testing.assert_allclose(
            total.to_numpy(float), parts[total.columns].to_numpy(float), rtol=1e-9, atol=tol
        )
    # Statuses are valid codes; a started queued parcel was sold no later.
    assert set(np.unique(result.status)) <= {int(code) for code in Status}
    queued = np.isnan(np.broadcast_to(inputs.committed_start, result.start_year.shape))
    started = np.isfinite(result.start_year) & queued
    assert (result.release_year[started] <= result.start_year[started]).all()
    done = np.isfinite(result.completion_year)
    assert (result.start_year[done] <= result.completion_year[done]).all()


def check_accounts(inputs: Inputs, result: Result) -> None:
    """Park accounting (``run_parks``, chunked ``run_draws``) equals parcel accounting."""
    assert result.park_series is not None
    for per_park in (run_parks(inputs), run_draws(inputs, chunk_size=2)):
        for name, values in per_park.items():
            if name.startswith("rest_of_city/"):
                assert result.rest_of_city is not None
                expected = result.rest_of_city[name.split("/", 1)[1]]
            else:
                expected = result.park_series[name]
            np.testing.assert_allclose(values, expected, rtol=1e-9, atol=1e-6, err_msg=name)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=random_scenarios())
def test_invariants_of_random_scenarios(site_dir: tuple[Path, Site], text: str) -> None:
    """prepare → run on random scenarios of the tiny site: every invariant, and the park
    accounting of Monte Carlo equals the per-parcel one."""
    folder, site = site_dir
    inputs = scenario_inputs(text, folder, site)
    result = run(inputs)
    check_result(result, inputs)
    check_accounts(inputs, result)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=random_scenarios())
def test_same_seed_same_output(site_dir: tuple[Path, Site], text: str) -> None:
    folder, site = site_dir
    first, again = (
        run(scenario_inputs(text, folder, site)),
        run(scenario_inputs(text, folder, site)),
    )
    for name in first.series:
        np.testing.assert_array_equal(first.series[name], again.series[name], err_msg=name)
    assert first.park_series is not None and again.park_series is not None
    for name in first.park_series:
        np.testing.assert_array_equal(first.park_series[name], again.park_series[name])
    np.testing.assert_array_equal(first.status, again.status)
    for name in ("release_year", "start_year", "completion_year"):
        np.testing.assert_array_equal(getattr(first, name), getattr(again, name))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_oracle_inputs())
def test_invariants_of_random_inputs(oracle_inputs) -> None:
    """run on the core's random inputs (several draws, fractional committed starts, base
    stock, feedback, reclaim): the same invariants and accounts."""
    inputs = to_inputs(oracle_inputs)
    result = run(inputs)
    check_result(result, inputs)
    check_accounts(inputs, result)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_oracle_inputs())
def test_without_feedback_construction_ignores_demand(oracle_inputs) -> None:
    """Construction is supply-led: without the vacancy feedback, demand changes occupancy
    and nothing upstream of it."""
    inputs = to_inputs(oracle_inputs)
    park = {**inputs.park, "vacancy_elasticity": np.zeros_like(inputs.park["plot_ratio"])}
    inputs = replace(inputs, park=park)
    more = replace(inputs, demand_m2=inputs.demand_m2 * 3 + 5_000)
    a, b = run(inputs), run(more)
    for name in ("floor_sold_m2", "floor_started_m2", "floor_completed_m2", "investment_cny"):
        np.testing.assert_array_equal(a.series[name], b.series[name], err_msg=name)
    assert (b.series["floor_occupied_m2"] >= a.series["floor_occupied_m2"] - TOL).all()


def test_same_seed_same_draws(write_scenario) -> None:
    text = tiny_toml(
        ("duration_years = 2", 'duration_years = { dist = "uniform", min = 1, max = 3 }'),
        extra="\n[market]\ndemand_sd = 0.3\n",
    )
    scenario, site = load_inputs(write_scenario(text))
    first = simulate_draws(scenario, site, draws=50, seed=4)
    again = simulate_draws(scenario, site, draws=50, seed=4, chunk_size=7)
    for name in first.series:
        np.testing.assert_array_equal(first.series[name], again.series[name], err_msg=name)
    one, two = simulate(scenario, site), simulate(scenario, site)
    for name in one.series:
        np.testing.assert_array_equal(one.series[name], two.series[name])
