"""The table ``parksim run`` prints: parks by name, floor by stage, fits 80 columns."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.cli.run import _print_report
from sim.outcome import compute, load


def test_report_names_parks_shows_stages_and_fits_80_columns(
    tiny_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outcome = compute(*load(tiny_dir / "tiny.toml"))
    _print_report(outcome, tiny_dir / "out", width=80)
    printed = capsys.readouterr().out
    assert max(len(line) for line in printed.splitlines()) <= 80
    for name in ("甲园", "乙园", "合计 total"):  # the parks layer's names, and the total
        assert name in printed
    for column in ("sold", "started", "completed", "occupied", "vacancy"):
        assert column in printed
    horizon = int(outcome.result.years[-1])
    completed = outcome.result.by_park("floor_completed_m2")[0, -1].sum()
    assert f"{completed / 1e4:,.1f}" in printed
    assert f"end of {horizon}" in printed
