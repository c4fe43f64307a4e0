"""Figures of a sweep: a heat map for two levers, parallel coordinates for more.

In: a sweep's scores (one row per variant: its levers, as text, and ``objective``,
:func:`sim.sweep.results.score`). Out: a Figure in the house style. Levers whose values
read as numbers (``1.5``, ``"2 ha"``, ``"85 %"``) are placed by their number, others by
their order of first appearance. Computes nothing of the model.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["MAX_CELLS", "heat_map", "lever_numbers", "parallel_coordinates", "sweep_chart"]

#: Most distinct values of a lever a heat map shows as cells; more are drawn as points.
MAX_CELLS = 12

_NUMBER = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)")


def lever_numbers(values: Sequence[str]) -> npt.NDArray[np.float64]:
    """Place a lever's values on an axis: their leading numbers, else their order.

    Examples
    --------
    >>> lever_numbers(["1.5 ha", "3 ha", "1.5 ha"]).tolist()
    [1.5, 3.0, 1.5]
    >>> lever_numbers(["low", "high", "low"]).tolist()
    [0.0, 1.0, 0.0]
    """
    matches = [_NUMBER.match(v) for v in values]
    if all(m is not None for m in matches):
        return np.array([float(m.group(1)) for m in matches if m is not None])
    order = {v: float(i) for i, v in enumerate(dict.fromkeys(values))}
    return np.array([order[v] for v in values])


def _texts(
    values: list[str], numbers: npt.NDArray[np.float64], unique: npt.NDArray[np.float64]
) -> list[str]:
    """Label each distinct number with the text it was first written as."""
    first: dict[float, str] = {}
    for number, text in zip(numbers.tolist(), values, strict=True):
        first.setdefault(number, text)
    return [first[float(u)] for u in unique]


def heat_map(scores: pd.DataFrame, x: str, y: str, *, title: str) -> tuple[Figure, Axes]:
    """Draw the objective over two levers: the mean of the variants in each cell."""
    import matplotlib.pyplot as plt

    from sim.plot.style import style_context

    xs, ys = lever_numbers(list(scores[x])), lever_numbers(list(scores[y]))
    ux, uy = np.unique(xs), np.unique(ys)
    if max(ux.size, uy.size) > MAX_CELLS:  # a hypercube: every variant its own value
        return _scatter(scores, x, y, xs, ys, title=title)
    grid = np.full((uy.size, ux.size), np.nan)
    total = np.zeros_like(grid)
    count = np.zeros_like(grid)
    objective = scores["objective"].to_numpy(dtype=float)
    ok = np.isfinite(objective)
    np.add.at(total, (np.searchsorted(uy, ys[ok]), np.searchsorted(ux, xs[ok])), objective[ok])
    np.add.at(count, (np.searchsorted(uy, ys[ok]), np.searchsorted(ux, xs[ok])), 1)
    np.divide(total, count, out=grid, where=count > 0)
    with style_context("A4"):
        fig, ax = plt.subplots(figsize=(6.5, 5))
        image = ax.imshow(grid, origin="lower", aspect="auto", cmap="viridis")
        ax.set_xticks(range(ux.size), _texts(list(scores[x]), xs, ux))
        ax.set_yticks(range(uy.size), _texts(list(scores[y]), ys, uy))
        ax.set_xlabel(x)
        ax.set_ylabel(y)
        ax.set_title(title)
        fig.colorbar(image, ax=ax, label="objective")
        for (row, col), value in np.ndenumerate(grid):
            if np.isfinite(value):
                ax.text(col, row, f"{value:.2g}", ha="center", va="center", color="w", size=8)
    return fig, ax


def _scatter(
    scores: pd.DataFrame,
    x: str,
    y: str,
    xs: npt.NDArray[np.float64],
    ys: npt.NDArray[np.float64],
    *,
    title: str,
) -> tuple[Figure, Axes]:
    """Draw each variant as a point at its two levers, coloured by the objective."""
    import matplotlib.pyplot as plt

    from sim.plot.style import style_context

    with style_context("A4"):
        fig, ax = plt.subplots(figsize=(6.5, 5))
        points = ax.scatter(xs, ys, c=scores["objective"].to_numpy(dtype=float), cmap="viridis")
        ax.set_xlabel(x)
        ax.set_ylabel(y)
        ax.set_title(title)
        fig.colorbar(points, ax=ax, label="objective")
    return fig, ax


def parallel_coordinates(
    scores: pd.DataFrame, levers: Sequence[str], *, title: str
) -> tuple[Figure, Axes]:
    """One line per variant across its levers (each scaled to 0–1), coloured by objective."""
    import matplotlib.pyplot as plt
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize

    from sim.plot.style import style_context

    columns = [lever_numbers(list(scores[lever])) for lever in levers]
    objective = scores["objective"].to_numpy(dtype=float)
    axes_values = [*columns, objective]
    scaled = []
    for values in axes_values:
        low, high = np.nanmin(values), np.nanmax(values)
        scaled.append((values - low) / (high - low) if high > low else np.full_like(values, 0.5))
    lines = np.stack(scaled, axis=1)
    finite = objective[np.isfinite(objective)]
    norm = Normalize(
        float(finite.min()) if finite.size else 0.0, float(finite.max()) if finite.size else 1.0
    )
    with style_context("A4"):
        fig, ax = plt.subplots(figsize=(8, 4.5))
        cmap = plt.get_cmap("viridis")
        for row, value in zip(lines, objective, strict=True):
            colour = cmap(norm(value)) if np.isfinite(value) else "0.7"
            ax.plot(range(len(axes_values)), row, color=colour, alpha=0.8, linewidth=1)
        names = [lever.rsplit(".", 1)[-1] if len(lever) > 24 else lever for lever in levers]
        ax.set_xticks(range(len(axes_values)), [*names, "objective"], rotation=20, ha="right")
        ax.set_yticks([])
        ax.set_ylim(-0.08, 1.08)
        for i, values in enumerate(axes_values):
            ax.axvline(i, color="0.5", linewidth=0.6)
            low, high = np.nanmin(values), np.nanmax(values)
            ax.text(i, -0.06, f"{low:.3g}", ha="center", va="top", size=8)
            ax.text(i, 1.06, f"{high:.3g}", ha="center", va="bottom", size=8)
        ax.set_title(title, pad=18)
        fig.subplots_adjust(bottom=0.25)
        fig.colorbar(ScalarMappable(norm=norm, cmap=cmap), ax=ax, label="objective")
    return fig, ax


def sweep_chart(scores: pd.DataFrame, levers: Sequence[str], *, title: str) -> tuple[Figure, Axes]:
    """Draw the sweep's chart: :func:`heat_map` for two levers, else parallel coordinates."""
    if len(levers) == 2:
        return heat_map(scores, levers[0], levers[1], title=title)
    return parallel_coordinates(scores, levers, title=title)
