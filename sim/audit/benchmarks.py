"""The scenario's targets and ``[benchmarks]`` as the checks read them.

``Scenario ──▶`` target values by (metric, year) and scope (:func:`targets_by`);
benchmark revenue per m² and per worker grown to a year, each with the text saying
how it was made (:func:`revenue_per_m2`, :func:`revenue_per_worker`); and the
report's one line per benchmark (:func:`benchmark_lines`). Values are in SI (CNY,
CNY/m², m²/worker) unless a text says otherwise.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.audit.findings import CNY_PER_WAN, REVENUE, plain

if TYPE_CHECKING:
    from sim.metrics import Metric
    from sim.scenario import Scenario

__all__ = ["Benchmark", "benchmark_lines", "revenue_per_m2", "revenue_per_worker", "targets_by"]

#: A benchmark value in a year, and how it was made ("6,500 元/m² in 2012 grown …").
Benchmark = tuple[float, str]


def targets_by(scenario: Scenario) -> dict[tuple[Metric, int], dict[str, float]]:
    """Target values keyed by (metric, year), then scope; repeated targets add up."""
    table: dict[tuple[Metric, int], dict[str, float]] = {}
    for t in scenario.targets:
        scopes = table.setdefault((t.metric, t.year), {})
        scopes[t.park] = scopes.get(t.park, 0.0) + t.value
    return table


def revenue_per_worker(scenario: Scenario, year: int) -> Benchmark | None:
    """Benchmark yearly revenue per worker (CNY) in ``year``, or None without one."""
    b = scenario.benchmarks.revenue_per_worker
    if b is None:
        return None
    value = _at_year(b.value, b.year, b.growth, year)
    return value, _how(b.value / CNY_PER_WAN, "万元/worker", b.year, b.growth, year)


def revenue_per_m2(scenario: Scenario, year: int) -> Benchmark | None:
    """Benchmark yearly revenue per m² of floor (CNY/m²) in ``year``, or None.

    ``[benchmarks] revenue_per_m2`` if given, else revenue per worker ÷ m² per worker.
    """
    bench = scenario.benchmarks
    if bench.revenue_per_m2 is not None:
        b = bench.revenue_per_m2
        value = _at_year(b.value, b.year, b.growth, year)
        return value, _how(b.value, "元/m²", b.year, b.growth, year)
    per_worker = revenue_per_worker(scenario, year)
    if per_worker is None or bench.m2_per_worker is None:
        return None
    m2 = bench.m2_per_worker.value
    return per_worker[0] / m2, f"{per_worker[1]} ÷ {m2:g} m²/worker"


def _at_year(value: float, year: int | None, growth: float | None, to_year: int) -> float:
    if growth is None or year is None:
        return value
    return value * (1.0 + growth) ** (to_year - year)


def _how(value: float, unit: str, year: int | None, growth: float | None, to: int) -> str:
    text = f"{plain(value)} {unit}" + (f" in {year}" if year is not None else "")
    if growth is not None and year is not None and year != to:
        text += f" grown {growth:.1%}/yr to {to}"
    return text


#: Unit and divisor from SI of each benchmark the report lists, in its order.
_SHOWN = {
    "base_revenue": (REVENUE.unit, REVENUE.scale),
    "revenue_per_worker": ("万元/worker/yr", CNY_PER_WAN),
    "m2_per_worker": ("m²/worker", 1.0),
    "revenue_per_m2": ("元/m²/yr", 1.0),
    "investment_intensity": ("万元/ha", 1.0),
    "output_density": ("万元/ha", 1.0),
}


def benchmark_lines(scenario: Scenario) -> list[str]:
    """One line per benchmark the scenario gives: name, value, year, growth and source."""
    lines = []
    for name, (unit, scale) in _SHOWN.items():
        b = getattr(scenario.benchmarks, name)
        if b is None:
            continue
        text = f"{name}: {plain(b.value / scale)} {unit}"
        if b.year is not None:
            text += f" ({b.year})"
        if b.growth is not None:
            text += f", growth {b.growth:.1%}/yr"
        lines.append(f"{text} — {b.source}")
    return lines
