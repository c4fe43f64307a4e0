"""The fiscal chart: outlays against local tax and land revenue, with the cumulative net.

In: the ledger table of an Outcome (``Outcome.fiscal.table``, the rows of
``fiscal.csv``: ``year, park_id, item, kind, value_cny, basis`` and, with draws,
``value_cny_p10/_p50/_p90``). Out: one matplotlib Figure in the house style: per year,
outlays stacked below zero by incentive kind, local tax and net land revenue stacked
above it (亿元), and the cumulative net as a line (with its P10–P90 band over the draws).
Nothing is computed here but sums of the table's rows for one park.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.plot.figure import chart_axes, light_grid
from sim.plot.style import (
    TARGET_COLOUR,
    Lang,
    PaperSize,
    check_lang,
    label,
    style_context,
    unit_label,
)

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["KIND_LABELS", "fiscal_chart"]

_YI = 1e8  # CNY per 亿元

#: Legend labels of the ledger's kinds (Chinese, English) and their colours.
KIND_LABELS: dict[str, tuple[str, str, str]] = {
    "milestone_award": ("营收奖励", "revenue awards", "#B2182B"),
    "one_off_award": ("一次性奖励", "one-off awards", "#D6604D"),
    "rent_subsidy": ("房租扶持", "rent support", "#F4A582"),
    "interest_subsidy": ("贷款贴息", "interest subsidy", "#8C510A"),
    "equity_injection": ("注资", "equity", "#BF812D"),
    "project_grant": ("项目资助", "project grants", "#DFC27D"),
    "trainee_grant": ("培训补贴", "training grants", "#C51B7D"),
    "procurement": ("采购补助", "procurement", "#DE77AE"),
    "land_concession": ("按工业用地出让（让利）", "land sold below market", "#762A83"),
    "tax": ("地方税收", "local tax", "#2166AC"),
    "land": ("土地净收益", "net land revenue", "#5AAE61"),
}


def fiscal_chart(
    table: pd.DataFrame,
    *,
    park: str = "total",
    lang: Lang = "zh",
    size: PaperSize = "A4",
    ax: Axes | None = None,
) -> tuple[Figure, Axes]:
    """Outlays against local tax and land revenue per year, with the cumulative net.

    Parameters
    ----------
    table
        The ledger table (``Outcome.fiscal.table``).
    park
        A park id, or ``"total"``.
    lang
        ``"zh"``, ``"en"`` or ``"both"``.
    size
        ``"A4"`` or ``"A3"``.
    ax
        Axes to draw on; a new figure if None.

    Returns
    -------
    tuple of (Figure, Axes)
        Bars with gid ``"fiscal-<kind>"`` (outlays negative, revenue positive), the line
        ``"fiscal-cumulative-net"`` and, with draws, the band ``"fiscal-cumulative-band"``.

    Raises
    ------
    ValueError
        If ``park`` has no rows in the table.
    """
    lang = check_lang(lang)
    rows = table[table["park_id"] == park]
    if rows.empty:
        raise ValueError(f"park {park!r} has no rows in the ledger; use a park id or 'total'")
    years = np.sort(rows["year"].unique())
    items = rows[rows["kind"] != "summary"]
    by_kind = items.pivot_table(
        index="year", columns="kind", values="value_cny", aggfunc="sum", sort=False
    ).reindex(years, fill_value=0.0)
    summary = rows[rows["kind"] == "summary"].set_index(["item", "year"])
    with style_context(size):
        fig, ax = chart_axes(ax, size, aspect=0.62)
        below = np.zeros(years.size)
        above = np.zeros(years.size)
        for kind, (zh, en, colour) in KIND_LABELS.items():
            if kind not in by_kind:
                continue
            values = by_kind[kind].to_numpy() / _YI
            if not np.any(values):
                continue
            base = np.where(values < 0, below, above)
            ax.bar(years, values, bottom=base, width=0.72, color=colour, edgecolor="white",
                   linewidth=0.4, label=label(zh, en, lang), gid=f"fiscal-{kind}")  # fmt: skip
            below = below + np.minimum(values, 0.0)
            above = above + np.maximum(values, 0.0)
        cumulative = summary.loc["cumulative_net"]
        ax.plot(years, cumulative["value_cny"].to_numpy() / _YI, color=TARGET_COLOUR,
                marker="o", markersize=3, linewidth=1.4, gid="fiscal-cumulative-net",
                label=label("累计净收益", "cumulative net", lang))  # fmt: skip
        if "value_cny_p10" in cumulative:
            band = label("累计净收益 P10–P90", "cumulative net P10–P90", lang)
            ax.fill_between(years, cumulative["value_cny_p10"].to_numpy() / _YI,
                            cumulative["value_cny_p90"].to_numpy() / _YI, color=TARGET_COLOUR,
                            alpha=0.15, linewidth=0, gid="fiscal-cumulative-band",
                            label=band)  # fmt: skip
        ax.axhline(0.0, color="black", linewidth=0.6)
        ax.set_xticks(years)
        ax.set_xlabel(label("年份", "Year", lang))
        ax.set_ylabel(unit_label("财政收支", "Budget flows", "yi_cny", lang, sep="\n"))
        title = label("政策支出与税收、土地收入", "Outlays against tax and land revenue", lang)
        ax.set_title(title if park == "total" else f"{title} · {park}", loc="left")
        light_grid(ax)
        ax.legend(loc="upper left", fontsize="x-small", ncols=2, frameon=False)
    return fig, ax
