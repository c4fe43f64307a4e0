"""Demand from the economy (``[demand]``): the chain city revenue → workers → floor."""

from __future__ import annotations

import numpy as np
import pytest

from sim.demand import chain_demand, floor_demanded
from sim.engine import prepare
from sim.errors import ScenarioError
from sim.montecarlo import sample_inputs
from tests.conftest import load_inputs, tiny_toml

CHAIN = """
[demand]
city_revenue = "10亿 元"
city_revenue_growth = "20 %"
non_floor_share = "50 %"
revenue_per_worker = "50万 元"
revenue_per_worker_growth = "0 %"
m2_per_worker = "40 m2"
parks_share = "50 %"
shares = { A = 0.75, B = 0.25 }
source = "made up for the test"
"""


def test_floor_demanded_by_hand() -> None:
    # 10亿 × 1.2 × 50 % ÷ 50万 = 1,200 workers × 40 m² × 50 % = 24,000 m² after a year.
    floor = floor_demanded(city_revenue=1e9, city_revenue_growth=0.2, non_floor_share=0.5,
                           revenue_per_worker=5e5, revenue_per_worker_growth=0.0,
                           m2_per_worker=40.0, parks_share=0.5, years_after=[0, 1, 2])  # fmt: skip
    np.testing.assert_allclose(floor[0], [20_000, 24_000, 28_800])


def test_parks_absorb_their_share_of_the_growth(write_scenario) -> None:
    scenario, site = load_inputs(write_scenario(tiny_toml(extra=CHAIN)))
    demand = prepare(scenario, site).demand_m2  # (1, K, Y), parks A, B
    # Year 1 adds 4,000 m², year 2 4,800, year 3 5,760 …; A takes 75 %, B 25 %.
    np.testing.assert_allclose(demand[0, 0, :3], [3_000, 3_600, 4_320])
    np.testing.assert_allclose(demand[0, 1, :3], [1_000, 1_200, 1_440])


def test_an_uncertain_growth_is_drawn_once_per_draw(write_scenario) -> None:
    text = CHAIN.replace('"20 %"', '{ dist = "uniform", min = "10 %", max = "30 %" }')
    scenario, site = load_inputs(write_scenario(tiny_toml(extra=text)))
    inputs = prepare(scenario, site)
    sampled = sample_inputs(inputs, scenario, 500, np.random.default_rng(2))
    first_year = sampled.demand_m2[:, 0, 0] / 0.75  # A's share of the parks' growth
    assert first_year.min() >= 2_000 - 1e-6 and first_year.max() <= 6_000 + 1e-6
    assert first_year.std() > 500
    expected = chain_demand(scenario.demand, inputs.park_ids, 8, growth=np.array([0.2]))
    np.testing.assert_allclose(inputs.demand_m2, expected)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("shares = { A = 0.75, B = 0.5 }", "summing to 1"),
        ("shares = { A = 0.75, Z = 0.25 }", "unknown park 'Z'"),
    ],
)
def test_bad_chains_are_refused(write_scenario, change: str, message: str) -> None:
    text = CHAIN.replace("shares = { A = 0.75, B = 0.25 }", change)
    with pytest.raises(ScenarioError, match=message):
        scenario, site = load_inputs(write_scenario(tiny_toml(extra=text)))
        prepare(scenario, site)


LOGIT = CHAIN.replace(
    "shares = { A = 0.75, B = 0.25 }", 'allocation = "logit"\nattractiveness = { A = 0, B = 0 }'
)


def test_a_logit_offers_the_parks_demand_where_there_is_room(write_scenario) -> None:
    from sim.engine import run

    scenario, site = load_inputs(write_scenario(tiny_toml(extra=LOGIT)))
    inputs = prepare(scenario, site)
    assert inputs.allocation is not None
    np.testing.assert_allclose(inputs.demand_m2, 0.0)  # no park has demand of its own
    np.testing.assert_allclose(inputs.allocation.pool_m2[0, :3], [4_000, 4_800, 5_760])
    logit = run(inputs).park_series
    scenario, site = load_inputs(write_scenario(tiny_toml(extra=CHAIN), "shares.toml"))
    shares = run(prepare(scenario, site)).park_series
    assert logit is not None and shares is not None
    b = list(inputs.park_ids).index("B")
    occupied_l, occupied_s = logit["floor_occupied_m2"][0], shares["floor_occupied_m2"][0]
    # B's committed floor completes in 2015 (2015Q1): before, the logit sends everything
    # to A, which has room from 2015Q2 — the city's demand waits until someone has room.
    assert occupied_l[:3, b].tolist() == [0, 0, 0]
    # Nothing is placed twice: the parks together hold at most the city's demand so far.
    assert (occupied_l.sum(axis=1) <= np.cumsum(inputs.allocation.pool_m2[0]) + 1e-6).all()
    # Fixed shares hold B to a quarter of the demand while its buildings could fill
    # faster (2016: 7,442 m²; 2017: 9,930): offered where the room is, B fills at its ramp
    # (8,000, then 12,000 m²) and the parks together hold more, sooner.
    assert occupied_s[4:6, b] == pytest.approx([7_442, 9_930], abs=1)
    assert occupied_l[4:6, b] == pytest.approx([8_000, 12_000])
    assert (occupied_l[4:6].sum(axis=1) > occupied_s[4:6].sum(axis=1) + 500).all()


def test_logit_attractiveness_names_known_parks(write_scenario) -> None:
    text = LOGIT.replace("attractiveness = { A = 0, B = 0 }", "attractiveness = { A = 0, Z = 1 }")
    with pytest.raises(ScenarioError, match="unknown park 'Z'"):
        scenario, site = load_inputs(write_scenario(tiny_toml(extra=text)))
        prepare(scenario, site)
