"""House style of parksim figures: the CJK font, paper sizes, colours and bilingual labels.

Everything a figure needs to look the same in every report flows out of here:
:func:`register_cjk_font` makes the Simplified Chinese face of Noto Sans CJK known
to matplotlib (at run time, without touching the user's ``matplotlibrc``),
:func:`style_context` turns it on together with font sizes for an A4 or A3 page
and the settings that make PDF/SVG output portable, and the palettes give every
status and park one fixed colour. Nothing here draws; :mod:`sim.plot.maps` and
:mod:`sim.plot.charts` read these values.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import matplotlib as mpl
from matplotlib import font_manager

from sim.result import Status
from sim.rules import Compliance

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

__all__ = [
    "CJK_FALLBACK_FAMILIES",
    "COMPLIANCE_COLOURS",
    "LAND_COLOUR",
    "PARK_COLOURS",
    "SEA_COLOUR",
    "STATUS_COLOURS",
    "TARGET_COLOUR",
    "Lang",
    "PaperSize",
    "label",
    "park_colour",
    "register_cjk_font",
    "style_context",
    "style_rc",
]

Lang = Literal["zh", "en", "both"]
PaperSize = Literal["A4", "A3"]

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

#: Status colours: one sequential ramp, light grey (not released) → dark navy
#: (completed). Hues go grey → yellow → orange → blue, which stays apart under
#: the common colour-vision deficiencies, and CIE L* falls monotonically
#: (93, 79, 58, 41, 17) so the order survives greyscale printing.
STATUS_COLOURS: dict[Status, str] = {
    Status.NOT_RELEASED: "#EBEBEB",
    Status.RELEASED: "#EDBB5A",
    Status.UNDER_CONSTRUCTION: "#D2702A",
    Status.PARTLY_COMPLETED: "#2A64A0",
    Status.COMPLETED: "#0B2A55",
}

#: Compliance colours: grey for "not yet built" (as "not released" on the status map),
#: then Okabe–Ito vermillion (fails both), sky blue and orange (meets one rule) and
#: bluish green (meets both) — apart under the common colour-vision deficiencies.
COMPLIANCE_COLOURS: dict[Compliance, str] = {
    Compliance.NOT_BUILT: "#E3E3E3",
    Compliance.FAILS_BOTH: "#D55E00",
    Compliance.REVENUE_ONLY: "#56B4E9",
    Compliance.INVESTMENT_ONLY: "#E69F00",
    Compliance.COMPLIES: "#009E73",
}

#: Park colours: the Okabe–Ito palette (colour-blind safe), yellow last because
#: it is hard to read as a line on white.
PARK_COLOURS: tuple[str, ...] = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#D55E00",  # vermillion
    "#F0E442",  # yellow
)

#: Targets are black: distinct from every status and park colour and from grey.
TARGET_COLOUR = "#000000"

#: Base-map colours: land a warm off-white, sea a pale blue that stays lighter
#: than any parcel status in greyscale.
LAND_COLOUR = "#F7F5F0"
SEA_COLOUR = "#DCE9F2"

# Font sizes in points per paper size: (base, small, title).
_SIZES: dict[str, tuple[float, float, float]] = {
    "A4": (9.0, 7.5, 11.0),
    "A3": (12.0, 10.0, 15.0),
}

# Default figure size in inches per paper size (the text block of the page).
_FIGSIZE: dict[str, tuple[float, float]] = {
    "A4": (6.3, 6.0),
    "A3": (10.6, 9.5),
}


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
    if size not in _SIZES:
        raise ValueError(f"size must be one of {sorted(_SIZES)}; got {size!r}")
    base, small, title = _SIZES[size]
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
        "figure.figsize": _FIGSIZE[size],
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
