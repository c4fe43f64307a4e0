"""The tables of a run's deliverables, in order: one line per output table.

``OUTDIR files ──tables_in──▶ [(Table, path)]`` read by the report (:mod:`sim.report.html`)
and the workbook (:mod:`sim.report.workbook`) alike. A later output joins both with
one line in :data:`TABLES` (say ``Table("fiscal", "fiscal.csv", "财政", "Fiscal")``);
a CSV a run wrote that no line names is still included, after the known ones, under
its own name, so nothing a run wrote is left out. :func:`read_table` reads any of them
back, text columns as text.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from sim.report.labels import ID_COLUMNS, csv_dtypes

__all__ = ["TABLES", "Table", "read_csv_table", "read_table", "tables_in"]


@dataclass(frozen=True)
class Table:
    """One output table as the deliverables show it.

    Attributes
    ----------
    sheet
        Worksheet name (≤ 31 characters) and the report's anchor.
    file
        The file in the output folder: a CSV, or ``parcels.gpkg:<layer>``.
    title_zh, title_en
        Headings.
    in_report
        Whether the HTML report shows the table itself (long per-parcel tables are
        only in the workbook).
    per_park
        The sheets that hold this per-parcel table's content per park (and year),
        which the workbook points to when the table is too long for a sheet.
    """

    sheet: str
    file: str
    title_zh: str
    title_en: str
    in_report: bool = True
    per_park: tuple[str, ...] = ()


#: The deliverables' tables, in order.
TABLES: tuple[Table, ...] = (
    Table("summary", "summary.csv", "逐年汇总", "Summary by year", in_report=False),
    Table("targets", "targets.csv", "目标与预测", "Targets against projections"),
    Table("parks", "parcels.gpkg:parks", "园区", "Parks"),
    Table(
        "parcels",
        "parcels.gpkg:parcels",
        "地块",
        "Parcels",
        in_report=False,
        per_park=("parks", "park_indicators"),
    ),
    Table(
        "compliance",
        "compliance.csv",
        "准入指标逐年",
        "Admission rules by year",
        in_report=False,
        per_park=("audit_parks",),
    ),
    Table("audit", "audit_parks.csv", "审查：园区逐年", "Audit: parks by year", in_report=False),
    Table(
        "assumptions", "assumptions.csv", "假设与来源", "Assumptions and sources", in_report=False
    ),
    Table("quarterly", "summary_quarterly.csv", "逐季汇总", "Summary by quarter", in_report=False),
    Table(
        "park_indicators", "park_indicators.csv", "园区集约利用评价", "Parks' land-use indicators"
    ),
    Table(
        "parcel_indicators",
        "parcel_indicators.csv",
        "地块亩均效益",
        "Parcels' per-mu indicators",
        in_report=False,
        per_park=("park_indicators",),
    ),
    Table("applicants_by_year", "applicants_by_year.csv", "项目准入逐年", "Admission by year"),
    Table(
        "applicants",
        "applicants.csv",
        "申请项目",
        "Applicant projects",
        in_report=False,
        per_park=("applicants_by_year",),
    ),
    Table("fiscal_payback", "fiscal_payback.csv", "财政回收期", "Fiscal payback"),
    Table("fiscal", "fiscal.csv", "财政收支", "Fiscal ledger", in_report=False),
)


def tables_in(folder: Path) -> list[tuple[Table, Path]]:
    r"""List the tables of :data:`TABLES` present in ``folder``, then every other CSV there.

    Parameters
    ----------
    folder
        A run's output folder.

    Returns
    -------
    list
        ``(Table, path)``; for a GeoPackage layer, ``path`` is the GeoPackage.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     _ = (Path(tmp) / "targets.csv").write_text("a\\n")
    ...     _ = (Path(tmp) / "fiscal.csv").write_text("a\\n")
    ...     [t.sheet for t, _ in tables_in(Path(tmp))]
    ['targets', 'fiscal']
    """
    found: list[tuple[Table, Path]] = []
    known = set()
    for table in TABLES:
        name = table.file.partition(":")[0]
        known.add(name)
        if (folder / name).is_file():
            found.append((table, folder / name))
    for path in sorted(folder.glob("*.csv")):
        if path.name not in known:
            found.append((Table(path.stem[:31], path.name, path.stem, path.stem), path))
    return found


def read_csv_table(path: Path) -> pd.DataFrame:
    r"""Read an output CSV as written (UTF-8 with a BOM), its text columns as text.

    Parameters
    ----------
    path
        A CSV of the run (:func:`sim.export.write_csv`).

    Returns
    -------
    pandas.DataFrame
        The table; identifiers and other text columns (:data:`sim.report.labels.TEXT_COLUMNS`)
        as strings, empty cells missing.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = Path(tmp) / "t.csv"
    ...     _ = path.write_text("park_id,score\n01,2.5\n", encoding="utf-8-sig")
    ...     read_csv_table(path)["park_id"].tolist()
    ['01']
    """
    return pd.read_csv(path, encoding="utf-8-sig", dtype=csv_dtypes())


def read_table(table: Table, path: Path) -> pd.DataFrame:
    """Read one table of :func:`tables_in`: a CSV, or a GeoPackage layer's attributes.

    Parameters
    ----------
    table
        Its line of :data:`TABLES` (for a layer, ``file`` names it).
    path
        The file (:func:`tables_in` gives both).

    Returns
    -------
    pandas.DataFrame
        The table without geometry; identifiers as text.
    """
    if path.suffix == ".gpkg":
        import pyogrio

        layer = table.file.partition(":")[2]
        frame = pd.DataFrame(pyogrio.read_dataframe(path, layer=layer, read_geometry=False))
        return frame.astype({c: str for c in ID_COLUMNS if c in frame.columns})
    return read_csv_table(path)
