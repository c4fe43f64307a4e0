"""Committed projects: several parcels, floor split by area, uncertain start and floor."""

from __future__ import annotations

import numpy as np

from sim.engine import prepare
from sim.montecarlo import sample_inputs
from tests.conftest import load_inputs, tiny_toml

#: P1 and P2 (1 ha each) hold one project of 3万 m² in 2 phases, started Q2 2013.
TWO_PARCELS = """
[[committed]]
parcel = ["P1", "P2"]
start_year = 2013.25
floor = "3万 m2"
phases = 2
"""


def test_a_project_over_two_parcels_splits_its_floor_by_area(write_scenario) -> None:
    scenario, site = load_inputs(write_scenario(tiny_toml(extra=TWO_PARCELS)))
    inputs = prepare(scenario, site)
    ids = list(inputs.parcel_ids)
    p1, p2 = ids.index("P1"), ids.index("P2")
    assert inputs.committed_floor[0, p1] == inputs.committed_floor[0, p2] == 15_000.0
    assert inputs.committed_start[0, p1] == inputs.committed_start[0, p2] == 2013.25
    assert inputs.committed_phases[p1] == inputs.committed_phases[p2] == 2
    assert inputs.committed_phases[ids.index("P3")] == 0  # still queued


def test_uncertain_start_and_floor_are_sampled_per_draw(write_scenario) -> None:
    text = TWO_PARCELS.replace(
        "start_year = 2013.25", 'start_year = { dist = "uniform", min = 2013, max = 2015 }'
    ).replace('floor = "3万 m2"', 'floor = { dist = "uniform", min = "2万 m2", max = "4万 m2" }')
    scenario, site = load_inputs(write_scenario(tiny_toml(extra=text)))
    inputs = prepare(scenario, site)
    sampled = sample_inputs(inputs, scenario, 2000, np.random.default_rng(1))
    ids = list(inputs.parcel_ids)
    p1, p2 = ids.index("P1"), ids.index("P2")
    start, floor = sampled.committed_start, sampled.committed_floor
    assert np.all(start[:, p1] == start[:, p2])  # one project, one start
    assert start[:, p1].min() >= 2013 and start[:, p1].max() <= 2015
    assert abs(start[:, p1].mean() - 2014) < 0.05
    np.testing.assert_allclose(floor[:, p1], floor[:, p2])  # equal areas, equal shares
    assert abs((floor[:, p1] + floor[:, p2]).mean() - 30_000) < 400
