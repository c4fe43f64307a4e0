"""Each target says its basis: floor-driven, a group's (enterprise) revenue, or city-wide."""

from __future__ import annotations

from sim.outcome import compute
from sim.scenario import Basis
from tests.conftest import load_inputs, tiny_toml

ENTERPRISE = """
[[targets]]
metric = "revenue"
park = "B"
year = 2016
value = "1亿 元"
basis = "enterprise"
source = "made up for the test"
"""


def test_the_basis_defaults_to_city_for_total_and_floor_for_a_park(write_scenario) -> None:
    scenario, _ = load_inputs(write_scenario(tiny_toml(extra=ENTERPRISE)))
    bases = [(t.park, t.counted) for t in scenario.targets]
    assert ("total", Basis.CITY) in bases
    assert ("A", Basis.FLOOR) in bases
    assert ("B", Basis.ENTERPRISE) in bases


def test_targets_csv_table_carries_the_basis(write_scenario) -> None:
    outcome = compute(*load_inputs(write_scenario(tiny_toml(extra=ENTERPRISE))))
    table = outcome.targets.set_index("park_id")
    assert table.loc["B", "basis"] == "enterprise"
    assert table.loc["total", "basis"] == "city"
