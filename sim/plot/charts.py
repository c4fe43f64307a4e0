"""Charts of a Result: floor against targets, completions per year, revenue against the plan.

In: a :class:`~sim.result.Result`, optionally an :class:`~sim.result.Ensemble` of the
same scenario (for P10–P90 bands), the target table made by :mod:`sim.targets`
(columns ``metric, park_id, year, target, projected, met``, values in SI units) or
the scenario itself. Out: matplotlib Figures in the house style (:mod:`sim.plot.style`),
sized for the text block of an A4 or A3 page. Floor is shown in 万m² and money in
亿元, the units the plans use (10⁴ m² and 10⁸ CNY in English).

- :func:`floor_chart` — cumulative floor completed and under construction per park
  and in total against the floor targets;
- :func:`completions_chart` — floor completed each year, stacked by park;
- :func:`revenue_chart` — revenue per year against the policy's growth path (from
  ``[benchmarks.base_revenue]``) and the revenue targets.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from sim.plot.figure import chart_axes, light_grid, root_figure
from sim.plot.style import (
    STATUS_COLOURS,
    TARGET_COLOUR,
    Lang,
    PaperSize,
    check_lang,
    label,
    park_colour,
    style_context,
    unit_label,
    wrap_name,
)
from sim.result import Ensemble, Result, Status

if TYPE_CHECKING:
    import numpy.typing as npt
    import pandas as pd
    from matplotlib.figure import Figure

    from sim.scenario import Scenario

__all__ = ["completions_chart", "floor_chart", "revenue_chart"]

_WAN = 1e4  # m² per 万m²
_COMPLETED = "floor_completed_m2"
_UNDER_CONSTRUCTION = "floor_under_construction_m2"
_TOTAL = "total"
_YI = 1e8  # CNY per 亿元
_BAND_EDGE = "#4D4D4D"


def floor_chart(
    result: Result,
    targets: pd.DataFrame | None = None,
    *,
    parks: pd.DataFrame | None = None,
    ensemble: Ensemble | None = None,
    lang: Lang = "zh",
    draw: int = 0,
    size: PaperSize = "A4",
    ax: Axes | Sequence[Axes] | npt.NDArray[np.object_] | None = None,
) -> tuple[Figure, Axes | npt.NDArray[np.object_]]:
    """Cumulative floor completed and under construction, per park and in total.

    Each panel stacks floor completed (dark) and floor under construction
    (lighter, on top) in 万m² over the simulated years. Targets on
    ``floor_completed_m2`` are black circles with a dashed level line (filled
    if met, open if not); targets on ``floor_under_construction_m2`` are black
    diamonds drawn at *completed + target*, so a diamond below the top of the
    stack means the under-construction target is met. With more than one draw,
    dotted lines give the P10 and P90 of floor completed across draws; with an
    ``ensemble``, a hatched band gives its P10–P90 of floor completed (the fan of
    a Monte Carlo run over the deterministic stack).

    Parameters
    ----------
    result
        The simulation outcome.
    targets
        Target table with columns ``metric, park_id, year, target, projected,
        met``; ``park_id`` is a park of ``result.park_ids`` or ``"total"``.
        Rows of other metrics are ignored.
    parks
        Table with ``park_id, name_zh, name_en`` used for panel titles; the
        park ids are used without it.
    ensemble
        A Monte Carlo run of the same scenario and parks: adds the P10–P90 band of
        floor completed (gid ``"p10-p90-band"``).
    lang
        Language of the labels: ``"zh"``, ``"en"`` or ``"both"``.
    draw
        Monte Carlo draw whose series are stacked.
    size
        Paper size the figure is made for, ``"A4"`` or ``"A3"`` (font sizes).
    ax
        Where to draw: ``None`` makes a grid of small multiples; one Axes
        draws only the total; a sequence of ``len(result.park_ids) + 1`` Axes
        takes the parks in order and then the total.

    Returns
    -------
    tuple of (Figure, Axes or numpy.ndarray)
        The figure and the panel Axes (a flat array in park order, total
        last, unless a single Axes was given).

    Raises
    ------
    ValueError
        If ``draw`` is out of range, ``ax`` has the wrong number of Axes, or
        ``targets`` lacks a column or names an unknown park.
    """
    lang = check_lang(lang)
    if not 0 <= draw < result.draws:
        raise ValueError(f"draw must be in 0…{result.draws - 1}; got {draw}")
    panel_ids = [*result.park_ids, _TOTAL]
    target_rows = _check_targets(targets, panel_ids)
    band = None if ensemble is None else _ensemble_band(ensemble, result)
    titles = _panel_titles(result.park_ids, parks, lang)

    completed = result.by_park(_COMPLETED) / _WAN  # (D, Y, K)
    building = result.by_park(_UNDER_CONSTRUCTION) / _WAN
    completed = np.concatenate([completed, completed.sum(axis=2, keepdims=True)], axis=2)
    building = np.concatenate([building, building.sum(axis=2, keepdims=True)], axis=2)

    with style_context(size):
        fig, axes, spare, single = _panel_axes(ax, len(panel_ids))
        panels = [len(panel_ids) - 1] if single else range(len(panel_ids))
        for axis, k in zip(axes, panels, strict=True):
            _draw_panel(
                axis,
                years=result.years,
                completed=completed[:, :, k],
                building=building[:, :, k],
                draw=draw,
                targets=None if target_rows is None else target_rows[panel_ids[k]],
                band=None if band is None else (band[0][:, k], band[1][:, k]),
            )
            axis.set_title(
                titles[k] if k < len(titles) else label("合计", "Total", lang, sep="\n"),
                fontsize="medium",
            )
        y_label = unit_label("建筑面积", "Floor area", "wan_m2", lang, sep="\n")
        handles = _legend_handles(
            result.draws > 1, target_rows is not None, lang, ensemble=ensemble
        )
        for axis in axes:
            spec = axis.get_subplotspec()
            if spec is None or spec.is_first_col():  # one label per row
                axis.set_ylabel(y_label)
        if single:
            axes[0].legend(handles=handles, loc="upper left", frameon=False)
        else:
            fig.suptitle(
                label("建筑面积：竣工与在建", "Floor area completed and under construction", lang)
            )
            if spare is not None:
                # Out of the layout: the legend may spill into the next empty cell
                # instead of squeezing the panels.
                legend = spare.legend(
                    handles=handles, loc="upper left", bbox_to_anchor=(-0.2, 1.0), frameon=False
                )
                legend.set_in_layout(False)
            else:
                fig.legend(handles=handles, loc="outside lower center", ncols=2, frameon=False)
    if single:
        return fig, axes[0]
    return fig, np.asarray(axes, dtype=object)


def _panel_titles(park_ids: Sequence[str], parks: pd.DataFrame | None, lang: Lang) -> list[str]:
    if parks is None:
        return list(park_ids)
    names = parks.set_index("park_id")
    # Small panels: long names break in two, and both languages go on their own lines.
    return [
        label(
            wrap_name(str(names.at[p, "name_zh"]), 12, sep=""),
            wrap_name(str(names.at[p, "name_en"]), 26, sep=" "),
            lang,
            sep="\n",
        )
        if p in names.index
        else p
        for p in park_ids
    ]


def _check_targets(
    targets: pd.DataFrame | None, panel_ids: list[str]
) -> dict[str, pd.DataFrame] | None:
    """Split the targets this chart draws by panel, after checking them once."""
    if targets is None:
        return None
    needed = {"metric", "park_id", "year", "target", "met"}
    missing = needed - set(targets.columns)
    if missing:
        raise ValueError(
            f"targets lacks columns {sorted(missing)}; it needs "
            "metric, park_id, year, target, projected, met (see sim.targets)"
        )
    drawn = targets[targets["metric"].isin([_COMPLETED, _UNDER_CONSTRUCTION])]
    unknown = sorted(set(drawn["park_id"].astype(str)) - set(panel_ids))
    if unknown:
        raise ValueError(
            f"targets name parks {unknown} that are not in the result; expected one of {panel_ids}"
        )
    return {p: drawn[drawn["park_id"].astype(str) == p] for p in panel_ids}


def _panel_axes(
    ax: Axes | Sequence[Axes] | npt.NDArray[np.object_] | None, n: int
) -> tuple[Figure, list[Axes], Axes | None, bool]:
    """Figure, the Axes to fill, an empty grid cell for the legend, if only the total."""
    if isinstance(ax, Axes):
        return root_figure(ax), [ax], None, True
    if ax is not None:
        given = list(np.ravel(np.asarray(ax, dtype=object)))
        if len(given) != n:
            raise ValueError(
                f"ax must hold {n} Axes (one per park and the total); got {len(given)}"
            )
        return root_figure(given[0]), given, None, False
    ncols = min(3, n)
    nrows = math.ceil(n / ncols)
    width, height = plt.rcParams["figure.figsize"]
    fig, grid = plt.subplots(
        nrows,
        ncols,
        squeeze=False,
        layout="constrained",
        figsize=(width, min(height, 2.2 * nrows + 1.0)),
    )
    flat = list(grid.ravel())
    for spare in flat[n:]:
        spare.set_axis_off()
    return fig, flat[:n], (flat[n] if len(flat) > n else None), False


def _draw_panel(
    ax: Axes,
    *,
    years: npt.NDArray[np.int64],
    completed: npt.NDArray[np.float64],
    building: npt.NDArray[np.float64],
    draw: int,
    targets: pd.DataFrame | None,
    band: tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]] | None = None,
) -> None:
    done, doing = completed[draw], building[draw]
    done_colour = STATUS_COLOURS[Status.COMPLETED]
    doing_colour = STATUS_COLOURS[Status.UNDER_CONSTRUCTION]
    ax.fill_between(years, 0.0, done, color=done_colour, linewidth=0, gid="completed")
    ax.fill_between(
        years,
        done,
        done + doing,
        facecolor=doing_colour,
        alpha=0.55,
        linewidth=0,
        gid="under-construction",
    )
    ax.plot(years, done + doing, color=doing_colour, linewidth=0.8)
    if band is not None:
        ax.fill_between(
            years,
            band[0],
            band[1],
            facecolor="white",
            alpha=0.4,
            linewidth=0.0,
            zorder=3,
            gid="p10-p90-band",
        )
        for series in band:
            ax.plot(years, series, color="black", linestyle=":", linewidth=0.9, zorder=3)
    if completed.shape[0] > 1:
        low, high = np.percentile(completed, [10, 90], axis=0)
        for series in (low, high):
            ax.plot(years, series, color="#777777", linestyle=":", linewidth=1.0, gid="p10-p90")
    if targets is not None:
        target_years = targets["year"].to_numpy(dtype=np.int64)
        levels = targets["target"].to_numpy(dtype=np.float64) / _WAN
        metrics = targets["metric"].astype(str).to_numpy()
        met = targets["met"].astype("boolean").fillna(False).to_numpy(dtype=bool)
        for year, value, metric, ok in zip(target_years, levels, metrics, met, strict=True):
            if metric == _COMPLETED:
                ax.axhline(value, color=TARGET_COLOUR, linestyle="--", linewidth=0.7, zorder=4)
                marker, level = "o", value
            else:
                at = np.flatnonzero(years == year)
                base = float(done[at[0]]) if at.size else 0.0
                marker, level = "D", base + value
            ax.plot(
                [year],
                [level],
                marker=marker,
                markersize=6,
                color=TARGET_COLOUR,
                markerfacecolor=TARGET_COLOUR if ok else "white",
                linestyle="none",
                zorder=5,
                gid=f"target-{metric}",
            )
    ax.set_xlim(float(years[0]), float(years[-1]) + 0.3)
    ax.set_ylim(bottom=0.0)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=3, min_n_ticks=2))
    light_grid(ax)


def _ensemble_band(
    ensemble: Ensemble, result: Result
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """P10 and P90 of floor completed per year and panel (parks, then total), 万m²."""
    if tuple(ensemble.park_ids) != tuple(result.park_ids) or not np.array_equal(
        ensemble.years, result.years
    ):
        raise ValueError(
            "ensemble must have the result's parks and years: got parks "
            f"{list(ensemble.park_ids)} and years {ensemble.years[0]}–{ensemble.years[-1]}, "
            f"expected {list(result.park_ids)} and {result.years[0]}–{result.years[-1]}; "
            "simulate both from the same scenario"
        )
    per_park = ensemble.by_park(_COMPLETED) / _WAN
    panels = np.concatenate([per_park, per_park.sum(axis=2, keepdims=True)], axis=2)
    low, high = np.percentile(panels, [10, 90], axis=0)
    return low, high


def _legend_handles(
    uncertain: bool, with_targets: bool, lang: Lang, *, ensemble: Ensemble | None = None
) -> list[Patch | Line2D]:
    handles: list[Patch | Line2D] = [
        Patch(facecolor=STATUS_COLOURS[Status.COMPLETED], label=label("已竣工", "completed", lang)),
        Patch(
            facecolor=STATUS_COLOURS[Status.UNDER_CONSTRUCTION],
            alpha=0.55,
            label=label("在建", "under construction", lang),
        ),
    ]
    if ensemble is not None:
        handles.append(
            Patch(
                facecolor="#C8CDD6",
                edgecolor="black",
                linestyle=":",
                label=label(
                    f"竣工 P10–P90（{ensemble.draws:,} 次模拟）",
                    f"completed P10–P90 ({ensemble.draws:,} runs)",
                    lang,
                ),
            )
        )
    if uncertain:
        handles.append(
            Line2D(
                [],
                [],
                color="#777777",
                linestyle=":",
                label=label("竣工 P10–P90", "completed P10–P90", lang),
            )
        )
    if with_targets:
        handles += [
            Line2D(
                [],
                [],
                color=TARGET_COLOUR,
                marker="o",
                linestyle="--",
                linewidth=0.7,
                label=label("竣工目标（实心：已达成）", "completion target (filled: met)", lang),
            ),
            Line2D(
                [],
                [],
                color=TARGET_COLOUR,
                marker="D",
                markerfacecolor="white",
                linestyle="none",
                label=label(
                    "在建目标（自竣工量起算）", "under-construction target (above completed)", lang
                ),
            ),
        ]
    return handles


def _park_names(park_ids: Sequence[str], parks: pd.DataFrame | None, lang: Lang) -> list[str]:
    """Park names for legends (one line each), ids where no table gives one."""
    return [t.replace("\n", " ") for t in _panel_titles(park_ids, parks, lang)]


def _legend_below(
    fig: Figure, ax: Axes, handles: Sequence[Any], labels: Sequence[str], own: bool
) -> None:
    """Legend under the plot on a figure of our own (never over data), else in the Axes."""
    if own:
        columns = 1 if max((len(t) for t in labels), default=0) > 40 else 2
        # The page grows by the legend's rows, so the plot keeps its size.
        rows = math.ceil(len(labels) / columns)
        extra = rows * float(plt.rcParams["legend.fontsize"]) * 1.6 / 72 + 0.2
        width, height = fig.get_size_inches()
        fig.set_size_inches(width, height + extra)
        fig.legend(handles, labels, loc="outside lower left", ncols=columns, frameon=False,
                   fontsize="small")  # fmt: skip
    else:
        ax.legend(handles, labels, loc="upper left", frameon=False, fontsize="x-small")


def completions_chart(
    result: Result,
    *,
    parks: pd.DataFrame | None = None,
    draw: int = 0,
    lang: Lang = "zh",
    size: PaperSize = "A4",
    ax: Axes | None = None,
) -> tuple[Figure, Axes]:
    """Floor completed each year, stacked by park, with the yearly total above each bar.

    The first year's bar is the floor completed by the end of the base year (it
    includes projects already under way before it).

    Parameters
    ----------
    result
        The simulation outcome.
    parks
        Table with ``park_id, name_zh, name_en`` for the legend; ids without it.
    draw
        Monte Carlo draw.
    lang
        ``"zh"``, ``"en"`` or ``"both"``.
    size
        ``"A4"`` or ``"A3"``.
    ax
        Axes to draw on; a new figure if None.

    Returns
    -------
    tuple of (Figure, Axes)
        One bar per park and year (gid ``"completions-<park_id>"``), parks stacked
        in order from the bottom; totals are texts with gid ``"completions-total"``.

    Raises
    ------
    ValueError
        If ``draw`` is out of range.
    """
    lang = check_lang(lang)
    if not 0 <= draw < result.draws:
        raise ValueError(f"draw must be in 0…{result.draws - 1}; got {draw}")
    stock = result.by_park(_COMPLETED)[draw] / _WAN  # (Y, K)
    added = np.diff(stock, axis=0, prepend=0.0)
    names = _park_names(result.park_ids, parks, lang)
    with style_context(size):
        own = ax is None
        fig, ax = chart_axes(ax, size, aspect=0.62)
        bottom = np.zeros(result.years.size)
        for k, park in enumerate(result.park_ids):
            bars = ax.bar(
                result.years,
                added[:, k],
                bottom=bottom,
                color=park_colour(k),
                width=0.72,
                edgecolor="white",
                linewidth=0.4,
                label=names[k],
                gid=f"completions-{park}",
            )
            for bar in bars:
                bar.set_gid(f"completions-{park}")
            bottom = bottom + added[:, k]
        for year, total in zip(result.years, bottom, strict=True):
            ax.annotate(
                f"{total:,.0f}",
                xy=(float(year), float(total)),
                xytext=(0, 2),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontsize="small",
                gid="completions-total",
            )
        ax.set_ylabel(
            unit_label("当年竣工面积", "Floor completed in the year", "wan_m2", lang, sep="\n")
        )
        ax.set_xticks(result.years)
        ax.set_xlabel(label("年份", "Year", lang))
        ax.set_ylim(0.0, max(float(bottom.max(initial=0.0)), 1e-9) * 1.12)
        ax.set_title(
            label("每年竣工建筑面积（按园区）", "Floor completed each year, by park", lang),
            loc="left",
        )
        light_grid(ax)
        handles, labels = ax.get_legend_handles_labels()
        _legend_below(fig, ax, handles[::-1], labels[::-1], own)
    return fig, ax


def _policy_path(
    scenario: Scenario, years: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64], float, int, float] | None:
    """Trace the plan's revenue path from ``[benchmarks.base_revenue]`` (亿元).

    It runs from the base year to the last year of a total revenue target (the
    plan's own horizon; growth beyond it is not the plan's), else to the horizon.
    """
    from sim.scenario import Metric

    base = scenario.benchmarks.base_revenue
    if base is None or base.year is None or base.growth is None:
        return None
    goals = [t.year for t in scenario.targets if t.metric is Metric.REVENUE and t.park == _TOTAL]
    end = max(goals) if goals else int(years[-1])
    span = np.arange(min(base.year, int(years[0])), end + 1, dtype=np.int64)
    values = np.asarray(base.value * (1.0 + base.growth) ** (span - base.year) / _YI, dtype=float)
    return span, values, base.value / _YI, int(base.year), float(base.growth)


def revenue_chart(
    result: Result,
    scenario: Scenario,
    *,
    ensemble: Ensemble | None = None,
    parks: pd.DataFrame | None = None,
    draw: int = 0,
    lang: Lang = "zh",
    size: PaperSize = "A4",
    ax: Axes | None = None,
) -> tuple[Figure, Axes]:
    """Chart simulated revenue per year, stacked by park, against the policy's path.

    The policy path starts at ``[benchmarks.base_revenue]`` in its year (Qingdao: 395
    亿元 in 2011) and grows at its ``growth`` (40 % a year); it is city-wide software
    revenue, while the simulation counts the revenue of the parks' new floor, so the
    gap is what the rest of the city would have to bring. Revenue targets on the
    total are black circles (filled if met). Without a base revenue the path is
    left out.

    Parameters
    ----------
    result
        The simulation outcome.
    scenario
        The scenario simulated (its ``[benchmarks]`` and targets).
    ensemble
        A Monte Carlo run: adds the P10–P90 band of total revenue.
    parks
        Table with ``park_id, name_zh, name_en`` for the legend.
    draw, lang, size, ax
        As in :func:`completions_chart`.

    Returns
    -------
    tuple of (Figure, Axes)
        The policy path has gid ``"policy-path"``, the stacked areas
        ``"revenue-<park_id>"``, the targets ``"revenue-target"``.
    """
    from sim.scenario import Metric

    lang = check_lang(lang)
    if not 0 <= draw < result.draws:
        raise ValueError(f"draw must be in 0…{result.draws - 1}; got {draw}")
    revenue = result.by_park("revenue_cny")[draw] / _YI  # (Y, K)
    names = _park_names(result.park_ids, parks, lang)
    path = _policy_path(scenario, result.years)
    with style_context(size):
        own = ax is None
        fig, ax = chart_axes(ax, size, aspect=0.62)
        ax.text(
            0.0,
            1.0,
            label(
                "政策路径为全市软件业务收入；模拟值为各园区新增楼面的收入",
                "The policy path is city-wide software revenue; the simulation counts the parks' "
                "new floor only",
                lang,
                sep="\n",
            ),
            transform=ax.transAxes,
            ha="left",
            va="bottom",
            fontsize="small",
            color="#555555",
            gid="revenue-note",
        )
        ax.stackplot(
            result.years,
            revenue.T,
            colors=[park_colour(k) for k in range(len(result.park_ids))],
            labels=names,
            alpha=0.9,
            linewidth=0.0,
        )
        for k, collection in enumerate(ax.collections[-len(result.park_ids) :]):
            collection.set_gid(f"revenue-{result.park_ids[k]}")
        total = revenue.sum(axis=1)
        ax.plot(
            result.years,
            total,
            color="#333333",
            linewidth=1.0,
            gid="revenue-total",
            label=label("六园区合计（模拟）", "parks' total (simulated)", lang)
            if len(result.park_ids) == 6
            else label("各园区合计（模拟）", "parks' total (simulated)", lang),
        )
        if ensemble is not None:
            low, high = np.percentile(
                ensemble.by_park("revenue_cny").sum(axis=2) / _YI, [10, 90], axis=0
            )
            ax.fill_between(
                ensemble.years,
                low,
                high,
                facecolor=_BAND_EDGE,
                alpha=0.25,
                edgecolor="black",
                linestyle=":",
                linewidth=0.9,
                zorder=3,
                gid="revenue-band",
                label=label(
                    f"合计 P10–P90（{ensemble.draws:,} 次模拟）",
                    f"total P10–P90 ({ensemble.draws:,} runs)",
                    lang,
                ),
            )
        top = float(total.max(initial=0.0))
        if path is not None:
            span, values, base, base_year, growth = path
            ax.plot(
                span,
                values,
                color=TARGET_COLOUR,
                linestyle="--",
                linewidth=1.2,
                marker="o",
                markersize=3,
                gid="policy-path",
                label=label(
                    f"政策路径：{base_year}年 {base:,.0f} 亿元，年增 {growth:.0%}",
                    f"policy path: {base:,.0f} × 10⁸ CNY in {base_year}, +{growth:.0%}/yr",
                    lang,
                ),
            )
            top = max(top, float(values.max()))
        shown_target = False
        for target in scenario.targets:
            if target.metric is not Metric.REVENUE or target.park != _TOTAL:
                continue
            at = np.flatnonzero(result.years == target.year)
            met = bool(at.size and total[at[0]] >= target.value / _YI * (1 - 1e-9))
            ax.plot(
                [target.year],
                [target.value / _YI],
                marker="o",
                markersize=7,
                color=TARGET_COLOUR,
                markerfacecolor=TARGET_COLOUR if met else "white",
                linestyle="none",
                zorder=5,
                gid="revenue-target",
                label=None
                if shown_target
                else label("收入目标（实心：已达成）", "revenue target (filled: met)", lang),
            )
            ax.annotate(
                f"{target.value / _YI:,.0f}",
                xy=(target.year, target.value / _YI),
                xytext=(6, 0),
                textcoords="offset points",
                va="center",
                fontsize="small",
            )
            shown_target = True
            top = max(top, target.value / _YI)
        ax.set_ylim(0.0, top * 1.1 if top > 0 else 1.0)
        ax.set_ylabel(unit_label("业务收入", "Revenue", "yi_cny", lang, sep="\n"))
        ax.set_xlabel(label("年份", "Year", lang))
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        note_lines = 2 if lang == "both" else 1
        ax.set_title(
            label("业务收入：模拟与政策增长路径", "Revenue: simulated and the policy's path", lang),
            loc="left",
            pad=4.0 + 1.5 * note_lines * float(plt.rcParams["legend.fontsize"]),
        )
        light_grid(ax)
        handles, labels = ax.get_legend_handles_labels()
        n_parks = len(result.park_ids)
        # Parks listed top to bottom as they are stacked.
        order = [*range(n_parks - 1, -1, -1), *range(n_parks, len(handles))]
        _legend_below(fig, ax, [handles[i] for i in order], [labels[i] for i in order], own)
    return fig, ax
