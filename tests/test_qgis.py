"""QGIS styles: the house map-state colours as a categorized renderer (QML) and as SLD."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from sim.palette import IDLE_HATCH_COLOUR
from sim.plot import STATE_COLOURS
from sim.qgis import (
    LayerStyle,
    basemap_qml,
    parks_qml,
    state_colours,
    status_qml,
    status_sld,
    write_layer_styles,
)
from sim.states import ParcelState


def test_colours_are_read_from_the_plot_palette() -> None:
    assert state_colours() == STATE_COLOURS
    assert list(state_colours()) == list(ParcelState)


def test_reading_colours_does_not_import_matplotlib() -> None:
    code = (
        "import sys; from sim.qgis import state_colours, status_qml; status_qml(); "
        "print(sorted(m for m in ('matplotlib', 'sim.plot') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def _rgb(hex_colour: str) -> str:
    value = hex_colour.lstrip("#")
    return ",".join(str(int(value[i : i + 2], 16)) for i in (0, 2, 4)) + ",255"


def _renderer() -> ET.Element:
    root = ET.fromstring(status_qml().split("\n", 1)[1])
    renderer = root.find("renderer-v2")
    assert renderer is not None
    return renderer


def test_qml_is_a_categorized_renderer_on_the_map_state() -> None:
    renderer = _renderer()
    assert renderer.get("type") == "categorizedSymbol" and renderer.get("attr") == "state"
    categories = renderer.findall("categories/category")
    assert [c.get("value") for c in categories] == [
        "unserviced",
        "serviced",
        "sold",
        "idle",
        "under_construction",
        "topped_out",
        "completed",
        "occupied",
    ]
    symbols = {s.get("name"): s for s in renderer.findall("symbols/symbol")}
    for category, (state, colour) in zip(categories, STATE_COLOURS.items(), strict=True):
        assert category.get("label") == f"{state.label_zh} {state.label_en}"
        layer = symbols[category.get("symbol")].find("layer")
        assert layer is not None and layer.get("class") == "SimpleFill"
        option = layer.find("Option/Option[@name='color']")
        prop = layer.find("prop[@k='color']")
        assert option is not None and option.get("value") == _rgb(colour)
        assert prop is not None and prop.get("v") == _rgb(colour)


def test_qml_labels_name_every_state_in_both_languages() -> None:
    labels = [c.get("label") for c in _renderer().findall("categories/category")]
    assert labels[0] == "未具备供地条件 not serviced"
    assert labels[1] == "已供地未出让 serviced, not sold"
    assert labels[3] == "闲置土地 idle land"
    assert labels[5] == "已封顶 topped out"
    assert labels[7] == "稳定入驻 occupied at ceiling"


def test_qml_hatches_idle_land_only() -> None:
    renderer = _renderer()
    symbols = {s.get("name"): s for s in renderer.findall("symbols/symbol")}
    for category in renderer.findall("categories/category"):
        classes = [layer.get("class") for layer in symbols[category.get("symbol")].findall("layer")]
        if category.get("value") == "idle":
            assert classes == ["SimpleFill", "LinePatternFill"]
        else:
            assert classes == ["SimpleFill"]
    (hatch,) = renderer.findall("symbols/symbol/layer[@class='LinePatternFill']")
    line = hatch.find("symbol/layer[@class='SimpleLine']/prop[@k='line_color']")
    assert line is not None and line.get("v") == _rgb(IDLE_HATCH_COLOUR)
    angle = hatch.find("Option/Option[@name='angle']")
    assert angle is not None and angle.get("value") == "45"


def test_qml_on_another_field() -> None:
    root = ET.fromstring(status_qml("status_2016").split("\n", 1)[1])
    renderer = root.find("renderer-v2")
    assert renderer is not None and renderer.get("attr") == "status_2016"
    assert root.find("temporal") is None


def test_qml_with_temporal_fields() -> None:
    root = ET.fromstring(status_qml(temporal=("date_start", "date_end")).split("\n", 1)[1])
    temporal = root.find("temporal")
    assert temporal is not None
    assert temporal.get("enabled") == "1" and temporal.get("mode") == "2"
    assert (temporal.get("startField"), temporal.get("endField")) == ("date_start", "date_end")


def test_parks_qml_has_no_fill() -> None:
    root = ET.fromstring(parks_qml().split("\n", 1)[1])
    style = root.find("renderer-v2/symbols/symbol/layer/prop[@k='style']")
    assert style is not None and style.get("v") == "no"


def test_sld_rules_per_state() -> None:
    root = ET.fromstring(status_sld("parcels").encode())
    se, ogc = "{http://www.opengis.net/se}", "{http://www.opengis.net/ogc}"
    rules = root.findall(f".//{se}Rule")
    assert len(rules) == len(ParcelState)
    for rule, (state, colour) in zip(rules, STATE_COLOURS.items(), strict=True):
        name = rule.find(f"{ogc}Filter/{ogc}PropertyIsEqualTo/{ogc}PropertyName")
        literal = rule.find(f".//{ogc}Literal")
        fill = rule.find(f".//{se}Fill/{se}SvgParameter")
        title = rule.find(f"{se}Description/{se}Title")
        assert name is not None and name.text == "state"
        assert literal is not None and literal.text == state.name.lower()
        assert fill is not None and (fill.text or "").upper() == colour
        assert title is not None and title.text == f"{state.label_zh} {state.label_en}"
        hatch = rule.findall(f".//{se}GraphicFill//{se}WellKnownName")
        assert [h.text for h in hatch] == (["shape://slash"] if state is ParcelState.IDLE else [])


def test_the_status_by_year_layer_carries_the_state_the_style_reads() -> None:
    from sim.export import status_spells_frame
    from tests.plot_cases import result_for, scattered_site

    site = scattered_site([400.0, 400.0], [(0.0, 0.0), (1000.0, 0.0)])
    result = result_for(site)
    frame = status_spells_frame(site, result)
    values = {c.get("value") for c in _renderer().findall("categories/category")}
    assert set(frame["state"]) <= values
    last = frame[frame["year_last"] == result.years[-1]]["state"].tolist()
    assert last == [ParcelState(i % len(ParcelState)).name.lower() for i in range(len(last))]
    # Given states (the outcome's) are written as they are.
    given = np.full((result.years.size, len(site.parcels)), ParcelState.IDLE, dtype=np.int8)
    assert set(status_spells_frame(site, result, states=given)["state"]) == {"idle"}


def test_layer_styles_table_is_the_one_gdal_writes(tmp_path: Path) -> None:
    """Written in one sqlite transaction, the table reads back through GDAL as if GDAL wrote it."""
    frame = gpd.GeoDataFrame({"a": [1]}, geometry=[shapely.box(0, 0, 1, 1)], crs=4549)
    ours, theirs = tmp_path / "ours.gpkg", tmp_path / "theirs.gpkg"
    styles = [LayerStyle("parks", parks_qml(), "", "park outlines"),
              LayerStyle("basemap", basemap_qml(), "<sld/>", "base map")]  # fmt: skip
    for path in (ours, theirs):
        pyogrio.write_dataframe(frame, path, layer="parks", driver="GPKG")
        pyogrio.write_dataframe(frame, path, layer="basemap", driver="GPKG")
    write_layer_styles(ours, styles)
    gdal = pd.DataFrame(
        {
            "f_table_catalog": "",
            "f_table_schema": "",
            "f_table_name": [s.layer for s in styles],
            "f_geometry_column": "geom",
            "styleName": [f"parksim {s.layer}" for s in styles],
            "styleQML": [s.qml for s in styles],
            "styleSLD": [s.sld for s in styles],
            "useAsDefault": True,
            "description": [s.description for s in styles],
            "owner": "",
            "ui": "",
            "update_time": pd.Timestamp.now(tz="UTC").floor("s"),
        }
    )
    pyogrio.write_dataframe(
        gdal, theirs, layer="layer_styles", driver="GPKG", layer_options={"FID": "id"}
    )
    schema = "SELECT sql FROM sqlite_master WHERE name LIKE '%layer_styles%' ORDER BY name"
    registered = (
        "SELECT table_name, data_type, identifier, srs_id FROM gpkg_contents UNION ALL "
        "SELECT table_name, feature_count, NULL, NULL FROM gpkg_ogr_contents ORDER BY 1, 2"
    )
    with sqlite3.connect(ours) as a, sqlite3.connect(theirs) as b:
        assert a.execute(schema).fetchall() == b.execute(schema).fetchall()
        assert a.execute(registered).fetchall() == b.execute(registered).fetchall()
    a.close()
    b.close()
    read = pyogrio.read_dataframe(ours, layer="layer_styles", read_geometry=False)
    assert read["useAsDefault"].dtype == bool and read["useAsDefault"].all()
    assert str(read["update_time"].dtype).startswith("datetime64")
    assert read["styleQML"].tolist() == [parks_qml(), basemap_qml()]
    assert read.drop(columns="update_time").equals(
        pyogrio.read_dataframe(theirs, layer="layer_styles", read_geometry=False).drop(
            columns="update_time"
        )
    )
