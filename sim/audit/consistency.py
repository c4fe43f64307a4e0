"""Checks of the plan's own numbers, from the scenario alone (no simulation).

``Scenario ──consistency──▶ list[Finding]`` (topic ``"consistency"``): park targets
against the total of the same metric and year (``*_split``); the revenue per m², per
worker and the floor per worker that pairs of targets imply, against
``[benchmarks]``; the yearly growth the revenue target needs from
``[benchmarks.base_revenue]``; and the admission thresholds of ``[rules]`` against the
benchmarks of comparable zones. Targets and benchmarks arrive in SI; findings carry
the planner's units (亿元, 万m², 元/m², …).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, NamedTuple

from sim.audit.benchmarks import Benchmark, revenue_per_m2, revenue_per_worker, targets_by
from sim.audit.findings import CNY_PER_WAN, REVENUE, Finding, plain, within
from sim.metrics import Metric
from sim.result import TOTAL
from sim.rules import CNY_PER_M2_PER_YI_PER_HA
from sim.units import format_quantity

if TYPE_CHECKING:
    from sim.scenario import Scenario

__all__ = ["consistency"]


def consistency(scenario: Scenario, *, park_ids: Sequence[str] | None = None) -> list[Finding]:
    """Check the plan's own numbers: splits, implied ratios and growth, against benchmarks.

    Parameters
    ----------
    scenario
        The scenario; only its ``targets``, ``rules`` and ``benchmarks`` are read.
    park_ids
        All parks of the site, to name those without a target in a split.

    Returns
    -------
    list of Finding
        ``*_split`` (park targets vs the total of the same metric and year),
        ``revenue_per_m2``, ``revenue_per_worker``, ``m2_per_worker`` (implied by
        pairs of targets of the same scope and year), ``revenue_growth`` (the revenue
        target against ``[benchmarks.base_revenue]``) and ``*_rule_benchmark``
        (admission thresholds against comparable zones).
    """
    findings = _split_findings(scenario, park_ids)
    findings += _implied_findings(scenario)
    findings += _growth_findings(scenario)
    findings += _rule_benchmark_findings(scenario)
    return findings


def _split_findings(scenario: Scenario, park_ids: Sequence[str] | None) -> list[Finding]:
    findings = []
    for (metric, year), scopes in targets_by(scenario).items():
        parks = {k: v for k, v in scopes.items() if k != TOTAL}
        if TOTAL not in scopes or not parks:
            continue
        unit, scale = metric.info.unit, metric.info.scale
        total, summed = scopes[TOTAL] / scale, sum(parks.values()) / scale
        gap = summed - total
        share = gap / total if total else math.nan
        adds_up = abs(gap) <= 1e-9 * max(abs(total), 1.0)
        listed = ", ".join(f"{p} {v / scale:,.0f}" for p, v in parks.items())
        what = f"{metric.value} {year}: the {len(parks)} park target(s) ({listed}) sum to " + (
            f"{summed:,.1f} {unit} against the total {total:,.1f} {unit}"
        )
        if adds_up:
            message = f"{what}: they add up"
        elif gap < 0:
            message = f"{what}: {-gap:,.1f} {unit} ({-share:.1%}) is assigned to no park"
        else:
            message = f"{what}: they exceed the total by {gap:,.1f} {unit} ({share:.1%})"
        if park_ids is not None:
            without = [p for p in park_ids if p not in parks]
            if without and gap < 0:
                message += f"; parks without a {metric.value} target: {', '.join(without)}"
        findings.append(
            Finding(
                "consistency",
                f"{metric.value}_split",
                TOTAL,
                year,
                summed,
                total,
                unit,
                adds_up,
                message,
            )
        )
    return findings


def _implied_findings(scenario: Scenario) -> list[Finding]:
    tol = scenario.benchmarks.tolerance
    scoped: dict[tuple[str, int], dict[Metric, float]] = {}
    for (metric, year), scopes in targets_by(scenario).items():
        for scope, value in scopes.items():
            scoped.setdefault((scope, year), {})[metric] = value
    return [
        _compare(ratio, scope=scope, year=year, tol=tol)
        for (scope, year), values in sorted(scoped.items(), key=lambda kv: (kv[0][1], kv[0][0]))
        for ratio in _implied(scenario, year, values)
    ]


class _Ratio(NamedTuple):
    """A ratio implied by two targets, in ``unit``, with its benchmark and how it was found."""

    check: str
    found: float
    bench: Benchmark | None
    unit: str
    what: str


def _implied(scenario: Scenario, year: int, values: dict[Metric, float]) -> Iterator[_Ratio]:
    """Yield the ratios that one scope's targets of one year imply."""
    revenue = values.get(Metric.REVENUE)
    floor = values.get(Metric.FLOOR_COMPLETED)
    workers = values.get(Metric.WORKERS)
    if revenue is not None and floor:
        per_m2 = revenue / floor
        yield _Ratio(
            "revenue_per_m2",
            per_m2,
            revenue_per_m2(scenario, year),
            "元/m²",
            f"{format_quantity(revenue, '亿元', digits=0)} of revenue on "
            f"{format_quantity(floor, '万m²', digits=0)} of completed floor implies "
            f"{per_m2:,.0f} 元/m² a year",
        )
    if revenue is not None and workers:
        per_worker = revenue / workers / CNY_PER_WAN
        bench = revenue_per_worker(scenario, year)
        yield _Ratio(
            "revenue_per_worker",
            per_worker,
            None if bench is None else (bench[0] / CNY_PER_WAN, bench[1]),
            "万元/worker",
            f"{format_quantity(revenue, '亿元', digits=0)} of revenue from "
            f"{workers:,.0f} workers implies {per_worker:,.1f} 万元 per worker",
        )
    m2_bench = scenario.benchmarks.m2_per_worker
    if floor and workers:
        per = floor / workers
        extra = ""
        if m2_bench is not None:
            extra = (
                f"; at {m2_bench.value:g} m²/worker the floor holds "
                f"{floor / m2_bench.value:,.0f} workers"
            )
        yield _Ratio(
            "m2_per_worker",
            per,
            None if m2_bench is None else (m2_bench.value, ""),
            "m²/worker",
            f"{format_quantity(floor, '万m²', digits=0)} of floor for {workers:,.0f} workers "
            f"implies {per:,.1f} m² per worker{extra}",
        )


def _compare(ratio: _Ratio, *, scope: str, year: int, tol: float) -> Finding:
    """Compare an implied ratio with its benchmark: within ``tol`` or not."""
    check, found, bench, unit, what = ratio
    what = f"{scope} {year}: {what}"
    if bench is None:
        expected, ok = math.nan, True
        message = f"{what}; no benchmark to compare with (add one to [benchmarks])"
    else:
        expected, how = bench
        rel = found / expected - 1.0 if expected else math.nan
        ok = within(rel, tol)
        origin = f" from {how}" if how else ""
        message = (
            f"{what}; benchmark {plain(expected)} {unit}{origin}: {rel:+.1%}, "
            f"{_verdict(ok)} the {tol:.0%} tolerance"
        )
    return Finding("consistency", check, scope, year, found, expected, unit, ok, message)


def _verdict(ok: bool) -> str:
    return "within" if ok else "beyond"


def _growth_findings(scenario: Scenario) -> list[Finding]:
    base = scenario.benchmarks.base_revenue
    if base is None or base.year is None:
        return []
    return [
        _growth_finding(scenario, t.year, t.value)
        for t in scenario.targets
        if t.metric is Metric.REVENUE and t.park == TOTAL and t.year > base.year
    ]


def _growth_finding(scenario: Scenario, year: int, target: float) -> Finding:
    """Compare the revenue ``target`` of ``year`` with the base revenue grown to it."""
    base, tol = scenario.benchmarks.base_revenue, scenario.benchmarks.tolerance
    assert base is not None and base.year is not None  # else _growth_findings skips it
    n = year - base.year
    implied = (target / base.value) ** (1.0 / n) - 1.0 if base.value > 0 else math.nan
    start = f"{format_quantity(base.value, '亿元', digits=0)} in {base.year}"
    shown = format_quantity(target, "亿元", digits=0)
    if base.growth is None:
        found, expected, unit, ok = implied * 100, math.nan, "%/yr", True
        message = (
            f"revenue {year}: {shown} from {start} needs {implied:.1%}/yr; no stated growth "
            "to compare with"
        )
    else:
        projected = base.value * (1.0 + base.growth) ** n
        gap = projected - target
        rel = gap / target
        ok = within(rel, tol)
        found, expected, unit = projected / REVENUE.scale, target / REVENUE.scale, REVENUE.unit
        message = (
            f"revenue {year}: {start} growing at the stated {base.growth:.1%}/yr reaches "
            f"{format_quantity(projected, '亿元')}, {format_quantity(abs(gap), '亿元')} "
            f"({abs(rel):.1%}) {'short of' if gap < 0 else 'above'} the {shown} target; the "
            f"target needs {implied:.1%}/yr ({_verdict(ok)} the {tol:.0%} tolerance)"
        )
    return Finding("consistency", "revenue_growth", TOTAL, year, found, expected, unit, ok, message)


def _rule_benchmark_findings(scenario: Scenario) -> list[Finding]:
    bench, rules = scenario.benchmarks, scenario.rules
    findings = []
    pairs = (
        ("investment_rule_benchmark", rules.investment_intensity_min, bench.investment_intensity,
         "万元/ha", 1.0, "investment intensity"),
        ("revenue_rule_benchmark", rules.revenue_density_min, bench.output_density,
         "亿元/ha", CNY_PER_M2_PER_YI_PER_HA, "revenue density"),
    )  # fmt: skip
    for check, rule, b, unit, scale, name in pairs:
        if b is None or rule is None:
            continue
        rel = rule / b.value - 1.0 if b.value else math.nan
        when = f" ({b.year})" if b.year is not None else ""
        # A threshold below the national average is context (comparable zones already
        # exceed it, so it binds only the weakest projects), not a gap; one far above it
        # may turn most applicants away.
        ok = bool(rel <= bench.tolerance) if math.isfinite(rel) else False
        note = (
            "; context, not a gap: comparable zones average more"
            if rel < -bench.tolerance
            else ("" if ok else "; far above what comparable zones average: expect few to pass")
        )
        findings.append(
            Finding(
                "consistency",
                check,
                "",
                b.year,
                rule / scale,
                b.value / scale,
                unit,
                ok,
                f"the {name} rule ≥ {plain(rule / scale)} {unit} is {abs(rel):.1%} "
                f"{'below' if rel < 0 else 'above'} the benchmark {plain(b.value / scale)} "
                f"{unit}{when}{note}",
            )
        )
    return findings
