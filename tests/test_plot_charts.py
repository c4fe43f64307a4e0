"""Tests of sim.plot.charts: what the floor chart draws."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.collections import Collection
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from sim.engine import simulate_draws
from sim.outcome import compute
from sim.plot import (
    STATUS_COLOURS,
    TARGET_COLOUR,
    completions_chart,
    floor_chart,
    park_colour,
    probability_chart,
    revenue_chart,
)
from sim.result import SERIES, Ensemble, Result, Status
from tests.conftest import load_and_simulate, load_inputs

YEARS = np.arange(2012, 2017)
PARKS = ("north", "south")


def make_result(draws: int = 1) -> Result:
    """Two parks of two parcels; each parcel completes 1 万m² a year after 2013."""
    n, y = 4, YEARS.size
    t = np.arange(y)[None, :, None]
    scale = 1.0 + 0.1 * np.arange(draws)[:, None, None]
    completed = np.broadcast_to(np.maximum(t - 1, 0) * 1e4 * scale, (draws, y, n)).copy()
    building = np.broadcast_to(np.where(t < 4, 2e4, 0.0) * scale, (draws, y, n)).copy()
    series = {name: np.zeros((draws, y, n)) for name in SERIES}
    series["floor_completed_m2"] = completed
    series["floor_under_construction_m2"] = building
    nan = np.full((draws, n), np.nan)
    return Result(
        scenario_name="tiny",
        years=YEARS.astype(np.int64),
        park_ids=PARKS,
        parcel_ids=np.array([f"P{i}" for i in range(n)]),
        parcel_park=np.array([0, 0, 1, 1], dtype=np.int64),
        capacity_m2=np.full(n, 1e5),
        area_m2=np.full(n, 5e4),
        parameters={},
        land_supply_m2=np.zeros((1, len(PARKS), y)),
        series=series,
        status=np.full((draws, y, n), Status.UNDER_CONSTRUCTION, dtype=np.int8),
        release_year=nan,
        start_year=nan,
        completion_year=nan,
        investment_before_base_cny=np.zeros_like(nan),
    )


def make_targets() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "metric": [
                "floor_completed_m2",
                "floor_completed_m2",
                "floor_under_construction_m2",
                "workers_persons",
            ],
            "park_id": ["north", "total", "total", "total"],
            "year": [2016, 2016, 2014, 2016],
            "target": [5e4, 20e4, 3e4, 1e6],
            "projected": [6e4, 12e4, 8e4, 0.0],
            "met": [True, False, True, False],
        }
    )


def by_gid(ax: Axes, gid: str) -> list[Artist]:
    return [a for a in ax.get_children() if a.get_gid() == gid]


def top_of(collection: Artist) -> float:
    assert isinstance(collection, Collection)
    return float(max(p.vertices[:, 1].max() for p in collection.get_paths()))


pytestmark = pytest.mark.usefixtures("agg")  # Agg; figures closed after each test


def test_one_panel_per_park_and_a_total() -> None:
    _, axes = floor_chart(make_result())
    assert isinstance(axes, np.ndarray)
    assert [ax.get_title() for ax in axes] == ["north", "south", "合计"]


def test_panel_titles_use_park_names() -> None:
    parks = pd.DataFrame(
        {"park_id": ["south", "north"], "name_zh": ["南区", "北区"], "name_en": ["S", "N"]}
    )
    _, axes = floor_chart(make_result(), parks=parks, lang="both")
    assert [ax.get_title() for ax in axes] == ["北区\nN", "南区\nS", "合计\nTotal"]


def test_stacks_completed_and_under_construction_in_wan_m2() -> None:
    _, axes = floor_chart(make_result())
    north, _, total = axes
    (done,) = by_gid(north, "completed")
    (doing,) = by_gid(north, "under-construction")
    # north in 2016: 2 parcels × 3 万m² completed; in 2015: 2 × 2 + 2 × 2 building.
    assert top_of(done) == pytest.approx(6.0)
    assert top_of(doing) == pytest.approx(8.0)
    assert top_of(by_gid(total, "completed")[0]) == pytest.approx(12.0)
    assert to_rgba(done.get_facecolor()[0]) == to_rgba(STATUS_COLOURS[Status.COMPLETED])


def test_y_label_says_wan_m2() -> None:
    _, axes = floor_chart(make_result(), lang="both")
    assert axes[0].get_ylabel() == "建筑面积（万m²）\nFloor area (10⁴ m²)"
    assert axes[1].get_ylabel() == ""  # same row: labelled once


def test_x_axis_spans_the_years() -> None:
    _, axes = floor_chart(make_result())
    for ax in axes:
        lo, hi = ax.get_xlim()
        assert lo == 2012 and 2016 <= hi < 2017
        assert all(float(t).is_integer() for t in ax.get_xticks())


def test_targets_are_drawn_at_their_year_and_level() -> None:
    _, axes = floor_chart(make_result(), make_targets())
    north, south, total = axes
    (north_mark,) = by_gid(north, "target-floor_completed_m2")
    assert isinstance(north_mark, Line2D)
    assert list(north_mark.get_xdata()) == [2016]
    assert list(north_mark.get_ydata()) == [pytest.approx(5.0)]
    assert to_rgba(north_mark.get_markerfacecolor()) == to_rgba(TARGET_COLOUR)  # met: filled
    assert not by_gid(south, "target-floor_completed_m2")
    (total_mark,) = by_gid(total, "target-floor_completed_m2")
    assert list(total_mark.get_ydata()) == [pytest.approx(20.0)]
    assert total_mark.get_markerfacecolor() == "white"  # not met: open
    # Under construction: a diamond at completed (2014: 4 万m²) + target (3 万m²).
    (uc_mark,) = by_gid(total, "target-floor_under_construction_m2")
    assert uc_mark.get_marker() == "D"
    assert list(uc_mark.get_xdata()) == [2014]
    assert list(uc_mark.get_ydata()) == [pytest.approx(7.0)]
    # Other metrics (workers) are not drawn.
    assert not [a for a in total.get_children() if a.get_gid() == "target-workers"]


def legend_texts(fig: Figure) -> set[str]:
    legends = [*fig.legends, *(ax.get_legend() for ax in fig.axes)]
    return {t.get_text() for legend in legends if legend is not None for t in legend.get_texts()}


@pytest.mark.parametrize("parks", [PARKS, ("a", "b", "c")])
def test_legend_lists_series_and_targets(parks: tuple[str, ...]) -> None:
    # 3 panels fill a row (figure legend below); 4 leave a cell for the legend.
    result = make_result()
    result = replace(result, park_ids=parks, parcel_park=np.arange(4) % len(parks))
    targets = make_targets().assign(park_id=[parks[0], "total", "total", "total"])
    fig, _ = floor_chart(result, targets, lang="en")
    assert legend_texts(fig) == {
        "completed",
        "under construction",
        "completion target (filled: met)",
        "under-construction target (above completed)",
    }


def test_uncertainty_band_only_with_several_draws() -> None:
    _, axes = floor_chart(make_result(draws=1))
    assert not by_gid(axes[0], "p10-p90")
    _, axes = floor_chart(make_result(draws=5))
    low, high = by_gid(axes[0], "p10-p90")
    assert low.get_ydata()[-1] < high.get_ydata()[-1]


def test_single_axes_draws_the_total() -> None:
    fig, ax = plt.subplots()
    fig2, drawn = floor_chart(make_result(), lang="en", ax=ax)
    assert fig2 is fig and drawn is ax
    assert ax.get_title() == "Total"
    assert ax.get_ylabel() == "Floor area (10⁴ m²)"
    assert top_of(by_gid(ax, "completed")[0]) == pytest.approx(12.0)


def test_rejects_wrong_number_of_axes() -> None:
    _, axes = plt.subplots(1, 2)
    with pytest.raises(ValueError, match="ax must hold 3 Axes"):
        floor_chart(make_result(), ax=axes)


def test_rejects_targets_for_unknown_parks() -> None:
    targets = make_targets().assign(park_id=["north", "west", "total", "total"])
    with pytest.raises(ValueError, match=r"targets name parks \['west'\]"):
        floor_chart(make_result(), targets)


def test_rejects_targets_without_columns() -> None:
    with pytest.raises(ValueError, match=r"targets lacks columns \['met'\]"):
        floor_chart(make_result(), make_targets().drop(columns="met"))


@pytest.mark.parametrize("fmt", ["png", "pdf"])
def test_chart_renders_chinese_without_missing_glyphs(fmt: str) -> None:
    fig, _ = floor_chart(make_result(draws=3), make_targets(), lang="both")
    buffer = io.BytesIO()
    fig.savefig(buffer, format=fmt)  # filterwarnings=error: a missing glyph fails here
    assert buffer.tell() > 1000


# --- Monte Carlo band, completions, revenue --------------------------------------------


def make_ensemble(draws: int = 20) -> Ensemble:
    result = make_result(draws=draws)
    return Ensemble(
        scenario_name="tiny",
        years=result.years,
        park_ids=result.park_ids,
        series={name: result.by_park(name) for name in SERIES},
        seed=1,
    )


def test_floor_chart_draws_the_ensemble_band() -> None:
    ensemble = make_ensemble()
    _, axes = floor_chart(make_result(), make_targets(), ensemble=ensemble, lang="en")
    (band,) = by_gid(axes[-1], "p10-p90-band")
    low, high = np.percentile(
        ensemble.by_park("floor_completed_m2").sum(axis=2) / 1e4, [10, 90], axis=0
    )
    top = band.get_paths()[0].vertices[:, 1]  # type: ignore[attr-defined]
    assert top.max() == pytest.approx(high.max())
    assert top.min() == pytest.approx(min(low.min(), high.min()))
    legends = [ax.get_legend() for ax in axes] + list(axes[0].get_figure().legends)
    texts = [t.get_text() for legend in legends if legend for t in legend.get_texts()]
    assert "completed P10–P90 (20 runs)" in texts


def test_floor_chart_rejects_an_ensemble_of_other_parks() -> None:
    ensemble = make_ensemble()
    other = Ensemble("x", ensemble.years, ("a", "b"), ensemble.series, seed=1)
    with pytest.raises(ValueError, match="ensemble must have the result's parks and years"):
        floor_chart(make_result(), ensemble=other)


def test_completions_are_stacked_by_park_per_year() -> None:
    result = make_result()
    _, ax = completions_chart(result, lang="en")
    added = np.diff(result.by_park("floor_completed_m2")[0], axis=0, prepend=0.0) / 1e4
    for k, park in enumerate(PARKS):
        bars = by_gid(ax, f"completions-{park}")
        heights = [b.get_height() for b in bars]  # type: ignore[attr-defined]
        np.testing.assert_allclose(heights, added[:, k])
        assert to_rgba(bars[0].get_facecolor()) == to_rgba(park_colour(k))  # type: ignore[attr-defined]
    totals = [t.get_text() for t in by_gid(ax, "completions-total")]
    assert totals == [f"{v:,.0f}" for v in added.sum(axis=1)]
    assert ax.get_ylabel() == "Floor completed in the year (10⁴ m²)"
    (legend,) = ax.get_figure().legends  # below the plot, parks as stacked (top first)
    assert [t.get_text() for t in legend.get_texts()] == ["south", "north"]


QINGDAO_LIKE = """
extends = "tiny.toml"
[[targets]]
metric = "revenue"
park = "total"
year = 2016
value = "3 亿元"

[benchmarks.base_revenue]
value = "1 亿元"
year = 2011
growth = "40 %"
source = "test"
"""


@pytest.mark.parametrize(
    ("lang", "path_label"),
    [
        ("zh", "政策路径：2011年 1 亿元，年增 40%"),
        ("en", "policy path: 1 × 10⁸ CNY in 2011, +40%/yr"),
    ],
)
def test_revenue_against_the_policy_path(
    write_scenario: Callable[..., Path], lang: str, path_label: str
) -> None:
    scenario, _, result = load_and_simulate(write_scenario(QINGDAO_LIKE))
    _, ax = revenue_chart(result, scenario, lang=lang)
    (path,) = by_gid(ax, "policy-path")
    years, values = path.get_data()  # type: ignore[attr-defined]
    # 2011 → the last revenue target's year, growing 40 % a year from 1 亿元.
    assert list(years) == list(range(2011, 2017))
    np.testing.assert_allclose(values, 1.4 ** np.arange(6))
    assert path.get_label() == path_label
    (target,) = by_gid(ax, "revenue-target")
    assert target.get_ydata()[0] == pytest.approx(3.0)  # type: ignore[attr-defined]
    total = result.by_park("revenue_cny")[0].sum(axis=1) / 1e8
    (line,) = by_gid(ax, "revenue-total")
    np.testing.assert_allclose(line.get_ydata(), total)  # type: ignore[attr-defined]
    assert "10⁸ CNY" in ax.get_ylabel() or "亿元" in ax.get_ylabel()


def test_revenue_without_a_base_has_no_path(tiny_dir: Path) -> None:
    scenario, _, result = load_and_simulate(tiny_dir / "tiny.toml")
    _, ax = revenue_chart(result, scenario)
    assert not by_gid(ax, "policy-path")


@pytest.mark.parametrize("lang", ["zh", "en", "both"])
def test_every_chart_renders_without_missing_glyphs(
    write_scenario: Callable[..., Path], lang: str
) -> None:
    scenario, site, result = load_and_simulate(write_scenario(QINGDAO_LIKE))
    ensemble = simulate_draws(scenario, site, draws=20, seed=1)
    figures = [
        floor_chart(result, ensemble=ensemble, lang=lang)[0],
        completions_chart(result, parks=site.parks, lang=lang)[0],
        revenue_chart(result, scenario, ensemble=ensemble, parks=site.parks, lang=lang)[0],
        probability_chart(compute(scenario, site, draws=20, seed=1), lang=lang)[0],  # type: ignore[arg-type]
    ]
    for fig in figures:
        for fmt in ("png", "pdf", "svg"):
            fig.savefig(io.BytesIO(), format=fmt)
        assert fig.get_size_inches()[0] * 300 >= 2000  # A4 width at 300 dpi


def test_probability_chart_draws_what_the_outcome_computed(tiny_dir: Path) -> None:
    outcome = compute(*load_inputs(tiny_dir / "tiny.toml"), draws=20, seed=1)
    targets = outcome.scenario.targets
    chances = outcome.probability_by_year
    assert chances is not None and chances.shape == (len(targets), outcome.result.years.size)
    _, ax = probability_chart(outcome, lang="en")
    lines = [line for line in ax.get_lines() if line.get_marker() == "None"]
    dots = [line for line in ax.get_lines() if line.get_marker() == "o"]
    assert len(lines) == len(dots) == len(targets) == 2
    for line, dot, target, chance in zip(lines, dots, targets, chances, strict=True):
        np.testing.assert_array_equal(line.get_xdata(), outcome.ensemble.years)  # type: ignore[union-attr]
        np.testing.assert_allclose(line.get_ydata(), chance)  # type: ignore[arg-type]
        at = list(outcome.ensemble.years).index(target.year)  # type: ignore[union-attr]
        assert dot.get_xdata()[0] == target.year  # type: ignore[index]
        assert dot.get_ydata()[0] == pytest.approx(chance[at])  # type: ignore[index]
    assert [str(line.get_label()) for line in lines] == [
        "total · completed ≥ 5 × 10⁴ m²",
        "Park A · completed ≥ 4 × 10⁴ m²",
    ]


def test_probability_chart_needs_a_monte_carlo_run(tiny_dir: Path) -> None:
    with pytest.raises(ValueError, match=r"needs a Monte Carlo run.*draws > 1"):
        probability_chart(compute(*load_inputs(tiny_dir / "tiny.toml")))
