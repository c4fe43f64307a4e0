"""The one OGR layer reader: the same checks and messages for a scenario's site and `init`.

Each odd file is read both ways — as ``[site] parcels`` of a scenario (``load_site``) and
as ``parksim init``'s LAYER (``read_parcels``) — and must be refused with the same summary,
each caller naming its own setting in the fix.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from pyproj import CRS

from sim.byo import read_parcels
from sim.errors import SimError, SiteError
from sim.layers import LayerOption, read_layer
from sim.scenario import SiteFiles
from sim.site import load_site
from tests.conftest import tiny_layers

OPTION = LayerOption(file="LAYER", layer="--layer", set_layer="pass --layer", crs="--crs")


def _write(frame: gpd.GeoDataFrame, path: Path, **kwargs: object) -> Path:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "'crs' was not provided", UserWarning)
        frame.to_file(path, engine="pyogrio", **kwargs)
    return path


def _two_layers(folder: Path) -> Path:
    parks, parcels = tiny_layers()
    path = folder / "two.gpkg"
    _write(parks, path, layer="parks")
    return _write(parcels, path, layer="parcels")


def _no_crs(folder: Path) -> Path:
    _, parcels = tiny_layers()
    path = _write(parcels, folder / "bare.shp")
    path.with_suffix(".prj").unlink()
    return path


def _metres_in_degrees(folder: Path) -> Path:
    _, parcels = tiny_layers()
    wrong = parcels.set_crs("EPSG:4326", allow_override=True)
    return _write(wrong, folder / "wrong.gpkg", layer="parcels")


def _degrees_in_metres(folder: Path) -> Path:
    _, parcels = tiny_layers()
    wrong = parcels.to_crs("EPSG:4326").set_crs("EPSG:4549", allow_override=True)
    return _write(wrong, folder / "wrong.gpkg", layer="parcels")


def _table(folder: Path) -> Path:
    path = folder / "table.gpkg"
    pyogrio.write_dataframe(pd.DataFrame({"park_id": ["A"]}), path, layer="parcels")
    return path


def _junk(folder: Path) -> Path:
    path = folder / "junk.gpkg"
    path.write_bytes(b"not a geopackage")
    return path


# (make the file, the summary both callers give, what the site's message adds, init's)
CASES: list[tuple[Callable[[Path], Path], str, str, str]] = [
    (_junk, "cannot read a layer file", "site.parks", "LAYER"),
    (_no_crs, "a layer has no CRS", "ogr2ogr -a_srs EPSG:4549", "pass --crs with the CRS"),
    (_metres_in_degrees, "CRS does not match its coordinates", "(500000, 4000000)", "--crs"),
    (_degrees_in_metres, "CRS does not match its coordinates", "reprojects it to EPSG:4549",
     "degrees of longitude and latitude"),
    (_table, "a layer has no geometry", "without geometry", "without geometry"),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=lambda c: c[0].__name__.strip("_"))
def test_site_and_init_refuse_alike(
    case: tuple[Callable[[Path], Path], str, str, str], tmp_path: Path
) -> None:
    make, summary, site_says, init_says = case
    path = make(tmp_path)
    files = SiteFiles(parks=path, parcels=path, parks_layer="parcels")
    with pytest.raises(SiteError) as site:
        load_site(files, "EPSG:4549", source=tmp_path / "plan.toml")
    with pytest.raises(SiteError) as init:
        read_parcels(path, park_field="park_id")
    assert site.value.summary == init.value.summary
    assert summary in site.value.summary
    assert site_says in str(site.value) and path.name in str(site.value)
    assert init_says in str(init.value) and path.name in str(init.value)


def test_a_missing_layer_lists_the_file_s_layers_and_suggests_one(tmp_path: Path) -> None:
    path = _two_layers(tmp_path)
    files = SiteFiles(parks=path, parcels=path, parcels_layer="parcel")
    with pytest.raises(SiteError, match="a layer is missing") as site:
        load_site(files, "EPSG:4549", source=tmp_path / "plan.toml")
    assert "site.parcels_layer" in str(site.value) and "set parcels_layer to 'parcels'" in str(
        site.value
    )
    with pytest.raises(SiteError, match="a layer is missing") as init:
        read_parcels(path, park_field="park_id", layer="parcel")
    assert "['parks', 'parcels']" in str(init.value)
    assert "pass --layer 'parcels'" in str(init.value)
    with pytest.raises(SiteError, match="several layers") as several:
        read_parcels(path, park_field="park_id")
    assert "--layer" in str(several.value) and "['parks', 'parcels']" in str(several.value)


def test_a_single_layer_file_is_read_whatever_the_layer_is_called(tmp_path: Path) -> None:
    parks, parcels = tiny_layers()
    files = SiteFiles(
        parks=_write(parks, tmp_path / "园区.shp"), parcels=_write(parcels, tmp_path / "地块.shp")
    )
    site = load_site(files, "EPSG:4549")
    assert len(site.parcels) == 5


def test_the_site_reads_a_gbk_shapefile_without_cpg(tmp_path: Path) -> None:
    parks, parcels = tiny_layers()
    parks = parks.assign(park_id=["高新区", "软件园"])
    parcels = parcels.assign(park_id=parcels["park_id"].map({"A": "高新区", "B": "软件园"}))
    for frame, name in ((parks, "parks"), (parcels, "parcels")):
        _write(frame, tmp_path / f"{name}.shp", encoding="GBK")
        (tmp_path / f"{name}.cpg").unlink()
    files = SiteFiles(parks=tmp_path / "parks.shp", parcels=tmp_path / "parcels.shp")
    site = load_site(files, "EPSG:4549")
    assert set(site.parcels["park_id"]) == {"高新区", "软件园"}


def test_read_layer_reports_what_it_assumed(tmp_path: Path) -> None:
    _, parcels = tiny_layers()
    path = _write(parcels, tmp_path / "plots.gpkg")
    read = read_layer(path, option=OPTION, crs=CRS("EPSG:4548"))
    assert read.name == "plots" and read.crs.to_epsg() == 4548 and read.encoding is None
    assert read.notes == ("assigned the CRS EPSG:4548 given by --crs in place of the file's "
                          "EPSG:4549",)  # fmt: skip
    assert read_layer(path, option=OPTION).notes == ()


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SiteError, match="layer file not found") as info:
        read_layer(tmp_path / "nowhere.shp", option=OPTION)
    assert "nowhere.shp" in str(info.value) and "check the path" in str(info.value)


def test_init_refuses_a_target_crs_it_cannot_use(tmp_path: Path) -> None:
    _, parcels = tiny_layers()
    path = _write(parcels, tmp_path / "plots.gpkg")
    with pytest.raises(SimError, match="unknown CRS") as unknown:
        read_parcels(path, park_field="park_id", target_crs="EPSG:99999")
    assert "--target-crs" in str(unknown.value)
    with pytest.raises(SimError, match="not projected"):
        read_parcels(path, park_field="park_id", target_crs="EPSG:4326")
    with pytest.raises(SiteError, match="outside its CRS's area of use") as far:
        read_parcels(path, park_field="park_id", target_crs="EPSG:32631")  # UTM 31N: Paris
    assert "pass --target-crs a projected CRS for that place, e.g. 'EPSG:32651'" in str(far.value)


def test_text_in_another_encoding_than_said(tmp_path: Path) -> None:
    _, parcels = tiny_layers()
    parcels = parcels.assign(park_id=parcels["park_id"].map({"A": "高新区", "B": "软件园"}))
    path = _write(parcels, tmp_path / "plots.shp", encoding="GBK")
    path.with_suffix(".cpg").write_text("UTF-8")  # says UTF-8, holds GBK
    files = SiteFiles(parks=path, parcels=path)
    with pytest.raises(SiteError, match="cannot read a layer's text") as site:
        load_site(files, "EPSG:4549")
    assert "the encoding its .cpg file names" in str(site.value)
    assert "--encoding" not in str(site.value) and "delete the .cpg" in str(site.value)
    with pytest.raises(SiteError, match="cannot read a layer's text") as init:
        read_parcels(path, park_field="park_id")
    assert "pass --encoding with the encoding it is in, e.g. --encoding GBK" in str(init.value)
    path.with_suffix(".cpg").unlink()
    with pytest.raises(SiteError, match="cannot read a layer's text") as given:
        read_parcels(path, park_field="park_id", encoding="UTF-8")
    assert "expected text in UTF-8, as given" in str(given.value)
    assert "leave --encoding out" in str(given.value)
    assert set(read_parcels(path, park_field="park_id").parcels["park_id"]) == {"高新区", "软件园"}
