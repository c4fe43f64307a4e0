"""Every shipped scenario in scenarios/ checks and runs end to end.

The scenarios are found with a glob, so a new file there is covered without editing this
test: ``parksim check`` must pass and ``parksim run --no-figures`` (deterministic, and
with a few draws) must exit 0 having written every output file and nothing else, all of
them listed in the folder's marker.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from sim.cli import main
from sim.outputs import MARKER
from sim.scenario import load_scenario
from tests.conftest import ROOT, SCENARIOS

#: What ``parksim run --no-figures`` writes.
OUTPUTS = {
    "summary.csv",
    "summary_quarterly.csv",
    "targets.csv",
    "compliance.csv",
    "audit_parks.csv",
    "audit.json",
    "audit.md",
    "parcels.gpkg",
    "assumptions.csv",
    "report.html",
    "results.xlsx",
    "run.json",
    "parcel_indicators.csv",
    "park_indicators.csv",
}
#: … and with ``[applicants]``.
APPLICANT_OUTPUTS = {"applicants.csv", "applicants_by_year.csv"}


#: What it writes besides for a scenario with a fiscal side ([firms], [[incentives]], [fiscal]).
FISCAL_OUTPUTS = {"fiscal.csv", "fiscal_payback.csv"}


def expected_outputs(scenario: Path) -> set[str]:
    """The files a run of ``scenario`` writes (without figures)."""
    loaded = load_scenario(scenario)
    fiscal = loaded.firms is not None or loaded.incentives or loaded.fiscal is not None
    expected = OUTPUTS | (FISCAL_OUTPUTS if fiscal else set())
    return expected | (APPLICANT_OUTPUTS if loaded.applicants else set())


def assert_outputs(out: Path, expected: set[str] = OUTPUTS) -> None:
    """``out`` holds every output, not empty, and the marker, which lists them all."""
    assert {p.name for p in out.iterdir()} == expected | {MARKER}
    marker = json.loads((out / MARKER).read_text(encoding="utf-8"))
    assert set(marker["files"]) == expected
    for name in expected:
        assert (out / name).stat().st_size > 0, name


def test_scenarios_are_found() -> None:
    assert {p.name for p in SCENARIOS} >= {"qingdao_2012.toml"}


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda p: str(p.relative_to(ROOT)))
def test_scenario_checks(scenario: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(scenario)]) == 0
    assert "ok" in capsys.readouterr().out


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda p: str(p.relative_to(ROOT)))
def test_scenario_runs(scenario: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert main(["run", str(scenario), "--out", str(out), "--no-figures"]) == 0
    printed = capsys.readouterr()
    assert printed.err == ""
    assert "total" in printed.out
    assert_outputs(out, expected_outputs(scenario))
    record = json.loads((out / "run.json").read_text(encoding="utf-8"))
    summary = pd.read_csv(out / "summary.csv", encoding="utf-8-sig")
    assert "total" in set(summary["park_id"])
    assert sorted(set(summary["year"])) == list(load_scenario(scenario).years)
    assert record["outputs"].keys() >= OUTPUTS - {"run.json"}


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda p: str(p.relative_to(ROOT)))
def test_scenario_runs_with_draws(scenario: Path, tmp_path: Path) -> None:
    """The Monte Carlo path too (a scenario without distributions gives equal draws)."""
    out = tmp_path / "out"
    argv = ["run", str(scenario), "--out", str(out), "--no-figures", "-q", "--draws", "20"]
    assert main(argv) == 0
    assert_outputs(out, expected_outputs(scenario))
    summary = pd.read_csv(out / "summary.csv", encoding="utf-8-sig")
    low, mid, high = (summary[f"floor_completed_m2_{q}"] for q in ("p10", "p50", "p90"))
    assert ((low <= mid + 1e-9) & (mid <= high + 1e-9)).all()
