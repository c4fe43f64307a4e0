"""What every map draws: land, parcels, park outlines and names, title, legend, notes.

In: a map Axes (:mod:`sim.plot.layout`) and the layers of :mod:`sim.plot.layers`.
Out: artists on the Axes, each with a ``gid`` naming what it is (``"land"``,
``"parcels"``, ``"parcels-hatch"``, ``"parks"``, ``"park-label"``, ``"subtitle"``,
``"legend"``, ``"source-line"``, ``"schematic-note"``) so tests and SVG readers can
find it. Parcels are drawn as one compound path per colour, built from shapely's
ragged arrays once per site (:func:`sim.plot.cartography.ragged_polygons`), so a
100,000-parcel map costs a few paths, not 100,000; the few outlines of land and parks
are one :class:`~matplotlib.collections.PathCollection` per layer
(:func:`sim.plot.cartography.add_polygons`).
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np
import shapely
from matplotlib.collections import PathCollection
from matplotlib.transforms import Bbox, ScaledTranslation

from sim.plot.cartography import LabelSpec, add_polygons, ragged_polygons, scale_bar
from sim.plot.figure import root_figure
from sim.plot.style import (
    IDLE_HATCH,
    IDLE_HATCH_COLOUR,
    LAND_COLOUR,
    SEA_COLOUR,
    Lang,
    label,
    wrap_name,
)

if TYPE_CHECKING:
    import geopandas as gpd
    import numpy.typing as npt
    from matplotlib.artist import Artist
    from matplotlib.axes import Axes
    from pyproj import CRS

    from sim.plot.layout import Bounds

__all__ = [
    "NOTE_GREY",
    "PARK_EDGE",
    "SWATCH_EDGE",
    "artist_boxes",
    "bottom_notes",
    "draw_land",
    "draw_parcels",
    "draw_park_outlines",
    "draw_title",
    "legend_bottom",
    "park_label_specs",
    "set_view",
    "side_legend",
]

_PARCEL_EDGE = "#FFFFFF"
#: Ink of park outlines (the park shown, when one is) and the map frame.
PARK_EDGE = "#222222"
_OTHER_PARK_EDGE = "#777777"
_LAND_EDGE = "#B8B2A7"
#: Grey of subtitles, notes and the source line.
NOTE_GREY = "#555555"
#: Edge of legend swatches.
SWATCH_EDGE = "#666666"


def set_view(ax: Axes, view: Bounds) -> None:
    """Show ``view`` at equal aspect in a thin frame, without ticks."""
    ax.set_xlim(view[0], view[2])
    ax.set_ylim(view[1], view[3])
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(True)
        spine.set_linewidth(0.6)
        spine.set_color(PARK_EDGE)


def draw_land(ax: Axes, land: gpd.GeoDataFrame | None, view: Bounds, *, gid: str = "land") -> None:
    """Draw the land clipped to ``view`` on a sea-coloured frame (nothing without land)."""
    if land is None:
        return
    ax.set_facecolor(SEA_COLOUR)
    xmin, ymin, xmax, ymax = view
    pad = 0.02 * max(xmax - xmin, ymax - ymin)
    box = shapely.box(xmin - pad, ymin - pad, xmax + pad, ymax + pad)
    geoms = shapely.clip_by_rect(land.geometry.to_numpy(), *box.bounds)
    geoms = geoms[~shapely.is_empty(geoms)]
    add_polygons(
        ax,
        geoms,
        facecolors=LAND_COLOUR,
        edgecolors=_LAND_EDGE,
        linewidths=0.4,
        zorder=1,
        gid=gid,
    )


def draw_parcels(
    ax: Axes,
    parcels: gpd.GeoDataFrame,
    facecolors: Sequence[str],
    hatched: npt.NDArray[np.bool_] | None,
    *,
    linewidth: float = 0.25,
    gid: str = "parcels",
) -> PathCollection:
    """Fill each parcel with its colour; hatch those in ``hatched`` (idle land).

    Each colour is one compound path (all its parcels' rings, holes kept), so a map
    draws a handful of paths whatever the number of parcels; the parcels' vertex arrays
    are built once per site (:func:`~sim.plot.cartography.ragged_polygons`). The
    collection holds one path per colour, in order of first appearance, and leaves the
    data limits alone: the caller sets the view.
    """
    rag = ragged_polygons(parcels.geometry)
    colours, first, classes = np.unique(
        np.asarray(facecolors, dtype=object).astype(str), return_index=True, return_inverse=True
    )
    rank = np.argsort(np.argsort(first, kind="stable"), kind="stable")
    collection = PathCollection(
        rag.by_class(rank[classes.reshape(-1)], len(colours)),
        facecolors=list(colours[np.argsort(first, kind="stable")]),
        edgecolors=_PARCEL_EDGE,
        linewidths=linewidth,
        zorder=2,
    )
    collection.set_gid(gid)
    ax.add_collection(collection, autolim=False)
    if hatched is not None and hatched.any():
        # One compound path: Agg sets a hatch pattern up once per path, so hatching
        # 2,000 idle parcels one by one costs seconds and as one path milliseconds.
        overlay = PathCollection(
            [rag.compound(hatched)],
            facecolors="none",
            edgecolors="none",
            linewidths=0.0,
            hatch=IDLE_HATCH,
            zorder=2.5,
        )
        overlay.set_hatchcolor(IDLE_HATCH_COLOUR)
        overlay.set_gid(f"{gid}-hatch")
        ax.add_collection(overlay, autolim=False)
    return collection


def draw_park_outlines(
    ax: Axes, parks: gpd.GeoDataFrame | None, focus: str | None, *, gid: str = "parks"
) -> None:
    """Outline the parks; with ``focus``, that park bold and the others grey."""
    if parks is None:
        return
    ids = parks["park_id"].astype(str).to_numpy()
    geoms = parks.geometry.to_numpy()
    if focus is None:
        add_polygons(
            ax, geoms, facecolors="none", edgecolors=PARK_EDGE, linewidths=1.0, zorder=3, gid=gid
        )
        return
    add_polygons(
        ax,
        geoms[ids != focus],
        facecolors="none",
        edgecolors=_OTHER_PARK_EDGE,
        linewidths=0.7,
        zorder=3,
        gid=f"{gid}-other",
    )
    add_polygons(
        ax,
        geoms[ids == focus],
        facecolors="none",
        edgecolors=PARK_EDGE,
        linewidths=1.6,
        zorder=3.1,
        gid=gid,
    )


def _label_text(zh: str, en: str, lang: Lang, *, wrap: int | None = None) -> str:
    """Name a park on a map; with ``wrap``, long names break over two lines."""
    if wrap is not None:
        zh = wrap_name(zh, wrap, sep="")
        en = textwrap.fill(en, width=2 * wrap + 4, break_long_words=False)
    return label(zh, en, lang, sep="\n")


def park_label_specs(
    parks: gpd.GeoDataFrame | None,
    view: Bounds,
    lang: Lang,
    *,
    skip: frozenset[int] = frozenset(),
    wrap: int | None = None,
    gid: str = "park-label",
) -> list[LabelSpec]:
    """One label per park in view (rows in ``skip`` left out), inside its visible part."""
    if parks is None:
        return []
    box = shapely.box(*view)
    specs = []
    rows = zip(parks.geometry, parks["name_zh"], parks["name_en"], strict=True)
    for i, (geom, zh, en) in enumerate(rows):
        if i in skip:
            continue
        visible = shapely.intersection(geom, box)
        if visible.is_empty or visible.area < 1e-6 * box.area:
            continue
        point = visible.representative_point()
        specs.append(
            LabelSpec(
                anchor=(point.x, point.y),
                bounds=tuple(float(v) for v in visible.bounds),  # type: ignore[arg-type]
                text=_label_text(str(zh), str(en), lang, wrap=wrap),
                gid=gid,
                geometry=visible,
            )
        )
    return specs


def draw_title(ax: Axes, text: str, subtitle: str | None) -> None:
    """Title the map at its top left, with a grey ``subtitle`` between title and frame."""
    small = float(plt.rcParams["legend.fontsize"])
    pad = 4.0 + (small * 1.5 * (1 + subtitle.count("\n")) if subtitle else 0.0)
    ax.set_title(text, pad=pad, loc="left")
    if subtitle:
        ax.annotate(
            subtitle,
            xy=(0.0, 1.0),
            xycoords="axes fraction",
            xytext=(0.0, 4.0),
            textcoords="offset points",
            ha="left",
            va="bottom",
            fontsize="small",
            color=NOTE_GREY,
            annotation_clip=False,
            gid="subtitle",
        )


def side_legend(ax: Axes, handles: Sequence[Artist], title: str, *, below: float, x: float) -> None:
    """Put the legend in the side column at ``x`` (axes fraction), ``below`` points down."""
    shift = ScaledTranslation(0.0, -below / 72.0, root_figure(ax).dpi_scale_trans)
    legend = ax.legend(
        handles=list(handles),
        title=title,
        loc="upper left",
        bbox_to_anchor=(x, 1.0),
        bbox_transform=ax.transAxes + shift,
        frameon=False,
        alignment="left",
        borderaxespad=0.0,
        borderpad=0.0,
        handlelength=1.6,
        handleheight=1.0,
        labelspacing=0.55,
    )
    legend.set_gid("legend")


def bottom_notes(ax: Axes, crs: CRS, *, source: str, note: str | None) -> None:
    """Draw the scale bar and the source line under the frame, ``note`` at its right."""
    scale_bar(ax, crs, below=8.0)
    small = float(plt.rcParams["legend.fontsize"])
    ax.annotate(
        source,
        xy=(0.0, 0.0),
        xycoords="axes fraction",
        xytext=(0.0, -8.0 - 0.45 * float(plt.rcParams["font.size"]) - small * 2.6),
        textcoords="offset points",
        ha="left",
        va="top",
        fontsize=small * 0.9,
        color=NOTE_GREY,
        annotation_clip=False,
        gid="source-line",
    )
    if note:
        ax.annotate(
            note,
            xy=(1.0, 0.0),
            xycoords="axes fraction",
            xytext=(0.0, -6.0),
            textcoords="offset points",
            ha="right",
            va="top",
            fontsize="medium",
            color=NOTE_GREY,
            annotation_clip=False,
            gid="schematic-note",
        )


def artist_boxes(ax: Axes, prefix: str) -> list[Bbox]:
    """Display boxes of the Axes' artists whose gid starts with ``prefix``."""
    renderer = root_figure(ax).canvas.get_renderer()  # type: ignore[attr-defined]
    return [
        a.get_window_extent(renderer)
        for a in ax.get_children()
        if str(a.get_gid() or "").startswith(prefix)
    ]


def legend_bottom(ax: Axes) -> float:
    """Bottom of the Axes' legend, in axes fractions."""
    legend = ax.get_legend()
    if legend is None:
        return 1.0
    renderer = root_figure(ax).canvas.get_renderer()  # type: ignore[attr-defined]
    box = legend.get_window_extent(renderer)
    return float(ax.transAxes.inverted().transform((0.0, box.y0))[1])
