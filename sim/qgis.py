"""QGIS layer styles for the output GeoPackage: parcels coloured by map state, parks outlined.

``map-state colours ──status_qml / status_sld──▶ text ──write_layer_styles──▶`` the
GeoPackage's ``layer_styles`` table (the table QGIS itself writes with "Save style →
In database"; :mod:`sim.export` writes it once per GeoPackage, for all its layers), so
that ``parcels.gpkg`` opens in QGIS already coloured as the status maps are — one
category per :class:`~sim.states.ParcelState`, labelled in Chinese and English, idle
land hatched — with the per-year layer ready for the temporal controller.

The colours are the house palette, :data:`sim.palette.STATE_COLOURS` (a module without
matplotlib, which a run without figures must not pay for).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sim.palette import IDLE_HATCH_COLOUR, STATE_COLOURS
from sim.states import ParcelState

__all__ = [
    "LayerStyle",
    "basemap_qml",
    "parks_qml",
    "state_colours",
    "status_qml",
    "status_sld",
    "write_layer_styles",
]

_OUTLINE = "#FFFFFF"
_PARK_OUTLINE = "#333333"
#: Hatching of idle land: lines at 45°, this far apart and this wide (mm).
_HATCH_ANGLE, _HATCH_DISTANCE, _HATCH_WIDTH = 45, 1.2, 0.25


def state_colours() -> dict[ParcelState, str]:
    """Return the map-state palette (:data:`sim.palette.STATE_COLOURS`), in state order.

    Returns
    -------
    dict
        ``ParcelState`` → ``"#RRGGBB"``.

    Examples
    --------
    >>> next(iter(state_colours().items()))
    (<ParcelState.UNSERVICED: 0>, '#EBEBEB')
    """
    return {state: STATE_COLOURS[state] for state in ParcelState}


def _rgba(hex_colour: str) -> str:
    value = hex_colour.lstrip("#")
    red, green, blue = (int(value[i : i + 2], 16) for i in (0, 2, 4))
    return f"{red},{green},{blue},255"


def _fill_symbol(
    parent: ET.Element,
    name: str,
    fill: str | None,
    outline: str,
    width: float,
    *,
    hatched: bool = False,
) -> None:
    """Add a QGIS simple-fill symbol (hatched over if asked), in both QML dialects.

    QGIS ≥ 3.26 reads the ``<Option type="Map">`` block, older 3.x the ``<prop>`` list;
    QGIS 3.16–3.22 wrote both, as here.
    """
    symbol = ET.SubElement(
        parent,
        "symbol",
        {"type": "fill", "name": name, "alpha": "1", "clip_to_extent": "1", "force_rhr": "0"},
    )
    layer = ET.SubElement(
        symbol, "layer", {"class": "SimpleFill", "enabled": "1", "locked": "0", "pass": "0"}
    )
    props = {
        "color": _rgba(fill) if fill else "0,0,0,0",
        "style": "solid" if fill else "no",
        "outline_color": _rgba(outline),
        "outline_style": "solid",
        "outline_width": f"{width:g}",
        "outline_width_unit": "MM",
        "joinstyle": "bevel",
    }
    _properties(layer, props)
    if hatched:
        _hatch_layer(symbol, name)


def _properties(parent: ET.Element, props: dict[str, str]) -> None:
    """Write a symbol layer's properties in both QML dialects (see :func:`_fill_symbol`)."""
    options = ET.SubElement(parent, "Option", {"type": "Map"})
    for key, value in props.items():
        ET.SubElement(options, "Option", {"type": "QString", "name": key, "value": value})
    for key, value in props.items():
        ET.SubElement(parent, "prop", {"k": key, "v": value})


def _hatch_layer(symbol: ET.Element, name: str) -> None:
    """Add diagonal hatching over a fill symbol: QGIS's line-pattern fill, as on the maps."""
    layer = ET.SubElement(
        symbol, "layer", {"class": "LinePatternFill", "enabled": "1", "locked": "0", "pass": "0"}
    )
    _properties(
        layer,
        {
            "angle": f"{_HATCH_ANGLE}",
            "distance": f"{_HATCH_DISTANCE:g}",
            "distance_unit": "MM",
            "line_width": f"{_HATCH_WIDTH:g}",
            "line_width_unit": "MM",
            "color": _rgba(IDLE_HATCH_COLOUR),
        },
    )
    line = ET.SubElement(
        layer,
        "symbol",
        {
            "type": "line",
            "name": f"@{name}@1",
            "alpha": "1",
            "clip_to_extent": "1",
            "force_rhr": "0",
        },
    )
    simple = ET.SubElement(
        line, "layer", {"class": "SimpleLine", "enabled": "1", "locked": "0", "pass": "0"}
    )
    _properties(
        simple,
        {
            "line_color": _rgba(IDLE_HATCH_COLOUR),
            "line_style": "solid",
            "line_width": f"{_HATCH_WIDTH:g}",
            "line_width_unit": "MM",
        },
    )


def _document(categories: str = "Symbology") -> ET.Element:
    return ET.Element("qgis", {"version": "3.28.0", "styleCategories": categories})


def _serialise(root: ET.Element) -> str:
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    return "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n" + body + "\n"


def _label(state: ParcelState) -> str:
    return f"{state.label_zh} {state.label_en}"


def status_qml(
    field: str = "state",
    *,
    temporal: tuple[str, str] | None = None,
    display_field: str = "parcel_id",
) -> str:
    """Make a QGIS style (QML) colouring polygons by map state: a categorized renderer.

    One category per :class:`~sim.states.ParcelState`, its value the state's name in
    lower case (``unserviced`` … ``occupied``), its label Chinese and English
    (``闲置土地 idle land``); idle land is hatched as on the status maps.

    Parameters
    ----------
    field
        The attribute holding the state name (``unserviced`` … ``occupied``).
    temporal
        ``(start_field, end_field)``: also switch on the layer's temporal properties
        with each feature shown from its start to its end date, so that QGIS's
        temporal controller plays the build-out.
    display_field
        The attribute QGIS names features by (identify results, map tips).

    Returns
    -------
    str
        The QML document.

    Examples
    --------
    >>> "categorizedSymbol" in status_qml()
    True
    """
    root = _document("Symbology|Temporal" if temporal else "Symbology")
    if temporal is not None:
        start, end = temporal
        element = ET.SubElement(
            root,
            "temporal",
            {
                "enabled": "1",
                "mode": "2",  # each feature's start and end from two fields
                "startField": start,
                "endField": end,
                "startExpression": "",
                "endExpression": "",
                "durationField": "",
                "durationUnit": "d",
                "fixedDuration": "0",
                "accumulate": "0",
                "limitMode": "0",
            },
        )
        fixed = ET.SubElement(element, "fixedRange")
        ET.SubElement(fixed, "start")
        ET.SubElement(fixed, "end")
    renderer = ET.SubElement(
        root,
        "renderer-v2",
        {
            "type": "categorizedSymbol",
            "attr": field,
            "symbollevels": "0",
            "enableorderby": "0",
            "forceraster": "0",
        },
    )
    categories = ET.SubElement(renderer, "categories")
    symbols = ET.SubElement(renderer, "symbols")
    for i, (state, colour) in enumerate(state_colours().items()):
        ET.SubElement(
            categories,
            "category",
            {
                "symbol": str(i),
                "value": state.name.lower(),
                "label": _label(state),
                "render": "true",
            },
        )
        hatched = state is ParcelState.IDLE
        _fill_symbol(symbols, str(i), colour, _OUTLINE, 0.1, hatched=hatched)
    source = ET.SubElement(renderer, "source-symbol")
    _fill_symbol(source, "0", "#BDBDBD", _OUTLINE, 0.1)
    ET.SubElement(root, "layerGeometryType").text = "2"  # polygons
    ET.SubElement(root, "previewExpression").text = f'"{display_field}"'
    return _serialise(root)


def parks_qml() -> str:
    """Make a QGIS style (QML) for park outlines: no fill, a dark line.

    Returns
    -------
    str
        The QML document.

    Examples
    --------
    >>> 'style" value="no"' in parks_qml()
    True
    """
    return _single_symbol_qml(None, _PARK_OUTLINE, 0.6)


#: The base map's land: a pale warm grey under the parcels, no outline.
BASEMAP_FILL = "#F2F1EC"


def basemap_qml() -> str:
    """Make a QGIS style (QML) for the base map: land in a pale grey, no outline.

    Returns
    -------
    str
        The QML document.

    Examples
    --------
    >>> 'value="242,241,236,255"' in basemap_qml()
    True
    """
    return _single_symbol_qml(BASEMAP_FILL, BASEMAP_FILL, 0.0)


def _single_symbol_qml(fill: str | None, outline: str, width: float) -> str:
    """Make a QML document drawing every polygon with one simple fill (None: outline only)."""
    root = _document()
    renderer = ET.SubElement(
        root,
        "renderer-v2",
        {"type": "singleSymbol", "symbollevels": "0", "enableorderby": "0", "forceraster": "0"},
    )
    symbols = ET.SubElement(renderer, "symbols")
    _fill_symbol(symbols, "0", fill, outline, width)
    ET.SubElement(root, "layerGeometryType").text = "2"  # polygons
    return _serialise(root)


_SLD = "http://www.opengis.net/sld"
_OGC = "http://www.opengis.net/ogc"
_SE = "http://www.opengis.net/se"


def status_sld(layer: str, field: str = "state") -> str:
    """Make the colouring of :func:`status_qml` as an OGC SLD 1.1 document.

    Idle land's hatching is a ``GraphicFill`` of ``shape://slash`` marks (the
    well-known name GeoServer and QGIS read) over its fill.

    Parameters
    ----------
    layer
        The layer name the style is for.
    field
        The attribute holding the state name.

    Returns
    -------
    str
        The SLD document (for GeoServer, older QGIS and other SLD readers).
    """
    ET.register_namespace("", _SLD)
    ET.register_namespace("ogc", _OGC)
    ET.register_namespace("se", _SE)
    root = ET.Element(
        f"{{{_SLD}}}StyledLayerDescriptor",
        {"version": "1.1.0"},
    )
    named = ET.SubElement(root, f"{{{_SLD}}}NamedLayer")
    ET.SubElement(named, f"{{{_SE}}}Name").text = layer
    user = ET.SubElement(named, f"{{{_SLD}}}UserStyle")
    ET.SubElement(user, f"{{{_SE}}}Name").text = layer
    feature_style = ET.SubElement(user, f"{{{_SE}}}FeatureTypeStyle")
    for state, colour in state_colours().items():
        rule = ET.SubElement(feature_style, f"{{{_SE}}}Rule")
        ET.SubElement(rule, f"{{{_SE}}}Name").text = state.name.lower()
        description = ET.SubElement(rule, f"{{{_SE}}}Description")
        ET.SubElement(description, f"{{{_SE}}}Title").text = _label(state)
        condition = ET.SubElement(rule, f"{{{_OGC}}}Filter")
        equal = ET.SubElement(condition, f"{{{_OGC}}}PropertyIsEqualTo")
        ET.SubElement(equal, f"{{{_OGC}}}PropertyName").text = field
        ET.SubElement(equal, f"{{{_OGC}}}Literal").text = state.name.lower()
        polygon = ET.SubElement(rule, f"{{{_SE}}}PolygonSymbolizer")
        fill = ET.SubElement(polygon, f"{{{_SE}}}Fill")
        ET.SubElement(fill, f"{{{_SE}}}SvgParameter", {"name": "fill"}).text = colour.lower()
        stroke = ET.SubElement(polygon, f"{{{_SE}}}Stroke")
        ET.SubElement(stroke, f"{{{_SE}}}SvgParameter", {"name": "stroke"}).text = _OUTLINE
        ET.SubElement(stroke, f"{{{_SE}}}SvgParameter", {"name": "stroke-width"}).text = "0.5"
        if state is ParcelState.IDLE:
            _sld_hatch(rule)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")


def _sld_hatch(rule: ET.Element) -> None:
    """Add a polygon symbolizer filled with diagonal lines in the idle hatch colour."""
    polygon = ET.SubElement(rule, f"{{{_SE}}}PolygonSymbolizer")
    fill = ET.SubElement(polygon, f"{{{_SE}}}Fill")
    graphic = ET.SubElement(ET.SubElement(fill, f"{{{_SE}}}GraphicFill"), f"{{{_SE}}}Graphic")
    mark = ET.SubElement(graphic, f"{{{_SE}}}Mark")
    ET.SubElement(mark, f"{{{_SE}}}WellKnownName").text = "shape://slash"
    stroke = ET.SubElement(mark, f"{{{_SE}}}Stroke")
    ET.SubElement(
        stroke, f"{{{_SE}}}SvgParameter", {"name": "stroke"}
    ).text = IDLE_HATCH_COLOUR.lower()
    ET.SubElement(stroke, f"{{{_SE}}}SvgParameter", {"name": "stroke-width"}).text = "1"
    ET.SubElement(graphic, f"{{{_SE}}}Size").text = "8"


@dataclass(frozen=True)
class LayerStyle:
    """A layer's default QGIS style, one row of ``layer_styles``.

    Attributes
    ----------
    layer
        The GeoPackage table it styles.
    qml
        The QML document (:func:`status_qml`, :func:`parks_qml` …).
    sld
        An SLD copy, or ``""``.
    description
        What the style shows, in a few words.
    """

    layer: str
    qml: str
    sld: str = ""
    description: str = ""


# The table exactly as GDAL creates it for QGIS's "Save style → In database" (GDAL 3.6,
# checked against a file pyogrio wrote), with GDAL's feature-count triggers.
_STYLES_DDL = (
    'CREATE TABLE "layer_styles" ( "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, '
    '"f_table_catalog" TEXT, "f_table_schema" TEXT, "f_table_name" TEXT, '
    '"f_geometry_column" TEXT, "styleName" TEXT, "styleQML" TEXT, "styleSLD" TEXT, '
    '"useAsDefault" BOOLEAN, "description" TEXT, "owner" TEXT, "ui" TEXT, '
    '"update_time" DATETIME)',
    'CREATE TRIGGER "trigger_insert_feature_count_layer_styles" AFTER INSERT ON '
    '"layer_styles" BEGIN UPDATE gpkg_ogr_contents SET feature_count = feature_count + 1 '
    "WHERE lower(table_name) = lower('layer_styles'); END",
    'CREATE TRIGGER "trigger_delete_feature_count_layer_styles" AFTER DELETE ON '
    '"layer_styles" BEGIN UPDATE gpkg_ogr_contents SET feature_count = feature_count - 1 '
    "WHERE lower(table_name) = lower('layer_styles'); END",
)


def write_layer_styles(path: Path, styles: Sequence[LayerStyle]) -> None:
    """Store each layer's default style in the GeoPackage's ``layer_styles`` table.

    One connection and one transaction for every style of the file (a table written
    through GDAL costs a dataset open and a layer creation, ~10 ms, whatever its size).
    The table is registered as GDAL registers it (``gpkg_contents`` as ``attributes``,
    ``gpkg_ogr_contents`` with its count), so GDAL, QGIS and ``validate_gpkg.py`` read
    it as their own. ``synchronous = OFF``, as GDAL sets for a GeoPackage it creates:
    the file is written into a staging folder that only replaces the outputs once
    complete (:func:`sim.outputs.atomic_folder`).

    Parameters
    ----------
    path
        A GeoPackage holding the styled layers (each with geometry column ``geom``,
        GDAL's default), and no ``layer_styles`` table yet.
    styles
        One per layer, each its layer's default.

    Examples
    --------
    >>> import tempfile, geopandas as gpd, pyogrio, shapely
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     gpkg = Path(tmp) / "x.gpkg"
    ...     frame = gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 1, 1)], crs=3857)
    ...     pyogrio.write_dataframe(frame, gpkg, layer="parks", driver="GPKG")
    ...     write_layer_styles(gpkg, [LayerStyle("parks", parks_qml())])
    ...     dict(pyogrio.list_layers(gpkg))
    {'parks': 'Polygon', 'layer_styles': None}
    """
    now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    rows = [
        ("", "", s.layer, "geom", f"parksim {s.layer}", s.qml, s.sld, 1, s.description, "", "",
         now)
        for s in styles
    ]  # fmt: skip
    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.execute("PRAGMA synchronous = OFF")
        db.execute("BEGIN")
        counted = db.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'gpkg_ogr_contents'"
        ).fetchone()
        for statement in _STYLES_DDL if counted else _STYLES_DDL[:1]:
            db.execute(statement)
        db.executemany(
            "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, "
            "f_geometry_column, styleName, styleQML, styleSLD, useAsDefault, description, "
            "owner, ui, update_time) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        db.execute(
            "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, "
            "last_change, srs_id) VALUES ('layer_styles', 'attributes', 'layer_styles', '', "
            "?, 0)",
            (now,),
        )
        if counted:
            db.execute(
                "INSERT INTO gpkg_ogr_contents (table_name, feature_count) VALUES (?, ?)",
                ("layer_styles", len(rows)),
            )
        db.execute("COMMIT")
    finally:
        db.close()
