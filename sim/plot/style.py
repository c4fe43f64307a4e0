"""House style of parksim figures: the CJK font, paper sizes, colours and bilingual labels.

Everything a figure needs to look the same in every report flows out of here:
:func:`register_cjk_font` makes the Simplified Chinese face of Noto Sans CJK known
to matplotlib (at run time, without touching the user's ``matplotlibrc``),
:func:`style_context` turns it on together with font sizes for an A4 or A3 page
and the settings that make PDF/SVG output portable, and the palettes give every
status and park one fixed colour. Nothing here draws; the maps (:mod:`sim.plot.frame`) and
:mod:`sim.plot.charts` read these values.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import matplotlib as mpl
from matplotlib import font_manager

from sim.palette import (
    COMPLIANCE_COLOURS,
    IDLE_HATCH_COLOUR,
    PARK_COLOURS,
    STATE_COLOURS,
    STATUS_COLOURS,
)
from sim.states import ParcelState

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

__all__ = [
    "CJK_FALLBACK_FAMILIES",
    "COMPLIANCE_COLOURS",
    "EMPTY_COLOUR",
    "GRID_COLOUR",
    "HIGHLIGHT_COLOUR",
    "IDLE_COLOUR",
    "IDLE_HATCH",
    "IDLE_HATCH_COLOUR",
    "LAND_COLOUR",
    "LANGS",
    "PAGES",
    "PARK_COLOURS",
    "SEA_COLOUR",
    "SEQUENTIAL_CMAP",
    "SEQUENTIAL_RANGE",
    "STATE_COLOURS",
    "STATUS_COLOURS",
    "TARGET_COLOUR",
    "UNITS",
    "Lang",
    "Page",
    "PaperSize",
    "check_lang",
    "label",
    "page",
    "park_colour",
    "register_cjk_font",
    "source_date",
    "style_context",
    "style_rc",
    "unit_label",
    "wrap_name",
]

Lang = Literal["zh", "en", "both"]
PaperSize = Literal["A4", "A3"]

#: The label languages, in the order the command line lists them.
LANGS: tuple[Lang, ...] = ("zh", "en", "both")

#: Units on axes and in labels, ``key → (Chinese, English)``. Chinese reports count
#: floor in 万m² and money in 亿元; English readers get the powers of ten.
UNITS: dict[str, tuple[str, str]] = {
    "wan_m2": ("万m²", "10⁴ m²"),
    "yi_cny": ("亿元", "10⁸ CNY"),
    "ha": ("公顷", "ha"),
    "wan_cny_per_ha": ("万元/公顷", "10⁴ CNY/ha"),
    "yi_cny_per_ha": ("亿元/公顷", "10⁸ CNY/ha"),
    "share": ("%", "%"),
}

#: Family name of the face we want from the Noto Sans CJK collection. The
#: collection opens on the Japanese face (index 0), whose glyphs for characters
#: such as 骨 and 直 differ from the mainland Chinese forms.
_NOTO_SC = "Noto Sans CJK SC"

#: Families tried, in order, when the ``noto-cjk-sans-otc`` package is missing.
CJK_FALLBACK_FAMILIES: tuple[str, ...] = (
    _NOTO_SC,
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "SimHei",
    "Microsoft YaHei",
    "PingFang SC",
)

#: Targets are black: distinct from every status and park colour and from grey.
TARGET_COLOUR = "#000000"

#: Grid lines of the charts: a light grey, behind the data.
GRID_COLOUR = "#DDDDDD"

#: Base-map colours: land a warm off-white, sea a pale blue that stays lighter
#: than any parcel status in greyscale.
LAND_COLOUR = "#F7F5F0"
SEA_COLOUR = "#DCE9F2"

#: Idle parcels (闲置, sold but not started in time): a light reddish purple (L* 68,
#: between "sold" and "under construction") that is also hatched in
#: :data:`IDLE_HATCH_COLOUR`, so the class reads in greyscale and under colour-vision
#: deficiencies by texture, not hue.
IDLE_COLOUR = STATE_COLOURS[ParcelState.IDLE]
IDLE_HATCH = "////"

#: Parcels with nothing to show (not built, not completed by the horizon): the
#: "not serviced" grey, so an empty parcel looks the same on every map.
EMPTY_COLOUR = "#EBEBEB"

#: Sequential palette for completion years: matplotlib's cividis (designed for
#: colour-vision deficiencies, monotone in lightness), cut before its palest
#: yellow so the last year stays apart from the grey of "not completed".
SEQUENTIAL_CMAP = "cividis"
SEQUENTIAL_RANGE = (0.0, 0.85)

#: Highlight of the selected park on a locator inset: Okabe–Ito vermillion.
HIGHLIGHT_COLOUR = "#D55E00"

_MM = 1 / 25.4  # inches per millimetre


@dataclass(frozen=True)
class Page:
    """The printable block of a report page and the type sizes that go with it.

    Attributes
    ----------
    width, max_height
        Width and greatest height of a figure, inches (the page's text block).
    base, small, title
        Font sizes in points: body and axis labels, ticks and legends, titles.
    """

    width: float
    max_height: float
    base: float
    small: float
    title: float


#: Report pages: A4 portrait with 20 mm margins (a 170 mm text block: 2,008 px at
#: 300 dpi) and A3 portrait with 20 mm margins (257 mm).
PAGES: dict[str, Page] = {
    "A4": Page(width=170 * _MM, max_height=240 * _MM, base=9.0, small=7.5, title=11.0),
    "A3": Page(width=257 * _MM, max_height=370 * _MM, base=12.0, small=10.0, title=15.0),
}


def page(size: PaperSize) -> Page:
    """Return the :class:`Page` of a paper size.

    Raises
    ------
    ValueError
        If ``size`` is not a known paper size.

    Examples
    --------
    >>> round(page("A4").width * 300)  # px across at 300 dpi
    2008
    """
    if size not in PAGES:
        raise ValueError(f"size must be one of {sorted(PAGES)}; got {size!r}")
    return PAGES[size]


def park_colour(index: int) -> str:
    """Colour of the ``index``-th park, cycling through :data:`PARK_COLOURS`.

    Examples
    --------
    >>> park_colour(0) == park_colour(len(PARK_COLOURS))
    True
    """
    return PARK_COLOURS[index % len(PARK_COLOURS)]


def label(zh: str, en: str, lang: Lang, *, sep: str = " ") -> str:
    """Pick the Chinese, English or both forms of a label.

    Parameters
    ----------
    zh, en
        The label in Chinese and in English.
    lang
        ``"zh"``, ``"en"`` or ``"both"`` (Chinese first, then English).
    sep
        What joins the two forms for ``"both"``: a space, or a newline for
        narrow places such as a y-axis label.

    Returns
    -------
    str
        The label in the requested language(s).

    Raises
    ------
    ValueError
        If ``lang`` is not one of the three choices.

    Examples
    --------
    >>> label("在建", "under construction", "both")
    '在建 under construction'
    >>> label("在建", "under construction", "en")
    'under construction'
    """
    if lang == "zh":
        return zh
    if lang == "en":
        return en
    if lang == "both":
        return f"{zh}{sep}{en}"
    raise ValueError(f"lang must be one of 'zh', 'en', 'both'; got {lang!r}")


def check_lang(lang: str) -> Lang:
    """Return ``lang`` if it is a label language, else raise the error that lists them.

    Raises
    ------
    ValueError
        If ``lang`` is not ``"zh"``, ``"en"`` or ``"both"``.
    """
    for known in LANGS:
        if lang == known:
            return known
    raise ValueError(f"lang must be one of 'zh', 'en', 'both'; got {lang!r}")


def unit_label(zh: str, en: str, unit: str, lang: Lang, *, sep: str = " ") -> str:
    r"""Label an axis with its unit in brackets, in the chosen language(s).

    Parameters
    ----------
    zh, en
        The quantity in Chinese and in English.
    unit
        A key of :data:`UNITS`.
    lang
        ``"zh"``, ``"en"`` or ``"both"``.
    sep
        What joins the two forms for ``"both"``.

    Examples
    --------
    >>> unit_label("建筑面积", "Floor area", "wan_m2", "both", sep="\n")
    '建筑面积（万m²）\nFloor area (10⁴ m²)'
    """
    unit_zh, unit_en = UNITS[unit]
    return label(f"{zh}（{unit_zh}）", f"{en} ({unit_en})", lang, sep=sep)


def source_date() -> dt.date:
    """Return the date of a figure's source line: today, or ``SOURCE_DATE_EPOCH``.

    Set the environment variable ``SOURCE_DATE_EPOCH`` (seconds since 1970, the
    reproducible-builds convention) to make figures byte-identical across days.
    """
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch is not None and epoch.strip().isdigit():
        return dt.datetime.fromtimestamp(int(epoch), tz=dt.timezone.utc).date()
    return dt.date.today()


#: Endings a Chinese park name may break before (the generic part of the name).
_GENERIC_ENDINGS = ("产业园区", "产业园", "科技园", "软件园", "产业基地", "园区")


def wrap_name(text: str, longest: int, *, sep: str) -> str:
    r"""Break ``text`` near its middle when it is longer than ``longest`` characters.

    Chinese breaks after a closing bracket, else before a generic ending such as
    产业园, else in the middle; English at the space nearest the middle.

    Examples
    --------
    >>> wrap_name("国家（青岛）通信产业园", 6, sep="")
    '国家（青岛）\n通信产业园'
    >>> wrap_name("海信软件产业园", 6, sep="")
    '海信软件\n产业园'
    >>> wrap_name("Haier Information Park", 12, sep=" ")
    'Haier\nInformation Park'
    """
    if len(text) <= longest:
        return text
    middle = len(text) / 2
    if sep == " ":
        cuts = [i for i, c in enumerate(text) if c == " "]
        if not cuts:
            return text
        cut = min(cuts, key=lambda i: abs(i - middle))
        return text[:cut] + "\n" + text[cut + 1 :]
    cuts = [i + 1 for i, c in enumerate(text[:-1]) if c in "）)"]
    if not cuts:
        cuts = [len(text) - len(end) for end in _GENERIC_ENDINGS if text.endswith(end)][:1]
    cut = min(cuts or range(1, len(text)), key=lambda i: abs(i - middle))
    return text[:cut] + "\n" + text[cut:]


def _noto_collection() -> Path | None:
    """Path of the Noto Sans CJK collection shipped by ``noto-cjk-sans-otc``, if installed."""
    try:
        path = resources.files("noto_cjk_sans_otc").joinpath("NotoSansCJK-Regular.ttc")
    except ModuleNotFoundError:
        return None
    return Path(str(path)) if path.is_file() else None


def _known_families() -> set[str]:
    return {entry.name for entry in font_manager.fontManager.ttflist}


@functools.cache
def register_cjk_font() -> str:
    """Make a Simplified Chinese font available to matplotlib and return its family.

    Registers the faces of ``NotoSansCJK-Regular.ttc`` from the
    ``noto-cjk-sans-otc`` package with matplotlib's font manager (in memory
    only; the user's ``matplotlibrc`` and font cache are not changed) and picks
    the Simplified Chinese face, ``"Noto Sans CJK SC"``. matplotlib ≥ 3.10
    registers every face of a TrueType collection under its own family name, so
    the SC face is addressed by name rather than by the collection's first
    (Japanese) face. If the package is missing, the first installed family of
    :data:`CJK_FALLBACK_FAMILIES` is used. The result is cached, so calling it
    again is free and registers nothing twice.

    Returns
    -------
    str
        The family name to put first in ``font.family``; ``"DejaVu Sans"``
        (with a warning) if no CJK font is found, in which case Chinese
        labels will show as boxes — use ``lang="en"`` or install the package.
    """
    path = _noto_collection()
    if path is not None:
        registered = {Path(entry.fname) for entry in font_manager.fontManager.ttflist}
        if path not in registered:
            font_manager.fontManager.addfont(str(path))
    known = _known_families()
    for family in CJK_FALLBACK_FAMILIES:
        if family in known:
            return family
    warnings.warn(
        "no Chinese font found: install the 'noto-cjk-sans-otc' package "
        "(pip install noto-cjk-sans-otc) or a system font such as Noto Sans CJK SC; "
        "Chinese labels will not render, use lang='en' meanwhile",
        UserWarning,
        stacklevel=2,
    )
    return "DejaVu Sans"


def style_rc(size: PaperSize = "A4") -> dict[RcKeyType, Any]:
    """Return the rcParams of the house style for a page size.

    Parameters
    ----------
    size
        ``"A4"`` or ``"A3"``: the page the figure is printed on; sets font
        sizes and the default figure size.

    Returns
    -------
    dict
        rcParams: CJK font first then DejaVu Sans, font sizes, ``pdf.fonttype``
        42 (embed TrueType, so text stays selectable and Chinese renders in every
        viewer), ``svg.fonttype`` ``"path"`` (SVGs need no fonts installed),
        ASCII hyphen for minus (the CJK font has no U+2212 in every version).

    Raises
    ------
    ValueError
        If ``size`` is not a known paper size.
    """
    sheet = page(size)
    base, small, title = sheet.base, sheet.small, sheet.title
    return {
        "font.family": [register_cjk_font(), "DejaVu Sans"],
        "font.size": base,
        "axes.titlesize": title,
        "axes.labelsize": base,
        "xtick.labelsize": small,
        "ytick.labelsize": small,
        "legend.fontsize": small,
        "legend.title_fontsize": base,
        "figure.titlesize": title,
        "figure.figsize": (sheet.width, 0.9 * sheet.width),
        "figure.dpi": 100,
        "savefig.dpi": 300,
        "pdf.fonttype": 42,
        "ps.fonttype": 42,
        "svg.fonttype": "path",
        "axes.unicode_minus": False,
        "axes.spines.top": False,
        "axes.spines.right": False,
    }


@contextmanager
def style_context(size: PaperSize = "A4") -> Iterator[None]:
    """Apply the house style inside a ``with`` block.

    Parameters
    ----------
    size
        ``"A4"`` or ``"A3"``, see :func:`style_rc`.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> with style_context("A4"):
    ...     fig, ax = plt.subplots()
    ...     _ = ax.set_title(label("竣工面积", "floor completed", "both"))
    >>> plt.close(fig)
    """
    with mpl.rc_context(style_rc(size)):
        yield
