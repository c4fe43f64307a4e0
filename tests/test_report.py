"""The deliverables built from a run's folder: report.html's content, results.xlsx read back,
``parksim report`` rebuilding both, and each scenario value listed with its source."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from markupsafe import escape
from openpyxl import load_workbook

from sim.assumptions import assumptions_from_text
from sim.cli import main
from sim.outputs import MARKER, file_sha256
from sim.report import render_report, write_workbook
from sim.report.labels import column_label
from tests.conftest import BASELINE, TINY_TOML, write_tiny_site

SHEETS = ["summary", "targets", "parks", "parcels", "compliance", "audit", "audit_parks"]


@pytest.fixture(scope="module")
def run_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("deliverables")
    write_tiny_site(folder / "site.gpkg")
    (folder / "tiny.toml").write_text(TINY_TOML, encoding="utf-8")
    out = folder / "out"
    assert main(["run", str(folder / "tiny.toml"), "--out", str(out), "-q", "--no-figures"]) == 0
    return out


def test_run_writes_report_and_workbook_listed_in_run_json(run_out: Path) -> None:
    record = json.loads((run_out / "run.json").read_text(encoding="utf-8"))
    for name in ("report.html", "results.xlsx", "assumptions.csv"):
        assert record["outputs"][name] == file_sha256(run_out / name)


def test_report_shows_targets_parks_audit_assumptions_and_provenance(run_out: Path) -> None:
    html = (run_out / "report.html").read_text(encoding="utf-8")
    record = json.loads((run_out / "run.json").read_text(encoding="utf-8"))
    targets = pd.read_csv(run_out / "targets.csv", encoding="utf-8-sig")
    met = int(targets["met"].sum())
    assert f"<strong>{met}</strong> / {len(targets)} 项目标预计达成" in html
    assert f"<strong>{met}</strong> of {len(targets)} targets" in html
    for section in ("headline", "parks", "audit", "assumptions", "provenance"):
        assert f'<section id="{section}"' in html
    assert "甲园" in html and "Park A" in html
    assert record["scenario_sha256"] in html and record["created_utc"] in html
    assert f"<dd>{record['seed']}</dd>" in html
    audit = json.loads((run_out / "audit.json").read_text(encoding="utf-8"))
    assert audit["findings"] and all(escape(f["message"]) in html for f in audit["findings"])
    assert 'id="uncertainty"' not in html  # a deterministic run has no bands
    assert "figure-" not in html  # --no-figures: no figures section


def test_every_assumption_appears_with_its_source() -> None:
    text = BASELINE.read_text(encoding="utf-8")
    rows = assumptions_from_text(text, file=BASELINE.name)
    defaults = rows[rows["table"] == "defaults"].set_index("key")
    assert defaults.loc["duration_years", "value"] == "2.9"
    assert defaults.loc["duration_years", "source"].startswith("REF: 国际创新园 ph1")
    # A comment above a key is its source; a table's source field is its values' source.
    comm = rows[rows["table"] == "parks.comm_park"].set_index("key")
    assert comm.loc["land_supply_per_year", "source"].startswith("Programme 100万 m²")
    first = rows[rows["table"] == "targets[0]"].set_index("key")
    assert first.loc["value", "source"].startswith("POLICY 二、（二）")
    assert "source" not in set(rows["key"])
    # Every park assumption, target and benchmark of the baseline cites a source.
    cited = rows[rows["table"].str.match(r"(defaults|parks\.|targets|benchmarks|committed)")]
    assert (cited["source"] != "").all(), cited[cited["source"] == ""]


def test_report_rebuilds_from_the_folder_alone_and_keeps_it_parksims(run_out: Path) -> None:
    before = (run_out / "report.html").read_text(encoding="utf-8")
    (run_out / "report.html").unlink()
    (run_out / "results.xlsx").unlink()
    assert main(["report", str(run_out), "-q"]) == 0
    rebuilt = (run_out / "report.html").read_text(encoding="utf-8")
    assert rebuilt == before  # nothing recomputed, nothing else read
    marker = json.loads((run_out / MARKER).read_text(encoding="utf-8"))
    assert marker["files"]["results.xlsx"]["sha256"] == file_sha256(run_out / "results.xlsx")
    # The folder is still parksim's: a later run replaces it without --force.
    scenario = run_out.parent / "tiny.toml"
    assert main(["run", str(scenario), "--out", str(run_out), "-q", "--no-figures"]) == 0


def test_report_of_a_folder_that_is_not_a_run(tmp_path: Path, cli_error: object) -> None:
    message = cli_error(["report", str(tmp_path)])  # type: ignore[operator]
    assert "no run.json" in message and "parksim run" in message


def test_a_later_csv_joins_report_and_workbook(run_out: Path, tmp_path: Path) -> None:
    folder = tmp_path / "copy"
    shutil.copytree(run_out, folder)
    pd.DataFrame({"park_id": ["A"], "revenue_tax_cny": [1.5e6]}).to_csv(
        folder / "later_table.csv", index=False, encoding="utf-8-sig"
    )
    assert '<section id="table-later_table"' in render_report(folder)
    book = load_workbook(write_workbook(folder))
    assert book.sheetnames[-1] == "later_table"  # after every table the deliverables name
    assert book["later_table"]["B3"].value == 1.5e6


def test_workbook_sheets_headers_types_formats(run_out: Path) -> None:
    book = load_workbook(run_out / "results.xlsx")
    assert book.sheetnames[: len(SHEETS)] == SHEETS
    for name in SHEETS:
        sheet = book[name]
        assert sheet.freeze_panes == "A3", name
        columns = [c.value for c in sheet[2]]
        assert [c.value for c in sheet[1]] == [column_label(c)[0] for c in columns]
        for column in columns:  # every column of the run's tables has a Chinese heading
            assert column_label(column)[0] != column or column in ("check",), (name, column)
        for letter, dimension in sheet.column_dimensions.items():
            assert dimension.width and dimension.width >= 4, (name, letter)
    summary = book["summary"]
    columns = [c.value for c in summary[2]]
    row = {c: summary.cell(3, j + 1) for j, c in enumerate(columns)}
    csv = pd.read_csv(run_out / "summary.csv", encoding="utf-8-sig")
    assert row["year"].value == int(csv["year"][0]) and row["year"].number_format == "0"
    assert row["park_id"].data_type == "s" and row["park_id"].number_format == "@"
    assert row["park_name_zh"].value == "甲园"
    assert row["floor_sold_m2"].value == pytest.approx(csv["floor_sold_m2"][0])
    assert row["floor_sold_m2"].number_format == "#,##0"
    targets = book["targets"]
    heads = [c.value for c in targets[2]]
    share = targets.cell(3, heads.index("share") + 1)
    assert isinstance(share.value, float) and share.number_format == "0.0%"
    assert isinstance(targets.cell(3, heads.index("met") + 1).value, bool)
    parcels = book["parcels"]
    heads = [c.value for c in parcels[2]]
    ids = [parcels.cell(r, heads.index("parcel_id") + 1).value for r in range(3, 8)]
    assert ids == ["P1", "P2", "P3", "P4", "Q1"]
    assert parcels.max_row == 2 + 5


def test_workbook_leaves_out_tables_above_the_row_limit_and_notes_where_they_are(
    run_out: Path, tmp_path: Path
) -> None:
    book = load_workbook(write_workbook(run_out, tmp_path / "limited.xlsx", row_limit=30))
    # compliance is 5 parcels × 8 years = 40 rows: left out whole, never cut.
    assert "compliance" not in book.sheetnames
    assert book["parcels"].max_row == 2 + 5  # 5 rows: kept whole
    assert book["audit_parks"].max_row == 2 + 24 and book["audit"].max_row > 2
    notes = [row[0] for row in book["notes"].iter_rows(values_only=True)]
    assert notes[0] == "说明 note"
    (line,) = [n for n in notes if str(n).startswith("compliance")]
    assert "40 行" in line and "compliance.csv" in line and "audit_parks" in line
    assert "40 rows, above the workbook's limit of 30 rows" in line
    for name in book.sheetnames:  # no sheet holds more than the limit
        assert book[name].max_row <= 2 + 30 or name == "notes", name


def test_a_small_run_keeps_every_row_and_has_no_notes(run_out: Path) -> None:
    book = load_workbook(run_out / "results.xlsx")
    assert "notes" not in book.sheetnames
    compliance = pd.read_csv(run_out / "compliance.csv", encoding="utf-8-sig")
    assert book["compliance"].max_row == 2 + len(compliance) == 2 + 40
    heads = [c.value for c in book["compliance"][2]]
    assert heads == list(compliance.columns)


def test_workbook_row_limit_outside_a_sheet_says_what_fits(run_out: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"row_limit must be 1 … 1,048,574 .* got 2,000,000"):
        write_workbook(run_out, tmp_path / "x.xlsx", row_limit=2_000_000)


def test_a_long_csv_with_a_late_text_value_reads_back_without_a_dtype_warning(
    run_out: Path, tmp_path: Path
) -> None:
    """score_class is empty for unscored parcels: pandas guessed float for the first chunks."""
    folder = tmp_path / "copy"
    shutil.copytree(run_out, folder)
    rows = 300_000
    classes = [""] * (rows - 1) + ["A"]
    pd.DataFrame({"parcel_id": range(rows), "score_class": classes}).to_csv(
        folder / "parcel_indicators.csv", index=False, encoding="utf-8-sig"
    )
    from sim.report.sections import TABLES, read_table

    table = next(t for t in TABLES if t.sheet == "parcel_indicators")
    frame = read_table(table, folder / "parcel_indicators.csv")  # warnings are errors here
    assert frame["score_class"].iloc[-1] == "A" and frame["score_class"].isna().sum() == rows - 1
    assert frame["parcel_id"].iloc[7] == "7"
    render_report(folder)  # the report and the workbook read it the same way
    book = load_workbook(write_workbook(folder, tmp_path / "x.xlsx", row_limit=rows))
    assert book["parcel_indicators"].cell(2 + rows, 2).value == "A"
