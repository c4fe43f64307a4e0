"""``parksim map`` end to end, and the figure set ``parksim run`` writes (sim.plot.render)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import matplotlib.pyplot as plt
import pytest

from sim.cli import main
from sim.cli.map import KINDS, LANGS, SUFFIXES
from sim.plot.figure import FIGURE_FORMATS
from sim.plot.render import MAP_KINDS
from sim.plot.style import LANGS as STYLE_LANGS
from sim.plot.style import page
from tests.conftest import TINY_RUN_FIGURES


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
    options = ["--kind", "status", "--year", "2016", "--lang", "zh", "-q"]
    assert main(["map", str(tiny_dir / "tiny.toml"), *options, "--out", str(out)]) == 0
    data = out.read_bytes()
    fonts = set(re.findall(rb"/FontName\s*/([\w+-]+)", data))
    assert any(b"NotoSansCJKsc" in f for f in fonts), fonts
    assert b"/FontFile2" in data


def test_park_zooms_in_with_a_locator_inset(tiny_dir: Path) -> None:
    out = tiny_dir / "map.svg"
    options = ["--park", "A", "--lang", "both", "-q"]
    assert main(["map", str(tiny_dir / "tiny.toml"), *options, "--out", str(out)]) == 0
    svg = out.read_text(encoding="utf-8")
    assert 'id="locator-inset"' in svg and 'id="locator-highlight"' in svg  # artists' gids
    width = re.search(r'<svg[^>]* width="([\d.]+)pt"', svg)
    assert width is not None and float(width[1]) == pytest.approx(page("A4").width * 72)


def test_page_size_sets_the_width(tiny_dir: Path) -> None:
    out = tiny_dir / "map.pdf"
    options = ["--size", "A3", "--lang", "en", "-q"]
    assert main(["map", str(tiny_dir / "tiny.toml"), *options, "--out", str(out)]) == 0
    box = re.search(rb"/MediaBox \[ 0 0 ([\d.]+) ([\d.]+) \]", out.read_bytes())
    assert box is not None and float(box[1]) == pytest.approx(page("A3").width * 72)


def test_overview_with_draws(tiny_dir: Path) -> None:
    out = tiny_dir / "overview.png"
    options = ["--kind", "overview", "--draws", "20", "--seed", "1", "-q"]
    assert main(["map", str(tiny_dir / "tiny.toml"), *options, "--out", str(out)]) == 0
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
    tiny_dir: Path, options: list[str], needles: list[str], cli_error: Callable[[list[str]], str]
) -> None:
    out = [o if not o.startswith("m.") else str(tiny_dir / o) for o in options]
    err = cli_error(["map", str(tiny_dir / "tiny.toml"), *out])
    assert err.count("\n") == 1, err  # one line
    for needle in needles:
        assert needle in err, (needle, err)
    assert not list(tiny_dir.glob("m.*")) and not list(tiny_dir.glob(".m.*"))


def test_bad_scenario_is_reported_like_run(
    tiny_dir: Path, cli_error: Callable[[list[str]], str]
) -> None:
    missing = str(tiny_dir / "missing.toml")
    err = cli_error(["map", missing, "--out", str(tiny_dir / "m.png")])
    assert err == cli_error(["run", missing, "--out", str(tiny_dir / "out")])
    assert "missing.toml" in err


def test_report_figures_say_what_they_show(tiny_dir: Path) -> None:
    out = tiny_dir / "run"
    assert main(["run", str(tiny_dir / "tiny.toml"), "--out", str(out), "-q"]) == 0
    assert sorted(p.name for p in (out / "figures").iterdir()) == TINY_RUN_FIGURES
    for path in (out / "figures").glob("*.png"):
        assert plt.imread(path).shape[1] >= 2000, path.name
    for path in (out / "figures").glob("*.svg"):  # the same chart, drawn as vectors
        assert path.with_suffix(".png").is_file()
        assert path.read_text(encoding="utf-8").lstrip().startswith("<?xml")
