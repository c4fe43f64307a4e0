"""Tests of sim.plot.maps: what the status map draws."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator

import geopandas as gpd
import matplotlib.pyplot as plt
import numpy as np
import pytest
import shapely
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import Collection, PathCollection
from matplotlib.colors import to_rgba, to_rgba_array
from matplotlib.figure import Figure
from matplotlib.path import Path

from sim.plot import STATUS_COLOURS, status_map
from sim.plot.maps import _nice_length, _polygon_paths
from sim.result import SERIES, Result, Status

YEARS = np.arange(2012, 2017)
X0, Y0 = 500_000.0, 4_000_000.0  # inside EPSG:4549's zone (CM 120°E)
SIDE = 100.0  # parcel side, m


def make_result(status_at_horizon: list[int], *, draws: int = 1) -> Result:
    """Tiny Result: parcels P0…, two parks, years 2012–2016; status ramps to the given one."""
    n = len(status_at_horizon)
    final = np.asarray(status_at_horizon, dtype=np.int8)
    # Status climbs one stage a year and stops at the horizon value.
    ramp = np.minimum(np.arange(YEARS.size)[:, None] - (YEARS.size - 1) + final[None, :], final)
    status = np.broadcast_to(np.maximum(ramp, 0), (draws, YEARS.size, n)).astype(np.int8)
    zeros = np.zeros((draws, YEARS.size, n))
    nan = np.full((draws, n), np.nan)
    return Result(
        scenario_name="tiny",
        years=YEARS.astype(np.int64),
        park_ids=("north", "south"),
        parcel_ids=np.array([f"P{i}" for i in range(n)]),
        parcel_park=(np.arange(n) >= n // 2).astype(np.int64),
        capacity_m2=np.full(n, 2.0 * SIDE**2),
        series={name: zeros.copy() for name in SERIES},
        status=status,
        release_year=nan,
        start_year=nan,
        completion_year=nan,
        investment_before_base_cny=np.zeros_like(nan),
    )


def make_parcels(n: int, crs: str = "EPSG:4549", side: float = SIDE) -> gpd.GeoDataFrame:
    x = X0 + np.arange(n) * side * 1.5
    return gpd.GeoDataFrame(
        {"parcel_id": [f"P{i}" for i in range(n)]},
        geometry=shapely.box(x, Y0, x + side, Y0 + side),
        crs=crs,
    )


def make_parks(parcels: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    half = len(parcels) // 2
    outlines = [
        parcels.geometry.iloc[:half].union_all().convex_hull.buffer(10),
        parcels.geometry.iloc[half:].union_all().convex_hull.buffer(10),
    ]
    return gpd.GeoDataFrame(
        {
            "park_id": ["north", "south"],
            "name_zh": ["软件城", "创新园"],
            "name_en": ["Soft", "Inno"],
        },
        geometry=outlines,
        crs=parcels.crs,
    )


def by_gid(ax: Axes, gid: str) -> list[Artist]:
    return [a for a in ax.get_children() if a.get_gid() == gid]


def parcel_collection(ax: Axes) -> Collection:
    (found,) = by_gid(ax, "parcels")
    assert isinstance(found, Collection)
    return found


@pytest.fixture(autouse=True)
def _agg() -> Iterator[None]:
    plt.switch_backend("Agg")
    yield
    plt.close("all")


@pytest.fixture
def result() -> Result:
    return make_result([0, 2, 4, 3])


@pytest.fixture
def parcels() -> gpd.GeoDataFrame:
    return make_parcels(4)


# --- colours, legend, title -------------------------------------------------------


def test_parcels_are_coloured_by_status_at_the_horizon(
    result: Result, parcels: gpd.GeoDataFrame
) -> None:
    _, ax = status_map(result, parcels)
    faces = parcel_collection(ax).get_facecolor()
    expected = to_rgba_array([STATUS_COLOURS[Status(s)] for s in [0, 2, 4, 3]])
    np.testing.assert_allclose(faces, expected)


def test_parcels_are_coloured_by_status_in_the_chosen_year(
    result: Result, parcels: gpd.GeoDataFrame
) -> None:
    _, ax = status_map(result, parcels, year=2014)
    codes = result.status[0, result.year_index(2014)]
    assert list(codes) == [0, 0, 2, 1]
    faces = parcel_collection(ax).get_facecolor()
    np.testing.assert_allclose(faces, to_rgba_array([STATUS_COLOURS[Status(c)] for c in codes]))


def test_parcel_outlines_follow_the_geometry(result: Result, parcels: gpd.GeoDataFrame) -> None:
    _, ax = status_map(result, parcels)
    paths = parcel_collection(ax).get_paths()
    assert len(paths) == 4
    for path, geom in zip(paths, parcels.geometry, strict=True):
        np.testing.assert_allclose(path.vertices.min(axis=0), geom.bounds[:2])
        np.testing.assert_allclose(path.vertices.max(axis=0), geom.bounds[2:])


@pytest.mark.parametrize(
    ("lang", "title", "legend_title", "labels"),
    [
        ("zh", "2016年地块建设状态", "地块状态", [s.label_zh for s in Status]),
        ("en", "Parcel status, 2016", "Parcel status", [s.label_en for s in Status]),
        (
            "both",
            "2016年地块建设状态 Parcel status, 2016",
            "地块状态 Parcel status",
            [f"{s.label_zh} {s.label_en}" for s in Status],
        ),
    ],
)
def test_legend_and_title_per_language(
    result: Result,
    parcels: gpd.GeoDataFrame,
    lang: str,
    title: str,
    legend_title: str,
    labels: list[str],
) -> None:
    _, ax = status_map(result, parcels, lang=lang)
    assert ax.get_title() == title
    legend = ax.get_legend()
    assert legend is not None
    assert legend.get_title().get_text() == legend_title
    assert [t.get_text() for t in legend.get_texts()] == labels
    # Every status is listed, with its colour, even those no parcel has.
    swatches = [to_rgba(h.get_facecolor()) for h in legend.legend_handles]
    assert swatches == [to_rgba(STATUS_COLOURS[s]) for s in Status]


def test_schematic_note(result: Result, parcels: gpd.GeoDataFrame) -> None:
    _, ax = status_map(result, parcels, lang="both")
    (note,) = by_gid(ax, "schematic-note")
    assert note.get_text() == "示意图 schematic"


# --- cartography ------------------------------------------------------------------


def test_view_is_the_parcels_plus_margin(result: Result, parcels: gpd.GeoDataFrame) -> None:
    land = gpd.GeoDataFrame(geometry=[shapely.box(0, 3e6, 1e6, 5e6)], crs=parcels.crs)
    _, ax = status_map(result, parcels, land=land)
    xmin, ymin, xmax, ymax = parcels.total_bounds
    x_lo, x_hi = ax.get_xlim()
    y_lo, y_hi = ax.get_ylim()
    assert x_lo < xmin and x_hi > xmax and x_hi - x_lo < 1.3 * (xmax - xmin)
    assert y_lo < ymin and y_hi > ymax
    # The region-wide land layer is clipped to the view, not drawn whole.
    (land_drawn,) = by_gid(ax, "land")
    (path,) = land_drawn.get_paths()
    assert path.vertices[:, 0].min() >= x_lo - 1e-6
    assert path.vertices[:, 0].max() <= x_hi + 1e-6


def test_scale_bar_length_is_in_map_units(result: Result, parcels: gpd.GeoDataFrame) -> None:
    _, ax = status_map(result, parcels)
    (bar,) = by_gid(ax, "scale-bar")
    (half,) = by_gid(ax, "scale-bar-half")
    labels = [t.get_text() for t in by_gid(ax, "scale-bar-label")]
    width = bar.get_width()
    assert half.get_width() == pytest.approx(width / 2)
    assert bar.get_x() == pytest.approx(ax.get_xlim()[0])
    # CRS in metres: the bar is as long in map units as its label says in metres.
    match = re.fullmatch(r"(\d+(?:\.\d+)?) (k?m)", labels[-1])
    assert match is not None, labels
    metres = float(match[1]) * (1000 if match[2] == "km" else 1)
    assert width == pytest.approx(metres)
    view = ax.get_xlim()[1] - ax.get_xlim()[0]
    assert 0.1 * view <= width <= 0.25 * view


def test_scale_bar_converts_feet(result: Result) -> None:
    # NAD83 / New York Long Island (ftUS): map units are US survey feet.
    parcels = make_parcels(4, crs="EPSG:2263", side=300.0)
    _, ax = status_map(result, parcels)
    (bar,) = by_gid(ax, "scale-bar")
    label = by_gid(ax, "scale-bar-label")[-1].get_text()
    metres = float(label.removesuffix(" m"))
    assert bar.get_width() == pytest.approx(metres / 0.30480060960121924)


@pytest.mark.parametrize(
    ("target", "nice"), [(3700.0, 2000.0), (999.0, 500.0), (1000.0, 1000.0), (0.3, 0.2)]
)
def test_nice_length(target: float, nice: float) -> None:
    assert _nice_length(target) == pytest.approx(nice)


def test_north_arrow(result: Result, parcels: gpd.GeoDataFrame) -> None:
    _, ax = status_map(result, parcels)
    (arrow,) = by_gid(ax, "north-arrow")
    (letter,) = by_gid(ax, "north-arrow-label")
    assert letter.get_text() == "N"
    head = arrow.xycoords.transform(arrow.xy)
    tail = arrow.anncoords.transform(arrow.xyann)
    assert head[0] == pytest.approx(tail[0]) and head[1] > tail[1]  # points up the map


def test_parks_are_outlined_and_named(result: Result, parcels: gpd.GeoDataFrame) -> None:
    parks = make_parks(parcels)
    _, ax = status_map(result, parcels, parks=parks, lang="en")
    (outlines,) = by_gid(ax, "parks")
    assert len(outlines.get_paths()) == 2
    assert outlines.get_facecolor().size == 0 or outlines.get_facecolor()[:, 3].max() == 0
    names = sorted(t.get_text() for t in by_gid(ax, "park-label"))
    assert names == ["Inno", "Soft"]


def test_parks_in_another_crs_are_reprojected(result: Result, parcels: gpd.GeoDataFrame) -> None:
    parks = make_parks(parcels).to_crs("EPSG:4490")  # CGCS2000 geographic
    _, ax = status_map(result, parcels, parks=parks)
    (outlines,) = by_gid(ax, "parks")
    vertices = np.concatenate([p.vertices for p in outlines.get_paths()])
    assert vertices[:, 0].min() == pytest.approx(X0 - 10, abs=1.0)


def test_draws_on_given_axes(result: Result, parcels: gpd.GeoDataFrame) -> None:
    fig, ax = plt.subplots()
    fig2, ax2 = status_map(result, parcels, ax=ax)
    assert fig2 is fig and ax2 is ax


@pytest.mark.parametrize("fmt", ["png", "pdf"])
def test_map_renders_chinese_without_missing_glyphs(
    result: Result, parcels: gpd.GeoDataFrame, fmt: str
) -> None:
    fig, _ = status_map(result, parcels, parks=make_parks(parcels), lang="both")
    buffer = io.BytesIO()
    fig.savefig(buffer, format=fmt)  # filterwarnings=error: a missing glyph fails here
    assert buffer.tell() > 1000


# --- input checks -----------------------------------------------------------------


def test_rejects_parcels_in_another_order(result: Result, parcels: gpd.GeoDataFrame) -> None:
    shuffled = parcels.iloc[[1, 0, 2, 3]]
    with pytest.raises(ValueError, match=r"row 0 is 'P1' where the result has 'P0'.*reorder"):
        status_map(result, shuffled)


def test_rejects_wrong_number_of_parcels(result: Result, parcels: gpd.GeoDataFrame) -> None:
    with pytest.raises(ValueError, match="3 parcels but the result has 4"):
        status_map(result, parcels.iloc[:3])


def test_rejects_missing_parcel_id(result: Result, parcels: gpd.GeoDataFrame) -> None:
    with pytest.raises(ValueError, match="no 'parcel_id' column"):
        status_map(result, parcels.rename(columns={"parcel_id": "id"}))


def test_rejects_geographic_crs(result: Result, parcels: gpd.GeoDataFrame) -> None:
    with pytest.raises(ValueError, match=r"projected CRS.*to_crs"):
        status_map(result, parcels.to_crs("EPSG:4490"))


def test_rejects_unknown_year(result: Result, parcels: gpd.GeoDataFrame) -> None:
    with pytest.raises(KeyError, match="2030 is outside the simulated range"):
        status_map(result, parcels, year=2030)


def test_rejects_unknown_draw(result: Result, parcels: gpd.GeoDataFrame) -> None:
    with pytest.raises(ValueError, match="draw must be in 0…0; got 1"):
        status_map(result, parcels, draw=1)


# --- geometry to paths ------------------------------------------------------------


def _rendered(path: Path, extent: tuple[float, float, float, float]) -> np.ndarray:
    """Red channel of a 100 × 100 px rendering of a black-filled path (0 = inside)."""
    fig = Figure(figsize=(1, 1), dpi=100)
    canvas = FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.add_collection(PathCollection([path], facecolors="black", linewidths=0))
    ax.set_xlim(extent[0], extent[2])
    ax.set_ylim(extent[1], extent[3])
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[::-1, :, 0]  # row 0 = bottom


@pytest.mark.parametrize("reverse_hole", [False, True])
def test_polygon_paths_keep_holes(reverse_hole: bool) -> None:
    outer = shapely.box(0, 0, 10, 10)
    hole = shapely.box(4, 4, 6, 6).exterior.coords
    holed = shapely.Polygon(outer.exterior, [hole[::-1] if reverse_hole else hole])
    (path,) = _polygon_paths(np.array([holed], dtype=object))
    assert list(path.codes).count(Path.MOVETO) == 2
    pixels = _rendered(path, (0, 0, 10, 10))
    assert pixels[10, 10] == 0  # (1, 1) is filled
    assert pixels[50, 50] == 255  # (5, 5) is in the hole: left open


def test_polygon_paths_keep_parts_and_alignment() -> None:
    multi = shapely.MultiPolygon([shapely.box(0, 0, 1, 1), shapely.box(3, 0, 4, 1)])
    line = shapely.LineString([(0, 0), (1, 1)])
    paths = _polygon_paths(np.array([multi, None, line, shapely.Polygon()], dtype=object))
    assert len(paths) == 4
    pixels = _rendered(paths[0], (0, -1.5, 4, 2.5))
    assert pixels[50, 12] == 0 and pixels[50, 87] == 0 and pixels[50, 50] == 255
    assert all(len(p.vertices) == 0 for p in paths[1:])


def test_large_map_is_one_collection() -> None:
    n = 10_000
    result = make_result([int(s) for s in np.arange(n) % 5])
    parcels = make_parcels(n, side=10.0)
    _, ax = status_map(result, parcels)
    collection = parcel_collection(ax)
    assert len(collection.get_paths()) == n
    np.testing.assert_allclose(
        collection.get_facecolor()[:5], to_rgba_array(list(STATUS_COLOURS.values()))
    )
