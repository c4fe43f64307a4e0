"""Figures of the admission rules: a compliance map and an intensity–density scatter.

In: an :class:`~sim.outcome.Outcome` (for the map: its site, the compliance class of
every parcel and year it computed, the scenario's thresholds), or the per-parcel
table of :func:`sim.rules.admission` (``outcome.rules.admission``, for the scatter).
Out: matplotlib Figure and Axes in the house style (:mod:`sim.plot.style`); the map is
drawn in the house map frame (:func:`sim.plot.frame.parcel_map`: base map, park
outlines, legend, north arrow, scale bar).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from sim.plot.figure import chart_axes, light_grid
from sim.plot.frame import DEFAULT_OPTIONS, MapOptions, parcel_map
from sim.plot.layers import in_park, layers_of, park_name
from sim.plot.primitives import SWATCH_EDGE
from sim.plot.style import (
    COMPLIANCE_COLOURS,
    TARGET_COLOUR,
    Lang,
    PaperSize,
    label,
    park_colour,
    style_context,
)
from sim.rules import CNY_PER_M2_PER_YI_PER_HA, Compliance

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from sim.outcome import Outcome
    from sim.scenario import Rules

__all__ = ["compliance_map", "rule_scatter"]

#: Marker per park (cycled): distinct outlines stay apart where parks share a point.
_MARKERS = ("o", "s", "^", "D", "v", "p", "h")


def compliance_map(
    outcome: Outcome,
    *,
    year: int | None = None,
    park: str | None = None,
    options: MapOptions = DEFAULT_OPTIONS,
    ax: Axes | None = None,
) -> tuple[Figure, Axes]:
    """Map every parcel by its standing against the admission rules in one year.

    A parcel with completed floor is coloured by whether its investment to date and
    that year's revenue meet the scenario's thresholds (both, one, neither); a parcel
    with none yet is "not yet built" — the classes the outcome computed
    (:meth:`~sim.outcome.Outcome.classes_in`, see :func:`sim.rules.compliance_classes`).

    Parameters
    ----------
    outcome
        The run (:func:`sim.outcome.compute`).
    year
        Year to show; default the horizon.
    park
        Show one park (zoomed, with a locator inset); default the whole site.
    options
        Label language, paper size and the date in the source line.
    ax
        Axes to draw on; a new figure is made if omitted.

    Returns
    -------
    tuple of (Figure, Axes)
        The parcel collection has gid ``"parcels"``; each legend entry counts its
        parcels (in the park shown, or the whole site).

    Raises
    ------
    ValueError
        If the site's parcels do not match ``outcome.result.parcel_ids``.
    KeyError
        If ``year`` is outside the simulated years or ``park`` is not in the site.
    """
    result, rules, lang = outcome.result, outcome.scenario.rules, options.lang
    layers = layers_of(outcome, park)
    shown_year = int(result.years[-1]) if year is None else year
    codes = outcome.classes_in(shown_year)
    lookup = np.array([COMPLIANCE_COLOURS[c] for c in Compliance], dtype=object)
    counts = np.bincount(codes[in_park(layers, park)], minlength=len(Compliance))
    handles = [
        Patch(
            facecolor=COMPLIANCE_COLOURS[c],
            edgecolor=SWATCH_EDGE,
            linewidth=0.4,
            label=f"{label(c.label_zh, c.label_en, lang, sep=chr(10))} ({counts[c]})",
        )
        for c in reversed(Compliance)
    ]
    inv_value, rev_value = _thresholds(rules)
    inv_min = "—" if np.isnan(inv_value) else f"{inv_value:,.0f}"  # — : not assessed
    rev_min = "—" if np.isnan(rev_value) else f"{rev_value:g}"
    where = f"{park_name(layers, park, lang)} · " if park is not None else ""
    return parcel_map(
        outcome.site,
        list(lookup[codes]),
        title=where
        + label(
            f"{shown_year}年地块准入指标达标情况",
            f"Admission rules by parcel, {shown_year}",
            lang,
        ),
        subtitle=label(
            f"投资强度 ≥ {inv_min} 万元/公顷，业务收入 ≥ {rev_min} 亿元/公顷（当年）",
            f"investment ≥ {inv_min} × 10⁴ CNY/ha, revenue ≥ {rev_min} × 10⁸ CNY/ha (that year)",
            lang,
            sep="\n",
        )
        + f"\n{result.scenario_name}",
        legend_title=label("准入指标", "Admission rules", lang),
        handles=handles,
        park=park,
        options=options,
        ax=ax,
    )


def rule_scatter(
    table: pd.DataFrame,
    rules: Rules,
    *,
    parks: pd.DataFrame | None = None,
    lang: Lang = "zh",
    size: PaperSize = "A4",
    ax: Axes | None = None,
) -> tuple[Figure, Axes]:
    """Investment intensity at completion against revenue density at maturity, per parcel.

    One hollow marker per parcel, coloured (and shaped) by park; dashed lines mark
    the two admission thresholds, the shaded band is where a rule fails, and a note
    counts the parcels meeting both, investment only, and neither. Parcels of a park
    that share its assumptions and plot ratio fall on the same point; each park has
    its own marker shape and size, so coinciding parks stay visible.

    Parameters
    ----------
    table
        The per-parcel table of :func:`sim.rules.admission` (columns ``park_id,
        investment_intensity_wan_per_ha, revenue_density_yi_per_ha``).
    rules
        The scenario's ``[rules]`` (the thresholds).
    parks
        Table with ``park_id, name_zh, name_en`` for the legend; ids without it.
    lang
        Language of the labels.
    size
        Paper size, ``"A4"`` or ``"A3"``.
    ax
        Axes to draw on; a new figure is made if omitted.

    Returns
    -------
    tuple of (Figure, Axes)
        One scatter collection per park, gid ``"parcels-<park_id>"``, with one offset
        per parcel; the threshold
        lines have gids ``"investment-threshold"`` and ``"revenue-threshold"``.

    Raises
    ------
    ValueError
        If ``table`` lacks a column.
    """
    needed = {"park_id", "investment_intensity_wan_per_ha", "revenue_density_yi_per_ha"}
    missing = needed - set(table.columns)
    if missing:
        raise ValueError(
            f"table lacks columns {sorted(missing)}; make it with sim.rules.admission()"
        )
    x = table["investment_intensity_wan_per_ha"].to_numpy(dtype=float)
    y = table["revenue_density_yi_per_ha"].to_numpy(dtype=float)
    x_rule, y_rule = _thresholds(rules)
    has_x, has_y = bool(np.isfinite(x_rule)), bool(np.isfinite(y_rule))
    # A rule the scenario does not set is not drawn and every parcel passes it.
    x_min = x_rule if has_x else 0.0
    y_min = y_rule if has_y else 0.0
    park_ids = list(dict.fromkeys(table["park_id"].astype(str)))
    if parks is not None:
        listed = [str(p) for p in parks["park_id"]]
        park_ids = [p for p in listed if p in park_ids] + [p for p in park_ids if p not in listed]
    names: dict[str, str] = {}
    if parks is not None:
        indexed = parks.set_index(parks["park_id"].astype(str))
        names = {
            str(p): label(str(row["name_zh"]), str(row["name_en"]), lang)
            for p, row in indexed.iterrows()
        }

    with style_context(size):
        own_figure = ax is None
        fig, ax = chart_axes(ax, size, aspect=0.75)
        # Parcels of a park that share its assumptions and plot ratio share a point, and
        # parks with the same assumptions share points with each other: hollow markers
        # of a different shape and size per park keep every park visible where they meet.
        park_of = table["park_id"].astype(str).to_numpy()
        ok = (x >= x_min * (1 - 1e-9)) & (y >= y_min * (1 - 1e-9))
        collections = {}
        for k, park in enumerate(park_ids):
            mine = park_of == park
            below = int((mine & ~ok).sum())
            count = int(mine.sum())
            zh_count = f"{count} 块" + (f"，{below} 块未达标" if below else "")
            en_count = f"{count}" + (f", {below} below a rule" if below else "")
            counted = {
                "zh": f"（{zh_count}）",
                "en": f" ({en_count})",
                "both": f"（{zh_count}；{en_count}）",
            }[lang]
            collections[park] = ax.scatter(
                x[mine],
                y[mine],
                s=(5.0 + 2.2 * k) ** 2,
                marker=_MARKERS[k % len(_MARKERS)],
                facecolors="none",
                edgecolors=park_colour(k),
                linewidths=1.3,
                label=names.get(park, park) + counted,
                zorder=3,
                gid=f"parcels-{park}",
            )
        x_top = max(float(np.nanmax(x, initial=0.0)), x_min) * 1.12
        y_top = max(float(np.nanmax(y, initial=0.0)), y_min) * 1.15
        ax.set_xlim(0.0, x_top)
        ax.set_ylim(0.0, y_top)
        dashed: Literal["--"] = "--"
        if has_x:
            ax.axvline(
                x_min, color=TARGET_COLOUR, linestyle=dashed, lw=0.8, gid="investment-threshold"
            )
            ax.axvspan(0.0, x_min, color="#F4E4DA", linewidth=0, zorder=0, gid="fails-investment")
            ax.text(
                x_min,
                y_top,
                f" ≥ {x_min:,.0f} " + ("× 10⁴ CNY/ha" if lang == "en" else "万元/公顷"),
                ha="left",
                va="top",
                fontsize="small",
                gid="investment-threshold-label",
            )
        if has_y:
            ax.axhline(
                y_min, color=TARGET_COLOUR, linestyle=dashed, lw=0.8, gid="revenue-threshold"
            )
            ax.fill_between(
                [0.0, x_top],
                0.0,
                y_min,
                color="#F4E4DA",
                linewidth=0,
                zorder=0,
                gid="fails-revenue",
            )
            ax.text(
                x_top,
                y_min,
                f"≥ {y_min:g} " + ("× 10⁸ CNY/ha " if lang == "en" else "亿元/公顷 "),
                ha="right",
                va="bottom",
                fontsize="small",
                gid="revenue-threshold-label",
            )
        both = ok
        inv_only = (x >= x_min * (1 - 1e-9)) & ~both
        ax.text(
            0.99,
            0.02,
            label(
                f"两项达标 {int(both.sum())} 块 · 仅投资达标 {int(inv_only.sum())} 块 · "
                f"投资未达标 {int((~(x >= x_min * (1 - 1e-9))).sum())} 块",
                f"both met: {int(both.sum())} · investment only: {int(inv_only.sum())} · "
                f"investment short: {int((~(x >= x_min * (1 - 1e-9))).sum())}",
                lang,
                sep="\n",
            ),
            transform=ax.transAxes,
            ha="right",
            va="bottom",
            fontsize="small",
            color="#333333",
            gid="quadrant-counts",
        )
        ax.set_xlabel(
            label(
                "竣工时投资强度（万元/公顷）",
                "Investment intensity at completion (10⁴ CNY/ha)",
                lang,
            )
        )
        ax.set_ylabel(
            label(
                "成熟期业务收入（亿元/公顷，基年价格）",
                "Revenue density at maturity (10⁸ CNY/ha, base-year prices)",
                lang,
                sep="\n",
            )
        )
        ax.set_title(label("地块准入指标", "Parcels against the admission rules", lang))
        threshold = Line2D(
            [],
            [],
            color=TARGET_COLOUR,
            linestyle=dashed,
            linewidth=0.8,
            label=label("准入门槛", "admission threshold", lang),
        )
        handles = [
            Line2D(
                [],
                [],
                marker=_MARKERS[k % len(_MARKERS)],
                markersize=7,
                markerfacecolor="none",
                markeredgecolor=park_colour(k),
                markeredgewidth=1.3,
                linestyle="none",
                label=str(collections[p].get_label()),
            )
            for k, p in enumerate(park_ids)
        ]
        handles.append(threshold)
        if own_figure:
            longest = max(len(str(h.get_label())) for h in handles)
            columns = 1 if longest > 40 else 2
            # The page grows with the legend's rows, so the plot keeps its size.
            rows = -(-len(handles) // columns) + 1 + (lang == "both")
            width, height = fig.get_size_inches()
            small = float(plt.rcParams["legend.fontsize"])
            fig.set_size_inches(width, height + rows * small * 1.7 / 72)
            fig.legend(
                handles=handles,
                loc="outside lower left",
                ncols=columns,
                frameon=False,
                alignment="left",
                title=label(
                    "每个标记一个地块；同参数地块重合",
                    "one marker per parcel; parcels with equal figures coincide",
                    lang,
                    sep="\n",
                ),
            )
        else:
            ax.legend(handles=handles, loc="upper left", frameon=False)
        light_grid(ax, axis="both")
    return fig, ax


def _thresholds(rules: Rules) -> tuple[float, float]:
    """Read the scenario's thresholds in 万元/ha and 亿元/ha, NaN where not set."""
    inv, rev = rules.investment_intensity_min, rules.revenue_density_min
    return (
        float("nan") if inv is None else float(inv),
        float("nan") if rev is None else float(rev) / CNY_PER_M2_PER_YI_PER_HA,
    )
