"""Page layout of a map: what it shows, how large its frame is, where the side column goes.

In: :class:`~sim.plot.layers.MapLayers`, a paper size and the heights of the title
block and the side column. Out: the view (map units) and a :class:`Layout` (inches):
a fixed layout, no constrained layout, so that labels can be placed for it. The width
is the text block of the page (:data:`sim.plot.style.PAGES`), the height follows the
map's shape::

    ┌──────────────────────────── page width ────────────────────────────┐
    │ title, subtitle                                        (head)      │
    │ ┌──────────── map frame ────────────┐ GAP ┌─ side column ─┐        │
    │ │                                   │     │ north arrow   │        │
    │ │                                   │     │ legend        │        │
    │ │                                   │     │ insets        │        │
    │ └───────────────────────────────────┘     └───────────────┘        │
    │ scale bar, source line                                 (BOTTOM)    │
    └────────────────────────────────────────────────────────────────────┘
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np

from sim.plot.figure import root_figure
from sim.plot.layers import MapLayers, in_park
from sim.plot.style import Lang, PaperSize, page

if TYPE_CHECKING:
    from matplotlib.artist import Artist
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "BOTTOM",
    "GAP",
    "LEFT",
    "RIGHT",
    "Bounds",
    "Layout",
    "fit_aspect",
    "frame_inches",
    "frame_width",
    "head_height",
    "legend_height",
    "map_extent",
    "new_figure",
    "page_layout",
]

#: ``(xmin, ymin, xmax, ymax)`` in map units.
Bounds = tuple[float, float, float, float]

#: Page margins left and right of the frame, and the gap before the side column, inches.
LEFT, RIGHT, GAP = 0.10, 0.08, 0.22
#: Height below the frame for the scale bar and the source line, inches.
BOTTOM = 0.66
_SIDE_SHARE = 0.27  # of the page width: north arrow, legend, insets
# Share of the view added around what the map shows.
_MARGIN = 0.06
_PARK_MARGIN = 0.12


def map_extent(layers: MapLayers, park: str | None) -> Bounds:
    """Return what a map shows: one park with room around it, or every parcel and park."""
    if park is not None:
        if layers.parks is not None:
            mine = layers.parks[layers.parks["park_id"].astype(str) == park]
            bounds = mine.total_bounds
        else:
            bounds = layers.parcels[in_park(layers, park)].total_bounds
        margin = _PARK_MARGIN
    else:
        frames = [layers.parcels.total_bounds]
        if layers.parks is not None and len(layers.parks):
            frames.append(layers.parks.total_bounds)
        stacked = np.array(frames)
        bounds = np.array([*stacked[:, :2].min(axis=0), *stacked[:, 2:].max(axis=0)])
        margin = _MARGIN
    xmin, ymin, xmax, ymax = (float(v) for v in bounds)
    pad = margin * max(xmax - xmin, ymax - ymin, 1.0)
    return xmin - pad, ymin - pad, xmax + pad, ymax + pad


def fit_aspect(bounds: Bounds, aspect: float) -> Bounds:
    """Grow ``bounds`` about their centre until height / width equals ``aspect``.

    Examples
    --------
    >>> fit_aspect((0.0, 0.0, 4.0, 1.0), 0.5)
    (0.0, -0.5, 4.0, 1.5)
    """
    xmin, ymin, xmax, ymax = bounds
    dx, dy = xmax - xmin, ymax - ymin
    cx, cy = (xmin + xmax) / 2, (ymin + ymax) / 2
    if dy / dx < aspect:
        dy = dx * aspect
    else:
        dx = dy / aspect
    return cx - dx / 2, cy - dy / 2, cx + dx / 2, cy + dy / 2


@dataclass(frozen=True)
class Layout:
    """Inches: figure size, the map frame and the side column.

    Attributes
    ----------
    width, height
        The figure.
    frame
        The map frame: left, bottom, width, height.
    side
        Width of the side column.
    """

    width: float
    height: float
    frame: tuple[float, float, float, float]
    side: float


def _side_share(lang: Lang) -> float:
    """Share of the page width for the side column: wider for two-language legends."""
    return 0.33 if lang == "both" else _SIDE_SHARE


def page_layout(
    bounds: Bounds, size: PaperSize, *, head: float, side_min: float, lang: Lang = "zh"
) -> tuple[Layout, Bounds]:
    """Lay out a map page: the frame as large as the page allows, the view fitted to it.

    Parameters
    ----------
    bounds
        What the map must show (:func:`map_extent`).
    size
        Paper size.
    head
        Height of the title block, inches (:func:`head_height`).
    side_min
        The least height of the frame, inches: what the side column needs.
    lang
        Label language (two-language legends get a wider side column).

    Returns
    -------
    tuple of (Layout, Bounds)
        The layout and the view, ``bounds`` grown to the frame's shape.
    """
    sheet = page(size)
    side = _side_share(lang) * sheet.width
    map_w = sheet.width - LEFT - RIGHT - GAP - side
    max_h = sheet.max_height - head - BOTTOM
    xmin, ymin, xmax, ymax = bounds
    aspect = (ymax - ymin) / max(xmax - xmin, 1e-9)
    map_h = map_w * aspect
    if map_h > max_h:  # tall: keep the height, narrow the frame
        map_h = max_h
        map_w_used = map_h / aspect
    else:
        map_w_used = map_w
    if map_h < side_min:  # wide: show more land above and below
        map_h = side_min
    view = fit_aspect(bounds, map_h / map_w_used)
    left = LEFT + (map_w - map_w_used) / 2
    layout = Layout(
        width=sheet.width,
        height=head + map_h + BOTTOM,
        frame=(left, BOTTOM, map_w_used, map_h),
        side=side,
    )
    return layout, view


def new_figure(layout: Layout) -> tuple[Figure, Axes]:
    """Make a figure of ``layout`` and its map Axes."""
    fig = plt.figure(figsize=(layout.width, layout.height))
    left, bottom, width, height = layout.frame
    ax = fig.add_axes(
        (left / layout.width, bottom / layout.height, width / layout.width, height / layout.height)
    )
    return fig, ax


def head_height(subtitle_lines: int) -> float:
    """Height of a title and ``subtitle_lines`` lines under it, inches (current style)."""
    title = float(plt.rcParams["axes.titlesize"])
    small = float(plt.rcParams["legend.fontsize"])
    return 0.14 + title * 1.45 / 72 + subtitle_lines * small * 1.5 / 72 + 0.06


def legend_height(handles: Sequence[Artist], lang: Lang) -> float:
    """Height of a side legend of ``handles``, inches (current style)."""
    small = float(plt.rcParams["legend.fontsize"])
    lines = sum(1 + str(h.get_label()).count("\n") for h in handles)
    return (small * 1.5 * (lines + 1) + small * 0.9 * len(handles)) / 72 + 0.1


def frame_inches(ax: Axes) -> tuple[float, float]:
    """Width and height of ``ax`` on the page, inches."""
    box = ax.get_position()
    fig = root_figure(ax)
    width, height = fig.get_size_inches()
    return float(box.width * width), float(box.height * height)


def frame_width(size: PaperSize, lang: Lang = "zh") -> float:
    """Width of the map frame of a full-page map, inches."""
    sheet = page(size)
    return sheet.width - LEFT - RIGHT - GAP - _side_share(lang) * sheet.width
