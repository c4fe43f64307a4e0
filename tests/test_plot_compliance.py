"""Tests of sim.plot.compliance: what the compliance map and the rule scatter draw."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from matplotlib.collections import PathCollection
from matplotlib.colors import to_rgba, to_rgba_array

from sim.outcome import Outcome, compute
from sim.plot import COMPLIANCE_COLOURS, MapOptions, compliance_map, park_colour, rule_scatter
from sim.rules import Compliance
from tests.conftest import NO_GROWTH, load_inputs
from tests.plot_cases import parcel_faces

pytestmark = pytest.mark.usefixtures("agg")


@pytest.fixture
def outcome(write_scenario: Callable[..., Path]) -> Outcome:
    """The tiny site with NO_GROWTH: P4 exactly at 5,500 万元/ha, revenue needs the ramp."""
    return compute(*load_inputs(write_scenario(NO_GROWTH)))


def parcel_colours(ax: object, outcome: Outcome) -> np.ndarray:
    return parcel_faces(ax, outcome.site.parcels)


def test_map_colours_parcels_by_compliance(outcome: Outcome) -> None:
    # 2016 (tests/test_rules.py::test_compliance_classes): P1, P2, P4 and Q1 investment
    # only; P3, half built, 5,375 万元/ha and 0.11 亿元/ha, fails both.
    _, ax = compliance_map(outcome, year=2016)
    investment, fails = (
        COMPLIANCE_COLOURS[c] for c in (Compliance.INVESTMENT_ONLY, Compliance.FAILS_BOTH)
    )
    expected = [investment, investment, fails, investment, investment]
    np.testing.assert_allclose(parcel_colours(ax, outcome), to_rgba_array(expected))
    # 2015: P1, P2 fail both, P3, P4 not built, Q1 investment only.
    _, ax = compliance_map(outcome, year=2015)
    not_built = COMPLIANCE_COLOURS[Compliance.NOT_BUILT]
    expected = [fails, fails, not_built, not_built, investment]
    np.testing.assert_allclose(parcel_colours(ax, outcome), to_rgba_array(expected))


def test_map_legend_counts_and_title(outcome: Outcome) -> None:
    _, ax = compliance_map(outcome, year=2016, options=MapOptions(lang="en"))
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == [
        "meets both rules (0)",
        "meets investment only (4)",
        "meets revenue only (0)",
        "fails both rules (1)",
        "not yet built (0)",
        "park boundary",
    ]
    assert ax.get_title(loc="left") == "Admission rules by parcel, 2016"
    (subtitle,) = [t for t in ax.texts if t.get_gid() == "subtitle"]
    assert "investment ≥ 5,500 × 10⁴ CNY/ha, revenue ≥ 1 × 10⁸ CNY/ha" in subtitle.get_text()


def test_map_defaults_to_the_horizon(outcome: Outcome) -> None:
    # 2019: P1–P3 and Q1 comply; P4 (0.8 亿元/ha, full at its ceiling) meets investment
    # only.
    _, ax = compliance_map(outcome)
    assert "2019" in ax.get_title(loc="left")
    colours = parcel_colours(ax, outcome)
    np.testing.assert_allclose(colours[3], to_rgba(COMPLIANCE_COLOURS[Compliance.INVESTMENT_ONLY]))
    np.testing.assert_allclose(colours[0], to_rgba(COMPLIANCE_COLOURS[Compliance.COMPLIES]))


def test_scatter_has_one_point_per_parcel(outcome: Outcome) -> None:
    rules = outcome.scenario.rules
    _, ax = rule_scatter(outcome.rules.admission, rules, parks=outcome.site.parks)
    points = {c.get_gid(): c for c in ax.collections if str(c.get_gid()).startswith("parcels-")}
    assert set(points) == {"parcels-A", "parcels-B"}
    a = points["parcels-A"]
    assert isinstance(a, PathCollection)
    np.testing.assert_allclose(
        a.get_offsets(), [[8000, 1.2], [8000, 1.2], [8000, 1.2], [5500, 0.8]]
    )
    np.testing.assert_allclose(points["parcels-B"].get_offsets(), [[10500, 1.6]])
    np.testing.assert_allclose(a.get_edgecolors()[0], to_rgba(park_colour(0)))
    np.testing.assert_allclose(points["parcels-B"].get_edgecolors()[0], to_rgba(park_colour(1)))


def test_scatter_threshold_lines_and_counts(outcome: Outcome) -> None:
    fig, ax = rule_scatter(outcome.rules.admission, outcome.scenario.rules, lang="en")
    lines = {line.get_gid(): line for line in ax.get_lines()}
    assert lines["investment-threshold"].get_xdata()[0] == 5500.0
    assert lines["revenue-threshold"].get_ydata()[0] == pytest.approx(1.0)
    (counts,) = [t for t in ax.texts if t.get_gid() == "quadrant-counts"]
    # P1–P3 and Q1 meet both; P4 exactly at 5,500 meets investment, not revenue.
    assert counts.get_text() == "both met: 4 · investment only: 1 · investment short: 0"
    legend = fig.legends[0]
    assert [t.get_text() for t in legend.get_texts()] == [
        "A (4, 1 below a rule)",
        "B (1)",
        "admission threshold",
    ]


def test_scatter_rejects_a_table_without_densities(outcome: Outcome) -> None:
    with pytest.raises(ValueError, match=r"lacks columns.*sim.rules.admission"):
        rule_scatter(
            outcome.rules.admission.drop(columns="revenue_density_yi_per_ha"),
            outcome.scenario.rules,
        )


@pytest.mark.parametrize("lang", ["zh", "both"])
def test_figures_render_chinese_without_missing_glyphs(outcome: Outcome, lang: str) -> None:
    for fig in (
        compliance_map(outcome, options=MapOptions(lang=lang))[0],  # type: ignore[arg-type]
        rule_scatter(
            outcome.rules.admission,
            outcome.scenario.rules,
            parks=outcome.site.parks,
            lang=lang,  # type: ignore[arg-type]
        )[0],
    ):
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png")  # filterwarnings=error: a missing glyph fails here
        assert buffer.tell() > 1000
