"""QGIS styles: the house status colours as a categorized renderer (QML) and as SLD."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET

from sim.plot.style import STATUS_COLOURS
from sim.qgis import parks_qml, status_colours, status_qml, status_sld
from sim.result import Status


def test_colours_are_read_from_the_plot_palette() -> None:
    assert status_colours() == STATUS_COLOURS
    assert list(status_colours()) == list(Status)


def test_reading_colours_does_not_import_matplotlib() -> None:
    code = (
        "import sys; from sim.qgis import status_colours, status_qml; status_qml(); "
        "print(sorted(m for m in ('matplotlib', 'sim.plot') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def _rgb(hex_colour: str) -> str:
    value = hex_colour.lstrip("#")
    return ",".join(str(int(value[i : i + 2], 16)) for i in (0, 2, 4)) + ",255"


def test_qml_is_a_categorized_renderer_on_status() -> None:
    root = ET.fromstring(status_qml().split("\n", 1)[1])
    renderer = root.find("renderer-v2")
    assert renderer is not None
    assert renderer.get("type") == "categorizedSymbol" and renderer.get("attr") == "status"
    categories = renderer.findall("categories/category")
    assert [c.get("value") for c in categories] == [s.name.lower() for s in Status]
    symbols = {s.get("name"): s for s in renderer.findall("symbols/symbol")}
    for category, (status, colour) in zip(categories, STATUS_COLOURS.items(), strict=True):
        assert status.label_zh in (category.get("label") or "")
        layer = symbols[category.get("symbol")].find("layer")
        assert layer is not None and layer.get("class") == "SimpleFill"
        option = layer.find("Option/Option[@name='color']")
        prop = layer.find("prop[@k='color']")
        assert option is not None and option.get("value") == _rgb(colour)
        assert prop is not None and prop.get("v") == _rgb(colour)
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


def test_sld_rules_per_status() -> None:
    root = ET.fromstring(status_sld("parcels").encode())
    se, ogc = "{http://www.opengis.net/se}", "{http://www.opengis.net/ogc}"
    rules = root.findall(f".//{se}Rule")
    assert len(rules) == len(Status)
    for rule, (status, colour) in zip(rules, STATUS_COLOURS.items(), strict=True):
        literal = rule.find(f".//{ogc}Literal")
        fill = rule.find(f".//{se}Fill/{se}SvgParameter")
        assert literal is not None and literal.text == status.name.lower()
        assert fill is not None and (fill.text or "").upper() == colour
