"""The QGIS project stored in parcels.gpkg: it parses, names only layers the GeoPackage
holds, colours states in the house palette, plays the run's years a quarter at a time,
and has a print layout with legend, scale bar, north arrow and 示意图."""

from __future__ import annotations

import sqlite3
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from sim.cli import main
from sim.qgis import state_colours
from sim.qgis_project import PROJECT_NAME, read_project
from tests.conftest import BASELINE
from tests.test_output_files import _gdal_validator


@pytest.fixture(scope="module")
def gpkg(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("qgis") / "out"
    assert main(["run", str(BASELINE), "--out", str(out), "-q", "--no-figures"]) == 0
    return out / "parcels.gpkg"


@pytest.fixture(scope="module")
def project(gpkg: Path) -> ET.Element:
    return ET.fromstring(read_project(gpkg).split("\n", 1)[1])


def _tables(gpkg: Path) -> set[str]:
    with sqlite3.connect(gpkg) as db:
        names = {r[0] for r in db.execute("SELECT table_name FROM gpkg_contents")}
        stored = [r[0] for r in db.execute("SELECT name FROM qgis_projects")]
    assert stored == [PROJECT_NAME]
    return names


def test_every_layer_source_exists_in_the_geopackage(gpkg: Path, project: ET.Element) -> None:
    tables = _tables(gpkg)
    sources = [e.text or "" for e in project.iter("datasource")]
    assert len(sources) == 4
    for source in sources:
        path, _, layer = source.partition("|layername=")
        assert path == f"./{gpkg.name}" and layer in tables, source
    assert "basemap" in tables  # the base map travels with the parcels
    ids = {e.findtext("id") for e in project.iter("maplayer")}
    assert {e.get("id") for e in project.find("layer-tree-group") or []} == ids
    assert {e.get("id") for e in project.iterfind("layerorder/layer")} == ids


def test_gdal_validator_passes_with_basemap_and_project(gpkg: Path) -> None:
    command = _gdal_validator()
    assert command is not None, "GDAL's validate_gpkg.py is missing; `make test` installs it"
    done = subprocess.run([*command, str(gpkg)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_state_styles_match_the_palette(project: ET.Element) -> None:
    expected = {s.name.lower(): colour for s, colour in state_colours().items()}
    styled = 0
    for layer in project.iter("maplayer"):
        renderer = layer.find("renderer-v2")
        assert renderer is not None
        if renderer.get("type") != "categorizedSymbol":
            continue
        styled += 1
        symbols = {s.get("name"): s for s in renderer.iterfind("symbols/symbol")}
        categories = renderer.find("categories")
        assert categories is not None and len(categories) == 8
        for category in categories:
            fill = symbols[category.get("symbol")].find("layer/prop[@k='color']")
            assert fill is not None
            red, green, blue, _ = (int(v) for v in (fill.get("v") or "").split(","))
            assert f"#{red:02X}{green:02X}{blue:02X}" == expected[category.get("value") or ""]
    assert styled == 2  # parcels and parcel_status_by_year


def test_parks_labelled_in_chinese(project: ET.Element) -> None:
    parks = next(m for m in project.iter("maplayer") if m.findtext("layername") == "园区 parks")
    style = parks.find("labeling/settings/text-style")
    assert style is not None and style.get("fieldName") == "name_zh"


def test_temporal_controller_spans_the_run_by_quarter(project: ET.Element) -> None:
    settings = project.find("ProjectTimeSettings")
    assert settings is not None
    assert (settings.get("timeStep"), settings.get("timeStepUnit")) == ("3", "mon")
    assert settings.findtext("TemporalRange/start") == "2012-01-01T00:00:00Z"
    assert settings.findtext("TemporalRange/end") == "2021-01-01T00:00:00Z"  # horizon 2020
    layer = next(m for m in project.iter("maplayer") if m.find("temporal") is not None)
    temporal = layer.find("temporal")
    assert temporal is not None and temporal.get("enabled") == "1"
    assert (temporal.get("startField"), temporal.get("endField")) == ("date_start", "date_end")


def test_print_layout_has_legend_scale_bar_north_arrow_and_schematic_note(
    project: ET.Element,
) -> None:
    layout = project.find("Layouts/Layout")
    assert layout is not None
    items = {item.get("id"): item for item in layout.iter("LayoutItem")}
    map_uuid = items["map"].get("uuid")
    assert items["legend"].get("map_uuid") == map_uuid
    assert items["scalebar"].get("mapUuid") == map_uuid
    assert items["north arrow"].get("mapUuid") == map_uuid
    assert "示意图" in (items["schematic"].get("labelText") or "")
