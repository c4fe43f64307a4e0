"""Bad input through the CLI: one clear message, exit code 2, no traceback, no output.

Every case runs ``parksim run <case> --out <out> --no-figures`` twice: once with a fresh
output folder (which must not be created) and once with an existing one holding a
marker file (which must be left byte for byte as it was, with no temporary folders
left next to it). The message must name the file, the field or parcel, and the fix.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import LineString, Point, Polygon, box

from sim.outputs import atomic_folder
from tests.conftest import TINY_TOML, X0, Y0, tiny_layers, tree_snapshot

Layers = tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]
CliError = Callable[[list[str]], str]


def run_bad(path: Path, cli_error: CliError) -> str:
    """Run the CLI on a bad scenario; check exit code and outputs; return stderr."""
    fresh = path.parent / "out_fresh"
    first = cli_error(["run", str(path), "--out", str(fresh), "--no-figures"])
    assert not fresh.exists()

    kept = path.parent / "out_kept"
    with atomic_folder(kept) as staging:  # an earlier run's outputs
        (staging / "figures").mkdir()
        (staging / "marker.txt").write_bytes(b"earlier run\n")
        (staging / "figures" / "old.png").write_bytes(b"\x89PNG old")
    before = tree_snapshot(kept)
    second = cli_error(["run", str(path), "--out", str(kept), "--no-figures"])
    assert tree_snapshot(kept) == before
    assert not [p.name for p in path.parent.iterdir() if re.match(r"\.out_\w+\.tmp-", p.name)]

    assert first == second
    return first


def set_geometry(frame: gpd.GeoDataFrame, i: int, geom: object) -> gpd.GeoDataFrame:
    geoms = list(frame.geometry)
    geoms[i] = geom
    return frame.set_geometry(gpd.GeoSeries(geoms, crs=frame.crs))


# --- scenario files -------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """A bad scenario: how to make it from TINY_TOML and what the message must say."""

    id: str
    edit: Callable[[str], str]
    needles: tuple[str, ...]
    extra_files: dict[str, str] = field(default_factory=dict)


def sub(old: str, new: str) -> Callable[[str], str]:
    def edit(text: str) -> str:
        assert old in text, old
        return text.replace(old, new, 1)

    return edit


def append(extra: str) -> Callable[[str], str]:
    return lambda text: text + "\n" + extra


def drop_table(name: str) -> Callable[[str], str]:
    return lambda text: re.sub(rf"\n\[{re.escape(name)}\]\n.*?\n\n", "\n\n", text, flags=re.S)


SCENARIO_CASES = [
    Case(
        "toml-syntax",
        sub('name = "tiny"', 'name = "tiny'),
        ("TOML syntax error", "line 3, column 13", "close every quote"),
    ),
    Case(
        "unknown-top-level-key",
        lambda text: 'colour = "red"\n' + text,
        ("colour", "unknown key", "the top level", "remove it or fix its spelling"),
    ),
    Case(
        "unknown-key-in-defaults",
        sub("plot_ratio = 1.5", "plot_ratoi = 1.5"),
        ("defaults.plot_ratoi", "unknown key", "did you mean 'plot_ratio'?"),
    ),
    Case(
        "unknown-key-in-committed",
        sub("phases = 2", "phase = 2"),
        ("committed[0].phase", "unknown key", "did you mean 'phases'?"),
    ),
    Case(
        "string-for-base-year",
        sub("base_year = 2012", 'base_year = "2012"'),
        ("scenario.base_year", "expected a whole number", "'2012'", "without quotes"),
    ),
    Case(
        "wrong-unit",
        sub('land_supply_per_year = "2 ha"', 'land_supply_per_year = "80 kg"'),
        ("defaults.land_supply_per_year", "expected an area", "'80 kg'", "a mass", "ha"),
    ),
    Case(
        "bare-number-area",
        sub('max_floor_per_phase = "1万 m2"', "max_floor_per_phase = 10000"),
        ("defaults.max_floor_per_phase", "bare number 10000", '"10000 m2"'),
    ),
    Case(
        "negative-area",
        sub('max_floor_per_phase = "1万 m2"', 'max_floor_per_phase = "-1万 m2"'),
        ("defaults.max_floor_per_phase", "expected a value > 0", "'-1万 m2'", "change"),
    ),
    Case(
        "negative-land-supply",
        sub('land_supply_per_year = "0 ha"', 'land_supply_per_year = "-3 ha"'),
        ("parks.B.land_supply_per_year", "expected an area ≥ 0", "'-3 ha'", "positive"),
    ),
    Case(
        "occupancy-above-one",
        sub('occupancy_ceiling = "80 %"', 'occupancy_ceiling = "120 %"'),
        ("defaults.occupancy_ceiling", "≤ 1", "'120 %'", "change"),
    ),
    Case(
        "horizon-before-base-year",
        sub("horizon = 2019", "horizon = 2010"),
        ("scenario.horizon", "base_year 2012", "found 2010", "set horizon"),
    ),
    Case(
        "geographic-crs",
        sub('crs = "EPSG:4549"', 'crs = "EPSG:4326"'),
        ("scenario.crs", "expected a projected CRS", "'EPSG:4326'", "use a projected CRS"),
    ),
    Case(
        "unknown-crs",
        sub('crs = "EPSG:4549"', 'crs = "EPSG:99999"'),
        ("scenario.crs", "'EPSG:99999'", "use an EPSG code"),
    ),
    Case(
        "missing-layer-file",
        sub('parks = "site.gpkg"', 'parks = "nowhere.gpkg"'),
        ("site.parks", "nowhere.gpkg", "does not exist", "fix the path"),
    ),
    Case(
        "wrong-layer-name",
        sub('parcels_layer = "parcels"', 'parcels_layer = "parcel"'),
        ("site.parcels_layer", "'parcel'", "['parks', 'parcels']", "set parcels_layer to"),
    ),
    Case(
        "missing-site-table",
        drop_table("site"),
        ("site", "required, but missing", "add a [site] table"),
    ),
    Case(
        "extends-cycle",
        lambda text: 'extends = "b.toml"\n',
        ("extends", "cycle", "case.toml → b.toml → case.toml", "remove the extends line"),
        {"b.toml": 'extends = "case.toml"\n'},
    ),
    Case(
        "extends-missing-file",
        lambda text: 'extends = "base_missing.toml"\n[scenario]\nhorizon = 2018\n',
        ("extends", "base_missing.toml", "does not exist", "fix the extends path"),
    ),
    Case(
        "park-not-in-layer",
        append("[parks.C]\nplot_ratio = 2.0\n"),
        ("parks.C", "unknown park 'C'", "['A', 'B']"),
    ),
    Case(
        "target-for-unknown-park",
        append(
            '[[targets]]\nmetric = "floor_completed"\npark = "Z"\nyear = 2016\nvalue = "1万 m2"\n'
        ),
        ("targets[2].park", "unknown park 'Z'", "use 'total' or one of"),
    ),
    Case(
        "target-year-outside-horizon",
        append(
            '[[targets]]\nmetric = "floor_completed"\npark = "A"\nyear = 2030\nvalue = "1万 m2"\n'
        ),
        ("targets[2].year", "2012–2019", "found 2030", "move the target year"),
    ),
    Case(
        "target-unknown-metric",
        sub('metric = "floor_completed"\npark = "A"', 'metric = "floor_done"\npark = "A"'),
        ("targets[1].metric", "'floor_completed'", "found 'floor_done'", "use one of these"),
    ),
    Case(
        "target-value-wrong-unit",
        sub('value = "5万 m2"', 'value = "5 亿元"'),
        ("targets[0].value", "expected an area", "'5 亿元'", "use an area unit"),
    ),
    Case(
        "committed-unknown-parcel",
        sub('parcel = "Q1"', 'parcel = "ZZ"'),
        ("committed[0].parcel", "unknown parcel 'ZZ'"),
    ),
    Case(
        "committed-floor-over-capacity",
        sub('floor = "2万 m2"', 'floor = "5万 m2"'),
        ("committed[0].floor", "30,000 m²", "lower the floor or raise far_max"),
    ),
    Case(
        "committed-parcel-twice",
        append('[[committed]]\nparcel = "Q1"\nstart_year = 2014\nfloor = "1万 m2"\n'),
        ("committed[1].parcel", "'Q1'", "also committed[0]", "merge the entries"),
    ),
    Case(
        "committed-zero-phases",
        sub("phases = 2", "phases = 0"),
        ("committed[0].phases", "≥ 1", "found 0", "change"),
    ),
    Case(
        "committed-as-table",
        sub("[[committed]]", "[committed]"),
        ("committed", "expected a list", "[[committed]]"),
    ),
    Case(
        "negative-base-floor",
        sub("[defaults]\n", '[defaults]\nbase_floor_completed = "-1万 m2"\n'),
        ("defaults.base_floor_completed", "expected a value ≥ 0", "'-1万 m2'", "change"),
    ),
    Case(
        "vacancy-target-above-one",
        sub("[parks.B]\n", "[parks.B]\nvacancy_target = 1.5\n"),
        ("parks.B.vacancy_target", "≤ 1", "1.5", "change"),
    ),
    Case(
        "negative-vacancy-elasticity",
        sub("[defaults]\n", "[defaults]\nvacancy_elasticity = -2\n"),
        ("defaults.vacancy_elasticity", "expected a value ≥ 0", "-2", "change"),
    ),
    Case(
        "negative-take-up",
        sub("[parks.B]\n", '[parks.B]\ntake_up_per_year = ["1 ha", "-1 ha"]\n'),
        ("parks.B.take_up_per_year", "expected an area ≥ 0", "'-1 ha'", "(item 1)"),
    ),
    Case(
        "take-up-list-wrong-length",
        sub("[defaults]\n", '[defaults]\ntake_up_per_year = ["1 ha", "2 ha", "3 ha"]\n'),
        ("defaults.take_up_per_year", "8 values", "a list of 3", "one value for every year"),
    ),
    Case(
        "zero-topout-time",
        sub("[defaults]\n", "[defaults]\ntopout_years = 0\n"),
        ("defaults.topout_years", "expected a value > 0", "change"),
    ),
    Case(
        "other-revenue-wrong-unit",
        sub("[defaults]\n", '[defaults]\nother_revenue = "5 m2"\n'),
        ("defaults.other_revenue", "an amount of money", "'5 m2'"),
    ),
    Case(
        "rest-of-city-revenue-not-a-quantity",
        append('[rest_of_city]\nrevenue = "abc"\n'),
        ("rest_of_city.revenue", "'abc'", "an amount of money"),
    ),
    Case(
        "rest-of-city-without-revenue",
        append('[rest_of_city]\nrevenue_growth = "5 %"\n'),
        ("rest_of_city.revenue", "required"),
    ),
    Case(
        "rest-of-city-unknown-key",
        append('[rest_of_city]\nrevenue = "300 亿元"\nrevenue_per_workers = "65 万元"\n'),
        ("rest_of_city.revenue_per_workers", "unknown key", "did you mean 'revenue_per_worker'?"),
    ),
    Case(
        "market-unknown-key",
        append("[market]\ndemand_sd = 0.3\ncorrelaton = 0.5\n"),
        ("market.correlaton", "unknown key", "did you mean 'correlation'?"),
    ),
    Case(
        "yearly-list-wrong-length",
        sub('land_supply_per_year = "2 ha"', 'land_supply_per_year = ["2 ha", "3 ha"]'),
        ("defaults.land_supply_per_year", "8 values", "a list of 2", "one value for every year"),
    ),
    Case(
        "no-defaults",
        drop_table("defaults"),
        ("parks.A.plot_ratio", "parks.B.m2_per_worker", "add e.g. 'plot_ratio = 2.0'"),
    ),
    Case(
        "one-assumption-missing",
        sub('m2_per_worker = "40 m2"\n', ""),
        ("parks.A.m2_per_worker", "parks.B.m2_per_worker", "[defaults]", "add e.g."),
    ),
    Case(
        "empty-yearly-list",
        sub('demand_per_year = "1.5万 m2"', "demand_per_year = []"),
        ("defaults.demand_per_year", "found []", 'write e.g. "20 ha"'),
    ),
    Case(
        "unreadable-quantity",
        sub('land_price = "500 元/m2"', 'land_price = "cheap"'),
        ("defaults.land_price", "'cheap'", "money per area", "元/m2"),
    ),
    Case(
        "investment-rule-wrong-dimension",
        sub('investment_intensity_min = "4000 万元/ha"', 'investment_intensity_min = "4000 万元"'),
        ("rules.investment_intensity_min", "money per area", "'4000 万元'", "万元/ha"),
    ),
    Case(
        "revenue-rule-negative",
        sub('revenue_density_min = "2 亿元/ha"', 'revenue_density_min = "-2 亿元/ha"'),
        ("rules.revenue_density_min", "expected a value ≥ 0", "'-2 亿元/ha'", "change"),
    ),
    Case(
        "plot-ratio-rule-wrong-dimension",
        append('[rules.plot_ratio_min]\nsoftware_rd = "1 m2"\n'),
        ("rules.plot_ratio_min.software_rd", "a plain number", "'1 m2'", "an area"),
    ),
    Case(
        "land-use-without-plot-ratio-rule",
        append("[rules.plot_ratio_min]\nindustrial = 1.0\n"),
        (
            "rules.plot_ratio_min",
            "land use 'software_rd'",
            "5 parcel(s): P1, P2, P3 and 2 more",
            "add software_rd = 1.0 to [rules.plot_ratio_min]",
        ),
    ),
    Case(
        "building-coefficient-over-100-percent",
        append('building_coefficient = "120 %"'),
        ("rules.building_coefficient", "≤ 1 (= 100 %)", "'120 %'", "change"),
    ),
    Case(
        "negative-green-share",
        append('green_share = "-5 %"'),
        ("rules.green_share", "≥ 0", "'-5 %'", "change"),
    ),
    Case(
        "building-and-green-over-the-parcel",
        append('building_coefficient = "85 %"\ngreen_share = "20 %"'),
        ("rules.green_share", "85% + 20% = 105%", "lower one of them"),
    ),
    Case(
        "reclaim-before-idle",
        append("idle_after_years = 3\nreclaim_after_years = 2"),
        ("rules.reclaim_after_years", "at least idle_after_years (3)", "raise"),
    ),
    Case(
        "reclaim-idle-not-boolean",
        append('reclaim_idle = "yes"'),
        ("rules.reclaim_idle",),
    ),
    Case(
        "benchmark-without-source",
        append('[benchmarks.m2_per_worker]\nvalue = "38 m2"\n'),
        ("benchmarks.m2_per_worker.source", "required", "add 'source = "),
    ),
    Case(
        "benchmark-wrong-unit",
        append('[benchmarks.revenue_per_worker]\nvalue = "65 m2"\nsource = "x"\n'),
        ("benchmarks.revenue_per_worker.value", "an amount of money", "'65 m2'", "万元"),
    ),
    Case(
        "benchmark-growth-without-year",
        append('[benchmarks.base_revenue]\nvalue = "395 亿元"\ngrowth = "40 %"\nsource = "x"\n'),
        ("benchmarks.base_revenue.year", "required with growth", "year = 2013"),
    ),
    Case(
        "unknown-benchmark",
        append('[benchmarks.revenue_per_m3]\nvalue = "1 元/m2"\nsource = "x"\n'),
        ("benchmarks.revenue_per_m3", "unknown key", "did you mean 'revenue_per_m2'?"),
    ),
    Case(
        "boolean-for-ratio",
        sub("plot_ratio = 1.5", "plot_ratio = true"),
        ("defaults.plot_ratio", "boolean True", "write a number"),
    ),
]


@pytest.mark.parametrize("case", SCENARIO_CASES, ids=lambda c: c.id)
def test_bad_scenario(
    case: Case,
    write_scenario: Callable[..., Path],
    cli_error: CliError,
) -> None:
    for name, text in case.extra_files.items():
        write_scenario(text, name)
    path = write_scenario(case.edit(TINY_TOML))
    err = run_bad(path, cli_error)
    assert path.name in err
    for needle in case.needles:
        assert needle in err
    assert "function-" not in err
    assert "Input should be" not in err
    assert "Value error" not in err


def test_several_scenario_problems_in_one_message(
    write_scenario: Callable[..., Path], cli_error: CliError
) -> None:
    text = (
        TINY_TOML.replace("plot_ratio = 1.5", "plot_ratoi = 1.5")
        .replace('land_supply_per_year = "2 ha"', 'land_supply_per_year = "80 kg"')
        .replace("horizon = 2019", "horizon = 2010")
        .replace('occupancy_ceiling = "80 %"', 'occupancy_ceiling = "120 %"')
        .replace('parks = "site.gpkg"', 'parks = "nowhere.gpkg"')
        .replace("phases = 2", "phases = 0")
    )
    err = run_bad(write_scenario(text), cli_error)
    assert err.count("parksim: error:") == 1
    assert "6 problem(s)" in err
    for where in (
        "defaults.plot_ratoi",
        "defaults.land_supply_per_year",
        "scenario.horizon",
        "defaults.occupancy_ceiling",
        "site.parks",
        "committed[0].phases",
    ):
        assert f"  - {where}: " in err


# --- site layers ----------------------------------------------------------------------

BOW_TIE = Polygon([(X0, Y0), (X0 + 100, Y0 + 100), (X0 + 100, Y0), (X0, Y0 + 100)])


@dataclass(frozen=True)
class SiteCase:
    """A bad site: how to change the tiny layers and what the message must say."""

    id: str
    edit: Callable[[gpd.GeoDataFrame, gpd.GeoDataFrame], Layers]
    needles: tuple[str, ...]


def parcels_only(
    change: Callable[[gpd.GeoDataFrame], gpd.GeoDataFrame],
) -> Callable[[gpd.GeoDataFrame, gpd.GeoDataFrame], Layers]:
    return lambda parks, parcels: (parks, change(parcels))


SITE_CASES = [
    SiteCase(
        "parcels-without-crs",
        parcels_only(lambda p: p.set_crs(None, allow_override=True)),
        ("layer parcels", "found none", "ogr2ogr -a_srs EPSG:4549"),
    ),
    SiteCase(
        "parks-without-crs",
        lambda parks, parcels: (parks.set_crs(None, allow_override=True), parcels),
        ("layer parks", "found none", "ogr2ogr -a_srs EPSG:4549"),
    ),
    SiteCase(
        "geographic-crs-with-metres",
        parcels_only(lambda p: p.set_crs("EPSG:4326", allow_override=True)),
        ("layer parcels", "EPSG:4326", "(500000, 4000000)", "assign the CRS"),
    ),
    SiteCase(
        "bow-tie-parcel",
        parcels_only(lambda p: set_geometry(p, 0, BOW_TIE)),
        ("layer 'parcels'", "parcel P1", "Self-intersection", "Fix geometries"),
    ),
    SiteCase(
        "overlapping-parcels",
        parcels_only(lambda p: set_geometry(p, 1, box(X0 + 50, Y0, X0 + 150, Y0 + 100))),
        ("parcel P1", "parcel P2", "5,000 m²", "cut one of them back"),
    ),
    SiteCase(
        "parcel-outside-its-park",
        parcels_only(lambda p: set_geometry(p, 3, box(X0 + 300, Y0, X0 + 450, Y0 + 100))),
        ("parcel P4", "'A'", "5,000 m²", "redraw it inside the park outline"),
    ),
    SiteCase(
        "duplicate-parcel-id",
        parcels_only(lambda p: p.assign(parcel_id=["P1", "P1", "P3", "P4", "Q1"])),
        ("parcel P1", "2 times", "give each parcel its own id"),
    ),
    SiteCase(
        "duplicate-park-id",
        lambda parks, parcels: (parks.assign(park_id=["A", "A"]), parcels),
        ("layer 'parks'", "park A", "give each park its own id"),
    ),
    SiteCase(
        "parcel-in-unknown-park",
        parcels_only(lambda p: p.assign(park_id=["A", "A", "A", "A", "C"])),
        ("parcel Q1", "found 'C'", "['A', 'B']", "correct the parcel's park_id"),
    ),
    SiteCase(
        "far-max-zero",
        parcels_only(lambda p: p.assign(far_max=[2.0, 0.0, 2.0, 1.0, 3.0])),
        ("parcel P2", "far_max", "found 0.0", "leave it empty for no cap"),
    ),
    SiteCase(
        "far-max-negative",
        parcels_only(lambda p: p.assign(far_max=[2.0, 2.0, -1.0, 1.0, 3.0])),
        ("parcel P3", "far_max", "found -1.0", "leave it empty for no cap"),
    ),
    SiteCase(
        "phase-zero",
        parcels_only(lambda p: p.assign(phase=[1, 0, 2, 2, 1])),
        ("parcel P2", "phase", "found 0", "set it to 1 or later"),
    ),
    SiteCase(
        "building-coefficient-over-one",
        parcels_only(lambda p: p.assign(building_coefficient=[0.4, 1.2, 0.4, 0.4, 0.4])),
        ("parcel P2", "building_coefficient", "found 1.2", "coverage over 100 %", "0.35"),
    ),
    SiteCase(
        "negative-admin-share",
        parcels_only(lambda p: p.assign(admin_share=[-0.05, 0.05, 0.05, 0.05, 0.05])),
        ("parcel P1", "admin_share", "found -0.05, a negative share", "correct it"),
    ),
    SiteCase(
        "building-plus-green-over-the-parcel",
        parcels_only(
            lambda p: p.assign(
                building_coefficient=[0.4, 0.4, 0.7, 0.4, 0.4],
                green_share=[0.2, 0.2, 0.4, 0.2, 0.2],
            )
        ),
        ("parcel P3", "building_coefficient + green_share ≤ 1", "0.7 + 0.4 = 1.1"),
    ),
    SiteCase(
        "green-share-not-a-number",
        parcels_only(lambda p: p.assign(green_share=["0.2", "lots", "0.2", "0.2", "0.2"])),
        ("parcel P2", "green_share", "found 'lots'", "as a fraction"),
    ),
    SiteCase(
        "empty-geometry",
        parcels_only(lambda p: set_geometry(p, 2, Polygon())),
        ("parcel P3", "empty geometry", "draw the parcel or drop the row"),
    ),
    SiteCase(
        "missing-geometry",
        parcels_only(lambda p: set_geometry(p, 2, None)),
        ("parcel P3", "empty geometry", "draw the parcel or drop the row"),
    ),
    SiteCase(
        "point-instead-of-polygon",
        parcels_only(lambda p: set_geometry(p, 2, Point(X0 + 250, Y0 + 50))),
        ("parcel P3", "found a Point", "draw the parcel as a polygon"),
    ),
    SiteCase(
        "line-instead-of-polygon",
        parcels_only(lambda p: set_geometry(p, 2, LineString([(X0, Y0), (X0 + 9, Y0)]))),
        ("parcel P3", "found a LineString", "draw the parcel as a polygon"),
    ),
    SiteCase(
        "parcel-id-column-missing",
        parcels_only(lambda p: p.rename(columns={"parcel_id": "parcelid"})),
        ("parcel_id", "rename column 'parcelid' to 'parcel_id'"),
    ),
    SiteCase(
        "several-parcel-problems",
        parcels_only(
            lambda p: set_geometry(
                p.assign(far_max=[2.0, 0.0, 2.0, 1.0, 3.0], phase=[1, 1, 0, 2, 1]), 0, BOW_TIE
            )
        ),
        ("3 problem(s)", "  - parcel P1: ", "  - parcel P2: ", "  - parcel P3: "),
    ),
]


@pytest.mark.parametrize("case", SITE_CASES, ids=lambda c: c.id)
@pytest.mark.filterwarnings("ignore:'crs' was not provided:UserWarning")
def test_bad_site(
    case: SiteCase,
    tiny_dir: Path,
    write_scenario: Callable[..., Path],
    cli_error: CliError,
) -> None:
    parks, parcels = case.edit(*tiny_layers())
    layers = tiny_dir / "bad_site.gpkg"
    parks.to_file(layers, layer="parks", engine="pyogrio")
    parcels.to_file(layers, layer="parcels", engine="pyogrio")
    path = write_scenario(TINY_TOML.replace('"site.gpkg"', '"bad_site.gpkg"'))
    err = run_bad(path, cli_error)
    assert "bad_site.gpkg" in err
    for needle in case.needles:
        assert needle in err


def test_unreadable_layer_file(
    tiny_dir: Path, write_scenario: Callable[..., Path], cli_error: CliError
) -> None:
    (tiny_dir / "broken.gpkg").write_bytes(b"this is not a GeoPackage")
    path = write_scenario(TINY_TOML.replace('parcels = "site.gpkg"', 'parcels = "broken.gpkg"'))
    err = run_bad(path, cli_error)
    for needle in ("case.toml", "site.parcels", "broken.gpkg", "re-export the file"):
        assert needle in err


def test_layer_without_geometry(
    tiny_dir: Path, write_scenario: Callable[..., Path], cli_error: CliError
) -> None:
    import pandas as pd
    import pyogrio

    table = pd.DataFrame({"parcel_id": ["P1"], "park_id": ["A"]})
    pyogrio.write_dataframe(table, tiny_dir / "site.gpkg", layer="attributes")
    path = write_scenario(
        TINY_TOML.replace('parcels_layer = "parcels"', 'parcels_layer = "attributes"')
    )
    err = run_bad(path, cli_error)
    for needle in ("site.gpkg", "layer attributes", "without geometry", "set parcels_layer"):
        assert needle in err


def test_missing_scenario_file(tmp_path: Path, cli_error: CliError) -> None:
    err = run_bad(tmp_path / "nothing_here.toml", cli_error)
    assert "nothing_here.toml" in err
    assert "check the path" in err
