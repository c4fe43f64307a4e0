"""A run's deliverables built from its output folder: ``report.html`` and ``results.xlsx``.

``OUTDIR ──render_report──▶ report.html``, ``OUTDIR ──write_workbook──▶ results.xlsx``

Both read only the files a run wrote (``run.json``, the CSVs, ``parcels.gpkg``,
``audit.json``, ``figures/``): they compute nothing, so ``parksim report OUTDIR``
rebuilds them from a folder alone. Which tables they hold is one list,
:data:`sim.report.sections.TABLES`.
"""

from __future__ import annotations

from sim.report.html import render_report
from sim.report.sections import TABLES, Table, tables_in
from sim.report.workbook import write_workbook

__all__ = ["TABLES", "Table", "render_report", "tables_in", "write_workbook"]
