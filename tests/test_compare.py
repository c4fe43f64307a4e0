"""`parksim compare`: scenarios side by side, a tidy CSV and an overlay chart."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from sim.cli import main
from sim.compare import compare, comparison_frame, overlay_chart
from sim.plot.style import park_colour

FAST = """extends = "tiny.toml"
[scenario]
name = "tiny, more demand"
[defaults]
demand_per_year = "3万 m2"
"""


@pytest.fixture
def pair(tiny_dir: Path) -> list[Path]:
    fast = tiny_dir / "fast.toml"
    fast.write_text(FAST, encoding="utf-8")
    return [tiny_dir / "tiny.toml", fast]


def test_compare_tables(pair: list[Path]) -> None:
    result = compare(pair)
    assert result.labels == ("tiny", "fast")
    assert list(result.floor.index) == ["A", "B", "total"]
    assert (result.floor.loc["total", "fast"]) >= result.floor.loc["total", "tiny"]
    assert result.floor.loc["A", "tiny"] == pytest.approx(result.series["tiny"].iloc[-1] - 20_000)
    met = result.targets[("tiny", "met")]
    assert met.index.names == ["metric", "park_id", "year"] and len(met) == 2
    assert result.compliance.loc["parcels"].tolist() == [5, 5]
    assert result.series.index.tolist() == list(range(2012, 2020))

    frame = comparison_frame(result)
    assert set(frame["section"]) == {
        "floor_at_horizon", "target_projected", "target_met", "target_probability_met",
        "parcels_at_horizon", "floor_completed_total",
    }  # fmt: skip
    totals = frame[(frame.section == "floor_at_horizon") & (frame.park_id == "total")]
    assert totals.set_index("scenario")["value"].to_dict() == pytest.approx(
        result.floor.loc["total"].to_dict()
    )


def test_overlay_chart_draws_one_line_per_scenario(pair: list[Path]) -> None:
    result = compare(pair)
    fig, ax = overlay_chart(result, lang="en")
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == ["tiny", "fast"]
    assert [line.get_color() for line in lines] == [park_colour(0), park_colour(1)]
    assert lines[0].get_ydata()[-1] == pytest.approx(result.series["tiny"].iloc[-1] / 1e4)
    assert "Floor completed" in ax.get_ylabel()
    plt.close(fig)


def test_compare_command(
    pair: list[Path], tiny_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tiny_dir / "cmp"
    assert main(["compare", *map(str, pair), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "tiny" in printed and "fast" in printed and "meets both rules" in printed
    raw = (out / "comparison.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    table = pd.read_csv(out / "comparison.csv", encoding="utf-8-sig")
    assert set(table["scenario"]) == {"tiny", "fast"}
    columns = list(table.columns)
    at = columns.index("park_id")
    assert columns[at + 1 : at + 3] == ["park_name_zh", "park_name_en"]
    named = table.drop_duplicates("park_id").set_index("park_id")
    assert named.loc["A", "park_name_zh"] == "甲园" and named.loc["B", "park_name_en"] == "Park B"
    assert named.loc["total", "park_name_zh"] == "合计"
    assert "甲园" in printed  # the printed tables name parks too
    assert (out / "floor_overlay.png").stat().st_size > 10_000


def test_compare_with_draws_reports_probabilities(
    pair: list[Path], tiny_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tiny_dir / "cmp"
    args = ["compare", *map(str, pair), "--draws", "50", "--out", str(out), "--no-figures"]
    assert main(args) == 0
    assert "P(met) over 50 draws" in capsys.readouterr().out
    assert not (out / "floor_overlay.png").exists()


def test_compare_bad_input(
    pair: list[Path], tiny_dir: Path, cli_error: Callable[[list[str]], str]
) -> None:
    out = tiny_dir / "cmp"
    cases = [
        ([str(pair[0])], "two or more"),
        ([str(pair[0]), str(tiny_dir / "nope.toml")], "not found"),
    ]
    broken = tiny_dir / "broken.toml"
    broken.write_text('extends = "tiny.toml"\n[defaults]\nplot_ratio = "lots"\n', encoding="utf-8")
    cases.append(([str(pair[0]), str(broken)], "broken.toml"))
    for scenarios, expected in cases:
        assert expected in cli_error(["compare", *scenarios, "--out", str(out), "-q"])
        assert not out.exists()
