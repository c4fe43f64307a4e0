"""Figures of a Result: status and compliance maps, charts, the house style, figure files.

Only this subpackage imports matplotlib; the core of parksim never imports it.
"""

from sim.plot.charts import floor_chart
from sim.plot.compliance import compliance_map, rule_scatter
from sim.plot.figure import FIGURE_FORMATS, save_figure
from sim.plot.maps import parcel_map, status_map
from sim.plot.style import (
    COMPLIANCE_COLOURS,
    PARK_COLOURS,
    STATUS_COLOURS,
    TARGET_COLOUR,
    label,
    park_colour,
    register_cjk_font,
    style_context,
    style_rc,
)

__all__ = [
    "COMPLIANCE_COLOURS",
    "FIGURE_FORMATS",
    "PARK_COLOURS",
    "STATUS_COLOURS",
    "TARGET_COLOUR",
    "compliance_map",
    "floor_chart",
    "label",
    "parcel_map",
    "park_colour",
    "register_cjk_font",
    "rule_scatter",
    "save_figure",
    "status_map",
    "style_context",
    "style_rc",
]
