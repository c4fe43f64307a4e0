"""Insets of a map: where the park shown lies in the city, and enlargements of small parks.

In: a map Axes already drawn by :func:`sim.plot.frame.parcel_map` and its
:class:`~sim.plot.layers.MapLayers`. Out: inset Axes in the side column —

- a **locator inset** (gid ``"locator-inset"``) for a map of one park: the whole site,
  the park highlighted and ringed, the map's view framed;
- **detail insets** (gid ``"detail-inset"``) for a map of the whole city: parks drawn
  smaller than :data:`SMALL_PARK_IN` on the page are grouped in clusters (at most two),
  each framed on the map, lettered A, B, and enlarged with its parcels, names and own
  scale bar.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np
import shapely
from matplotlib import patheffects
from matplotlib.patches import Rectangle

from sim.plot.cartography import add_polygons, place_labels, scale_bar, settle
from sim.plot.layers import MapLayers, in_park
from sim.plot.layout import Bounds, fit_aspect, frame_inches, map_extent
from sim.plot.primitives import (
    PARK_EDGE,
    artist_boxes,
    draw_land,
    draw_parcels,
    draw_park_outlines,
    park_label_specs,
    set_view,
)
from sim.plot.style import HIGHLIGHT_COLOUR, Lang, label, wrap_name

if TYPE_CHECKING:
    import geopandas as gpd
    import numpy.typing as npt
    from matplotlib.axes import Axes

__all__ = ["SMALL_PARK_IN", "detail_insets", "locator_inset", "small_park_groups"]

#: A park drawn smaller than this on the page (inches, longer side) gets a detail inset.
SMALL_PARK_IN = 0.30


def _inset_at(ax: Axes, bounds: Bounds, view: Bounds, *, gid: str) -> Axes:
    """Add an inset at ``bounds`` (axes fractions) showing ``view`` fitted to its shape."""
    frame_w, frame_h = frame_inches(ax)
    width_in, height_in = bounds[2] * frame_w, bounds[3] * frame_h
    inset = ax.inset_axes(bounds)
    inset.set_gid(gid)
    set_view(inset, fit_aspect(view, height_in / max(width_in, 1e-9)))
    inset.set_facecolor("white")
    settle(inset)
    return inset


def locator_inset(
    ax: Axes,
    layers: MapLayers,
    focus: str,
    view: Bounds,
    *,
    x: float,
    width_in: float,
    lang: Lang,
) -> Axes:
    """Show the whole site at the foot of the side column, the shown park highlighted."""
    frame_w, frame_h = frame_inches(ax)
    city = map_extent(layers, None)
    cx0, cy0, cx1, cy1 = city
    height_in = min(width_in * (cy1 - cy0) / (cx1 - cx0), 0.45 * frame_h, width_in * 1.3)
    bounds = (x, 0.0, width_in / frame_w, height_in / frame_h)
    inset = _inset_at(ax, bounds, city, gid="locator-inset")
    shown = (inset.get_xlim()[0], inset.get_ylim()[0], inset.get_xlim()[1], inset.get_ylim()[1])
    draw_land(inset, layers.land, shown, gid="locator-land")
    if layers.parks is not None:
        ids = layers.parks["park_id"].astype(str).to_numpy()
        geoms = layers.parks.geometry.to_numpy()
        add_polygons(
            inset,
            geoms[ids != focus],
            facecolors="#9A9A9A",
            edgecolors="#777777",
            linewidths=0.3,
            zorder=3,
            gid="locator-parks",
        )
        mine = geoms[ids == focus]
    else:
        mine = layers.parcels.geometry.to_numpy()[in_park(layers, focus)]
    add_polygons(
        inset,
        mine,
        facecolors=HIGHLIGHT_COLOUR,
        edgecolors=HIGHLIGHT_COLOUR,
        linewidths=0.6,
        zorder=4,
        gid="locator-highlight",
    )
    centre = shapely.union_all(mine).centroid
    # A ring around the park: a small park stays findable at city scale.
    inset.plot(
        [centre.x],
        [centre.y],
        marker="o",
        markersize=9,
        markerfacecolor="none",
        markeredgecolor=HIGHLIGHT_COLOUR,
        markeredgewidth=1.2,
        zorder=5,
        gid="locator-ring",
    )
    inset.add_patch(
        Rectangle(
            (view[0], view[1]),
            view[2] - view[0],
            view[3] - view[1],
            facecolor="none",
            edgecolor=PARK_EDGE,
            linewidth=0.7,
            linestyle="--",
            zorder=6,
            gid="locator-view",
        )
    )
    inset.set_title(label("位置图", "Location", lang), fontsize="small", loc="left", pad=2.0)
    return inset


def small_park_groups(
    layers: MapLayers, view: Bounds, frame_w: float
) -> list[npt.NDArray[np.int64]]:
    """Rows of parks too small to read in a frame ``frame_w`` inches wide, in clusters.

    Single-linkage clusters of parks closer than 0.6 in on the page, largest first, at
    most two; none when no park is small or every park is (then the map itself is at
    the wrong scale).
    """
    parks = layers.parks
    if parks is None or len(parks) < 2:
        return []
    per_inch = (view[2] - view[0]) / frame_w
    bounds = parks.geometry.bounds.to_numpy()
    extent = np.maximum(bounds[:, 2] - bounds[:, 0], bounds[:, 3] - bounds[:, 1]) / per_inch
    small = np.flatnonzero(extent < SMALL_PARK_IN)
    if small.size == 0 or small.size == len(parks):
        return []
    centres = (bounds[small, :2] + bounds[small, 2:]) / 2
    cluster = np.arange(small.size)
    for i in range(small.size):
        for j in range(i + 1, small.size):
            if np.hypot(*(centres[i] - centres[j])) / per_inch < 0.6:
                cluster[cluster == cluster[j]] = cluster[i]
    groups = [small[cluster == c] for c in np.unique(cluster)]
    groups.sort(key=lambda g: (-len(g), int(g[0])))
    return groups[:2]


def _cluster_extent(layers: MapLayers, rows: npt.NDArray[np.int64]) -> Bounds:
    assert layers.parks is not None
    b = layers.parks.geometry.bounds.to_numpy()[rows]
    xmin, ymin, xmax, ymax = b[:, 0].min(), b[:, 1].min(), b[:, 2].max(), b[:, 3].max()
    pad = 0.2 * max(xmax - xmin, ymax - ymin)
    return float(xmin - pad), float(ymin - pad), float(xmax + pad), float(ymax + pad)


def _detail_title(
    parks: gpd.GeoDataFrame, rows: npt.NDArray[np.int64], letter: str, lang: Lang
) -> str:
    """Title of a detail inset: its letter, and the park's name when it shows one park."""
    if len(rows) != 1:
        return label(f"{letter} 放大图", f"{letter} detail", lang)
    row = parks.iloc[int(rows[0])]
    english = wrap_name(str(row["name_en"]), 30, sep=" ")
    return f"{letter} " + label(str(row["name_zh"]), english, lang, sep="\n")


def detail_insets(
    ax: Axes,
    layers: MapLayers,
    clusters: Sequence[npt.NDArray[np.int64]],
    facecolors: Sequence[str],
    hatched: npt.NDArray[np.bool_] | None,
    lang: Lang,
    *,
    x: float,
    width_in: float,
    top: float,
) -> None:
    """Enlarged views of clusters of small parks, stacked up the side column from its foot.

    ``top`` is the highest the insets may reach, in axes fractions (below the legend).
    Each cluster is framed on the map and lettered A, B; its inset carries the letter,
    the parks' names and its own scale bar.
    """
    frame_w, frame_h = frame_inches(ax)
    small = float(plt.rcParams["legend.fontsize"])
    assert layers.parks is not None
    titles = [_detail_title(layers.parks, rows, "AB"[n], lang) for n, rows in enumerate(clusters)]
    title_hs = [(1 + t.count("\n")) * small * 1.5 / 72 + 0.06 for t in titles]
    room = top * frame_h
    extents = [_cluster_extent(layers, rows) for rows in clusters]
    # Several parks need room around them for names; one park keeps its own shape.
    wanted = [
        width_in * (max((e[3] - e[1]) / (e[2] - e[0]), 0.6) if len(rows) == 1 else 1.2)
        for e, rows in zip(extents, clusters, strict=True)
    ]
    spare = room - sum(h + 0.12 for h in title_hs)
    shrink = min(1.0, spare / max(sum(wanted), 1e-9))
    upper = room  # inches above the frame's foot, going down the column
    for n, rows in enumerate(clusters):
        extent, title, title_h = extents[n], titles[n], title_hs[n]
        height_in = wanted[n] * shrink
        if height_in < 0.6:
            break
        bottom = (upper - title_h - height_in) / frame_h
        bounds = (x, bottom, width_in / frame_w, height_in / frame_h)
        inset = _inset_at(ax, bounds, extent, gid="detail-inset")
        _detail_contents(inset, layers, rows, facecolors, hatched, lang, title=title)
        _frame_cluster(ax, extent, "AB"[n])
        upper -= title_h + height_in + 0.12


def _detail_contents(
    inset: Axes,
    layers: MapLayers,
    rows: npt.NDArray[np.int64],
    facecolors: Sequence[str],
    hatched: npt.NDArray[np.bool_] | None,
    lang: Lang,
    *,
    title: str,
) -> None:
    """Draw a detail inset: land, parcels, outlines, its title, scale bar and names."""
    assert layers.parks is not None
    shown = (inset.get_xlim()[0], inset.get_ylim()[0], inset.get_xlim()[1], inset.get_ylim()[1])
    draw_land(inset, layers.land, shown, gid="detail-land")
    draw_parcels(inset, layers.parcels, facecolors, hatched, linewidth=0.2, gid="detail-parcels")
    draw_park_outlines(inset, layers.parks, None, gid="detail-parks")
    inset.set_title(title, fontsize="small", loc="left", pad=2.0)
    scale_bar(
        inset,
        layers.crs,
        fraction=0.3,
        below=-12.0,
        fontsize=6.0,
        inset=0.05,
        gid="detail-scale-bar",
    )
    others = frozenset(range(len(layers.parks))) - frozenset(int(r) for r in rows)
    if len(rows) == 1:
        others = frozenset(range(len(layers.parks)))
    specs = park_label_specs(
        layers.parks, shown, lang, skip=others, wrap=6, gid="detail-park-label"
    )
    for spec in specs:
        spec.inside = False
    place_labels(inset, specs, fontsize=6.0, obstacles=artist_boxes(inset, "detail-scale-bar"))


def _frame_cluster(ax: Axes, extent: Bounds, letter: str) -> None:
    """Frame a cluster's extent on the map and letter it."""
    ax.add_patch(
        Rectangle(
            extent[:2],
            extent[2] - extent[0],
            extent[3] - extent[1],
            facecolor="none",
            edgecolor=PARK_EDGE,
            linewidth=0.7,
            zorder=4,
            gid="detail-extent",
        )
    )
    ax.annotate(
        letter,
        xy=(extent[0], extent[3]),
        xytext=(1.0, 1.5),
        textcoords="offset points",
        ha="left",
        va="bottom",
        fontsize="medium",
        path_effects=[patheffects.withStroke(linewidth=2.0, foreground="white")],
        zorder=6,
        gid="detail-letter",
    )
