"""The quarterly build-out model (docs/MODEL.md) on tiny cases worked out by hand.

Every test goes through :func:`simulate`, which today runs the plain-Python oracle; point
it at the engine and the same hand calculations check the engine.

Quarter ``t`` is year ``2012 + t // 4``, quarter ``t % 4 + 1``; stocks are read at the
end of a quarter.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from tests.buildout_adapter import engine
from tests.oracle import OracleInputs, OracleOutputs, make_inputs, yearly

NAN = math.nan


def simulate(inputs: OracleInputs) -> OracleOutputs:
    """The model under test: the oracle today, the engine later."""
    return engine(inputs)


def assert_series(actual: np.ndarray, expected: list[float]) -> None:
    np.testing.assert_allclose(actual, expected, rtol=1e-12, atol=1e-6)


# ----------------------------------------------------------------------------------------
# (a) Three parcels, quarter by quarter, through every stage


def three_parcels(**park: float) -> OracleInputs:
    """One park, three parcels in queue order p0, p1, p2, three years (T = 12).

    - p0: 1 ha at plot ratio 2 → 20,000 m², two phases of 10,000 (max 10,000 a phase);
    - p1: 0.5 ha capped at FAR 1 → 5,000 m², one phase;
    - p2: 1.5 ha → 30,000 m², three phases of 10,000.

    Land servicing 20,000 m²/yr (5,000 a quarter), take-up 40,000 m²/yr (10,000 a
    quarter), demand 8,000 m²/yr (2,000 a quarter). Start lag 0.25 yr → 1 quarter; top-out
    0.5 yr → τ = 2; duration 0.75 yr → δ = 3. Ramp 0.5 yr, ceiling 0.8: a building fills at
    most 0.8·C / 2 = 0.4·C a quarter, up to 0.8·C.
    """
    values = {
        "plot_ratio": 2.0,
        "max_floor_per_phase": 10_000.0,
        "start_lag_years": 0.25,
        "topout_years": 0.5,
        "duration_years": 0.75,
        "occupancy_ramp_years": 0.5,
        "occupancy_ceiling": 0.8,
        "revenue_per_m2": 1_000.0,
        "land_price": 1_000.0,
        "construction_cost": 3_000.0,
        "fitout_cost": 500.0,
        **park,
    }
    return make_inputs(
        n_years=3,
        area_m2=[10_000.0, 5_000.0, 15_000.0],
        far_max=[NAN, 1.0, NAN],
        park=values,
        land_supply=20_000.0,
        take_up=40_000.0,
        demand=8_000.0,
    )


def test_three_parcels_servicing_and_sale() -> None:
    out = simulate(three_parcels())
    # Queue positions X = 10,000, 15,000, 30,000 m². Serviced area, cumulative, 5,000 a
    # quarter: 5k, 10k, 15k, 20k, 25k, 30k at t = 0 … 5, unused budget carried over:
    # p0 at t = 1, p1 at t = 2, p2 at t = 5.
    assert_series(out.serviced_q[0], [1, 2, 5])
    # S (serviced queue area) = 0, 10k, 15k, 15k, 15k, 30k, 30k …;
    # W = min(W + 10k, S) = 0 (t0: the take-up finds no land and is lost), 10k (p0 sold),
    # 15k (p1 sold), 15k, 15k, 25k, 30k (t6: p2 sold, the take-up limit binds).
    assert_series(out.sold_q[0], [1, 2, 6])
    assert_series(out.first_sold_q[0], [1, 2, 6])
    # Contract lag defaults to the start lag, 1 quarter.
    assert_series(out.contract_q[0], [2, 3, 7])
    assert_series(out.start_q[0], [2, 3, 7])
    assert np.isnan(out.reclaim_q).all()
    # Capacity of sold parcels.
    assert_series(out.floor_sold_m2[0, :, 0], [0] + [20_000] * 11)
    assert_series(out.floor_sold_m2[0, :, 1], [0, 0] + [5_000] * 10)
    assert_series(out.floor_sold_m2[0, :, 2], [0] * 6 + [30_000] * 6)


def test_three_parcels_phases_top_out_and_completion() -> None:
    out = simulate(three_parcels())
    # p0 (start 2): phase 0 starts at 2, tops out at 4, completes at 5; the crew moves on at
    # top-out, so phase 1 starts at 4, tops out at 6, completes at 7.
    assert_series(out.floor_started_m2[0, :, 0], [0, 0, 10e3, 10e3] + [20e3] * 8)
    assert_series(out.floor_topped_out_m2[0, :, 0], [0] * 4 + [10e3, 10e3] + [20e3] * 6)
    assert_series(out.floor_completed_m2[0, :, 0], [0] * 5 + [10e3, 10e3] + [20e3] * 5)
    # p1 (start 3): one phase, tops out at 5, completes at 6.
    assert_series(out.floor_started_m2[0, :, 1], [0] * 3 + [5e3] * 9)
    assert_series(out.floor_topped_out_m2[0, :, 1], [0] * 5 + [5e3] * 7)
    assert_series(out.floor_completed_m2[0, :, 1], [0] * 6 + [5e3] * 6)
    # p2 (start 7): phases start at 7, 9, 11; top out at 9, 11 (13 is past the horizon);
    # the first completes at 10.
    assert_series(out.floor_started_m2[0, :, 2], [0] * 7 + [10e3, 10e3, 20e3, 20e3, 30e3])
    assert_series(out.floor_topped_out_m2[0, :, 2], [0] * 9 + [10e3, 10e3, 20e3])
    assert_series(out.floor_completed_m2[0, :, 2], [0] * 10 + [10e3, 10e3])
    # Completion of the last phase: p0 at 2 + 1·τ + δ = 7, p1 at 3 + 3 = 6, p2 at 7 + 2·2
    # + 3 = 14 > 11, not reached.
    assert_series(out.completion_q[0], [7, 6, NAN])


def test_three_parcels_occupancy_ramp_ceiling_and_backlog() -> None:
    out = simulate(three_parcels())
    # Each phase is a building with its own room: it fills by at most 0.4 × its floor a
    # quarter, up to 0.8 × its floor.
    # t0–t4: nothing completed, room R = 0, the 2,000 a quarter piles up: B = 2k … 10k.
    # t5:  p0's phase 0 (10k) completes: r = min(8k − 0, 4k) = 4k; P = 10k + 2k = 12k;
    #      φ = 1; O0 = 4k; B = 8k.
    # t6:  p0·0: min(8k − 4k, 4k) = 4k; p1 (5k) completes: min(4k, 2k) = 2k; R = 6k;
    #      P = 10k; φ = 1: O0 = 8k, O1 = 2k; B = 4k.
    # t7:  p0·0 is full; p0·1 (10k) completes: 4k; p1: min(4k − 2k, 2k) = 2k; R = 6k = P;
    #      φ = 1: O0 = 12k, O1 = 4k (its ceiling); B = 0.
    # t8:  p0·1: min(8k − 4k, 4k) = 4k = R; P = 2k; φ = 0.5: O0 = 14k.
    # t9:  p0·1: min(8k − 6k, 4k) = 2k = R = P; φ = 1: O0 = 16k = 0.8 × 20k.
    # t10: p0, p1 full; p2's phase 0 (10k) completes: r = 4k; P = 2k; φ = 0.5: O2 = 2k.
    # t11: p2·0: min(8k − 2k, 4k) = 4k; φ = 0.5: O2 = 4k.
    assert_series(out.backlog_m2[0, :, 0], [2e3, 4e3, 6e3, 8e3, 10e3, 8e3, 4e3] + [0] * 5)
    assert_series(out.floor_occupied_m2[0, :, 0], [0] * 5 + [4e3, 8e3, 12e3, 14e3] + [16e3] * 3)
    assert_series(out.floor_occupied_m2[0, :, 1], [0] * 6 + [2e3] + [4e3] * 5)
    assert_series(out.floor_occupied_m2[0, :, 2], [0] * 10 + [2e3, 4e3])
    # Revenue: O × 1,000 CNY/m²/yr / 4; t11: (16k + 4k + 4k) × 250 = 6,000,000.
    assert out.revenue_cny[0, 11].sum() == pytest.approx(6e6)
    # Year 3 (t8–t11): (18k + 20k + 22k + 24k) × 250 = 21,000,000.
    assert yearly(out.revenue_cny, flow=True)[0, 2].sum() == pytest.approx(21e6)


def test_three_parcels_investment() -> None:
    out = simulate(three_parcels())
    # Land 1,000 CNY/m² in the sale quarter: p0 1e7 at t1, p1 5e6 at t2, p2 1.5e7 at t6.
    # Construction 3,000 CNY/m² × 10,000 m² a phase = 3e7 over δ = 3 quarters, 1e7 a
    # quarter from the phase's start; fit-out 500 × 10,000 = 5e6 when it completes.
    # p0: phase 0 builds t2–t4, phase 1 t4–t6, fit-outs at t5 and t7.
    assert_series(out.investment_cny[0, :, 0], [0, 1e7, 1e7, 1e7, 2e7, 1.5e7, 1e7, 5e6] + [0] * 4)
    # p1: 5,000 m²: 1.5e7 over t3–t5, fit-out 2.5e6 at t6.
    assert_series(out.investment_cny[0, :, 1], [0, 0, 5e6, 5e6, 5e6, 5e6, 2.5e6] + [0] * 5)
    # p2: land at t6; phases build t7–t9, t9–t11, t11–; fit-out of phase 0 at t10.
    assert_series(out.investment_cny[0, :, 2], [0] * 6 + [1.5e7, 1e7, 1e7, 2e7, 1.5e7, 2e7])


# ----------------------------------------------------------------------------------------
# (b) Demand binds, (c) supply binds


def four_parcels(*, land_supply: float, take_up: float, demand: float) -> OracleInputs:
    """Four 1-ha parcels at plot ratio 1 (10,000 m² each, one phase), two years (T = 8).

    Start lag 0, build time 0.25 yr → τ = δ = 1: a parcel sold at t completes at t + 1.
    """
    return make_inputs(
        n_years=2,
        area_m2=[10_000.0] * 4,
        park={"duration_years": 0.25, "occupancy_ceiling": 0.9},
        land_supply=land_supply,
        take_up=take_up,
        demand=demand,
    )


def test_demand_binds_more_land_more_floor_same_occupancy() -> None:
    # Land 20,000 m²/yr and take-up 20,000 m²/yr: 5,000 a quarter each. Queue at 10k, 20k,
    # 30k, 40k; S = 0, 10k, 10k, 20k, 20k, 30k, 30k, 40k; W = 0, 5k, 10k, 15k, 20k, 25k,
    # 30k, 35k: sold at t2, t4, t6, completed at t3, t5, t7 → 30,000 m² at t7.
    base = simulate(four_parcels(land_supply=20_000, take_up=20_000, demand=4_000))
    # Doubled, 10,000 a quarter each: sold at t0 … t3, completed t1 … t4 → 40,000 m².
    more = simulate(four_parcels(land_supply=40_000, take_up=40_000, demand=4_000))
    assert_series(base.sold_q[0], [2, 4, 6, NAN])
    assert_series(more.sold_q[0], [0, 1, 2, 3])
    assert base.floor_completed_m2[0, 7].sum() == pytest.approx(30_000)
    assert more.floor_completed_m2[0, 7].sum() == pytest.approx(40_000)
    # Demand 1,000 a quarter; the room (0.9 × 10,000 from the first completion on) never
    # runs out. base: B = 1k, 2k, 3k, then t3 places 4k and 1k a quarter after: 8k at t7.
    # more: B = 1k, then t1 places 2k, 1k a quarter after: 8k at t7. All demand is placed.
    assert_series(base.floor_occupied_m2[0].sum(axis=1), [0, 0, 0, 4e3, 5e3, 6e3, 7e3, 8e3])
    assert_series(more.floor_occupied_m2[0].sum(axis=1), [0, 2e3, 3e3, 4e3, 5e3, 6e3, 7e3, 8e3])
    assert base.backlog_m2[0, 7, 0] == more.backlog_m2[0, 7, 0] == 0


def test_supply_binds_more_demand_same_floor_same_occupancy() -> None:
    # Land 20,000 m²/yr, no take-up limit: serviced and sold at t1, t3, t5, t7 (cumulative
    # 5k a quarter), completed at t2, t4, t6 (t8 is past the horizon).
    base = simulate(four_parcels(land_supply=20_000, take_up=math.inf, demand=40_000))
    more = simulate(four_parcels(land_supply=20_000, take_up=math.inf, demand=80_000))
    assert_series(base.sold_q[0], [1, 3, 5, 7])
    completed = [0, 0, 10e3, 10e3, 20e3, 20e3, 30e3, 30e3]
    assert_series(base.floor_completed_m2[0].sum(axis=1), completed)
    assert_series(more.floor_completed_m2[0].sum(axis=1), completed)
    # 10,000 a quarter waiting (20,000 doubled) fills each 9,000 of room the quarter it is
    # completed: occupied = 0.9 × completed in both.
    occupied = [0.9 * c for c in completed]
    assert_series(base.floor_occupied_m2[0].sum(axis=1), occupied)
    assert_series(more.floor_occupied_m2[0].sum(axis=1), occupied)
    # Only the backlog differs: 8 × 10k − 27k = 53k, and 8 × 20k − 27k = 133k.
    assert base.backlog_m2[0, 7, 0] == pytest.approx(53_000)
    assert more.backlog_m2[0, 7, 0] == pytest.approx(133_000)


# ----------------------------------------------------------------------------------------
# (d) Base stock


def base_park(**park: float) -> OracleInputs:
    """One 1-ha parcel (10,000 m²), sold and started at t0, completed at t2 (δ = 2).

    Base stock 10,000 m² completed, 6,000 occupied; ceiling 0.9; demand 4,000 m²/yr.
    """
    values = {
        "duration_years": 0.5,
        "occupancy_ceiling": 0.9,
        "base_floor_completed": 10_000.0,
        "base_floor_occupied": 6_000.0,
        "revenue_per_m2": 1_000.0,
        **park,
    }
    return make_inputs(n_years=1, area_m2=[10_000.0], park=values, demand=4_000.0)


def test_base_stock_absorbs_demand_in_proportion_to_room() -> None:
    out = simulate(base_park())
    # t0: base room 0.9 × 10k − 6k = 3k, P = 1k, φ = 1/3: base 7k.
    # t1: room 2k, φ = 1/2: base 8k.
    # t2: base room 1k, new parcel 9k; R = 10k, φ = 0.1: base 8.1k, parcel 0.9k.
    # t3: base room 0.9k, parcel 8.1k; R = 9k, φ = 1/9: base 8.2k, parcel 1.8k.
    assert_series(out.base_occupied_m2[0, :, 0], [7e3, 8e3, 8.1e3, 8.2e3])
    assert_series(out.floor_occupied_m2[0, :, 0], [0, 0, 0.9e3, 1.8e3])
    assert_series(out.base_completed_m2[0, :, 0], [10e3] * 4)
    assert_series(out.backlog_m2[0, :, 0], [0] * 4)
    # Base revenue: 7,000 × 1,000 / 4 at t0.
    assert out.base_revenue_cny[0, 0, 0] == pytest.approx(1.75e6)


def test_base_stock_over_its_ceiling_keeps_its_tenants() -> None:
    # 9,500 occupied > 0.9 × 10,000: the base has no room and loses nothing; t0, t1 demand
    # waits (B = 1k, 2k), the parcel takes 3k at t2 and 1k at t3.
    out = simulate(base_park(base_floor_occupied=9_500.0))
    assert_series(out.base_occupied_m2[0, :, 0], [9.5e3] * 4)
    assert_series(out.backlog_m2[0, :, 0], [1e3, 2e3, 0, 0])
    assert_series(out.floor_occupied_m2[0, :, 0], [0, 0, 3e3, 4e3])


def test_base_floor_under_construction_completes_after_its_build_time() -> None:
    # 5,000 m² under construction, 0.5 yr → in the completed stock from t = 2 (the same
    # index arithmetic as a phase started at t0 with δ = 2).
    out = simulate(
        base_park(
            base_floor_occupied=9_000.0,
            base_floor_under_construction=5_000.0,
            base_completion_years=0.5,
        )
    )
    assert_series(out.base_completed_m2[0, :, 0], [10e3, 10e3, 15e3, 15e3])
    # t0, t1: no room (9k = 0.9 × 10k), B = 1k, 2k. t2: base room 13.5k − 9k = 4.5k and
    # parcel 9k, R = 13.5k, P = 3k, φ = 2/9: base + 1k, parcel 2k. t3: P = 1k, base room
    # 3.5k, parcel 7k, φ = 2/21: base + 1/3 k, parcel + 2/3 k.
    assert_series(out.base_occupied_m2[0, :, 0], [9e3, 9e3, 10e3, 10e3 + 1e3 / 3])
    assert_series(out.floor_occupied_m2[0, :, 0], [0, 0, 2e3, 2e3 + 2e3 / 3])


# ----------------------------------------------------------------------------------------
# (e) Vacancy feedback


def feedback_park(elasticity: float) -> OracleInputs:
    """Two 1-ha parcels (all land serviced), take-up 20,000 m²/yr (5,000 a quarter).

    Base stock 20,000 m² completed, 10,000 occupied: vacancy 0.5 before the first quarter,
    against a target of 0.1. Demand 40,000 m²/yr fills the base in t0, so the vacancy is 0
    from then on. A start lag of 3 years keeps the parcels unbuilt in the two years.
    """
    return make_inputs(
        n_years=2,
        area_m2=[10_000.0, 10_000.0],
        park={
            "start_lag_years": 3.0,
            "base_floor_completed": 20_000.0,
            "base_floor_occupied": 10_000.0,
            "vacancy_target": 0.1,
            "vacancy_elasticity": elasticity,
        },
        take_up=20_000.0,
        demand=40_000.0,
    )


def test_vacancy_above_target_slows_take_up_and_delays_sales() -> None:
    off = simulate(feedback_park(0.0))
    on = simulate(feedback_park(1.25))
    # Off: W = 5k, 10k (p0 sold at t1), 15k, 20k (p1 at t3).
    assert_series(off.take_up_factor[0, :, 0], [1] * 8)
    assert_series(off.sold_q[0], [1, 3])
    # On: g(t0) = 1 − 1.25 × (0.5 − 0.1) = 0.5, then the vacancy of t0 is 0 < target and
    # g = 1 (clipped). W = 2.5k, 7.5k, 12.5k (p0 at t2), 17.5k, min(22.5k, 20k) (p1 at t4).
    assert_series(on.take_up_factor[0, :, 0], [0.5] + [1] * 7)
    assert_series(on.sold_q[0], [2, 4])
    assert_series(on.base_occupied_m2[0, :, 0], [20e3] * 8)


def test_vacancy_feedback_clips_at_zero() -> None:
    # g = 1 − 10 × 0.4 < 0 → 0 in t0: no sale at all then; 5k a quarter from t1 on.
    out = simulate(feedback_park(10.0))
    assert_series(out.take_up_factor[0, :2, 0], [0, 1])
    assert_series(out.sold_q[0], [2, 4])


# ----------------------------------------------------------------------------------------
# (f) Reclaim of idle land


def idle_park(start_lag_years: float) -> OracleInputs:
    """Three parcels of 4,000 m², all serviced; take-up 2,000 m²/yr (500 a quarter).

    W = 500·(t + 1): p0 sold at t7, p1 at t15, p2 at t23. Contract lag 0; land 100 CNY/m².
    Reclaim after 2 years (8 quarters); eight years (T = 32).
    """
    return make_inputs(
        n_years=8,
        area_m2=[4_000.0] * 3,
        park={
            "start_lag_years": start_lag_years,
            "contract_lag_years": 0.0,
            "land_price": 100.0,
        },
        take_up=2_000.0,
        reclaim_after_years=2.0,
    )


def test_idle_land_is_reclaimed_requeued_resold_and_paid_twice() -> None:
    # Start lag 3 yr = 12 quarters > 0 + 8: each parcel is still unstarted when it becomes
    # reclaimable, 8 quarters after its contracted start (= its sale).
    out = simulate(idle_park(3.0))
    # p0: sold t7, reclaimed at the end of t15 and queued behind p2 (unsold, position 12k)
    # at position 12k + 4k = 16k; W reaches 12k at t23 (p2 sold) and 16k at t31: resold.
    # p1: sold t15, reclaimed t23, queued behind p0 at 20k: not reached by t31.
    # p2: sold t23, reclaimed t31.
    assert_series(out.first_sold_q[0], [7, 15, 23])
    assert_series(out.reclaim_q[0], [15, 23, 31])
    assert_series(out.sold_q[0], [31, 15, 23])
    # The contract clock restarts at the resale; nobody starts (7 + 12 > 15 …).
    assert_series(out.contract_q[0], [31, 15, 23])
    assert np.isnan(out.start_q).all()
    # p0 is sold in t7 … t14, back in the queue from t15 (taken back at its end), sold
    # again at t31.
    assert_series(out.floor_sold_m2[0, :, 0], [0] * 7 + [4e3] * 8 + [0] * 16 + [4e3])
    # Its land is paid twice: 4,000 × 100 at t7 and at t31.
    paid = np.flatnonzero(out.investment_cny[0, :, 0])
    assert paid.tolist() == [7, 31]
    assert_series(out.investment_cny[0, paid, 0], [4e5, 4e5])
    assert out.serviced_q[0, 0] == 0


def test_land_started_when_it_becomes_reclaimable_is_kept() -> None:
    # Start lag 2 yr = 8 quarters = contract lag + 8: the developer starts in the quarter
    # the land becomes reclaimable, so it is not taken back.
    out = simulate(idle_park(2.0))
    assert np.isnan(out.reclaim_q).all()
    assert_series(out.start_q[0], [15, 23, 31])


def test_without_reclaim_idle_land_stays_sold() -> None:
    inputs = idle_park(3.0)
    out = simulate(OracleInputs(**{**inputs.__dict__, "reclaim_after_years": None}))
    assert np.isnan(out.reclaim_q).all()
    assert_series(out.sold_q[0], [7, 15, 23])
    assert_series(out.start_q[0], [19, 27, NAN])


# ----------------------------------------------------------------------------------------
# (g) Committed projects


def committed_park(start_year: float) -> OracleInputs:
    """A committed project of 60,000 m² in 2 phases on p0 (1 ha) and p1 (2 ha).

    Its floor splits by area, 20,000 and 40,000 m² (as the scenario loader does), so
    phases of 10,000 and 20,000. A queued parcel p2 (1 ha, plot ratio 1) shares the park.
    Start lag 0.5 yr (2 quarters), top-out 0.5 yr (τ = 2), duration 1 yr (δ = 4); land
    serviced 40,000 m²/yr, take-up 40,000 m²/yr; land 100 CNY/m². Three years.
    """
    areas = [10_000.0, 20_000.0, 10_000.0]
    project = 60_000.0
    share = [project * a / (areas[0] + areas[1]) for a in areas[:2]]
    return make_inputs(
        n_years=3,
        area_m2=areas,
        park={
            "start_lag_years": 0.5,
            "topout_years": 0.5,
            "duration_years": 1.0,
            "land_price": 100.0,
        },
        land_supply=40_000.0,
        take_up=40_000.0,
        committed_start=[start_year, start_year, NAN],
        committed_floor=[share[0], share[1], NAN],
        committed_phases=[2, 2, 0],
    )


def test_committed_project_over_two_parcels() -> None:
    # Start 2013.25 = Q2 2013 → t5; sold two quarters before, t3.
    out = simulate(committed_park(2013.25))
    assert_series(out.sold_q[0], [3, 3, 0])
    assert_series(out.start_q[0], [5, 5, 2])
    # Phases start at 5 and 7, complete at 9 and 11, each parcel with its share.
    assert_series(out.floor_completed_m2[0, :, 0], [0] * 9 + [10e3, 10e3, 20e3])
    assert_series(out.floor_completed_m2[0, :, 1], [0] * 9 + [20e3, 20e3, 40e3])
    assert_series(out.floor_started_m2[0, :, 1], [0] * 5 + [20e3, 20e3] + [40e3] * 5)
    assert_series(out.floor_sold_m2[0, :, 0], [0] * 3 + [20e3] * 9)
    assert_series(out.completion_q[0], [11, 11, 6])
    # Land paid at the sale: 1e6 and 2e6.
    assert out.investment_cny[0, 3, 0] == pytest.approx(1e6)
    assert out.investment_cny[0, 3, 1] == pytest.approx(2e6)
    # The queued parcel is not held back by the project: serviced (10k of 10k a quarter)
    # and sold at t0, started at t2, completed at t6.
    assert out.serviced_q[0, 2] == 0
    assert_series(out.floor_completed_m2[0, :, 2], [0] * 6 + [10e3] * 6)


def test_committed_sale_is_clipped_to_the_base_year() -> None:
    # Start 2012.25 → t1; a sale at t1 − 2 falls before the base year: t0.
    out = simulate(committed_park(2012.25))
    assert_series(out.sold_q[0, :2], [0, 0])
    assert_series(out.start_q[0, :2], [1, 1])


# ----------------------------------------------------------------------------------------
# Economy


def test_revenue_grows_by_quarter_and_other_revenue_is_its_own() -> None:
    # 10,000 m² base stock fully let, 2,000 CNY/m²/yr growing 21 %/yr: quarter t earns
    # 10,000 × 2,000 × 1.21^(t/4) / 4 = 5e6 × 1.1^(t/2). Other revenue 4e8/yr growing
    # 21 %: 1e8 × 1.1^(t/2) a quarter; its workers 4e8 × 1.1^(t/2) / 1e6 per worker.
    out = simulate(
        make_inputs(
            n_years=2,
            area_m2=[],
            n_parks=1,
            park={
                "base_floor_completed": 10_000.0,
                "base_floor_occupied": 10_000.0,
                "revenue_per_m2": 2_000.0,
                "revenue_growth": 0.21,
                "m2_per_worker": 20.0,
                "other_revenue": 4e8,
                "other_revenue_growth": 0.21,
                "revenue_per_worker": 1e6,
            },
        )
    )
    growth = np.array([1.1 ** (t / 2) for t in range(8)])
    assert_series(out.base_revenue_cny[0, :, 0], list(5e6 * growth))
    assert_series(out.other_revenue_cny[0, :, 0], list(1e8 * growth))
    assert_series(out.other_workers_persons[0, :, 0], list(400 * growth))
    assert_series(out.base_workers_persons[0, :, 0], [500] * 8)
    # Year 2 starts at 1.21 × the base year's first quarter.
    assert out.other_revenue_cny[0, 4, 0] == pytest.approx(1.21e8)


# ----------------------------------------------------------------------------------------
# The city's demand shared out between parks by a logit


def two_parks(
    *, attractiveness: list[float], room_weight: float, supply: list[float]
) -> OracleInputs:
    """Two parks of one 1-ha parcel each (10,000 m², one phase, built in a quarter: sold
    at t0, complete at t1), no demand of their own; the city's 8,000 m²/yr (2,000 a
    quarter) is shared out by the logit."""
    inputs = make_inputs(
        n_years=1,
        area_m2=[10_000.0, 10_000.0],
        parcel_park=[0, 1],
        park={"duration_years": 0.25},
        land_supply=[[s] for s in supply],
        demand=0.0,
    )
    return replace(
        inputs,
        pool_m2=np.array([[8_000.0]]),
        attractiveness=np.array(attractiveness),
        room_weight=room_weight,
    )


def test_city_demand_spills_to_the_park_with_room() -> None:
    # Park 1 gets no land, so it never has room: t0 nothing is complete, the city's
    # 2,000 waits; t1 park 0 has 10,000 m² of room and takes all 4,000; t2, t3 2,000 each.
    out = simulate(two_parks(attractiveness=[0.0, 5.0], room_weight=1.0, supply=[1e9, 0.0]))
    assert_series(out.floor_occupied_m2[0, :, 0], [0, 4e3, 6e3, 8e3])
    assert_series(out.floor_occupied_m2[0, :, 1], [0, 0, 0, 0])
    assert_series(out.pool_backlog_m2[0], [2e3, 0, 0, 0])
    assert_series(out.backlog_m2[0, :, 0], [0, 0, 0, 0])


def test_city_demand_shared_by_attractiveness() -> None:
    # Both built; room weight 0, so weights are exp(ln 3) : exp(0) = 3 : 1 while both have
    # room: t1 the 4,000 waiting splits 3,000 / 1,000; t2, t3 2,000 splits 1,500 / 500.
    out = simulate(
        two_parks(attractiveness=[math.log(3.0), 0.0], room_weight=0.0, supply=[1e9, 1e9])
    )
    assert_series(out.floor_occupied_m2[0, :, 0], [0, 3e3, 4.5e3, 6e3])
    assert_series(out.floor_occupied_m2[0, :, 1], [0, 1e3, 1.5e3, 2e3])
