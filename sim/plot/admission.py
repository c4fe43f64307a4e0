"""Figures of the admission gate: the applicants' pledges as a cloud, floor admitted by year.

``applicants.csv``-shaped tables in (:func:`sim.applicants.table`,
:func:`sim.applicants.by_park_year`, carried by the Outcome), figures out; nothing is
computed here beyond what is drawn.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import numpy as np

from sim.plot.figure import chart_axes, light_grid
from sim.plot.style import TARGET_COLOUR, Lang, PaperSize, label, style_context

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["admitted_floor_chart", "applicant_scatter"]

ADMITTED_COLOUR = "#1B7837"
REJECTED_COLOUR = "#B2182B"


def applicant_scatter(
    applicants: pd.DataFrame,
    *,
    investment_min: float | None,
    revenue_min: float | None,
    lang: Lang = "zh",
    size: PaperSize = "A4",
    ax: Axes | None = None,
) -> tuple[Figure, Axes]:
    """Every applicant's pledges, admitted and rejected, with the thresholds.

    Parameters
    ----------
    applicants
        :func:`sim.applicants.table` (``investment_intensity_wan_per_ha``,
        ``revenue_density_yi_per_ha``, ``admitted``, ``land_m2``).
    investment_min, revenue_min
        Thresholds in 万元/ha and 亿元/ha (None: not drawn).
    lang, size
        Labels and paper size.
    ax
        Axes to draw on; a new figure is made if omitted.

    Returns
    -------
    tuple of (Figure, Axes)
        Collections with gids ``"admitted"`` and ``"rejected"`` (one offset per
        applicant, marker area ∝ land); threshold lines ``"investment-threshold"`` and
        ``"revenue-threshold"``.
    """
    x = applicants["investment_intensity_wan_per_ha"].to_numpy(dtype=float)
    y = applicants["revenue_density_yi_per_ha"].to_numpy(dtype=float)
    ok = applicants["admitted"].to_numpy(dtype=bool)
    land_ha = applicants["land_m2"].to_numpy(dtype=float) / 1e4
    area = 6.0 + 6.0 * np.sqrt(np.maximum(land_ha, 0.0))
    with style_context(size):
        fig, ax = chart_axes(ax, size, aspect=0.75)
        for mask, colour, gid, zh, en in (
            (ok, ADMITTED_COLOUR, "admitted", "准入", "admitted"),
            (~ok, REJECTED_COLOUR, "rejected", "未准入", "rejected"),
        ):
            ax.scatter(
                x[mask],
                y[mask],
                s=area[mask] ** 2 / 4,
                facecolors="none",
                edgecolors=colour,
                linewidths=0.9,
                alpha=0.85,
                gid=gid,
                label=label(f"{zh}（{int(mask.sum())} 个项目）", f"{en} ({int(mask.sum())})", lang),
            )
        dashed: Literal["--"] = "--"
        if investment_min is not None and np.isfinite(investment_min):
            ax.axvline(
                investment_min,
                color=TARGET_COLOUR,
                linestyle=dashed,
                lw=0.8,
                gid="investment-threshold",
            )
        if revenue_min is not None and np.isfinite(revenue_min):
            ax.axhline(
                revenue_min, color=TARGET_COLOUR, linestyle=dashed, lw=0.8, gid="revenue-threshold"
            )
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel(
            label("承诺投资强度（万元/公顷）", "Pledged investment intensity (10⁴ CNY/ha)", lang)
        )
        ax.set_ylabel(
            label(
                "承诺业务收入（亿元/公顷，基年价格）",
                "Pledged revenue density (10⁸ CNY/ha, base-year prices)",
                lang,
                sep="\n",
            )
        )
        ax.set_title(
            label("申请项目与准入门槛", "Applicants against the admission thresholds", lang)
        )
        ax.legend(
            loc="upper left",
            frameon=False,
            title=label("标记大小 ∝ 用地", "marker size ∝ land", lang),
        )
        light_grid(ax, axis="both", which="both")
    return fig, ax


def admitted_floor_chart(
    by_year: pd.DataFrame,
    *,
    lang: Lang = "zh",
    size: PaperSize = "A4",
    ax: Axes | None = None,
) -> tuple[Figure, Axes]:
    """Planned floor admitted and lost to the city each year (all parks), stacked bars.

    An applicant rejected at its park and admitted at a fallback park counts as
    admitted; "turned away" is what left the city.

    Parameters
    ----------
    by_year
        :func:`sim.applicants.by_park_year` (``year, floor_planned_admitted_m2,
        floor_planned_leaked_m2``).
    lang, size
        Labels and paper size.
    ax
        Axes to draw on; a new figure is made if omitted.

    Returns
    -------
    tuple of (Figure, Axes)
        Bars (one per year) with gids ``"admitted"`` and ``"rejected"`` (万 m² per year).
    """
    years = np.unique(by_year["year"].to_numpy())
    grouped = by_year.groupby("year")
    admitted = grouped["floor_planned_admitted_m2"].sum().reindex(years).to_numpy() / 1e4
    rejected = grouped["floor_planned_leaked_m2"].sum().reindex(years).to_numpy() / 1e4
    with style_context(size):
        fig, ax = chart_axes(ax, size, aspect=0.6)
        bars = ax.bar(years, admitted, color=ADMITTED_COLOUR, label=label("准入", "admitted", lang))
        for patch in bars:
            patch.set_gid("admitted")
        turned = ax.bar(
            years,
            rejected,
            bottom=admitted,
            color=REJECTED_COLOUR,
            label=label("未准入，离开本市", "turned away, left the city", lang),
        )
        for patch in turned:
            patch.set_gid("rejected")
        ax.set_ylabel(label("规划建筑面积（万平方米/年）", "Planned floor (10⁴ m²/yr)", lang))
        ax.set_title(
            label(
                "申请项目规划建筑面积：准入与未准入",
                "Applicants' planned floor: admitted and turned away",
                lang,
            )
        )
        ax.set_xticks(years)
        ax.legend(loc="upper left", frameon=False)
        light_grid(ax)
    return fig, ax
