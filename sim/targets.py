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

from sim.firms import FirmCounts
from sim.metrics import Metric, metric_info
from sim.result import Ensemble, Result
from sim.scenario import Target
from sim.units import Dimension

__all__ = ["evaluate_targets", "metric_display", "metric_series", "probability_by_year"]


def metric_series(result: Result | Ensemble, metric: Metric) -> npt.NDArray[np.float64]:
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


def evaluate_targets(
    result: Result,
    targets: Sequence[Target],
    *,
    ensemble: Ensemble | None = None,
    firms: FirmCounts | None = None,
    firms_ensemble: FirmCounts | None = None,
    tolerance: float = 0.10,
) -> pd.DataFrame:
    """Compare each target with the projection.

    Parameters
    ----------
    result
        The deterministic result: its projection is ``projected``.
    targets
        The scenario's targets.
    ensemble
        A Monte Carlo run: ``probability_met`` is then the share of its draws that
        meet the target, with the draws' P10/P50/P90 beside it. Without one,
        ``probability_met`` is 1 or 0 (the deterministic run is one draw).
    firms, firms_ensemble
        Firm counts (:class:`sim.firms.FirmCounts`) of the deterministic run and of the
        draws, which ``firms`` targets (above their ``threshold``) are checked against;
        without them a ``firms`` target's projection is NaN (``sim.compute`` simulates
        the firms and passes them).
    tolerance
        Relative shortfall up to which a target not met is ``near`` (the scenario's
        ``[benchmarks] tolerance``): a 1.6 % gap is near, not a bare "no".

    Returns
    -------
    pandas.DataFrame
        Columns ``metric, park_id, year, target, projected, gap, share, met, near,
        probability_met, projected_p10, projected_p50, projected_p90, source, basis,
        threshold_cny`` (the revenue level of a ``firms`` target, else NaN);
        ``gap = projected − target`` (negative = short), ``share = projected / target``.
    """
    rows = []
    for target in targets:
        projected = float(_values(result, target, firms)[0])
        draws = (
            _values(ensemble, target, firms_ensemble)
            if ensemble is not None
            else np.array([projected])
        )
        if target.metric is Metric.WORKERS:  # workers are whole persons
            projected, draws = float(np.floor(projected + 1e-9)), np.floor(draws + 1e-9)
        p10, p50, p90 = np.percentile(draws, [10, 50, 90])
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
                "near": bool(
                    projected < target.value
                    and target.value - projected <= tolerance * abs(target.value)
                ),
                "probability_met": float(np.mean(draws >= target.value)),
                "projected_p10": float(p10),
                "projected_p50": float(p50),
                "projected_p90": float(p90),
                "source": target.source,
                "basis": target.counted.value,
                "threshold_cny": np.nan if target.threshold is None else target.threshold,
            }
        )
    columns = [
        "metric", "park_id", "year", "target", "projected", "gap", "share", "met", "near",
        "probability_met", "projected_p10", "projected_p50", "projected_p90", "source",
        "basis", "threshold_cny",
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=columns)


def _values(
    result: Result | Ensemble, target: Target, firms: FirmCounts | None = None
) -> npt.NDArray[np.float64]:
    """Return the target's quantity in every draw, ``(D,)``.

    ``total`` is every park and the rest of the city (firms: every park).
    """
    t = _year_index(result, target.year)
    if target.metric is Metric.FIRMS:
        if firms is None:  # firms are simulated by sim.outcome.compute, not the engine
            return np.full(result.draws, np.nan)
        if target.park == "total":
            return np.asarray(firms.total(target.threshold)[:, t], dtype=np.float64)
        column = firms.park_ids.index(target.park)
        return np.asarray(firms.by_park(target.threshold)[:, t, column], dtype=np.float64)
    if target.park == "total":
        return np.asarray(result.total(target.metric.column)[:, t], dtype=np.float64)
    series = metric_series(result, target.metric)[:, t]
    return np.asarray(series[:, result.park_ids.index(target.park)], dtype=np.float64)


def probability_by_year(
    ensemble: Ensemble, target: Target, firms: FirmCounts | None = None
) -> npt.NDArray[np.float64]:
    """Share of draws in which the target's quantity reaches its value, every year.

    Parameters
    ----------
    ensemble
        A Monte Carlo run.
    target
        A target; its ``year`` is ignored — the probability is given for every year.
    firms
        The draws' firm counts, for a ``firms`` target (NaN in every year without).

    Returns
    -------
    numpy.ndarray
        ``(Y,)`` probabilities in [0, 1].
    """
    if target.metric is Metric.FIRMS:
        if firms is None:
            return np.full(ensemble.years.size, np.nan)
        counts = firms.by_park(target.threshold)
        if target.park == "total":
            values = counts.sum(axis=2)
        else:
            values = counts[:, :, firms.park_ids.index(target.park)]
        return np.asarray((values >= target.value).mean(axis=0), dtype=np.float64)
    series = metric_series(ensemble, target.metric)
    if target.park == "total":
        values = ensemble.total(target.metric.column)
    else:
        values = series[:, :, ensemble.park_ids.index(target.park)]
    return np.asarray((values >= target.value).mean(axis=0), dtype=np.float64)


def _year_index(result: Result | Ensemble, year: int) -> int:
    hits = np.flatnonzero(result.years == year)
    if hits.size == 0:
        raise KeyError(f"year {year} is outside {result.years[0]}–{result.years[-1]}")
    return int(hits[0])


def metric_display(column: str) -> tuple[str, float, str]:
    """How tables show a target metric: short name, divisor from SI, planner's unit.

    Parameters
    ----------
    column
        A target table's ``metric`` (e.g. ``"floor_completed_m2"``).

    Returns
    -------
    tuple
        ``(name, scale, unit)``; values divided by ``scale`` are in ``unit``.

    Examples
    --------
    >>> metric_display("revenue_cny")
    ('revenue', 100000000.0, '亿元')
    """
    info = metric_info(column)
    if info is None:
        return column, 1.0, ""
    return info.short, info.scale, "" if info.dimension is Dimension.RATIO else info.unit
