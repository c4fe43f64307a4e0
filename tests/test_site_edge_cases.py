"""Odd but plausible site layers through the CLI: a clear exit 2 or a working run, never a crash.

Every case writes the tiny site (see ``conftest``), changed, into a folder of its own and
runs ``parksim check`` and ``parksim run --out <folder>/out`` in-process. A refused case
must exit 2 with one message naming the file, layer, park or parcel and the fix, and
write nothing; a case that runs must exit 0. Either way no traceback is printed, no
file of the user's is changed or removed (the folder is hashed before and after, the
output folder aside) and no temporary folder is left behind. Warnings are errors here
(pyproject), so a ``RuntimeWarning`` from a 0/0 fails the run with exit 1.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import matplotlib.pyplot as plt
import numpy as np
import numpy.typing as npt
import pytest
import shapely
from pyproj import CRS
from shapely.affinity import translate
from shapely.geometry import MultiPolygon, box

from sim.cli import main
from sim.engine import prepare
from sim.errors import ScenarioError, SiteError
from sim.plot.cartography import nice_length, north_arrow, scale_bar
from sim.scenario import load_scenario
from sim.site import Site, validate_site
from tests.conftest import TINY_TOML, X0, Y0, tiny_layers

Layers = tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]
Edit = Callable[[gpd.GeoDataFrame, gpd.GeoDataFrame], Layers]

# TINY_TOML without its committed project and targets (they name Q1 and park A).
BARE_TOML = TINY_TOML.split("[[committed]]")[0] + "[rules]" + TINY_TOML.split("[rules]")[1]


def _tree_hashes(folder: Path, *, skip: Path | None = None) -> dict[str, str]:
    hashes = {}
    for path in sorted(folder.rglob("*")):
        if skip is not None and (path == skip or skip in path.parents):
            continue
        if path.is_file():
            hashes[str(path.relative_to(folder))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return hashes


def _with_geometry(frame: gpd.GeoDataFrame, geoms: list[object]) -> gpd.GeoDataFrame:
    return frame.set_geometry(gpd.GeoSeries(geoms, crs=frame.crs))


def _moved(dx: float, dy: float) -> Edit:
    return lambda parks, parcels: (
        _with_geometry(parks, [translate(g, dx, dy) for g in parks.geometry]),
        _with_geometry(parcels, [translate(g, dx, dy) for g in parcels.geometry]),
    )


def _in_wgs84(move: Callable[[npt.NDArray[np.float64]], npt.NDArray[np.float64]]) -> Edit:
    """Layers drawn in WGS 84, their (lon, lat) coordinates moved by ``move``."""

    def edit(parks: gpd.GeoDataFrame, parcels: gpd.GeoDataFrame) -> Layers:
        moved = [
            f.set_geometry(gpd.GeoSeries(shapely.transform(f.geometry.values, move), crs=f.crs))
            for f in (parks.to_crs("EPSG:4326"), parcels.to_crs("EPSG:4326"))
        ]
        return moved[0], moved[1]

    return edit


def _east(degrees: float) -> Edit:
    return _in_wgs84(lambda lonlat: lonlat + np.array([degrees, 0.0]))


# Qingdao (120° E, 36° N) → (60° W, 36° S).
_AT_THE_ANTIPODE = _in_wgs84(
    lambda lonlat: lonlat * np.array([1.0, -1.0]) + np.array([-180.0, 0.0])
)


def _degrees_declared_projected(parks: gpd.GeoDataFrame, parcels: gpd.GeoDataFrame) -> Layers:
    return (
        parks.to_crs("EPSG:4326").set_crs("EPSG:4549", allow_override=True),
        parcels.to_crs("EPSG:4326").set_crs("EPSG:4549", allow_override=True),
    )


def _p4(geom: object) -> Edit:
    """Replace parcel P4 (park A, the fourth square)."""
    return lambda parks, parcels: (
        parks,
        _with_geometry(parcels, [*parcels.geometry[:3], geom, parcels.geometry[4]]),
    )


def _only_park_b(parks: gpd.GeoDataFrame, parcels: gpd.GeoDataFrame) -> Layers:
    return parks[parks["park_id"] == "B"], parcels[parcels["park_id"] == "B"]


def _renamed_a(new: str) -> Edit:
    return lambda parks, parcels: (
        parks.assign(park_id=parks["park_id"].replace("A", new)),
        parcels.assign(park_id=parcels["park_id"].replace("A", new)),
    )


def _adjacent_parks(parks: gpd.GeoDataFrame, parcels: gpd.GeoDataFrame) -> Layers:
    """Park B widened west to share park A's east edge, which P4 lies on."""
    return _with_geometry(parks, [parks.geometry[0], box(X0 + 400, Y0, X0 + 600, Y0 + 100)]), (
        parcels
    )


def _no_change(parks: gpd.GeoDataFrame, parcels: gpd.GeoDataFrame) -> Layers:
    return parks, parcels


@dataclass(frozen=True)
class EdgeCase:
    """A site (and scenario) edit, the exit code it must give and what stderr must say."""

    id: str
    edit: Edit
    code: int
    needles: tuple[str, ...] = ()
    toml: str = TINY_TOML
    outputs: Callable[[Path], None] | None = None


def _empty_park_reported(out: Path) -> None:
    report = json.loads((out / "audit.json").read_text(encoding="utf-8"))
    (finding,) = [f for f in report["findings"] if f["check"] == "no_parcels"]
    assert finding["scope"] == "B"
    assert finding["ok"] is False
    assert "no parcel in this park, so its capacity is 0" in finding["message"]
    row = next(r for r in report["capacity"] if r["park_id"] == "B")
    assert row["capacity_m2"] == 0.0
    assert row["land_ha"] == 0.0
    assert "B: the parcels layer has no parcel" in (out / "audit.md").read_text(encoding="utf-8")


def _park_name_kept(out: Path) -> None:
    summary = (out / "summary.csv").read_text(encoding="utf-8")
    assert "高新 区" in summary


CASES = [
    # --- empty layers -----------------------------------------------------------------
    EdgeCase(
        "empty-parcels-layer",
        lambda parks, parcels: (parks, parcels.iloc[:0]),
        2,
        ("site.gpkg", "layer 'parcels'", "expected at least one parcel", "found an empty layer"),
        toml=BARE_TOML,
    ),
    EdgeCase(
        "empty-parks-layer",
        lambda parks, parcels: (parks.iloc[:0], parcels),
        2,
        ("site.gpkg", "layer 'parks'", "expected at least one park", "set parks_layer"),
    ),
    EdgeCase(
        "every-parcel-in-an-unknown-park",
        lambda parks, parcels: (parks.assign(park_id=["C", "D"]), parcels),
        2,
        ("layer 'parcels'", "found that none does", "['A', 'B']", "['C', 'D']", "parcel P1"),
    ),
    # --- where the site is ------------------------------------------------------------
    EdgeCase(
        "site-at-1e12-metres",
        _moved(1e12, 1e12),
        2,
        ("site.gpkg", "layer parks", "EPSG:4549", "1,000,000,500,000", "cannot turn into"),
    ),
    EdgeCase(
        "site-at-the-antipode",
        _AT_THE_ANTIPODE,
        2,
        ("layer parks", "reprojected from EPSG:4326", "assign the CRS it was really drawn in"),
    ),
    EdgeCase(
        "site-beyond-the-crs-area-of-use",
        _east(10.0),
        2,
        ("layer parks", "area of use", "118.5°E–121.5°E", "130.0°E", "'EPSG:32652'"),
    ),
    EdgeCase(
        "degrees-declared-as-metres",
        _degrees_declared_projected,
        2,
        ("layer parks", "expected metres", "degrees of longitude and latitude", "EPSG:4490"),
    ),
    EdgeCase("site-just-outside-the-area-of-use", _east(3.0), 0),
    # --- parcel size ------------------------------------------------------------------
    EdgeCase(
        "degenerate-sliver",
        _p4(box(X0 + 300, Y0, X0 + 300.005, Y0 + 100)),
        2,
        ("layer 'parcels'", "parcel P4", "at least 1 m²", "found 0.5 m²", "drop the row"),
    ),
    EdgeCase(
        "sliver-below-min-parcel-area",
        _p4(box(X0 + 300, Y0, X0 + 305, Y0 + 10)),
        2,
        ("parcel P4", "min_parcel_area = 100 m²", "found 50 m²", '"50 m2"', "merge it"),
    ),
    EdgeCase(
        "sliver-with-min-parcel-area-lowered",
        _p4(box(X0 + 300, Y0, X0 + 305, Y0 + 10)),
        0,
        toml=TINY_TOML.replace(
            'parcels_layer = "parcels"\n', 'parcels_layer = "parcels"\nmin_parcel_area = "40 m2"\n'
        ),
    ),
    EdgeCase(
        "min-parcel-area-wrong-unit",
        _no_change,
        2,
        ("case.toml", "site.min_parcel_area", "expected an area", "'100 kg'"),
        toml=TINY_TOML.replace(
            'parcels_layer = "parcels"\n', 'parcels_layer = "parcels"\nmin_parcel_area = "100 kg"\n'
        ),
    ),
    # --- parks and ids ----------------------------------------------------------------
    EdgeCase(
        "park-without-parcels",
        lambda parks, parcels: (parks, parcels[parcels["parcel_id"] != "Q1"]),
        0,
        toml=BARE_TOML,
        outputs=_empty_park_reported,
    ),
    EdgeCase(
        "multipolygon-park",
        lambda parks, parcels: (
            _with_geometry(
                parks,
                [
                    MultiPolygon([parks.geometry[0], box(X0, Y0 + 200, X0 + 100, Y0 + 300)]),
                    parks.geometry[1],
                ],
            ),
            parcels,
        ),
        0,
    ),
    EdgeCase(
        "park-id-with-space-and-chinese",
        _renamed_a("高新 区"),
        0,
        toml=TINY_TOML.replace('park = "A"', 'park = "高新 区"')
        + '\n[parks."高新 区"]\nplot_ratio = 1.2\n',
        outputs=_park_name_kept,
    ),
    EdgeCase(
        "park-called-total",
        _renamed_a("total"),
        2,
        ("layer 'parks'", "park total", "stands for all parks together", "rename it"),
    ),
    EdgeCase(
        "one-park-one-parcel",
        _only_park_b,
        0,
        toml=BARE_TOML.replace('[parks.B]\nland_supply_per_year = "0 ha"\n', ""),
    ),
    EdgeCase("parcel-on-the-boundary-of-two-parks", _adjacent_parks, 0),
    EdgeCase(
        "parcel-across-the-boundary-of-two-parks",
        lambda parks, parcels: _p4(box(X0 + 350, Y0, X0 + 450, Y0 + 100))(
            *_adjacent_parks(parks, parcels)
        ),
        2,
        ("parcel P4", "inside its park 'A'", "5,000 m² (50%)", "redraw it"),
    ),
    EdgeCase(
        "horizon-equal-to-base-year",
        _no_change,
        0,
        toml=TINY_TOML.replace("horizon = 2019", "horizon = 2012")
        .replace("start_year = 2013", "start_year = 2012")
        .replace("year = 2016", "year = 2012")
        .replace("year = 2018", "year = 2012"),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_site_edge_case(case: EdgeCase, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    parks, parcels = case.edit(*tiny_layers())
    parks.to_file(tmp_path / "site.gpkg", layer="parks", engine="pyogrio")
    parcels.to_file(tmp_path / "site.gpkg", layer="parcels", engine="pyogrio")
    scenario = tmp_path / "case.toml"
    scenario.write_text(case.toml, encoding="utf-8")
    out = tmp_path / "out"
    before = _tree_hashes(tmp_path)

    checked = main(["check", str(scenario)])
    check = capsys.readouterr()
    ran = main(["run", str(scenario), "--out", str(out)])
    run = capsys.readouterr()

    for err in (check.err, run.err):
        assert "Traceback" not in err
        assert "internal error" not in err
    assert (checked, ran) == (case.code, case.code), run.err
    assert _tree_hashes(tmp_path, skip=out) == before
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".out.tmp-")]
    if case.code == 2:
        assert not out.exists()
        assert check.err == run.err
        assert run.err.startswith("parksim: error: ")
        assert run.err.count("parksim: error:") == 1
        for needle in case.needles:
            assert needle in run.err
    else:
        assert check.err == run.err == ""
        assert ": ok — " in check.out
        assert (out / "run.json").is_file()
        assert list((out / "figures").glob("*.png"))
        if case.outputs is not None:
            case.outputs(out)


def test_park_without_parcels_in_a_monte_carlo_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    parks, parcels = tiny_layers()
    parks.to_file(tmp_path / "site.gpkg", layer="parks", engine="pyogrio")
    parcels[parcels["parcel_id"] != "Q1"].to_file(
        tmp_path / "site.gpkg", layer="parcels", engine="pyogrio"
    )
    scenario = tmp_path / "case.toml"
    scenario.write_text(BARE_TOML, encoding="utf-8")
    out = tmp_path / "out"
    assert main(["run", str(scenario), "--out", str(out), "--draws", "3", "--quiet"]) == 0
    assert capsys.readouterr().err == ""
    _empty_park_reported(out)


# --- the pieces, called directly -----------------------------------------------------


def test_prepare_refuses_a_site_made_in_code_without_parcels(tiny_dir: Path) -> None:
    scenario = load_scenario(tiny_dir / "tiny.toml")
    parks, parcels = tiny_layers()
    site = validate_site(parks, parcels)
    empty = Site(parks=site.parks, parcels=site.parcels.iloc[:0])
    with pytest.raises(ScenarioError, match=r"site\.parcels: expected at least one parcel"):
        prepare(scenario, empty)


def test_validate_site_takes_the_minimum_parcel_area() -> None:
    parks, parcels = tiny_layers()
    validate_site(parks, parcels, min_parcel_area_m2=10_000.0)  # 1 ha parcels: just enough
    with pytest.raises(SiteError) as info:
        validate_site(parks, parcels, min_parcel_area_m2=10_001.0)
    assert len(info.value.problems) == 5
    assert "min_parcel_area = 10,001 m²" in str(info.value)
    with pytest.raises(SiteError, match="at least 1 m²"):
        sliver = _p4(box(X0 + 300, Y0, X0 + 300.001, Y0 + 1))(parks, parcels)[1]
        validate_site(parks, sliver, min_parcel_area_m2=0.0)


@pytest.mark.parametrize(
    "view",
    [((1e12, 1e12 + 600.0), (1e12, 1e12 + 100.0)), ((-1.95e7, -1.9499e7), (-8e6, -7.9999e6))],
    ids=["at-1e12", "beyond-the-projection"],
)
def test_scale_bar_and_north_arrow_off_the_earth(
    view: tuple[tuple[float, float], tuple[float, float]],
) -> None:
    fig, ax = plt.subplots()
    ax.set_xlim(*view[0])
    ax.set_ylim(*view[1])
    assert math.isnan(scale_bar(ax, CRS("EPSG:4549")))
    assert not [p for p in ax.patches if str(p.get_gid()).startswith("scale-bar")]
    assert north_arrow(ax, CRS("EPSG:4549"), x=0.5, y=0.5) > 0
    fig.canvas.draw()
    plt.close(fig)


def test_nice_length_refuses_what_it_cannot_round() -> None:
    for bad in (0.0, -5.0, math.nan, math.inf):
        with pytest.raises(ValueError, match="expected a finite length > 0"):
            nice_length(bad)
