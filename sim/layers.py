"""OGR layers in: the one reader of vector files, for a scenario's site and ``parksim init``.

``file (+ layer name, CRS, encoding) ──read_layer──▶ Layer`` (a GeoDataFrame, in its own
CRS or reprojected, with the layer's name, CRS and text encoding).

:func:`read_layer` reads any OGR vector file with pyogrio — GeoPackage, Shapefile,
GeoJSON, DXF — and checks once what every use of a layer needs:

- **The file** exists and GDAL can read it.
- **The layer** asked for is in the file. A file of one layer that is not a GeoPackage
  (a Shapefile, GeoJSON, DXF) is read whatever name is asked for, as its layer is named
  after the file; a file of several layers needs the name of one.
- **Text encoding.** A Shapefile's DBF may be GBK, as much Chinese GIS data is. When
  neither a ``.cpg`` file nor the DBF header names its encoding (GDAL then falls back to
  Latin-1), its bytes are tried as UTF-8, GBK and GB18030, and the first they are valid
  in is used; an encoding given by the caller wins.
- **Geometry and CRS.** The layer has geometry and a CRS: its own, or one the caller
  gives, which replaces it.
- **Coordinates that fit the CRS**: no metres in a geographic CRS and no longitude and
  latitude degrees in a projected one (a projected layer within ±180 × ±90 spanning
  less than 2 units).

Errors are :class:`~sim.errors.SiteError` naming the setting to change as the user knows
it, a scenario key or a command-line option (:class:`LayerOption`).
:func:`area_of_use_problem` says whether a layer, once in a projected CRS, lies where that
CRS is meant to be used.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer
from pyproj.exceptions import ProjError

from sim.errors import Problem, SiteError

__all__ = [
    "AREA_OF_USE_TOLERANCE_DEG",
    "Layer",
    "LayerOption",
    "area_of_use_problem",
    "read_layer",
]

#: Degrees a site may reach beyond its CRS's area of use (≈ 200 km; a 3° Gauss–Krüger
#: zone 2° beyond its edge still has areas true to about 0.3 %).
AREA_OF_USE_TOLERANCE_DEG = 2.0
#: Encodings a Shapefile's text is tried in, in order, when nothing names its encoding.
_GUESSED_ENCODINGS = ("utf-8", "gbk", "gb18030")
#: Text values read to guess an encoding (per column).
_GUESS_SAMPLE = 1000


@dataclass(frozen=True)
class LayerOption:
    """How the user named a layer, so that an error names the setting to change.

    Attributes
    ----------
    file
        The setting naming the file, e.g. ``"site.parcels"`` or ``"LAYER"``.
    layer
        The setting naming the layer in the file, e.g. ``"site.parcels_layer"`` or
        ``"--layer"``.
    set_layer
        How to change that setting, followed by a layer name: ``"set parcels_layer to"``
        or ``"pass --layer"``.
    crs
        The option that gives a layer's CRS (``"--crs"``), or ``None`` where there is none.
    encoding
        The option that gives a Shapefile's text encoding (``"--encoding"``), or ``None``.
    source
        The file holding these settings (the scenario), or ``None`` (the command line);
        errors about the choice of file or layer name it, the others the layer's file.
    """

    file: str
    layer: str
    set_layer: str
    crs: str | None = None
    encoding: str | None = None
    source: Path | None = None


@dataclass(frozen=True)
class Layer:
    """A layer read by :func:`read_layer`.

    Attributes
    ----------
    frame
        Its features, in ``to_crs`` if one was asked for, else in :attr:`crs`.
    path
        The file read.
    name
        The layer read (for a Shapefile, the file's name without suffix).
    crs
        The layer's CRS: the file's, or the one given in its place.
    encoding
        The text encoding read with, when one was given or guessed (``None``: GDAL's own).
    notes
        What was assumed about the file, one line each: a guessed encoding, a CRS given
        in place of the file's.
    """

    frame: gpd.GeoDataFrame
    path: Path
    name: str
    crs: CRS
    encoding: str | None
    notes: tuple[str, ...]


def read_layer(
    path: Path,
    *,
    option: LayerOption,
    layer: str | None = None,
    crs: CRS | None = None,
    encoding: str | None = None,
    to_crs: str | None = None,
) -> Layer:
    """Read one layer of an OGR vector file and check its geometry, CRS and coordinates.

    Parameters
    ----------
    path
        A GeoPackage, Shapefile, GeoJSON, DXF or any other file GDAL reads.
    option
        How the user named the file and layer (named in errors).
    layer
        The layer to read; ``None`` for a file of one layer.
    crs
        The CRS the layer is drawn in, in place of the file's (or where it has none).
    encoding
        The text encoding of a Shapefile's DBF, a name Python knows; default: the
        ``.cpg`` file's or the DBF header's, else guessed (see the module).
    to_crs
        Reproject the layer to this CRS; the CRS also serves as the example in fixes.

    Returns
    -------
    Layer

    Raises
    ------
    SiteError
        A file missing or unreadable, a layer missing or without geometry or CRS, or
        coordinates that do not fit the CRS.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> path = Path(tempfile.mkdtemp()) / "site.gpkg"
    >>> gpd.GeoDataFrame(geometry=[box(0, 0, 1, 1)], crs="EPSG:4326").to_file(
    ...     path, layer="plots", engine="pyogrio")
    >>> option = LayerOption(file="LAYER", layer="--layer", set_layer="pass --layer")
    >>> read = read_layer(path, option=option, to_crs="EPSG:32631")
    >>> read.name, read.crs.to_string(), read.frame.crs.to_string()
    ('plots', 'EPSG:4326', 'EPSG:32631')
    """
    import pyogrio
    import pyogrio.errors

    chosen = option.source if option.source is not None else path
    if not path.exists():
        raise SiteError(
            "layer file not found",
            source=chosen,
            problems=[
                Problem(
                    option.file,
                    f"expected an existing GeoPackage, Shapefile, GeoJSON or DXF file; found "
                    f"nothing at {path}; check the path and the current folder",
                )
            ],
        )

    def unreadable(exc: Exception) -> SiteError:
        return SiteError(
            "cannot read a layer file",
            source=chosen,
            problems=[
                Problem(
                    option.file,
                    f"expected a GeoPackage, Shapefile, GeoJSON, DXF or other OGR vector file; "
                    f"found {path}, which GDAL cannot read ({exc}); fix or re-export the file "
                    "from your GIS",
                )
            ],
        )

    try:
        layers = [str(name) for name, _ in pyogrio.list_layers(path)]
    except Exception as exc:  # GDAL raises several kinds; all mean "unreadable"
        raise unreadable(exc) from None
    name = _layer_name(path, layer, layers, option)
    notes: list[str] = []
    try:
        if encoding is None:
            encoding, note = _guess_encoding(path, name)
            notes += [note] if note else []
        frame = pyogrio.read_dataframe(path, layer=name, encoding=encoding)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        raise unreadable(exc) from None
    except UnicodeDecodeError as exc:
        raise _undecodable(exc, path, name, encoding, option) from None
    where = f"layer {name}"
    if not isinstance(frame, gpd.GeoDataFrame):
        others = [other for other in layers if other != name]
        raise SiteError(
            "a layer has no geometry",
            source=path,
            problems=[
                Problem(
                    where,
                    f"expected a layer of polygons; found a table without geometry (columns "
                    f"{list(frame.columns)}); "
                    + (
                        f"{option.set_layer} the layer that holds the outlines, one of {others}"
                        if others
                        else "export the layer that holds the outlines, with its geometry"
                    ),
                )
            ],
        )
    layer_crs = _layer_crs(frame, crs, option, path=path, where=where, example=to_crs)
    if crs is not None and frame.crs is not None and not CRS(frame.crs).equals(crs):
        notes.append(
            f"assigned the CRS {crs.to_string()} given by {option.crs or 'the caller'} in "
            f"place of the file's {CRS(frame.crs).to_string()}"
        )
    frame = frame.set_crs(layer_crs, allow_override=True)
    problem = _metres_as_degrees(frame, layer_crs, option, path=path, where=where, example=to_crs)
    problem = problem or _degrees_as_metres(frame, layer_crs, path=path, where=where, to_crs=to_crs)
    if problem is not None:
        raise SiteError(
            "a layer's CRS does not match its coordinates", source=path, problems=[problem]
        )
    if to_crs is not None and not layer_crs.equals(CRS.from_user_input(to_crs)):
        frame = frame.to_crs(to_crs)
    return Layer(
        frame=frame, path=path, name=name, crs=layer_crs, encoding=encoding, notes=tuple(notes)
    )


def _layer_name(path: Path, layer: str | None, layers: list[str], option: LayerOption) -> str:
    """Choose the layer to read: the one asked for, or a non-GeoPackage file's only one."""
    chosen = option.source if option.source is not None else path
    if layer in layers:
        return layer
    if len(layers) == 1 and (layer is None or path.suffix.lower() != ".gpkg"):
        return layers[0]  # a Shapefile's, GeoJSON's or DXF's layer is named after the file
    if layer is None:
        raise SiteError(
            "the file holds several layers",
            source=chosen,
            problems=[
                Problem(
                    option.layer,
                    f"expected the name of the layer to read, one of {layers}; found none; "
                    f"{option.set_layer} one of these",
                )
            ],
        )
    close = difflib.get_close_matches(layer, layers, n=1)
    raise SiteError(
        "a layer is missing",
        source=chosen,
        problems=[
            Problem(
                option.layer,
                f"expected a layer of {path.name}: one of {layers}; found {layer!r}, which it "
                f"does not have; {option.set_layer} "
                + (f"{close[0]!r}" if close else "one of these"),
            )
        ],
    )


def _undecodable(
    exc: UnicodeDecodeError, path: Path, name: str, encoding: str | None, option: LayerOption
) -> SiteError:
    said = f"{encoding.upper()}, as given" if encoding else "the encoding its .cpg file names"
    fixes = []
    if option.encoding:
        fixes.append(
            f"pass {option.encoding} with the encoding it is in, e.g. {option.encoding} GBK "
            "(most Chinese data) or GB18030"
        )
    fixes.append(
        "write that encoding into its .cpg file, or delete the .cpg for parksim to detect it"
        if not encoding
        else f"leave {option.encoding or 'the encoding'} out for parksim to detect it"
    )
    return SiteError(
        "cannot read a layer's text",
        source=path,
        problems=[
            Problem(
                f"layer {name}",
                f"expected text in {said}; found bytes that are not ({exc.reason}); "
                + ", or ".join(fixes),
            )
        ],
    )


def _guess_encoding(path: Path, layer: str) -> tuple[str | None, str | None]:
    """Guess a Shapefile DBF's encoding when neither a .cpg nor the DBF header says it.

    Returns the encoding to read with (``None``: GDAL's) and a note saying so.
    """
    import pyogrio

    try:
        info = pyogrio.read_info(path, layer=layer)
    except Exception:  # unreadable: reading the layer itself reports it
        return None, None
    if info["driver"] != "ESRI Shapefile" or info["encoding"] not in ("ISO-8859-1", None):
        return None, None
    # GDAL fell back to Latin-1: read the bytes as they are and see what they decode as.
    raw = pyogrio.read_dataframe(path, layer=layer, encoding="latin1", read_geometry=False)
    texts = [str(c) for c in raw.columns]
    for column in raw.columns:
        if pd.api.types.is_string_dtype(raw[column]) or raw[column].dtype == object:
            texts += list(raw[column].dropna().astype(str).head(_GUESS_SAMPLE))
    blob = "".join(texts).encode("latin1", errors="replace")
    if blob.isascii():
        return None, None
    for encoding in _GUESSED_ENCODINGS:
        try:
            blob.decode(encoding)
        except UnicodeDecodeError:
            continue
        note = (
            f"read the Shapefile's text as {encoding.upper()}: it has no .cpg file naming its "
            f"encoding and its text is valid {encoding.upper()} (pass --encoding to override)"
        )
        return encoding, note
    return None, None


def _layer_crs(
    frame: gpd.GeoDataFrame,
    crs: CRS | None,
    option: LayerOption,
    *,
    path: Path,
    where: str,
    example: str | None,
) -> CRS:
    if crs is not None:
        return crs
    if frame.crs is not None:
        return CRS.from_user_input(frame.crs)
    example = example or "EPSG:4490"
    given = (
        f"pass {option.crs} with the CRS it was drawn in, e.g. {option.crs} EPSG:4490 "
        f"(CGCS2000 degrees), {option.crs} EPSG:4326 (WGS 84 degrees) or {option.crs} "
        "EPSG:4549 (CGCS2000 3° Gauss–Krüger CM 120°E), or "
        if option.crs
        else ""
    )
    raise SiteError(
        "a layer has no CRS",
        source=path,
        problems=[
            Problem(
                where,
                "expected a CRS, the coordinate system the layer is drawn in (a Shapefile "
                f"keeps it in a .prj file beside it); found none; {given}assign it in the "
                f"file, e.g. `ogr2ogr -a_srs {example} fixed.gpkg {path.name}` or QGIS "
                "'Assign projection'",
            )
        ],
    )


def _present_bounds(frame: gpd.GeoDataFrame) -> tuple[float, float, float, float] | None:
    """Return the bounds of the non-empty geometries, or None when there are none."""
    geoms = frame.geometry.values
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if not present.any():
        return None
    minx, miny, maxx, maxy = shapely.total_bounds(geoms[present])
    return float(minx), float(miny), float(maxx), float(maxy)


def _metres_as_degrees(
    frame: gpd.GeoDataFrame,
    layer_crs: CRS,
    option: LayerOption,
    *,
    path: Path,
    where: str,
    example: str | None,
) -> Problem | None:
    """Say whether a layer whose CRS is geographic holds coordinates beyond ±180 × ±90."""
    bounds = _present_bounds(frame)
    if bounds is None or not layer_crs.is_geographic:
        return None
    minx, miny, maxx, maxy = bounds
    if max(abs(minx), abs(maxx)) <= 180 and max(abs(miny), abs(maxy)) <= 90:
        return None
    example = example or "EPSG:4549"
    given = f"{option.crs} {example} or " if option.crs else ""
    return Problem(
        where,
        f"expected degrees, as its CRS {layer_crs.to_string()} is geographic; found "
        f"coordinates like ({minx:.0f}, {miny:.0f}), which are projected metres; assign the "
        f"CRS it was really drawn in, e.g. {given}`ogr2ogr -a_srs {example} fixed.gpkg "
        f"{path.name}`",
    )


def _degrees_as_metres(
    frame: gpd.GeoDataFrame,
    layer_crs: CRS,
    *,
    path: Path,
    where: str,
    to_crs: str | None = None,
) -> Problem | None:
    """Say whether a layer whose CRS is projected holds longitude/latitude degrees.

    It does when all its coordinates lie within ±180 × ±90 and span less than 2 units:
    read as metres, the whole layer would be under 2 m across.

    Parameters
    ----------
    frame
        The layer.
    layer_crs
        Its CRS.
    path, where
        The file and the layer, named in the problem.
    to_crs
        The CRS the layer is to be reprojected to, named in the fix.

    Returns
    -------
    Problem or None
    """
    bounds = _present_bounds(frame)
    if bounds is None or not layer_crs.is_projected:
        return None
    minx, miny, maxx, maxy = bounds
    lonlat = max(abs(minx), abs(maxx)) <= 180 and max(abs(miny), abs(maxy)) <= 90
    if not (lonlat and maxx - minx < 2 and maxy - miny < 2):
        return None
    return Problem(
        where,
        f"expected metres, as its CRS {layer_crs.to_string()} is projected; found "
        f"coordinates like ({minx:.4f}, {miny:.4f}) spanning {maxx - minx:.2g} × "
        f"{maxy - miny:.2g} units, which are degrees of longitude and latitude (read as "
        "metres, the whole layer would be under 2 m across); assign the geographic CRS it "
        f"was drawn in, e.g. `ogr2ogr -a_srs EPSG:4490 fixed.gpkg {path.name}` (CGCS2000; "
        "EPSG:4326 for WGS 84)" + (f", and parksim reprojects it to {to_crs}" if to_crs else ""),
    )


def area_of_use_problem(
    frame: gpd.GeoDataFrame,
    crs: CRS,
    layer_crs: CRS,
    *,
    path: Path,
    where: str,
    set_crs: str = "set [scenario] crs to",
) -> Problem | None:
    """Say whether a layer (in ``crs``) lies off the earth or outside ``crs``'s area of use.

    The corners and centre of its bounds must turn into longitude and latitude and back,
    and lie within the CRS's area of use widened by :data:`AREA_OF_USE_TOLERANCE_DEG`
    (the whole globe for a CRS that states none).

    Parameters
    ----------
    frame
        The layer, in ``crs``.
    crs
        The projected CRS it is in.
    layer_crs
        The CRS it was read in (named when it was reprojected).
    path, where
        The file and the layer, named in the problem.
    set_crs
        How to choose another CRS, followed by a CRS code.

    Returns
    -------
    Problem or None
        ``None`` also for a layer without geometry.
    """
    bounds = _present_bounds(frame)
    if bounds is None:
        return None
    minx, miny, maxx, maxy = bounds
    xs = np.array([minx, maxx, minx, maxx, (minx + maxx) / 2])
    ys = np.array([miny, miny, maxy, maxy, (miny + maxy) / 2])
    lon = lat = np.full(xs.size, np.nan)
    if np.isfinite(xs).all() and np.isfinite(ys).all():
        geodetic = crs.geodetic_crs or CRS.from_epsg(4326)
        try:
            to_geo = Transformer.from_crs(crs, geodetic, always_xy=True)
            lon, lat = (np.asarray(v, dtype=float) for v in to_geo.transform(xs, ys))
            back_x, back_y = Transformer.from_crs(geodetic, crs, always_xy=True).transform(lon, lat)
        except ProjError:
            back_x = back_y = np.full(xs.size, np.nan)
        slack = np.maximum(1.0, 1e-6 * np.maximum(np.abs(xs), np.abs(ys)))
        with np.errstate(invalid="ignore"):
            returns = (np.abs(np.asarray(back_x) - xs) <= slack) & (
                np.abs(np.asarray(back_y) - ys) <= slack
            )
        if not returns.all():
            lon = lat = np.full(xs.size, np.nan)
    found = f"bounds x {minx:,.0f} to {maxx:,.0f}, y {miny:,.0f} to {maxy:,.0f}"
    if not layer_crs.equals(crs):
        found += f" in {crs.to_string()}, reprojected from {layer_crs.to_string()}"
    wrong_crs = (
        "assign the CRS it was really drawn in, e.g. `ogr2ogr -a_srs EPSG:<code> fixed.gpkg "
        f"{path.name}`, or redraw it where it belongs"
    )
    if not (np.isfinite(lon).all() and np.isfinite(lat).all()):
        return Problem(
            where,
            f"expected a site on the earth in {crs.to_string()}; found {found}, which that "
            f"CRS cannot turn into longitude and latitude; its coordinates or CRS are wrong: "
            + wrong_crs,
        )
    aou = crs.area_of_use
    west, south, east, north = aou.bounds if aou is not None else (-180.0, -90.0, 180.0, 90.0)
    tol = AREA_OF_USE_TOLERANCE_DEG
    lon = (lon + 180.0) % 360.0 - 180.0
    if west <= east:
        lon_ok = (lon >= west - tol) & (lon <= east + tol)
    else:  # the area of use crosses the antimeridian
        lon_ok = (lon >= west - tol) | (lon <= east + tol)
    lat_ok = (lat >= south - tol) & (lat <= north + tol)
    if (lon_ok & lat_ok).all():
        return None
    c_lon, c_lat = float(lon[-1]), float(lat[-1])
    zone = int((c_lon + 180.0) // 6.0) % 60 + 1
    utm = (32600 if c_lat >= 0 else 32700) + zone
    named = f" ({aou.name.rstrip('.')})" if aou is not None else ""
    return Problem(
        where,
        f"expected a site within the area of use of the CRS {crs.to_string()}: "
        f"{_lon(west)}–{_lon(east)}, {_lat(south)}–{_lat(north)}{named}, give or take "
        f"{tol:g}°; found it at {_lon(c_lon)}, {_lat(c_lat)} ({found}), where areas in that "
        f"CRS are distorted; if the site really lies there, {set_crs} a projected CRS for "
        f"that place, e.g. 'EPSG:{utm}' (UTM zone {zone}{'N' if c_lat >= 0 else 'S'}); "
        "if not, its coordinates or CRS are wrong: " + wrong_crs,
    )


def _lon(value: float) -> str:
    return f"{abs(value):.1f}°{'E' if value >= 0 else 'W'}"


def _lat(value: float) -> str:
    return f"{abs(value):.1f}°{'N' if value >= 0 else 'S'}"
