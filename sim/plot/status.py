"""Status maps: every parcel by its state in a year, and one small map per year on a page.

In: an :class:`~sim.outcome.Outcome` — its site, and the parcel states it computed
(:meth:`~sim.outcome.Outcome.states_in`, the eight :class:`~sim.states.ParcelState`
codes: not serviced, serviced, sold, idle, under construction, topped out, completed,
occupied). Out: a
matplotlib Figure in the house map frame (:func:`sim.plot.frame.parcel_map`), idle
land hatched, each legend entry counting its parcels.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Patch

from sim.plot.cartography import north_arrow, scale_bar, source_text
from sim.plot.frame import DEFAULT_OPTIONS, MapOptions, parcel_map
from sim.plot.layers import MapLayers, in_park, is_schematic, layers_of, park_name
from sim.plot.layout import LEFT, RIGHT, Bounds, fit_aspect, head_height, map_extent
from sim.plot.primitives import (
    NOTE_GREY,
    SWATCH_EDGE,
    draw_land,
    draw_parcels,
    draw_park_outlines,
    set_view,
)
from sim.plot.style import (
    IDLE_HATCH,
    IDLE_HATCH_COLOUR,
    STATE_COLOURS,
    Lang,
    PaperSize,
    label,
    page,
    style_context,
)
from sim.states import ParcelState

if TYPE_CHECKING:
    import numpy.typing as npt
    from matplotlib.artist import Artist
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from sim.outcome import Outcome

__all__ = ["STATE_COLOURS", "status_map", "status_years_map"]

_LOOKUP = np.array([STATE_COLOURS[s] for s in ParcelState], dtype=object)


def _state_patch(state: ParcelState, text: str) -> Patch:
    idle = state is ParcelState.IDLE
    return Patch(
        facecolor=STATE_COLOURS[state],
        edgecolor=IDLE_HATCH_COLOUR if idle else SWATCH_EDGE,
        hatch=IDLE_HATCH if idle else None,
        linewidth=0.4,
        label=text,
    )


def _state_handles(
    codes: npt.NDArray[np.int8], counted: npt.NDArray[np.bool_], lang: Lang
) -> list[Artist]:
    counts = np.bincount(codes[counted], minlength=len(ParcelState))
    return [
        _state_patch(
            state,
            f"{label(state.label_zh, state.label_en, lang, sep=chr(10))} ({counts[state]})",
        )
        for state in ParcelState
    ]


def status_map(
    outcome: Outcome,
    *,
    year: int | None = None,
    park: str | None = None,
    options: MapOptions = DEFAULT_OPTIONS,
    ax: Axes | None = None,
) -> tuple[Figure, Axes]:
    """Map every parcel by its state in one year: not serviced … occupied, idle hatched.

    The states are those the outcome computed (:func:`sim.states.parcel_states` with
    the run's idle flags and occupancy ceilings): not serviced, serviced (not sold),
    sold (not started), idle (闲置), under construction, topped out, completed
    (filling) and occupied (at the occupancy ceiling), in the colours of
    :data:`sim.palette.STATE_COLOURS`. The legend lists all eight with the number of
    parcels in each (in the park shown, or the whole site).

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
        The parcel collection has gid ``"parcels"`` (one face colour per parcel), idle
        parcels' hatching ``"parcels-hatch"``, the scale bar ``"scale-bar"``.

    Raises
    ------
    ValueError
        If the site's parcels do not match ``outcome.result.parcel_ids``, or their CRS
        is missing or geographic.
    KeyError
        If ``year`` is outside the simulated years or ``park`` is not in the site.
    """
    result, lang = outcome.result, options.lang
    layers = layers_of(outcome, park)
    shown = int(result.years[-1]) if year is None else year
    codes = outcome.states_in(shown)
    where = f"{park_name(layers, park, lang)} · " if park is not None else ""
    return parcel_map(
        outcome.site,
        list(_LOOKUP[codes]),
        title=where + label(f"{shown}年地块建设状态", f"Parcel status, {shown}", lang),
        subtitle=result.scenario_name,
        legend_title=label("地块状态", "Parcel status", lang),
        handles=_state_handles(codes, in_park(layers, park), lang),
        park=park,
        hatched=codes == ParcelState.IDLE,
        options=options,
        ax=ax,
    )


# --- small multiples ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Panels:
    """Inches: the page of small multiples, its panels and the view they share."""

    width: float
    height: float
    ncols: int
    nrows: int
    gap: float
    panel_w: float
    panel_h: float
    title_h: float
    head: float
    legend_h: float
    foot: float
    view: Bounds

    def rect(self, n: int) -> tuple[float, float, float, float]:
        """Figure fractions of panel ``n`` (row by row from the top left)."""
        row, col = divmod(n, self.ncols)
        left = LEFT + col * (self.panel_w + self.gap)
        bottom = self.foot + (self.nrows - 1 - row) * (self.panel_h + self.title_h)
        return (
            left / self.width,
            bottom / self.height,
            self.panel_w / self.width,
            self.panel_h / self.height,
        )


def _panels(
    layers: MapLayers, park: str | None, count: int, size: PaperSize, lang: Lang
) -> _Panels:
    """Lay out ``count`` panels, three to a row beyond four, in the current style."""
    sheet = page(size)
    ncols = 3 if count > 4 else max(count, 1)
    nrows = math.ceil(count / ncols)
    gap = 0.08
    panel_w = (sheet.width - LEFT - RIGHT - gap * (ncols - 1)) / ncols
    bounds = map_extent(layers, park)
    aspect = (bounds[3] - bounds[1]) / (bounds[2] - bounds[0])
    head = head_height(1)
    title_h = float(plt.rcParams["legend.fontsize"]) * 1.6 / 72
    legend_h = 0.8 if lang != "both" else 1.05
    foot = legend_h + 0.35
    panel_h = min(panel_w * aspect, (sheet.max_height - head - foot) / nrows - title_h)
    panel_h = max(panel_h, 0.5 * panel_w)
    return _Panels(
        width=sheet.width,
        height=head + nrows * (panel_h + title_h) + foot,
        ncols=ncols,
        nrows=nrows,
        gap=gap,
        panel_w=panel_w,
        panel_h=panel_h,
        title_h=title_h,
        head=head,
        legend_h=legend_h,
        foot=foot,
        view=fit_aspect(bounds, panel_h / panel_w),
    )


def _draw_panel(
    fig: Figure,
    layout: _Panels,
    n: int,
    year: int,
    codes: npt.NDArray[np.int8],
    layers: MapLayers,
    park: str | None,
    counted: npt.NDArray[np.bool_],
    lang: Lang,
) -> Axes:
    ax = fig.add_axes(layout.rect(n))
    ax.set_gid(f"panel-{year}")
    set_view(ax, layout.view)
    draw_land(ax, layers.land, layout.view)
    faces = list(_LOOKUP[codes])
    draw_parcels(ax, layers.parcels, faces, codes == ParcelState.IDLE, linewidth=0.15)
    draw_park_outlines(ax, layers.parks, park)
    ax.set_title(str(year), fontsize="medium", pad=2.0, loc="left")
    built = int((counted & (codes >= ParcelState.UNDER_CONSTRUCTION)).sum())
    ax.text(
        0.99,
        1.0,
        {"zh": f"开工 {built} 块", "en": f"{built} started"}.get(lang, f"开工 started: {built}"),
        transform=ax.transAxes,
        ha="right",
        va="bottom",
        fontsize="x-small",
        color=NOTE_GREY,
        gid="panel-count",
    )
    return ax


def _page_head(fig: Figure, layout: _Panels, title: str, subtitle: str) -> None:
    fig.text(
        LEFT / layout.width,
        1 - 0.12 / layout.height,
        title,
        ha="left",
        va="top",
        fontsize=plt.rcParams["axes.titlesize"],
        gid="title",
    )
    fig.text(
        LEFT / layout.width,
        1 - 0.12 / layout.height - plt.rcParams["axes.titlesize"] * 1.5 / 72 / layout.height,
        subtitle,
        ha="left",
        va="top",
        fontsize="small",
        color=NOTE_GREY,
        gid="subtitle",
    )


def _page_foot(
    fig: Figure, layout: _Panels, layers: MapLayers, options: MapOptions, schematic: bool
) -> None:
    """One legend across the foot, one scale bar at its right, the source line."""
    lang, width, height = options.lang, layout.width, layout.height
    handles = [_state_patch(s, label(s.label_zh, s.label_en, lang, sep="\n")) for s in ParcelState]
    legend = fig.legend(
        handles=handles,
        loc="lower left",
        bbox_to_anchor=(LEFT / width, 0.3 / height),
        ncols=4,  # eight states in two rows
        frameon=False,
        title=label("地块状态", "Parcel status", lang),
        alignment="left",
        handlelength=1.6,
        borderaxespad=0.0,
    )
    legend.set_gid("legend")
    # The panels share one scale: one bar, on a bare Axes as wide as a panel that shows
    # the same x range.
    scale_ax = fig.add_axes(
        (
            (width - RIGHT - layout.panel_w) / width,
            (layout.legend_h + 0.05) / height,
            layout.panel_w / width,
            0.05 / height,
        )
    )
    scale_ax.set_xlim(layout.view[0], layout.view[2])
    scale_ax.set_ylim(0.0, 1.0)
    scale_ax.set_axis_off()
    scale_ax.set_gid("scale-bar-axes")
    scale_bar(scale_ax, layers.crs, below=0.0, fraction=0.3, fontsize="x-small")
    text = source_text(lang, land=layers.land, schematic=schematic, date=options.date)
    fig.text(
        LEFT / width,
        0.08 / height,
        text,
        ha="left",
        va="bottom",
        fontsize=float(plt.rcParams["legend.fontsize"]) * 0.9,
        color=NOTE_GREY,
        gid="source-line",
    )
    if schematic:
        fig.text(
            1 - RIGHT / width,
            0.34 / height,
            label("示意图", "schematic", lang),
            ha="right",
            va="bottom",
            color=NOTE_GREY,
            gid="schematic-note",
        )


def status_years_map(
    outcome: Outcome,
    *,
    years: Sequence[int] | None = None,
    park: str | None = None,
    options: MapOptions = DEFAULT_OPTIONS,
) -> tuple[Figure, npt.NDArray[np.object_]]:
    """One small status map per year, on one page, with one legend, scale and arrow.

    Parameters
    ----------
    outcome, park, options
        As in :func:`status_map`.
    years
        Years to show, one panel each; default every simulated year.

    Returns
    -------
    tuple of (Figure, numpy.ndarray)
        The figure and the panel Axes in year order (gid ``"panel-<year>"``); each
        panel's parcels have gid ``"parcels"``.

    Raises
    ------
    ValueError
        As :func:`status_map`.
    KeyError
        If a year is outside the simulated years or ``park`` is not in the site.
    """
    result, lang = outcome.result, options.lang
    layers = layers_of(outcome, park)
    shown = [int(y) for y in (result.years if years is None else years)]
    states = [outcome.states_in(year) for year in shown]  # a year outside fails here
    schematic = is_schematic(layers)
    counted = in_park(layers, park)

    with style_context(options.size):
        layout = _panels(layers, park, len(shown), options.size, lang)
        fig = plt.figure(figsize=(layout.width, layout.height))
        axes = [
            _draw_panel(fig, layout, n, year, codes, layers, park, counted, lang)
            for n, (year, codes) in enumerate(zip(shown, states, strict=True))
        ]
        where = f"{park_name(layers, park, lang)} · " if park is not None else ""
        title = where + label(
            f"地块建设状态，{shown[0]}–{shown[-1]}年",
            f"Parcel status, {shown[0]}–{shown[-1]}",
            lang,
        )
        _page_head(fig, layout, title, result.scenario_name)
        # North arrow at the top right of the page.
        last = axes[min(layout.ncols, len(axes)) - 1]
        north_arrow(
            last,
            layers.crs,
            x=0.97,
            y=1.0 + (layout.title_h + layout.head * 0.8) / layout.panel_h,
            size=0.8 * float(plt.rcParams["font.size"]),
        )
        _page_foot(fig, layout, layers, options, schematic)
    return fig, np.asarray(axes, dtype=object)
