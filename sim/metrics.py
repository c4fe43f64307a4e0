"""What a target can measure, and how every table, chart and CSV names and scales it.

One table, :data:`METRICS`, holds for each :class:`Metric` the summary series it is
checked against (with its unit in the name), the unit written in CSVs, the planner's
display unit and its scale from SI, and short names in Chinese and English. Targets,
the audit, the writers, the command line and the charts all read it; nothing else
spells these out. A leaf module: it imports only :mod:`sim.units`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from sim.units import Dimension

__all__ = ["METRICS", "Metric", "MetricInfo", "metric_info"]


class Metric(str, enum.Enum):
    """What a target measures (the summary column it is checked against)."""

    FLOOR_COMPLETED = "floor_completed"
    FLOOR_UNDER_CONSTRUCTION = "floor_under_construction"
    FLOOR_STARTED = "floor_started"
    FLOOR_OCCUPIED = "floor_occupied"
    REVENUE = "revenue"
    WORKERS = "workers"
    FIRMS = "firms"

    @property
    def info(self) -> MetricInfo:
        """Its row of :data:`METRICS`."""
        return METRICS[self]

    @property
    def dimension(self) -> Dimension:
        """Dimension of the target value."""
        return METRICS[self].dimension

    @property
    def column(self) -> str:
        """Name of the projected quantity in outputs (with its unit)."""
        return METRICS[self].column


@dataclass(frozen=True)
class MetricInfo:
    """How one metric is named, measured and shown.

    Attributes
    ----------
    column
        The series it is checked against (``summary.csv`` column, unit in the name).
    dimension
        Dimension of its values.
    si_unit
        The unit of its values in tables and CSVs (``targets.csv``'s ``unit``).
    unit
        The planner's display unit (``万m²``, ``亿元``) …
    scale
        … and the divisor that turns an SI value into it.
    short
        A short English name for table columns.
    zh, en
        Names for legends and labels.
    unit_en
        The display unit spelled for English figures.
    """

    column: str
    dimension: Dimension
    si_unit: str
    unit: str
    scale: float
    short: str
    zh: str
    en: str
    unit_en: str


def _floor(column: str, short: str, zh: str, en: str) -> MetricInfo:
    return MetricInfo(column, Dimension.AREA, "m2", "万m²", 1e4, short, zh, en, "× 10⁴ m²")


#: Every metric's names, units and scale.
METRICS: dict[Metric, MetricInfo] = {
    Metric.FLOOR_COMPLETED: _floor("floor_completed_m2", "completed", "竣工", "completed"),
    Metric.FLOOR_UNDER_CONSTRUCTION: _floor(
        "floor_under_construction_m2", "building", "在建", "under construction"
    ),
    Metric.FLOOR_STARTED: _floor("floor_started_m2", "started", "已开工", "started"),
    Metric.FLOOR_OCCUPIED: _floor("floor_occupied_m2", "occupied", "入驻", "occupied"),
    Metric.REVENUE: MetricInfo(
        "revenue_cny", Dimension.MONEY, "CNY/yr", "亿元", 1e8, "revenue", "收入", "revenue",
        "× 10⁸ CNY",
    ),
    Metric.WORKERS: MetricInfo(
        "workers_persons", Dimension.RATIO, "persons", "persons", 1.0, "workers", "从业人员",
        "workers", "persons",
    ),
    Metric.FIRMS: MetricInfo(
        "firms_count", Dimension.RATIO, "firms", "firms", 1.0, "firms", "企业数", "firms",
        "firms",
    ),
}  # fmt: skip

_BY_COLUMN = {info.column: info for info in METRICS.values()}


def metric_info(column: str) -> MetricInfo | None:
    """Look up the row of :data:`METRICS` whose series is ``column`` (None if none).

    Examples
    --------
    >>> metric_info("revenue_cny").unit
    '亿元'
    >>> metric_info("nothing") is None
    True
    """
    return _BY_COLUMN.get(column)
