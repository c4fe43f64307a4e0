"""Charts of a Result: floor area built over time, per park and in total, against targets.

In: a :class:`~sim.result.Result` and, optionally, the target table made by
:mod:`sim.targets` (columns ``metric, park_id, year, target, projected, met``,
values in m²). Out: a matplotlib Figure with one small panel per park and one
for the total. Floor is shown in 万m² (10⁴ m²), the unit the plans use.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from sim.plot.figure import root_figure
from sim.plot.style import (
    STATUS_COLOURS,
    TARGET_COLOUR,
    Lang,
    PaperSize,
    label,
    style_context,
)
from sim.result import Result, Status

if TYPE_CHECKING:
    import numpy.typing as npt
    import pandas as pd
    from matplotlib.figure import Figure

__all__ = ["floor_chart"]

_WAN = 1e4  # m² per 万m²
_COMPLETED = "floor_completed_m2"
_UNDER_CONSTRUCTION = "floor_under_construction_m2"
_TOTAL = "total"


def floor_chart(
    result: Result,
    targets: pd.DataFrame | None = None,
    *,
    parks: pd.DataFrame | None = None,
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
    dotted lines give the P10 and P90 of floor completed across draws.

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
    if not 0 <= draw < result.draws:
        raise ValueError(f"draw must be in 0…{result.draws - 1}; got {draw}")
    panel_ids = [*result.park_ids, _TOTAL]
    target_rows = _check_targets(targets, panel_ids)
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
            )
            axis.set_title(titles[k] if k < len(titles) else label("合计", "Total", lang))
        y_label = label("建筑面积（万m²）", "Floor area (万m²)", lang, sep="\n")
        handles = _legend_handles(result.draws > 1, target_rows is not None, lang)
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
    return [
        label(str(names.at[p, "name_zh"]), str(names.at[p, "name_en"]), lang)
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
    ax.grid(axis="y", color="#DDDDDD", linewidth=0.5)
    ax.set_axisbelow(True)


def _legend_handles(uncertain: bool, with_targets: bool, lang: Lang) -> list[Patch | Line2D]:
    handles: list[Patch | Line2D] = [
        Patch(facecolor=STATUS_COLOURS[Status.COMPLETED], label=label("已竣工", "completed", lang)),
        Patch(
            facecolor=STATUS_COLOURS[Status.UNDER_CONSTRUCTION],
            alpha=0.55,
            label=label("在建", "under construction", lang),
        ),
    ]
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
