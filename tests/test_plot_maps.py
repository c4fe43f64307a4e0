"""Tests of the map kinds, their frame and sim.plot.cartography: what the maps draw, and where."""

from __future__ import annotations

import io
import itertools
import math
import re

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
from pyproj import CRS, Proj, Transformer

from sim.outcome import Outcome
from sim.plot import (
    STATE_COLOURS,
    MapOptions,
    completion_map,
    overview_map,
    status_map,
    status_years_map,
)
from sim.plot.cartography import (
    map_units_per_metre,
    nice_length,
    polygon_paths,
    ragged_polygons,
    source_text,
    true_north_angle,
)
from sim.plot.style import EMPTY_COLOUR, IDLE_HATCH, page, park_colour
from sim.scenario import Metric, Target
from sim.states import ParcelState
from tests.plot_cases import (
    DATE,
    X0,
    Y0,
    make_parcels,
    make_parks,
    make_result,
    outcome_of,
    parcel_faces,
    result_for,
    scattered_site,
)

ALL = list(ParcelState)
DATED = MapOptions(date=DATE)


def by_gid(ax: Axes, gid: str) -> list[Artist]:
    return [a for a in ax.get_children() if a.get_gid() == gid]


def collection(ax: Axes, gid: str = "parcels") -> Collection:
    (found,) = by_gid(ax, gid)
    assert isinstance(found, Collection)
    return found


def child(ax: Axes, gid: str) -> Axes:
    (found,) = [a for a in ax.child_axes if a.get_gid() == gid]
    return found


def texts(ax: Axes, gid: str) -> list[str]:
    return [a.get_text() for a in by_gid(ax, gid)]  # type: ignore[attr-defined]


pytestmark = pytest.mark.usefixtures("agg")  # Agg; figures closed after each test


@pytest.fixture
def parcels() -> gpd.GeoDataFrame:
    return make_parcels(len(ALL))


# --- colours, hatching, legend -------------------------------------------------------


def test_parcels_are_coloured_by_state(parcels: gpd.GeoDataFrame) -> None:
    _, ax = status_map(outcome_of(make_result(ALL), parcels), options=DATED)
    faces = parcel_faces(ax, parcels)
    np.testing.assert_allclose(faces, to_rgba_array([STATE_COLOURS[s] for s in ALL]))
    assert len(collection(ax).get_paths()) == len(ALL)  # one compound path per colour


def test_idle_parcels_are_hatched(parcels: gpd.GeoDataFrame) -> None:
    _, ax = status_map(outcome_of(make_result(ALL), parcels), options=DATED)
    hatch = collection(ax, "parcels-hatch")
    assert hatch.get_hatch() == IDLE_HATCH
    (path,) = hatch.get_paths()  # only the idle parcel
    idle = ALL.index(ParcelState.IDLE)
    np.testing.assert_allclose(path.vertices.min(axis=0), parcels.geometry[idle].bounds[:2])


def test_status_colours_in_the_chosen_year(parcels: gpd.GeoDataFrame) -> None:
    _, ax = status_map(outcome_of(make_result(ALL), parcels), year=2015, options=DATED)
    expected = [
        ParcelState.UNSERVICED,
        ParcelState.SERVICED,  # serviced 2015Q1
        ParcelState.UNSERVICED,  # serviced and sold only in 2016
        ParcelState.IDLE,  # sold 2014
        ParcelState.UNDER_CONSTRUCTION,
        ParcelState.UNDER_CONSTRUCTION,  # first phase topped out, second rising
        ParcelState.TOPPED_OUT,  # completes in 2016
        ParcelState.COMPLETED,  # at the ceiling in 2015, read from the ramp only in 2016
    ]
    np.testing.assert_allclose(
        parcel_faces(ax, parcels), to_rgba_array([STATE_COLOURS[s] for s in expected])
    )


def test_parcel_outlines_follow_the_geometry(parcels: gpd.GeoDataFrame) -> None:
    _, ax = status_map(outcome_of(make_result(ALL), parcels), options=DATED)
    paths = collection(ax).get_paths()
    assert len(paths) == len(parcels)  # every parcel in its own state: one path each
    drawn = sorted(tuple(p.vertices.min(axis=0)) + tuple(p.vertices.max(axis=0)) for p in paths)
    np.testing.assert_allclose(drawn, sorted(tuple(g.bounds) for g in parcels.geometry))


@pytest.mark.parametrize(
    ("lang", "title", "legend_title", "first", "boundary"),
    [
        ("zh", "2016年地块建设状态", "地块状态", "未具备供地条件 (1)", "园区边界（示意）"),
        (
            "en",
            "Parcel status, 2016",
            "Parcel status",
            "not serviced (1)",
            "park boundary (schematic)",
        ),
        (
            "both",
            "2016年地块建设状态 Parcel status, 2016",
            "地块状态 Parcel status",
            "未具备供地条件\nnot serviced (1)",
            "园区边界（示意）\npark boundary (schematic)",
        ),
    ],
)
def test_legend_and_title_per_language(
    parcels: gpd.GeoDataFrame, lang: str, title: str, legend_title: str, first: str, boundary: str
) -> None:
    _, ax = status_map(
        outcome_of(make_result(ALL), parcels, parks=make_parks(parcels)),
        options=MapOptions(lang=lang, date=DATE),  # type: ignore[arg-type]
    )
    assert ax.get_title(loc="left") == title
    assert texts(ax, "subtitle") == ["测试情景 test"]
    legend = ax.get_legend()
    assert legend.get_title().get_text() == legend_title
    labels = [t.get_text() for t in legend.get_texts()]
    # Every state and the park outline, each with its count of parcels.
    assert len(labels) == len(ParcelState) + 1
    assert labels[0] == first and labels[-1] == boundary
    assert all(label.endswith(" (1)") for label in labels[:-1])
    swatches = [to_rgba(h.get_facecolor()) for h in legend.legend_handles[:-1]]
    assert swatches == [to_rgba(STATE_COLOURS[s]) for s in ParcelState]
    hatches = [h.get_hatch() for h in legend.legend_handles[:-1]]
    assert hatches == [IDLE_HATCH if s is ParcelState.IDLE else None for s in ParcelState]


def test_schematic_note_and_source_line(parcels: gpd.GeoDataFrame) -> None:
    land = gpd.GeoDataFrame(
        {"source": ["GSHHG 2.3.6 (LGPL)"]},
        geometry=[shapely.box(0, 3e6, 1e6, 5e6)],
        crs=parcels.crs,
    )
    _, ax = status_map(
        outcome_of(make_result(ALL), parcels, parks=make_parks(parcels), land=land),
        options=MapOptions(lang="zh", date=DATE),
    )
    assert texts(ax, "schematic-note") == ["示意图"]
    (source,) = texts(ax, "source-line")
    assert source.startswith("底图：GSHHG 2.3.6 (LGPL) · 园区边界为示意 · parksim ")
    assert source.endswith(" · 2026-11-26")


def test_no_schematic_note_for_surveyed_outlines(parcels: gpd.GeoDataFrame) -> None:
    parks = make_parks(parcels, schematic=False)
    _, ax = status_map(
        outcome_of(make_result(ALL), parcels, parks=parks), options=MapOptions(lang="en", date=DATE)
    )
    assert texts(ax, "schematic-note") == []
    assert "schematic" not in texts(ax, "source-line")[0]


def test_source_text_in_english() -> None:
    land = gpd.GeoDataFrame({"source": ["GSHHG"]}, geometry=[shapely.box(0, 0, 1, 1)])
    text = source_text("en", land=land, schematic=True, date=DATE, version="0.1.0")
    assert text == "Base map: GSHHG · park outlines schematic · parksim 0.1.0 · 2026-11-26"


def test_source_date_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1795651200")  # 2026-11-26 00:00 UTC
    assert source_text("zh", version="x").endswith("2026-11-26")


# --- scale bar and north arrow ---------------------------------------------------------


def _scale(ax: Axes) -> tuple[float, float]:
    """(bar length in map units, metres its label says)."""
    (bar,) = by_gid(ax, "scale-bar")
    (half,) = by_gid(ax, "scale-bar-half")
    assert half.get_width() == pytest.approx(bar.get_width() / 2)  # type: ignore[attr-defined]
    label = texts(ax, "scale-bar-label")[-1]
    match = re.fullmatch(r"(\d+(?:\.\d+)?) (k?m)", label)
    assert match is not None, label
    return bar.get_width(), float(match[1]) * (1000 if match[2] == "km" else 1)  # type: ignore[attr-defined]


def _geodesic_metres(crs: str, x: float, y: float, length: float) -> float:
    to_geo = Transformer.from_crs(crs, CRS(crs).geodetic_crs, always_xy=True)
    lon, lat = to_geo.transform([x, x + length], [y, y])
    return float(CRS(crs).get_geod().inv(lon[0], lat[0], lon[1], lat[1])[2])


@pytest.mark.parametrize(
    ("crs", "x", "y", "side"),
    [
        ("EPSG:4549", X0, Y0, 100.0),  # CGCS2000 GK zone, on the central meridian
        ("EPSG:4549", X0 + 150_000, Y0, 100.0),  # 1.7° off it: scale factor 1.0004
        ("EPSG:3857", 13_400_000.0, 4_300_000.0, 100.0),  # Web Mercator at 36° N: k = 1.24
        ("EPSG:2263", 1_000_000.0, 200_000.0, 300.0),  # US survey feet
    ],
)
def test_scale_bar_is_true_on_the_ground(crs: str, x: float, y: float, side: float) -> None:
    xs = x + np.arange(4) * side * 1.5
    parcels = gpd.GeoDataFrame(
        {"parcel_id": [f"P{i}" for i in range(4)]},
        geometry=shapely.box(xs, y, xs + side, y + side),
        crs=crs,
    )
    _, ax = status_map(outcome_of(make_result(ALL[:4]), parcels), options=DATED)
    length, metres = _scale(ax)
    # The bar measured on the ellipsoid where the map is is what its label says.
    xmin, xmax = ax.get_xlim()
    centre_y = sum(ax.get_ylim()) / 2
    measured = _geodesic_metres(crs, (xmin + xmax) / 2 - length / 2, centre_y, length)
    assert measured == pytest.approx(metres, rel=2e-4)
    assert 0.1 * (xmax - xmin) <= length <= 0.25 * (xmax - xmin)


def test_map_units_per_metre_of_web_mercator() -> None:
    lat = 36.0
    y = Transformer.from_crs(4326, 3857, always_xy=True).transform(120.0, lat)[1]
    per_metre = map_units_per_metre(CRS("EPSG:3857"), 0.0, y, 1000.0)
    # Sphere-based coordinates on the WGS 84 ellipsoid: k = √(1 − e² sin²φ) / cos φ.
    e2, phi = 0.0066943799901413165, math.radians(lat)
    assert per_metre == pytest.approx(math.sqrt(1 - e2 * math.sin(phi) ** 2) / math.cos(phi))


@pytest.mark.parametrize(
    ("target", "nice"), [(3700.0, 2000.0), (999.0, 500.0), (1000.0, 1000.0), (0.3, 0.2)]
)
def test_nice_length(target: float, nice: float) -> None:
    assert nice_length(target) == pytest.approx(nice)


@pytest.mark.parametrize(
    ("crs", "lon", "lat"),
    [("EPSG:4549", 120.0, 36.0), ("EPSG:4549", 121.2, 36.2), ("EPSG:32650", 120.4, 36.1)],
)
def test_north_arrow_points_to_true_north(crs: str, lon: float, lat: float) -> None:
    x, y = Transformer.from_crs(4326, crs, always_xy=True).transform(lon, lat)
    # pyproj's meridian convergence: the angle from true north to grid north.
    expected = -Proj(CRS(crs)).get_factors(lon, lat).meridian_convergence
    assert true_north_angle(CRS(crs), x, y) == pytest.approx(expected, abs=0.01)
    parcels = make_parcels(4)
    parcels = parcels.set_geometry(parcels.translate(x - X0, y - Y0)).set_crs(
        crs, allow_override=True
    )
    _, ax = status_map(outcome_of(make_result(ALL[:4]), parcels), options=DATED)
    (arrow,) = by_gid(ax, "north-arrow")
    head = arrow.xycoords.transform(arrow.xy)  # type: ignore[attr-defined]
    tail = arrow.anncoords.transform(arrow.xyann)  # type: ignore[attr-defined]
    drawn = math.degrees(math.atan2(head[0] - tail[0], head[1] - tail[1]))
    centre = (sum(ax.get_xlim()) / 2, sum(ax.get_ylim()) / 2)
    assert drawn == pytest.approx(true_north_angle(CRS(crs), *centre), abs=0.05)
    assert texts(ax, "north-arrow-label") == ["N"]


# --- parks, labels, insets ---------------------------------------------------------------


def _label_boxes(ax: Axes, gid: str = "park-label") -> list:
    fig = ax.get_figure(root=True)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    # The label itself: the text, or the framed box, without its leader line.
    return [
        getattr(a, "patch", a).get_window_extent(renderer)  # AnnotationBbox: its frame
        if not hasattr(a, "get_text")
        else a.get_window_extent(renderer)
        for a in by_gid(ax, gid)
    ]


def test_parks_are_outlined_and_named(parcels: gpd.GeoDataFrame) -> None:
    _, ax = status_map(
        outcome_of(make_result(ALL), parcels, parks=make_parks(parcels)),
        options=MapOptions(lang="en", date=DATE),
    )
    outlines = collection(ax, "parks")
    assert len(outlines.get_paths()) == 2
    assert outlines.get_facecolor().size == 0 or outlines.get_facecolor()[:, 3].max() == 0
    assert sorted(texts(ax, "park-label")) == ["Inno", "Soft"]


def test_parks_in_another_crs_are_reprojected(parcels: gpd.GeoDataFrame) -> None:
    parks = make_parks(parcels).to_crs("EPSG:4490")  # CGCS2000 geographic
    _, ax = status_map(outcome_of(make_result(ALL), parcels, parks=parks), options=DATED)
    vertices = np.concatenate([p.vertices for p in collection(ax, "parks").get_paths()])
    assert vertices[:, 0].min() == pytest.approx(X0 - 10, abs=1.0)


CROWDED = scattered_site(
    # One large park and five small ones close together, like Laoshan in Qingdao.
    [4000.0, 300.0, 250.0, 280.0, 200.0, 260.0],
    [
        (0.0, 0.0),
        (15_000.0, 9_000.0),
        (15_900.0, 9_100.0),
        (15_400.0, 9_800.0),
        (16_500.0, 9_500.0),
        (14_300.0, 9_600.0),
    ],
)


@pytest.mark.parametrize("lang", ["zh", "en", "both"])
def test_labels_never_overlap_and_stay_in_the_frame(lang: str) -> None:
    _, ax = overview_map(
        outcome_of(result_for(CROWDED), CROWDED),
        options=MapOptions(lang=lang, date=DATE),  # type: ignore[arg-type]
    )
    boxes = _label_boxes(ax)
    assert len(boxes) == 6
    frame = ax.get_window_extent()
    for a, b in itertools.combinations(boxes, 2):
        assert not a.overlaps(b), (a, b)
    for box in boxes:
        assert frame.x0 <= box.x0 and box.x1 <= frame.x1
        assert frame.y0 <= box.y0 and box.y1 <= frame.y1


def test_small_parks_get_a_detail_inset_and_no_crowded_labels() -> None:
    _, ax = status_map(outcome_of(result_for(CROWDED), CROWDED), options=DATED)
    insets = [a for a in ax.child_axes if a.get_gid() == "detail-inset"]
    assert len(insets) == 1
    inset = insets[0]
    # The five small parks are labelled in the inset, the large one on the map.
    assert texts(ax, "park-label") == ["第0号软件产业园"]
    assert len(by_gid(inset, "detail-park-label")) == 5
    assert texts(ax, "detail-letter") == ["A"]
    (extent,) = by_gid(ax, "detail-extent")
    small = shapely.union_all(CROWDED.parks.geometry.iloc[1:].to_numpy())
    assert shapely.box(*extent.get_bbox().extents).contains(small)  # type: ignore[attr-defined]
    # The inset has its own scale bar, true to its own scale.
    length, metres = _scale_from(inset, "detail-scale-bar")
    assert length == pytest.approx(metres, rel=1e-3)
    boxes = _label_boxes(inset, "detail-park-label")
    for a, b in itertools.combinations(boxes, 2):
        assert not a.overlaps(b)


def _scale_from(ax: Axes, gid: str) -> tuple[float, float]:
    (bar,) = by_gid(ax, gid)
    label = texts(ax, f"{gid}-label")[-1]
    value, unit = label.split()
    return bar.get_width(), float(value) * (1000 if unit == "km" else 1)  # type: ignore[attr-defined]


def test_one_park_zooms_in_with_a_locator_inset() -> None:
    result = result_for(CROWDED)
    _, ax = status_map(
        outcome_of(result, CROWDED), park="k2", options=MapOptions(lang="en", date=DATE)
    )
    park = CROWDED.parks.geometry.iloc[2]
    xmin, xmax = ax.get_xlim()
    ymin, ymax = ax.get_ylim()
    assert xmin < park.bounds[0] and park.bounds[2] < xmax
    assert ymin < park.bounds[1] and park.bounds[3] < ymax
    assert xmax - xmin < 3 * (park.bounds[2] - park.bounds[0])
    assert ax.get_title(loc="left") == "Software Park 2 · Parcel status, 2016"
    # The legend counts the parcels of that park only.
    counts = [int(t.get_text().rsplit("(", 1)[1][:-1]) for t in ax.get_legend().get_texts()[:-1]]
    assert sum(counts) == 4
    locator = child(ax, "locator-inset")
    (highlight,) = by_gid(locator, "locator-highlight")
    np.testing.assert_allclose(
        highlight.get_paths()[0].vertices.min(axis=0),
        park.bounds[:2],  # type: ignore[attr-defined]
    )
    (view,) = by_gid(locator, "locator-view")
    assert view.get_x() == pytest.approx(xmin)  # type: ignore[attr-defined]
    # Its name is in the title, so the park itself carries no label; neighbours do.
    assert "Software Park 2" not in " ".join(texts(ax, "park-label"))


def test_unknown_park_is_rejected() -> None:
    with pytest.raises(KeyError, match=r"park 'nope' is not in the site; expected one of \['k0'"):
        status_map(outcome_of(result_for(CROWDED), CROWDED), park="nope")


# --- other kinds --------------------------------------------------------------------------


def test_completion_map_colours_by_year_and_greys_the_unbuilt() -> None:
    result = make_result(ALL)
    parcels = make_parcels(len(ALL))
    _, ax = completion_map(outcome_of(result, parcels), options=MapOptions(lang="en", date=DATE))
    faces = parcel_faces(ax, parcels)
    legend = ax.get_legend()
    swatch = {
        t.get_text(): to_rgba(h.get_facecolor())
        for t, h in zip(legend.get_texts(), legend.legend_handles, strict=True)
    }
    completed, occupied = ALL.index(ParcelState.COMPLETED), ALL.index(ParcelState.OCCUPIED)
    assert to_rgba(faces[completed]) == swatch["2016 (1)"]
    assert to_rgba(faces[occupied]) == swatch["2013 (1)"]
    for p in range(completed):  # not completed, up to topped out
        assert to_rgba(faces[p]) == to_rgba(EMPTY_COLOUR)
    assert swatch[f"not completed by 2016 ({completed})"] == to_rgba(EMPTY_COLOUR)
    # Sequential: later years are lighter.
    years = [swatch[f"{y} ({n})"] for y, n in ((2013, 1), (2014, 0), (2015, 0), (2016, 1))]
    lightness = [0.2126 * r + 0.7152 * g + 0.0722 * b for r, g, b, _ in years]
    assert lightness == sorted(lightness)


def test_status_years_has_one_panel_per_year() -> None:
    result = make_result(ALL)
    parcels = make_parcels(len(ALL))
    fig, axes = status_years_map(
        outcome_of(result, parcels, parks=make_parks(parcels)), options=DATED
    )
    assert [a.get_gid() for a in axes] == [f"panel-{y}" for y in range(2012, 2017)]
    for ax, year in zip(axes, range(2012, 2017), strict=True):
        assert ax.get_title(loc="left") == str(year)
    np.testing.assert_allclose(
        parcel_faces(axes[-1], parcels), to_rgba_array([STATE_COLOURS[s] for s in ALL])
    )
    # One legend, one scale bar (at the same scale as the panels), one arrow.
    assert len(fig.legends) == 1
    (scale_ax,) = [a for a in fig.axes if a.get_gid() == "scale-bar-axes"]
    assert scale_ax.get_xlim() == axes[0].get_xlim()
    assert scale_ax.get_position().width == pytest.approx(axes[0].get_position().width)
    assert len(by_gid(scale_ax, "scale-bar")) == 1
    assert sum(len(by_gid(ax, "north-arrow")) for ax in axes) == 1


def test_status_years_rejects_a_year_outside_the_run() -> None:
    with pytest.raises(KeyError, match="2030 is outside"):
        status_years_map(outcome_of(make_result(ALL), make_parcels(len(ALL))), years=[2015, 2030])


def test_overview_fills_parks_and_labels_floor_against_target() -> None:
    site = CROWDED
    result = result_for(site)
    targets = [Target(metric=Metric.FLOOR_COMPLETED, park="k0", year=2016, value="4万 m2")]
    _, ax = overview_map(
        outcome_of(result, site, targets=targets), options=MapOptions(lang="en", date=DATE)
    )
    fills = collection(ax, "parks-fill").get_facecolor()
    np.testing.assert_allclose(fills, to_rgba_array([park_colour(k) for k in range(6)]))
    boxes = by_gid(ax, "park-label")
    words = [_box_texts(b) for b in boxes]
    done = result.by_park("floor_completed_m2")[0, -1, 0] / 1e4
    assert words[0][:2] == ["Software Park 0", f"{done:,.0f} / 4 × 10⁴ m²"]
    assert words[1][1].endswith("no target")


def _box_texts(box: Artist) -> list[str]:
    from matplotlib.offsetbox import TextArea

    found = []

    def walk(node: object) -> None:
        if isinstance(node, TextArea):
            found.append(node.get_text())
        for c in getattr(node, "get_children", list)():
            walk(c)

    walk(box.offsetbox)  # type: ignore[attr-defined]
    return found


def test_draws_on_given_axes(parcels: gpd.GeoDataFrame) -> None:
    fig, ax = plt.subplots()
    fig2, ax2 = status_map(outcome_of(make_result(ALL), parcels), ax=ax, options=DATED)
    assert fig2 is fig and ax2 is ax


# --- figure files --------------------------------------------------------------------------


def _crowded() -> Outcome:
    return outcome_of(result_for(CROWDED), CROWDED)


def _options(lang: str) -> MapOptions:
    return MapOptions(lang=lang, date=DATE)  # type: ignore[arg-type]


KINDS = {
    "status": lambda lang: status_map(_crowded(), options=_options(lang))[0],
    "status-park": lambda lang: status_map(_crowded(), park="k1", options=_options(lang))[0],
    "completion": lambda lang: completion_map(_crowded(), options=_options(lang))[0],
    "status-years": lambda lang: status_years_map(_crowded(), options=_options(lang))[0],
    "overview": lambda lang: overview_map(_crowded(), options=_options(lang))[0],
}


@pytest.mark.parametrize("lang", ["zh", "en", "both"])
@pytest.mark.parametrize("kind", list(KINDS))
def test_every_map_renders_without_missing_glyphs(kind: str, lang: str) -> None:
    fig = KINDS[kind](lang)
    for fmt in ("png", "pdf", "svg"):
        fig.savefig(io.BytesIO(), format=fmt)  # filterwarnings=error: a missing glyph fails


def test_a4_map_is_at_least_2000_px_wide_at_300_dpi() -> None:
    fig = KINDS["status"]("zh")
    assert fig.get_size_inches()[0] * 300 >= 2000
    assert fig.get_size_inches()[0] == pytest.approx(page("A4").width)
    assert fig.get_size_inches()[1] <= page("A4").max_height + 1e-9


def test_a3_map_is_larger_with_larger_type() -> None:
    crowded = outcome_of(result_for(CROWDED), CROWDED)
    a4, a4_ax = status_map(crowded, options=MapOptions(size="A4", date=DATE))
    a3, a3_ax = status_map(crowded, options=MapOptions(size="A3", date=DATE))
    assert a3.get_size_inches()[0] == pytest.approx(page("A3").width)
    assert a3.get_size_inches()[0] > a4.get_size_inches()[0]
    title = [ax.title.get_fontsize() for ax in (a4_ax, a3_ax)]
    assert title == [page("A4").title, page("A3").title] and title[1] > title[0]
    legend = [ax.get_legend().get_texts()[0].get_fontsize() for ax in (a4_ax, a3_ax)]
    assert legend[1] > legend[0]


# --- input checks -------------------------------------------------------------------------


def test_rejects_parcels_in_another_order(parcels: gpd.GeoDataFrame) -> None:
    shuffled = parcels.iloc[[1, 0, *range(2, len(parcels))]]
    with pytest.raises(ValueError, match=r"row 0 is 'P1' where the result has 'P0'.*reorder"):
        status_map(outcome_of(make_result(ALL), shuffled))


def test_rejects_wrong_number_of_parcels(parcels: gpd.GeoDataFrame) -> None:
    with pytest.raises(ValueError, match=f"3 parcels but the result has {len(ALL)}"):
        status_map(outcome_of(make_result(ALL), parcels.iloc[:3]))


def test_rejects_missing_parcel_id(parcels: gpd.GeoDataFrame) -> None:
    with pytest.raises(ValueError, match="no 'parcel_id' column"):
        status_map(outcome_of(make_result(ALL), parcels.rename(columns={"parcel_id": "id"})))


def test_rejects_geographic_crs(parcels: gpd.GeoDataFrame) -> None:
    with pytest.raises(ValueError, match=r"projected CRS.*to_crs"):
        status_map(outcome_of(make_result(ALL), parcels.to_crs("EPSG:4490")))


def test_rejects_unknown_year(parcels: gpd.GeoDataFrame) -> None:
    with pytest.raises(KeyError, match="2030 is outside the simulated range"):
        status_map(outcome_of(make_result(ALL), parcels), year=2030)


def test_rejects_unknown_language() -> None:
    with pytest.raises(ValueError, match="lang must be one of 'zh', 'en', 'both'; got 'fr'"):
        MapOptions(lang="fr")  # type: ignore[arg-type]


def test_rejects_unknown_paper_size() -> None:
    with pytest.raises(ValueError, match=r"size must be one of \['A3', 'A4'\]; got 'A5'"):
        MapOptions(size="A5")  # type: ignore[arg-type]


# --- geometry to paths --------------------------------------------------------------------


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
    (path,) = polygon_paths(np.array([holed], dtype=object))
    assert list(path.codes).count(Path.MOVETO) == 2
    pixels = _rendered(path, (0, 0, 10, 10))
    assert pixels[10, 10] == 0  # (1, 1) is filled
    assert pixels[50, 50] == 255  # (5, 5) is in the hole: left open


def test_polygon_paths_keep_parts_and_alignment() -> None:
    multi = shapely.MultiPolygon([shapely.box(0, 0, 1, 1), shapely.box(3, 0, 4, 1)])
    line = shapely.LineString([(0, 0), (1, 1)])
    paths = polygon_paths(np.array([multi, None, line, shapely.Polygon()], dtype=object))
    assert len(paths) == 4
    pixels = _rendered(paths[0], (0, -1.5, 4, 2.5))
    assert pixels[50, 12] == 0 and pixels[50, 87] == 0 and pixels[50, 50] == 255
    assert all(len(p.vertices) == 0 for p in paths[1:])


def test_large_map_is_one_compound_path_per_state() -> None:
    n = 10_000
    states = [ParcelState(i % len(ParcelState)) for i in range(n)]
    result = make_result(states)
    parcels = make_parcels(n, side=10.0)
    _, ax = status_map(outcome_of(result, parcels), options=DATED)
    parcel_paths = collection(ax)
    assert len(parcel_paths.get_paths()) == len(ParcelState)
    np.testing.assert_allclose(
        parcel_paths.get_facecolor(), to_rgba_array([STATE_COLOURS[s] for s in ParcelState])
    )
    # Every parcel's five vertices (a closed box) in its state's path.
    assert sum(len(p.vertices) for p in parcel_paths.get_paths()) == 5 * n
    np.testing.assert_allclose(
        parcel_faces(ax, parcels.iloc[:16]), to_rgba_array([STATE_COLOURS[s] for s in states[:16]])
    )


def test_a_colour_path_keeps_holes_and_parts_of_its_parcels() -> None:
    # Three parcels, two of one colour: a holed square and a two-part multipolygon;
    # their shared compound path fills both parts and leaves the hole open.
    outer = shapely.box(0, 0, 10, 10)
    holed = shapely.Polygon(outer.exterior, [shapely.box(4, 4, 6, 6).exterior.coords])
    multi = shapely.MultiPolygon([shapely.box(12, 0, 14, 2), shapely.box(16, 0, 18, 2)])
    other = shapely.box(12, 6, 16, 10)
    rag = ragged_polygons(np.array([holed, other, multi], dtype=object))
    black, grey = rag.by_class(np.array([0, 1, 0]), 2)
    assert list(black.codes).count(Path.MOVETO) == 4  # exterior, hole, two parts
    assert list(grey.codes).count(Path.MOVETO) == 1
    pixels = _rendered(black, (0, -4, 20, 16))  # 5 px a unit
    assert pixels[5 * 5, 5 * 1] == 0  # (1, 1): filled
    assert pixels[5 * 9, 5 * 5] == 255  # (5, 5): the hole, open
    assert pixels[5 * 5, 5 * 13] == 0 and pixels[5 * 5, 5 * 17] == 0  # both parts
    assert pixels[5 * 5, 5 * 15] == 255  # between the parts
    assert pixels[5 * 12, 5 * 14] == 255  # the other colour's parcel


def test_every_map_of_a_site_converts_its_parcels_once(
    parcels: gpd.GeoDataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sim.plot.cartography as cartography

    seen: list[int] = []
    convert = cartography._ragged

    def counting(geoms: np.ndarray) -> cartography.RaggedPolygons:
        seen.append(len(geoms))
        return convert(geoms)

    monkeypatch.setattr(cartography, "_ragged", counting)
    outcome = outcome_of(make_result(ALL), parcels, parks=make_parks(parcels))
    for draw in (status_map, completion_map, status_years_map):
        draw(outcome, options=DATED)
    assert seen.count(len(parcels)) == 1
