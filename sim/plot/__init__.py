"""Figures of a run for planning reports: maps, charts, the house style, figure files.

Only this subpackage imports matplotlib; the core of parksim never imports it. Every
figure reads what a run computed (an :class:`~sim.outcome.Outcome`, or the result,
ensemble and tables in it) and computes nothing of its own.

- maps, one module per kind, each ``kind_map(outcome, *, year=…, park=…,
  options=MapOptions(…), ax=None)``: :func:`status_map` and :func:`status_years_map`
  (:mod:`sim.plot.status`), :func:`completion_map` (:mod:`sim.plot.completion`),
  :func:`compliance_map` (:mod:`sim.plot.compliance`), :func:`overview_map`
  (:mod:`sim.plot.overview`); :class:`MapOptions` (label language, paper size, date)
  and :func:`parcel_map`, the frame underneath them all (:mod:`sim.plot.frame`), built
  from the layers (:mod:`sim.plot.layers`), the page layout (:mod:`sim.plot.layout`),
  the drawing primitives (:mod:`sim.plot.primitives`), the insets
  (:mod:`sim.plot.insets`) and the furniture (scale bar, north arrow, labels, source
  line: :mod:`sim.plot.cartography`); the parcel states are in :mod:`sim.states`;
- charts (:mod:`sim.plot.charts`, :mod:`sim.plot.uncertainty`): :func:`floor_chart`,
  :func:`completions_chart`, :func:`revenue_chart`, :func:`rule_scatter`,
  :func:`fan_chart`, :func:`probability_chart`; :func:`fiscal_chart` (:mod:`sim.plot.fiscal`,
  outlays against tax and land revenue); the decision tools' charts
  (:mod:`sim.plot.decisions`): :func:`probability_curve_chart`,
  :func:`calibration_chart`, :func:`tornado_chart`, :func:`sobol_chart`;
- the house style (:mod:`sim.plot.style`) and :func:`save_figure` (PNG 300 dpi, SVG,
  PDF with the CJK font embedded); :mod:`sim.plot.render` draws a map kind by name
  (``parksim map``) and writes the figures of a run.
"""

from sim.plot.charts import completions_chart, floor_chart, revenue_chart
from sim.plot.completion import completion_map
from sim.plot.compliance import compliance_map, rule_scatter
from sim.plot.decisions import (
    calibration_chart,
    probability_curve_chart,
    sobol_chart,
    tornado_chart,
)
from sim.plot.figure import FIGURE_FORMATS, save_figure
from sim.plot.fiscal import fiscal_chart
from sim.plot.frame import MapOptions, parcel_map
from sim.plot.overview import overview_map
from sim.plot.render import MAP_KINDS, map_figure, write_report_figures
from sim.plot.status import STATE_COLOURS, status_map, status_years_map
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
    "MapOptions",
    "ParcelState",
    "calibration_chart",
    "completion_map",
    "completions_chart",
    "compliance_map",
    "fan_chart",
    "fiscal_chart",
    "floor_chart",
    "label",
    "map_figure",
    "overview_map",
    "parcel_map",
    "parcel_states",
    "park_colour",
    "probability_chart",
    "probability_curve_chart",
    "register_cjk_font",
    "revenue_chart",
    "rule_scatter",
    "save_figure",
    "sobol_chart",
    "status_map",
    "status_years_map",
    "style_context",
    "style_rc",
    "tornado_chart",
    "unit_label",
    "write_report_figures",
]
