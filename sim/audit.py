"""Audits of a plan: can its parks hold their targets, and do its own numbers add up.

``(Scenario, Result, RuleTables) ──audit──▶ Audit``, made of:

- **capacity** (:func:`capacity`): each park's capacity (Σ area × effective plot ratio,
  ``Result.capacity_m2``) against its floor targets — completed plus under
  construction for the same year — and against the floor its revenue target needs at
  the benchmark revenue per m²; also the capacity of the land released by the target
  year, which shows whether the land-supply rate can deliver in time. A park of the
  parks layer without parcels has capacity 0 and a ``no_parcels`` finding.
- **land supply** (:func:`land_supply`): per park and year, land not yet released
  and the years of supply left (尚可供地年数) at that year's supply rate.
- **consistency** (:func:`consistency`): from the scenario's targets alone — park
  targets against the total of the same metric and year, implied revenue per m²,
  per worker and floor per worker, the growth the revenue target implies — each
  compared with the scenario's ``[benchmarks]``.
- **rules** (:func:`rule_findings`): park summaries of :mod:`sim.rules` — admission
  rules at completion, at maturity and year by year, control indicators, idle land.

Every check yields a :class:`Finding` that says what was found, what was expected,
by how much they differ and whether that is within the tolerance. Values in findings
are in the planner's units named by ``unit`` (亿元, 万m², 元/m², …); tables are in SI.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from sim.metrics import Metric
from sim.result import TOTAL, park_year_frame, sum_by_park
from sim.rules import CNY_PER_M2_PER_YI_PER_HA, RuleTables

if TYPE_CHECKING:
    from sim.result import Result
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

FloatArray = npt.NDArray[np.float64]

_TOTAL = TOTAL
_FLOOR_METRICS = (Metric.FLOOR_COMPLETED, Metric.FLOOR_UNDER_CONSTRUCTION)


@dataclass(frozen=True)
class Finding:
    """One audit result: what was found against what was expected, and whether it holds.

    Attributes
    ----------
    topic
        ``"capacity"``, ``"consistency"`` or ``"rules"``.
    check
        Short id of the check, e.g. ``"revenue_split"``.
    scope
        A park id, ``"total"``, or ``""`` for the plan as a whole.
    year
        The year checked, if any.
    found, expected
        The two sides, in ``unit``; ``expected`` is NaN where there is nothing to
        compare with.
    unit
        Unit of ``found`` and ``expected``.
    ok
        Whether the finding is within tolerance (no gap).
    message
        One sentence saying what does (not) add up and by how much.
    """

    topic: str
    check: str
    scope: str
    year: int | None
    found: float
    expected: float
    unit: str
    ok: bool
    message: str

    @property
    def difference(self) -> float:
        """``found − expected``, in ``unit``."""
        return self.found - self.expected

    @property
    def relative(self) -> float:
        """``found ÷ expected − 1`` (NaN where ``expected`` is 0 or NaN)."""
        if not self.expected or math.isnan(self.expected):
            return math.nan
        return self.found / self.expected - 1.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict, non-finite numbers as ``None``."""
        out = asdict(self)
        out["difference"] = self.difference
        out["relative"] = self.relative
        return {k: _jsonable(v) for k, v in out.items()}


@dataclass(frozen=True)
class Audit:
    """Everything :func:`audit` found about one scenario and its simulation.

    Attributes
    ----------
    scenario_name
        Name of the scenario.
    capacity
        Table from :func:`capacity`.
    park_years
        Table from :func:`park_years`: admission averages, idle land and land supply
        per park and year.
    findings
        Capacity, consistency and rule findings, in that order.
    benchmarks
        One line per benchmark used: name, value and source.
    """

    scenario_name: str
    capacity: pd.DataFrame
    park_years: pd.DataFrame
    findings: tuple[Finding, ...] = field(default=())
    benchmarks: tuple[str, ...] = field(default=())

    def by_topic(self, topic: str) -> list[Finding]:
        """Return the findings of one topic."""
        return [f for f in self.findings if f.topic == topic]

    @property
    def gaps(self) -> list[Finding]:
        """The findings that do not hold."""
        return [f for f in self.findings if not f.ok]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: ``scenario``, ``findings``, ``capacity``, ``park_years``."""
        return {
            "scenario": self.scenario_name,
            "gaps": len(self.gaps),
            "findings": [f.to_dict() for f in self.findings],
            "benchmarks": list(self.benchmarks),
            "capacity": _records(self.capacity),
            "park_years": _records(self.park_years),
        }

    def to_markdown(self) -> str:
        """Render a report for people: the capacity table, then every finding by topic."""
        lines = [f"# Audit: {self.scenario_name}", ""]
        lines += [
            f"{len(self.gaps)} of {len(self.findings)} checks show a gap (✗); ✓ = within "
            "tolerance.",
            "",
            "## Capacity (万m²)",
            "",
            "| park | year | basis | land ha | capacity | needed | capacity − needed "
            "| released by year | holds |",
            "|---|---|---|---:|---:|---:|---:|---:|---|",
        ]
        for row in self.capacity.to_dict("records"):
            year = "" if pd.isna(row["year"]) else str(int(row["year"]))
            needed = row["target_m2"]
            lines.append(
                f"| {row['park_id']} | {year} | {row['basis']} | {row['land_ha']:,.1f} | "
                f"{row['capacity_m2'] / 1e4:,.1f} | {_num(needed, 1e4)} | "
                f"{_num(row['capacity_gap_m2'], 1e4, sign=True)} | "
                f"{_num(row['released_capacity_m2'], 1e4)} | {_yes(row['holds_target'])} |"
            )
        titles = {
            "capacity": "Capacity findings",
            "consistency": "The plan's own numbers",
            "rules": "Rules: admission, control indicators, idle land",
        }
        for topic, title in titles.items():
            found = self.by_topic(topic)
            if not found:
                continue
            lines += ["", f"## {title}", ""]
            lines += [f"- {'✓' if f.ok else '✗'} {f.message}" for f in found]
        if self.benchmarks:
            lines += ["", "## Benchmarks", ""]
            lines += [f"- {line}" for line in self.benchmarks]
        return "\n".join(lines) + "\n"


# --- benchmarks -------------------------------------------------------------------------


def _at_year(value: float, year: int | None, growth: float | None, to_year: int) -> float:
    if growth is None or year is None:
        return value
    return value * (1.0 + growth) ** (to_year - year)


def _revenue_per_worker(scenario: Scenario, year: int) -> tuple[float, str] | None:
    b = scenario.benchmarks.revenue_per_worker
    if b is None:
        return None
    value = _at_year(b.value, b.year, b.growth, year)
    return value, _how(b.value / 1e4, "万元/worker", b.year, b.growth, year)


def _revenue_per_m2(scenario: Scenario, year: int) -> tuple[float, str] | None:
    """Benchmark yearly revenue per m² of floor in ``year`` and how it was made."""
    bench = scenario.benchmarks
    if bench.revenue_per_m2 is not None:
        b = bench.revenue_per_m2
        value = _at_year(b.value, b.year, b.growth, year)
        return value, _how(b.value, "元/m²", b.year, b.growth, year)
    per_worker = _revenue_per_worker(scenario, year)
    if per_worker is None or bench.m2_per_worker is None:
        return None
    m2 = bench.m2_per_worker.value
    return per_worker[0] / m2, f"{per_worker[1]} ÷ {m2:g} m²/worker"


def _how(value: float, unit: str, year: int | None, growth: float | None, to: int) -> str:
    text = f"{_plain(value)} {unit}" + (f" in {year}" if year is not None else "")
    if growth is not None and year is not None and year != to:
        text += f" grown {growth:.1%}/yr to {to}"
    return text


# --- consistency ----------------------------------------------------------------------


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


def _targets_by(scenario: Scenario) -> dict[tuple[Metric, int], dict[str, float]]:
    """Target values keyed by (metric, year), then scope; repeated targets add up."""
    table: dict[tuple[Metric, int], dict[str, float]] = {}
    for t in scenario.targets:
        scopes = table.setdefault((t.metric, t.year), {})
        scopes[t.park] = scopes.get(t.park, 0.0) + t.value
    return table


def _split_findings(scenario: Scenario, park_ids: Sequence[str] | None) -> list[Finding]:
    findings = []
    for (metric, year), scopes in _targets_by(scenario).items():
        parks = {k: v for k, v in scopes.items() if k != _TOTAL}
        if _TOTAL not in scopes or not parks:
            continue
        unit, scale = metric.info.unit, metric.info.scale
        total, summed = scopes[_TOTAL] / scale, sum(parks.values()) / scale
        gap = summed - total
        share = gap / total if total else math.nan
        listed = ", ".join(f"{p} {v / scale:,.0f}" for p, v in parks.items())
        what = f"{metric.value} {year}: the {len(parks)} park target(s) ({listed}) sum to " + (
            f"{summed:,.1f} {unit} against the total {total:,.1f} {unit}"
        )
        if abs(gap) <= 1e-9 * max(abs(total), 1.0):
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
                topic="consistency",
                check=f"{metric.value}_split",
                scope=_TOTAL,
                year=year,
                found=summed,
                expected=total,
                unit=unit,
                ok=abs(gap) <= 1e-9 * max(abs(total), 1.0),
                message=message,
            )
        )
    return findings


def _implied_findings(scenario: Scenario) -> list[Finding]:
    tol = scenario.benchmarks.tolerance
    table = _targets_by(scenario)
    findings = []
    scoped: dict[tuple[str, int], dict[Metric, float]] = {}
    for (metric, year), scopes in table.items():
        for scope, value in scopes.items():
            scoped.setdefault((scope, year), {})[metric] = value
    for (scope, year), values in sorted(scoped.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        revenue = values.get(Metric.REVENUE)
        floor = values.get(Metric.FLOOR_COMPLETED)
        workers = values.get(Metric.WORKERS)
        if revenue is not None and floor:
            bench = _revenue_per_m2(scenario, year)
            findings.append(
                _compare(
                    check="revenue_per_m2",
                    scope=scope,
                    year=year,
                    found=revenue / floor,
                    bench=bench,
                    unit="元/m²",
                    what=(
                        f"{scope} {year}: {revenue / 1e8:,.0f} 亿元 of revenue on "
                        f"{floor / 1e4:,.0f} 万m² of completed floor implies "
                        f"{revenue / floor:,.0f} 元/m² a year"
                    ),
                    tol=tol,
                )
            )
        if revenue is not None and workers:
            bench = _revenue_per_worker(scenario, year)
            findings.append(
                _compare(
                    check="revenue_per_worker",
                    scope=scope,
                    year=year,
                    found=revenue / workers / 1e4,
                    bench=None if bench is None else (bench[0] / 1e4, bench[1]),
                    unit="万元/worker",
                    what=(
                        f"{scope} {year}: {revenue / 1e8:,.0f} 亿元 of revenue from "
                        f"{workers:,.0f} workers implies {revenue / workers / 1e4:,.1f} 万元 "
                        "per worker"
                    ),
                    tol=tol,
                )
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
            findings.append(
                _compare(
                    check="m2_per_worker",
                    scope=scope,
                    year=year,
                    found=per,
                    bench=None if m2_bench is None else (m2_bench.value, ""),
                    unit="m²/worker",
                    what=(
                        f"{scope} {year}: {floor / 1e4:,.0f} 万m² of floor for {workers:,.0f} "
                        f"workers implies {per:,.1f} m² per worker{extra}"
                    ),
                    tol=tol,
                )
            )
    return findings


def _compare(
    *,
    check: str,
    scope: str,
    year: int | None,
    found: float,
    bench: tuple[float, str] | None,
    unit: str,
    what: str,
    tol: float,
) -> Finding:
    if bench is None:
        return Finding(
            "consistency",
            check,
            scope,
            year,
            found,
            math.nan,
            unit,
            True,
            f"{what}; no benchmark to compare with (add one to [benchmarks])",
        )
    expected, how = bench
    rel = found / expected - 1.0 if expected else math.nan
    ok = bool(abs(rel) <= tol + 1e-12)
    verdict = "within" if ok else "beyond"
    origin = f" from {how}" if how else ""
    return Finding(
        "consistency",
        check,
        scope,
        year,
        found,
        expected,
        unit,
        ok,
        f"{what}; benchmark {_plain(expected)} {unit}{origin}: {rel:+.1%}, {verdict} the "
        f"{tol:.0%} tolerance",
    )


def _growth_findings(scenario: Scenario) -> list[Finding]:
    base = scenario.benchmarks.base_revenue
    if base is None or base.year is None:
        return []
    tol = scenario.benchmarks.tolerance
    findings = []
    for t in scenario.targets:
        if t.metric is not Metric.REVENUE or t.park != _TOTAL or t.year <= base.year:
            continue
        n = t.year - base.year
        implied = (t.value / base.value) ** (1.0 / n) - 1.0 if base.value > 0 else math.nan
        start = f"{base.value / 1e8:,.0f} 亿元 in {base.year}"
        if base.growth is None:
            findings.append(
                Finding(
                    "consistency",
                    "revenue_growth",
                    _TOTAL,
                    t.year,
                    implied * 100,
                    math.nan,
                    "%/yr",
                    True,
                    f"revenue {t.year}: {t.value / 1e8:,.0f} 亿元 from {start} needs "
                    f"{implied:.1%}/yr; no stated growth to compare with",
                )
            )
            continue
        projected = base.value * (1.0 + base.growth) ** n
        gap = projected - t.value
        rel = gap / t.value
        ok = bool(abs(rel) <= tol + 1e-12)
        direction = "short of" if gap < 0 else "above"
        findings.append(
            Finding(
                "consistency",
                "revenue_growth",
                _TOTAL,
                t.year,
                projected / 1e8,
                t.value / 1e8,
                "亿元",
                ok,
                f"revenue {t.year}: {start} growing at the stated {base.growth:.1%}/yr reaches "
                f"{projected / 1e8:,.1f} 亿元, {abs(gap) / 1e8:,.1f} 亿元 ({abs(rel):.1%}) "
                f"{direction} the {t.value / 1e8:,.0f} 亿元 target; the target needs "
                f"{implied:.1%}/yr ({'within' if ok else 'beyond'} the {tol:.0%} tolerance)",
            )
        )
    return findings


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
        if b is None:
            continue
        rel = rule / b.value - 1.0 if b.value else math.nan
        ok = bool(abs(rel) <= bench.tolerance + 1e-12)
        when = f" ({b.year})" if b.year is not None else ""
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
                f"the {name} rule ≥ {_plain(rule / scale)} {unit} is {abs(rel):.1%} "
                f"{'below' if rel < 0 else 'above'} the benchmark {_plain(b.value / scale)} "
                f"{unit}{when}",
            )
        )
    return findings


# --- capacity and land supply ---------------------------------------------------------


def capacity(scenario: Scenario, result: Result, *, draw: int = 0) -> pd.DataFrame:
    """Each park's capacity against the floor its targets need.

    Parameters
    ----------
    scenario, result
        What was simulated and what came out.
    draw
        Which draw's release years to use.

    Returns
    -------
    pandas.DataFrame
        One row per (park or ``total``, year, basis): ``basis`` is ``"floor target"``
        (Σ of ``floor_completed`` and ``floor_under_construction`` targets of that
        scope and year, or a ``floor_started`` target if larger), ``"revenue target"``
        (the revenue target ÷ the benchmark revenue per m² in that year: the occupied
        floor it needs) or ``"no target"``. Columns ``park_id, year, basis, land_ha,
        capacity_m2, target_m2, capacity_gap_m2`` (capacity − target),
        ``capacity_share`` (capacity ÷ target), ``holds_target``,
        ``released_capacity_m2`` (capacity of the parcels released by the end of the
        year), ``released_holds_target``.
    """
    area = result.area_m2
    n_parks = len(result.park_ids)
    scopes = [*result.park_ids, _TOTAL]
    member = np.zeros((area.size, n_parks + 1), dtype=bool)
    member[np.arange(area.size), result.parcel_park] = True
    member[:, n_parks] = True
    land = area @ member
    cap = result.capacity_m2 @ member
    release = result.release_year[draw]

    needs: dict[tuple[str, int, str], float] = {}
    for (metric, year), values in _targets_by(scenario).items():
        for scope, value in values.items():
            if metric in _FLOOR_METRICS:
                key = (scope, year, "floor target")
                needs[key] = needs.get(key, 0.0) + value
    for (metric, year), values in _targets_by(scenario).items():
        for scope, value in values.items():
            if metric is Metric.FLOOR_STARTED:
                key = (scope, year, "floor target")
                needs[key] = max(needs.get(key, 0.0), value)
            if metric is Metric.REVENUE:
                bench = _revenue_per_m2(scenario, year)
                if bench is not None and bench[0] > 0:
                    needs[(scope, year, "revenue target")] = value / bench[0]
    rows: list[dict[str, Any]] = []
    with_target = {scope for scope, _, _ in needs}
    for scope in scopes:
        if scope not in with_target:
            needs[(scope, -1, "no target")] = math.nan
    order = {s: i for i, s in enumerate(scopes)}
    for (scope, year, basis), need in sorted(
        needs.items(), key=lambda kv: (order.get(kv[0][0], len(scopes)), kv[0][1], kv[0][2])
    ):
        if scope not in order:
            continue  # an unknown park: prepare() reports it
        k = order[scope]
        released = (
            float(result.capacity_m2[member[:, k] & (release <= year)].sum())
            if year >= 0
            else math.nan
        )
        rows.append(
            {
                "park_id": scope,
                "year": pd.NA if year < 0 else year,
                "basis": basis,
                "land_ha": land[k] / 1e4,
                "capacity_m2": cap[k],
                "target_m2": need,
                "capacity_gap_m2": cap[k] - need,
                "capacity_share": cap[k] / need if need else math.nan,
                "holds_target": pd.NA if math.isnan(need) else bool(cap[k] >= need),
                "released_capacity_m2": released,
                "released_holds_target": pd.NA if math.isnan(need) else bool(released >= need),
            }
        )
    frame = pd.DataFrame(rows)
    frame["year"] = frame["year"].astype("Int64")
    for column in ("holds_target", "released_holds_target"):
        frame[column] = frame[column].astype("boolean")
    return frame


def land_supply(result: Result, *, draw: int = 0) -> pd.DataFrame:
    """Land not yet released per park and year, and the years of supply it leaves.

    Parameters
    ----------
    result
        What came out of the run (with its yearly land supply).
    draw
        Which draw.

    Returns
    -------
    pandas.DataFrame
        One row per (year, park_id), plus ``total`` rows: ``land_ha, released_ha,
        unreleased_ha`` (at the end of the year; land taken back as idle under
        ``[rules] reclaim_idle = true`` counts as unreleased until it is released again),
        ``capacity_unreleased_m2``, ``supply_ha_per_year`` (the year's land-supply
        budget) and ``years_of_supply_left`` = unreleased ÷ supply (inf where supply is
        0 but land is left).
    """
    area = result.area_m2
    years = result.years.astype(float)
    n_parks = len(result.park_ids)

    def by_park(values: npt.NDArray[Any]) -> FloatArray:  # (…, P) → (…, K + 1)
        return sum_by_park(values, result.parcel_park, n_parks, total=True)

    released = result.released_mask(draw=draw)  # (Y, P); reclaimed land is out of it
    land = np.broadcast_to(by_park(area), (years.size, n_parks + 1))
    released_area = by_park(released * area)
    unreleased = by_park(~released * area)
    cap_unreleased = by_park(~released * result.capacity_m2)
    d = min(draw, result.land_supply_m2.shape[0] - 1)
    supply = result.land_supply_m2[d].T  # (Y, K)
    supply = np.concatenate([supply, supply.sum(axis=1, keepdims=True)], axis=1)
    left = unreleased
    with np.errstate(divide="ignore", invalid="ignore"):
        years_left = np.where(left <= 1e-6, 0.0, left / supply)
    return park_year_frame(
        result.years,
        result.park_ids,
        {
            "land_ha": land / 1e4,
            "released_ha": released_area / 1e4,
            "unreleased_ha": unreleased / 1e4,
            "capacity_unreleased_m2": cap_unreleased,
            "supply_ha_per_year": supply / 1e4,
            "years_of_supply_left": years_left,
        },
    )


def park_years(result: Result, tables: RuleTables) -> pd.DataFrame:
    """One table per park and year: admission averages, idle land and land supply.

    The columns of :func:`sim.rules.park_admission_by_year`,
    :func:`sim.rules.idle_land` (both from ``tables``) and :func:`land_supply`, joined
    on ``year, park_id``, for the draw ``tables`` describe.
    """
    keys = ["year", "park_id"]
    table = tables.park_admission.merge(tables.idle_land, on=keys)
    return table.merge(land_supply(result, draw=tables.draw), on=keys)


def _capacity_findings(table: pd.DataFrame) -> list[Finding]:
    findings = []
    for row in table.to_dict("records"):
        if row["basis"] == "no target":
            continue
        need, cap, released = row["target_m2"], row["capacity_m2"], row["released_capacity_m2"]
        year = int(row["year"])
        scope = str(row["park_id"])
        what = (
            f"{scope} {year}: the {row['basis']} needs {need / 1e4:,.1f} 万m²"
            + (
                " of occupied floor at the benchmark revenue per m²"
                if "revenue" in row["basis"]
                else ""
            )
            + f"; its {row['land_ha']:,.1f} ha hold {cap / 1e4:,.1f} 万m² "
            f"({cap / need:.0%} of it)"
        )
        if cap < need:
            message = (
                f"{what}: the land cannot hold the target, {(need - cap) / 1e4:,.1f} 万m² short"
            )
        elif released < need:
            message = (
                f"{what}, but the land released by {year} holds only {released / 1e4:,.1f} 万m², "
                f"{(need - released) / 1e4:,.1f} 万m² short at the land-supply rate"
            )
        else:
            message = f"{what}; the land released by {year} holds {released / 1e4:,.1f} 万m²"
        findings.append(
            Finding(
                "capacity",
                "capacity" if row["basis"] == "floor target" else "capacity_for_revenue",
                scope,
                year,
                cap / 1e4,
                need / 1e4,
                "万m²",
                bool(cap >= need and released >= need),
                message,
            )
        )
    return findings


def _empty_park_findings(result: Result) -> list[Finding]:
    """Flag each park of the parks layer without parcels: capacity 0, nothing to build."""
    counts = np.bincount(result.parcel_park, minlength=len(result.park_ids))
    return [
        Finding(
            "capacity",
            "no_parcels",
            park,
            None,
            0.0,
            math.nan,
            "parcels",
            False,
            f"{park}: the parcels layer has no parcel in this park, so its capacity is 0 and "
            "nothing is built there; add its parcels, or check their park_id",
        )
        for park, count in zip(result.park_ids, counts, strict=True)
        if count == 0
    ]


def _supply_findings(scenario: Scenario, table: pd.DataFrame) -> list[Finding]:
    """Per park: land left at the horizon and the year its land runs out, if it does."""
    findings = []
    horizon = int(table["year"].max())
    for scope, rows in table.groupby("park_id", sort=False):
        last = rows.iloc[-1]
        if not last["land_ha"] > 0:
            continue  # a park without parcels: _empty_park_findings says so
        left = rows["unreleased_ha"].to_numpy()
        empty = rows["year"].to_numpy()[left <= 1e-9]
        text = (
            f"{scope}: {last['unreleased_ha']:,.1f} of {last['land_ha']:,.1f} ha unreleased at "
            f"the end of {horizon}"
        )
        supply = float(last["supply_ha_per_year"])
        years_left = float(last["years_of_supply_left"])
        if empty.size and int(empty[0]) < horizon:
            text += (
                f"; its land ran out in {int(empty[0])}, {horizon - int(empty[0])} year(s) "
                "before the horizon: no new parcel can be released after that"
            )
        elif math.isfinite(years_left):
            text += f": {years_left:,.1f} years of supply left at {supply:,.1f} ha/yr"
        else:
            text += ": no supply budget, so it is never released"
        findings.append(
            Finding(
                "capacity",
                "land_supply",
                str(scope),
                horizon,
                years_left,
                math.nan,
                "years",
                True,  # running out of land is a fact to plan for; capacity says if it hurts
                text,
            )
        )
    return findings


# --- rules ----------------------------------------------------------------------------


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
        :func:`park_years` of the same.

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
    parcels, controls, table = tables.admission, tables.controls, years_table
    inv_min = rules.investment_intensity_min
    rev_min = rules.revenue_density_min / CNY_PER_M2_PER_YI_PER_HA
    findings: list[Finding] = []
    horizon = int(result.years[-1])
    for scope in [*result.park_ids, _TOTAL]:
        mine = parcels if scope == _TOTAL else parcels[parcels["park_id"] == scope]
        if mine.empty:
            continue  # a park without parcels: _empty_park_findings says so
        area = mine["area_m2"].sum()
        for check, column, threshold, unit, when, digits in (
            ("investment_rule", "investment_cny", inv_min, "万元/ha", "at completion", 0),
            ("revenue_rule", "revenue_mature_cny", rev_min, "亿元/ha",
             "at maturity (base-year prices)", 2),
        ):  # fmt: skip
            scale = 1.0 if unit == "万元/ha" else CNY_PER_M2_PER_YI_PER_HA
            average = mine[column].sum() / area / scale
            density_col = (
                "investment_intensity_wan_per_ha" if check == "investment_rule"
                else "revenue_density_yi_per_ha"
            )  # fmt: skip
            flag = "meets_investment_rule" if check == "investment_rule" else "meets_revenue_rule"
            below = mine[~mine[flag]]
            ok = bool(average >= threshold * (1 - 1e-9)) and below.empty
            text = (
                f"{scope}: {when} its {len(mine)} parcels average {average:,.{digits}f} {unit} "
                f"(rule ≥ {threshold:,.{digits}f}, margin {average - threshold:+,.{digits}f})"
            )
            if below.empty:
                text += "; every parcel meets it"
            else:
                text += (
                    f"; {len(below)} parcel(s), {below['area_m2'].sum() / 1e4:,.1f} ha, fall "
                    f"below it (lowest {below[density_col].min():,.{digits}f} {unit})"
                )
            findings.append(
                Finding("rules", check, scope, None, average, threshold, unit, ok, text)
            )
        yearly = table[table["park_id"] == scope]
        both = yearly["meets_investment_rule"].fillna(False) & yearly["meets_revenue_rule"].fillna(
            False
        )
        first = yearly.loc[both.to_numpy(dtype=bool), "year"]
        admitted = yearly["admitted_parcels"].to_numpy()
        if admitted.max(initial=0) > 0:
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
            findings.append(
                Finding(
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
            )
    findings += _control_findings(scenario, controls)
    findings += _idle_findings(scenario, table)
    return findings


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
                Finding("rules", name, _TOTAL, None, math.nan, 0.0, "parcels", True, text)
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
                "rules", name, _TOTAL, None, float(len(failing)), 0.0, "parcels",
                failing.empty, text,
            )
        )  # fmt: skip
    return findings


def _idle_findings(scenario: Scenario, table: pd.DataFrame) -> list[Finding]:
    rules = scenario.rules
    findings = []
    for scope, rows in table.groupby("park_id", sort=False):
        if scope == _TOTAL:
            continue
        peak = rows["idle_area_ha"].max()
        if not peak > 0:
            continue
        at = int(rows["year"].to_numpy()[int(np.argmax(rows["idle_area_ha"].to_numpy()))])
        reclaim = rows["reclaimable_area_ha"].max()
        text = (
            f"{scope}: up to {peak:,.1f} ha ({int(rows['idle_parcels'].max())} parcels) idle — "
            f"released but not started {rules.idle_after_years} year(s) on — "
            f"peaking in {at}"
        )
        if reclaim > 0:
            first = int(rows.loc[rows["reclaimable_area_ha"] > 0, "year"].iloc[0])
            text += (
                f"; up to {reclaim:,.1f} ha reclaimable (unstarted "
                f"{rules.reclaim_after_years} years after release; first in {first})"
                + ("; taken back into the land pool" if rules.reclaim_idle else "")
            )
        findings.append(
            Finding("rules", "idle_land", str(scope), at, float(peak), 0.0, "ha", False, text)
        )
    return findings


# --- all together ---------------------------------------------------------------------


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
    findings = _empty_park_findings(result)
    findings += _capacity_findings(cap)
    findings += _supply_findings(scenario, years)
    findings += consistency(scenario, park_ids=result.park_ids)
    findings += rule_findings(scenario, result, tables, years)
    return Audit(
        scenario_name=scenario.name,
        capacity=cap,
        park_years=years,
        findings=tuple(findings),
        benchmarks=tuple(_benchmark_lines(scenario)),
    )


def _benchmark_lines(scenario: Scenario) -> list[str]:
    units = {
        "base_revenue": ("亿元", 1e8),
        "revenue_per_worker": ("万元/worker/yr", 1e4),
        "m2_per_worker": ("m²/worker", 1.0),
        "revenue_per_m2": ("元/m²/yr", 1.0),
        "investment_intensity": ("万元/ha", 1.0),
        "output_density": ("万元/ha", 1.0),
    }
    lines = []
    for name, (unit, scale) in units.items():
        b = getattr(scenario.benchmarks, name)
        if b is None:
            continue
        text = f"{name}: {_plain(b.value / scale)} {unit}"
        if b.year is not None:
            text += f" ({b.year})"
        if b.growth is not None:
            text += f", growth {b.growth:.1%}/yr"
        lines.append(f"{text} — {b.source}")
    return lines


# --- helpers --------------------------------------------------------------------------


def _jsonable(value: Any) -> Any:
    if value is None or value is pd.NA:
        return None
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    return value


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [
        {str(k): _jsonable(v) for k, v in row.items()}
        for row in frame.astype(object).to_dict("records")
    ]


def _plain(value: float) -> str:
    """Format a number as a planner writes it: 26,668 · 83.3 · 2.67.

    Examples
    --------
    >>> _plain(26668.0), _plain(83.25), _plain(2.6668)
    ('26,668', '83.2', '2.67')
    """
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:,.1f}"
    return f"{value:.3g}"


def _num(value: float, scale: float, *, sign: bool = False) -> str:
    if value is None or pd.isna(value):
        return ""
    return f"{value / scale:{'+' if sign else ''},.1f}"


def _yes(value: object) -> str:
    if value is None or value is pd.NA:
        return ""
    return "yes" if value else "**no**"
