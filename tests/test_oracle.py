"""The engine end to end (``prepare → run``) equals the plain quarterly oracle.

:func:`tests.oracle.oracle` is docs/MODEL.md written one parcel and one quarter at a
time; tests/test_buildout.py checks the core against it on random arrays. Here the inputs
come from scenario files through :func:`sim.engine.prepare` (and
:func:`sim.montecarlo.sample_inputs`), and what is compared is the :class:`Result` the
rest of the code reads: per-parcel year-end series, per-park series by quarter and by
year (base stock and other revenue included), event quarters and years.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from sim.engine import Inputs, prepare, run
from sim.montecarlo import sample_inputs
from sim.result import Result
from sim.site import Site
from tests.buildout_adapter import from_inputs
from tests.conftest import load_inputs, tiny_toml
from tests.oracle import OracleOutputs, oracle, yearly
from tests.test_engine import LATE_STARTERS, random_scenarios, scenario_inputs

_EVENTS = ("serviced", "sold", "first_sold", "contract", "start", "completion", "reclaim")
_PARCEL_STOCKS = ("floor_sold_m2", "floor_started_m2", "floor_topped_out_m2",
                  "floor_completed_m2", "floor_occupied_m2", "workers_persons")  # fmt: skip
_PARCEL_FLOWS = ("revenue_cny", "investment_cny")
_FLOWS = ("revenue_cny", "investment_cny", "revenue_other_cny")


def _park_quarters(inputs: Inputs, out: OracleOutputs) -> dict[str, np.ndarray]:
    """The oracle's per-park quarterly series as ``Result.quarterly`` names them."""
    onehot = np.eye(len(inputs.park_ids))[inputs.parcel_park]

    def parks(values: np.ndarray) -> np.ndarray:
        return np.asarray(values @ onehot)

    n_draws = out.floor_sold_m2.shape[0]

    def given(name: str) -> np.ndarray:
        return np.broadcast_to(inputs.park[name], (n_draws, len(inputs.park_ids)))[:, None, :]

    base_stock = given("base_floor_completed") + given("base_floor_under_construction")
    started = parks(out.floor_started_m2) + base_stock
    completed = parks(out.floor_completed_m2) + out.base_completed_m2
    occupied = parks(out.floor_occupied_m2) + out.base_occupied_m2
    return {
        "floor_completed_m2": completed,
        "floor_under_construction_m2": started - completed,
        "floor_occupied_m2": occupied,
        "revenue_cny": parks(out.revenue_cny) + out.base_revenue_cny + out.other_revenue_cny,
        "investment_cny": parks(out.investment_cny),
        "workers_persons": parks(out.workers_persons)
        + out.base_workers_persons
        + out.other_workers_persons,
        "floor_sold_m2": parks(out.floor_sold_m2) + base_stock,
        "floor_started_m2": started,
        "floor_topped_out_m2": parks(out.floor_topped_out_m2) + out.base_completed_m2,
        "floor_vacant_m2": completed - occupied,
        "revenue_other_cny": out.other_revenue_cny,
        "workers_other_persons": out.other_workers_persons,
        "base_floor_completed_m2": out.base_completed_m2,
        "base_floor_occupied_m2": out.base_occupied_m2,
    }


def assert_engine_equals_oracle(inputs: Inputs) -> Result:
    """Run ``inputs`` through :func:`run` and the oracle; every output must agree."""
    result = run(inputs)
    out = oracle(from_inputs(inputs))

    def close(actual: np.ndarray, expected: np.ndarray, name: str) -> None:
        np.testing.assert_allclose(actual, expected, rtol=1e-9, atol=1e-6, err_msg=name)

    for name in _PARCEL_STOCKS + _PARCEL_FLOWS:
        close(result.series[name], yearly(getattr(out, name), flow=name in _PARCEL_FLOWS), name)
    s = result.series
    close(s["floor_under_construction_m2"], s["floor_started_m2"] - s["floor_completed_m2"], "uc")
    close(s["floor_vacant_m2"], s["floor_completed_m2"] - s["floor_occupied_m2"], "vacant")
    assert result.quarterly is not None and result.park_series is not None
    expected = _park_quarters(inputs, out)
    assert set(expected) == set(result.quarterly)
    for name, values in expected.items():
        close(result.quarterly[name], values, f"quarterly {name}")
        close(result.park_series[name], yearly(values, flow=name in _FLOWS), f"yearly {name}")
    assert result.events_q is not None
    for name in _EVENTS:
        np.testing.assert_array_equal(result.events_q[name], getattr(out, f"{name}_q"), name)
    base = float(inputs.years[0])
    for attribute, name in (("release_year", "sold"), ("first_release_year", "first_sold"),
                            ("start_year", "start"), ("completion_year", "completion"),
                            ("reclaim_year", "reclaim")):  # fmt: skip
        quarter = getattr(out, f"{name}_q")
        np.testing.assert_array_equal(getattr(result, attribute), base + np.floor(quarter / 4))
    return result


#: Park A with a base stock partly under construction, other revenue, a take-up limit,
#: a top-out before completion and the vacancy feedback; demand a yearly path; Q1 under
#: way before the base year; the rest of the city.
RICH = tiny_toml(
    ("start_year = 2013", "start_year = 2010"),
    (
        'demand_per_year = "1.5万 m2"',
        'demand_per_year = ["0.5万 m2", "1万 m2", "1.5万 m2", "2万 m2", "2万 m2", "2万 m2", '
        '"0 m2", "1万 m2"]',
    ),
    extra="""
[parks.A]
take_up_per_year = "1.5 ha"
topout_years = 1.25
base_floor_completed = "3万 m2"
base_floor_occupied = "2万 m2"
base_floor_under_construction = "1万 m2"
base_completion_years = 0.75
other_revenue = "5 亿元"
other_revenue_growth = "20 %"
revenue_per_worker = "100 万元"
vacancy_target = "10 %"
vacancy_elasticity = 2

[rest_of_city]
revenue = "300 亿元"
revenue_per_worker = "80 万元"
""",
)
RECLAIM = tiny_toml(
    ("[rules]\n", "[rules]\nreclaim_idle = true\n"),
    extra=LATE_STARTERS + "start_lag_years = 2.5\n",
)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(tiny_toml(), id="tiny"),
        pytest.param(RECLAIM, id="reclaim"),
        pytest.param(RICH, id="base-stock-feedback-take-up"),
    ],
)
def test_engine_equals_oracle_on_scenarios(write_scenario, text: str) -> None:
    scenario, site = load_inputs(write_scenario(text))
    assert_engine_equals_oracle(prepare(scenario, site))


TRIANGULAR = '{ dist = "triangular", min = 1, mode = 2, max = 4 }'
DEMAND = '{ dist = "uniform", min = "0.5万 m2", max = "3万 m2" }'
SAMPLED_A = """
[parks.A]
take_up_per_year = { dist = "pert", min = "0.5 ha", mode = "1 ha", max = "3 ha" }
contract_lag_years = 0.5
base_floor_completed = { dist = "uniform", min = "1万 m2", max = "3万 m2" }
vacancy_elasticity = { dist = "choice", values = [0, 1, 4] }

[market]
demand_sd = 0.4
correlation = 0.3
"""


def test_engine_equals_oracle_on_sampled_draws(write_scenario) -> None:
    """Several draws of every kind of uncertain input, through ``sample_inputs``."""
    text = tiny_toml(
        ("duration_years = 2", f"duration_years = {TRIANGULAR}"),
        ("start_lag_years = 1", 'start_lag_years = { dist = "choice", values = [0, 0.6, 2.3] }'),
        ('demand_per_year = "1.5万 m2"', f"demand_per_year = {DEMAND}"),
        ("[rules]\n", "[rules]\nreclaim_idle = true\nreclaim_after_years = 1\n"),
        extra=SAMPLED_A,
    )
    scenario, site = load_inputs(write_scenario(text))
    inputs = sample_inputs(prepare(scenario, site), scenario, 12, np.random.default_rng(5))
    assert inputs.draws == 12
    result = assert_engine_equals_oracle(inputs)
    # The draws differ: the comparison is not twelve times the same case.
    assert result.events_q is not None
    assert len({tuple(row) for row in np.nan_to_num(result.events_q["start"], nan=-1)}) > 1
    # A start lag of 2.3 years (9 quarters) on a contract of 0.5 (2) loses the land at 2 + 4.
    reclaimed = np.isfinite(result.events_q["reclaim"]).any(axis=1)
    assert reclaimed.any() and not reclaimed.all()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=random_scenarios())
def test_engine_equals_oracle_on_random_scenarios(site_dir: tuple[Path, Site], text: str) -> None:
    folder, site = site_dir
    assert_engine_equals_oracle(scenario_inputs(text, folder, site))
