"""The house map frame: parcels in given colours with everything a report map carries.

In: a :class:`~sim.site.Site`, one colour per parcel, the legend's entries and a
:class:`MapOptions`. Out: a matplotlib Figure and the map Axes.

Every map kind (:mod:`sim.plot.status`, :mod:`sim.plot.completion`,
:mod:`sim.plot.compliance`) decides the colours and the legend and hands them to
:func:`parcel_map`, which draws the same furniture on each: a title and the
scenario's name, a legend explaining every colour, a north arrow to true north, a
scale bar true on the ground, the coast and land as a base, park outlines with names
that never overlap (on leader lines where a park is too small for its name), a source
line (base map, 示意 for schematic outlines, parksim version, date) and a 示意图 note.
A map of one park (``park=``) zooms to it and adds a locator inset of the whole city
with the park highlighted; a map of the whole city adds detail insets where parks are
too small to read (:mod:`sim.plot.insets`).

A figure made here has a fixed layout (:mod:`sim.plot.layout`): its width is the text
block of the page, its height follows the map's shape, and labels are placed for that
layout. Given ``ax=``, the map fills that Axes and the side column (arrow, legend,
insets) hangs to its right.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.patches import Patch

from sim.plot.cartography import north_arrow, place_labels, source_text
from sim.plot.figure import root_figure
from sim.plot.insets import detail_insets, locator_inset, small_park_groups
from sim.plot.layers import MapLayers, check_park, is_schematic, map_layers
from sim.plot.layout import (
    GAP,
    frame_inches,
    frame_width,
    head_height,
    legend_height,
    map_extent,
    new_figure,
    page_layout,
)
from sim.plot.primitives import (
    PARK_EDGE,
    bottom_notes,
    draw_land,
    draw_parcels,
    draw_park_outlines,
    draw_title,
    legend_bottom,
    park_label_specs,
    set_view,
    side_legend,
)
from sim.plot.style import Lang, PaperSize, check_lang, label, page, style_context

if TYPE_CHECKING:
    import numpy.typing as npt
    from matplotlib.artist import Artist
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from sim.plot.layout import Bounds
    from sim.site import Site

__all__ = ["DEFAULT_OPTIONS", "MapOptions", "parcel_map"]


@dataclass(frozen=True, kw_only=True)
class MapOptions:
    """How a map is drawn, whatever it shows: label language, page, date of the source line.

    Every map function takes one (``options=``); make it once for a set of figures.

    Attributes
    ----------
    lang
        Language of the labels: ``"zh"``, ``"en"`` or ``"both"``.
    size
        Paper size the figure is made for, ``"A4"`` or ``"A3"`` (its text width).
    date
        Date printed in the source line; default today (or ``SOURCE_DATE_EPOCH``).

    Raises
    ------
    ValueError
        If ``lang`` or ``size`` is unknown; the message lists the choices.

    Examples
    --------
    >>> MapOptions(lang="en", size="A3")
    MapOptions(lang='en', size='A3', date=None)
    >>> MapOptions(lang="fr")
    Traceback (most recent call last):
    ...
    ValueError: lang must be one of 'zh', 'en', 'both'; got 'fr'
    """

    lang: Lang = "zh"
    size: PaperSize = "A4"
    date: dt.date | None = None

    def __post_init__(self) -> None:
        check_lang(self.lang)
        page(self.size)


#: The options of a map drawn without ``options=``: Chinese labels, A4, today's date.
DEFAULT_OPTIONS = MapOptions()


def _boundary_handle(schematic: bool, lang: Lang) -> Patch:
    return Patch(
        facecolor="none",
        edgecolor=PARK_EDGE,
        linewidth=1.0,
        label=label(
            "园区边界（示意）" if schematic else "园区边界",
            "park boundary (schematic)" if schematic else "park boundary",
            lang,
            sep="\n",
        ),
    )


def parcel_map(
    site: Site,
    facecolors: Sequence[str],
    *,
    title: str,
    legend_title: str,
    handles: Sequence[Artist],
    park: str | None = None,
    hatched: npt.ArrayLike | None = None,
    subtitle: str | None = None,
    schematic: bool | None = None,
    source: str | None = None,
    options: MapOptions = DEFAULT_OPTIONS,
    ax: Axes | None = None,
) -> tuple[Figure, Axes]:
    """Draw parcels in given colours in the house map frame (the engine of every parcel map).

    Parameters
    ----------
    site
        The parcels (in a projected CRS), the park outlines with ``park_id, name_zh,
        name_en`` (optional ``outline``: a value containing "schematic" or 示意 marks
        them schematic) and the land of the base map (the sea is the frame's colour;
        its ``source`` column is cited in the source line).
    facecolors
        One colour per parcel row.
    title, legend_title, handles
        Map title, legend title and legend entries (a park-outline entry is added).
    park
        Zoom to this park and add a locator inset; default the whole site.
    hatched
        Boolean mask of parcels drawn hatched (idle land).
    subtitle
        Grey line under the title (the scenario's name, say).
    schematic
        Whether to mark the map 示意图; default: when the parks say so.
    source
        Source line; default :func:`sim.plot.cartography.source_text`.
    options
        Label language, paper size and the date in the default source line.
    ax
        Axes to draw on; a new figure is made if omitted.

    Returns
    -------
    tuple of (Figure, Axes)
        The parcel collection has gid ``"parcels"``, the scale bar ``"scale-bar"``.

    Raises
    ------
    ValueError
        If ``facecolors`` does not give one colour per parcel, or a layer's CRS is
        missing or (for the parcels) geographic.
    KeyError
        If ``park`` is not in the site.
    """
    lang = options.lang
    layers = map_layers(site)
    if len(facecolors) != len(layers.parcels):
        raise ValueError(
            f"facecolors must give one colour per parcel: {len(layers.parcels)}; "
            f"got {len(facecolors)}"
        )
    check_park(layers, park)
    mask = None if hatched is None else np.asarray(hatched, dtype=bool)
    schematic = is_schematic(layers) if schematic is None else schematic
    handles = list(handles)
    if layers.parks is not None:
        handles.append(_boundary_handle(schematic, lang))

    with style_context(options.size):
        bounds = map_extent(layers, park)
        subtitle_lines = 0 if not subtitle else 1 + subtitle.count("\n")
        subtitle_lines += title.count("\n")
        side_min = 0.8 + legend_height(handles, lang) + (1.9 if park is not None else 0.0)
        if park is None:  # room for the detail insets of small parks
            groups = small_park_groups(layers, bounds, frame_width(options.size, lang))
            side_min += 1.8 * len(groups)
        if ax is None:
            layout, view = page_layout(
                bounds,
                options.size,
                head=head_height(subtitle_lines),
                side_min=side_min,
                lang=lang,
            )
            fig, ax = new_figure(layout)
            side_w = layout.side
        else:
            fig = root_figure(ax)
            view = bounds
            side_w = 0.27 * float(fig.get_size_inches()[0])
        set_view(ax, view)
        draw_land(ax, layers.land, view)
        draw_parcels(ax, layers.parcels, list(facecolors), mask)
        draw_park_outlines(ax, layers.parks, park)

        frame_w, _ = frame_inches(ax)
        side_x = 1.0 + GAP / frame_w
        draw_title(ax, title, subtitle)
        arrow_h = north_arrow(ax, layers.crs, x=side_x + 0.12 / frame_w, y=1.0)
        side_legend(ax, handles, legend_title, below=arrow_h + 4.0, x=side_x)
        skip = _side_insets(
            ax, layers, park, view, list(facecolors), mask, lang, x=side_x, width_in=0.92 * side_w
        )
        place_labels(ax, park_label_specs(layers.parks, view, lang, skip=skip))
        text = (
            source
            if source is not None
            else source_text(lang, land=layers.land, schematic=schematic, date=options.date)
        )
        bottom_notes(
            ax,
            layers.crs,
            source=text,
            note=label("示意图", "schematic", lang) if schematic else None,
        )
    return fig, ax


def _side_insets(
    ax: Axes,
    layers: MapLayers,
    park: str | None,
    view: Bounds,
    facecolors: list[str],
    hatched: npt.NDArray[np.bool_] | None,
    lang: Lang,
    *,
    x: float,
    width_in: float,
) -> frozenset[int]:
    """Add the locator or detail insets; return the park rows not to label on the map.

    The title names the park shown, and parks in a detail inset are named there.
    """
    if park is not None:
        locator_inset(ax, layers, park, view, x=x, width_in=width_in, lang=lang)
        if layers.parks is None:
            return frozenset()
        ids = layers.parks["park_id"].astype(str).to_numpy()
        return frozenset(int(i) for i in np.flatnonzero(ids == park))
    frame_w, frame_h = frame_inches(ax)
    clusters = small_park_groups(layers, view, frame_w)
    if not clusters:
        return frozenset()
    detail_insets(
        ax,
        layers,
        clusters,
        facecolors,
        hatched,
        lang,
        x=x,
        width_in=width_in,
        top=legend_bottom(ax) - 0.2 / frame_h,
    )
    return frozenset(int(r) for rows in clusters for r in rows)
