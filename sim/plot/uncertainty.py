"""Charts of a Monte Carlo run: fan charts of floor built, and P(target met) by year.

In: an :class:`~sim.result.Ensemble` (per-park series for every draw) and the
scenario's targets (fan chart), or the :class:`~sim.outcome.Outcome` of a Monte Carlo
run, whose P(target met) by year it computed (probability chart). Out: matplotlib
figures in the house style (:mod:`sim.plot.style`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator, PercentFormatter

from sim.plot.charts import _panel_axes, _panel_titles
from sim.plot.figure import light_grid
from sim.plot.style import (
    TARGET_COLOUR,
    Lang,
    PaperSize,
    label,
    page,
    park_colour,
    style_context,
    unit_label,
)
from sim.result import Ensemble
from sim.scenario import Metric, Target

if TYPE_CHECKING:
    import numpy.typing as npt
    import pandas as pd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from sim.outcome import Outcome

__all__ = ["fan_chart", "probability_chart"]

_WAN = 1e4
_BAND = "#9DB7D5"
_MEDIAN = "#0B2A55"

_METRIC_STYLES: dict[Metric, str | tuple[int, tuple[int, ...]]] = {
    Metric.FLOOR_COMPLETED: "-",
    Metric.FLOOR_UNDER_CONSTRUCTION: (0, (5, 2)),
    Metric.FLOOR_STARTED: (0, (5, 2, 1, 2)),
    Metric.FLOOR_OCCUPIED: (0, (1, 1)),
    Metric.REVENUE: "--",
    Metric.WORKERS: ":",
}

_METRIC_LABELS: dict[Metric, tuple[str, str]] = {
    Metric.FLOOR_COMPLETED: ("竣工", "completed"),
    Metric.FLOOR_UNDER_CONSTRUCTION: ("在建", "under construction"),
    Metric.FLOOR_STARTED: ("已开工", "started"),
    Metric.FLOOR_OCCUPIED: ("入驻", "occupied"),
    Metric.REVENUE: ("收入", "revenue"),
    Metric.WORKERS: ("从业人员", "workers"),
    Metric.FIRMS: ("企业数", "firms"),
}


def fan_chart(
    ensemble: Ensemble,
    targets: Sequence[Target] = (),
    *,
    parks: pd.DataFrame | None = None,
    lang: Lang = "zh",
    size: PaperSize = "A4",
    ax: Axes | Sequence[Axes] | None = None,
) -> tuple[Figure, Axes | npt.NDArray[np.object_]]:
    """Cumulative floor completed across draws: P10–P90 band, median, targets.

    Parameters
    ----------
    ensemble
        A Monte Carlo run.
    targets
        The scenario's targets; those on floor completed are drawn as dashed lines
        at their value, with a marker at their year.
    parks
        Table with ``park_id, name_zh, name_en`` for panel titles.
    lang
        ``"zh"``, ``"en"`` or ``"both"``.
    size
        ``"A4"`` or ``"A3"`` type sizes.
    ax
        One Axes (the total only) or one per park plus the total; new figure if None.

    Returns
    -------
    (Figure, Axes or array of Axes)
    """
    completed = ensemble.by_park("floor_completed_m2") / _WAN
    completed = np.concatenate([completed, completed.sum(axis=2, keepdims=True)], axis=2)
    panel_ids = [*ensemble.park_ids, "total"]
    titles = [*_panel_titles(ensemble.park_ids, parks, lang), label("合计", "Total", lang)]
    p10, p50, p90 = np.percentile(completed, [10, 50, 90], axis=0)  # (Y, K+1)
    with style_context(size):
        fig, axes, spare, single = _panel_axes(ax, len(panel_ids))
        panels = [len(panel_ids) - 1] if single else list(range(len(panel_ids)))
        for axis, k in zip(axes, panels, strict=True):
            axis.fill_between(ensemble.years, p10[:, k], p90[:, k], color=_BAND, linewidth=0)
            axis.plot(ensemble.years, p50[:, k], color=_MEDIAN, linewidth=1.5)
            for target in targets:
                if target.metric is Metric.FLOOR_COMPLETED and target.park == panel_ids[k]:
                    axis.axhline(target.value / _WAN, color=TARGET_COLOUR, ls="--", lw=0.8)
                    axis.plot([target.year], [target.value / _WAN], "o", color=TARGET_COLOUR,
                              markerfacecolor="white")  # fmt: skip
            axis.set_title(titles[k], fontsize="medium")
            axis.set_ylim(bottom=0)
            axis.xaxis.set_major_locator(MaxNLocator(nbins=4, integer=True))
            spec = axis.get_subplotspec()
            if spec is None or spec.is_first_col():
                axis.set_ylabel(unit_label("竣工面积", "Floor completed", "wan_m2", lang, sep="\n"))
        handles = [
            Patch(color=_BAND, label=label("P10–P90 区间", "P10–P90 range", lang)),
            Line2D([], [], color=_MEDIAN, lw=1.5, label=label("中位数", "median", lang)),
            Line2D(
                [],
                [],
                color=TARGET_COLOUR,
                ls="--",
                marker="o",
                markerfacecolor="white",
                label=label("竣工目标", "target", lang),
            ),
        ]
        if single:
            axes[0].legend(handles=handles, loc="upper left", frameon=False)
        else:
            fig.suptitle(
                label(
                    f"竣工面积的不确定性（{ensemble.draws:,} 次模拟）",
                    f"Floor completed, {ensemble.draws:,} simulations",
                    lang,
                )
            )
            if spare is not None:
                legend = spare.legend(handles=handles, loc="upper left", frameon=False)
                legend.set_in_layout(False)
            else:
                fig.legend(handles=handles, loc="outside lower center", ncols=3, frameon=False)
    if single:
        return fig, axes[0]
    return fig, np.asarray(axes, dtype=object)


def probability_chart(
    outcome: Outcome,
    *,
    lang: Lang = "zh",
    size: PaperSize = "A4",
    ax: Axes | None = None,
) -> tuple[Figure, Axes]:
    """P(target met) by year: for each target, the share of draws reaching its value.

    Parameters
    ----------
    outcome
        A Monte Carlo run (``draws > 1``): each of its scenario's targets becomes one
        line of ``outcome.probability_by_year``, with a marker at the target's own
        year; the site's parks name them in the legend.
    lang
        ``"zh"``, ``"en"`` or ``"both"``.
    size
        ``"A4"`` or ``"A3"`` type sizes.
    ax
        Axes to draw on; a new figure if None.

    Returns
    -------
    (Figure, Axes)

    Raises
    ------
    ValueError
        If the outcome has no ensemble.
    """
    ensemble, chances = outcome.ensemble, outcome.probability_by_year
    if ensemble is None or chances is None:
        raise ValueError(
            "probability_chart needs a Monte Carlo run; compute the outcome with draws > 1"
        )
    targets = outcome.scenario.targets
    names = _panel_titles(ensemble.park_ids, outcome.site.parks, lang)
    with style_context(size):
        if ax is None:
            # One legend row per target below the plot: the page grows with them.
            width = page(size).width
            small = float(plt.rcParams["legend.fontsize"])
            rows = len(targets)
            height = min(0.55 * width + rows * small * 1.7 / 72 + 0.4, page(size).max_height)
            fig, ax = plt.subplots(layout="constrained", figsize=(width, height))
            own = True
        else:
            fig = ax.figure  # type: ignore[assignment]
            own = False
        for target, chance in zip(targets, chances, strict=True):
            where = (
                label("合计", "total", lang)
                if target.park == "total"
                else names[ensemble.park_ids.index(target.park)]
            )
            zh, en = _METRIC_LABELS[target.metric]
            # Colour says where (the park, black for the total), line style what.
            colour = (
                TARGET_COLOUR
                if target.park == "total"
                else park_colour(ensemble.park_ids.index(target.park))
            )
            ax.plot(
                ensemble.years,
                chance,
                color=colour,
                lw=1.3,
                linestyle=_METRIC_STYLES.get(target.metric, "-"),
                label=f"{where} · {label(zh, en, lang)} {_value_text(target, lang)}".replace(
                    "\n", " "
                ),
            )
            at = int(np.flatnonzero(ensemble.years == target.year)[0])
            ax.plot([target.year], [chance[at]], "o", color=colour)
        ax.set_ylim(-0.02, 1.02)
        ax.yaxis.set_major_formatter(PercentFormatter(xmax=1.0))
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel(label("达成概率", "P(target met)", lang))
        ax.set_title(
            label(
                f"目标达成概率（{ensemble.draws:,} 次模拟；圆点为目标年）",
                f"Probability of meeting each target ({ensemble.draws:,} runs; dot = target year)",
                lang,
                sep="\n",
            ),
            loc="left",
        )
        light_grid(ax)
        if own:
            fig.legend(loc="outside lower left", frameon=False, ncols=1, fontsize="small")
        else:
            ax.legend(loc="upper left", frameon=False, fontsize="x-small")
    return fig, ax


def _value_text(target: Target, lang: Lang = "zh") -> str:
    english = lang == "en"
    if target.metric is Metric.REVENUE:
        return f"≥ {target.value / 1e8:,.0f} " + ("× 10⁸ CNY" if english else "亿元")
    if target.metric is Metric.WORKERS:
        return f"≥ {target.value:,.0f}"
    if target.metric is Metric.FIRMS:
        above = (
            ""
            if not target.threshold
            else (f" (≥ {target.threshold / 1e8:,.0f} " + ("× 10⁸ CNY)" if english else "亿元)"))
        )
        return f"≥ {target.value:,.0f}{above}"
    return f"≥ {target.value / _WAN:,.0f} " + ("× 10⁴ m²" if english else "万m²")
