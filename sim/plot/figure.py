"""A chart's figure and grid; writing figures to files: PNG at 300 dpi, SVG or PDF.

:func:`chart_axes` gives a chart its Axes (the caller's, or a new figure a page wide)
and :func:`light_grid` its grid lines, the same on every chart. :func:`save_figure`
takes a matplotlib Figure made by a map kind (:mod:`sim.plot.frame`) or a chart and
writes one file, atomically (a temporary file in the same folder, then
renamed) so a failed save never leaves a half-written figure behind. Output is
reproducible: creation dates are left out of PDF and SVG metadata.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import matplotlib as mpl

from sim.outputs import FIGURE_CREATOR
from sim.plot.style import GRID_COLOUR, PaperSize, page

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.typing import RcKeyType

__all__ = ["FIGURE_FORMATS", "chart_axes", "light_grid", "root_figure", "save_figure"]

#: File suffixes :func:`save_figure` writes, with the metadata that keeps them reproducible.
#: The creator mark (:data:`sim.outputs.FIGURE_CREATOR`) tells ``parksim map`` that an
#: existing file is its own to replace.
FIGURE_FORMATS: dict[str, dict[str, Any]] = {
    ".png": {"Software": FIGURE_CREATOR},
    ".svg": {"Date": None, "Creator": FIGURE_CREATOR},
    ".pdf": {"CreationDate": None, "ModDate": None, "Creator": FIGURE_CREATOR},
}


def save_figure(fig: Figure, path: str | os.PathLike[str], *, dpi: int = 300) -> Path:
    """Save a figure as PNG, SVG or PDF according to the suffix of ``path``.

    Fonts are embedded as TrueType in PDF (``pdf.fonttype`` 42, so Chinese
    text renders and stays searchable in every viewer) and as paths in SVG (no
    fonts needed to view it). Missing parent folders are created.

    Parameters
    ----------
    fig
        The figure to save.
    path
        Destination; the suffix (``.png``, ``.svg`` or ``.pdf``) picks the format.
    dpi
        Resolution of PNG output in dots per inch.

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    ValueError
        If the suffix is not one of the supported formats.
    """
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in FIGURE_FORMATS:
        raise ValueError(
            f"cannot save figure to {target}: suffix {target.suffix!r} is not one of "
            f"{sorted(FIGURE_FORMATS)}; rename the file"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    rc: dict[RcKeyType, Any] = {
        "pdf.fonttype": 42,
        "ps.fonttype": 42,
        "svg.fonttype": "path",
        "svg.hashsalt": "parksim",
    }
    # A unique hidden name beside the target; savefig creates it with the usual umask.
    tmp = target.with_name(f".{target.stem}.{uuid.uuid4().hex}{suffix}")
    try:
        with mpl.rc_context(rc):
            fig.savefig(tmp, format=suffix[1:], dpi=dpi, metadata=FIGURE_FORMATS[suffix])
        tmp.replace(target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target


def root_figure(ax: Axes) -> Figure:
    """Return the top-level Figure an Axes belongs to (not a SubFigure).

    Raises
    ------
    ValueError
        If the Axes is not attached to a figure.
    """
    fig = ax.get_figure(root=True)
    if fig is None:
        raise ValueError("ax is not attached to a figure; make it with plt.subplots()")
    return fig


def chart_axes(ax: Axes | None, size: PaperSize, *, aspect: float) -> tuple[Figure, Axes]:
    """Return the Axes a chart draws on and its figure.

    Parameters
    ----------
    ax
        The caller's Axes (returned with its :func:`root_figure`), or None for a new
        figure with one Axes and a constrained layout.
    size
        ``"A4"`` or ``"A3"``: a new figure is the page's text block wide
        (:func:`sim.plot.style.page`).
    aspect
        Height of a new figure as a share of its width.

    Returns
    -------
    tuple of (Figure, Axes)

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = chart_axes(None, "A4", aspect=0.5)
    >>> [round(float(inches), 2) for inches in fig.get_size_inches()]
    [6.69, 3.35]
    >>> chart_axes(ax, "A3", aspect=2.0) == (fig, ax)
    True
    >>> plt.close(fig)
    """
    if ax is not None:
        return root_figure(ax), ax
    import matplotlib.pyplot as plt

    width = page(size).width
    fig, new = plt.subplots(layout="constrained", figsize=(width, aspect * width))
    return fig, new


def light_grid(
    ax: Axes,
    *,
    axis: Literal["both", "x", "y"] = "y",
    which: Literal["major", "minor", "both"] = "major",
) -> None:
    """Draw the charts' grid lines: thin, :data:`~sim.plot.style.GRID_COLOUR`, behind the data.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> light_grid(ax)
    >>> ax.yaxis.get_gridlines()[0].get_visible(), ax.xaxis.get_gridlines()[0].get_visible()
    (True, False)
    >>> ax.get_axisbelow()
    True
    >>> plt.close(fig)
    """
    ax.grid(axis=axis, color=GRID_COLOUR, linewidth=0.5, which=which)
    ax.set_axisbelow(True)
