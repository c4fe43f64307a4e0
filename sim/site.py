"""Site layers: parks and parcels read from any OGR format, checked, in the scenario CRS.

``(SiteFiles, crs) ──load_site──▶ Site``. Layers are read by :func:`sim.layers.read_layer`
(the file, the layer, its text encoding, CRS and coordinates; the reader ``parksim init``
uses too), reprojected to the scenario's projected CRS, and checked once here: every
problem (invalid or empty geometry, duplicate ids, a parcel outside its park,
overlapping parcels, attributes out of range) is collected and raised as one
:class:`~sim.errors.SiteError` naming the file and the parcel.

Rules about where and how big, so that a layer in the wrong units or CRS fails here
rather than as nonsense (or a crash) further on:

- **Extent.** The parks and parcels, in the scenario CRS, must lie within that CRS's
  area of use widened by :data:`sim.layers.AREA_OF_USE_TOLERANCE_DEG` on every side
  (the whole globe for a CRS that states none), at points the CRS can turn into
  longitude and latitude and back: a site at 10¹² m, at the antipode or 30° east of a
  Gauss–Krüger zone is refused. A layer in a projected CRS whose coordinates all lie
  within ±180 × ±90 and span less than 2 units is degrees mistaken for metres.
- **Parcel size.** Parks and parcels layers must not be empty. A parcel smaller than
  :data:`DEGENERATE_AREA_M2` is a degenerate sliver and always an error; one smaller
  than ``[site] min_parcel_area`` (default 100 m²) is an error too, listing the
  parcels, unless the scenario lowers that minimum.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from sim.errors import Problem, SiteError
from sim.layers import LayerOption, area_of_use_problem, read_layer
from sim.result import TOTAL
from sim.scenario import DEFAULT_MIN_PARCEL_AREA_M2, SiteFiles

__all__ = ["Site", "load_site", "park_names", "validate_site"]

#: Tolerances for topology checks, in m² (surveyed parcels share edges up to rounding).
OUTSIDE_TOLERANCE_M2 = 1.0
OVERLAP_TOLERANCE_M2 = 1.0
#: A parcel below this area (m²) is degenerate whatever ``[site] min_parcel_area`` says.
DEGENERATE_AREA_M2 = 1.0
#: Problems listed before the rest are summarised (a broken layer can have thousands).
MAX_LISTED = 25


@dataclass(frozen=True)
class Site:
    """The parks and parcels of a scenario, validated and in its CRS.

    Attributes
    ----------
    parks
        One row per park: ``park_id``, ``name_zh``, ``name_en``, geometry.
    parcels
        One row per parcel: ``parcel_id``, ``park_id``, ``far_max`` (NaN = no cap),
        ``phase`` (release order, 1 first), ``zone``, ``land_use``, the layout shares
        ``building_coefficient``, ``admin_share``, ``green_share`` (0–1; NaN where the
        layer has none), ``area_m2``, geometry.
    land
        Land polygons for the base map, or ``None``.
    extent
        ``(xmin, ymin, xmax, ymax)`` of the parcels (NaN without parcels), computed
        once here: the base map's clip, the QGIS project and the maps' frames read it
        (100,000 parcels' bounds take ≈ 5 ms each time).
    """

    parks: gpd.GeoDataFrame
    parcels: gpd.GeoDataFrame
    land: gpd.GeoDataFrame | None = None
    extent: tuple[float, float, float, float] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Compute :attr:`extent` (a frozen dataclass sets it through ``object``)."""
        geoms = self.parcels.geometry.values
        bounds = shapely.total_bounds(geoms) if len(geoms) else (math.nan,) * 4
        object.__setattr__(self, "extent", tuple(float(b) for b in bounds))

    @property
    def crs(self) -> CRS:
        """The site's projected CRS."""
        return CRS.from_user_input(self.parcels.crs)


def load_site(files: SiteFiles, crs: str, *, source: Path | None = None) -> Site:
    """Read and validate the site layers named in a scenario.

    Parameters
    ----------
    files
        The scenario's ``[site]`` table (absolute paths).
    crs
        The scenario CRS; layers in another CRS are reprojected to it.
    source
        The scenario file, named in errors about the ``[site]`` table.

    Returns
    -------
    Site

    Raises
    ------
    SiteError
        Listing every problem found in the layers, including a site outside the CRS's
        area of use and parcels below ``files.min_parcel_area`` (see the module).
    """
    parks = _read_layer(files.parks, files.parks_layer, crs, source=source, key="parks")
    parcels = _read_layer(files.parcels, files.parcels_layer, crs, source=source, key="parcels")
    land = None
    if files.basemap is not None:
        land = _read_layer(files.basemap, files.basemap_layer, crs, source=source, key="basemap")
    site = validate_site(
        parks,
        parcels,
        parks_file=files.parks,
        parcels_file=files.parcels,
        parks_layer=files.parks_layer,
        parcels_layer=files.parcels_layer,
        min_parcel_area_m2=files.min_parcel_area,
    )
    return Site(parks=site.parks, parcels=site.parcels, land=land)


def _read_layer(
    path: Path, layer: str, crs: str, *, source: Path | None, key: str
) -> gpd.GeoDataFrame:
    """Read ``[site] <key>`` into the scenario CRS; parks and parcels must lie where it is used."""
    option = LayerOption(
        file=f"site.{key}",
        layer=f"site.{key}_layer",
        set_layer=f"set {key}_layer to",
        source=source,
    )
    read = read_layer(path, option=option, layer=layer, to_crs=crs)
    if key in ("parks", "parcels"):
        outside = area_of_use_problem(
            read.frame, CRS.from_user_input(crs), read.crs, path=path, where=f"layer {read.name}"
        )
        if outside is not None:
            raise SiteError(
                "a layer lies outside its CRS's area of use", source=path, problems=[outside]
            )
    return read.frame


def validate_site(
    parks: gpd.GeoDataFrame,
    parcels: gpd.GeoDataFrame,
    *,
    parks_file: Path | str = "parks",
    parcels_file: Path | str = "parcels",
    parks_layer: str = "parks",
    parcels_layer: str = "parcels",
    min_parcel_area_m2: float = DEFAULT_MIN_PARCEL_AREA_M2,
) -> Site:
    """Check parks and parcels and normalise their attributes.

    Parameters
    ----------
    parks, parcels
        Layers in the same projected CRS.
    parks_file, parcels_file
        Where they came from, named in errors.
    parks_layer, parcels_layer
        Their layer names, named in errors.
    min_parcel_area_m2
        Smallest parcel accepted, m² (``[site] min_parcel_area``); a parcel below it,
        or below :data:`DEGENERATE_AREA_M2` whatever it is, is an error.

    Returns
    -------
    Site
        With parcels' ``area_m2`` computed and optional attributes filled in.

    Raises
    ------
    SiteError
        Listing every problem, per file.
    """
    park_problems = _check_parks(parks)
    if park_problems:
        raise _site_error(parks_file, parks_layer, park_problems)
    parks = parks.reset_index(drop=True)
    parks["park_id"] = parks["park_id"].astype(str)
    for column in ("name_zh", "name_en"):
        if column not in parks:
            parks[column] = parks["park_id"]
    problems = _check_parcel_attributes(parcels, set(parks["park_id"]))
    if problems:
        raise _site_error(parcels_file, parcels_layer, problems)
    parcels = _normalised_parcels(parcels)
    problems = _check_parcel_geometry(parcels, parks, min_area_m2=min_parcel_area_m2)
    if problems:
        raise _site_error(parcels_file, parcels_layer, problems)
    return Site(parks=parks, parcels=parcels)


def _site_error(path: Path | str, layer: str, problems: list[Problem]) -> SiteError:
    shown = problems[:MAX_LISTED]
    if len(problems) > MAX_LISTED:
        shown.append(Problem("…", f"and {len(problems) - MAX_LISTED} more problem(s)"))
    return SiteError(f"{len(problems)} problem(s) in layer {layer!r}", source=path, problems=shown)


def _empty_layer(frame: gpd.GeoDataFrame, kind: str) -> list[Problem]:
    if len(frame):
        return []
    return [
        Problem(
            f"{kind}s",
            f"expected at least one {kind}; found an empty layer; draw the {kind}s in it, "
            f"or set {kind}s_layer in [site] to the layer that holds them",
        )
    ]


def _check_parks(parks: gpd.GeoDataFrame) -> list[Problem]:
    if not len(parks):
        return _empty_layer(parks, "park")
    if "park_id" not in parks:
        return [_missing_column("park_id", parks)]
    problems = []
    ids = parks["park_id"].astype(str)
    problems += _duplicate_ids(ids, "park")
    if (ids == TOTAL).any():
        problems.append(
            Problem(
                f"park {TOTAL}",
                f"expected a park_id other than {TOTAL!r}, which stands for all parks together "
                "in targets and outputs; found a park with that id; rename it (e.g. "
                f"'{TOTAL}_park') in the parks layer and its parcels' park_id",
            )
        )
    problems += _geometry_problems(parks.geometry.values, ids.to_numpy(), "park")
    return problems


def _check_parcel_attributes(parcels: gpd.GeoDataFrame, park_ids: set[str]) -> list[Problem]:
    if not len(parcels):
        return _empty_layer(parcels, "parcel")
    missing = [c for c in ("parcel_id", "park_id") if c not in parcels]
    if missing:
        return [_missing_column(c, parcels) for c in missing]
    problems = []
    ids = parcels["parcel_id"].astype(str)
    problems += _duplicate_ids(ids, "parcel")
    unknown = ~parcels["park_id"].astype(str).isin(park_ids)
    if unknown.all():
        named = sorted(parcels["park_id"].astype(str).unique())
        problems.append(
            Problem(
                "park_id",
                f"expected the parcels' park_id to name parks of the parks layer, "
                f"{sorted(park_ids)}; found that none does (the parcels name "
                f"{named[:10]}{' …' if len(named) > 10 else ''}); check that both layers "
                "use the same ids (codes rather than names, the same spelling) or that "
                "[site] names the right parks layer",
            )
        )
    for pid, park in zip(ids[unknown], parcels.loc[unknown, "park_id"], strict=True):
        problems.append(
            Problem(
                f"parcel {pid}",
                f"expected park_id to be a park of the parks layer, one of {sorted(park_ids)}; "
                f"found {park!r}; correct the parcel's park_id or add the park to the parks layer",
            )
        )
    if "far_max" in parcels:
        far = pd.to_numeric(parcels["far_max"], errors="coerce")
        bad = far.notna() & ~(far > 0) | (parcels["far_max"].notna() & far.isna())
        for pid, value in zip(ids[bad], parcels.loc[bad, "far_max"], strict=True):
            problems.append(
                Problem(
                    f"parcel {pid}",
                    f"expected far_max (plot-ratio cap) to be a number > 0; "
                    f"found {_shown(value)}; "
                    "set the cap from the parcel's planning conditions, or leave it empty "
                    "for no cap",
                )
            )
    if "phase" in parcels:
        phase = pd.to_numeric(parcels["phase"], errors="coerce")
        bad = ~(phase >= 1) | (phase != np.floor(phase))
        for pid, value in zip(ids[bad], parcels.loc[bad, "phase"], strict=True):
            problems.append(
                Problem(
                    f"parcel {pid}",
                    f"expected phase to be a whole number ≥ 1 (release order, 1 = first); "
                    f"found {_shown(value)}; set it to 1 or later",
                )
            )
    problems += _layout_problems(parcels, ids)
    problems += _geometry_problems(parcels.geometry.values, ids.to_numpy(), "parcel")
    return problems


#: Optional layout attributes of a parcel: shares of its land, 0–1 (see :mod:`sim.rules`).
LAYOUT_COLUMNS = {
    "building_coefficient": "building coefficient (footprint ÷ land)",
    "admin_share": "administrative/living share of the land",
    "green_share": "green share of the land",
}


def _layout_problems(parcels: gpd.GeoDataFrame, ids: pd.Series) -> list[Problem]:
    """Shares outside 0–1, and footprint plus green space over the whole parcel."""
    problems = []
    shares = {}
    for column, meaning in LAYOUT_COLUMNS.items():
        if column not in parcels:
            continue
        raw = parcels[column]
        values = pd.to_numeric(raw, errors="coerce")
        shares[column] = values
        unreadable = raw.notna() & values.isna()
        for pid, value in zip(ids[unreadable], raw[unreadable], strict=True):
            problems.append(
                Problem(
                    f"parcel {pid}",
                    f"expected {column} ({meaning}) to be a number from 0 to 1; found "
                    f"{_shown(value)}; write it as a fraction (0.35 for 35 %) or leave it empty "
                    "to use the scenario's [rules] value",
                )
            )
        for pid, value in zip(ids[values < 0], values[values < 0], strict=True):
            problems.append(
                Problem(
                    f"parcel {pid}",
                    f"expected {column} ({meaning}) from 0 to 1; found {value:g}, a negative "
                    "share; correct it from the parcel's planning conditions",
                )
            )
        for pid, value in zip(ids[values > 1], values[values > 1], strict=True):
            problems.append(
                Problem(
                    f"parcel {pid}",
                    f"expected {column} ({meaning}) from 0 to 1; found {value:g}, a coverage "
                    "over 100 % of the parcel; write shares as fractions (0.35 for 35 %)",
                )
            )
    if "building_coefficient" in shares and "green_share" in shares:
        building, green = shares["building_coefficient"], shares["green_share"]
        valid = building.between(0, 1) & green.between(0, 1)
        over = valid & (building + green > 1 + 1e-9)
        for pid, b, g in zip(ids[over], building[over], green[over], strict=True):
            problems.append(
                Problem(
                    f"parcel {pid}",
                    f"expected building_coefficient + green_share ≤ 1; found {b:g} + {g:g} = "
                    f"{b + g:g}, a coverage over 100 %; buildings and green space cannot cover "
                    "more than the parcel, correct one of them",
                )
            )
    return problems


def _m2(value: float) -> str:
    return f"{value:,.0f} m²" if value >= 10 else f"{value:.3g} m²"


def _m2_str(value: float) -> str:
    """Write ``value`` m², rounded down, as a scenario unit string, e.g. ``"40 m2"``."""
    return f"{max(1, math.floor(value)):d} m2"


def _shown(value: object) -> str:
    return "an empty value" if pd.isna(value) else repr(value)  # type: ignore[call-overload]


def _missing_column(column: str, frame: gpd.GeoDataFrame) -> Problem:
    columns = [c for c in frame.columns if c != frame.geometry.name]
    others = [str(c) for c in columns if c not in ("parcel_id", "park_id")]
    close = difflib.get_close_matches(column, others, n=1, cutoff=0.75)
    fix = f"rename column {close[0]!r} to {column!r}" if close else f"add a {column} column"
    return Problem(column, f"expected a {column} column; found only {columns}; {fix}")


def _duplicate_ids(ids: pd.Series, kind: str) -> list[Problem]:
    problems = []
    counts = ids.value_counts()
    for dup in sorted(counts.index[counts > 1]):
        problems.append(
            Problem(
                f"{kind} {dup}",
                f"expected each {kind}_id once; found {dup!r} {counts[dup]} times; "
                f"give each {kind} its own id",
            )
        )
    return problems


def _geometry_problems(geoms: np.ndarray, ids: np.ndarray, kind: str) -> list[Problem]:
    problems = []
    missing = shapely.is_missing(geoms)
    empty = ~missing & shapely.is_empty(geoms)
    for pid in ids[missing | empty]:
        problems.append(
            Problem(
                f"{kind} {pid}",
                f"expected a polygon; found an empty geometry; draw the {kind} or drop the row",
            )
        )
    present = ~(missing | empty)
    types = shapely.get_type_id(geoms)
    polygonal = np.isin(types, [3, 6])  # Polygon, MultiPolygon
    for pid, geom in zip(ids[present & ~polygonal], geoms[present & ~polygonal], strict=True):
        problems.append(
            Problem(
                f"{kind} {pid}",
                f"expected a polygon; found a {geom.geom_type}, which has no area; "
                f"draw the {kind} as a polygon",
            )
        )
    check = present & polygonal
    invalid = check & ~shapely.is_valid(geoms)
    for pid, geom in zip(ids[invalid], geoms[invalid], strict=True):
        problems.append(
            Problem(
                f"{kind} {pid}",
                f"expected a valid polygon; found an invalid one "
                f"({shapely.is_valid_reason(geom)}); repair it, e.g. with QGIS "
                "'Fix geometries' or shapely.make_valid",
            )
        )
    return problems


def _normalised_parcels(parcels: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    out = parcels.reset_index(drop=True).copy()
    out["parcel_id"] = out["parcel_id"].astype(str)
    out["park_id"] = out["park_id"].astype(str)
    far = out["far_max"] if "far_max" in out else pd.Series(np.nan, index=out.index)
    out["far_max"] = pd.to_numeric(far, errors="coerce").astype(float)
    phase = out["phase"] if "phase" in out else pd.Series(1, index=out.index)
    out["phase"] = pd.to_numeric(phase).astype(np.int64)
    for column, default in (("zone", ""), ("land_use", "")):
        if column not in out:
            out[column] = default
        out[column] = out[column].fillna(default).astype(str)
    for column in LAYOUT_COLUMNS:
        values = out[column] if column in out else pd.Series(np.nan, index=out.index)
        out[column] = pd.to_numeric(values, errors="coerce").astype(float)
    out["area_m2"] = shapely.area(out.geometry.values)
    return out


def _check_parcel_geometry(
    parcels: gpd.GeoDataFrame, parks: gpd.GeoDataFrame, *, min_area_m2: float
) -> list[Problem]:
    problems = []
    ids = parcels["parcel_id"].to_numpy()
    geoms = parcels.geometry.values
    area = parcels["area_m2"].to_numpy(dtype=float)
    for i in np.flatnonzero(~(area >= DEGENERATE_AREA_M2)):
        problems.append(
            Problem(
                f"parcel {ids[i]}",
                f"expected an area of at least {DEGENERATE_AREA_M2:g} m²; found "
                f"{_m2(area[i])}, a degenerate sliver (or a layer drawn in other units than "
                "its CRS says); drop the row or merge it into its neighbour",
            )
        )
    small = (area >= DEGENERATE_AREA_M2) & (area < min_area_m2)
    for i in np.flatnonzero(small):
        problems.append(
            Problem(
                f"parcel {ids[i]}",
                f"expected an area of at least [site] min_parcel_area = {_m2(min_area_m2)}; "
                f"found {_m2(area[i])}, a sliver too small to build on; merge it into its "
                "neighbour or drop the row, or, if parcels this small are real, lower "
                f'min_parcel_area in the scenario\'s [site] table (e.g. "{_m2_str(area[i])}")',
            )
        )
    park_geom = parks.set_index("park_id").geometry
    own_park = park_geom.loc[parcels["park_id"]].values
    outside = shapely.area(shapely.difference(geoms, own_park))
    for i in np.flatnonzero(outside > OUTSIDE_TOLERANCE_M2):
        share = outside[i] / parcels["area_m2"].iat[i]
        problems.append(
            Problem(
                f"parcel {ids[i]}",
                f"expected to lie inside its park {parcels['park_id'].iat[i]!r}; found "
                f"{outside[i]:,.0f} m² ({share:.0%}) of it outside; redraw it inside the "
                "park outline or assign it to the park it lies in",
            )
        )
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    pairs = left < right
    left, right = left[pairs], right[pairs]
    overlap = shapely.area(shapely.intersection(geoms[left], geoms[right]))
    for i, j, area in zip(left, right, overlap, strict=True):
        if area > OVERLAP_TOLERANCE_M2:
            problems.append(
                Problem(
                    f"parcel {ids[i]}",
                    f"expected no overlap with other parcels; found it overlaps parcel "
                    f"{ids[j]} by {area:,.0f} m²; cut one of them back to the shared edge",
                )
            )
    return problems


def park_names(site: Site) -> pd.DataFrame:
    """Name each park in Chinese and English, and ``total`` and ``rest_of_city`` too.

    Parameters
    ----------
    site
        The site (its parks layer's ``name_zh``, ``name_en``).

    Returns
    -------
    pandas.DataFrame
        Columns ``park_id, park_name_zh, park_name_en``.
    """
    parks = pd.DataFrame(
        {
            "park_id": site.parks["park_id"].astype(str).to_numpy(),
            "park_name_zh": site.parks["name_zh"].astype(str).to_numpy(),
            "park_name_en": site.parks["name_en"].astype(str).to_numpy(),
        }
    )
    extra = pd.DataFrame(
        {
            "park_id": ["total", "rest_of_city"],
            "park_name_zh": ["合计", "全市其余"],
            "park_name_en": ["total", "rest of city"],
        }
    )
    return pd.concat([parks, extra], ignore_index=True)
