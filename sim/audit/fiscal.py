"""Fiscal findings: the award budget the firm targets imply, and whether the policy pays back.

``(Scenario, Fiscal) ──fiscal_findings──▶ list[Finding]`` (topic ``"fiscal"``):

- ``award_budget``: for each milestone-award incentive, the awards the scenario's firm
  targets imply by their year — a target of N firms above a revenue level means at least
  N firms have crossed every award threshold up to it, each once, less the firms
  already above it in the base year — against the awards the run pays by then;
- ``payback``: the cumulative net (tax + land − outlays) of all parks at the horizon,
  and the payback year.

Values are in 万元 (``CNY_PER_WAN``).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from sim.audit.findings import CNY_PER_WAN, Finding, plain, within
from sim.metrics import Metric

if TYPE_CHECKING:
    from sim.fiscal import Fiscal
    from sim.scenario import Scenario

__all__ = ["award_budget", "fiscal_findings"]


def award_budget(
    thresholds: tuple[float, ...],
    amounts: tuple[float, ...],
    targets: dict[float, float],
    *,
    already: dict[float, float] | None = None,
) -> float:
    """Return the awards (CNY) firm-count targets imply under a milestone schedule.

    Parameters
    ----------
    thresholds, amounts
        The award schedule: ``amounts[j]`` the first time a firm reaches
        ``thresholds[j]``.
    targets
        Firm-count targets: revenue level → firms at or above it.
    already
        Award threshold → firms already above it in the base year (no award for them).

    Returns
    -------
    float
        Σ over thresholds of amount × (firms the targets put at or above it, less those
        already there), where the firms at or above a threshold are the largest target
        count whose level is at least that threshold.

    Examples
    --------
    >>> award_budget((5e7, 1e8, 5e8, 1e9), (5e5, 1e6, 1.5e6, 2e6), {1e8: 40, 1e9: 10})
    95000000.0
    """
    total = 0.0
    for level, amount in zip(thresholds, amounts, strict=True):
        needed = max((n for t, n in targets.items() if t >= level), default=0.0)
        total += amount * max(needed - (already or {}).get(level, 0.0), 0.0)
    return float(total)


def fiscal_findings(scenario: Scenario, fiscal: Fiscal) -> list[Finding]:
    """Return the fiscal findings (module docstring) of a run.

    Parameters
    ----------
    scenario
        Its firm targets and milestone incentives.
    fiscal
        The run's :class:`~sim.fiscal.Fiscal`.

    Returns
    -------
    list of Finding
    """
    findings = _award_findings(scenario, fiscal)
    ledger = fiscal.ledger
    cumulative = float(ledger.cumulative_net()[0, -1, -1])
    payback = float(ledger.payback()[0, -1])
    horizon = int(ledger.years[-1])
    when = (
        f"pays back in {payback:.0f}" if math.isfinite(payback) else f"not paid back by {horizon}"
    )
    findings.append(
        Finding(
            topic="fiscal",
            check="payback",
            scope="total",
            year=horizon,
            found=cumulative / CNY_PER_WAN,
            expected=0.0,
            unit="万元",
            ok=cumulative >= 0,
            message=(
                f"Cumulative net to the city (local tax + land − outlays) by {horizon}: "
                f"{plain(cumulative / CNY_PER_WAN)} 万元; {when}."
            ),
        )
    )
    return findings


def _award_findings(scenario: Scenario, fiscal: Fiscal) -> list[Finding]:
    firm_targets = [t for t in scenario.targets if t.metric is Metric.FIRMS and t.park == "total"]
    if not firm_targets or fiscal.firms is None:
        return []
    year = max(t.year for t in firm_targets)
    wanted = {float(t.threshold or 0.0): float(t.value) for t in firm_targets if t.year == year}
    ledger = fiscal.ledger
    t_index = int(np.flatnonzero(ledger.years == year)[0])
    out = []
    # The incentives are the ledger's first items, in the scenario's order.
    for i, incentive in enumerate(scenario.incentives):
        if incentive.kind != "milestone_award":
            continue
        item = ledger.items[i]
        already = {
            level: float(sum(park.count(level)[0, 0] for park in fiscal.firms.parks))
            for level in incentive.thresholds
        }
        implied = award_budget(incentive.thresholds, incentive.amounts, wanted, already=already)
        paid = float(-ledger.values[0, : t_index + 1, :, i].sum())
        tolerance = scenario.benchmarks.tolerance
        relative = paid / implied - 1.0 if implied else math.nan
        out.append(
            Finding(
                topic="fiscal",
                check="award_budget",
                scope="total",
                year=year,
                found=paid / CNY_PER_WAN,
                expected=implied / CNY_PER_WAN,
                unit="万元",
                ok=within(relative, tolerance) if implied else paid == 0,
                message=(
                    f"{item.name}: the firm targets of {year} imply "
                    f"{plain(implied / CNY_PER_WAN)} 万元 of awards (each firm they put above "
                    f"a threshold crosses it once, less firms above it in the base year); "
                    f"the run pays {plain(paid / CNY_PER_WAN + 0.0)} 万元 by {year}."
                ),
            )
        )
    return out
