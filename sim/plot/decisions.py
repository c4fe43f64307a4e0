"""Charts of the decision tools: P(met) against a lever, a calibration, tornado and Sobol bars.

In: what :mod:`sim.decisions` computed (a ``Solution``, ``Calibration`` or
``Sensitivity``); out: matplotlib figures in the house style. Nothing is computed here:
every number drawn is in the object read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from matplotlib.ticker import PercentFormatter

from sim.plot.figure import chart_axes
from sim.plot.style import TARGET_COLOUR, style_context

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from sim.decisions.calibrate import Calibration
    from sim.decisions.sensitivity import Sensitivity
    from sim.decisions.solve import Solution

__all__ = ["calibration_chart", "probability_curve_chart", "sobol_chart", "tornado_chart"]

_LINE = "#0B2A55"
_BAND = "#9DB7D5"
_LOW = "#4C78A8"
_HIGH = "#E45756"


def probability_curve_chart(solution: Solution, *, ax: Axes | None = None) -> tuple[Figure, Axes]:
    """P(target met) against the lever (one-lever solutions), the answer marked.

    Without a lever (the earliest-year question) P(met) is drawn against the year.
    """
    with style_context():
        fig, ax = chart_axes(ax, "A4", aspect=0.6)
        if solution.levers:
            x, p = solution.curve
            lever = solution.levers[0]
            ax.plot(x, p, "o-", color=_LINE, drawstyle="steps-post", label="P(met), grid")
            ax.set_xlabel(lever.label)
            if solution.answer is not None:
                v = solution.answer[lever.path]
                ax.axvline(
                    v,
                    color=TARGET_COLOUR,
                    linestyle="--",
                    label=f"answer {v:,.4g} {lever.unit}".rstrip(),
                )
        else:
            ax.plot(solution.years, solution.by_year, "o-", color=_LINE, label="P(met)")
            ax.set_xlabel("year")
            if solution.earliest_year is not None:
                ax.axvline(
                    solution.earliest_year,
                    color=TARGET_COLOUR,
                    linestyle="--",
                    label=f"earliest year {solution.earliest_year}",
                )
        ax.axhline(
            solution.probability,
            color="grey",
            linewidth=0.8,
            label=f"P = {solution.probability:.0%}",
        )
        ax.set_ylim(-0.02, 1.02)
        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
        ax.set_ylabel("P(target met)")
        ax.set_title(f"{solution.goal.text} — {solution.draws} draws, seed {solution.seed}")
        ax.legend(frameon=False, fontsize="x-small")
    return fig, ax


def calibration_chart(calibration: Calibration, *, ax: Axes | None = None) -> tuple[Figure, Axes]:
    """Observed (± 1.96 sd) against simulated at the estimate, with the posterior band."""
    with style_context():
        fig, ax = chart_axes(ax, "A4", aspect=0.5 + 0.03 * len(calibration.labels))
        y = np.arange(len(calibration.labels))
        scale = max(float(np.max(np.abs(calibration.observed))), 1.0)
        ax.errorbar(
            calibration.observed / scale,
            y,
            xerr=1.959964 * calibration.sd / scale,
            fmt="o",
            color="black",
            label="observed ± 1.96 sd",
        )
        ax.plot(calibration.simulated / scale, y, "D", color=_HIGH, label="simulated (estimate)")
        if calibration.posterior is not None:
            band = np.asarray(calibration.posterior["band"], dtype=float) / scale
            ax.hlines(
                y,
                band[:, 0],
                band[:, 1],
                color=_BAND,
                linewidth=6,
                alpha=0.8,
                label="posterior 95 % band",
                zorder=0,
            )
        ax.set_yticks(y, calibration.labels, fontsize="x-small")
        ax.invert_yaxis()
        ax.set_xlabel(f"value / {scale:,.4g}")
        ax.set_title("calibration: observed against simulated")
        ax.legend(frameon=False, fontsize="x-small")
    return fig, ax


def tornado_chart(result: Sensitivity, *, ax: Axes | None = None) -> tuple[Figure, Axes]:
    """Bars from the point run's output to its value at each input's P10 and P90."""
    table = result.table
    with style_context():
        fig, ax = chart_axes(ax, "A4", aspect=0.3 + 0.05 * len(table))
        y = np.arange(len(table))
        base = result.base
        ax.barh(y, table["low_output"] - base, left=base, color=_LOW, label="input at P10")
        ax.barh(y, table["high_output"] - base, left=base, color=_HIGH, label="input at P90")
        ax.axvline(base, color="black", linewidth=0.8)
        ax.set_yticks(y, table["input"], fontsize="x-small")
        ax.invert_yaxis()
        q = result.output
        ax.set_xlabel(f"{q.series} {q.park} {q.year}")
        ax.set_title("tornado: each input at P10 and P90, the rest at point values")
        ax.legend(frameon=False, fontsize="x-small")
    return fig, ax


def sobol_chart(result: Sensitivity, *, ax: Axes | None = None) -> tuple[Figure, Axes]:
    """First-order and total-order Sobol indices with their 95 % intervals."""
    table = result.table
    with style_context():
        fig, ax = chart_axes(ax, "A4", aspect=0.3 + 0.05 * len(table))
        y = np.arange(len(table))
        ax.barh(
            y - 0.2,
            table["S1"],
            height=0.4,
            xerr=table["S1_conf"],
            color=_LOW,
            label="first order S1",
        )
        ax.barh(
            y + 0.2,
            table["ST"],
            height=0.4,
            xerr=table["ST_conf"],
            color=_HIGH,
            label="total order ST",
        )
        ax.set_yticks(y, table["input"], fontsize="x-small")
        ax.invert_yaxis()
        ax.set_xlabel("Sobol index (bars: 95 % interval)")
        q = result.output
        ax.set_title(f"Sobol indices of {q.series} {q.park} {q.year}")
        ax.legend(frameon=False, fontsize="x-small")
    return fig, ax
