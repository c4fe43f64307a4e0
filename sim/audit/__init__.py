"""Audits of a plan: can its parks hold their targets, and do its own numbers add up.

``(Scenario, Result, RuleTables) ──audit──▶ Audit``, made of:

- **capacity** (:func:`capacity`, :mod:`sim.audit.capacity`): each park's capacity
  (Σ area × effective plot ratio, ``Result.capacity_m2``, plus its base-year floor)
  against its floor targets — completed plus under construction for the same year —
  and against the floor its revenue target needs at the benchmark revenue per m² once
  the park's other (non-floor) revenue that year is taken off (none when other revenue
  alone meets it: group revenue is not made on the park's land); also the capacity of
  the land sold by the end of the target year, which shows whether the land-supply rate
  can deliver in time. A park of the parks layer without parcels has capacity 0 and a
  ``no_parcels`` finding.
- **land supply** (:func:`land_supply`): per park and year end, land not sold (出让)
  and the years of supply left (尚可供地年数) at that year's supply rate.
- **consistency** (:func:`consistency`, :mod:`sim.audit.consistency`): from the
  scenario's targets alone — park targets against the total of the same metric and
  year, implied revenue per m², per worker and floor per worker, the growth the
  revenue target implies — each compared with the scenario's ``[benchmarks]``
  (read by :mod:`sim.audit.benchmarks`).
- **rules** (:func:`rule_findings`, :mod:`sim.audit.rules`): park summaries of
  :mod:`sim.rules` — admission rules at completion, at maturity and year by year,
  control indicators, idle land.

Every check yields a :class:`Finding` (:mod:`sim.audit.findings`) that says what was
found, what was expected, by how much they differ and whether that is within the
tolerance. Values in findings are in the planner's units named by ``unit`` (亿元, 万m²,
元/m², …); tables are in SI.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.audit.benchmarks import benchmark_lines
from sim.audit.capacity import (
    capacity,
    capacity_findings,
    empty_park_findings,
    land_supply,
    park_years,
    supply_findings,
)
from sim.audit.consistency import consistency
from sim.audit.findings import Audit, Finding
from sim.audit.rules import rule_findings

if TYPE_CHECKING:
    from sim.result import Result
    from sim.rules import RuleTables
    from sim.scenario import Scenario

__all__ = [
    "Audit",
    "Finding",
    "audit",
    "capacity",
    "consistency",
    "land_supply",
    "park_years",
    "rule_findings",
]


def audit(scenario: Scenario, result: Result, tables: RuleTables) -> Audit:
    """Audit a scenario and its simulation: capacity, consistency, rules.

    Parameters
    ----------
    scenario, result
        What was simulated and what came out.
    tables
        The rule tables of the result (:func:`sim.rules.evaluate_rules`); the audit
        describes the draw they describe.

    Returns
    -------
    Audit
    """
    cap = capacity(scenario, result, draw=tables.draw)
    years = park_years(result, tables)
    findings = empty_park_findings(result)
    findings += capacity_findings(cap)
    findings += supply_findings(years)
    findings += consistency(scenario, park_ids=result.park_ids)
    findings += rule_findings(scenario, result, tables, years)
    return Audit(
        scenario_name=scenario.name,
        capacity=cap,
        park_years=years,
        findings=tuple(findings),
        benchmarks=tuple(benchmark_lines(scenario)),
    )
