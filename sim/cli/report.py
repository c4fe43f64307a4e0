"""``parksim report``: rebuild a run's ``report.html`` and ``results.xlsx`` from its folder.

``OUTDIR (the files of parksim run) ──render_report / write_workbook──▶ OUTDIR`` — the
model is not run again. ``--pdf`` also prints ``report.pdf`` with headless Chromium.
Each file is replaced atomically and recorded in the folder's marker
(:func:`sim.outputs.atomic_member`), so the folder stays parksim's own.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from sim.cli._common import EXIT_OK, new_parser

__all__ = ["add", "run"]


def add(commands: Any) -> argparse.ArgumentParser:
    """Register ``parksim report``."""
    parser: argparse.ArgumentParser = new_parser(
        commands,
        "report",
        help="rebuild report.html and results.xlsx of a run's output folder",
        description="Rebuild report.html (one self-contained file, Chinese with an English "
        "toggle) and results.xlsx from the files of a parksim run, without running it again.",
        epilog="examples:\n  parksim report out/qingdao_2012\n"
        "  parksim report out/qingdao_2012 --pdf --lang en",
    )
    parser.add_argument("outdir", type=Path, help="output folder of parksim run")
    parser.add_argument(
        "--pdf", action="store_true", help="also print report.pdf (A4) with headless Chromium"
    )
    parser.add_argument(
        "--lang", choices=("zh", "en"), default="zh", help="language of the PDF (default zh)"
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="rebuild even if outputs were changed since parksim wrote them",
    )
    parser.add_argument("--quiet", "-q", action="store_true", help="print nothing on success")
    return parser


def run(args: argparse.Namespace, argv: list[str]) -> int:
    """Carry out ``parksim report``."""
    from sim.errors import OutputError
    from sim.outputs import atomic_member
    from sim.report import render_report, write_workbook

    folder: Path = args.outdir
    if not (folder / "run.json").is_file():
        raise OutputError(
            f"OUTDIR {folder}: no run.json there — expected the output folder of parksim "
            "run; run `parksim run SCENARIO --out FOLDER` first"
        )
    written = []
    with atomic_member(folder, "report.html", force=args.force) as temporary:
        temporary.write_text(render_report(folder), encoding="utf-8")
    written.append(folder / "report.html")
    with atomic_member(folder, "results.xlsx", force=args.force) as temporary:
        write_workbook(folder, temporary)
    written.append(folder / "results.xlsx")
    if args.pdf:
        from sim.report.pdf import print_pdf

        with atomic_member(folder, "report.pdf", force=args.force) as temporary:
            print_pdf(folder / "report.html", temporary, lang=args.lang)
        written.append(folder / "report.pdf")
    if not args.quiet:
        for path in written:
            print(f"wrote {path}")
    return EXIT_OK
