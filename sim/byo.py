"""Bring your own parcels: a planner's layer in, a runnable scenario out (``parksim init``).

``layer file ──read_parcels──▶ Imported ──write_scenario──▶ SCENARIO.toml + _site.gpkg``

:func:`read_parcels` reads any OGR vector file — Shapefile (its DBF may be GBK, as much
Chinese GIS data is; the encoding is detected when no ``.cpg`` says it), GeoPackage,
GeoJSON, DXF — with :func:`sim.layers.read_layer`, the reader of a scenario's site
layers too, and turns it into parcels the simulator accepts: reprojected to a
projected CRS (the CGCS2000 3° Gauss–Krüger zone of the data's longitude unless told
otherwise), geometry repaired (``shapely.make_valid``, empty and non-polygonal
features dropped, closed DXF polylines made polygons, overlaps clipped so that the
earlier parcel keeps the shared area), slivers below ``[site] min_parcel_area``
dropped, ids made unique, plot-ratio caps checked. Every change is counted in
:attr:`Imported.changes`. Parks are the convex hull of each park's parcels.

:func:`write_scenario` writes the layer next to the scenario as a GeoPackage and a
scenario (with tomlkit, comments and all) whose every assumption the layer could not
give is a default with a comment naming its published source (the reference figures
collected for parksim: national standards and statistics, figures of built parks) and
marked ``REVIEW``. What is a city's policy rather than a published figure — the
admission thresholds — is left for the planner to set: written commented out, with
figures for scale and one city's thresholds as an example.
"""

from __future__ import annotations

import codecs
import datetime as dt
import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import tomlkit
from pyproj import CRS
from pyproj.exceptions import CRSError
from tomlkit import TOMLDocument
from tomlkit.items import Comment, Item, Table, Trivia

from sim.errors import Problem, SimError, SiteError
from sim.layers import Layer, LayerOption, area_of_use_problem, read_layer
from sim.scenario import DEFAULT_MIN_PARCEL_AREA_M2
from sim.site import DEGENERATE_AREA_M2

__all__ = ["Imported", "projected_crs_for", "read_parcels", "write_scenario"]

#: Overlaps smaller than this are surveying noise and left alone (m²), as in sim.site.
OVERLAP_TOLERANCE_M2 = 1.0
#: How `parksim init`'s options name the layer, in errors.
_OPTION = LayerOption(
    file="LAYER", layer="--layer", set_layer="pass --layer", crs="--crs", encoding="--encoding"
)


@dataclass(frozen=True)
class Imported:
    """Parcels read from a planner's layer, repaired, in a projected CRS.

    Attributes
    ----------
    parcels
        ``parcel_id, park_id, far_max`` (NaN = no cap), geometry.
    parks
        ``park_id, name_zh, name_en``, geometry (convex hull of the park's parcels).
    source
        The file read.
    source_crs
        The CRS the layer was in (as given by the file or ``--crs``).
    crs
        The projected CRS of ``parcels`` and ``parks``.
    encoding
        The text encoding used for a Shapefile's DBF, or ``None``.
    changes
        What was changed, one line each, with counts (empty when nothing was).
    min_parcel_area_m2
        The smallest parcel kept, m² (smaller ones were dropped).
    """

    parcels: gpd.GeoDataFrame
    parks: gpd.GeoDataFrame
    source: Path
    source_crs: str
    crs: str
    encoding: str | None
    changes: tuple[str, ...]
    min_parcel_area_m2: float = DEFAULT_MIN_PARCEL_AREA_M2


def projected_crs_for(longitude: float) -> str:
    """Return the CGCS2000 3° Gauss–Krüger CRS whose central meridian is nearest.

    China's national grid (EPSG:4534–4554, central meridians 75°E–135°E, no zone
    prefix on eastings). Outside 73.5°E–136.5°E, the WGS 84 UTM zone instead.

    Parameters
    ----------
    longitude
        Degrees east.

    Returns
    -------
    str
        ``"EPSG:<code>"``.

    Examples
    --------
    >>> projected_crs_for(120.4)  # Qingdao
    'EPSG:4549'
    >>> projected_crs_for(116.4)  # Beijing
    'EPSG:4548'
    """
    if 73.5 <= longitude <= 136.5:
        meridian = int(np.clip(round(longitude / 3) * 3, 75, 135))
        return f"EPSG:{4534 + (meridian - 75) // 3}"
    zone = int((longitude + 180) // 6) % 60 + 1
    return f"EPSG:{32600 + zone}"


def _problem(source: Path, summary: str, where: str, message: str) -> SiteError:
    return SiteError(summary, source=source, problems=[Problem(where, message)])


def _check_encoding(encoding: str | None) -> str | None:
    if encoding is None:
        return None
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        raise SimError(
            "unknown text encoding",
            problems=[
                Problem(
                    "--encoding",
                    f"expected an encoding name such as GBK, GB18030, UTF-8 or CP936; found "
                    f"{encoding!r}, which Python does not know; Chinese Shapefiles are "
                    "usually GBK",
                )
            ],
        ) from None


def _field(frame: gpd.GeoDataFrame, name: str, option: str, source: Path) -> pd.Series:
    columns = [str(c) for c in frame.columns if c != frame.geometry.name]
    folded = {c.casefold(): c for c in columns}
    if name in columns or name.casefold() in folded:
        return pd.Series(frame[name if name in columns else folded[name.casefold()]])
    close = difflib.get_close_matches(name, columns, n=1)
    raise _problem(
        source,
        "field not found",
        option,
        f"expected a field of the layer, one of {columns}; found {name!r}; "
        + (f"did you mean {close[0]!r}?" if close else "name one of these")
        + " (for a GBK Shapefile whose names look garbled, pass --encoding GBK)",
    )


def _option_crs(value: str | None, option: str, *, projected: bool = False) -> CRS | None:
    """Check a CRS given on the command line: one pyproj knows (and projected, if asked)."""
    if value is None:
        return None
    try:
        crs = CRS.from_user_input(value)
    except CRSError:
        raise SimError(
            "unknown CRS",
            problems=[
                Problem(
                    option,
                    "expected a CRS such as EPSG:4326 (WGS 84 degrees), EPSG:4490 "
                    "(CGCS2000 degrees) or EPSG:4549 (CGCS2000 3° Gauss–Krüger CM 120°E); "
                    f"found {value!r}, which pyproj does not know",
                )
            ],
        ) from None
    if projected and not crs.is_projected:
        raise SimError(
            "the target CRS is not projected",
            problems=[
                Problem(
                    option,
                    f"expected a projected CRS (areas need metres); found {value!r}; "
                    "use e.g. EPSG:4549",
                )
            ],
        )
    return crs


def _polygons(geoms: np.ndarray) -> tuple[np.ndarray, dict[str, int]]:
    """Polygonal geometry of each feature (None where there is none), with counts."""
    counts = {"closed lines made polygons": 0, "invalid geometries repaired": 0}
    out = np.empty(len(geoms), dtype=object)
    for i, geom in enumerate(geoms):
        if geom is None or geom.is_empty:
            out[i] = None
            continue
        if geom.geom_type in ("LineString", "LinearRing", "MultiLineString"):
            lines = getattr(geom, "geoms", [geom])
            rings = [ln for ln in lines if ln.is_closed and len(ln.coords) >= 4]
            if rings:
                counts["closed lines made polygons"] += 1
                geom = shapely.union_all([shapely.Polygon(r.coords) for r in rings])
        if not geom.is_valid:
            counts["invalid geometries repaired"] += 1
            geom = shapely.make_valid(geom)
        parts = [p for p in getattr(geom, "geoms", [geom]) if p.geom_type in ("Polygon",)]
        parts += [
            q for p in getattr(geom, "geoms", []) if p.geom_type == "MultiPolygon" for q in p.geoms
        ]
        if geom.geom_type in ("Polygon", "MultiPolygon"):
            out[i] = geom
        elif parts:
            out[i] = shapely.union_all(parts)
        else:
            out[i] = None
    return out, counts


def _clip_overlaps(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Cut each parcel back where it overlaps an earlier one; say which, and the area cut."""
    geoms = geoms.copy()
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    pairs = left < right
    left, right = left[pairs], right[pairs]
    area = shapely.area(shapely.intersection(geoms[left], geoms[right]))
    overlapping = area > OVERLAP_TOLERANCE_M2
    clipped, cut = np.zeros(len(geoms), dtype=bool), 0.0
    for j in np.unique(right[overlapping]):
        earlier = left[overlapping & (right == j)]
        before = geoms[j].area
        remainder = shapely.difference(geoms[j], shapely.union_all(geoms[earlier]))
        remainder = shapely.make_valid(remainder)
        polygons = [p for p in getattr(remainder, "geoms", [remainder]) if p.geom_type == "Polygon"]
        geoms[j] = shapely.union_all(polygons) if polygons else shapely.Polygon()
        clipped[j] = True
        cut += before - geoms[j].area
    return geoms, clipped, cut


def read_parcels(
    path: str | Path,
    *,
    park_field: str,
    far_field: str | None = None,
    id_field: str | None = None,
    crs: str | None = None,
    encoding: str | None = None,
    layer: str | None = None,
    target_crs: str | None = None,
    min_parcel_area_m2: float = DEFAULT_MIN_PARCEL_AREA_M2,
) -> Imported:
    """Read a planner's parcel layer and repair it into parcels parksim accepts.

    Parameters
    ----------
    path
        Shapefile, GeoPackage, GeoJSON, DXF or any other OGR vector file.
    park_field
        The field naming each parcel's park (for DXF usually ``Layer``).
    far_field
        Field with each parcel's plot-ratio cap (容积率上限), if any.
    id_field
        Field with parcel ids (地块编号); default: ``<park>-0001`` … in layer order.
    crs
        The CRS the layer is drawn in, where the file does not say (no ``.prj``, DXF)
        or says it wrongly.
    encoding
        Text encoding of a Shapefile's DBF (``GBK`` for most Chinese data); default:
        the ``.cpg`` file's, else detected.
    layer
        Layer to read from a file with several.
    target_crs
        Projected CRS for the scenario; default: :func:`projected_crs_for` the
        layer's central longitude.
    min_parcel_area_m2
        Parcels smaller than this (m²; at least :data:`sim.site.DEGENERATE_AREA_M2`),
        as drawn or once clipped, are slivers too small to build on and dropped, each
        listed in the changes; a minimum other than ``[site] min_parcel_area``'s
        default is written into the scenario, so that ``parksim check`` accepts what
        is kept.

    Returns
    -------
    Imported

    Raises
    ------
    SimError
        A bad option (unknown encoding or CRS).
    SiteError
        Unreadable file, missing field, no CRS, no usable parcel.
    """
    source = Path(path)
    min_area = max(float(min_parcel_area_m2), DEGENERATE_AREA_M2)
    encoding = _check_encoding(encoding)
    given_crs = _option_crs(crs, "--crs")
    _option_crs(target_crs, "--target-crs", projected=True)
    read = read_layer(source, option=_OPTION, layer=layer, crs=given_crs, encoding=encoding)
    frame = read.frame
    changes = list(read.notes)
    parks = _field(frame, park_field, "--park-field", source)
    far = _field(frame, far_field, "--far-field", source) if far_field else None
    ids = _field(frame, id_field, "--id-field", source) if id_field else None

    geoms, counts = _polygons(frame.geometry.to_numpy())
    changes += [f"{what}: {n}" for what, n in counts.items() if n]
    park_text = parks.astype("string").str.strip()
    keep = np.array([g is not None and not g.is_empty for g in geoms])
    if (~keep).any():
        changes.append(
            f"features without a polygon (empty, points, open lines) dropped: {(~keep).sum()}"
        )
    no_park = keep & (park_text.isna() | (park_text == "")).to_numpy()
    if no_park.any():
        changes.append(f"parcels with an empty {park_field} dropped: {no_park.sum()}")
        keep &= ~no_park
    if not keep.any():
        raise _no_parcel(source, park_field, len(frame), min_area)
    out = gpd.GeoDataFrame(
        {"park_id": park_text[keep].astype(str).to_numpy(), "feature": np.flatnonzero(keep) + 1},
        geometry=list(geoms[keep]),
        crs=read.crs,
    )
    if ids is not None:
        out["parcel_id"] = ids[keep].astype("string").str.strip().to_numpy()
    else:
        out["parcel_id"] = pd.NA
    if far is not None:
        values = pd.to_numeric(far[keep], errors="coerce").to_numpy(dtype=float)
        bad = np.isnan(values) & far[keep].notna().to_numpy() | (values <= 0)
        if bad.any():
            changes.append(f"{far_field} not a number > 0, so no plot-ratio cap: {int(bad.sum())}")
        out["far_max"] = np.where(bad, np.nan, values)
    else:
        out["far_max"] = np.nan

    out, target_crs = _reprojected(out, read, target_crs, changes)
    clipped_geoms, clipped, cut = _clip_overlaps(out.geometry.to_numpy())
    if clipped.any():
        changes.append(
            f"parcels clipped where they overlapped an earlier one: {clipped.sum()} "
            f"({cut:,.0f} m² cut)"
        )
        out = out.set_geometry(list(clipped_geoms), crs=out.crs)
    area = shapely.area(out.geometry.values)
    emptied = clipped & (area < DEGENERATE_AREA_M2)
    if emptied.any():
        changes.append(f"parcels lying wholly under earlier ones dropped: {emptied.sum()}")
    small = ~emptied & (area < min_area)
    if small.any():
        changes.append(_slivers_note(out[small], area[small], min_area, named=ids is not None))
    out = out[~(emptied | small)].reset_index(drop=True)
    if not len(out):
        raise _no_parcel(source, park_field, len(frame), min_area)

    out["parcel_id"] = _parcel_ids(out, changes, id_field)
    hull = out.dissolve("park_id", sort=False).convex_hull
    parks_frame = gpd.GeoDataFrame(
        {
            "park_id": hull.index.astype(str),
            "name_zh": hull.index.astype(str),
            "name_en": hull.index.astype(str),
        },
        geometry=hull.to_numpy(),
        crs=out.crs,
    ).reset_index(drop=True)
    return Imported(
        parcels=out[["parcel_id", "park_id", "far_max", "geometry"]],
        parks=parks_frame,
        source=source,
        source_crs=read.crs.to_string(),
        crs=target_crs,
        encoding=read.encoding,
        changes=tuple(changes),
        min_parcel_area_m2=min_area,
    )


def _no_parcel(source: Path, park_field: str, features: int, min_area: float) -> SiteError:
    return _problem(
        source,
        "no usable parcel",
        "LAYER",
        f"expected polygons of at least {min_area:,.0f} m² with a {park_field} value; found "
        f"none among {features} features; check the layer and --park-field",
    )


#: Slivers named one by one in the change list before the rest are counted.
_SLIVERS_NAMED = 10


def _slivers_note(
    slivers: gpd.GeoDataFrame, area: np.ndarray, min_area: float, *, named: bool
) -> str:
    """Say which parcels were dropped as slivers: by their id, else their feature number."""
    names = []
    for pid, feature, m2 in zip(slivers["parcel_id"], slivers["feature"], area, strict=True):
        name = str(pid) if named and not pd.isna(pid) else f"feature {feature}"
        names.append(f"{name} ({m2:,.0f} m²)" if m2 >= 10 else f"{name} ({m2:.2g} m²)")
    more = len(names) - _SLIVERS_NAMED
    listed = ", ".join(names[:_SLIVERS_NAMED]) + (f" and {more} more" if more > 0 else "")
    return (
        f"parcels smaller than {min_area:,.0f} m² dropped as slivers too small to build on "
        f"([site] min_parcel_area; drawn so or left by clipping): {len(names)} — {listed}"
    )


def _reprojected(
    parcels: gpd.GeoDataFrame, read: Layer, target_crs: str | None, changes: list[str]
) -> tuple[gpd.GeoDataFrame, str]:
    """Reproject to ``target_crs`` (default: the zone of the parcels' centre), checked."""
    if target_crs is None:
        centre = gpd.GeoSeries([parcels.union_all().centroid], crs=read.crs)
        target_crs = projected_crs_for(float(centre.to_crs(4326).iloc[0].x))
    target = CRS.from_user_input(target_crs)
    if not read.crs.equals(target):
        parcels = parcels.to_crs(target)
        changes.append(f"reprojected from {read.crs.to_string()} to {target_crs}")
        # Reprojection can bend a valid ring into a self-touching one.
        fixed = ~shapely.is_valid(parcels.geometry.values)
        if fixed.any():
            parcels.loc[fixed, "geometry"] = shapely.make_valid(parcels.geometry.values[fixed])
    where = f"layer {read.name}"
    outside = area_of_use_problem(
        parcels, target, read.crs, path=read.path, where=where, set_crs="pass --target-crs"
    )
    if outside is not None:
        raise SiteError(
            "the layer lies outside its CRS's area of use", source=read.path, problems=[outside]
        )
    return parcels, target_crs


def _parcel_ids(frame: gpd.GeoDataFrame, changes: list[str], id_field: str | None) -> list[str]:
    given = frame["parcel_id"]
    missing = given.isna() | (given.astype("string") == "")
    ids: list[str] = []
    counters: dict[str, int] = {}
    for park, value, absent in zip(frame["park_id"], given, missing, strict=True):
        if absent:
            counters[park] = counters.get(park, 0) + 1
            ids.append(f"{park}-{counters[park]:04d}")
        else:
            ids.append(str(value))
    if id_field is not None and missing.any():
        changes.append(f"parcels without a {id_field} given one: {int(missing.sum())}")
    seen: dict[str, int] = {}
    renamed = 0
    for i, pid in enumerate(ids):
        if pid in seen:
            seen[pid] += 1
            ids[i] = f"{pid}#{seen[pid]}"
            renamed += 1
        else:
            seen[pid] = 1
    if renamed:
        changes.append(f"duplicate parcel ids made unique with #2, #3 …: {renamed}")
    return ids


# --- the scenario -----------------------------------------------------------------------

#: Defaults of a new scenario, each with its published source (parksim's reference
#: figures): national standards and statistics first, then figures of built parks.
#: Values every park shares. Nothing here is a city's policy: that is the planner's.
_DEFAULTS: tuple[tuple[str, float | int | str, str], ...] = (
    ("plot_ratio", 1.5, "REF: industrial land-sale conditions FAR 0.7–1.8 (land listings "
     "2023), the 2008 national control indicators ≥ 1.0 for electronics and computers "
     "(国土资发〔2008〕24号); built software parks ≈ 1.2–1.5 (蓝湾网谷 start area, "
     "中电光谷); far_max caps it"),
    ("start_lag_years", 1, "REF: land is idle one year after the contracted start "
     "(闲置土地处置办法 2012), so developers start within a year"),
    ("duration_years", 3, "REF: park phases of 15–46万 m² took ≈ 31–39 months from "
     "groundbreaking to completion (国际创新园 ph1 and ph2, 中电光谷 ph2; press 2012–2025)"),
    ("occupancy_ramp_years", 3, "assumption: new parks fill over about three years"),
    ("occupancy_ceiling", "85 %", "assumption: long-run occupancy of business parks"),
    ("revenue_per_m2", "17100 元/m2", "REF: 65万元 revenue per software worker (China "
     "2013, 3.06万亿元 / 470万) ÷ 38 m² per worker (m2_per_worker)"),
    ("revenue_growth", "8.6 %", "REF: China's software revenue per worker 65万元 (2013) → "
     "98.06万元 (2018, MIIT)"),
    ("land_price", "600 元/m2", "assumption (no published figure): industrial/R&D land "
     "≈ 40万元/亩; use the land-transfer prices of your site"),
    ("construction_cost", "5600 元/m2", "REF: 17万 m² for 9.6亿元 all-in (国际创新园 ph1, "
     "2010); ≈ 11,000 元/m² in 2020 (青岛科技创新园); use the costs of your year and city"),
    ("fitout_cost", "1000 元/m2", "assumption: tenant fit-out of office/R&D floor"),
    ("m2_per_worker", "38 m2", "REF: 45,768 m² planned for ≈ 1,200 jobs (a 2021 digital "
     "park); the office standard JGJ/T 67-2019 asks ≥ 6 m² usable"),
)  # fmt: skip
#: The ``[rules]`` comment on admission thresholds: a city's policy, so left to the
#: planner, with published figures for scale and one city's thresholds as an example.
_ADMISSION_NOTE = (
    "Admission thresholds — REVIEW: set both. They are your city's policy, not a national",
    "standard: the 2023 national control indicators (自然资发〔2023〕72号) leave investment",
    "and output per ha to local governments. While they are commented out, parksim's",
    "built-in thresholds apply (`parksim audit` shows the ones in force). For scale, REF:",
    "industrial land of national development zones held 4,812万元/ha of fixed-asset",
    "investment (2009) and 2.67亿元/ha of high-tech output (2011) (Xinhua 2011-11-15,",
    "2013-01-09). For example, Qingdao's 2012 software-base policy (青岛市《关于推进青岛国家",
    "软件和信息服务业示范基地建设 促进软件产业跨越式发展的意见》, 2012-04-26, 四、（十）) set:",
)
#: Years over which a park's land is released (sets each park's yearly land supply).
RELEASE_YEARS = 5
#: Largest floor built in one phase, m² (REF: 中电光谷 ph2 15万 m², 国际创新园 ph1 17万 m²).
MAX_PHASE_M2 = 150_000.0
#: The default plot ratio, which sets each park's default demand.
PLOT_RATIO = float(dict((key, value) for key, value, _ in _DEFAULTS)["plot_ratio"])
#: Whitespace between a value and its comment, as a planner would align it.
_GAP = "   "
#: One line of a table: key, value, its comment (or None) and the whitespace before it.
_Entry = tuple[str, object, str | None, str]


def _area(m2: float) -> str:
    return f"{m2 / 1e4:.4g} ha"


def _floor(m2: float) -> str:
    return f"{m2 / 1e4:.4g}万 m2"


def write_scenario(
    imported: Imported,
    out: str | Path,
    *,
    name: str | None = None,
    base_year: int | None = None,
    horizon: int | None = None,
    command: str = "",
    force: bool = False,
) -> Path:
    """Write the layer as ``<stem>_site.gpkg`` and a scenario using it, both atomically.

    Neither file may be the layer read (or one of a Shapefile's sidecar files), and
    neither replaces an existing file unless ``force``; both are checked before
    either is written.

    Parameters
    ----------
    imported
        From :func:`read_parcels`.
    out
        The scenario file to write (``.toml``); its folder is created.
    name
        Scenario name (default: the layer file's name).
    base_year, horizon
        First and last simulated year (default: this year and ten years on).
    command
        The command line, recorded in the file's header.
    force
        Replace an existing scenario or site file (never the layer read).

    Returns
    -------
    pathlib.Path
        The scenario file.

    Raises
    ------
    sim.errors.OutputError
        When a file may not be written; nothing is written then.
    """
    from sim.outputs import atomic_file, check_output_file, layer_files

    inputs = layer_files(imported.source)
    out = check_output_file(out, inputs=inputs, force=force)
    site = check_output_file(
        out.with_name(f"{out.stem}_site.gpkg"),
        inputs=inputs,
        force=force,
        option="the site layer written beside --out",
    )
    year = dt.date.today().year
    base_year = year if base_year is None else base_year
    horizon = base_year + 10 if horizon is None else horizon
    document = _scenario_document(
        imported,
        site.name,
        name=name or imported.source.stem,
        base_year=base_year,
        horizon=horizon,
        command=command,
    )
    text = tomlkit.dumps(document)
    from sim.export import GPKG_VERSION

    with atomic_file(site, inputs=inputs, force=True) as temporary:
        imported.parks.to_file(
            temporary, layer="parks", engine="pyogrio", driver="GPKG", VERSION=GPKG_VERSION
        )
        imported.parcels.to_file(temporary, layer="parcels", engine="pyogrio", driver="GPKG")
    with atomic_file(out, inputs=inputs, force=True) as temporary:
        temporary.write_text(text, encoding="utf-8")
    return out


def _comment(text: str = "") -> Comment:
    """Make a comment line (``#`` alone when empty); line breaks in ``text`` become spaces."""
    text = " ".join(text.splitlines())
    return Comment(Trivia(comment=f"# {text}" if text else "#"))


def _commented(value: object, comment: str, gap: str = _GAP) -> Item:
    """Make a TOML value followed on its line by ``# comment``, ``gap`` after the value."""
    item = tomlkit.item(value)
    item.comment(" ".join(comment.splitlines()))
    item.trivia.comment_ws = gap
    return item


def _table(entries: Sequence[_Entry], *, comment: str | None = None) -> Table:
    """Make a table of ``(key, value, comment or None, gap)``, its header maybe commented."""
    table = tomlkit.table()
    for key, value, note, gap in entries:
        table.add(key, value if note is None else _commented(value, note, gap))
    if comment is not None:
        table.comment(comment)
        table.trivia.comment_ws = _GAP
    return table


def _add_table(doc: TOMLDocument, key: str, table: Table) -> None:
    """Add ``table`` flush after what precedes it (tomlkit would put a blank line first)."""
    doc.add(key, table)
    table.trivia.indent = ""


def _header(imported: Imported, *, command: str) -> list[Comment]:
    """Write the scenario file's opening comments: where it came from, what changed."""
    parcels = imported.parcels
    parks = parcels["park_id"].nunique()
    lines = [
        f"Scenario made by `parksim init` from {imported.source.name} on "
        f"{dt.date.today().isoformat()}.",
        *([f"  {command}"] if command else []),
        "",
        "The layer gave the parcels, their parks"
        + (", plot-ratio caps" if parcels["far_max"].notna().any() else "")
        + "; everything else below is a default to",
        'review: each line marked REVIEW says where its value comes from. "REF" = the',
        "published figures collected for parksim (REFERENCE_FIGURES.md): press reports,",
        "national standards and statistics, each named.",
        "",
        f"Layer: {imported.source} ({len(parcels)} parcels in {parks} parks), "
        f"CRS {imported.source_crs}"
        + (f", text encoding {imported.encoding.upper()}" if imported.encoding else "")
        + ".",
    ]
    if imported.changes:
        lines.append("Changes made to the layer (the site file holds the result):")
        lines += [f"  - {change}" for change in imported.changes]
    else:
        lines.append("The layer needed no changes.")
    lines += [
        "Parks are the convex hull of each park's parcels; replace them with the real",
        "park boundaries if you have them (layer `parks`, field park_id).",
    ]
    return [_comment(line) for line in lines]


def _parks(imported: Imported) -> Table:
    """``[parks.<id>]``: each park's land supply, demand and phase size, all to review."""
    parcels = imported.parcels
    area = parcels.geometry.area.groupby(parcels["park_id"], sort=False).sum()
    parks = tomlkit.table(is_super_table=True)
    for park, land in area.items():
        supply = land / RELEASE_YEARS
        demand = supply * PLOT_RATIO  # what the released land holds at the default FAR
        phase = min(MAX_PHASE_M2, demand)
        entries: list[_Entry] = [
            ("land_supply_per_year", _area(supply), "REVIEW: assumption — the park's land "
             f"released over {RELEASE_YEARS} years", _GAP),
            ("demand_per_year", _floor(demand), "REVIEW: assumption — the floor that land "
             "holds at the default plot ratio; set the market's absorption", _GAP),
            ("max_floor_per_phase", _floor(phase), "REVIEW: REF 中电光谷 ph2 15万 m², "
             "国际创新园 ph1 17万 m²; at most the yearly demand", _GAP),
        ]  # fmt: skip
        parks.add(str(park), _table(entries, comment=f"{land / 1e4:,.1f} ha of parcels"))
    return parks


def _scenario_document(
    imported: Imported, site: str, *, name: str, base_year: int, horizon: int, command: str
) -> TOMLDocument:
    """Build the scenario ``parksim init`` writes: tables of values, defaults commented."""
    doc = tomlkit.document()
    for comment in _header(imported, command=command):
        doc.add(comment)
    doc.add(tomlkit.nl())
    crs_name = CRS.from_user_input(imported.crs).name
    _add_table(doc, "scenario", _table([
        ("name", name, None, ""),
        ("base_year", base_year, "REVIEW: assumption — the first year to simulate", _GAP),
        ("horizon", horizon, "REVIEW: assumption — ten years on", "     "),
        ("crs", imported.crs, crs_name, _GAP),
        ("seed", 1, None, ""),
    ]))  # fmt: skip
    doc.add(tomlkit.nl())
    site_entries: list[_Entry] = [
        ("parks", site, None, ""),
        ("parks_layer", "parks", None, ""),
        ("parcels", site, None, ""),
        ("parcels_layer", "parcels", None, ""),
    ]
    if imported.min_parcel_area_m2 != DEFAULT_MIN_PARCEL_AREA_M2:
        site_entries.append((
            "min_parcel_area", f"{imported.min_parcel_area_m2:g} m2", "REVIEW: the smallest "
            "parcel init kept (smaller ones were dropped as slivers); parksim's default is "
            f"{DEFAULT_MIN_PARCEL_AREA_M2:g} m²", _GAP,
        ))  # fmt: skip
    _add_table(doc, "site", _table(site_entries))
    doc.add(tomlkit.nl())
    doc.add(_comment("Assumptions every park shares unless its own table below overrides them."))
    defaults = [(key, value, f"REVIEW: {source}", _GAP) for key, value, source in _DEFAULTS]
    _add_table(doc, "defaults", _table(defaults))
    doc.add(tomlkit.nl())
    _add_table(doc, "parks", _parks(imported))
    doc.add(tomlkit.nl())
    for line in (
        "Targets: add one table per target, e.g.",
        "[[targets]]",
        'metric = "floor_completed"   # or floor_under_construction, revenue, workers …',
        'park = "total"               # or a park_id',
        f"year = {min(base_year + 5, horizon)}",
        'value = "100万 m2"',
        'source = "the plan, section …"',
    ):
        doc.add(_comment(line))
    doc.add(tomlkit.nl())
    _add_table(doc, "rules", _rules())
    return doc


def _rules() -> Table:
    """``[rules]``: admission thresholds to set, national control indicators, idle land."""
    rules = tomlkit.table()
    for line in _ADMISSION_NOTE:
        rules.add(_comment(line))
    rules.add(_comment('investment_intensity_min = "4000 万元/ha"   # 单位土地平均投资强度'))
    rules.add(_comment('revenue_density_min = "2 亿元/ha"           # 平均业务收入'))
    for key, value, note, gap in (
        ("building_coefficient_min", "30 %", "REF: 2008 national control indicators "
         "(国土资发〔2008〕24号)", _GAP),
        ("admin_share_max", "7 %", "REF: same standard", " " * 13),
        ("green_share_max", "20 %", "REF: same standard", " " * 12),
        ("building_coefficient", "35 %", "REVIEW: the layer has no layout; REF land-sale "
         "conditions, building density 35–65 % (lower end)", _GAP),
        ("admin_share", "7 %", "REVIEW: REF land listings cap admin at 7 %", " " * 13),
        ("green_share", "20 %", "REVIEW: REF land listings cap greening at 20 %", " " * 12),
        ("idle_after_years", 1, "REF: 闲置土地处置办法 (2012)", " " * 12),
        ("reclaim_after_years", 2, "REF: same", " " * 9),
    ):  # fmt: skip
        rules.add(key, _commented(value, note, gap))
    return rules
