"""`parksim run` and `parksim check` end to end on the tiny site and the baseline."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from sim.cli import main
from tests.conftest import BASELINE, TINY_RUN_FIGURES, tiny_toml, tree_snapshot

SUMMARY_COLUMNS = [
    "year", "park_id", "park_name_zh", "park_name_en", "floor_completed_m2",
    "floor_under_construction_m2", "floor_occupied_m2", "revenue_cny", "investment_cny",
    "workers_persons",
    "floor_sold_m2", "floor_started_m2", "floor_topped_out_m2", "floor_vacant_m2",
    "revenue_other_cny", "workers_other_persons", "base_floor_completed_m2",
    "base_floor_occupied_m2", "vacancy_rate",
]  # fmt: skip
PARCEL_COLUMNS = [
    "parcel_id", "park_id", "area_ha", "far", "capacity_m2", "release_year",
    "start_year", "completion_year", "floor_m2",
]  # fmt: skip


def test_run_writes_every_output(tiny_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tiny_dir / "out"
    assert main(["run", str(tiny_dir / "tiny.toml"), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "floor" in printed and "total" in printed

    raw = (out / "summary.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM so Excel reads UTF-8
    summary = pd.read_csv(out / "summary.csv", encoding="utf-8-sig")
    assert list(summary.columns) == SUMMARY_COLUMNS
    assert len(summary) == 8 * 3  # years × (2 parks + total)
    total_2016 = summary.query("year == 2016 and park_id == 'total'")
    # End of 2016 (tests/test_rules.py): first phases of P1, P2, P3 (7,500 m² each, done
    # 2015Q2, 2015Q4, 2016Q2), P4 (10,000, 2016Q4) and Q1's first 10,000 (2015Q1).
    assert total_2016["floor_completed_m2"].item() == pytest.approx(42_500)
    # Sold: all of A's capacity (55,000) and Q1's 20,000. Started: all of it too, the
    # second phases of P1–P3 as their first topped out (2015Q2, 2015Q4, 2016Q2), Q1's
    # in 2015Q1; so 75,000 − 42,500 is under construction.
    assert total_2016["floor_sold_m2"].item() == pytest.approx(75_000)
    assert total_2016["floor_started_m2"].item() == pytest.approx(75_000)
    assert total_2016["floor_under_construction_m2"].item() == pytest.approx(32_500)
    quarterly = pd.read_csv(out / "summary_quarterly.csv", encoding="utf-8-sig")
    assert quarterly["period"].iloc[0] == "2012Q1" and len(quarterly) == 4 * len(summary)
    q3 = quarterly.query("period == '2016Q3' and park_id == 'total'")
    assert q3["floor_completed_m2"].item() == pytest.approx(32_500)  # P4 not yet done

    targets = pd.read_csv(out / "targets.csv", encoding="utf-8-sig")
    assert {"metric", "park_id", "year", "target", "projected", "met"} <= set(targets.columns)
    assert len(targets) == 2

    parcels = gpd.read_file(out / "parcels.gpkg", layer="parcels")
    assert set(PARCEL_COLUMNS) <= set(parcels.columns)
    assert parcels.crs.to_epsg() == 4549
    assert parcels["floor_m2"].sum() == pytest.approx(
        summary.query("year == 2019 and park_id == 'total'")["floor_completed_m2"].item()
    )
    p4 = parcels.set_index("parcel_id").loc["P4"]
    assert p4["area_ha"] == pytest.approx(1.0)
    assert p4["far"] == pytest.approx(1.0)
    assert p4["completion_year"] == 2016  # started 2014Q4, built in 8 quarters
    parks = gpd.read_file(out / "parcels.gpkg", layer="parks")
    assert list(parks["park_id"]) == ["A", "B"]

    record = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert record["seed"] == 7
    assert len(record["scenario_sha256"]) == 64
    assert all(len(h) == 64 for h in record["inputs"].values())
    assert sorted(p.name for p in (out / "figures").iterdir()) == TINY_RUN_FIGURES
    for name in ("compliance.csv", "audit_parks.csv", "audit.json", "audit.md"):
        assert (out / name).is_file(), name
    assert (out / "audit_parks.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    audit = json.loads((out / "audit.json").read_text(encoding="utf-8"))
    assert {f["topic"] for f in audit["findings"]} >= {"capacity", "rules"}


def test_rerun_replaces_outputs(tiny_dir: Path) -> None:
    from sim.outputs import atomic_folder

    out = tiny_dir / "out"
    with atomic_folder(out) as staging:  # an older run's outputs, one this run does not write
        (staging / "stale.txt").write_text("from an older run")
    args = ["run", str(tiny_dir / "tiny.toml"), "--out", str(out), "--no-figures", "-q"]
    assert main(args) == 0
    assert not (out / "stale.txt").exists()
    assert (out / "summary.csv").exists()


def test_audit_reports_without_writing(tiny_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = tree_snapshot(tiny_dir)
    assert main(["audit", str(tiny_dir / "tiny.toml")]) == 0
    printed = capsys.readouterr().out
    assert "## Capacity" in printed and "## Rules" in printed
    assert tree_snapshot(tiny_dir) == before


def test_check_reports_ok(tiny_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(tiny_dir / "tiny.toml")]) == 0
    assert "ok" in capsys.readouterr().out


def test_baseline_scenario_runs(tmp_path: Path) -> None:
    """Smoke test: the shipped baseline scenario runs and meets its own invariants."""
    out = tmp_path / "qd"
    assert main(["run", str(BASELINE), "--out", str(out), "-q"]) == 0
    summary = pd.read_csv(out / "summary.csv", encoding="utf-8-sig")
    parks = summary[summary.park_id != "total"].groupby("year")["floor_completed_m2"].sum()
    total = summary[summary.park_id == "total"].set_index("year")["floor_completed_m2"]
    pd.testing.assert_series_equal(parks, total, check_names=False)
    assert total.is_monotonic_increasing
    parcels = gpd.read_file(out / "parcels.gpkg", layer="parcels")
    assert (parcels["floor_m2"] <= parcels["capacity_m2"] * (1 + 1e-9)).all()


def test_python_m_sim_is_the_cli() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "sim", "--help"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0
    assert "parksim" in done.stdout and "run" in done.stdout


MC_EXTRA = """
[market]
demand_sd = 0.3
correlation = 0.7
"""


def uncertain_tiny(tiny_dir: Path) -> Path:
    text = tiny_toml(
        ("duration_years = 2", 'duration_years = { dist = "triangular", min = 1, mode = 2, max = 4 }'),  # noqa: E501
        extra=MC_EXTRA,
    )  # fmt: skip
    path = tiny_dir / "uncertain.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_monte_carlo_run_outputs(tiny_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path, out = uncertain_tiny(tiny_dir), tiny_dir / "mc"
    assert main(["run", str(path), "--out", str(out), "--draws", "400", "--seed", "3"]) == 0
    assert "P(met)" in capsys.readouterr().out
    summary = pd.read_csv(out / "summary.csv", encoding="utf-8-sig")
    for name in (
        "floor_completed_m2",
        "floor_under_construction_m2",
        "revenue_cny",
        "workers_persons",
    ):
        for q in ("p10", "p50", "p90"):
            assert f"{name}_{q}" in summary.columns
        assert (summary[f"{name}_p10"] <= summary[f"{name}_p90"] + 1e-9).all()
    targets = pd.read_csv(out / "targets.csv", encoding="utf-8-sig")
    assert targets["probability_met"].between(0, 1).all()
    record = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert record["draws"] == 400 and record["seed"] == 3
    figures = {p.name for p in (out / "figures").iterdir()}
    assert {"floor_fan_chart.png", "target_probability_by_year.png"} <= figures


def test_same_seed_same_files_other_seed_differs(tiny_dir: Path) -> None:
    path = uncertain_tiny(tiny_dir)

    def outputs(seed: str, name: str) -> tuple[bytes, bytes]:
        out = tiny_dir / name
        args = ["run", str(path), "--out", str(out), "--draws", "300", "--seed", seed]
        assert main([*args, "--no-figures", "-q", "--chunk-size", "64"]) == 0
        return (out / "summary.csv").read_bytes(), (out / "targets.csv").read_bytes()

    first, again, other = outputs("5", "a"), outputs("5", "b"), outputs("6", "c")
    assert first == again
    assert first[0] != other[0]


def test_one_draw_has_no_percentiles(tiny_dir: Path) -> None:
    out = tiny_dir / "one"
    path = uncertain_tiny(tiny_dir)
    assert main(["run", str(path), "--out", str(out), "--draws", "1", "-q", "--no-figures"]) == 0
    summary = pd.read_csv(out / "summary.csv", encoding="utf-8-sig")
    assert not any(c.endswith("_p50") for c in summary.columns)


def test_bad_draws_is_a_usage_error(tiny_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["run", str(tiny_dir / "tiny.toml"), "--draws", "0"])
    assert stop.value.code == 2
    assert "≥ 1" in capsys.readouterr().err


def test_run_figures_in_english(tiny_dir: Path) -> None:
    out = tiny_dir / "en"
    args = ["run", str(uncertain_tiny(tiny_dir)), "--out", str(out), "--lang", "en", "-q"]
    assert main([*args, "--draws", "50"]) == 0
    figures = {p.name for p in (out / "figures").iterdir()}
    assert {"floor_fan_chart.png", "status_map_2019.png"} <= figures


def test_run_rejects_an_unknown_language(tiny_dir: Path) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["run", str(tiny_dir / "tiny.toml"), "--lang", "fr"])
    assert stop.value.code == 2
