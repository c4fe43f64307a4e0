"""A QGIS project stored inside ``parcels.gpkg``: Project → Open From → GeoPackage.

``layers of the GeoPackage ──project_xml──▶ .qgs text ──write_project──▶ qgis_projects``

QGIS keeps projects in a GeoPackage in the table ``qgis_projects (name, metadata,
content)``: ``content`` is the project zipped as a ``.qgz`` (one ``<name>.qgs``
inside) in hexadecimal text, ``metadata`` a small JSON record. The project is made
from a template here, without QGIS:

- every layer of the GeoPackage by a relative source (``./parcels.gpkg|layername=…``,
  so the file can move), styled as :mod:`sim.qgis` styles them (the house palette,
  the eight map states, idle land hatched), the base map under the parcels;
- parks labelled with their Chinese names;
- the temporal controller set to the build-out (base year to horizon), one quarter a
  step;
- a print layout (A4 landscape) with legend, scale bar, north arrow and the 示意图 note.

QGIS 3.22 opens it with every layer valid (checked with Debian's ``python3-qgis``).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import sqlite3
import uuid
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass
from pathlib import Path

__all__ = ["PROJECT_NAME", "ProjectLayer", "project_xml", "read_project", "write_project"]

#: Name of the stored project (Project → Open From → GeoPackage lists it).
PROJECT_NAME = "parksim"
#: Temporal controller step: one quarter (the model's step).
TIME_STEP, TIME_STEP_UNIT = 3, "mon"


@dataclass(frozen=True)
class ProjectLayer:
    """One GeoPackage layer as the project shows it.

    Attributes
    ----------
    name
        The layer (table) name in the GeoPackage.
    title
        The name in QGIS's layer panel.
    qml
        Its style (:func:`sim.qgis.status_qml`, :func:`sim.qgis.parks_qml` …).
    visible
        Whether it is ticked on opening.
    label_field
        A field to label features with (the parks' ``name_zh``), or None.
    """

    name: str
    title: str
    qml: str
    visible: bool = True
    label_field: str | None = None


def _srs(parent: ET.Element, crs: str) -> None:
    """Add a ``spatialrefsys`` naming ``crs`` by its authority id and its WKT."""
    from pyproj import CRS

    srs = ET.SubElement(parent, "spatialrefsys")
    ET.SubElement(srs, "wkt").text = CRS.from_user_input(crs).to_wkt()
    ET.SubElement(srs, "authid").text = crs


def _layer_id(name: str) -> str:
    return f"{name}_{uuid.uuid5(uuid.NAMESPACE_URL, 'parksim/' + name).hex}"


def _labeling(parent: ET.Element, field: str) -> None:
    labeling = ET.SubElement(parent, "labeling", {"type": "simple"})
    settings = ET.SubElement(labeling, "settings", {"calloutType": "simple"})
    ET.SubElement(
        settings,
        "text-style",
        {
            "fieldName": field,
            "isExpression": "0",
            "fontFamily": "Noto Sans CJK SC",
            "fontSize": "9",
            "fontSizeUnit": "Point",
            "textColor": "51,51,51,255",
            "fontWeight": "75",
        },
    )
    buffer = ET.SubElement(settings, "text-buffer")
    buffer.attrib.update({"bufferDraw": "1", "bufferSize": "1", "bufferColor": "255,255,255,255"})
    ET.SubElement(settings, "placement", {"placement": "1"})  # around the centroid
    ET.SubElement(settings, "rendering", {"obstacle": "1", "scaleVisibility": "0"})


def _map_layer(layer: ProjectLayer, gpkg: str, crs: str) -> ET.Element:
    element = ET.Element(
        "maplayer",
        {
            "type": "vector",
            "geometry": "Polygon",
            "wkbType": "MultiPolygon",
            "autoRefreshEnabled": "0",
        },
    )
    ET.SubElement(element, "id").text = _layer_id(layer.name)
    ET.SubElement(element, "datasource").text = f"./{gpkg}|layername={layer.name}"
    ET.SubElement(element, "layername").text = layer.title
    _srs(ET.SubElement(element, "srs"), crs)
    ET.SubElement(element, "provider", {"encoding": "UTF-8"}).text = "ogr"
    style = ET.fromstring(layer.qml.split("\n", 1)[1])  # drop the DOCTYPE line
    for child in style:
        element.append(child)
    if layer.label_field:
        _labeling(element, layer.label_field)
        element.set("labelsEnabled", "1")
    return element


#: Size of the layout's map frame (mm).
_MAP_MM = (200.0, 180.0)


def _fit(extent: tuple[float, float, float, float], aspect: float) -> tuple[float, ...]:
    """Pad ``extent`` by 5 % and widen it to ``aspect`` (width ÷ height), centred.

    Examples
    --------
    >>> [round(v, 6) for v in _fit((0, 0, 100, 100), 2.0)]
    [-60.0, -5.0, 160.0, 105.0]
    """
    xmin, ymin, xmax, ymax = extent
    width, height = (xmax - xmin) * 1.1, (ymax - ymin) * 1.1
    width, height = max(width, height * aspect), max(height, width / aspect)
    cx, cy = (xmin + xmax) / 2, (ymin + ymax) / 2
    return (cx - width / 2, cy - height / 2, cx + width / 2, cy + height / 2)


def _layout(
    name: str,
    map_layers: list[ProjectLayer],
    extent: tuple[float, float, float, float],
    horizon: int,
) -> ET.Element:
    """Make an A4 landscape print layout: map, legend, scale bar, north arrow, title, 示意图.

    The map shows the states at the end of ``horizon`` (its temporal range is that year).
    """
    layout = ET.Element("Layout", {"name": name, "units": "mm", "printResolution": "300"})
    pages = ET.SubElement(layout, "PageCollection")
    ET.SubElement(
        pages, "LayoutItem", {"type": "65638", "size": "297,210,mm", "position": "0,0,mm"}
    )
    map_uuid = "{" + str(uuid.uuid5(uuid.NAMESPACE_URL, "parksim/layout/map")) + "}"
    xmin, ymin, xmax, ymax = _fit(extent, _MAP_MM[0] / _MAP_MM[1])
    item = ET.SubElement(
        layout,
        "LayoutItem",
        {
            "type": "65639",
            "id": "map",
            "uuid": map_uuid,
            "position": "10,20,mm",
            "size": f"{_MAP_MM[0]},{_MAP_MM[1]},mm",
            "keepLayerSet": "false",
            "frame": "true",
            "isTemporal": "1",
            "temporalRangeBegin": f"{horizon}-01-01T00:00:00Z",
            "temporalRangeEnd": f"{horizon}-12-31T23:59:59Z",
        },
    )
    ET.SubElement(
        item, "Extent", {"xmin": f"{xmin}", "ymin": f"{ymin}", "xmax": f"{xmax}", "ymax": f"{ymax}"}
    )
    legend = ET.SubElement(
        layout,
        "LayoutItem",
        {
            "type": "65642",
            "id": "legend",
            "map_uuid": map_uuid,
            "position": "215,20,mm",
            "size": "75,130,mm",
            "title": "图例 Legend",
            "symbolWidth": "6",
            "symbolHeight": "3.5",
            "wrapChar": "",
            "resizeToContents": "1",
        },
    )
    tree = ET.SubElement(legend, "layer-tree-group")
    for layer in map_layers:
        ET.SubElement(tree, "layer-tree-layer", {"id": _layer_id(layer.name), "name": layer.title})
    ET.SubElement(
        layout,
        "LayoutItem",
        {
            "type": "65646",
            "id": "scalebar",
            "mapUuid": map_uuid,
            "position": "235,165,mm",
            "size": "55,12,mm",
            "style": "Single Box",
            "unitType": "km",
            "unitLabel": "km",
            "numSegments": "2",
            "numSegmentsLeft": "0",
            "numMapUnitsPerScaleBarUnit": "1000",
            "segmentSizeMode": "1",  # fit segments of a round size between the widths
            "minBarWidth": "25",
            "maxBarWidth": "50",
            "height": "3",
        },
    )
    ET.SubElement(
        layout,
        "LayoutItem",
        {
            "type": "65640",  # a picture in north-arrow mode, rotating with the map
            "id": "north arrow",
            "mapUuid": map_uuid,
            "northMode": "0",  # grid north of the map's CRS
            "file": ":/images/north_arrows/layout_default_north_arrow.svg",
            "position": "215,160,mm",
            "size": "12,16,mm",
        },
    )
    for label_id, text, position, size in (
        ("title", f"{name}（{horizon} 年末 end of {horizon}）", "10,5,mm", "200,12,mm"),
        (
            "schematic",
            "示意图 — 园区边界为示意 (schematic outlines; maps/README.md)",
            "215,190,mm",
            "75,12,mm",
        ),
    ):
        ET.SubElement(
            layout,
            "LayoutItem",
            {
                "type": "65641",
                "id": label_id,
                "labelText": text,
                "position": position,
                "size": size,
            },
        )
    return layout


def project_xml(
    layers: list[ProjectLayer],
    *,
    gpkg: str,
    crs: str,
    extent: tuple[float, float, float, float],
    years: tuple[int, int],
    title: str,
) -> str:
    """Make the ``.qgs`` document of a project showing ``layers`` of one GeoPackage.

    Parameters
    ----------
    layers
        Top of the layer panel first (drawn last).
    gpkg
        The GeoPackage's file name (sources are ``./<gpkg>|layername=<name>``).
    crs
        The project CRS (``EPSG:4549``).
    extent
        ``(xmin, ymin, xmax, ymax)`` of the site in ``crs``.
    years
        First and last simulated year: the temporal range runs from 1 January of the
        first to 1 January after the last, in steps of one quarter.
    title
        The project's and the layout's title.

    Returns
    -------
    str
        The project XML.

    Examples
    --------
    >>> from sim.qgis import parks_qml
    >>> xml = project_xml([ProjectLayer("parks", "园区", parks_qml())], gpkg="p.gpkg",
    ...     crs="EPSG:4549", extent=(0, 0, 1, 1), years=(2012, 2020), title="t")
    >>> "./p.gpkg|layername=parks" in xml and 'timeStep="3"' in xml
    True
    """
    root = ET.Element("qgis", {"projectname": title, "version": "3.22.0-Białowieża"})
    ET.SubElement(root, "title").text = title
    _srs(ET.SubElement(root, "projectCrs"), crs)
    tree = ET.SubElement(root, "layer-tree-group")
    for layer in layers:
        ET.SubElement(
            tree,
            "layer-tree-layer",
            {
                "id": _layer_id(layer.name),
                "name": layer.title,
                "source": f"./{gpkg}|layername={layer.name}",
                "providerKey": "ogr",
                "checked": "Qt::Checked" if layer.visible else "Qt::Unchecked",
                "expanded": "1",
            },
        )
    order = ET.SubElement(root, "layerorder")
    for layer in layers:
        ET.SubElement(order, "layer", {"id": _layer_id(layer.name)})
    canvas = ET.SubElement(root, "mapcanvas", {"name": "theMapCanvas"})
    xmin, ymin, xmax, ymax = extent
    box = ET.SubElement(canvas, "extent")
    for key, value in (("xmin", xmin), ("ymin", ymin), ("xmax", xmax), ("ymax", ymax)):
        ET.SubElement(box, key).text = f"{value}"
    _srs(ET.SubElement(canvas, "destinationsrs"), crs)
    layers_element = ET.SubElement(root, "projectlayers")
    for layer in layers:
        layers_element.append(_map_layer(layer, gpkg, crs))
    start = dt.datetime(years[0], 1, 1, tzinfo=dt.timezone.utc)
    end = dt.datetime(years[1] + 1, 1, 1, tzinfo=dt.timezone.utc)
    time = ET.SubElement(
        root,
        "ProjectTimeSettings",
        {
            "timeStepUnit": TIME_STEP_UNIT,
            "timeStep": str(TIME_STEP),
            "frameRate": "1",
            "cumulativeTemporalRange": "0",
        },
    )
    span = ET.SubElement(time, "TemporalRange")
    ET.SubElement(span, "start").text = start.isoformat().replace("+00:00", "Z")
    ET.SubElement(span, "end").text = end.isoformat().replace("+00:00", "Z")
    properties = ET.SubElement(root, "properties")
    paths = ET.SubElement(properties, "Paths")
    ET.SubElement(paths, "Absolute", {"type": "bool"}).text = "false"
    layouts = ET.SubElement(root, "Layouts")
    layouts.append(_layout(title, [la for la in layers if la.visible], extent, years[1]))
    ET.indent(root)
    return "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n" + ET.tostring(
        root, encoding="unicode"
    )


def write_project(path: Path, xml: str, *, name: str = PROJECT_NAME) -> None:
    """Store a project in the GeoPackage ``path``, as QGIS does (table ``qgis_projects``).

    Parameters
    ----------
    path
        The GeoPackage.
    xml
        The project (:func:`project_xml`).
    name
        The stored project's name.
    """
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{name}.qgs", xml)
    # QGIS stores the zipped project as hexadecimal text and the metadata as JSON text.
    metadata = json.dumps(
        {
            "last_modified_time": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S"),
            "last_modified_user": "parksim",
        }
    )
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE IF NOT EXISTS qgis_projects "
            "(name TEXT PRIMARY KEY, metadata BLOB, content BLOB)"
        )
        db.execute(
            "INSERT OR REPLACE INTO qgis_projects VALUES (?, ?, ?)",
            (name, metadata, buffer.getvalue().hex()),
        )
    db.close()


def read_project(path: Path, name: str = PROJECT_NAME) -> str:
    """Read the project XML stored in a GeoPackage (the inverse of :func:`write_project`)."""
    with sqlite3.connect(path) as db:
        row = db.execute("SELECT content FROM qgis_projects WHERE name = ?", (name,)).fetchone()
    db.close()
    with zipfile.ZipFile(io.BytesIO(bytes.fromhex(row[0]))) as archive:
        return archive.read(f"{name}.qgs").decode("utf-8")
