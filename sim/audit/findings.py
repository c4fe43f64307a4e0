"""What an audit yields and how it is shown: :class:`Finding`, :class:`Audit`, formatting.

A :class:`Finding` is one check's result (what was found, what was expected, whether it
holds, one sentence saying so); an :class:`Audit` holds a scenario's findings with the
capacity and park-year tables they were read from, and renders them as JSON
(:meth:`Audit.to_dict`) and as a markdown report (:meth:`Audit.to_markdown`).

Also the helpers the checks share to write numbers as planners do (:func:`plain`,
:func:`within`) and the divisors from SI to the planner's units (:data:`FLOOR`,
:data:`REVENUE` from :mod:`sim.metrics`; :data:`M2_PER_HA`, :data:`CNY_PER_WAN`). A leaf
of the package: it imports only :mod:`sim.metrics`.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sim.metrics import METRICS, Metric

__all__ = [
    "CNY_PER_WAN",
    "FLOOR",
    "M2_PER_HA",
    "REVENUE",
    "Audit",
    "Finding",
    "plain",
    "within",
]

#: How floor is shown: 万m², m² ÷ ``FLOOR.scale``.
FLOOR = METRICS[Metric.FLOOR_COMPLETED]
#: How revenue is shown: 亿元, CNY ÷ ``REVENUE.scale``.
REVENUE = METRICS[Metric.REVENUE]
#: m² per ha (``sim.units.convert(1, "ha", "m2")``); m² ÷ it = ha.
M2_PER_HA = 1e4
#: CNY per 万元 (``sim.units.convert(1, "万元", "yuan")``); CNY ÷ it = 万元.
CNY_PER_WAN = 1e4

#: Slack of a tolerance comparison, so that a value exactly at it is within.
_TOL_SLACK = 1e-12


@dataclass(frozen=True)
class Finding:
    """One audit result: what was found against what was expected, and whether it holds.

    Attributes
    ----------
    topic
        ``"capacity"``, ``"consistency"``, ``"rules"`` or ``"fiscal"``.
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


_TOPICS = {
    "capacity": "Capacity findings",
    "consistency": "The plan's own numbers",
    "rules": "Rules: admission, control indicators, idle land",
    "fiscal": "Fiscal: what the policy costs and returns",
}


@dataclass(frozen=True)
class Audit:
    """Everything :func:`sim.audit.audit` found about one scenario and its simulation.

    Attributes
    ----------
    scenario_name
        Name of the scenario.
    capacity
        Table from :func:`sim.audit.capacity`.
    park_years
        Table from :func:`sim.audit.park_years`: admission averages, idle land and
        land supply per park and year.
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
            f"## Capacity ({FLOOR.unit})",
            "",
            "| park | year | basis | land ha | capacity | needed | capacity − needed "
            "| sold by year end | holds |",
            "|---|---|---|---:|---:|---:|---:|---:|---|",
        ]
        lines += [_capacity_row(row) for row in self.capacity.to_dict("records")]
        for topic, title in _TOPICS.items():
            found = self.by_topic(topic)
            if not found:
                continue
            lines += ["", f"## {title}", ""]
            lines += [f"- {'✓' if f.ok else '✗'} {f.message}" for f in found]
        if self.benchmarks:
            lines += ["", "## Benchmarks", ""]
            lines += [f"- {line}" for line in self.benchmarks]
        return "\n".join(lines) + "\n"


def _capacity_row(row: dict[Any, Any]) -> str:
    """One row of the report's capacity table, floor in 万m²."""
    year = "" if pd.isna(row["year"]) else str(int(row["year"]))
    return (
        f"| {row['park_id']} | {year} | {row['basis']} | {row['land_ha']:,.1f} | "
        f"{_floor(row['capacity_m2'])} | {_floor(row['target_m2'])} | "
        f"{_floor(row['capacity_gap_m2'], sign=True)} | "
        f"{_floor(row['released_capacity_m2'])} | {_yes(row['holds_target'])} |"
    )


def plain(value: float) -> str:
    """Format a number as a planner writes it: 26,668 · 83.3 · 2.67.

    Examples
    --------
    >>> plain(26668.0), plain(83.25), plain(2.6668)
    ('26,668', '83.2', '2.67')
    """
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:,.1f}"
    return f"{value:.3g}"


def within(relative: float, tolerance: float) -> bool:
    """Whether a relative difference is within the tolerance (at it counts as within).

    Examples
    --------
    >>> within(-0.1, 0.1), within(0.25, 0.2), within(math.nan, 0.2)
    (True, False, False)
    """
    return bool(abs(relative) <= tolerance + _TOL_SLACK)


def _floor(value: float, *, sign: bool = False) -> str:
    """Show a floor area in m² as 万m² with one decimal, blank where missing."""
    if value is None or pd.isna(value):
        return ""
    return f"{value / FLOOR.scale:{'+' if sign else ''},.1f}"


def _yes(value: object) -> str:
    if value is None or value is pd.NA:
        return ""
    return "yes" if value else "**no**"


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
