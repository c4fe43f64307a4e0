"""``parksim map`` end to end, and the figure set ``parksim run`` writes (sim.plot.render)."""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib.pyplot as plt
import pytest

from sim.cli import main
from sim.cli.map import KINDS, LANGS, SUFFIXES
from sim.plot.figure import FIGURE_FORMATS
from sim.plot.render import MAP_KINDS
from sim.plot.style import LANGS as STYLE_LANGS


def test_command_lists_match_the_plot_package() -> None:
    assert list(KINDS) == list(MAP_KINDS)
    assert sorted(SUFFIXES) == sorted(FIGURE_FORMATS)
    assert LANGS == STYLE_LANGS


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_writes_a_png(
    tiny_dir: Path, kind: str, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tiny_dir / f"{kind}.png"
    args = ["map", str(tiny_dir / "tiny.toml"), "--kind", kind, "--year", "2016", "--out", str(out)]
    assert main(args) == 0
    assert capsys.readouterr().out.strip() == str(out)
    image = plt.imread(out)
    assert image.shape[1] >= 2000  # A4 text width at 300 dpi


def test_pdf_embeds_the_cjk_font(tiny_dir: Path) -> None:
    out = tiny_dir / "status.pdf"
    args = [
        "map",
        str(tiny_dir / "tiny.toml"),
        "--kind",
        "status",
        "--year",
        "2016",
        "--lang",
        "zh",
        "--out",
        str(out),
        "-q",
    ]
    assert main(args) == 0
    data = out.read_bytes()
    fonts = set(re.findall(rb"/FontName\s*/([\w+-]+)", data))
    assert any(b"NotoSansCJKsc" in f for f in fonts), fonts
    assert b"/FontFile2" in data


@pytest.mark.parametrize(
    ("options", "suffix"),
    [(["--park", "A", "--lang", "both"], "svg"), (["--size", "A3", "--lang", "en"], "pdf")],
)
def test_park_zoom_and_page_size(tiny_dir: Path, options: list[str], suffix: str) -> None:
    out = tiny_dir / f"map.{suffix}"
    assert main(["map", str(tiny_dir / "tiny.toml"), *options, "--out", str(out), "-q"]) == 0
    assert out.stat().st_size > 1000


def test_overview_with_draws(tiny_dir: Path) -> None:
    out = tiny_dir / "overview.png"
    args = [
        "map",
        str(tiny_dir / "tiny.toml"),
        "--kind",
        "overview",
        "--draws",
        "20",
        "--seed",
        "1",
        "--out",
        str(out),
        "-q",
    ]
    assert main(args) == 0
    assert out.is_file()


@pytest.mark.parametrize(
    ("options", "needles"),
    [
        (
            ["--kind", "heat", "--out", "m.png"],
            ["--kind", "status, completion, compliance, overview, status-years", "'heat'"],
        ),
        (["--park", "Z", "--out", "m.png"], ["--park", "A, B", "'Z'", "--park A"]),
        (["--year", "2030", "--out", "m.png"], ["--year", "2012–2019", "2030"]),
        (["--year", "2011", "--out", "m.png"], ["--year", "2012–2019", "2011"]),
        (["--out", "m.jpg"], ["--out", ".png, .pdf, .svg", "m.jpg", "m.png"]),
        (["--lang", "fr", "--out", "m.png"], ["--lang", "zh, en, both", "'fr'"]),
        (["--size", "Letter", "--out", "m.png"], ["--size", "A4, A3"]),
        (["--draws", "5", "--out", "m.png"], ["--draws", "--kind overview"]),
        (["--kind", "overview", "--park", "A", "--out", "m.png"], ["--park", "every park"]),
    ],
)
def test_bad_input_exits_2_with_one_message(
    tiny_dir: Path, options: list[str], needles: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    out = [o if not o.startswith("m.") else str(tiny_dir / o) for o in options]
    assert main(["map", str(tiny_dir / "tiny.toml"), *out]) == 2
    err = capsys.readouterr().err
    assert err.startswith("parksim: error: ")
    assert err.count("\n") == 1, err  # one line
    assert "Traceback" not in err
    for needle in needles:
        assert needle in err, (needle, err)
    assert not list(tiny_dir.glob("m.*")) and not list(tiny_dir.glob(".m.*"))


def test_bad_scenario_is_reported_like_run(
    tiny_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["map", str(tiny_dir / "missing.toml"), "--out", str(tiny_dir / "m.png")]) == 2
    assert capsys.readouterr().err.startswith("parksim: error: ")


def test_report_figures_say_what_they_show(tiny_dir: Path) -> None:
    out = tiny_dir / "run"
    assert main(["run", str(tiny_dir / "tiny.toml"), "--out", str(out), "-q"]) == 0
    names = sorted(p.name for p in (out / "figures").iterdir())
    assert names == [
        "annual_completions_by_park.png",
        "completion_year_map.png",
        "compliance_map_2019.png",
        "compliance_scatter.png",
        "floor_vs_target.png",
        "overview_map_2016.png",  # the year of the first floor target
        "revenue_vs_policy_path.png",
        "status_map_2019.png",
        "status_map_by_year.png",
    ]
    for path in (out / "figures").iterdir():
        assert plt.imread(path).shape[1] >= 2000, path.name
