"""results.xlsx through a second real client: LibreOffice Calc converts it headless and the
copy, read back with openpyxl, holds the same sheets, text and numbers in every cell.
(Frozen header rows are checked on our file in tests/test_report.py: a headless conversion
has no view, and LibreOffice drops every sheet's view settings, frozen panes included,
even from a file openpyxl writes in its ordinary mode.)

``make test`` installs Debian's ``libreoffice-calc-nogui`` when it is missing (Makefile);
without it the test fails and says so, as the browser tests do without Chromium.
"""

from __future__ import annotations

import math
import shutil
import subprocess
from pathlib import Path

from openpyxl import load_workbook

from sim.cli import main
from tests.conftest import TINY_TOML, write_tiny_site

MISSING = "LibreOffice is missing; `make test` installs Debian's libreoffice-calc-nogui"


def _soffice() -> str:
    found = shutil.which("soffice") or shutil.which("libreoffice")
    assert found is not None, MISSING
    return found


def _same(original: object, copy: object) -> bool:
    """Whether a cell survived: text as text, numbers as numbers (booleans as truth)."""
    if isinstance(original, bool):
        return copy in (original, int(original))
    if isinstance(original, int | float):
        if not isinstance(copy, int | float) or isinstance(copy, bool):
            return False
        return math.isclose(float(original), float(copy), rel_tol=1e-12, abs_tol=1e-9)
    return original == copy


def test_libreoffice_reads_every_sheet_as_written(tmp_path: Path) -> None:
    soffice = _soffice()
    write_tiny_site(tmp_path / "site.gpkg")
    (tmp_path / "tiny.toml").write_text(TINY_TOML, encoding="utf-8")
    out = tmp_path / "out"
    assert main(["run", str(tmp_path / "tiny.toml"), "--out", str(out), "-q", "--no-figures"]) == 0
    converted = tmp_path / "calc"
    profile = (tmp_path / "profile").as_uri()  # its own profile: no lock on a shared one
    done = subprocess.run(
        [soffice, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "xlsx",
         "--outdir", str(converted), str(out / "results.xlsx")],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    ours = load_workbook(out / "results.xlsx")
    theirs = load_workbook(converted / "results.xlsx", data_only=True)  # TRUE() as its value
    assert theirs.sheetnames == ours.sheetnames
    for name in ours.sheetnames:
        mine, calc = ours[name], theirs[name]
        assert (calc.max_row, calc.max_column) == (mine.max_row, mine.max_column), name
        for row, copy in zip(mine.iter_rows(), calc.iter_rows(), strict=True):
            for cell, other in zip(row, copy, strict=True):
                assert _same(cell.value, other.value), (
                    name,
                    cell.coordinate,
                    cell.value,
                    other.value,
                )
    summary = theirs["summary"]
    heads = [c.value for c in summary[2]]
    assert summary.cell(3, heads.index("park_name_zh") + 1).value == "甲园"  # no mojibake
    assert summary.cell(3, heads.index("park_id") + 1).data_type == "s"  # ids stay text
