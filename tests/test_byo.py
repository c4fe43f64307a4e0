"""Bring your own parcels: `parksim init` on a planner's layer, and the scenario it writes runs.

The test layers are made here: a GBK-encoded Shapefile in WGS 84 (degrees) with Chinese
field names and park names and no .cpg, as Chinese GIS data often comes, holding an
invalid (bow-tie) parcel, an overlapping pair and a parcel without a park.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from shapely.geometry import Polygon, box

from sim.byo import projected_crs_for, read_parcels
from sim.cli import main
from tests.conftest import tiny_layers

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

# About 100 m × 100 m cells near Qingdao (120.4°E, 36.1°N).
LON, LAT, STEP = 120.40, 36.10, 0.001


def cell(i: int, j: int = 0, width: float = 1.0) -> Polygon:
    x, y = LON + i * STEP, LAT + j * STEP
    return box(x, y, x + width * STEP, y + STEP)


def gbk_shapefile(folder: Path, *, crs: str | None = "EPSG:4326", cpg: bool = False) -> Path:
    bowtie = Polygon(
        [(LON + 3 * STEP, LAT), (LON + 4 * STEP, LAT + STEP),
         (LON + 4 * STEP, LAT), (LON + 3 * STEP, LAT + STEP)]
    )  # fmt: skip
    frame = gpd.GeoDataFrame(
        {
            "园区": ["高新区", "高新区", "高新区", "软件园", "软件园", None],
            "地块编号": ["G-1", "G-2", "G-3", "S-1", "S-1", "X-1"],
            "容积率": [2.0, 1.5, -1.0, 3.0, None, 2.0],
        },
        geometry=[
            cell(0),
            cell(1, width=1.5),  # overlaps G-3 by half a cell
            cell(2),
            bowtie,
            cell(10),
            cell(20),
        ],
        crs=crs,
    )
    path = folder / "地块.shp"
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "'crs' was not provided", UserWarning)
        frame.to_file(path, encoding="GBK", engine="pyogrio")
    if not cpg:
        path.with_suffix(".cpg").unlink()
    return path


def test_projected_crs_from_longitude() -> None:
    assert projected_crs_for(120.4) == "EPSG:4549"
    assert projected_crs_for(75.0) == "EPSG:4534"
    assert projected_crs_for(135.0) == "EPSG:4554"
    assert projected_crs_for(2.35) == "EPSG:32631"  # Paris: UTM 31N


def test_read_gbk_shapefile_repairs_and_reports(tmp_path: Path) -> None:
    imported = read_parcels(
        gbk_shapefile(tmp_path), park_field="园区", far_field="容积率", id_field="地块编号"
    )
    parcels = imported.parcels
    assert imported.encoding == "gbk"
    assert imported.crs == "EPSG:4549"
    assert sorted(parcels["park_id"].unique()) == ["软件园", "高新区"]
    assert list(parcels["parcel_id"]) == ["G-1", "G-2", "G-3", "S-1", "S-1#2"]
    assert shapely.is_valid(parcels.geometry.values).all()
    geoms = parcels.geometry.values
    overlap = shapely.area(shapely.intersection(geoms[1], geoms[2]))
    assert overlap < 1.0
    far = parcels.set_index("parcel_id")["far_max"]
    assert far["G-1"] == 2.0 and far.isna()[["G-3", "S-1#2"]].all()  # -1 and empty
    changes = "\n".join(imported.changes)
    for expected in (
        "GBK",
        "invalid geometries repaired: 1",
        "parcels clipped where they overlapped an earlier one: 1 (",
        "empty 园区 dropped: 1",
        "duplicate parcel ids",
        "no plot-ratio cap: 1",
        "reprojected from EPSG:4326 to EPSG:4549",
    ):
        assert expected in changes
    parks = imported.parks.set_index("park_id")
    for park_id, geom in zip(parcels["park_id"], parcels.geometry, strict=True):
        assert parks.geometry[park_id].buffer(0.01).contains(geom)


def test_init_then_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    layer = gbk_shapefile(tmp_path)
    scenario = tmp_path / "plan" / "plan.toml"
    args = ["init", str(layer), "--park-field", "园区", "--far-field", "容积率",
            "--encoding", "GBK", "--out", str(scenario), "--base-year", "2024"]  # fmt: skip
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "changes made to the layer" in printed and "REVIEW" in printed
    text = scenario.read_text(encoding="utf-8")
    data = tomllib.loads(text)
    assert data["scenario"]["crs"] == "EPSG:4549"
    assert data["scenario"]["base_year"] == 2024 and data["scenario"]["horizon"] == 2034
    assert set(data["parks"]) == {"高新区", "软件园"}
    assert text.count("REVIEW") >= 10 and "REF" in text and "国土资发〔2008〕24号" in text
    assert (scenario.parent / "plan_site.gpkg").is_file()
    site = gpd.read_file(scenario.parent / "plan_site.gpkg", layer="parcels")
    assert set(site["park_id"]) == {"高新区", "软件园"}  # Chinese names intact

    assert main(["check", str(scenario)]) == 0
    out = tmp_path / "out"
    assert main(["run", str(scenario), "--out", str(out), "--no-figures", "-q"]) == 0
    assert (out / "summary.csv").is_file()

    assert main([*args]) == 2  # exists: refuses without --force
    assert "--force" in capsys.readouterr().err
    assert main([*args, "--force", "-q"]) == 0


def test_layer_without_crs_with_crs_option(tmp_path: Path) -> None:
    layer = gbk_shapefile(tmp_path, crs=None, cpg=True)
    imported = read_parcels(layer, park_field="园区", crs="EPSG:4326")
    assert imported.crs == "EPSG:4549" and len(imported.parcels) == 5


def test_geopackage_already_projected(tmp_path: Path) -> None:
    _, parcels = tiny_layers()
    path = tmp_path / "mine.gpkg"
    parcels.to_file(path, layer="plots", engine="pyogrio")
    imported = read_parcels(path, park_field="park_id", id_field="parcel_id", far_field="far_max")
    assert imported.changes == ()
    assert list(imported.parcels["parcel_id"]) == ["P1", "P2", "P3", "P4", "Q1"]


def test_geojson_in_degrees(tmp_path: Path) -> None:
    frame = gpd.GeoDataFrame(
        {"park": ["东区", "东区", "西区"], "far": ["2.5", "abc", "1.2"]},
        geometry=[cell(0), cell(1), cell(5)],
        crs="EPSG:4490",  # CGCS2000 degrees
    )
    path = tmp_path / "parcels.geojson"
    frame.to_file(path, driver="GeoJSON", engine="pyogrio")
    imported = read_parcels(path, park_field="park", far_field="far")
    assert imported.crs == "EPSG:4549"
    assert list(imported.parcels["parcel_id"]) == ["东区-0001", "东区-0002", "西区-0001"]
    assert imported.parcels["far_max"].tolist()[::2] == [2.5, 1.2]
    assert "far not a number > 0, so no plot-ratio cap: 1" in imported.changes


def test_dxf_closed_polylines_become_parcels(tmp_path: Path) -> None:
    import pyogrio

    x, y = 500_000, 4_000_000  # EPSG:4549 metres near its central meridian

    def ring(x0: float) -> shapely.LineString:
        return shapely.LineString(shapely.get_coordinates(box(x0, y, x0 + 100, y + 100).exterior))

    lines = gpd.GeoDataFrame({"Layer": ["A", "A", "B"]},
                             geometry=[ring(x), ring(x + 100), ring(x + 500)])  # fmt: skip
    path = tmp_path / "site.dxf"
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "'crs' was not provided", UserWarning)
        pyogrio.write_dataframe(lines, path, driver="DXF")
    imported = read_parcels(path, park_field="Layer", crs="EPSG:4549")
    assert len(imported.parcels) == 3
    assert "closed lines made polygons: 3" in imported.changes
    assert imported.parcels.geometry.area.round().tolist() == [10_000, 10_000, 10_000]


def test_init_bad_input(tmp_path: Path, cli_error: Callable[[list[str]], str]) -> None:
    layer = gbk_shapefile(tmp_path)
    out = ["--out", str(tmp_path / "x.toml")]
    err = cli_error(["init", str(layer), "--park-field", "园", "--encoding", "GBK", *out])
    assert "--park-field" in err and "园区" in err  # names the fields, suggests one
    err = cli_error(["init", str(layer), "--park-field", "园区", "--encoding", "KLINGON", *out])
    assert "--encoding" in err and "GBK" in err
    (tmp_path / "bare").mkdir()
    bare = gbk_shapefile(tmp_path / "bare", crs=None)
    err = cli_error(["init", str(bare), "--park-field", "园区", *out])
    assert "no CRS" in err and "--crs EPSG:" in err
    junk = tmp_path / "junk.gpkg"
    junk.write_bytes(b"not a geopackage")
    err = cli_error(["init", str(junk), "--park-field", "园区", *out])
    assert "junk.gpkg" in err and "cannot read" in err
    err = cli_error(["init", str(tmp_path / "missing.shp"), "--park-field", "园区", *out])
    assert "not found" in err
    err = cli_error(["init", str(layer), "--park-field", "园区", "--crs", "EPSG:99999", *out])
    assert "--crs" in err
    assert not (tmp_path / "x.toml").exists()


def test_help_shows_examples(capsys: pytest.CaptureFixture[str]) -> None:
    for command in ("init", "compare", "run", "check", "audit"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        assert "example" in capsys.readouterr().out, command


def test_help_imports_no_heavy_library() -> None:
    import subprocess

    code = (
        "import sys, contextlib, io\n"
        "from sim.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
        "    main(['--help'])\n"
        "heavy = ('geopandas', 'matplotlib', 'scipy', 'pandas', 'shapely', 'pyproj', 'pyogrio')\n"
        "print([m for m in heavy if m in sys.modules])\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
