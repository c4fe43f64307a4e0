"""The vectorised engine against the plain Python oracle, with several draws."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.engine import Inputs, run, run_draws
from tests.oracle import oracle
from tests.test_engine import random_inputs


@st.composite
def multi_draw_inputs(draw: st.DrawFn) -> Inputs:
    """Random inputs whose lag, duration, ramp, growth and demand differ by draw."""
    base = draw(random_inputs())
    n_draws = draw(st.integers(2, 4))
    n_parks = len(base.park_ids)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    park = dict(base.park)
    park["start_lag_years"] = rng.uniform(0, 3, (n_draws, n_parks))
    park["duration_years"] = rng.uniform(0.5, 5, (n_draws, n_parks))
    park["occupancy_ramp_years"] = rng.uniform(0, 4, (n_draws, n_parks))
    park["revenue_growth"] = rng.uniform(-0.2, 0.3, (n_draws, n_parks))
    factor = rng.lognormal(0.0, 0.3, (n_draws, n_parks, base.years.size))
    return Inputs(
        **{
            **base.__dict__,
            "reclaim_after_years": draw(st.sampled_from([None, 1, 2, 3])),
            "park": park,
            "demand_m2": base.demand_m2 * factor,
            "land_supply_m2": np.repeat(base.land_supply_m2, n_draws, axis=0),
        }
    )


def check_against_oracle(inputs: Inputs) -> None:
    expected = oracle(inputs)
    result = run(inputs)
    np.testing.assert_array_equal(result.release_year, expected["release"])
    np.testing.assert_array_equal(result.start_year, expected["first_start"])
    np.testing.assert_array_equal(result.completion_year, expected["completion"])
    if inputs.reclaim_after_years is not None:
        assert result.reclaim_year is not None and result.first_release_year is not None
        np.testing.assert_array_equal(result.reclaim_year, expected["reclaim"])
        np.testing.assert_array_equal(result.first_release_year, expected["first_release"])
    for name, values in result.series.items():
        np.testing.assert_allclose(values, expected[name], rtol=1e-12, atol=1e-6, err_msg=name)
    per_park = run_draws(inputs, chunk_size=2)
    for name, values in per_park.items():
        want = expected[name] @ np.eye(len(inputs.park_ids))[inputs.parcel_park]
        np.testing.assert_allclose(values, want, rtol=1e-9, atol=1e-6, err_msg=name)


@settings(max_examples=80, deadline=None)
@given(random_inputs())
def test_engine_matches_oracle_one_draw(inputs: Inputs) -> None:
    check_against_oracle(inputs)


@settings(max_examples=120, deadline=None)
@given(multi_draw_inputs())
def test_engine_matches_oracle_many_draws(inputs: Inputs) -> None:
    check_against_oracle(inputs)
