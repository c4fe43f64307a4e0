"""Distributions in scenarios: reading, checking, point values, bounds and sampling."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from sim.distributions import Distribution, Kind
from sim.errors import ScenarioError
from sim.scenario import load_scenario
from sim.units import Dimension
from tests.conftest import TINY_TOML


@pytest.mark.parametrize(
    ("table", "dimension", "point", "bounds"),
    [
        ({"dist": "triangular", "min": 2, "mode": 3, "max": 4}, Dimension.DURATION, 3, (2, 4)),
        ({"dist": "pert", "min": "1 ha", "mode": "2 ha", "max": "5 ha"}, Dimension.AREA, 2e4,
         (1e4, 5e4)),
        ({"dist": "uniform", "min": "10 %", "max": "30 %"}, Dimension.RATIO, 0.2, (0.1, 0.3)),
        ({"dist": "normal", "mean": 0.85, "sd": 0.05}, Dimension.RATIO, 0.85,
         (-np.inf, np.inf)),
        ({"dist": "lognormal", "median": "5000 元/m2", "sigma": 0.3}, Dimension.MONEY_PER_AREA,
         5000, (0, np.inf)),
        ({"dist": "choice", "values": [1, 2, 3], "weights": [1, 3, 1]}, Dimension.DURATION, 2,
         (1, 3)),
    ],
)  # fmt: skip
def test_distribution_point_and_bounds(table, dimension, point, bounds) -> None:
    dist = Distribution.from_table(table, dimension)
    assert dist.point() == pytest.approx(point)
    assert dist.bounds() == pytest.approx(bounds)
    sample = dist.sample(np.random.default_rng(0), 4000)
    assert sample.min() >= bounds[0] and sample.max() <= bounds[1]


def test_pert_and_triangular_means_match_scipy() -> None:
    rng = np.random.default_rng(1)
    tri = Distribution.from_table({"dist": "triangular", "min": 2, "mode": 3, "max": 5},
                                  Dimension.DURATION).sample(rng, 200_000)  # fmt: skip
    assert tri.mean() == pytest.approx((2 + 3 + 5) / 3, abs=0.01)
    pert = Distribution.from_table({"dist": "pert", "min": 2, "mode": 3, "max": 5},
                                   Dimension.DURATION).sample(rng, 200_000)  # fmt: skip
    assert pert.mean() == pytest.approx((2 + 4 * 3 + 5) / 6, abs=0.01)


def test_truncated_normal_respects_bounds() -> None:
    dist = Distribution.from_table(
        {"dist": "normal", "mean": "85 %", "sd": "10 %", "min": "70 %", "max": "95 %"},
        Dimension.RATIO,
    )
    sample = dist.sample(np.random.default_rng(2), 50_000)
    assert sample.min() >= 0.7 and sample.max() <= 0.95
    expected = stats.truncnorm(-1.5, 1.0, loc=0.85, scale=0.1).mean()
    assert sample.mean() == pytest.approx(expected, abs=0.002)


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"dist": "triangular", "min": 4, "mode": 3, "max": 5}, "min ≤ mode ≤ max"),
        ({"dist": "triangular", "min": 2, "max": 5}, "missing ['mode']"),
        ({"dist": "uniform", "min": 2, "max": 5, "mode": 3}, "unknown ['mode']"),
        ({"dist": "normal", "mean": 3, "sd": -1}, "positive scale"),
        ({"dist": "lognormal", "median": 0, "sigma": 0.2}, "median: expected > 0"),
        ({"dist": "gamma", "min": 1}, "expected one of"),
        ({"min": 1, "max": 2}, "needs dist"),
        ({"dist": "choice", "values": [1, 2], "weights": [1]}, "one per value"),
        ({"dist": "choice", "values": [1, 2], "weights": [0, 0]}, "positive sum"),
        ({"dist": "uniform", "min": "1 kg", "max": 2}, "uniform.min"),
    ],
)
def test_bad_distribution_parameters(table, message) -> None:
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        Distribution.from_table(table, Dimension.DURATION)


def test_distribution_outside_field_bounds_is_a_scenario_error(write_scenario) -> None:
    text = TINY_TOML.replace(
        'occupancy_ceiling = "80 %"',
        'occupancy_ceiling = { dist = "normal", mean = "80 %", sd = "10 %" }',
    )
    path = write_scenario(text)
    with pytest.raises(ScenarioError, match=r"defaults\.occupancy_ceiling.*bound it with min/max"):
        load_scenario(path)


def test_distribution_kinds_are_all_documented() -> None:
    import sim.distributions

    for kind in Kind:
        assert kind.value in (sim.distributions.__doc__ or "")


def test_distributions_is_a_leaf() -> None:
    """The schema imports it and Monte Carlo samples it; it imports neither (no cycle)."""
    import ast

    import sim.distributions

    tree = ast.parse(Path(sim.distributions.__file__).read_text(encoding="utf-8"))
    imported = {
        node.module if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert {name for name in imported if name and name.startswith("sim")} <= {
        "sim.units",
        "sim.errors",
    }
