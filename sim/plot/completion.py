"""Completion map: every parcel by the year its last phase completed; unbuilt parcels grey.

In: an :class:`~sim.outcome.Outcome` (its site and the completion years of its
result). Out: a matplotlib Figure in the house map frame
(:func:`sim.plot.frame.parcel_map`), each legend entry counting its parcels.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import to_hex
from matplotlib.patches import Patch

from sim.plot.frame import DEFAULT_OPTIONS, MapOptions, parcel_map
from sim.plot.layers import in_park, layers_of, park_name
from sim.plot.primitives import SWATCH_EDGE
from sim.plot.style import EMPTY_COLOUR, SEQUENTIAL_CMAP, SEQUENTIAL_RANGE, label

if TYPE_CHECKING:
    import numpy.typing as npt
    from matplotlib.artist import Artist
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from sim.outcome import Outcome

__all__ = ["completion_map"]


def _year_colours(years: npt.NDArray[np.int64]) -> dict[int, str]:
    cmap = plt.get_cmap(SEQUENTIAL_CMAP)
    lo, hi = SEQUENTIAL_RANGE
    steps = np.linspace(lo, hi, max(len(years), 2))[: len(years)]
    return {int(y): to_hex(cmap(s)) for y, s in zip(years, steps, strict=True)}


def completion_map(
    outcome: Outcome,
    *,
    park: str | None = None,
    options: MapOptions = DEFAULT_OPTIONS,
    ax: Axes | None = None,
) -> tuple[Figure, Axes]:
    """Map every parcel by the year its last phase completed; unbuilt parcels grey.

    Colours run from dark (early) to light (late) along matplotlib's cividis, which
    stays readable in greyscale and under colour-vision deficiencies; parcels not
    completed by the horizon are the grey of "not serviced". Each legend entry counts
    its parcels.

    Parameters
    ----------
    outcome, park, options, ax
        As in :func:`sim.plot.status.status_map`.

    Returns
    -------
    tuple of (Figure, Axes)
        The parcel collection has gid ``"parcels"``.

    Raises
    ------
    ValueError
        If the site's parcels do not match ``outcome.result.parcel_ids``.
    KeyError
        If ``park`` is not in the site.
    """
    result, lang = outcome.result, options.lang
    layers = layers_of(outcome, park)
    done = result.completion_year[0]
    colours = _year_colours(result.years)
    faces = np.full(done.shape, EMPTY_COLOUR, dtype=object)
    finished = np.isfinite(done)
    faces[finished] = [colours[int(y)] for y in done[finished]]
    counted = in_park(layers, park)
    horizon = int(result.years[-1])
    handles: list[Artist] = []
    for year, colour in colours.items():
        n = int((counted & (done == year)).sum())
        handles.append(
            Patch(facecolor=colour, edgecolor=SWATCH_EDGE, linewidth=0.4, label=f"{year} ({n})")
        )
    n_open = int((counted & ~finished).sum())
    unbuilt = label(f"{horizon}年底未竣工", f"not completed by {horizon}", lang, sep="\n")
    handles.append(
        Patch(
            facecolor=EMPTY_COLOUR,
            edgecolor=SWATCH_EDGE,
            linewidth=0.4,
            label=f"{unbuilt} ({n_open})",
        )
    )
    where = f"{park_name(layers, park, lang)} · " if park is not None else ""
    return parcel_map(
        outcome.site,
        list(faces),
        title=where + label("地块竣工年份", "Year each parcel was completed", lang),
        subtitle=result.scenario_name,
        legend_title=label("竣工年份", "Completed in", lang),
        handles=handles,
        park=park,
        options=options,
        ax=ax,
    )
