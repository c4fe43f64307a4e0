"""A sweep's results: the tidy table of every variant's targets, scores and the best.

``stored tables ──tidy──▶ one row per (variant, target)`` with a column per lever (the
value as the sweep file wrote it, as text); ``score`` gives each variant its objective
(:class:`~sim.sweep.spec.Objective`) and :func:`best` ranks them. Pure pandas: it
computes nothing of the model.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from sim.sweep.spec import Objective, Variant

__all__ = ["best", "lever_text", "score", "tidy"]


def lever_text(value: Any) -> str:
    """Write a lever's value as text, as a TOML file writes it.

    Examples
    --------
    >>> lever_text(1.5), lever_text("2 ha"), lever_text({"dist": "pert"})
    ('1.5', '2 ha', '{"dist": "pert"}')
    """
    if isinstance(value, str):
        return value
    if isinstance(value, (bool, int, float)):
        return json.dumps(value)
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def tidy(
    tables: Mapping[str, pd.DataFrame], variants: Sequence[Variant], levers: Sequence[str]
) -> pd.DataFrame:
    """Join the finished variants' tables, in sweep order, with a column per lever.

    Parameters
    ----------
    tables
        Variant name → its stored target table (variants without one are left out).
    variants
        The sweep's variants, in order.
    levers
        Every scenario path a variant sets (a column each; empty where it sets none).

    Returns
    -------
    pandas.DataFrame
        ``variant``, the levers, ``target`` (index in the scenario), then the target
        table's columns.
    """
    parts = []
    for variant in variants:
        table = tables.get(variant.name)
        if table is None:
            continue
        table = table.drop(columns=["variant", "seconds", "session", "finished"], errors="ignore")
        head = {"variant": variant.name}
        head |= {lever: lever_text(variant.overrides.get(lever, "")) for lever in levers}
        front = pd.DataFrame([head] * len(table))
        front["target_index"] = range(len(table))
        parts.append(pd.concat([front, table.reset_index(drop=True)], axis=1))
    if not parts:
        return pd.DataFrame(columns=["variant", *levers, "target_index"])
    return pd.concat(parts, ignore_index=True)


def score(results: pd.DataFrame, objective: Objective) -> pd.Series:
    """Each variant's objective: the column for one target, or its mean over targets.

    Examples
    --------
    >>> t = pd.DataFrame({"variant": ["a", "a", "b", "b"], "target_index": [0, 1, 0, 1],
    ...                   "probability_met": [1.0, 0.5, 0.25, 0.25]})
    >>> score(t, Objective()).to_dict()
    {'a': 0.75, 'b': 0.25}
    >>> score(t, Objective(target=1)).to_dict()
    {'a': 0.5, 'b': 0.25}
    """
    rows = (
        results
        if objective.target is None
        else results[results["target_index"] == objective.target]
    )
    order = list(dict.fromkeys(results["variant"]))
    values = rows.groupby("variant", sort=False)[objective.column].mean()
    return values.reindex(order).rename("objective").astype(float)


def best(
    results: pd.DataFrame, objective: Objective, levers: Sequence[str], n: int
) -> pd.DataFrame:
    """Rank the variants by the objective and keep the ``n`` best (ties in sweep order).

    Returns
    -------
    pandas.DataFrame
        ``rank, variant``, the levers and ``objective``.
    """
    scores = score(results, objective).dropna()
    ranked = scores.sort_values(ascending=not objective.maximize, kind="stable").head(n)
    first = results.drop_duplicates("variant").set_index("variant")
    table = first.loc[ranked.index, list(levers)].reset_index()
    table.insert(0, "rank", range(1, len(table) + 1))
    table["objective"] = ranked.to_numpy()
    return table
