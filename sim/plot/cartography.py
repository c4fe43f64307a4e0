"""Map furniture: polygons as paths, scale bar, north arrow, labels, insets, source line.

In: a matplotlib Axes showing a projected CRS with equal aspect, and GeoDataFrames in
that CRS. Out: artists added to the Axes, each with a ``gid`` naming what it is so
tests (and SVG readers) can find it. The measured pieces are measured on the ground:

- the **scale bar** is as long, in map units, as the ground distance its label gives
  at the centre of the view — the CRS's unit *and* its scale factor are accounted for
  (a Gauss–Krüger zone is true to 10⁻⁴, Web Mercator at 36° N is 24 % long);
- the **north arrow** points to true north at the centre of the view (it differs from
  grid north by the meridian convergence, about 0.3° in Qingdao's zone);
- **labels** are placed so that no two overlap, inside a park when the name fits and
  otherwise beside it on a leader line, clear of other parks where possible.

Everything here is measured in points (1/72 in) on the page, so furniture keeps its
size whatever the scale of the map.
"""

from __future__ import annotations

import itertools
import math
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import matplotlib.pyplot as plt
import numpy as np
import shapely
from matplotlib import patheffects
from matplotlib.collections import PathCollection
from matplotlib.offsetbox import AnnotationBbox, OffsetBox
from matplotlib.patches import Rectangle
from matplotlib.path import Path
from matplotlib.text import Annotation
from matplotlib.transforms import Bbox, ScaledTranslation
from pyproj import CRS, Transformer

from sim.plot.figure import root_figure
from sim.plot.style import Lang, label, source_date

if TYPE_CHECKING:
    import datetime as dt

    import geopandas as gpd
    import numpy.typing as npt
    from matplotlib.artist import Artist
    from matplotlib.axes import Axes
    from matplotlib.backend_bases import RendererBase

__all__ = [
    "LabelSpec",
    "RaggedPolygons",
    "add_polygons",
    "map_units_per_metre",
    "nice_length",
    "north_arrow",
    "place_labels",
    "polygon_paths",
    "ragged_polygons",
    "scale_bar",
    "settle",
    "source_text",
    "true_north_angle",
]

_INK = "#222222"
_HALO = [patheffects.withStroke(linewidth=2.5, foreground="white")]


# --- polygons -----------------------------------------------------------------------


@dataclass(frozen=True)
class RaggedPolygons:
    """(Multi)polygons as one vertex array with path codes, aligned with their rows.

    Attributes
    ----------
    vertices
        Every ring's vertices, ``(N, 2)``: exteriors counter-clockwise, holes clockwise,
        so holes stay open under matplotlib's non-zero fill rule.
    codes
        :class:`~matplotlib.path.Path` codes, ``(N,)``: ``MOVETO`` at each ring's first
        vertex, ``CLOSEPOLY`` at its last, ``LINETO`` between.
    owner
        Row of the geometry each vertex belongs to, ``(N,)``.
    offsets
        Row ``i`` owns ``vertices[offsets[i]:offsets[i + 1]]``, ``(G + 1,)``.
    """

    vertices: npt.NDArray[np.float64]
    codes: npt.NDArray[np.uint8]
    owner: npt.NDArray[np.intp]
    offsets: npt.NDArray[np.intp]

    def paths(self) -> list[Path]:
        """One compound path per row (empty for empty rows)."""
        return [
            Path(self.vertices[a:b], self.codes[a:b]) if b > a else Path(np.empty((0, 2)))
            for a, b in itertools.pairwise(self.offsets)
        ]

    def compound(self, rows: npt.NDArray[np.bool_]) -> Path:
        """One compound path of the rows where ``rows`` is True (a boolean row mask)."""
        keep = np.asarray(rows, dtype=bool)[self.owner]
        return Path(self.vertices[keep], self.codes[keep])

    def by_class(self, classes: npt.NDArray[np.intp], n: int) -> list[Path]:
        """One compound path per class ``0 … n - 1`` of the rows' ``classes``, in one sort.

        Examples
        --------
        >>> import numpy as np, shapely
        >>> rag = ragged_polygons(np.array([shapely.box(0, 0, 1, 1)] * 3, dtype=object))
        >>> [len(p.vertices) for p in rag.by_class(np.array([1, 0, 1]), 3)]
        [5, 10, 0]
        """
        of_vertex = np.asarray(classes, dtype=np.intp)[self.owner]
        order = np.argsort(of_vertex, kind="stable")
        cuts = np.searchsorted(of_vertex[order], np.arange(n + 1))
        vertices, codes = self.vertices[order], self.codes[order]
        return [Path(vertices[a:b], codes[a:b]) for a, b in itertools.pairwise(cuts)]


#: Ragged arrays of geometry arrays already seen: id → (weak reference, arrays).
_RAGGED: dict[int, tuple[weakref.ref[Any], RaggedPolygons]] = {}


def ragged_polygons(geoms: Any) -> RaggedPolygons:
    """Return the :class:`RaggedPolygons` of ``geoms``, built once per geometry array.

    ``geoms`` is a GeoSeries, a geopandas ``GeometryArray`` or an array of shapely
    geometries. A GeoSeries' geometry array is cached (weakly, keyed on the array
    itself), so every map of a run converts the site's parcels once; a plain numpy
    array is converted each time. Empty, missing and non-polygonal geometries own no
    vertices, so rows stay aligned with ``geoms``.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> parcels = gpd.GeoSeries([shapely.box(0, 0, 1, 1), None])
    >>> ragged_polygons(parcels) is ragged_polygons(parcels)
    True
    >>> ragged_polygons(parcels).offsets.tolist()
    [0, 5, 5]
    """
    values = getattr(geoms, "values", geoms)
    if isinstance(values, np.ndarray):
        return _ragged(values)
    key = id(values)
    hit = _RAGGED.get(key)
    if hit is not None and hit[0]() is values:
        return hit[1]
    rag = _ragged(np.asarray(values, dtype=object))

    def forget(_: weakref.ref[Any]) -> None:
        _RAGGED.pop(key, None)

    _RAGGED[key] = (weakref.ref(values, forget), rag)
    return rag


def _ragged(geoms: npt.NDArray[np.object_]) -> RaggedPolygons:
    geoms = np.asarray(geoms, dtype=object).reshape(-1)
    if geoms.size == 0:
        return RaggedPolygons(
            np.empty((0, 2)),
            np.empty(0, dtype=Path.code_type),
            np.empty(0, dtype=np.intp),
            np.zeros(1, dtype=np.intp),
        )
    kinds = shapely.get_type_id(geoms)
    polygons = (kinds == shapely.GeometryType.POLYGON) & ~shapely.is_empty(geoms)
    multi = kinds == shapely.GeometryType.MULTIPOLYGON
    # Promote everything to MultiPolygon so the ragged arrays have one layout;
    # missing, empty and non-polygonal geometries become empty multipolygons.
    uniform = np.full(geoms.shape, shapely.MultiPolygon(), dtype=object)
    uniform[polygons] = shapely.multipolygons(geoms[polygons][:, None])
    uniform[multi] = geoms[multi]
    # Exterior counter-clockwise, holes clockwise: holes stay open under any fill rule.
    uniform = shapely.orient_polygons(uniform)
    _, coords, (ring_offsets, polygon_offsets, geom_offsets) = shapely.to_ragged_array(uniform)
    codes = np.full(len(coords), Path.LINETO, dtype=Path.code_type)
    starts, ends = ring_offsets[:-1], ring_offsets[1:]
    nonempty = ends > starts
    codes[starts[nonempty]] = Path.MOVETO
    codes[ends[nonempty] - 1] = Path.CLOSEPOLY
    offsets = np.asarray(ring_offsets[polygon_offsets[geom_offsets]], dtype=np.intp)
    owner = np.repeat(np.arange(geoms.size, dtype=np.intp), np.diff(offsets))
    return RaggedPolygons(np.asarray(coords, dtype=np.float64), codes, owner, offsets)


def polygon_paths(geoms: npt.NDArray[np.object_]) -> list[Path]:
    """One compound :class:`~matplotlib.path.Path` per (multi)polygon, vectorised.

    Built from shapely's ragged arrays in one pass (:func:`ragged_polygons`), so
    10,000 parcels cost milliseconds. Empty, missing and non-polygonal geometries
    become empty paths, so the list stays aligned with ``geoms``.
    """
    return ragged_polygons(np.asarray(geoms, dtype=object)).paths()


def add_polygons(
    ax: Axes,
    geoms: npt.NDArray[np.object_],
    *,
    facecolors: str | Sequence[str],
    edgecolors: str,
    linewidths: float,
    zorder: float,
    gid: str,
    hatch: str | None = None,
    hatchcolor: str | None = None,
) -> PathCollection:
    """Add polygons to ``ax`` as one :class:`~matplotlib.collections.PathCollection`.

    The collection does not change the data limits: the caller sets the view.
    """
    collection = PathCollection(
        polygon_paths(geoms),
        facecolors=facecolors,
        edgecolors=edgecolors,
        linewidths=linewidths,
        zorder=zorder,
        hatch=hatch,
    )
    if hatchcolor is not None:
        collection.set_hatchcolor(hatchcolor)
    collection.set_gid(gid)
    ax.add_collection(collection, autolim=False)
    return collection


# --- scale and north ----------------------------------------------------------------


def _to_geographic(crs: CRS) -> Transformer:
    return Transformer.from_crs(crs, crs.geodetic_crs, always_xy=True)


def map_units_per_metre(crs: CRS, x: float, y: float, dx: float) -> float:
    """Map units per metre on the ground, along x from ``(x, y)`` over ``dx`` map units.

    The geodesic length of the segment ``(x, y)–(x + dx, y)`` on the CRS's ellipsoid
    divides its length in map units; this includes both the unit of the CRS (feet,
    metres) and its scale factor at that place.

    Examples
    --------
    >>> from pyproj import CRS
    >>> round(map_units_per_metre(CRS("EPSG:3857"), 0.0, 4_300_000.0, 1000.0), 3)  # 36° N
    1.235
    """
    to_geo = _to_geographic(crs)
    lon, lat = to_geo.transform([x, x + dx], [y, y])
    _, _, metres = crs.get_geod().inv(lon[0], lat[0], lon[1], lat[1])  # type: ignore[union-attr]
    return abs(dx) / float(metres)


def true_north_angle(crs: CRS, x: float, y: float) -> float:
    """Angle of true north at ``(x, y)``, in degrees clockwise from grid north (up).

    Examples
    --------
    >>> from pyproj import CRS
    >>> round(true_north_angle(CRS("EPSG:4549"), 500_000.0, 4_000_000.0), 6)  # on the CM
    0.0
    """
    to_geo = _to_geographic(crs)
    from_geo = Transformer.from_crs(crs.geodetic_crs, crs, always_xy=True)
    lon, lat = to_geo.transform(x, y)
    north_x, north_y = from_geo.transform(lon, min(lat + 0.01, 89.99))
    return math.degrees(math.atan2(north_x - x, north_y - y))


def nice_length(target: float) -> float:
    """Largest 1, 2 or 5 × 10ⁿ not above ``target`` (``target`` > 0 and finite).

    Raises
    ------
    ValueError
        If ``target`` is not a finite number > 0.

    Examples
    --------
    >>> nice_length(3700.0), nice_length(180.0), nice_length(1000.0)
    (2000.0, 100.0, 1000.0)
    """
    if not (math.isfinite(target) and target > 0):
        raise ValueError(f"expected a finite length > 0; found {target!r}")
    power = 10.0 ** math.floor(math.log10(target))
    for step in (5.0, 2.0, 1.0):
        if step * power <= target * (1 + 1e-9):
            return step * power
    return power


def _points(ax: Axes, dx: float, dy: float) -> ScaledTranslation:
    """Shift by ``(dx, dy)`` points, whatever the figure's dpi."""
    return ScaledTranslation(dx / 72.0, dy / 72.0, root_figure(ax).dpi_scale_trans)


def scale_bar(
    ax: Axes,
    crs: CRS,
    *,
    fraction: float = 0.25,
    y: float = 0.0,
    below: float = 6.0,
    fontsize: str | float = "small",
    inset: float = 0.0,
    gid: str = "scale-bar",
) -> float:
    """Draw a two-tone scale bar at the left edge of ``ax``, its length true on the ground.

    Parameters
    ----------
    ax
        The map axes, its view already set.
    crs
        The projected CRS of the map.
    fraction
        Longest share of the view's width the bar may take; its length is the largest
        1, 2 or 5 × 10ⁿ metres that fits.
    y
        Vertical position in axes fractions (0 = the frame's bottom edge).
    below
        Points below ``y`` at which the bar's top sits (negative: above).
    fontsize
        Size of the tick labels.
    inset
        Share of the view's width between the left edge and the bar (0: flush; inside
        a frame, say 0.05, and the labels get a white halo).
    gid
        ``gid`` of the full bar; the black half is ``gid + "-half"`` and the labels
        ``gid + "-label"``.

    Returns
    -------
    float
        The length the bar stands for, in metres; NaN, and nothing drawn, where the
        CRS cannot measure the view on the ground (a view off the earth, e.g. at 10¹² m
        or beyond the projection's domain: :func:`sim.site.load_site` refuses such
        sites, but a map may be drawn from any frame).
    """
    xmin, xmax = ax.get_xlim()
    ymin, ymax = ax.get_ylim()
    width = xmax - xmin
    try:
        per_metre = map_units_per_metre(crs, (xmin + xmax) / 2, (ymin + ymax) / 2, fraction * width)
        target = fraction * width / per_metre
    except ZeroDivisionError:  # a view of no width, or a CRS that measures it as 0 m
        per_metre = target = math.nan
    if not (math.isfinite(target) and target > 0 and math.isfinite(per_metre)):
        return math.nan
    metres = nice_length(target)
    length = metres * per_metre
    size = float(plt.rcParams["font.size"])
    # x in data units (the bar measures the map); y in axes fractions, worked out
    # from points at the frame's current height.
    per_point = 1.0 / max(ax.get_window_extent().height * 72.0 / root_figure(ax).dpi, 1.0)
    bar_h = 0.45 * size * per_point
    top = y - below * per_point
    place = ax.get_xaxis_transform()
    x0 = xmin + inset * width
    for name, span, face in ((gid, length, "white"), (f"{gid}-half", length / 2, "black")):
        ax.add_patch(
            Rectangle(
                (x0, top - bar_h),
                span,
                bar_h,
                transform=place,
                facecolor=face,
                edgecolor="black",
                linewidth=0.6,
                clip_on=False,
                zorder=7,
                gid=name,
            )
        )
    text = f"{metres / 1000:g} km" if metres >= 1000 else f"{metres:g} m"
    halo = _HALO if inset else None
    for x, tick in ((x0, "0"), (x0 + length, text)):
        ax.text(
            x,
            top - bar_h - 1.5 * per_point,
            tick,
            transform=place,
            ha="center" if tick == "0" else "left",
            va="top",
            fontsize=fontsize,
            clip_on=False,
            path_effects=halo,
            zorder=7,
            gid=f"{gid}-label",
        )
    return metres


def north_arrow(
    ax: Axes,
    crs: CRS,
    *,
    x: float,
    y: float,
    size: float | None = None,
) -> float:
    """Draw a north arrow pointing to true north at the centre of the view.

    Parameters
    ----------
    ax
        The map axes, its view already set.
    crs
        The projected CRS of the map.
    x, y
        Top centre of the arrow's box, in axes fractions (may lie outside the frame).
    size
        Font size the arrow is scaled to, points; default ``font.size``.

    Returns
    -------
    float
        Height of the arrow and its "N", in points. Where the CRS cannot place the
        view on the earth, the arrow shows grid north (up).
    """
    size = float(plt.rcParams["font.size"]) if size is None else size
    xmin, xmax = ax.get_xlim()
    ymin, ymax = ax.get_ylim()
    north = true_north_angle(crs, (xmin + xmax) / 2, (ymin + ymax) / 2)
    # Off the earth (a view the CRS cannot place) true north is unknown: grid north.
    angle = math.radians(north) if math.isfinite(north) else 0.0
    length = 2.6 * size
    letter = 1.4 * size
    # Rotate about the arrow's middle so a tilted arrow stays in its box.
    mid = -letter - length / 2
    dx, dy = math.sin(angle) * length / 2, math.cos(angle) * length / 2
    base = ax.transAxes
    ax.annotate(
        "",
        xy=(x, y),
        xycoords=base + _points(ax, dx, mid + dy),
        xytext=(x, y),
        textcoords=base + _points(ax, -dx, mid - dy),
        arrowprops={
            "arrowstyle": "-|>,head_width=0.35,head_length=0.9",
            "color": "black",
            "linewidth": 1.2,
            "shrinkA": 0,
            "shrinkB": 0,
        },
        annotation_clip=False,
        gid="north-arrow",
    )
    ax.text(
        x,
        y,
        "N",
        transform=base + _points(ax, 2 * dx / length * letter, 0.0),
        ha="center",
        va="top",
        fontsize=1.1 * size,
        clip_on=False,
        gid="north-arrow-label",
    )
    return letter + length + 0.4 * size


# --- source line and notes ------------------------------------------------------------


def source_text(
    lang: Lang,
    *,
    land: gpd.GeoDataFrame | None = None,
    schematic: bool = False,
    date: dt.date | None = None,
    version: str | None = None,
) -> str:
    """Compose the source line of a map: base map, schematic outlines, software, date.

    Parameters
    ----------
    lang
        ``"zh"``, ``"en"`` or ``"both"``.
    land
        The base map; its ``source`` column (first value) names it.
    schematic
        Whether the park outlines are schematic (示意).
    date
        Date printed; default :func:`sim.plot.style.source_date`.
    version
        parksim version; default the installed one.

    Examples
    --------
    >>> import datetime as dt
    >>> source_text("zh", schematic=True, date=dt.date(2026, 11, 26), version="0.1.0")
    '园区边界为示意 · parksim 0.1.0 · 2026-11-26'
    """
    parts: list[str] = []
    if land is not None and "source" in land.columns and len(land):
        base = str(land["source"].iloc[0])
        parts.append(label("底图：", "Base map: ", lang).replace("： Base", " Base") + base)
    if schematic:
        parts.append(label("园区边界为示意", "park outlines schematic", lang))
    parts.append(f"parksim {_version() if version is None else version}")
    parts.append((source_date() if date is None else date).isoformat())
    return " · ".join(parts)


def _version() -> str:
    from importlib import metadata

    try:
        return metadata.version("parksim")
    except metadata.PackageNotFoundError:  # a source tree that was not installed
        import sim

        return sim.__version__


# --- labels ---------------------------------------------------------------------------


@dataclass
class LabelSpec:
    """A label to place for one feature.

    Attributes
    ----------
    anchor
        Point the leader line ends at, data coordinates (inside the feature).
    bounds
        The feature's ``(xmin, ymin, xmax, ymax)`` in data coordinates.
    text
        The label text (used when ``box`` is None).
    box
        An :class:`~matplotlib.offsetbox.OffsetBox` to place instead of text (a name
        with a small bar, say); never placed inside the feature.
    gid
        ``gid`` of the label artist.
    inside
        Whether the label may sit inside the feature when it fits.
    geometry
        The feature's shape: an outside label's leader line then ends on its edge,
        at the point nearest the label, instead of at ``anchor``.
    """

    anchor: tuple[float, float]
    bounds: tuple[float, float, float, float]
    text: str = ""
    box: OffsetBox | None = None
    gid: str = "park-label"
    inside: bool = True
    geometry: shapely.Geometry | None = None


# Directions tried around a feature, in order of preference: right, above, left,
# below, then the diagonals (upper right first, as cartographers read).
_BOX_PAD = 0.3  # padding of framed labels, in font sizes


def _fontsize_points(fontsize: str | float) -> float:
    from matplotlib.font_manager import FontProperties

    return float(FontProperties(size=fontsize).get_size_in_points())


# Directions tried around a feature, every 22.5° from the right, with a small cost
# that prefers right, above, left and below, then the diagonals (as maps read).
_ANGLES = np.radians(np.arange(0.0, 360.0, 22.5))
_ANGLE_COST = np.array([0, 3, 2, 3, 1, 3, 2, 3, 2, 3, 2, 3, 1.5, 3, 2, 3], dtype=float) * 0.5
_RADII = (6.0, 14.0, 26.0, 42.0, 62.0, 88.0, 120.0, 160.0, 210.0)  # points beyond the edge


def place_labels(
    ax: Axes,
    specs: Sequence[LabelSpec],
    *,
    obstacles: Sequence[Bbox] = (),
    fontsize: str | float = "small",
    color: str = _INK,
) -> list[Artist]:
    """Place labels so none overlaps another, with leader lines where they sit outside.

    A label goes inside its feature when it fits there (and ``inside`` allows);
    otherwise it is tried at growing distances right, above, left, below and
    diagonally from the feature, and put where it stays in the frame, overlaps no
    placed label or obstacle, and covers the least of the other features. A leader
    line joins an outside label to its anchor.

    Placement uses the Axes' current position on the figure: lay the figure out
    before calling (the map frame, :mod:`sim.plot.frame`, fixes its layout).

    Parameters
    ----------
    ax
        The map axes, view set.
    specs
        One per feature.
    obstacles
        Display-space boxes labels must avoid (insets, the legend).
    fontsize, color
        Text style of text labels.

    Returns
    -------
    list of Artist
        The label artists (``Annotation`` or ``AnnotationBbox``), in ``specs`` order.
    """
    fig = root_figure(ax)
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    settle(ax, renderer)
    frame = ax.get_window_extent(renderer)
    to_px = fig.dpi / 72.0
    pad = 2.0 * to_px
    feature_boxes = [_display_box(ax, s.bounds) for s in specs]

    sizes = [_label_size(ax, s, renderer, fontsize) for s in specs]
    anchors = [tuple(ax.transData.transform(s.anchor)) for s in specs]
    order = sorted(
        range(len(specs)),
        key=lambda i: (
            not _fits_inside(sizes[i], feature_boxes[i], specs[i]),
            -_crowding(i, feature_boxes),
        ),
    )
    chosen: dict[int, _Placement] = {}

    def place(i: int) -> _Placement:
        others = [p for j, p in chosen.items() if j != i]
        boxes = [*obstacles, *(p.box for p in others)]
        leaders = [p.segment for p in others if p.segment is not None]
        (w, h), own, (ax_px, ay_px) = sizes[i], feature_boxes[i], anchors[i]
        if _fits_inside(sizes[i], own, specs[i]):
            box = Bbox.from_bounds(ax_px - w / 2, ay_px - h / 2, w, h)
            clear = not any(_overlap(box, other, pad) for other in boxes)
            lines = np.asarray(leaders, dtype=float).reshape(-1, 4)
            if clear and not _through(lines, _as_array([box])).any():
                return _Placement(0.0, 0.0, 0.0, "center", "center", box, None)
        return _best_outside(
            (ax_px, ay_px), (w, h), own, feature_boxes, boxes, leaders, frame, to_px, pad
        )

    def place_given(layout: dict[int, _Placement], i: int) -> _Placement:
        saved = dict(chosen)
        chosen.clear()
        chosen.update(layout)
        try:
            return place(i)
        finally:
            chosen.clear()
            chosen.update(saved)

    def solve(sequence: Sequence[int]) -> tuple[float, dict[int, _Placement]]:
        chosen.clear()
        for i in sequence:  # greedy, in this order …
            chosen[i] = place(i)
        for _ in range(4):  # … then move each label to its best spot given the others
            moved = False
            for i in sequence:
                again = place(i)
                if again.box.bounds != chosen[i].box.bounds:
                    chosen[i], moved = again, True
            if not moved:
                break
        return sum(place(i).cost for i in sequence), dict(chosen)

    # Greedy placement depends on the order: try the most constrained first, then
    # each of the (at most four) worst-placed labels first, and keep the cheapest.
    best_cost, best = solve(order)
    worst = sorted(order, key=lambda i: -place_given(best, i).cost)[:4]
    for first in (i for i in worst if place_given(best, i).cost >= 1.0):
        cost, layout = solve([first, *(i for i in order if i != first)])
        if cost < best_cost:
            best_cost, best = cost, layout
    chosen.clear()
    chosen.update(best)

    artists: dict[int, Artist] = {}
    for i, spec in enumerate(specs):
        spot = chosen[i]
        dx_px, dy_px = spot.dx, spot.dy
        xy = spec.anchor
        if (dx_px or dy_px) and spec.geometry is not None:
            # End the leader on the feature's edge, nearest the label's attachment.
            ref = (anchors[i][0] + dx_px, anchors[i][1] + dy_px)
            ref_data = ax.transData.inverted().transform(ref)
            edge = shapely.shortest_line(spec.geometry, shapely.Point(*ref_data))
            xy = tuple(float(v) for v in edge.coords[0])  # type: ignore[assignment]
            xy_px = ax.transData.transform(xy)
            dx_px, dy_px = ref[0] - xy_px[0], ref[1] - xy_px[1]
        offset = (dx_px / to_px, dy_px / to_px)
        leader = math.hypot(*offset) > 4.0
        artists[i] = _make_label(ax, spec, xy, offset, spot.ha, spot.va, leader, fontsize, color)
    return [artists[i] for i in range(len(specs))]


@dataclass(frozen=True)
class _Placement:
    """Where a label goes: its cost, offset from the anchor (px), alignment and box."""

    cost: float
    dx: float
    dy: float
    ha: str
    va: str
    box: Bbox
    segment: tuple[float, float, float, float] | None


def settle(ax: Axes, renderer: RendererBase | None = None) -> None:
    """Put ``ax`` where drawing will put it: apply its locator (insets) and aspect.

    Display coordinates are only final once this is done; measuring before it
    (as label placement must) would use a provisional position.
    """
    if renderer is None:
        renderer = root_figure(ax).canvas.get_renderer()  # type: ignore[attr-defined]
    locator = ax.get_axes_locator()
    ax.apply_aspect(None if locator is None else locator(ax, renderer))


def _display_box(ax: Axes, bounds: tuple[float, float, float, float]) -> Bbox:
    corners = ax.transData.transform([bounds[:2], bounds[2:]])
    return Bbox(corners)


def _fits_inside(size: tuple[float, float], own: Bbox, spec: LabelSpec) -> bool:
    w, h = size
    return spec.inside and spec.box is None and w <= 0.9 * own.width and h <= 0.8 * own.height


def _crowding(i: int, boxes: Sequence[Bbox]) -> float:
    """How close the nearest other feature is, as a score (crowded features go first)."""
    cx, cy = boxes[i].x0 + boxes[i].width / 2, boxes[i].y0 + boxes[i].height / 2
    gaps = [
        math.hypot(cx - (b.x0 + b.width / 2), cy - (b.y0 + b.height / 2))
        for j, b in enumerate(boxes)
        if j != i
    ]
    return -min(gaps, default=math.inf)


def _label_size(
    ax: Axes, spec: LabelSpec, renderer: RendererBase, fontsize: str | float
) -> tuple[float, float]:
    if spec.box is not None:
        spec.box.set_figure(root_figure(ax))
        bbox = spec.box.get_bbox(renderer)
        frame = 2 * _BOX_PAD * _fontsize_points(fontsize) * root_figure(ax).dpi / 72.0
        return float(bbox.width) + frame, float(bbox.height) + frame
    probe = ax.text(0, 0, spec.text, fontsize=fontsize, transform=None)
    extent = probe.get_window_extent(renderer)
    probe.remove()
    # Room for the white halo drawn around the letters.
    return float(extent.width) + 3.0, float(extent.height) + 2.0


def _overlap(a: Bbox, b: Bbox, pad: float) -> bool:
    return bool(a.x0 < b.x1 + pad and b.x0 < a.x1 + pad and a.y0 < b.y1 + pad and b.y0 < a.y1 + pad)


def _best_outside(
    anchor: tuple[float, float],
    size: tuple[float, float],
    own: Bbox,
    features: Sequence[Bbox],
    placed: Sequence[Bbox],
    leaders: Sequence[tuple[float, float, float, float]],
    frame: Bbox,
    to_px: float,
    pad: float,
) -> _Placement:
    """Cheapest position outside the feature (in the frame, clear of others if it can).

    Every candidate — 16 directions × 9 distances — is scored at once with numpy:
    distance and direction, other features covered, leaders crossed, labels a leader
    runs through, and (heavily) clashes with placed labels and leaving the frame.
    """
    ax_px, ay_px = anchor
    w, h = size
    angle = np.repeat(_ANGLES, len(_RADII))
    radius = np.tile(np.asarray(_RADII) * to_px, len(_ANGLES))
    cos, sin = np.cos(angle), np.sin(angle)
    # Where a ray from the anchor leaves the feature's box, then `radius` further out.
    with np.errstate(divide="ignore"):
        tx = np.where(
            cos > 0, (own.x1 - ax_px) / cos, np.where(cos < 0, (own.x0 - ax_px) / cos, np.inf)
        )
        ty = np.where(
            sin > 0, (own.y1 - ay_px) / sin, np.where(sin < 0, (own.y0 - ay_px) / sin, np.inf)
        )
    reach = np.maximum(np.minimum(tx, ty), 0.0) + radius
    dx, dy = reach * cos, reach * sin
    # Anchor the label by its near side: left/right/centre and bottom/top/centre.
    hx = np.where(cos > 0.38, 0.0, np.where(cos < -0.38, 1.0, 0.5))
    vy = np.where(sin > 0.38, 0.0, np.where(sin < -0.38, 1.0, 0.5))
    x0 = ax_px + dx - hx * w
    y0 = ay_px + dy - vy * h
    boxes = np.column_stack([x0, y0, x0 + w, y0 + h])
    segments = np.column_stack(
        [np.full_like(dx, ax_px), np.full_like(dy, ay_px), ax_px + dx, ay_px + dy]
    )

    feats = _as_array(features)
    others = _as_array([f for f in features if f is not own])
    labels = _as_array(placed)
    lines = np.asarray(leaders, dtype=float).reshape(-1, 4)

    covered = _area(boxes, feats).sum(axis=1)
    touched = _hits(boxes, feats, pad).sum(axis=1)
    crossed = _through(segments, others).sum(axis=1)
    clashes = _hits(boxes, labels, pad).sum(axis=1)
    crossings = _cross(segments, lines).sum(axis=1)
    through = _through(segments, labels).sum(axis=1) + _through(lines, boxes).sum(axis=0)
    inside = (
        (boxes[:, 0] >= frame.x0 + pad)
        & (boxes[:, 2] <= frame.x1 - pad)
        & (boxes[:, 1] >= frame.y0 + pad)
        & (boxes[:, 3] <= frame.y1 - pad)
    )
    rank = np.tile(np.arange(len(_RADII)), len(_ANGLES))
    turn = np.repeat(_ANGLE_COST, len(_RADII))
    cost = (
        rank * 10.0
        + turn
        + covered / max(w * h, 1.0) * 150.0
        + 80.0 * touched
        + 25.0 * crossed
        + 60.0 * crossings
        + 300.0 * through
        + 1000.0 * clashes
        + np.where(inside, 0.0, 5000.0)
    )
    k = int(np.argmin(cost))
    ha = {0.0: "left", 1.0: "right", 0.5: "center"}[float(hx[k])]
    va = {0.0: "bottom", 1.0: "top", 0.5: "center"}[float(vy[k])]
    return _Placement(
        float(cost[k]),
        float(dx[k]),
        float(dy[k]),
        ha,
        va,
        Bbox.from_bounds(float(x0[k]), float(y0[k]), w, h),
        (
            float(segments[k, 0]),
            float(segments[k, 1]),
            float(segments[k, 2]),
            float(segments[k, 3]),
        ),
    )


def _as_array(boxes: Sequence[Bbox]) -> npt.NDArray[np.float64]:
    return np.array([[b.x0, b.y0, b.x1, b.y1] for b in boxes], dtype=float).reshape(-1, 4)


def _hits(
    a: npt.NDArray[np.float64], b: npt.NDArray[np.float64], pad: float
) -> npt.NDArray[np.bool_]:
    """Pairwise overlap (within ``pad``) of boxes ``a`` (N, 4) and ``b`` (M, 4)."""
    return (
        (a[:, None, 0] < b[None, :, 2] + pad)
        & (b[None, :, 0] < a[:, None, 2] + pad)
        & (a[:, None, 1] < b[None, :, 3] + pad)
        & (b[None, :, 1] < a[:, None, 3] + pad)
    )


def _area(a: npt.NDArray[np.float64], b: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Pairwise overlap area of boxes ``a`` (N, 4) and ``b`` (M, 4)."""
    w = np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0])
    h = np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1])
    return np.asarray(np.maximum(w, 0.0) * np.maximum(h, 0.0), dtype=float)


def _cross(s: npt.NDArray[np.float64], t: npt.NDArray[np.float64]) -> npt.NDArray[np.bool_]:
    """Pairwise proper crossing of segments ``s`` (N, 4) and ``t`` (M, 4)."""

    def side(
        p: npt.NDArray[np.float64],
        q: npt.NDArray[np.float64],
        rx: npt.NDArray[np.float64],
        ry: npt.NDArray[np.float64],
    ) -> npt.NDArray[np.float64]:
        return (q[..., 0] - p[..., 0]) * (ry - p[..., 1]) - (q[..., 1] - p[..., 1]) * (
            rx - p[..., 0]
        )

    a0, a1 = s[:, None, 0:2], s[:, None, 2:4]
    b0, b1 = t[None, :, 0:2], t[None, :, 2:4]
    d1 = side(b0, b1, a0[..., 0], a0[..., 1])
    d2 = side(b0, b1, a1[..., 0], a1[..., 1])
    d3 = side(a0, a1, b0[..., 0], b0[..., 1])
    d4 = side(a0, a1, b1[..., 0], b1[..., 1])
    return np.asarray((d1 * d2 < 0) & (d3 * d4 < 0))


def _through(s: npt.NDArray[np.float64], b: npt.NDArray[np.float64]) -> npt.NDArray[np.bool_]:
    """Whether segments ``s`` (N, 4) pass through the inside of boxes ``b`` (M, 4).

    Liang–Barsky clipping, pairwise; touching a box only at a segment's end (where a
    leader meets its own label) does not count.
    """
    x0, y0 = s[:, None, 0], s[:, None, 1]
    dx, dy = s[:, None, 2] - x0, s[:, None, 3] - y0
    low = np.zeros((len(s), len(b)))
    high = np.ones((len(s), len(b)))
    for p, q in (
        (-dx, x0 - b[None, :, 0]),
        (dx, b[None, :, 2] - x0),
        (-dy, y0 - b[None, :, 1]),
        (dy, b[None, :, 3] - y0),
    ):
        p = np.broadcast_to(p, low.shape)
        q = np.broadcast_to(q, low.shape)
        with np.errstate(divide="ignore", invalid="ignore"):
            t = q / p
        low = np.where(p < 0, np.maximum(low, t), low)
        high = np.where(p > 0, np.minimum(high, t), high)
        high = np.where((p == 0) & (q <= 0), -1.0, high)  # parallel and outside
    return np.asarray(high - low > 0.05)


def _make_label(
    ax: Axes,
    spec: LabelSpec,
    xy: tuple[float, float],
    offset: tuple[float, float],
    ha: str,
    va: str,
    leader: bool,
    fontsize: str | float,
    color: str,
) -> Artist:
    # The leader leaves the label where placement measured it: the side (or corner)
    # facing the feature, not the label's centre.
    align = (
        {"left": 0.0, "center": 0.5, "right": 1.0}[ha],
        {"bottom": 0.0, "center": 0.5, "top": 1.0}[va],
    )
    arrow: dict[str, Any] | None = (
        {
            "arrowstyle": "-",
            "color": color,
            "linewidth": 0.6,
            "shrinkA": 1.5,
            "shrinkB": 0.0,
            "relpos": align,
            "path_effects": [patheffects.withStroke(linewidth=1.8, foreground="white")],
        }
        if leader
        else None
    )
    if spec.box is not None:
        artist = AnnotationBbox(
            spec.box,
            xy,
            xybox=offset,
            boxcoords="offset points",
            box_alignment=align,
            frameon=True,
            pad=_BOX_PAD,
            bboxprops={
                "boxstyle": "round,pad=0.0,rounding_size=0.3",
                "facecolor": "white",
                "edgecolor": "#BBBBBB",
                "linewidth": 0.4,
                "alpha": 0.9,
            },
            fontsize=_fontsize_points(fontsize),
            arrowprops=arrow,
            annotation_clip=False,
            zorder=6,
        )
        artist.set_gid(spec.gid)
        ax.add_artist(artist)
        return artist
    annotation: Annotation = ax.annotate(
        spec.text,
        xy=xy,
        xytext=offset,
        textcoords="offset points",
        ha=ha,
        va=va,
        fontsize=fontsize,
        color=color,
        path_effects=_HALO,
        arrowprops=arrow,
        annotation_clip=False,
        zorder=6,
        gid=spec.gid,
    )
    return annotation
