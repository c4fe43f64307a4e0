"""Firms: base firms, entrants from occupied floor, Gibrat growth, exits, revenue shares."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.firms import BASE_BORN, entrants_from_floor, simulate_firms, simulate_park_firms
from sim.outcome import compute
from sim.scenario.fiscal import FirmsSpec
from tests.conftest import load_inputs, tiny_toml

SPEC = FirmsSpec.model_validate(
    {
        "m2_per_firm": "500 m2",
        "size_sigma": 1.0,
        "growth_drift": 0.02,
        "growth_sd": 0.3,
        "exit_rate": "10 %",
        "source": "test",
    }
)

FIRMS = """
[firms]
base = { A = 3, B = 2 }
anchors = { B = 1 }
m2_per_firm = "1000 m2"
size_sigma = 1.2
growth_sd = 0.3
exit_rate = "5 %"
source = "made up for the test"

[[targets]]
metric = "firms"
park = "total"
year = 2016
value = 10
source = "made up"

[[targets]]
metric = "firms"
park = "A"
year = 2016
value = 1
threshold = "1000 万元"
source = "made up"
"""


def test_the_park_holds_base_firms_plus_one_per_m2_per_firm_gained() -> None:
    occupied = np.array([[2000.0, 2000.0, 4499.0, 4500.0, 1000.0]])
    wanted = entrants_from_floor(occupied, base_firms=4, m2_per_firm=500.0)
    # gained 0, 0, 2499 (→ 5), 2500 (→ 5 rounded half up), lost floor (→ base only)
    assert wanted.tolist() == [[4, 4, 9, 9, 4]]


def test_firm_revenues_sum_to_the_parks_floor_revenue_and_anchors_hold_the_other() -> None:
    occupied = np.array([[0.0, 5000.0, 12000.0], [0.0, 2000.0, 3000.0]])
    floor_revenue = np.array([[0.0, 5e7, 1.3e8], [0.0, 2e7, 3e7]])
    other = np.array([[1e9, 1.1e9, 1.2e9], [1e9, 1e9, 1e9]])
    firms = simulate_park_firms(
        occupied, floor_revenue, other, SPEC, base_firms=2, anchors=1,
        rng=np.random.default_rng(3),
    )  # fmt: skip
    np.testing.assert_allclose(firms.revenue.sum(axis=2), floor_revenue + other)
    np.testing.assert_allclose(firms.revenue[:, :, 0], other)  # the anchor, slot 0
    assert firms.alive[:, :, 0].all()  # anchors never exit


def test_entrants_fill_slots_of_firms_that_left_and_are_born_that_year() -> None:
    spec = SPEC.model_copy(update={"exit_rate": 0.5})
    occupied = np.tile(np.array([[0.0, 5000.0, 5000.0, 5000.0]]), (50, 1))
    firms = simulate_park_firms(
        occupied, occupied * 1e4, np.zeros_like(occupied), spec, base_firms=0, anchors=0,
        rng=np.random.default_rng(0),
    )  # fmt: skip
    # The floor holds 10 firms; exits are replaced every year.
    assert (firms.count() == np.array([0, 10, 10, 10])).all()
    new = firms.new()
    assert new[:, 1].sum() == 50 * 10  # every firm of year 1 is new
    assert 0 < new[:, 2].sum() < 50 * 10  # about half left and were replaced
    assert (firms.born[firms.alive] >= 0).all()


def test_base_firms_are_not_new() -> None:
    occupied = np.array([[1000.0, 1000.0]])
    firms = simulate_park_firms(
        occupied, np.array([[1e6, 1e6]]), np.zeros((1, 2)), SPEC, base_firms=3, anchors=0,
        rng=np.random.default_rng(0),
    )  # fmt: skip
    assert (firms.born[0, 0, :3] == BASE_BORN).all()
    assert not firms.new()[:, 0].any()


def test_gibrat_growth_is_independent_of_size() -> None:
    """With no exits, no entry and zero drift, log growth has the same mean for small and
    large firms (Gibrat's law)."""
    spec = SPEC.model_copy(update={"exit_rate": 0.0, "growth_drift": 0.0, "growth_sd": 0.2})
    n = 4000
    occupied = np.zeros((1, 2))
    # Revenue proportional to size: the shares at a fixed total read the relative sizes.
    firms = simulate_park_firms(
        occupied, np.full((1, 2), 1e9), np.zeros((1, 2)), spec, base_firms=n, anchors=0,
        rng=np.random.default_rng(5),
    )  # fmt: skip
    r0, r1 = firms.revenue[0, 0], firms.revenue[0, 1]
    growth = np.log(r1 / r0) - np.log(r1.sum() / r0.sum())
    small = r0 < np.median(r0)
    assert abs(growth[small].mean() - growth[~small].mean()) < 0.03
    assert growth.std() == pytest.approx(0.2, rel=0.1)


def test_same_seed_same_firms() -> None:
    args = dict(
        occupied_m2=np.full((2, 3, 1), 5000.0),
        revenue=np.full((2, 3, 1), 1e8),
        other_revenue=np.zeros((2, 3, 1)),
        spec=SPEC,
    )
    a = simulate_firms(np.arange(2012, 2015), ("A",), seed=1, **args)  # type: ignore[arg-type]
    b = simulate_firms(np.arange(2012, 2015), ("A",), seed=1, **args)  # type: ignore[arg-type]
    np.testing.assert_array_equal(a.parks[0].revenue, b.parks[0].revenue)


@settings(max_examples=30, deadline=None)
@given(
    floor=st.lists(st.floats(0, 2e4), min_size=2, max_size=6),
    exit_rate=st.floats(0, 1),
    base=st.integers(0, 5),
)
def test_firm_counts_follow_the_floor_and_revenues_sum_to_the_park(
    floor: list[float], exit_rate: float, base: int
) -> None:
    occupied = np.array([floor])
    spec = SPEC.model_copy(update={"exit_rate": exit_rate})
    firms = simulate_park_firms(
        occupied, occupied * 1e3, np.zeros_like(occupied), spec, base_firms=base, anchors=0,
        rng=np.random.default_rng(0),
    )  # fmt: skip
    wanted = entrants_from_floor(occupied, base_firms=base, m2_per_firm=spec.m2_per_firm)
    counts = firms.count()
    # Entry fills up to what the floor holds; only exits (never entry) go below the past.
    assert (counts >= wanted).all()
    assert (counts[:, 1:] <= np.maximum(counts[:, :-1], wanted[:, 1:])).all()
    assert (counts[:, 0] == base).all()
    tenants = firms.alive.sum(axis=2) > 0
    gained = occupied - occupied[:, :1]
    assert tenants[gained > 0].all()
    expected = np.where(tenants, occupied * 1e3, 0.0)
    np.testing.assert_allclose(firms.revenue.sum(axis=2), expected, rtol=1e-9, atol=1e-6)


def test_firms_targets_are_evaluated_against_the_firm_counts(
    write_scenario: Callable[..., Path],
) -> None:
    outcome = compute(*load_inputs(write_scenario(tiny_toml(extra=FIRMS))))
    assert outcome.fiscal is not None and outcome.fiscal.counts is not None
    table = outcome.targets[outcome.targets["metric"] == "firms_count"]
    t = int(np.flatnonzero(outcome.result.years == 2016)[0])
    total = outcome.fiscal.counts.total(None)[0, t]
    big = outcome.fiscal.counts.by_park(1e7)[0, t, 0]
    assert table["projected"].tolist() == [total, big]
    assert table["threshold_cny"].iloc[1] == pytest.approx(1e7)


def test_a_threshold_needs_a_firms_target(write_scenario: Callable[..., Path]) -> None:
    from sim.errors import ScenarioError

    bad = FIRMS.replace('metric = "firms"\npark = "A"', 'metric = "workers"\npark = "A"')
    with pytest.raises(ScenarioError, match="threshold"):
        load_inputs(write_scenario(tiny_toml(extra=bad)))


def test_firms_targets_without_firm_counts_are_not_projected(
    write_scenario: Callable[..., Path],
) -> None:
    from sim.engine import simulate
    from sim.targets import evaluate_targets

    scenario, site = load_inputs(write_scenario(tiny_toml(extra=FIRMS)))
    table = evaluate_targets(simulate(scenario, site), scenario.targets)
    firms = table[table["metric"] == "firms_count"]
    assert firms["projected"].isna().all()
    assert not firms["met"].any()
