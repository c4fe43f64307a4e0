"""Park summaries of the admission rules, control indicators and idle land.

``(Scenario, Result, RuleTables, park_years) ──rule_findings──▶ list[Finding]`` (topic
``"rules"``). Nothing is recomputed: the parcel tables come from
:class:`sim.rules.RuleTables` (admission at completion and maturity, control
indicators) and the yearly park averages and idle land from
:func:`sim.audit.capacity.park_years`. Tables are in SI and ha; findings carry
万元/ha, 亿元/ha, ha or parcel counts.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import pandas as pd

from sim.audit.findings import Finding
from sim.result import TOTAL
from sim.rules import CNY_PER_M2_PER_YI_PER_HA, RTOL
from sim.rules import thresholds as rule_thresholds
from sim.units import format_quantity

if TYPE_CHECKING:
    from sim.result import Result
    from sim.rules import RuleTables
    from sim.scenario import Scenario

__all__ = ["rule_findings"]


class _Rule(NamedTuple):
    """How one admission rule reads off the parcel admission table."""

    check: str
    total: str  # column of the parcel's total (CNY) …
    scale: float  # … ÷ area ÷ scale = the rule's unit
    density: str  # column of the parcel's own density, in unit
    meets: str  # column saying whether the parcel meets it
    unit: str
    when: str
    digits: int


_RULES = (
    _Rule("investment_rule", "investment_cny", 1.0, "investment_intensity_wan_per_ha",
          "meets_investment_rule", "万元/ha", "at completion", 0),
    _Rule("revenue_rule", "revenue_mature_cny", CNY_PER_M2_PER_YI_PER_HA,
          "revenue_density_yi_per_ha", "meets_revenue_rule", "亿元/ha",
          "at maturity (base-year prices)", 2),
)  # fmt: skip


def rule_findings(
    scenario: Scenario, result: Result, tables: RuleTables, years_table: pd.DataFrame
) -> list[Finding]:
    """Park summaries of the admission rules, control indicators and idle land.

    Parameters
    ----------
    scenario, result
        What was simulated and what came out.
    tables
        The rule tables of the result (:func:`sim.rules.evaluate_rules`).
    years_table
        :func:`sim.audit.park_years` of the same.

    Returns
    -------
    list of Finding
        Per park with parcels and in total: ``investment_rule`` and ``revenue_rule``
        (the average of all its parcels at completion / maturity, with the parcels
        below the rule), ``admitted_average`` (first year the average over admitted
        parcels meets both rules), ``control_indicators`` (parcels failing each
        indicator) and ``idle_land`` (peak idle area and reclaimable land).
    """
    rules = scenario.rules
    inv_min, rev_min = rule_thresholds(rules)  # NaN: not assessed, no finding
    thresholds = {"investment_rule": inv_min, "revenue_rule": rev_min}
    findings: list[Finding] = []
    horizon = int(result.years[-1])
    parcels = tables.admission
    for scope in [*result.park_ids, TOTAL]:
        mine = parcels if scope == TOTAL else parcels[parcels["park_id"] == scope]
        if mine.empty:
            continue  # a park without parcels: the capacity findings say so
        findings += [
            _admission_finding(scope, mine, r, thresholds[r.check])
            for r in _RULES
            if not math.isnan(thresholds[r.check])
        ]
        yearly = years_table[years_table["park_id"] == scope]
        if math.isnan(inv_min) or math.isnan(rev_min):
            continue
        finding = _admitted_finding(scope, yearly, thresholds["revenue_rule"], horizon)
        if finding is not None:
            findings.append(finding)
    findings += _control_findings(scenario, tables.controls)
    findings += _idle_findings(scenario, years_table)
    return findings


def _admission_finding(scope: str, mine: pd.DataFrame, rule: _Rule, threshold: float) -> Finding:
    """Compare a scope's parcels with one admission rule: their average, those below."""
    area = mine["area_m2"].sum()
    average = mine[rule.total].sum() / area / rule.scale
    below = mine[~mine[rule.meets]]
    ok = bool(average >= threshold * (1 - RTOL)) and below.empty
    d, unit = rule.digits, rule.unit
    text = (
        f"{scope}: {rule.when} its {len(mine)} parcels average {average:,.{d}f} {unit} "
        f"(rule ≥ {threshold:,.{d}f}, margin {average - threshold:+,.{d}f})"
    )
    if below.empty:
        text += "; every parcel meets it"
    else:
        text += (
            f"; {len(below)} parcel(s), {format_quantity(below['area_m2'].sum(), 'ha')}, fall "
            f"below it (lowest {below[rule.density].min():,.{d}f} {unit})"
        )
    return Finding("rules", rule.check, scope, None, average, threshold, unit, ok, text)


def _admitted_finding(
    scope: str, yearly: pd.DataFrame, rev_min: float, horizon: int
) -> Finding | None:
    """Find the first year the average over a scope's admitted parcels meets both rules."""
    admitted = yearly["admitted_parcels"].to_numpy()
    if not admitted.max(initial=0) > 0:
        return None
    both = yearly["meets_investment_rule"].fillna(False) & yearly["meets_revenue_rule"].fillna(
        False
    )
    first = yearly.loc[both.to_numpy(dtype=bool), "year"]
    last = yearly.iloc[-1]
    text = (
        f"{scope}: the average over admitted (started) parcels "
        + (
            f"first meets both rules in {int(first.iloc[0])}"
            if len(first)
            else f"does not meet both rules by {horizon}"
        )
        + f"; in {horizon}: {last['investment_intensity_wan_per_ha']:,.0f} 万元/ha and "
        f"{last['revenue_density_yi_per_ha']:,.2f} 亿元/ha over "
        f"{int(last['admitted_parcels'])} parcels"
    )
    return Finding(
        "rules",
        "admitted_average",
        scope,
        int(first.iloc[0]) if len(first) else None,
        float(last["revenue_density_yi_per_ha"]),
        rev_min,
        "亿元/ha",
        bool(len(first)),
        text,
    )


def _control_findings(scenario: Scenario, controls: pd.DataFrame) -> list[Finding]:
    rules = scenario.rules
    n = len(controls)
    findings = []
    indicators = (
        ("plot_ratio", "far", "plot ratio ≥ its land use's minimum"),
        ("building_coefficient", "building_coefficient",
         f"building coefficient ≥ {rules.building_coefficient_min:.0%}"),
        ("admin_share", "admin_share",
         f"administrative/living share ≤ {rules.admin_share_max:.0%}"),
        ("green_share", "green_share", f"greening ≤ {rules.green_share_max:.0%}"),
    )  # fmt: skip
    for name, column, rule_text in indicators:
        flag = controls[f"meets_{name}_rule"].astype("boolean")
        known = flag.notna()
        failing = controls[known.to_numpy() & ~flag.fillna(True).to_numpy(dtype=bool)]
        if not known.any():
            text = (
                f"{rule_text}: not assessed — no parcel has a {column} attribute and [rules] "
                f"sets no {column}"
            )
            findings.append(
                Finding("rules", name, TOTAL, None, math.nan, 0.0, "parcels", True, text)
            )
            continue
        text = f"{rule_text}: {len(failing)} of {int(known.sum())} parcels fail"
        if not failing.empty:
            worst = failing.groupby("park_id").size()
            text += " (" + ", ".join(f"{p} {c}" for p, c in worst.items()) + ")"
        if int(known.sum()) < n:
            text += f"; {n - int(known.sum())} not assessed"
        findings.append(
            Finding(
                "rules",
                name,
                TOTAL,
                None,
                float(len(failing)),
                0.0,
                "parcels",
                failing.empty,
                text,
            )
        )
    return findings


def _idle_findings(scenario: Scenario, table: pd.DataFrame) -> list[Finding]:
    rules = scenario.rules
    findings = []
    for scope, rows in table.groupby("park_id", sort=False):
        if scope == TOTAL:
            continue
        peak = rows["idle_area_ha"].max()
        if not peak > 0:
            continue
        at = int(rows["year"].to_numpy()[int(np.argmax(rows["idle_area_ha"].to_numpy()))])
        reclaim = rows["reclaimable_area_ha"].max()
        text = (
            f"{scope}: up to {peak:,.1f} ha ({int(rows['idle_parcels'].max())} parcels) idle — "
            f"sold but not started {rules.idle_after_years} year(s) after the contracted start — "
            f"peaking in {at}"
        )
        if reclaim > 0:
            first = int(rows.loc[rows["reclaimable_area_ha"] > 0, "year"].iloc[0])
            text += (
                f"; up to {reclaim:,.1f} ha reclaimable (unstarted "
                f"{rules.reclaim_after_years} years after the contracted start; first in {first})"
                + ("; taken back into the land pool" if rules.reclaim_idle else "")
            )
        findings.append(
            Finding("rules", "idle_land", str(scope), at, float(peak), 0.0, "ha", False, text)
        )
    return findings
