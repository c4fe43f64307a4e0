"""Output files open cleanly elsewhere: GeoPackage 1.3 with QGIS styles, CSVs for Excel.

Also the all-or-nothing contract under SIGKILL: a run killed while it writes leaves the
previous outputs byte for byte and no half-written folder in their place.
"""

from __future__ import annotations

import itertools
import json
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import pytest

from sim.cli import main
from sim.outcome import compute
from sim.outputs import file_sha256
from sim.result import Status
from sim.rules import compliance_by_year
from sim.scenario import load_scenario
from sim.targets import evaluate_targets
from tests.conftest import (
    BASELINE,
    TINY_TOML,
    load_and_simulate,
    start_run_until_staged,
    tree_snapshot,
    write_tiny_site,
)

CSVS = (
    "summary.csv",
    "summary_quarterly.csv",
    "targets.csv",
    "compliance.csv",
    "audit_parks.csv",
    "parcel_indicators.csv",
    "park_indicators.csv",
    "assumptions.csv",
)
#: Columns written beside every park_id (the parks' names), not in the model's tables.
NAMES = ["park_name_zh", "park_name_en"]
#: Series of summary.csv that are flows over a period (the others are year-end stocks).
FLOWS = ("revenue_cny", "investment_cny", "revenue_other_cny")


@pytest.fixture(scope="module")
def tiny_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("tiny")
    write_tiny_site(folder / "site.gpkg")
    (folder / "tiny.toml").write_text(TINY_TOML, encoding="utf-8")
    out = folder / "out"
    assert main(["run", str(folder / "tiny.toml"), "--out", str(out), "-q", "--no-figures"]) == 0
    return out


def test_geopackage_is_version_1_3(tiny_out: Path) -> None:
    with sqlite3.connect(tiny_out / "parcels.gpkg") as db:
        assert db.execute("PRAGMA application_id").fetchone()[0] == 0x47504B47  # "GPKG"
        assert db.execute("PRAGMA user_version").fetchone()[0] == 10300
        triggers = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='trigger'")}
    assert "rtree_parcels_geom_update1" in triggers  # the 1.3 R-tree triggers


def test_layers(tiny_out: Path) -> None:
    layers = dict(pyogrio.list_layers(tiny_out / "parcels.gpkg"))
    assert layers == {
        "parcels": "Polygon",
        "parks": "Polygon",
        "parcel_status_by_year": "Polygon",
        "layer_styles": None,
    }


def test_status_spells_layer_for_the_temporal_controller(tiny_out: Path) -> None:
    path = tiny_out / "parcels.gpkg"
    spells = pyogrio.read_dataframe(path, layer="parcel_status_by_year")
    info = pyogrio.read_info(path, layer="parcel_status_by_year")
    types = dict(zip(info["fields"], info["dtypes"], strict=True))
    assert types["date_start"].startswith("datetime64") and types["year_first"].startswith("int")
    # Spells, not years: fewer features than parcels × years (5 × 8), every parcel's
    # spells tile 2012-01-01 … 2020-01-01 without gap or overlap.
    assert 5 <= len(spells) < 5 * 8
    assert set(spells["status"]) <= {s.name.lower() for s in Status}
    for _, own in spells.groupby("parcel_id", sort=False):
        assert own["date_start"].iloc[0] == pd.Timestamp("2012-01-01")
        assert own["date_end"].iloc[-1] == pd.Timestamp("2020-01-01")
        assert (own["date_end"].iloc[:-1].to_numpy() == own["date_start"].iloc[1:].to_numpy()).all()
        assert (own["date_end"] > own["date_start"]).all()
        pairs = list(zip(own["status"], own["state"], strict=True))
        assert all(a != b for a, b in itertools.pairwise(pairs))  # a spell ends on a change
    # Dated by an event: the first day of its quarter, in the spell's first year;
    # otherwise 1 January of that year.
    dated = spells["dated_by"] != "year"
    assert dated.any()
    assert spells.loc[dated, "date_start"].dt.month.isin([1, 4, 7, 10]).all()
    assert (spells["date_start"].dt.year == spells["year_first"]).all()
    assert (spells.loc[~dated, "date_start"].dt.day_of_year == 1).all()
    # Hand-checked against the parcels layer: construction spells start in the start year,
    # completion spells in the completion year.
    parcels = pyogrio.read_dataframe(path, layer="parcels").set_index("parcel_id")
    for event, column in (("start", "start_year"), ("completion", "completion_year")):
        rows = spells[spells["dated_by"] == event]
        assert len(rows) == 5
        years = parcels.loc[rows["parcel_id"], column].to_numpy()
        np.testing.assert_array_equal(rows["date_start"].dt.year.to_numpy(), years)
    # The last spell is the state at the horizon, its floor the horizon's.
    last = spells[spells["year_last"] == 2019].set_index("parcel_id")
    assert (last["status"] == parcels["status"]).all()
    assert (last["state"] == parcels["state"]).all()
    summary = pd.read_csv(tiny_out / "summary.csv", encoding="utf-8-sig")
    total = summary[(summary.park_id == "total") & (summary.year == 2019)]["floor_completed_m2"]
    assert last["floor_completed_m2"].sum() == pytest.approx(float(total.iloc[0]))


def test_layer_styles_make_parcels_open_coloured(tiny_out: Path) -> None:
    path = tiny_out / "parcels.gpkg"
    with sqlite3.connect(path) as db:
        rows = db.execute(
            "SELECT f_table_catalog, f_table_schema, f_table_name, f_geometry_column, "
            "useAsDefault, styleQML, styleSLD FROM layer_styles"
        ).fetchall()
        kind = db.execute(
            "SELECT data_type FROM gpkg_contents WHERE table_name = 'layer_styles'"
        ).fetchone()
    assert kind == ("attributes",)
    styles = {row[2]: row for row in rows}
    assert set(styles) == {"parcels", "parks", "parcel_status_by_year"}
    for name, (catalog, schema, _, geometry, default, qml, _) in styles.items():
        # What QGIS's OGR provider looks the default style up by.
        assert (catalog, schema, default) == ("", "", 1)
        assert geometry == pyogrio.read_info(path, layer=name)["geometry_name"]
        assert qml.startswith("<!DOCTYPE qgis")
    qml, sld = styles["parcels"][5], styles["parcels"][6]
    assert 'type="categorizedSymbol"' in qml and 'attr="state"' in qml
    assert "StyledLayerDescriptor" in sld
    assert 'startField="date_start"' in styles["parcel_status_by_year"][5]


def _gdal_validator() -> list[str] | None:
    """The command running GDAL's validate_gpkg.py, or None where it is not installed.

    Debian's python3-gdal ships it as ``osgeo_utils.samples.validate_gpkg`` for the
    system Python (``/usr/bin/python3``), which is not the venv's Python.
    """
    script = shutil.which("validate_gpkg.py")
    for python in ("/usr/bin/python3", shutil.which("python3")):
        if python is None or not Path(python).exists():
            continue
        if script is not None:
            return [python, script]
        found = subprocess.run(
            [python, "-c", "import osgeo_utils.samples.validate_gpkg as m; print(m.__file__)"],
            capture_output=True,
            text=True,
            check=False,
        )
        if found.returncode == 0:
            return [python, found.stdout.strip()]
    return None


def test_gdal_validate_gpkg_passes(tiny_out: Path) -> None:
    command = _gdal_validator()
    assert command is not None, (
        "GDAL's validate_gpkg.py is missing; `make test` installs it (Debian's python3-gdal)"
    )
    done = subprocess.run(
        [*command, str(tiny_out / "parcels.gpkg")], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_csv_has_a_bom_and_round_trips(tiny_out: Path) -> None:
    written = sorted(p.name for p in tiny_out.glob("*.csv"))
    assert written == sorted(CSVS)
    for name in CSVS:
        raw = (tiny_out / name).read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf"), name
        assert raw[3:].decode("utf-8")  # the rest is plain UTF-8
    scenario, site, result = load_and_simulate(tiny_out.parent / "tiny.toml")
    read = pd.read_csv(tiny_out / "summary.csv", encoding="utf-8-sig").drop(columns=NAMES)
    pd.testing.assert_frame_equal(read, result.summary_frame(), check_dtype=False)  # full precision
    read = pd.read_csv(tiny_out / "summary_quarterly.csv", encoding="utf-8-sig")
    read = read.drop(columns=NAMES)
    pd.testing.assert_frame_equal(read, result.quarterly_frame(), check_dtype=False)
    # The others as their tables: a CSV has no types, so empty and missing read alike.
    outcome = compute(scenario, site)
    indicators = outcome.indicators
    assert indicators is not None
    for name, expected in (
        ("targets.csv", evaluate_targets(result, scenario.targets)),
        ("compliance.csv", compliance_by_year(result, scenario.rules)),
        ("audit_parks.csv", outcome.audit.park_years),
        ("parcel_indicators.csv", indicators.parcels),
        ("park_indicators.csv", indicators.parks),
    ):
        read = pd.read_csv(tiny_out / name, encoding="utf-8-sig").drop(columns=NAMES)
        read = read.drop(columns=["unit"]) if name == "targets.csv" else read  # added on writing
        pd.testing.assert_frame_equal(_values(read), _values(expected), check_dtype=False, obj=name)


@pytest.mark.parametrize("name", [n for n in CSVS if n != "assumptions.csv"])
def test_every_park_id_has_the_parks_names_beside_it(tiny_out: Path, name: str) -> None:
    table = pd.read_csv(tiny_out / name, encoding="utf-8-sig", dtype=str)
    columns = list(table.columns)
    at = columns.index("park_id")
    assert columns[at + 1 : at + 3] == NAMES
    parks = pyogrio.read_dataframe(tiny_out / "parcels.gpkg", layer="parks", read_geometry=False)
    expected = {
        **{r.park_id: (r.name_zh, r.name_en) for r in parks.itertuples()},
        "total": ("合计", "total"),
        "rest_of_city": ("全市其余", "rest of city"),
    }
    for row in table[["park_id", *NAMES]].drop_duplicates().itertuples(index=False):
        assert (row.park_name_zh, row.park_name_en) == expected[row.park_id], (name, row)
    assert {"甲园", "乙园"} & set(table["park_name_zh"])  # the tiny site's own names


def test_quarterly_summary_adds_up_to_the_yearly_one(tiny_out: Path) -> None:
    yearly = pd.read_csv(tiny_out / "summary.csv", encoding="utf-8-sig")
    quarterly = pd.read_csv(tiny_out / "summary_quarterly.csv", encoding="utf-8-sig")
    assert list(quarterly.columns) == ["period", *yearly.columns.drop("year")]
    # Periods read like 2016Q3: base year Q1 to horizon Q4, each with every park + total.
    periods = [f"{y}Q{q}" for y in range(2012, 2020) for q in range(1, 5)]
    assert quarterly["period"].drop_duplicates().to_list() == periods
    assert quarterly["period"].str.fullmatch(r"\d{4}Q[1-4]").all()
    assert len(quarterly) == 4 * len(yearly) == 32 * 3
    quarterly["year"] = quarterly["period"].str[:4].astype(int)
    keys = ["year", "park_id", *NAMES]
    stocks = [c for c in yearly.columns if c not in (*keys, *FLOWS)]
    assert {"floor_completed_m2", "floor_occupied_m2", "workers_persons"} <= set(stocks)
    assert set(FLOWS) <= set(yearly.columns)
    # Stocks: the Q4 rows are the year-end rows.
    q4 = quarterly[quarterly["period"].str.endswith("Q4")]
    pd.testing.assert_frame_equal(
        q4[keys + stocks].reset_index(drop=True), yearly[keys + stocks], check_dtype=False
    )
    # Flows: a year's four quarters sum to its row.
    summed = quarterly.groupby(keys, sort=False)[list(FLOWS)].sum().reset_index()
    pd.testing.assert_frame_equal(summed, yearly[keys + list(FLOWS)], check_dtype=False)
    assert yearly["revenue_cny"].sum() > 0 and yearly["investment_cny"].sum() > 0


def _values(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame``'s values, with empty text and every kind of missing value as NaN."""
    values = frame.reset_index(drop=True).astype(object)
    return values.where(values.notna() & (values != ""), np.nan)


#: A numeric column's name must end in its unit, or be one of these (fractions, years).
UNIT_SUFFIX = re.compile(
    r"(_m2|_cny|_ha|_mu|_wan_per_mu|_persons|_wan_per_ha|_yi_per_ha|_per_year|_parcels|_years|_left)"
    r"(_p\d+)?$"
)
DIMENSIONLESS = {"year", "share", "probability_met", "vacancy_rate"}  # fractions 0–1
# … and the indicator tables' ratios (plot ratios, shares of land, rates) and scores (points).
DIMENSIONLESS |= {
    "plot_ratio",
    "building_coefficient",
    "admin_share",
    "green_share",
    "score",
    "land_supply_rate",
    "land_built_rate",
    "composite_plot_ratio",
    "building_density",
    "idle_disposal_rate",
}


@pytest.mark.parametrize("name", CSVS)
def test_csv_columns_carry_units(tiny_out: Path, name: str) -> None:
    table = pd.read_csv(tiny_out / name, encoding="utf-8-sig")
    in_unit_column = {"target", "projected", "gap"} | {f"projected_p{q}" for q in (10, 50, 90)}
    for column in table.select_dtypes("number").columns:
        if table[column].isna().all():  # an empty text column (e.g. no sources) reads as NaN
            continue
        if column in DIMENSIONLESS or ("unit" in table and column in in_unit_column):
            continue
        assert UNIT_SUFFIX.search(column), f"{name}: column {column!r} has no unit"
    if name == "targets.csv":
        assert set(table["unit"]) <= {"m2", "CNY/yr", "persons"}


def test_run_json_records_inputs_and_outputs(tiny_out: Path) -> None:
    record = json.loads((tiny_out / "run.json").read_text(encoding="utf-8"))
    assert {"scenario_sha256", "inputs", "seed", "version", "command"} <= set(record)
    scenario = load_scenario(tiny_out.parent / "tiny.toml")
    assert record["scenario_sha256"] == scenario.sha256
    site = tiny_out.parent / "site.gpkg"  # parks and parcels
    assert record["inputs"] == {str(site.resolve()): file_sha256(site)}
    assert record["outputs"]["summary.csv"] == file_sha256(tiny_out / "summary.csv")
    assert record["outputs"]["parcels.gpkg"] == file_sha256(tiny_out / "parcels.gpkg")


# --- all or nothing ---------------------------------------------------------------------


def test_killed_run_leaves_previous_outputs(tmp_path: Path) -> None:
    """SIGKILL while the outputs are being written: the old folder survives intact."""
    out = tmp_path / "qd"
    argv = ["run", str(BASELINE), "--out", str(out), "-q"]
    subprocess.run([sys.executable, "-m", "sim", *argv, "--no-figures"], check=True, cwd=tmp_path)
    before = tree_snapshot(out)

    run = start_run_until_staged(argv, tmp_path, ".qd.tmp-*")  # with figures: seconds of writing
    try:
        run.send_signal(signal.SIGKILL)
    finally:
        run.communicate()
    assert run.returncode == -signal.SIGKILL
    assert tree_snapshot(out) == before  # byte for byte
    assert not (out / "figures").exists()

    # The next run sweeps the dead run's staging folder and replaces the outputs.
    subprocess.run([sys.executable, "-m", "sim", *argv, "--no-figures"], check=True, cwd=tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".qd")) == []
