"""Invariants of the quarterly build-out model (docs/MODEL.md) on random small inputs.

1–3 parks, 1–8 parcels, 1–3 draws, 1–4 years; lags and durations in fractional years;
random land supply, take-up and demand; committed projects, vacancy feedback and reclaim
switched on at random. Every test goes through :func:`simulate` (the oracle today, the
engine later).
"""

from __future__ import annotations

import math
from dataclasses import fields, replace

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.buildout_adapter import engine
from tests.oracle import (
    PARK_DEFAULTS,
    OracleInputs,
    OracleOutputs,
    make_inputs,
    yearly,
)

TOL = 1e-6
PARCEL_STOCKS = (
    "floor_sold_m2",
    "floor_started_m2",
    "floor_topped_out_m2",
    "floor_completed_m2",
    "floor_occupied_m2",
)
EVENTS = ("serviced_q", "sold_q", "first_sold_q", "contract_q", "start_q", "completion_q")


def simulate(inputs: OracleInputs) -> OracleOutputs:
    """The model under test: the oracle today, the engine later."""
    return engine(inputs)


@st.composite
def random_inputs(draw: st.DrawFn) -> OracleInputs:
    """Small random inputs; the arrays come from a generator seeded by Hypothesis."""
    n_parks = draw(st.integers(1, 3))
    n_parcels = draw(st.integers(1, 8))
    n_draws = draw(st.integers(1, 3))
    n_years = draw(st.integers(1, 4))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    feedback = draw(st.booleans())
    limited_take_up = draw(st.booleans())

    def per_draw(low: float, high: float) -> np.ndarray:
        return rng.uniform(low, high, (n_draws, n_parks))

    def maybe(values: np.ndarray, other: float, p: float = 0.3) -> np.ndarray:
        return np.where(rng.random(values.shape) < p, other, values)

    base_completed = maybe(per_draw(0, 20_000), 0.0)
    park = {
        "plot_ratio": per_draw(0.5, 3),
        "start_lag_years": per_draw(0, 3),
        "contract_lag_years": maybe(per_draw(0, 2), math.nan),
        "topout_years": maybe(per_draw(0, 2), math.nan),
        "duration_years": per_draw(0, 3),
        "max_floor_per_phase": maybe(per_draw(2_000, 20_000), math.inf),
        "occupancy_ramp_years": maybe(per_draw(0.1, 2), 0.0),
        "occupancy_ceiling": per_draw(0.5, 1),
        "revenue_per_m2": per_draw(0, 2_000),
        "revenue_growth": per_draw(-0.1, 0.2),
        "land_price": per_draw(0, 1_000),
        "construction_cost": per_draw(0, 4_000),
        "fitout_cost": per_draw(0, 1_000),
        "m2_per_worker": per_draw(10, 40),
        "base_floor_completed": base_completed,
        # Up to the whole base floor: it may exceed the ceiling × the base floor.
        "base_floor_occupied": base_completed * per_draw(0, 1),
        "base_floor_under_construction": maybe(per_draw(0, 10_000), 0.0, 0.5),
        "base_completion_years": per_draw(0, 3),
        "other_revenue": maybe(per_draw(0, 1e9), 0.0),
        "other_revenue_growth": per_draw(-0.1, 0.2),
        "revenue_per_worker": per_draw(1e5, 1e6),
        "vacancy_target": per_draw(0, 0.3),
        "vacancy_elasticity": per_draw(0, 3) if feedback else np.zeros((1, n_parks)),
    }
    assert set(park) == set(PARK_DEFAULTS)
    parcel_park = rng.integers(0, n_parks, n_parcels)
    committed = rng.random(n_parcels) < 0.25
    base_year = 2012
    start = rng.uniform(base_year - 1, base_year + n_years, (n_draws, n_parcels))
    shape = (n_draws, n_parks, n_years)
    take_up = rng.uniform(0, 40_000, shape) if limited_take_up else np.inf
    pooled = draw(st.booleans())  # part of the demand is the city's, shared by a logit
    inputs = make_inputs(
        n_years=n_years,
        n_parks=n_parks,
        area_m2=rng.uniform(100, 20_000, n_parcels).tolist(),
        parcel_park=parcel_park.tolist(),
        far_max=np.where(rng.random(n_parcels) < 0.5, np.nan, rng.uniform(0.5, 3, n_parcels)),
        queue_rank=rng.permutation(n_parcels).tolist(),
        park=park,
        land_supply=maybe(rng.uniform(0, 40_000, shape), math.inf, 0.2),
        take_up=take_up,
        demand=rng.uniform(0, 40_000, shape),
        committed_start=np.where(committed, start, np.nan),
        committed_floor=np.where(committed, rng.uniform(0, 50_000, (n_draws, n_parcels)), np.nan),
        committed_phases=np.where(committed, rng.integers(1, 4, n_parcels), 0).tolist(),
        reclaim_after_years=draw(st.sampled_from([None, 0.5, 1.0, 1.25, 2.0])),
        base_year=base_year,
    )
    if draw(st.booleans()):  # each phase its own build time
        n_phase_years = draw(st.integers(1, 3))
        shape = (n_draws, n_parks, n_phase_years)
        inputs = replace(
            inputs,
            phase_years={
                "duration_years": rng.uniform(0, 3, shape),
                "topout_years": np.where(rng.random(shape) < 0.3, np.nan, rng.uniform(0, 2, shape)),
            },
        )
    if draw(st.booleans()):  # admitted applicants: parcels with their own revenue per m²
        own = rng.uniform(0, 3_000, (int(rng.choice([1, n_draws])), n_parcels))
        inputs = replace(
            inputs, parcel_revenue_per_m2=np.where(rng.random(own.shape) < 0.3, np.nan, own)
        )
    if not pooled:
        return inputs
    attractiveness = np.where(rng.random(n_parks) < 0.2, np.nan, rng.normal(0, 1, n_parks))
    return replace(
        inputs,
        pool_m2=rng.uniform(0, 80_000, (n_draws, n_years)),
        attractiveness=attractiveness,
        room_weight=float(rng.choice([0.0, 0.5, 1.0, 2.0])),
    )


def ceiling(inputs: OracleInputs, out: OracleOutputs) -> np.ndarray:
    """Each parcel's occupancy ceiling ``(D, 1, P)``, broadcast over quarters."""
    values = inputs.park["occupancy_ceiling"][:, inputs.parcel_park]
    return np.broadcast_to(values, (out.floor_sold_m2.shape[0], values.shape[1]))[:, None, :]


@settings(max_examples=100, deadline=None)
@given(random_inputs())
def test_stocks_are_never_negative(inputs: OracleInputs) -> None:
    out = simulate(inputs)
    for name in (*PARCEL_STOCKS, "base_completed_m2", "base_occupied_m2", "backlog_m2"):
        assert (getattr(out, name) >= -TOL).all(), name
    assert ((out.take_up_factor >= 0) & (out.take_up_factor <= 1)).all()


@settings(max_examples=100, deadline=None)
@given(random_inputs())
def test_each_stage_holds_at_least_the_next(inputs: OracleInputs) -> None:
    out = simulate(inputs)
    slack = TOL * (1 + out.floor_sold_m2)
    assert (out.floor_sold_m2 >= out.floor_started_m2 - slack).all()
    assert (out.floor_started_m2 >= out.floor_topped_out_m2 - TOL).all()
    assert (out.floor_topped_out_m2 >= out.floor_completed_m2 - TOL).all()
    assert (out.floor_occupied_m2 <= ceiling(inputs, out) * out.floor_completed_m2 + TOL).all()


@settings(max_examples=100, deadline=None)
@given(random_inputs())
def test_base_stock_stays_under_its_ceiling_unless_given_above(inputs: OracleInputs) -> None:
    out = simulate(inputs)
    n_draws = out.base_occupied_m2.shape[0]
    given_occupied = np.broadcast_to(
        inputs.park["base_floor_occupied"], (n_draws, len(inputs.park_ids))
    )
    ceilings = np.broadcast_to(inputs.park["occupancy_ceiling"], (n_draws, len(inputs.park_ids)))
    limit = np.maximum(ceilings[:, None, :] * out.base_completed_m2, given_occupied[:, None, :])
    assert (out.base_occupied_m2 <= limit + TOL).all()


@settings(max_examples=100, deadline=None)
@given(random_inputs())
def test_occupied_and_built_floor_never_fall(inputs: OracleInputs) -> None:
    out = simulate(inputs)
    names = (
        "floor_started_m2",
        "floor_topped_out_m2",
        "floor_completed_m2",
        "floor_occupied_m2",
        "base_completed_m2",
        "base_occupied_m2",
    )
    for name in names:
        assert (np.diff(getattr(out, name), axis=1) >= -TOL).all(), name


@settings(max_examples=100, deadline=None)
@given(random_inputs())
def test_demand_is_placed_or_carried_over(inputs: OracleInputs) -> None:
    # Σ demand / 4 over the quarters = what was placed (parcels + base) + the backlog.
    out = simulate(inputs)
    n_draws = out.backlog_m2.shape[0]
    demand = np.broadcast_to(inputs.demand_m2, (n_draws, *inputs.demand_m2.shape[1:]))
    total = demand.sum(axis=2)
    given_occupied = np.broadcast_to(
        inputs.park["base_floor_occupied"], (n_draws, len(inputs.park_ids))
    )
    placed = out.base_occupied_m2[:, -1] - given_occupied
    for p, k in enumerate(inputs.parcel_park):
        placed[:, k] += out.floor_occupied_m2[:, -1, p]
    if inputs.pool_m2 is None:
        np.testing.assert_allclose(placed + out.backlog_m2[:, -1], total, rtol=1e-9, atol=1e-3)
        return
    # The city's demand shared out by the logit: what the parks placed, their backlogs
    # and the city's backlog add up to their own demand and the city's.
    pool = np.broadcast_to(inputs.pool_m2, (n_draws, inputs.pool_m2.shape[1])).sum(axis=1)
    np.testing.assert_allclose(
        (placed + out.backlog_m2[:, -1]).sum(axis=1) + out.pool_backlog_m2[:, -1],
        total.sum(axis=1) + pool,
        rtol=1e-9,
        atol=1e-3,
    )


@settings(max_examples=100, deadline=None)
@given(random_inputs())
def test_occupancy_ramps_no_faster_than_the_ramp(inputs: OracleInputs) -> None:
    out = simulate(inputs)
    n_draws = out.floor_occupied_m2.shape[0]
    ramp = np.broadcast_to(inputs.park["occupancy_ramp_years"], (n_draws, len(inputs.park_ids)))
    ramp = ramp[:, inputs.parcel_park][:, None, :]
    limit = np.where(
        ramp > 0, ceiling(inputs, out) * out.floor_completed_m2 / (4 * ramp + 1e-300), np.inf
    )
    gain = np.diff(out.floor_occupied_m2, axis=1, prepend=0.0)
    assert (gain <= limit + TOL).all()


@settings(max_examples=100, deadline=None)
@given(random_inputs())
def test_events_come_in_order(inputs: OracleInputs) -> None:
    out = simulate(inputs)

    def ordered(early: np.ndarray, late: np.ndarray) -> bool:
        both = ~np.isnan(early) & ~np.isnan(late)
        return bool(
            (early[both] <= late[both]).all() and not (np.isnan(early) & ~np.isnan(late)).any()
        )

    queued = np.isnan(np.broadcast_to(inputs.committed_start, out.sold_q.shape))
    assert ordered(out.serviced_q, out.first_sold_q)
    assert ordered(out.first_sold_q, out.sold_q)
    assert ordered(out.sold_q[queued], out.contract_q[queued])
    assert ordered(out.sold_q[queued], out.start_q[queued])
    assert ordered(out.start_q, out.completion_q)
    assert ordered(out.first_sold_q, out.reclaim_q)
    assert np.isnan(out.reclaim_q[~queued]).all()
    if inputs.reclaim_after_years is None:
        assert np.isnan(out.reclaim_q).all()
        np.testing.assert_array_equal(out.sold_q, out.first_sold_q)
    # A parcel started by the horizon has floor started, and the other way round.
    started = out.floor_started_m2[:, -1] > 0
    assert not (started & np.isnan(out.start_q) & queued).any()


@settings(max_examples=100, deadline=None)
@given(random_inputs())
def test_queue_is_never_jumped(inputs: OracleInputs) -> None:
    out = simulate(inputs)
    queued = np.isnan(np.broadcast_to(inputs.committed_start, out.sold_q.shape))
    for d in range(out.sold_q.shape[0]):
        for k in range(len(inputs.park_ids)):
            members = [
                p
                for p in np.argsort(inputs.queue_rank, kind="stable")
                if inputs.parcel_park[p] == k and queued[d, p]
            ]
            for name in ("serviced_q", "first_sold_q"):
                q = getattr(out, name)[d, members]
                q = np.where(np.isnan(q), 1e9, q)  # never: last
                assert (np.diff(q) >= 0).all(), name


@settings(max_examples=100, deadline=None)
@given(random_inputs())
def test_without_feedback_construction_ignores_demand(inputs: OracleInputs) -> None:
    no_feedback = {**inputs.park, "vacancy_elasticity": np.zeros_like(inputs.park["plot_ratio"])}
    inputs = replace(inputs, park=no_feedback)
    more = replace(inputs, demand_m2=inputs.demand_m2 * 2 + 1_000)
    a, b = simulate(inputs), simulate(more)
    for name in ("floor_sold_m2", "floor_started_m2", "floor_completed_m2", "investment_cny"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    for name in EVENTS:
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)


@settings(max_examples=100, deadline=None)
@given(random_inputs())
def test_quarters_sum_to_years(inputs: OracleInputs) -> None:
    out = simulate(inputs)
    n_draws, n_quarters = out.revenue_cny.shape[:2]
    for name in ("revenue_cny", "investment_cny", "base_revenue_cny", "other_revenue_cny"):
        flow = getattr(out, name)
        by_year = flow.reshape(n_draws, n_quarters // 4, 4, -1).sum(axis=2)
        np.testing.assert_allclose(yearly(flow, flow=True), by_year, rtol=1e-12)
        np.testing.assert_allclose(by_year.sum(axis=1), flow.sum(axis=1), rtol=1e-9)
    for name in ("floor_completed_m2", "floor_occupied_m2", "base_occupied_m2"):
        stock = getattr(out, name)
        np.testing.assert_array_equal(yearly(stock, flow=False), stock[:, 3::4])


@settings(max_examples=40, deadline=None)
@given(random_inputs())
def test_same_inputs_same_outputs_and_draws_are_independent(inputs: OracleInputs) -> None:
    first, again = simulate(inputs), simulate(inputs)
    for f in fields(OracleOutputs):
        np.testing.assert_array_equal(getattr(first, f.name), getattr(again, f.name))
    # Draw d run alone gives draw d of the joint run.
    last = inputs.draws - 1
    alone = simulate(one_draw(inputs, last))
    for f in fields(OracleOutputs):
        np.testing.assert_array_equal(
            getattr(alone, f.name)[0], getattr(first, f.name)[last], err_msg=f.name
        )


def one_draw(inputs: OracleInputs, d: int) -> OracleInputs:
    """The inputs of draw ``d`` alone."""

    def pick(values: np.ndarray) -> np.ndarray:
        return values[[d if values.shape[0] > 1 else 0]]

    return replace(
        inputs,
        park={name: pick(v) for name, v in inputs.park.items()},
        committed_start=pick(inputs.committed_start),
        committed_floor=pick(inputs.committed_floor),
        land_supply_m2=pick(inputs.land_supply_m2),
        take_up_m2=pick(inputs.take_up_m2),
        demand_m2=pick(inputs.demand_m2),
        pool_m2=None if inputs.pool_m2 is None else pick(inputs.pool_m2),
        parcel_revenue_per_m2=(
            None if inputs.parcel_revenue_per_m2 is None else pick(inputs.parcel_revenue_per_m2)
        ),
        phase_years=(
            None
            if inputs.phase_years is None
            else {k: pick(v) for k, v in inputs.phase_years.items()}
        ),
    )
