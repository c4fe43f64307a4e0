"""Scenario comparison: several scenarios run side by side (``parksim compare``).

``[scenario files] ──compare──▶ Comparison ──▶ tables, comparison.csv, overlay chart``

Each scenario is loaded, its site read and simulated (deterministically, and with
``draws > 1`` also as a Monte Carlo ensemble). A :class:`Comparison` holds, per
scenario: floor completed per park at its horizon, every target's projection with
whether it is met (and P(met) over the draws), the count of parcels in each
admission-rule class and idle at the horizon (:mod:`sim.rules`), and the cumulative
total floor completed year by year for :func:`overlay_chart`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["Comparison", "compare", "comparison_frame", "overlay_chart"]


@dataclass(frozen=True)
class Comparison:
    """Scenarios side by side; every table has one column per scenario label.

    Attributes
    ----------
    labels
        One short label per scenario (its file name without ``.toml``), in order.
    names
        The scenarios' own names.
    horizons
        Each scenario's last simulated year.
    draws
        Monte Carlo draws per scenario (1: deterministic only).
    floor
        Floor completed at the horizon (m²), rows ``park_id`` plus ``total``; NaN
        where a scenario has no such park.
    targets
        One row per target ``(metric, park_id, year)`` and column level 2 ``target``
        and ``projected`` (in the target's unit), ``met`` and ``probability_met``.
    compliance
        Parcels at the horizon: rows are the :class:`~sim.rules.Compliance` classes
        (English labels), ``idle``, ``started`` and ``parcels`` (all).
    series
        Total floor completed (m²) by year (rows) per scenario (columns); with draws
        also columns ``<label> p10`` and ``<label> p90``.
    park_names
        ``park_id, park_name_zh, park_name_en`` of every park of every scenario (the
        first scenario naming a park wins), :func:`sim.site.park_names`.
    """

    labels: tuple[str, ...]
    names: tuple[str, ...]
    horizons: tuple[int, ...]
    draws: int
    floor: pd.DataFrame
    targets: pd.DataFrame
    compliance: pd.DataFrame
    series: pd.DataFrame
    park_names: pd.DataFrame = field(default_factory=pd.DataFrame)


def _labels(paths: Sequence[Path]) -> list[str]:
    labels = [p.stem for p in paths]
    for i, label in enumerate(labels):
        if labels.count(label) > 1:
            labels[i] = f"{label} ({i + 1})"
    return labels


def compare(
    paths: Sequence[str | Path],
    *,
    draws: int = 1,
    seed: int | None = None,
    chunk_size: int = 2048,
    progress: Callable[[str], None] | None = None,
) -> Comparison:
    """Run each scenario and gather what a planner compares.

    Parameters
    ----------
    paths
        Two or more scenario files.
    draws
        Monte Carlo draws per scenario; with more than one, targets get P(met) and
        the series a P10–P90 band.
    seed
        Seed of every scenario's draws (default: each scenario's own).
    chunk_size
        Draws simulated together (memory bound).
    progress
        Called with a scenario's label before it is run.

    Returns
    -------
    Comparison

    Raises
    ------
    SimError
        If a scenario or its site is invalid (the message names the file).
    """
    from sim.outcome import compute, load
    from sim.result import Status
    from sim.rules import Compliance
    from sim.site import park_names
    from sim.states import ParcelState

    files = [Path(p) for p in paths]
    labels = _labels(files)
    floors, targets, compliance, series = {}, {}, {}, {}
    names, horizons = [], []
    parks = []
    for label, path in zip(labels, files, strict=True):
        if progress is not None:
            progress(label)
        outcome = compute(*load(path), draws=draws, seed=seed, chunk_size=chunk_size)
        scenario, result, ensemble = outcome.scenario, outcome.result, outcome.ensemble
        names.append(scenario.name)
        parks.append(park_names(outcome.site))
        horizons.append(int(result.years[-1]))
        completed = result.by_park("floor_completed_m2")[0, -1]
        floors[label] = pd.Series(
            [*completed, completed.sum()], index=[*result.park_ids, "total"], dtype=float
        )
        targets[label] = outcome.targets.set_index(["metric", "park_id", "year"])[
            ["target", "projected", "met", "probability_met"]
        ]
        classes = outcome.classes_in()
        counts = {c.label_en: int((classes == c).sum()) for c in Compliance}
        final = result.status[0, -1]
        counts["idle"] = int((outcome.states_in() == ParcelState.IDLE).sum())
        counts["started"] = int((final >= Status.UNDER_CONSTRUCTION).sum())
        counts["parcels"] = int(final.size)
        compliance[label] = pd.Series(counts)
        total = pd.Series(result.total("floor_completed_m2")[0], index=result.years)
        series[label] = total
        if ensemble is not None:
            values = ensemble.series["floor_completed_m2"].sum(axis=2)  # (D, Y)
            low, high = np.percentile(values, [10, 90], axis=0)
            series[f"{label} p10"] = pd.Series(low, index=ensemble.years)
            series[f"{label} p90"] = pd.Series(high, index=ensemble.years)
    target_table = pd.concat(targets, axis=1) if targets else pd.DataFrame()
    floor_table = pd.DataFrame(floors)
    order = [p for p in floor_table.index if p != "total"] + ["total"]
    return Comparison(
        labels=tuple(labels),
        names=tuple(names),
        horizons=tuple(horizons),
        draws=draws,
        floor=floor_table.loc[order],
        targets=target_table,
        compliance=pd.DataFrame(compliance),
        series=pd.DataFrame(series).sort_index(),
        park_names=pd.concat(parks, ignore_index=True).drop_duplicates("park_id"),
    )


def comparison_frame(comparison: Comparison) -> pd.DataFrame:
    """All of a comparison in one tidy table, for ``comparison.csv``.

    Returns
    -------
    pandas.DataFrame
        Columns ``scenario, section, item, park_id, year, value, unit``: ``section`` is
        ``floor_at_horizon`` (``value`` in m²), ``target_projected`` (in the target's
        unit), ``target_met`` (1/0), ``target_probability_met`` (0–1),
        ``parcels_at_horizon`` (count per rule class) or ``floor_completed_total`` (m²
        by year).
    """
    from sim.metrics import metric_info

    rows: list[dict[str, object]] = []
    for label, horizon in zip(comparison.labels, comparison.horizons, strict=True):
        for park, value in comparison.floor[label].dropna().items():
            rows.append(
                {"scenario": label, "section": "floor_at_horizon", "item": "floor_completed_m2",
                 "park_id": park, "year": horizon, "value": value, "unit": "m2"}
            )  # fmt: skip
        if not comparison.targets.empty:
            own = pd.DataFrame(comparison.targets[label]).dropna(subset=["projected"])
            for row in own.reset_index().to_dict("records"):
                metric, park, year = str(row["metric"]), row["park_id"], row["year"]
                info = metric_info(metric)
                unit = "" if info is None else info.si_unit
                for section, value, row_unit in (
                    ("target_projected", row["projected"], unit),
                    ("target_met", float(bool(row["met"])), "1 = met"),
                    ("target_probability_met", row["probability_met"], "fraction"),
                ):
                    rows.append(
                        {"scenario": label, "section": section, "item": metric,
                         "park_id": park, "year": year, "value": value, "unit": row_unit}
                    )  # fmt: skip
        for item, value in comparison.compliance[label].items():
            rows.append(
                {"scenario": label, "section": "parcels_at_horizon", "item": item,
                 "park_id": "total", "year": horizon, "value": value, "unit": "parcels"}
            )  # fmt: skip
        for when, value in comparison.series[label].dropna().items():
            rows.append(
                {"scenario": label, "section": "floor_completed_total",
                 "item": "floor_completed_m2", "park_id": "total", "year": when,
                 "value": value, "unit": "m2"}
            )  # fmt: skip
    frame = pd.DataFrame(rows)
    frame["year"] = frame["year"].astype("Int64")
    return frame


def overlay_chart(
    comparison: Comparison,
    *,
    lang: str = "zh",
    size: str = "A4",
    ax: Axes | None = None,
) -> tuple[Figure, Axes]:
    """Cumulative total floor completed, one line per scenario, in the house style.

    With draws, a shaded band spans each scenario's P10–P90.

    Parameters
    ----------
    comparison
        From :func:`compare`.
    lang
        ``"zh"``, ``"en"`` or ``"both"``.
    size
        ``"A4"`` or ``"A3"``.
    ax
        Axes to draw on (default: a new figure).

    Returns
    -------
    tuple of (Figure, Axes)
    """
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    from sim.plot.style import Lang, label, park_colour, style_context

    language: Lang = "zh" if lang == "zh" else "en" if lang == "en" else "both"
    if lang not in ("zh", "en", "both"):
        raise ValueError(f"lang must be one of 'zh', 'en', 'both'; got {lang!r}")
    with style_context("A3" if size == "A3" else "A4"):
        if ax is None:
            fig, ax = plt.subplots(layout="constrained")
        else:
            fig = ax.get_figure()  # type: ignore[assignment]
        for i, name in enumerate(comparison.labels):
            colour = park_colour(i)
            values = comparison.series[name].dropna()
            ax.plot(values.index, values.to_numpy() / 1e4, color=colour, lw=2, label=name)
            if f"{name} p10" in comparison.series:
                low = comparison.series[f"{name} p10"].dropna()
                high = comparison.series[f"{name} p90"].dropna()
                ax.fill_between(
                    low.index, low.to_numpy() / 1e4, high.to_numpy() / 1e4,
                    color=colour, alpha=0.2, lw=0,
                )  # fmt: skip
        ax.set_ylabel(label("竣工建筑面积（万m²）", "Floor completed (万m²)", language))
        ax.set_xlabel(label("年份", "Year", language))
        ax.set_ylim(bottom=0)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        title = label("情景比较：累计竣工面积", "Scenarios: cumulative floor completed", language)
        ax.set_title(title)
        band = comparison.draws > 1
        ax.legend(
            title=label("P10–P90 阴影", "shaded P10–P90", language) if band else None,
            frameon=False,
            loc="upper left",
        )
    return fig, ax
