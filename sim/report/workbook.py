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
A table longer than a sheet (:data:`EXCEL_ROWS`) is cut, and a ``notes`` sheet says so.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pandas as pd

from sim.report.labels import ID_COLUMNS, column_label, number_format
from sim.report.sections import Table, tables_in

__all__ = ["EXCEL_ROWS", "HEADER_ROWS", "workbook_frames", "write_workbook"]

#: Header rows above the data of every sheet: Chinese headings, then column names.
HEADER_ROWS = 2
#: Rows an Excel sheet holds; a longer table is cut there and the cut noted in ``notes``
#: (its CSV holds every row).
EXCEL_ROWS = 1_048_576
_MAX_WIDTH = 48


def _read(table: Table, path: Path) -> pd.DataFrame:
    ids = {c: str for c in ID_COLUMNS}
    if path.suffix == ".gpkg":
        import pyogrio

        frame = pd.DataFrame(
            pyogrio.read_dataframe(path, layer=table.file.partition(":")[2], read_geometry=False)
        )
        return frame.astype({c: str for c in ID_COLUMNS if c in frame.columns})
    return pd.read_csv(path, encoding="utf-8-sig", dtype=ids)


def _findings(folder: Path) -> pd.DataFrame | None:
    path = folder / "audit.json"
    if not path.is_file():
        return None
    findings = json.loads(path.read_text(encoding="utf-8")).get("findings", [])
    columns = ["topic", "check", "scope", "year", "ok", "found", "expected", "unit", "message"]
    frame = pd.DataFrame(findings, columns=columns)
    return frame.astype({"found": float, "expected": float})


def workbook_frames(folder: Path) -> dict[str, pd.DataFrame]:
    """Read the sheets of ``results.xlsx`` from a folder, name → table, in order.

    Parameters
    ----------
    folder
        A run's output folder.

    Returns
    -------
    dict
        Sheet name → frame.
    """
    sheets: dict[str, pd.DataFrame] = {}
    for table, path in tables_in(folder):
        if table.sheet == "audit":
            findings = _findings(folder)
            if findings is not None:
                sheets["audit"] = findings
            sheets["audit_parks"] = _read(table, path)
        else:
            sheets[table.sheet] = _read(table, path)
    return sheets


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


def write_workbook(folder: Path, path: Path | None = None) -> Path:
    """Write ``results.xlsx`` for a run's output folder.

    Parameters
    ----------
    folder
        The output folder of ``parksim run``.
    path
        Where to write (default ``folder / "results.xlsx"``); the caller makes it atomic.

    Returns
    -------
    pathlib.Path
        The workbook.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    path = folder / "results.xlsx" if path is None else path
    # Write-only: rows stream to the file, so a 100,000-parcel sheet takes seconds, not
    # minutes; each cell carries its own number format (openpyxl reads it back).
    book = Workbook(write_only=True)
    bold, wrap = Font(bold=True), Alignment(wrap_text=True, vertical="top")
    cut: list[tuple[str, int, int]] = []
    for name, whole in workbook_frames(folder).items():
        frame = whole.iloc[: EXCEL_ROWS - HEADER_ROWS]
        if len(frame) < len(whole):
            cut.append((name, len(frame), len(whole)))
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

        def header(values: list[str], sheet: Any = sheet) -> list[Any]:
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
    if cut:
        notes = book.create_sheet("notes")
        notes.append(["说明 note"])
        for name, kept, rows in cut:
            notes.append(
                [f"{name}: 仅前 {kept:,} 行 (Excel 上限) — first {kept:,} of {rows:,} rows; "
                 "the CSV holds them all"]
            )  # fmt: skip
    book.save(path)
    return path


def _display_width(text: str) -> int:
    """Width in Excel character units: CJK characters count double."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)
