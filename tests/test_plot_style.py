"""Tests of sim.plot.style and sim.plot.figure: the CJK font, palettes, labels, figure files."""

from __future__ import annotations

import io
import itertools
import re
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure

from sim.plot import (
    PARK_COLOURS,
    STATE_COLOURS,
    STATUS_COLOURS,
    label,
    register_cjk_font,
    save_figure,
    style_context,
    style_rc,
)
from sim.plot.style import IDLE_COLOUR
from sim.result import Status
from sim.states import ParcelState

# Characters whose Japanese and Simplified Chinese glyphs differ.
SC_TEST_TEXT = "青岛软件城 骨 直"


pytestmark = pytest.mark.usefixtures("agg")  # Agg; figures closed after each test


def _lightness(colour: str) -> float:
    """CIE L* of an sRGB colour."""
    rgb = np.asarray(to_rgb(colour))
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    y = float(linear @ [0.2126, 0.7152, 0.0722])
    return 116 * y ** (1 / 3) - 16 if y > 216 / 24389 else y * 24389 / 27


#: Machado, Oliveira & Fernandes (2009) simulation matrices at full severity, on
#: linear sRGB.
_CVD = {
    "normal": np.eye(3),
    "protanopia": np.array(
        [
            [0.152286, 1.052583, -0.204868],
            [0.114503, 0.786281, 0.099216],
            [-0.003882, -0.048116, 1.051998],
        ]
    ),
    "deuteranopia": np.array(
        [
            [0.367322, 0.860646, -0.227968],
            [0.280085, 0.672501, 0.047413],
            [-0.011820, 0.042940, 0.968881],
        ]
    ),
    "tritanopia": np.array(
        [
            [1.255528, -0.076749, -0.178779],
            [-0.078411, 0.930809, 0.147602],
            [0.004733, 0.691367, 0.303900],
        ]
    ),
}


def _lab(colour: str, vision: str = "normal") -> np.ndarray:
    """CIE L*a*b* (D65) of an sRGB colour as seen with a colour-vision deficiency."""
    rgb = np.asarray(to_rgb(colour))
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    linear = np.clip(_CVD[vision] @ linear, 0.0, 1.0)
    xyz = (
        np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
        @ linear
        / np.array([0.95047, 1.0, 1.08883])
    )
    f = np.where(xyz > 216 / 24389, np.cbrt(xyz), xyz * 24389 / 27 / 116 + 16 / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def _render_glyph(family: list[str]) -> np.ndarray:
    fig = Figure(figsize=(1, 1), dpi=100)
    canvas = FigureCanvasAgg(fig)
    fig.text(0.5, 0.5, "骨", family=family, size=40, ha="center", va="center")
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[..., 0].copy()


# --- font -------------------------------------------------------------------------


def test_register_cjk_font_picks_simplified_chinese_face() -> None:
    family = register_cjk_font()
    assert family == "Noto Sans CJK SC"
    found = font_manager.findfont(
        font_manager.FontProperties(family=family), fallback_to_default=False
    )
    font = font_manager.get_font(found)
    assert font.family_name == "Noto Sans CJK SC"
    assert font.postscript_name == "NotoSansCJKsc-Regular"
    assert Path(found).name == "NotoSansCJK-Regular.ttc"


def test_register_cjk_font_is_idempotent() -> None:
    register_cjk_font()
    before = len(font_manager.fontManager.ttflist)
    assert register_cjk_font() == register_cjk_font()
    register_cjk_font.cache_clear()  # even uncached, nothing is registered twice
    assert register_cjk_font() == "Noto Sans CJK SC"
    assert len(font_manager.fontManager.ttflist) == before


def test_style_font_resolves_to_sc_face_for_chinese_text() -> None:
    with style_context():
        prop = font_manager.FontProperties()  # takes font.family from the style
        first = font_manager.findfont(prop, fallback_to_default=False)
    assert font_manager.get_font(first).family_name == "Noto Sans CJK SC"


def test_sc_glyphs_differ_from_the_japanese_face_and_are_used() -> None:
    register_cjk_font()
    sc = _render_glyph(["Noto Sans CJK SC"])
    jp = _render_glyph(["Noto Sans CJK JP"])
    assert not np.array_equal(sc, jp), "骨 should look different in the JP and SC faces"
    with style_context():
        styled = _render_glyph(list(style_rc()["font.family"]))
    np.testing.assert_array_equal(styled, sc)


@pytest.mark.parametrize("fmt", ["png", "pdf", "svg"])
def test_chinese_text_renders_without_missing_glyphs(fmt: str) -> None:
    with style_context():
        fig, ax = plt.subplots()
        ax.set_title(SC_TEST_TEXT)
        ax.set_ylabel("建筑面积（万m²）")
        ax.plot([2012, 2016], [-1, 1])
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            fig.savefig(io.BytesIO(), format=fmt)


def test_missing_glyph_check_is_effective() -> None:
    # The test above relies on matplotlib warning about missing glyphs.
    with style_context():
        fig, ax = plt.subplots()
        ax.set_title("\U0001d11e")  # musical G clef: in neither font
        with pytest.warns(UserWarning, match="missing from font"):
            fig.savefig(io.BytesIO(), format="png")


# --- style ------------------------------------------------------------------------


@pytest.mark.parametrize("size", ["A4", "A3"])
def test_style_rc(size: str) -> None:
    rc = style_rc(size)
    assert rc["font.family"] == ["Noto Sans CJK SC", "DejaVu Sans"]
    assert rc["pdf.fonttype"] == 42
    assert rc["svg.fonttype"] == "path"
    assert rc["axes.unicode_minus"] is False


def test_a3_fonts_are_larger_than_a4() -> None:
    assert style_rc("A3")["font.size"] > style_rc("A4")["font.size"]


def test_style_context_restores_rcparams() -> None:
    before = dict(plt.rcParams)
    with style_context("A3"):
        assert plt.rcParams["font.family"][0] == "Noto Sans CJK SC"
        assert plt.rcParams["pdf.fonttype"] == 42
        assert dict(plt.rcParams) != before
    assert dict(plt.rcParams) == before


def test_style_rejects_unknown_size() -> None:
    with pytest.raises(ValueError, match=r"size must be one of \['A3', 'A4'\]; got 'Letter'"):
        style_rc("Letter")


# --- palette and labels ---------------------------------------------------------


def test_every_status_has_a_colour() -> None:
    assert set(STATUS_COLOURS) == set(Status)


def test_status_colours_darken_along_the_build_out() -> None:
    lightness = [_lightness(STATUS_COLOURS[s]) for s in sorted(Status)]
    steps = np.diff(lightness)
    assert (steps < -10).all(), f"L* {lightness} must fall by >10 per stage for greyscale print"


def test_every_map_state_has_its_own_colour() -> None:
    assert list(STATE_COLOURS) == list(ParcelState)
    assert len({c.upper() for c in STATE_COLOURS.values()}) == len(ParcelState)
    assert STATE_COLOURS[ParcelState.IDLE] == IDLE_COLOUR


def test_map_states_keep_the_status_colours_where_the_meaning_is_kept() -> None:
    assert STATE_COLOURS[ParcelState.UNSERVICED] == STATUS_COLOURS[Status.NOT_RELEASED]
    assert STATE_COLOURS[ParcelState.SOLD] == STATUS_COLOURS[Status.RELEASED]
    assert (
        STATE_COLOURS[ParcelState.UNDER_CONSTRUCTION] == STATUS_COLOURS[Status.UNDER_CONSTRUCTION]
    )
    assert STATE_COLOURS[ParcelState.OCCUPIED] == STATUS_COLOURS[Status.COMPLETED]


@pytest.mark.parametrize("vision", list(_CVD))
def test_map_states_stay_apart_under_colour_vision_deficiencies(vision: str) -> None:
    labs = {state: _lab(colour, vision) for state, colour in STATE_COLOURS.items()}
    closest = min(
        (float(np.linalg.norm(labs[a] - labs[b])), a.name, b.name)
        for i, a in enumerate(ParcelState)
        for b in list(ParcelState)[i + 1 :]
    )
    assert closest[0] >= 15.0, f"{vision}: {closest[1]} and {closest[2]} are ΔE {closest[0]:.1f}"


def test_map_states_darken_along_the_build_out() -> None:
    # Idle land is apart (hatched); topped out and completed differ in hue, not L*.
    order = [s for s in ParcelState if s is not ParcelState.IDLE]
    lightness = [_lightness(STATE_COLOURS[s]) for s in order]
    assert all(b < a + 1.0 for a, b in itertools.pairwise(lightness)), lightness


def test_park_colours_are_distinct() -> None:
    assert len(PARK_COLOURS) >= 6
    assert len({c.lower() for c in PARK_COLOURS}) == len(PARK_COLOURS)


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("zh", "在建"), ("en", "under construction"), ("both", "在建 under construction")],
)
def test_label(lang: str, expected: str) -> None:
    assert label("在建", "under construction", lang) == expected


def test_label_rejects_unknown_language() -> None:
    with pytest.raises(ValueError, match="lang must be one of 'zh', 'en', 'both'; got 'fr'"):
        label("在建", "under construction", "fr")


# --- save_figure ----------------------------------------------------------------


def _chinese_figure() -> Figure:
    with style_context():
        fig, ax = plt.subplots(figsize=(2, 1))
        ax.set_title(SC_TEST_TEXT)
    return fig


def test_save_pdf_embeds_the_cjk_font(tmp_path: Path) -> None:
    path = save_figure(_chinese_figure(), tmp_path / "fig.pdf")
    data = path.read_bytes()
    assert data.startswith(b"%PDF")
    names = set(re.findall(rb"/FontName\s*/([\w+-]+)", data))
    assert any(b"NotoSansCJKsc" in name for name in names), names
    assert b"/FontFile2" in data  # TrueType (Type 42) embedding
    assert b"CreationDate" not in data


def test_save_pdf_is_reproducible(tmp_path: Path) -> None:
    fig = _chinese_figure()
    first = save_figure(fig, tmp_path / "a.pdf").read_bytes()
    second = save_figure(fig, tmp_path / "b.pdf").read_bytes()
    assert first == second


def test_save_png_at_300_dpi(tmp_path: Path) -> None:
    path = save_figure(_chinese_figure(), tmp_path / "sub" / "fig.png")
    image = plt.imread(path)
    assert image.shape[:2] == (300, 600)  # 2 × 1 inches at 300 dpi


def test_save_svg_draws_text_as_paths(tmp_path: Path) -> None:
    text = save_figure(_chinese_figure(), tmp_path / "fig.SVG").read_text(encoding="utf-8")
    assert "<svg" in text
    assert "<text" not in text


def test_save_leaves_no_temporary_files(tmp_path: Path) -> None:
    save_figure(_chinese_figure(), tmp_path / "fig.png")
    assert [p.name for p in tmp_path.iterdir()] == ["fig.png"]


def test_save_rejects_unknown_suffix(tmp_path: Path) -> None:
    with pytest.raises(
        ValueError, match=r"suffix '\.jpg' is not one of \['\.pdf', '\.png', '\.svg'\]"
    ):
        save_figure(_chinese_figure(), tmp_path / "fig.jpg")
    assert not list(tmp_path.iterdir())
