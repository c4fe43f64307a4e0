"""Maps of a Result for planning reports: status, completion year, small multiples, overview.

In: a :class:`~sim.result.Result` and its :class:`~sim.site.Site` (or the parcels as a
GeoDataFrame in a projected CRS, rows in the order of ``result.parcel_ids``, with the
parks and base map passed separately). Out: a matplotlib Figure and the map Axes.

Every map carries the same furniture (:mod:`sim.plot.cartography`): a title and the
scenario's name, a legend explaining every colour, a north arrow to true north, a
scale bar true on the ground, the coast and land as a base, park outlines with names
that never overlap (on leader lines where a park is too small for its name), a source
line (base map, 示意 for schematic outlines, parksim version, date) and a 示意图 note.
A map of one park (``park=``) zooms to it and adds a locator inset of the whole city
with the park highlighted; a map of the whole city adds detail insets where parks are
too small to read. Polygons are drawn as one
:class:`~matplotlib.collections.PathCollection` per layer, built from shapely's ragged
arrays, so a 10,000-parcel map costs tens of milliseconds before saving.

A figure made here has a fixed layout (no constrained layout): its width is the text
block of the page (:data:`sim.plot.style.PAGES`), its height follows the map's shape,
and labels are placed for that layout. Given ``ax=``, the map fills that Axes and the
side column (arrow, legend, insets) hangs to its right.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import matplotlib.pyplot as plt
import numpy as np
import shapely
from matplotlib import patheffects
from matplotlib.collections import PathCollection
from matplotlib.colors import to_hex
from matplotlib.lines import Line2D
from matplotlib.offsetbox import DrawingArea, HPacker, TextArea, VPacker
from matplotlib.patches import Patch, Rectangle
from matplotlib.path import Path
from matplotlib.transforms import Bbox
from pyproj import CRS

from sim.plot.cartography import (
    LabelSpec,
    add_polygons,
    nice_length,
    north_arrow,
    place_labels,
    polygon_paths,
    scale_bar,
    settle,
    source_text,
)
from sim.plot.figure import root_figure
from sim.plot.style import (
    EMPTY_COLOUR,
    HIGHLIGHT_COLOUR,
    IDLE_COLOUR,
    IDLE_HATCH,
    IDLE_HATCH_COLOUR,
    LAND_COLOUR,
    SEA_COLOUR,
    SEQUENTIAL_CMAP,
    SEQUENTIAL_RANGE,
    STATUS_COLOURS,
    TARGET_COLOUR,
    Lang,
    PaperSize,
    check_lang,
    label,
    page,
    park_colour,
    style_context,
    wrap_name,
)
from sim.result import Ensemble, Result, Status
from sim.site import Site
from sim.states import ParcelState, parcel_states

if TYPE_CHECKING:
    import datetime as dt

    import geopandas as gpd
    import numpy.typing as npt
    from matplotlib.artist import Artist
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from sim.scenario import Scenario, Target

__all__ = [
    "STATE_COLOURS",
    "completion_map",
    "overview_map",
    "parcel_map",
    "status_map",
    "status_years_map",
]

#: Colour of each map state. The build-out sequence keeps the status ramp of
#: :data:`sim.plot.style.STATUS_COLOURS` (CIE L* 93 → 79 → 58 → 41 → 17, so it reads
#: in greyscale); idle land is a reddish purple that is also hatched.
STATE_COLOURS: dict[ParcelState, str] = {
    ParcelState.NOT_RELEASED: STATUS_COLOURS[Status.NOT_RELEASED],
    ParcelState.RELEASED: STATUS_COLOURS[Status.RELEASED],
    ParcelState.IDLE: IDLE_COLOUR,
    ParcelState.UNDER_CONSTRUCTION: STATUS_COLOURS[Status.UNDER_CONSTRUCTION],
    ParcelState.COMPLETED: STATUS_COLOURS[Status.PARTLY_COMPLETED],
    ParcelState.OCCUPIED: STATUS_COLOURS[Status.COMPLETED],
}

_PARCEL_EDGE = "#FFFFFF"
_PARK_EDGE = "#222222"
_OTHER_PARK_EDGE = "#777777"
_LAND_EDGE = "#B8B2A7"
_NOTE_GREY = "#555555"
_SWATCH_EDGE = "#666666"

# Layout of a map figure, inches (see _new_map_figure).
_LEFT, _RIGHT, _GAP = 0.10, 0.08, 0.22
_SIDE_SHARE = 0.27  # of the page width: north arrow, legend, insets
_BOTTOM = 0.66  # scale bar, source line
# Share of the view added around what the map shows.
_MARGIN = 0.06
_PARK_MARGIN = 0.12
# A park drawn smaller than this on the page (inches, longer side) gets a detail inset.
_SMALL_PARK_IN = 0.30


# --- inputs -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Layers:
    parcels: gpd.GeoDataFrame
    parks: gpd.GeoDataFrame | None
    land: gpd.GeoDataFrame | None
    crs: CRS


def _layers(
    site: Site | gpd.GeoDataFrame,
    parks: gpd.GeoDataFrame | None,
    land: gpd.GeoDataFrame | None,
) -> _Layers:
    if isinstance(site, Site):
        parcels = site.parcels
        parks = site.parks if parks is None else parks
        land = site.land if land is None else land
    else:
        parcels = site
    crs = parcels.crs
    if crs is None or not CRS.from_user_input(crs).is_projected:
        raise ValueError(
            f"parcels must be in a projected CRS (metres); got {crs}; "
            "reproject with parcels.to_crs('EPSG:4549') or the scenario's CRS"
        )
    crs = CRS.from_user_input(crs)
    if parks is not None:
        missing = {"park_id", "name_zh", "name_en"} - set(parks.columns)
        if missing:
            raise ValueError(
                f"parks lacks columns {sorted(missing)}; it needs park_id, name_zh, name_en"
            )
        parks = _to_crs(parks, crs, "parks")
    if land is not None:
        land = _to_crs(land, crs, "land")
    return _Layers(parcels=parcels, parks=parks, land=land, crs=crs)


def _to_crs(frame: gpd.GeoDataFrame, crs: CRS, name: str) -> gpd.GeoDataFrame:
    if frame.crs is None:
        raise ValueError(f"{name} has no CRS; set it with {name}.set_crs(...)")
    return frame if frame.crs == crs else frame.to_crs(crs)


def _check_parcels(result: Result, parcels: gpd.GeoDataFrame) -> None:
    if "parcel_id" not in parcels.columns:
        raise ValueError(
            "parcels has no 'parcel_id' column; columns are "
            f"{list(parcels.columns)}; add the ids the simulation used"
        )
    ids = parcels["parcel_id"].astype(str).to_numpy()
    expected = result.parcel_ids.astype(str)
    if ids.shape != expected.shape or not np.array_equal(ids, expected):
        if ids.shape != expected.shape:
            found = f"{ids.size} parcels but the result has {expected.size}"
        else:
            first = int(np.flatnonzero(ids != expected)[0])
            found = (
                f"row {first} is {str(ids[first])!r} where the result has {str(expected[first])!r}"
            )
        raise ValueError(
            f"parcels must list result.parcel_ids in order: {found}; reorder with "
            "parcels.set_index('parcel_id').loc[result.parcel_ids].reset_index()"
        )
    crs = parcels.crs
    if crs is None or not crs.is_projected:
        raise ValueError(
            f"parcels must be in a projected CRS (metres); got {crs}; "
            "reproject with parcels.to_crs('EPSG:4549') or the scenario's CRS"
        )


def _check_draw(result: Result, draw: int) -> None:
    if not 0 <= draw < result.draws:
        raise ValueError(f"draw must be in 0…{result.draws - 1}; got {draw}")


def _check_park(layers: _Layers, park: str | None) -> None:
    if park is None:
        return
    known = (
        [str(p) for p in layers.parks["park_id"]]
        if layers.parks is not None
        else sorted(set(layers.parcels["park_id"].astype(str)))
        if "park_id" in layers.parcels.columns
        else []
    )
    if park not in known:
        raise KeyError(f"park {park!r} is not in the site; expected one of {known}")


def _park_name(layers: _Layers, park: str, lang: Lang) -> str:
    if layers.parks is not None:
        row = layers.parks[layers.parks["park_id"].astype(str) == park]
        if len(row):
            return label(str(row["name_zh"].iloc[0]), str(row["name_en"].iloc[0]), lang)
    return park


def _is_schematic(layers: _Layers) -> bool:
    """Whether the park outlines say they are schematic (an ``outline`` column, 示意)."""
    parks = layers.parks
    if parks is None or "outline" not in parks.columns:
        return False
    text = " ".join(str(v) for v in parks["outline"]).lower()
    return "schematic" in text or "示意" in text


def _in_park(layers: _Layers, park: str | None) -> npt.NDArray[np.bool_]:
    parcels = layers.parcels
    if park is None or "park_id" not in parcels.columns:
        return np.ones(len(parcels), dtype=bool)
    return np.asarray(parcels["park_id"].astype(str).to_numpy() == park)


# --- view and layout -----------------------------------------------------------------

Bounds = tuple[float, float, float, float]


def _view(layers: _Layers, park: str | None) -> Bounds:
    """Return what a map shows: one park with room around it, or every parcel and park."""
    if park is not None:
        if layers.parks is not None:
            mine = layers.parks[layers.parks["park_id"].astype(str) == park]
            bounds = mine.total_bounds
        else:
            bounds = layers.parcels[_in_park(layers, park)].total_bounds
        margin = _PARK_MARGIN
    else:
        frames = [layers.parcels.total_bounds]
        if layers.parks is not None and len(layers.parks):
            frames.append(layers.parks.total_bounds)
        stacked = np.array(frames)
        bounds = np.array([*stacked[:, :2].min(axis=0), *stacked[:, 2:].max(axis=0)])
        margin = _MARGIN
    xmin, ymin, xmax, ymax = (float(v) for v in bounds)
    pad = margin * max(xmax - xmin, ymax - ymin, 1.0)
    return xmin - pad, ymin - pad, xmax + pad, ymax + pad


def _fit_aspect(bounds: Bounds, aspect: float) -> Bounds:
    """Grow ``bounds`` about their centre until height / width equals ``aspect``."""
    xmin, ymin, xmax, ymax = bounds
    dx, dy = xmax - xmin, ymax - ymin
    cx, cy = (xmin + xmax) / 2, (ymin + ymax) / 2
    if dy / dx < aspect:
        dy = dx * aspect
    else:
        dx = dy / aspect
    return cx - dx / 2, cy - dy / 2, cx + dx / 2, cy + dy / 2


@dataclass(frozen=True)
class _Layout:
    """Inches: figure size, the map frame and the side column."""

    width: float
    height: float
    frame: tuple[float, float, float, float]  # left, bottom, width, height
    side: float


def _side_share(lang: Lang) -> float:
    """Share of the page width for the side column: wider for two-language legends."""
    return 0.33 if lang == "both" else _SIDE_SHARE


def _layout(
    bounds: Bounds, size: PaperSize, *, head: float, side_min: float, lang: Lang = "zh"
) -> tuple[_Layout, Bounds]:
    """Lay out a map page: the frame as large as the page allows, the view fitted to it."""
    sheet = page(size)
    side = _side_share(lang) * sheet.width
    map_w = sheet.width - _LEFT - _RIGHT - _GAP - side
    max_h = sheet.max_height - head - _BOTTOM
    xmin, ymin, xmax, ymax = bounds
    aspect = (ymax - ymin) / max(xmax - xmin, 1e-9)
    map_h = map_w * aspect
    if map_h > max_h:  # tall: keep the height, narrow the frame
        map_h = max_h
        map_w_used = map_h / aspect
    else:
        map_w_used = map_w
    if map_h < side_min:  # wide: show more land above and below
        map_h = side_min
    view = _fit_aspect(bounds, map_h / map_w_used)
    left = _LEFT + (map_w - map_w_used) / 2
    layout = _Layout(
        width=sheet.width,
        height=head + map_h + _BOTTOM,
        frame=(left, _BOTTOM, map_w_used, map_h),
        side=side,
    )
    return layout, view


def _new_figure(layout: _Layout) -> tuple[Figure, Axes]:
    fig = plt.figure(figsize=(layout.width, layout.height))
    left, bottom, width, height = layout.frame
    ax = fig.add_axes(
        (left / layout.width, bottom / layout.height, width / layout.width, height / layout.height)
    )
    return fig, ax


def _head_height(subtitle_lines: int) -> float:
    title = float(plt.rcParams["axes.titlesize"])
    small = float(plt.rcParams["legend.fontsize"])
    return 0.14 + title * 1.45 / 72 + subtitle_lines * small * 1.5 / 72 + 0.06


def _legend_height(handles: Sequence[Artist], lang: Lang) -> float:
    small = float(plt.rcParams["legend.fontsize"])
    lines = sum(1 + str(h.get_label()).count("\n") for h in handles)
    return (small * 1.5 * (lines + 1) + small * 0.9 * len(handles)) / 72 + 0.1


# --- drawing -------------------------------------------------------------------------


def _set_view(ax: Axes, view: Bounds) -> None:
    ax.set_xlim(view[0], view[2])
    ax.set_ylim(view[1], view[3])
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(True)
        spine.set_linewidth(0.6)
        spine.set_color(_PARK_EDGE)


def _draw_land(ax: Axes, land: gpd.GeoDataFrame | None, view: Bounds, *, gid: str = "land") -> None:
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


def _draw_parcels(
    ax: Axes,
    parcels: gpd.GeoDataFrame,
    facecolors: Sequence[str],
    hatched: npt.NDArray[np.bool_] | None,
    *,
    linewidth: float = 0.25,
    gid: str = "parcels",
) -> None:
    geoms = parcels.geometry.to_numpy()
    add_polygons(
        ax,
        geoms,
        facecolors=facecolors,
        edgecolors=_PARCEL_EDGE,
        linewidths=linewidth,
        zorder=2,
        gid=gid,
    )
    if hatched is not None and hatched.any():
        # One compound path: Agg sets a hatch pattern up once per path, so hatching
        # 2,000 idle parcels one by one costs seconds and as one path milliseconds.
        paths = polygon_paths(geoms[hatched])
        overlay = PathCollection(
            [Path.make_compound_path(*paths)],
            facecolors="none",
            edgecolors="none",
            linewidths=0.0,
            hatch=IDLE_HATCH,
            zorder=2.5,
        )
        overlay.set_hatchcolor(IDLE_HATCH_COLOUR)
        overlay.set_gid(f"{gid}-hatch")
        ax.add_collection(overlay, autolim=False)


def _draw_park_outlines(
    ax: Axes, parks: gpd.GeoDataFrame | None, focus: str | None, *, gid: str = "parks"
) -> None:
    if parks is None:
        return
    ids = parks["park_id"].astype(str).to_numpy()
    geoms = parks.geometry.to_numpy()
    if focus is None:
        add_polygons(
            ax, geoms, facecolors="none", edgecolors=_PARK_EDGE, linewidths=1.0, zorder=3, gid=gid
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
        edgecolors=_PARK_EDGE,
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


def _park_label_specs(
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


def _title(ax: Axes, title: str, subtitle: str | None) -> None:
    small = float(plt.rcParams["legend.fontsize"])
    pad = 4.0 + (small * 1.5 * (1 + subtitle.count("\n")) if subtitle else 0.0)
    ax.set_title(title, pad=pad, loc="left")
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
            color=_NOTE_GREY,
            annotation_clip=False,
            gid="subtitle",
        )


def _side_legend(
    ax: Axes, handles: Sequence[Artist], title: str, *, below: float, x: float
) -> None:
    from matplotlib.transforms import ScaledTranslation

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


def _bottom_notes(ax: Axes, crs: CRS, *, source: str, note: str | None) -> None:
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
        color=_NOTE_GREY,
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
            color=_NOTE_GREY,
            annotation_clip=False,
            gid="schematic-note",
        )


def _boxes(ax: Axes, prefix: str) -> list[Bbox]:
    """Display boxes of the Axes' artists whose gid starts with ``prefix``."""
    renderer = root_figure(ax).canvas.get_renderer()  # type: ignore[attr-defined]
    return [
        a.get_window_extent(renderer)
        for a in ax.get_children()
        if str(a.get_gid() or "").startswith(prefix)
    ]


def _legend_bottom(ax: Axes) -> float:
    """Bottom of the Axes' legend, in axes fractions."""
    legend = ax.get_legend()
    if legend is None:
        return 1.0
    renderer = root_figure(ax).canvas.get_renderer()  # type: ignore[attr-defined]
    box = legend.get_window_extent(renderer)
    return float(ax.transAxes.inverted().transform((0.0, box.y0))[1])


def _frame_inches(ax: Axes) -> tuple[float, float]:
    box = ax.get_position()
    fig = root_figure(ax)
    width, height = fig.get_size_inches()
    return float(box.width * width), float(box.height * height)


def _inset_at(ax: Axes, bounds: Bounds, view: Bounds, *, gid: str) -> Axes:
    """Add an inset at ``bounds`` (axes fractions) showing ``view`` fitted to its shape."""
    frame_w, frame_h = _frame_inches(ax)
    width_in, height_in = bounds[2] * frame_w, bounds[3] * frame_h
    inset = ax.inset_axes(bounds)
    inset.set_gid(gid)
    _set_view(inset, _fit_aspect(view, height_in / max(width_in, 1e-9)))
    inset.set_facecolor("white")
    settle(inset)
    return inset


def _locator_inset(
    ax: Axes,
    layers: _Layers,
    focus: str,
    view: Bounds,
    *,
    x: float,
    width_in: float,
    lang: Lang,
) -> Axes:
    """Show the whole site at the foot of the side column, the shown park highlighted."""
    frame_w, frame_h = _frame_inches(ax)
    city = _view(layers, None)
    cx0, cy0, cx1, cy1 = city
    height_in = min(width_in * (cy1 - cy0) / (cx1 - cx0), 0.45 * frame_h, width_in * 1.3)
    bounds = (x, 0.0, width_in / frame_w, height_in / frame_h)
    inset = _inset_at(ax, bounds, city, gid="locator-inset")
    shown = (inset.get_xlim()[0], inset.get_ylim()[0], inset.get_xlim()[1], inset.get_ylim()[1])
    _draw_land(inset, layers.land, shown, gid="locator-land")
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
        mine = layers.parcels.geometry.to_numpy()[_in_park(layers, focus)]
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
            edgecolor=_PARK_EDGE,
            linewidth=0.7,
            linestyle="--",
            zorder=6,
            gid="locator-view",
        )
    )
    inset.set_title(label("位置图", "Location", lang), fontsize="small", loc="left", pad=2.0)
    return inset


def _small_park_clusters(ax: Axes, layers: _Layers, view: Bounds) -> list[npt.NDArray[np.int64]]:
    """Rows of parks too small to read on the page, in clusters (largest first, at most 2)."""
    frame_w, _ = _frame_inches(ax)
    return _small_park_groups(layers, view, frame_w)


def _frame_width(size: PaperSize, lang: Lang = "zh") -> float:
    """Width of the map frame of a full-page map, inches."""
    sheet = page(size)
    return sheet.width - _LEFT - _RIGHT - _GAP - _side_share(lang) * sheet.width


def _small_park_groups(
    layers: _Layers, view: Bounds, frame_w: float
) -> list[npt.NDArray[np.int64]]:
    parks = layers.parks
    if parks is None or len(parks) < 2:
        return []
    per_inch = (view[2] - view[0]) / frame_w
    bounds = parks.geometry.bounds.to_numpy()
    extent = np.maximum(bounds[:, 2] - bounds[:, 0], bounds[:, 3] - bounds[:, 1]) / per_inch
    small = np.flatnonzero(extent < _SMALL_PARK_IN)
    if small.size == 0 or small.size == len(parks):
        return []  # nothing small, or everything: the map itself is at the wrong scale
    # Single-linkage clusters of small parks closer than 0.6 in on the page.
    centres = (bounds[small, :2] + bounds[small, 2:]) / 2
    cluster = np.arange(small.size)
    for i in range(small.size):
        for j in range(i + 1, small.size):
            if np.hypot(*(centres[i] - centres[j])) / per_inch < 0.6:
                cluster[cluster == cluster[j]] = cluster[i]
    groups = [small[cluster == c] for c in np.unique(cluster)]
    groups.sort(key=lambda g: (-len(g), int(g[0])))
    return groups[:2]


def _cluster_extent(layers: _Layers, rows: npt.NDArray[np.int64]) -> Bounds:
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


def _detail_insets(
    ax: Axes,
    layers: _Layers,
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
    frame_w, frame_h = _frame_inches(ax)
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
        shown = (inset.get_xlim()[0], inset.get_ylim()[0], inset.get_xlim()[1], inset.get_ylim()[1])
        _draw_land(inset, layers.land, shown, gid="detail-land")
        _draw_parcels(
            inset, layers.parcels, facecolors, hatched, linewidth=0.2, gid="detail-parcels"
        )
        _draw_park_outlines(inset, layers.parks, None, gid="detail-parks")
        letter = "AB"[n]
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
        specs = _park_label_specs(
            layers.parks, shown, lang, skip=others, wrap=6, gid="detail-park-label"
        )
        for spec in specs:
            spec.inside = False
        place_labels(inset, specs, fontsize=6.0, obstacles=_boxes(inset, "detail-scale-bar"))
        ax.add_patch(
            Rectangle(
                extent[:2],
                extent[2] - extent[0],
                extent[3] - extent[1],
                facecolor="none",
                edgecolor=_PARK_EDGE,
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
        upper -= title_h + height_in + 0.12


def parcel_map(
    parcels: gpd.GeoDataFrame | Site,
    facecolors: Sequence[str],
    *,
    title: str,
    legend_title: str,
    handles: Sequence[Artist],
    parks: gpd.GeoDataFrame | None = None,
    land: gpd.GeoDataFrame | None = None,
    park: str | None = None,
    hatched: npt.ArrayLike | None = None,
    subtitle: str | None = None,
    schematic: bool | None = None,
    source: str | None = None,
    date: dt.date | None = None,
    lang: Lang = "zh",
    size: PaperSize = "A4",
    ax: Axes | None = None,
) -> tuple[Figure, Axes]:
    """Draw parcels in given colours in the house map frame (the engine of every parcel map).

    Parameters
    ----------
    parcels
        Parcel polygons in a projected CRS, or a :class:`~sim.site.Site` (whose parks
        and land are then used unless given).
    facecolors
        One colour per parcel row.
    title, legend_title, handles
        Map title, legend title and legend entries (a park-outline entry is added).
    parks
        Park outlines with ``park_id, name_zh, name_en`` (optional ``outline``: a
        value containing "schematic" or 示意 marks them schematic).
    land
        Land polygons for the base map (the sea is the frame's colour); its
        ``source`` column is cited in the source line.
    park
        Zoom to this park and add a locator inset; default the whole site.
    hatched
        Boolean mask of parcels drawn hatched (idle land).
    subtitle
        Grey line under the title (the scenario's name, say).
    schematic
        Whether to mark the map 示意图; default: when the parks say so.
    source
        Source line; default :func:`sim.plot.cartography.source_text`.
    date
        Date in the default source line.
    lang, size, ax
        Label language, paper size (``"A4"``/``"A3"``), and Axes to draw on.

    Returns
    -------
    tuple of (Figure, Axes)
        The parcel collection has gid ``"parcels"``, the scale bar ``"scale-bar"``.
    """
    lang = check_lang(lang)
    site = parcels
    layers = _layers(site, parks, land)
    if len(facecolors) != len(layers.parcels):
        raise ValueError(
            f"facecolors must give one colour per parcel: {len(layers.parcels)}; "
            f"got {len(facecolors)}"
        )
    _check_park(layers, park)
    mask = None if hatched is None else np.asarray(hatched, dtype=bool)
    schematic = _is_schematic(layers) if schematic is None else schematic
    handles = list(handles)
    if layers.parks is not None:
        handles.append(
            Patch(
                facecolor="none",
                edgecolor=_PARK_EDGE,
                linewidth=1.0,
                label=label(
                    "园区边界（示意）" if schematic else "园区边界",
                    "park boundary (schematic)" if schematic else "park boundary",
                    lang,
                    sep="\n",
                ),
            )
        )

    with style_context(size):
        bounds = _view(layers, park)
        subtitle_lines = 0 if not subtitle else 1 + subtitle.count("\n")
        subtitle_lines += title.count("\n")
        side_min = 0.8 + _legend_height(handles, lang) + (1.9 if park is not None else 0.0)
        if park is None:  # room for the detail insets of small parks
            side_min += 1.8 * len(_small_park_groups(layers, bounds, _frame_width(size, lang)))
        if ax is None:
            layout, view = _layout(
                bounds, size, head=_head_height(subtitle_lines), side_min=side_min, lang=lang
            )
            fig, ax = _new_figure(layout)
            side_w = layout.side
        else:
            fig = root_figure(ax)
            view = bounds
            side_w = 0.27 * float(fig.get_size_inches()[0])
        _set_view(ax, view)
        _draw_land(ax, layers.land, view)
        _draw_parcels(ax, layers.parcels, list(facecolors), mask)
        _draw_park_outlines(ax, layers.parks, park)

        frame_w, frame_h = _frame_inches(ax)
        side_x = 1.0 + _GAP / frame_w
        _title(ax, title, subtitle)
        arrow_h = north_arrow(ax, layers.crs, x=side_x + 0.12 / frame_w, y=1.0)
        _side_legend(ax, handles, legend_title, below=arrow_h + 4.0, x=side_x)
        skip: frozenset[int] = frozenset()
        if park is not None:
            _locator_inset(ax, layers, park, view, x=side_x, width_in=0.92 * side_w, lang=lang)
            if layers.parks is not None:
                # The title names the park shown; its neighbours in view are labelled.
                ids = layers.parks["park_id"].astype(str).to_numpy()
                skip = frozenset(int(i) for i in np.flatnonzero(ids == park))
        else:
            clusters = _small_park_clusters(ax, layers, view)
            if clusters:
                legend_bottom = _legend_bottom(ax)
                _detail_insets(
                    ax,
                    layers,
                    clusters,
                    list(facecolors),
                    mask,
                    lang,
                    x=side_x,
                    width_in=0.92 * side_w,
                    top=legend_bottom - 0.2 / frame_h,
                )
                skip = frozenset(int(r) for rows in clusters for r in rows)
        place_labels(ax, _park_label_specs(layers.parks, view, lang, skip=skip))
        text = (
            source
            if source is not None
            else source_text(lang, land=layers.land, schematic=schematic, date=date)
        )
        _bottom_notes(
            ax,
            layers.crs,
            source=text,
            note=label("示意图", "schematic", lang) if schematic else None,
        )
    return fig, ax


# --- status ------------------------------------------------------------------------------


def _scenario_rules(scenario: Scenario | None, result: Result, draw: int) -> dict[str, Any]:
    """``parcel_states`` options: the scenario's idle age, the run's occupancy ceilings."""
    if scenario is None:
        return {}
    options: dict[str, Any] = {"idle_after_years": scenario.rules.idle_after_years}
    ceiling = result.parcel_parameters(draw=draw).get("occupancy_ceiling")
    if ceiling is not None:
        options["occupancy_ceiling"] = ceiling
    return options


def _state_handles(
    codes: npt.NDArray[np.int8], counted: npt.NDArray[np.bool_], lang: Lang
) -> list[Artist]:
    counts = np.bincount(codes[counted], minlength=len(ParcelState))
    handles: list[Artist] = []
    for state in ParcelState:
        idle = state is ParcelState.IDLE
        handles.append(
            Patch(
                facecolor=STATE_COLOURS[state],
                edgecolor=IDLE_HATCH_COLOUR if idle else _SWATCH_EDGE,
                hatch=IDLE_HATCH if idle else None,
                linewidth=0.4,
                label=f"{label(state.label_zh, state.label_en, lang, sep=chr(10))} "
                f"({counts[state]})",
            )
        )
    return handles


def status_map(
    result: Result,
    site: Site | gpd.GeoDataFrame,
    *,
    scenario: Scenario | None = None,
    year: int | None = None,
    park: str | None = None,
    draw: int = 0,
    parks: gpd.GeoDataFrame | None = None,
    land: gpd.GeoDataFrame | None = None,
    lang: Lang = "zh",
    size: PaperSize = "A4",
    date: dt.date | None = None,
    ax: Axes | None = None,
) -> tuple[Figure, Axes]:
    """Map every parcel by its state in one year: not released … occupied, idle hatched.

    The states are those of :func:`sim.states.parcel_states`: not released,
    released, idle (闲置), under construction, completed (filling) and occupied
    (at the occupancy ceiling). The legend lists all six with the number of parcels
    in each (in the park shown, or the whole site).

    Parameters
    ----------
    result
        The simulation outcome.
    site
        The :class:`~sim.site.Site` the result was simulated on, or its parcels as a
        GeoDataFrame (``parcel_id`` in the order of ``result.parcel_ids``, projected CRS).
    scenario
        The scenario run: its ``idle_after_years`` and occupancy ceilings sharpen the
        idle and occupied states (see :func:`~sim.states.parcel_states`).
    year
        Year to show; default the horizon.
    park
        Show one park (zoomed, with a locator inset); default the whole site.
    draw
        Monte Carlo draw to show.
    parks, land
        Park outlines and base map, when ``site`` is a GeoDataFrame.
    lang
        ``"zh"``, ``"en"`` or ``"both"``.
    size
        ``"A4"`` or ``"A3"``.
    date
        Date printed in the source line; default today (or ``SOURCE_DATE_EPOCH``).
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
        If the parcels do not match ``result.parcel_ids``, their CRS is missing or
        geographic, or ``draw`` is out of range.
    KeyError
        If ``year`` is outside the simulated years or ``park`` is not in the site.
    """
    lang = check_lang(lang)
    parcels = site.parcels if isinstance(site, Site) else site
    _check_parcels(result, parcels)
    _check_draw(result, draw)
    shown = int(result.years[-1]) if year is None else year
    codes = parcel_states(result, year=shown, draw=draw, **_scenario_rules(scenario, result, draw))
    layers = _layers(site, parks, land)
    _check_park(layers, park)
    lookup = np.array([STATE_COLOURS[s] for s in ParcelState], dtype=object)
    where = f"{_park_name(layers, park, lang)} · " if park is not None else ""
    return parcel_map(
        site,
        list(lookup[codes]),
        title=where + label(f"{shown}年地块建设状态", f"Parcel status, {shown}", lang),
        subtitle=result.scenario_name,
        legend_title=label("地块状态", "Parcel status", lang),
        handles=_state_handles(codes, _in_park(layers, park), lang),
        parks=parks,
        land=land,
        park=park,
        hatched=codes == ParcelState.IDLE,
        date=date,
        lang=lang,
        size=size,
        ax=ax,
    )


# --- completion year -----------------------------------------------------------------------


def _year_colours(years: npt.NDArray[np.int64]) -> dict[int, str]:
    cmap = plt.get_cmap(SEQUENTIAL_CMAP)
    lo, hi = SEQUENTIAL_RANGE
    steps = np.linspace(lo, hi, max(len(years), 2))[: len(years)]
    return {int(y): to_hex(cmap(s)) for y, s in zip(years, steps, strict=True)}


def completion_map(
    result: Result,
    site: Site | gpd.GeoDataFrame,
    *,
    park: str | None = None,
    draw: int = 0,
    parks: gpd.GeoDataFrame | None = None,
    land: gpd.GeoDataFrame | None = None,
    lang: Lang = "zh",
    size: PaperSize = "A4",
    date: dt.date | None = None,
    ax: Axes | None = None,
) -> tuple[Figure, Axes]:
    """Map every parcel by the year its last phase completed; unbuilt parcels grey.

    Colours run from dark (early) to light (late) along matplotlib's cividis, which
    stays readable in greyscale and under colour-vision deficiencies; parcels not
    completed by the horizon are the grey of "not released". Each legend entry counts
    its parcels.

    Parameters
    ----------
    result, site, park, draw, parks, land, lang, size, date, ax
        As in :func:`status_map`.

    Returns
    -------
    tuple of (Figure, Axes)
    """
    lang = check_lang(lang)
    parcels = site.parcels if isinstance(site, Site) else site
    _check_parcels(result, parcels)
    _check_draw(result, draw)
    layers = _layers(site, parks, land)
    _check_park(layers, park)
    done = result.completion_year[draw]
    colours = _year_colours(result.years)
    faces = np.full(done.shape, EMPTY_COLOUR, dtype=object)
    finished = np.isfinite(done)
    faces[finished] = [colours[int(y)] for y in done[finished]]
    counted = _in_park(layers, park)
    horizon = int(result.years[-1])
    handles: list[Artist] = []
    for year, colour in colours.items():
        n = int((counted & (done == year)).sum())
        handles.append(
            Patch(facecolor=colour, edgecolor=_SWATCH_EDGE, linewidth=0.4, label=f"{year} ({n})")
        )
    n_open = int((counted & ~finished).sum())
    unbuilt = label(f"{horizon}年底未竣工", f"not completed by {horizon}", lang, sep="\n")
    handles.append(
        Patch(
            facecolor=EMPTY_COLOUR,
            edgecolor=_SWATCH_EDGE,
            linewidth=0.4,
            label=f"{unbuilt} ({n_open})",
        )
    )
    where = f"{_park_name(layers, park, lang)} · " if park is not None else ""
    return parcel_map(
        site,
        list(faces),
        title=where + label("地块竣工年份", "Year each parcel was completed", lang),
        subtitle=result.scenario_name,
        legend_title=label("竣工年份", "Completed in", lang),
        handles=handles,
        parks=parks,
        land=land,
        park=park,
        date=date,
        lang=lang,
        size=size,
        ax=ax,
    )


# --- small multiples ----------------------------------------------------------------------


def status_years_map(
    result: Result,
    site: Site | gpd.GeoDataFrame,
    *,
    scenario: Scenario | None = None,
    years: Sequence[int] | None = None,
    park: str | None = None,
    draw: int = 0,
    parks: gpd.GeoDataFrame | None = None,
    land: gpd.GeoDataFrame | None = None,
    lang: Lang = "zh",
    size: PaperSize = "A4",
    date: dt.date | None = None,
) -> tuple[Figure, npt.NDArray[np.object_]]:
    """One small status map per year, on one page, with one legend, scale and arrow.

    Parameters
    ----------
    result, site, scenario, park, draw, parks, land, lang, size, date
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
    KeyError
        If a year is outside the simulated years or ``park`` is not in the site.
    """
    lang = check_lang(lang)
    parcels = site.parcels if isinstance(site, Site) else site
    _check_parcels(result, parcels)
    _check_draw(result, draw)
    layers = _layers(site, parks, land)
    _check_park(layers, park)
    shown = [int(y) for y in (result.years if years is None else years)]
    for year in shown:
        result.year_index(year)
    options = _scenario_rules(scenario, result, draw)
    lookup = np.array([STATE_COLOURS[s] for s in ParcelState], dtype=object)
    schematic = _is_schematic(layers)
    counted = _in_park(layers, park)

    with style_context(size):
        sheet = page(size)
        ncols = 3 if len(shown) > 4 else max(len(shown), 1)
        nrows = math.ceil(len(shown) / ncols)
        gap = 0.08
        panel_w = (sheet.width - _LEFT - _RIGHT - gap * (ncols - 1)) / ncols
        bounds = _view(layers, park)
        aspect = (bounds[3] - bounds[1]) / (bounds[2] - bounds[0])
        head = _head_height(1)
        title_h = float(plt.rcParams["legend.fontsize"]) * 1.6 / 72
        legend_h = 0.8 if lang != "both" else 1.05
        foot = legend_h + 0.35
        panel_h = min(panel_w * aspect, (sheet.max_height - head - foot) / nrows - title_h)
        panel_h = max(panel_h, 0.5 * panel_w)
        view = _fit_aspect(bounds, panel_h / panel_w)
        height = head + nrows * (panel_h + title_h) + foot
        fig = plt.figure(figsize=(sheet.width, height))
        axes = []
        for n, year in enumerate(shown):
            row, col = divmod(n, ncols)
            left = _LEFT + col * (panel_w + gap)
            bottom = foot + (nrows - 1 - row) * (panel_h + title_h)
            ax = fig.add_axes(
                (left / sheet.width, bottom / height, panel_w / sheet.width, panel_h / height)
            )
            ax.set_gid(f"panel-{year}")
            _set_view(ax, view)
            _draw_land(ax, layers.land, view)
            codes = parcel_states(result, year=year, draw=draw, **options)
            _draw_parcels(
                ax, layers.parcels, list(lookup[codes]), codes == ParcelState.IDLE, linewidth=0.15
            )
            _draw_park_outlines(ax, layers.parks, park)
            ax.set_title(str(year), fontsize="medium", pad=2.0, loc="left")
            built = int((counted & (codes >= ParcelState.UNDER_CONSTRUCTION)).sum())
            ax.text(
                0.99,
                1.0,
                {"zh": f"开工 {built} 块", "en": f"{built} started"}.get(
                    lang, f"开工 started: {built}"
                ),
                transform=ax.transAxes,
                ha="right",
                va="bottom",
                fontsize="x-small",
                color=_NOTE_GREY,
                gid="panel-count",
            )
            axes.append(ax)
        first = axes[0]
        where = f"{_park_name(layers, park, lang)} · " if park is not None else ""
        fig.text(
            _LEFT / sheet.width,
            1 - 0.12 / height,
            where
            + label(
                f"地块建设状态，{shown[0]}–{shown[-1]}年",
                f"Parcel status, {shown[0]}–{shown[-1]}",
                lang,
            ),
            ha="left",
            va="top",
            fontsize=plt.rcParams["axes.titlesize"],
            gid="title",
        )
        fig.text(
            _LEFT / sheet.width,
            1 - 0.12 / height - plt.rcParams["axes.titlesize"] * 1.5 / 72 / height,
            result.scenario_name,
            ha="left",
            va="top",
            fontsize="small",
            color=_NOTE_GREY,
            gid="subtitle",
        )
        # North arrow at the top right of the page, legend across the foot.
        last = axes[min(ncols, len(axes)) - 1]
        north_arrow(
            last,
            layers.crs,
            x=0.97,
            y=1.0 + (title_h + head * 0.8) / panel_h,
            size=0.8 * float(plt.rcParams["font.size"]),
        )
        handles = [
            Patch(
                facecolor=STATE_COLOURS[s],
                edgecolor=IDLE_HATCH_COLOUR if s is ParcelState.IDLE else _SWATCH_EDGE,
                hatch=IDLE_HATCH if s is ParcelState.IDLE else None,
                linewidth=0.4,
                label=label(s.label_zh, s.label_en, lang, sep="\n"),
            )
            for s in ParcelState
        ]
        legend = fig.legend(
            handles=handles,
            loc="lower left",
            bbox_to_anchor=(_LEFT / sheet.width, 0.3 / height),
            ncols=3,
            frameon=False,
            title=label("地块状态", "Parcel status", lang),
            alignment="left",
            handlelength=1.6,
            borderaxespad=0.0,
        )
        legend.set_gid("legend")
        # One scale bar for every panel (they share the scale), at the right of the foot,
        # on a bare Axes as wide as a panel that shows the same x range.
        scale_ax = fig.add_axes(
            (
                (sheet.width - _RIGHT - panel_w) / sheet.width,
                (legend_h + 0.05) / height,
                panel_w / sheet.width,
                0.05 / height,
            )
        )
        scale_ax.set_xlim(view[0], view[2])
        scale_ax.set_ylim(0.0, 1.0)
        scale_ax.set_axis_off()
        scale_ax.set_gid("scale-bar-axes")
        scale_bar(scale_ax, layers.crs, below=0.0, fraction=0.3, fontsize="x-small")
        text = source_text(lang, land=layers.land, schematic=schematic, date=date)
        fig.text(
            _LEFT / sheet.width,
            0.08 / height,
            text,
            ha="left",
            va="bottom",
            fontsize=float(plt.rcParams["legend.fontsize"]) * 0.9,
            color=_NOTE_GREY,
            gid="source-line",
        )
        if schematic:
            fig.text(
                1 - _RIGHT / sheet.width,
                0.34 / height,
                label("示意图", "schematic", lang),
                ha="right",
                va="bottom",
                color=_NOTE_GREY,
                gid="schematic-note",
            )
        del first
    return fig, np.asarray(axes, dtype=object)


# --- overview -------------------------------------------------------------------------------


def _floor_targets(
    targets: Sequence[Target], park_ids: Sequence[str], year: int
) -> dict[str, tuple[float, int]]:
    """Per park, the floor-completed target to compare with ``year``: value and year.

    The target of that year if there is one, else the latest before it, else the first.
    """
    from sim.scenario import Metric

    chosen: dict[str, tuple[float, int]] = {}
    for park in park_ids:
        mine = sorted(
            (t for t in targets if t.metric is Metric.FLOOR_COMPLETED and t.park == park),
            key=lambda t: t.year,
        )
        if not mine:
            continue
        before = [t for t in mine if t.year <= year]
        pick = before[-1] if before else mine[0]
        chosen[park] = (float(pick.value), int(pick.year))
    return chosen


def _mini_bar(
    done: float,
    building: float,
    target: float | None,
    spread: tuple[float, float] | None,
    colour: str,
    *,
    width: float,
    scale: float,
) -> DrawingArea:
    """Draw a bar ``width`` points long: floor completed, under construction, target."""
    height = 5.5
    area = DrawingArea(width, height + 3.0, 0.0, 0.0)
    per = width / max(scale, 1e-9)
    area.add_artist(Rectangle((0, 1.5), width, height, facecolor="#EEEEEE", edgecolor="none"))
    area.add_artist(
        Rectangle((0, 1.5), min(done * per, width), height, facecolor=colour, edgecolor="none")
    )
    area.add_artist(
        Rectangle(
            (min(done * per, width), 1.5),
            min(building * per, width - min(done * per, width)),
            height,
            facecolor=colour,
            alpha=0.35,
            edgecolor="none",
        )
    )
    if spread is not None:
        lo, hi = (min(v * per, width) for v in spread)
        area.add_artist(Line2D([lo, hi], [1.5 + height / 2] * 2, color="black", linewidth=0.8))
        for v in (lo, hi):
            area.add_artist(
                Line2D(
                    [v, v], [1.5 + height * 0.2, 1.5 + height * 0.8], color="black", linewidth=0.8
                )
            )
    if target is not None:
        x = min(target * per, width)
        area.add_artist(Line2D([x, x], [0.0, height + 3.0], color=TARGET_COLOUR, linewidth=1.2))
    return area


def overview_map(
    result: Result,
    site: Site,
    *,
    targets: Sequence[Target] = (),
    year: int | None = None,
    ensemble: Ensemble | None = None,
    draw: int = 0,
    lang: Lang = "zh",
    size: PaperSize = "A4",
    date: dt.date | None = None,
    ax: Axes | None = None,
) -> tuple[Figure, Axes]:
    """Map the city with every park and, per park, its floor completed against target.

    Each park is drawn in its colour with a ring so the smallest stays visible, and
    labelled (on a leader line, never overlapping) with its name, floor completed in
    ``year`` and its floor-completed target, and a small bar: completed (solid),
    under construction (pale), the target (black tick) and — with an ensemble — the
    P10–P90 range of floor completed across draws. Bars of parks with a target are
    drawn to the target (or the floor, if more); parks without one show the numbers.

    Parameters
    ----------
    result
        The simulation outcome (the bars show ``draw``).
    site
        The site simulated.
    targets
        The scenario's targets; those on floor completed are shown (the one of
        ``year``, else the latest before it, else the first).
    year
        Year of the floor shown; default the horizon.
    ensemble
        A Monte Carlo run: adds the P10–P90 whisker.
    draw, lang, size, date, ax
        As in :func:`status_map`.

    Returns
    -------
    tuple of (Figure, Axes)
        Park fills have gid ``"parks-fill"``; each park's label ``"park-label"``.
    """
    lang = check_lang(lang)
    _check_draw(result, draw)
    shown = int(result.years[-1]) if year is None else year
    t = result.year_index(shown)
    layers = _layers(site, None, None)
    parks = layers.parks
    assert parks is not None
    park_ids = [str(p) for p in parks["park_id"]]
    order = [result.park_ids.index(p) for p in park_ids]
    done = result.by_park("floor_completed_m2")[draw, t, order] / 1e4
    building = result.by_park("floor_under_construction_m2")[draw, t, order] / 1e4
    spread = None
    if ensemble is not None:
        per_draw = ensemble.by_park("floor_completed_m2")[:, list(ensemble.years).index(shown)]
        low, high = np.percentile(per_draw, [10, 90], axis=0) / 1e4
        spread = {
            p: (float(low[ensemble.park_ids.index(p)]), float(high[ensemble.park_ids.index(p)]))
            for p in park_ids
        }
    goals = _floor_targets(targets, park_ids, shown)
    schematic = _is_schematic(layers)
    colours = {p: park_colour(result.park_ids.index(p)) for p in park_ids}

    unit = "× 10⁴ m²" if lang == "en" else "万m²"  # one unit, even with both languages
    handles: list[Artist] = [
        Patch(
            facecolor="#555555",
            label=label(f"{shown}年竣工", f"completed by {shown}", lang, sep="\n"),
        ),
        Patch(facecolor="#555555", alpha=0.35, label=label("在建", "under construction", lang)),
        Line2D(
            [],
            [],
            color=TARGET_COLOUR,
            linewidth=1.2,
            marker="|",
            markersize=9,
            linestyle="none",
            label=label("竣工目标", "floor target", lang),
        ),
    ]
    if ensemble is not None:
        handles.append(
            Line2D(
                [],
                [],
                color="black",
                linewidth=0.8,
                marker="|",
                markersize=5,
                label=label(
                    f"P10–P90（{ensemble.draws:,} 次模拟）",
                    f"P10–P90 ({ensemble.draws:,} runs)",
                    lang,
                    sep="\n",
                ),
            )
        )

    with style_context(size):
        bounds = _view(layers, None)
        subtitle = result.scenario_name
        side_min = 0.8 + _legend_height(handles, lang)
        if ax is None:
            # Labels with bars need room: the frame is at least 0.8 as tall as wide.
            side_min = max(side_min, 0.8 * _frame_width(size, lang))
            layout, view = _layout(bounds, size, head=_head_height(1), side_min=side_min, lang=lang)
            fig, ax = _new_figure(layout)
        else:
            fig = root_figure(ax)
            view = bounds
        _set_view(ax, view)
        _draw_land(ax, layers.land, view)
        geoms = parks.geometry.to_numpy()
        fills = [colours[p] for p in park_ids]
        add_polygons(
            ax,
            geoms,
            facecolors=fills,
            edgecolors=_PARK_EDGE,
            linewidths=0.8,
            zorder=3,
            gid="parks-fill",
        )
        centres = parks.geometry.representative_point()
        ax.scatter(
            centres.x,
            centres.y,
            s=40,
            facecolors="none",
            edgecolors=fills,
            linewidths=1.4,
            zorder=4,
            gid="park-rings",
        )

        frame_w, _ = _frame_inches(ax)
        side_x = 1.0 + _GAP / frame_w
        _title(
            ax,
            label(f"园区分布与{shown}年竣工面积", f"Parks and floor completed by {shown}", lang),
            subtitle,
        )
        arrow_h = north_arrow(ax, layers.crs, x=side_x + 0.12 / frame_w, y=1.0)
        _side_legend(ax, handles, label("条形图", "Bars", lang), below=arrow_h + 4.0, x=side_x)

        small = float(plt.rcParams["legend.fontsize"])
        specs = []
        for k, park in enumerate(park_ids):
            row = parks.iloc[k]
            name = label(str(row["name_zh"]), str(row["name_en"]), lang, sep="\n")
            goal = goals.get(park)
            if goal is not None:
                numbers = f"{done[k]:,.0f} / {goal[0] / 1e4:,.0f} {unit}"
                if goal[1] != shown:
                    numbers += label(f"（{goal[1]}年目标）", f" (target {goal[1]})", lang)
            else:
                numbers = f"{done[k]:,.0f} {unit} · " + label("无面积目标", "no target", lang)
            children: list[Any] = [
                TextArea(name, textprops={"fontsize": small * 1.1}),
                TextArea(numbers, textprops={"fontsize": small * 0.9, "color": "#333333"}),
            ]
            if goal is not None:  # a bar only where there is a target to measure against
                scale = max(goal[0] / 1e4, done[k] + building[k], 1e-9)
                bar = _mini_bar(
                    float(done[k]),
                    float(building[k]),
                    goal[0] / 1e4,
                    spread[park] if spread else None,
                    colours[park],
                    width=8.4 * small,
                    scale=scale,
                )
                children.append(HPacker(children=[bar], pad=0, sep=0))
            box = VPacker(children=children, align="left", pad=1.5, sep=1.5)
            point = centres.iloc[k]
            geom_bounds = tuple(float(v) for v in row.geometry.bounds)
            specs.append(
                LabelSpec(
                    anchor=(point.x, point.y),
                    bounds=geom_bounds,  # type: ignore[arg-type]
                    box=box,
                    inside=False,
                    geometry=row.geometry,
                )
            )
        place_labels(ax, specs)
        text = source_text(lang, land=layers.land, schematic=schematic, date=date)
        _bottom_notes(
            ax,
            layers.crs,
            source=text,
            note=label("示意图", "schematic", lang) if schematic else None,
        )
    return fig, ax


# Kept for callers of the first version of this module.
_polygon_paths = polygon_paths
_nice_length = nice_length
