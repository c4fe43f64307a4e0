"""``results.xlsx``: a run's tables as one Excel workbook, built from its output folder.

``OUTDIR ──write_workbook──▶ results.xlsx`` (openpyxl; reads the CSVs, the GeoPackage's
attribute tables and ``audit.json``, computes nothing).

Sheets, in order: ``summary``, ``targets``, ``parks``, ``parcels``, ``compliance``,
``audit`` (the audit's findings, then its per-park table as ``audit_parks``), then every
other table of :func:`sim.report.sections.tables_in` (assumptions, quarterly summary,
and any CSV a later step writes). Each sheet has two header rows — Chinese, then the
column's own name (English, as in the CSV) — frozen above the data, with an autofilter;
numbers are numbers with a format chosen by unit (:func:`sim.report.labels.number_format`),
identifiers are text, flags are booleans, and each column is as wide as its content.

The workbook is for people; the CSVs and the GeoPackage carry everything. A table of
more than :data:`SHEET_ROW_LIMIT` rows — on a large site the per-parcel tables
(``parcels``, ``compliance``: one row per parcel and year, ``parcel_indicators``) — is
left out, and a ``notes`` sheet names the file that holds it in full and the sheets that
hold it per park (and year) (:attr:`sim.report.sections.Table.per_park`:
``audit_parks`` for ``compliance``, ``park_indicators`` for the parcels' indicators).
Left out, not aggregated here: those per-park tables are the model's own (area-weighted
densities, counts of parcels meeting each rule), and a writer that averaged the rows
again would compute — and could contradict — them. The Qingdao baseline's tables are
all far below the limit, so its workbook holds every row.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd

from sim.report.labels import ID_COLUMNS, column_label, number_format
from sim.report.sections import Table, read_table, tables_in

__all__ = [
    "EXCEL_ROWS",
    "HEADER_ROWS",
    "SHEET_ROW_LIMIT",
    "LeftOut",
    "WorkbookTables",
    "workbook_tables",
    "write_workbook",
]

#: Header rows above the data of every sheet: Chinese headings, then column names.
HEADER_ROWS = 2
#: Rows an Excel sheet holds.
EXCEL_ROWS = 1_048_576
#: Data rows above which a table is left out of the workbook (its file holds it whole;
#: ``notes`` says where). 50,000 rows is past what anyone reads in a sheet, and keeps
#: the workbook to seconds and tens of MB: openpyxl writes ≈ 50,000 cells a second, and
#: a 100,000-parcel site's per-parcel tables are 17 million cells (≈ 4 minutes).
SHEET_ROW_LIMIT = 50_000
_MAX_WIDTH = 48


@dataclass(frozen=True)
class LeftOut:
    """A table too long for the workbook: where it is instead.

    Attributes
    ----------
    sheet
        The sheet it would have been.
    rows
        Its rows.
    source
        The file holding every row (``compliance.csv``; ``parcels.gpkg`` layer ``parcels``).
    per_park
        Sheets of the workbook holding it per park (and year).
    """

    sheet: str
    rows: int
    source: str
    per_park: tuple[str, ...]

    def note(self, limit: int) -> str:
        """Say in both languages that the table was left out, and where it is.

        Examples
        --------
        >>> left = LeftOut("compliance", 895_113, "compliance.csv", ("audit_parks",))
        >>> left.note(50_000).split("；")[0]
        'compliance：895,113 行，超过每表 50,000 行的上限，未列入本工作簿'
        """
        zh = f"{self.sheet}：{self.rows:,} 行，超过每表 {limit:,} 行的上限，未列入本工作簿；"
        zh += f"全部数据见 {self.source}"
        en = f"{self.sheet}: {self.rows:,} rows, above the workbook's limit of {limit:,} rows a "
        en += f"sheet, so left out; every row is in {self.source}"
        if self.per_park:
            sheets = ", ".join(self.per_park)
            zh += f"，按园区汇总见工作表 {sheets}"
            en += f", per park in sheet(s) {sheets}"
        return f"{zh} — {en}"


@dataclass(frozen=True)
class WorkbookTables:
    """What :func:`write_workbook` writes: the sheets, and the tables left out."""

    sheets: dict[str, pd.DataFrame]
    left_out: list[LeftOut]


def _csv_rows(path: Path) -> int:
    """Bound a CSV's data rows from above by its line count (a quoted field may break)."""
    with path.open("rb") as file:
        lines = sum(chunk.count(b"\n") for chunk in iter(lambda: file.read(1 << 20), b""))
    return max(lines - 1, 0)


def _rows(table: Table, path: Path, limit: int) -> int | None:
    """Count the table's rows when they pass ``limit``, else None (no full read).

    A CSV whose lines pass the limit is recounted by the CSV parser, one column read.
    """
    if path.suffix == ".gpkg":
        import pyogrio

        rows = int(pyogrio.read_info(path, layer=table.file.partition(":")[2])["features"])
        return rows if rows > limit else None
    if _csv_rows(path) <= limit:
        return None
    rows = len(pd.read_csv(path, encoding="utf-8-sig", usecols=[0], dtype=str))
    return rows if rows > limit else None


def _findings(folder: Path) -> pd.DataFrame | None:
    path = folder / "audit.json"
    if not path.is_file():
        return None
    findings = json.loads(path.read_text(encoding="utf-8")).get("findings", [])
    columns = ["topic", "check", "scope", "year", "ok", "found", "expected", "unit", "message"]
    frame = pd.DataFrame(findings, columns=columns)
    return frame.astype({"found": float, "expected": float})


def workbook_tables(folder: Path, *, row_limit: int = SHEET_ROW_LIMIT) -> WorkbookTables:
    """Read the sheets of ``results.xlsx`` from a folder, in order, and list those left out.

    Parameters
    ----------
    folder
        A run's output folder.
    row_limit
        Data rows above which a table is left out (:data:`SHEET_ROW_LIMIT`); at most
        :data:`EXCEL_ROWS` − :data:`HEADER_ROWS`.

    Returns
    -------
    WorkbookTables
        Sheet name → frame, and the tables left out (never read whole).

    Raises
    ------
    ValueError
        When ``row_limit`` is not between 1 and what a sheet holds.
    """
    if not 1 <= row_limit <= EXCEL_ROWS - HEADER_ROWS:
        raise ValueError(
            f"write_workbook: row_limit must be 1 … {EXCEL_ROWS - HEADER_ROWS:,} (an Excel "
            f"sheet less its {HEADER_ROWS} header rows), got {row_limit:,}; pass a smaller one"
        )
    sheets: dict[str, pd.DataFrame] = {}
    left_out: list[LeftOut] = []
    for table, path in tables_in(folder):
        if table.sheet == "audit":  # the findings (audit.json), then audit_parks.csv
            findings = _findings(folder)
            if findings is not None:
                sheets["audit"] = findings
            table = replace(table, sheet="audit_parks")
        rows = _rows(table, path, row_limit)
        if rows is None:
            sheets[table.sheet] = read_table(table, path)
        else:
            name, _, layer = table.file.partition(":")
            source = f"{name} layer {layer}" if layer else name
            left_out.append(LeftOut(table.sheet, rows, source, table.per_park))
    return WorkbookTables(sheets, left_out)


def _cell(value: Any, column: str) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if column in ID_COLUMNS:
        return str(value)
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return value


def write_workbook(
    folder: Path, path: Path | None = None, *, row_limit: int = SHEET_ROW_LIMIT
) -> Path:
    """Write ``results.xlsx`` for a run's output folder.

    Parameters
    ----------
    folder
        The output folder of ``parksim run``.
    path
        Where to write (default ``folder / "results.xlsx"``); the caller makes it atomic.
    row_limit
        Data rows above which a table is left out, with a line in ``notes``
        (:data:`SHEET_ROW_LIMIT`).

    Returns
    -------
    pathlib.Path
        The workbook.
    """
    from openpyxl import Workbook

    path = folder / "results.xlsx" if path is None else path
    tables = workbook_tables(folder, row_limit=row_limit)
    # Write-only: rows stream to the file; each cell carries its own number format
    # (openpyxl reads it back).
    book = Workbook(write_only=True)
    for name, frame in tables.sheets.items():
        _write_sheet(book, name, frame)
    if tables.left_out:
        notes = book.create_sheet("notes")
        notes.append(["说明 note"])
        for left in tables.left_out:
            notes.append([left.note(row_limit)])
        notes.column_dimensions["A"].width = 120
    book.save(path)
    return path


def _write_sheet(book: Any, name: str, frame: pd.DataFrame) -> None:
    """Append one table as a sheet: two frozen header rows, formats by column."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    bold, wrap = Font(bold=True), Alignment(wrap_text=True, vertical="top")
    sheet = book.create_sheet(name)
    columns = [str(c) for c in frame.columns]
    formats = []
    for j, column in enumerate(columns, start=1):
        series = frame[column]
        boolean = pd.api.types.is_bool_dtype(series)
        numeric = pd.api.types.is_numeric_dtype(series) and not boolean
        text = column in ID_COLUMNS or not numeric
        formats.append("General" if boolean else "@" if text else number_format(column))
        sample = max((len(str(v)) for v in series.head(200)), default=0)
        width = max(len(column), _display_width(column_label(column)[0]), int(sample or 0))
        sheet.column_dimensions[get_column_letter(j)].width = min(_MAX_WIDTH, width + 2)
    sheet.freeze_panes = f"A{HEADER_ROWS + 1}"
    if columns:
        last = get_column_letter(len(columns))
        sheet.auto_filter.ref = f"A{HEADER_ROWS}:{last}{HEADER_ROWS + len(frame)}"

    def header(values: list[str]) -> list[Any]:
        cells = []
        for value in values:
            cell = WriteOnlyCell(sheet, value=value)
            cell.font, cell.alignment = bold, wrap
            cells.append(cell)
        return cells

    sheet.append(header([column_label(c)[0] for c in columns]))
    sheet.append(header(columns))
    for row in frame.itertuples(index=False, name=None):
        cells = []
        for value, column, style in zip(row, columns, formats, strict=True):
            cell = WriteOnlyCell(sheet, value=_cell(value, column))
            cell.number_format = style
            cells.append(cell)
        sheet.append(cells)


def _display_width(text: str) -> int:
    """Width in Excel character units: CJK characters count double."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)
