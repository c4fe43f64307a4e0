"""Targets: what the plan promises against what a Result projects.

``(Result, Scenario.targets) ──evaluate_targets──▶ table`` with one row per target:
the metric, the park (or ``total``), the year, the target value, the projected value,
the gap and whether it is met. Values are in SI units (m², CNY/yr, persons).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd

from sim.result import Result
from sim.scenario import Metric, Target

__all__ = ["evaluate_targets", "metric_series"]


def metric_series(result: Result, metric: Metric) -> npt.NDArray[np.float64]:
    """Return the series a metric is checked against, per park: shape ``(D, Y, K)``.

    Parameters
    ----------
    result
        A simulation result.
    metric
        What to measure; ``floor_started`` is completed plus under construction.

    Returns
    -------
    numpy.ndarray
    """
    if metric is Metric.FLOOR_STARTED:
        return result.by_park("floor_completed_m2") + result.by_park("floor_under_construction_m2")
    return result.by_park(metric.column)


def evaluate_targets(result: Result, targets: Sequence[Target]) -> pd.DataFrame:
    """Compare each target with the projection.

    Parameters
    ----------
    result
        A simulation result (draw 0 is the projection; with several draws the
        ``probability_met`` column gives the share of draws meeting the target).
    targets
        The scenario's targets.

    Returns
    -------
    pandas.DataFrame
        Columns ``metric, park_id, year, target, projected, gap, share, met,
        probability_met, source``; ``gap = projected − target`` (negative = short),
        ``share = projected / target``.
    """
    rows = []
    for target in targets:
        series = metric_series(result, target.metric)[:, result.year_index(target.year)]
        if target.park == "total":
            values = series.sum(axis=1)
        else:
            values = series[:, result.park_ids.index(target.park)]
        projected = float(values[0]) if result.draws == 1 else float(np.median(values))
        rows.append(
            {
                "metric": target.metric.column,
                "park_id": target.park,
                "year": target.year,
                "target": target.value,
                "projected": projected,
                "gap": projected - target.value,
                "share": projected / target.value if target.value else np.nan,
                "met": bool(projected >= target.value),
                "probability_met": float(np.mean(values >= target.value)),
                "source": target.source,
            }
        )
    columns = [
        "metric", "park_id", "year", "target", "projected", "gap", "share", "met",
        "probability_met", "source",
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=columns)
