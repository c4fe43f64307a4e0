"""Figures of a Result for planning reports: maps, charts, the house style, figure files.

Only this subpackage imports matplotlib; the core of parksim never imports it.

- maps (:mod:`sim.plot.maps`, :mod:`sim.plot.compliance`): :func:`status_map`,
  :func:`completion_map`, :func:`compliance_map`, :func:`overview_map`,
  :func:`status_years_map`, and :func:`parcel_map` underneath them all; the
  furniture they share (scale bar, north arrow, labels, source line) is in
  :mod:`sim.plot.cartography`, the parcel states in :mod:`sim.states`;
- charts (:mod:`sim.plot.charts`, :mod:`sim.plot.uncertainty`): :func:`floor_chart`,
  :func:`completions_chart`, :func:`revenue_chart`, :func:`rule_scatter`,
  :func:`fan_chart`, :func:`probability_chart`;
- the house style (:mod:`sim.plot.style`) and :func:`save_figure` (PNG 300 dpi, SVG,
  PDF with the CJK font embedded); :mod:`sim.plot.render` draws a map kind by name
  (``parksim map``) and writes the figures of a run.
"""

from sim.plot.charts import completions_chart, floor_chart, revenue_chart
from sim.plot.compliance import compliance_map, rule_scatter
from sim.plot.figure import FIGURE_FORMATS, save_figure
from sim.plot.maps import (
    STATE_COLOURS,
    completion_map,
    overview_map,
    parcel_map,
    status_map,
    status_years_map,
)
from sim.plot.render import MAP_KINDS, map_figure, write_report_figures
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
    unit_label,
)
from sim.plot.uncertainty import fan_chart, probability_chart
from sim.states import ParcelState, parcel_states

__all__ = [
    "COMPLIANCE_COLOURS",
    "FIGURE_FORMATS",
    "MAP_KINDS",
    "PARK_COLOURS",
    "STATE_COLOURS",
    "STATUS_COLOURS",
    "TARGET_COLOUR",
    "ParcelState",
    "completion_map",
    "completions_chart",
    "compliance_map",
    "fan_chart",
    "floor_chart",
    "label",
    "map_figure",
    "overview_map",
    "parcel_map",
    "parcel_states",
    "park_colour",
    "probability_chart",
    "register_cjk_font",
    "revenue_chart",
    "rule_scatter",
    "save_figure",
    "status_map",
    "status_years_map",
    "style_context",
    "style_rc",
    "unit_label",
    "write_report_figures",
]
