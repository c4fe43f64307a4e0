"""The quarterly engine (sim.buildout, its loop in sim.quarterly) equals its oracle exactly.

Random small cases (tests/test_model_invariants.py's strategy: several parks, parcels and
draws, fractional lags, feedback, reclaim, committed projects, base stock) run through
both :func:`tests.oracle.oracle` and :func:`tests.buildout_adapter.engine`;
every array must agree (floats to 1e-9 relative, events exactly).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import fields
from unittest.mock import patch

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from sim import buildout
from sim.buildout import PARCEL_FLOWS, advance, park_years, to_years
from sim.errors import SimError
from sim.quarterly import FLOWS
from tests.buildout_adapter import engine, to_inputs
from tests.oracle import OracleInputs, oracle
from tests.test_model_invariants import random_inputs

_EVENTS = {"serviced_q", "sold_q", "first_sold_q", "contract_q", "start_q", "completion_q",
           "reclaim_q"}  # fmt: skip


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_inputs())
def test_engine_equals_the_oracle(inputs: OracleInputs) -> None:
    expected, actual = oracle(inputs), engine(inputs)
    for item in fields(expected):
        if item.name == "extra":
            continue
        want = np.asarray(getattr(expected, item.name), dtype=float)
        got = np.asarray(getattr(actual, item.name), dtype=float)
        want = np.broadcast_to(want, np.broadcast_shapes(want.shape, got.shape))
        if item.name in _EVENTS:
            np.testing.assert_array_equal(got, want, err_msg=item.name)
        else:
            np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-6, err_msg=item.name)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_inputs())
def test_park_accounting_equals_the_recorded_run(inputs: OracleInputs) -> None:
    """Without a record, occupancy is kept as running sums per park, not per cohort
    (:func:`sim.quarterly.step_all` without a history): every per-park series and the
    spending before the base year equal those of the recorded run."""
    engine_inputs = to_inputs(inputs)
    recorded, running = advance(engine_inputs, record=True), advance(engine_inputs, record=False)
    assert not running.parcel and not running.events
    for name, values in recorded.park.items():
        np.testing.assert_allclose(running.park[name], values, rtol=1e-9, atol=1e-6, err_msg=name)
    np.testing.assert_allclose(
        running.investment_before_base, recorded.investment_before_base, rtol=1e-9, atol=1e-6
    )
    np.testing.assert_array_equal(running.capacity_m2, recorded.capacity_m2)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_inputs())
def test_parcel_histories_by_year_equal_the_quarters_summed(inputs: OracleInputs) -> None:
    """``advance(annual=True)`` (what ``run`` keeps) is the quarterly record by year: Q4
    stocks and flags, summed flows, the quarters with land taken back counted."""
    engine_inputs = to_inputs(inputs)
    quarters = advance(engine_inputs, record=True)
    years = advance(engine_inputs, record=True, annual=True)
    assert set(years.parcel) == set(quarters.parcel)
    for name, values in quarters.parcel.items():
        want = to_years(values, flow=name in PARCEL_FLOWS)
        assert years.parcel[name].dtype == want.dtype, name
        np.testing.assert_array_equal(years.parcel[name], want, err_msg=name)
    flags = quarters.parcel["reclaimed"].reshape(inputs.draws, -1, 4, len(inputs.parcel_ids))
    np.testing.assert_array_equal(years.parcel["reclaimed"], flags.sum(axis=2))
    for name, values in quarters.events.items():
        np.testing.assert_array_equal(years.events[name], values, err_msg=name)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_inputs())
def test_park_years_equal_the_quarters_summed(inputs: OracleInputs) -> None:
    """``park_years`` (what Monte Carlo keeps) writes by year as it steps: the Q4 stocks
    and the flows summed over the year's quarters of ``advance``, exactly."""
    engine_inputs = to_inputs(inputs)
    quarters = advance(engine_inputs, record=False)
    years, pool_backlog = park_years(engine_inputs)
    assert set(years) == set(quarters.park)
    for name, values in quarters.park.items():
        want = to_years(values, flow=name in FLOWS)
        np.testing.assert_array_equal(years[name], want, err_msg=name)
    want = to_years(quarters.city["pool_backlog_m2"][:, :, None], flow=False)[:, :, 0]
    np.testing.assert_array_equal(pool_backlog, want)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_inputs())
def test_draws_and_parcels_on_threads_equal_one_thread(inputs: OracleInputs) -> None:
    """Draws stepped and parcels rebuilt on threads (here a draw and a parcel a thread)
    give the same bits as one thread."""
    engine_inputs = to_inputs(inputs)
    with patch.dict(os.environ, {"PARKSIM_THREADS": "1"}):
        alone, alone_years = advance(engine_inputs), park_years(engine_inputs)[0]
    with (
        patch.dict(os.environ, {"PARKSIM_THREADS": "3"}),
        patch.object(buildout, "DRAWS_PER_THREAD", 1),
        patch.object(buildout, "PARCELS_PER_THREAD", 1),
    ):
        assert buildout.threads(engine_inputs.draws) == min(3, engine_inputs.draws)
        split, split_years = advance(engine_inputs), park_years(engine_inputs)[0]
    for name, values in alone.park.items():
        np.testing.assert_array_equal(split.park[name], values, err_msg=name)
    for name, values in alone.parcel.items():
        np.testing.assert_array_equal(split.parcel[name], values, err_msg=name)
    for name, values in alone.events.items():
        np.testing.assert_array_equal(split.events[name], values, err_msg=name)
    np.testing.assert_array_equal(split.investment_before_base, alone.investment_before_base)
    for name, values in alone_years.items():
        np.testing.assert_array_equal(split_years[name], values, err_msg=name)


def test_threads_follow_the_setting_the_draws_and_the_calling_thread() -> None:
    with patch.dict(os.environ, {"PARKSIM_THREADS": "4"}):
        assert buildout.threads(4 * buildout.DRAWS_PER_THREAD) == 4
        assert buildout.threads(2 * buildout.DRAWS_PER_THREAD) == 2  # a thread's worth each
        assert buildout.threads(1) == 1
        assert buildout.threads(10**6, per_thread=10**6 // 3) == 3  # work other than draws
        with ThreadPoolExecutor(1) as pool:  # a Dask worker's thread, say: no more threads
            assert pool.submit(buildout.threads, 1000).result() == 1
    with patch.dict(os.environ, {"PARKSIM_THREADS": ""}):
        assert buildout.threads(10**6) == len(os.sched_getaffinity(0))


def test_a_bad_thread_setting_says_what_to_set() -> None:
    with (
        patch.dict(os.environ, {"PARKSIM_THREADS": "two"}),
        pytest.raises(SimError, match=r"PARKSIM_THREADS: expected a whole number ≥ 1; found 'two'"),
    ):
        buildout.threads(100)
