"""Figures of a Result: status maps, floor charts, the house style and figure files.

Only this subpackage imports matplotlib; the core of parksim never imports it.
"""

from sim.plot.charts import floor_chart
from sim.plot.figure import FIGURE_FORMATS, save_figure
from sim.plot.maps import status_map
from sim.plot.style import (
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
    "FIGURE_FORMATS",
    "PARK_COLOURS",
    "STATUS_COLOURS",
    "TARGET_COLOUR",
    "floor_chart",
    "label",
    "park_colour",
    "register_cjk_font",
    "save_figure",
    "status_map",
    "style_context",
    "style_rc",
]
