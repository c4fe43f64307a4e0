"""The house palette: one fixed colour per parcel status, map state, compliance class and park.

Kept apart from :mod:`sim.plot.style` (which imports matplotlib) so that writers that
only need the hex values — the QGIS layer styles of :mod:`sim.qgis` — stay light.
:mod:`sim.plot.style` re-exports every name here.
"""

from __future__ import annotations

from sim.result import Status
from sim.rules import Compliance
from sim.states import ParcelState

__all__ = [
    "COMPLIANCE_COLOURS",
    "IDLE_HATCH_COLOUR",
    "PARK_COLOURS",
    "STATE_COLOURS",
    "STATUS_COLOURS",
]

#: Status colours: one sequential ramp, light grey (not released) → dark navy
#: (completed). Hues go grey → yellow → orange → blue, which stays apart under
#: the common colour-vision deficiencies, and CIE L* falls monotonically
#: (93, 79, 58, 41, 17) so the order survives greyscale printing.
STATUS_COLOURS: dict[Status, str] = {
    Status.NOT_RELEASED: "#EBEBEB",
    Status.RELEASED: "#EDBB5A",
    Status.UNDER_CONSTRUCTION: "#D2702A",
    Status.PARTLY_COMPLETED: "#2A64A0",
    Status.COMPLETED: "#0B2A55",
}

#: Map-state colours (:class:`~sim.states.ParcelState`), the status ramp refined:
#: grey (not serviced), pale yellow (serviced), the status yellow (sold), the idle
#: reddish purple (hatched besides, :data:`IDLE_HATCH_COLOUR`), the status orange
#: (under construction), a rust brown (topped out), and the status blues for
#: completed floor, filling then occupied. CIE L* runs 93, 89, 79, (68), 58, 42, 41,
#: 17: the sequence reads in greyscale except topped out beside completed, which
#: differ in hue (orange family against blue) under every common colour-vision
#: deficiency (simulated ΔE ≥ 15 between any two states).
STATE_COLOURS: dict[ParcelState, str] = {
    ParcelState.UNSERVICED: STATUS_COLOURS[Status.NOT_RELEASED],
    ParcelState.SERVICED: "#F5DE8C",
    ParcelState.SOLD: STATUS_COLOURS[Status.RELEASED],
    ParcelState.IDLE: "#D88FBF",
    ParcelState.UNDER_CONSTRUCTION: STATUS_COLOURS[Status.UNDER_CONSTRUCTION],
    ParcelState.TOPPED_OUT: "#9E4A1E",
    ParcelState.COMPLETED: STATUS_COLOURS[Status.PARTLY_COMPLETED],
    ParcelState.OCCUPIED: STATUS_COLOURS[Status.COMPLETED],
}

#: Colour of the hatching over idle land: a dark shade of its reddish purple.
IDLE_HATCH_COLOUR = "#6B2C5C"

#: Compliance colours: grey for "not yet built" (as "not serviced" on the status map),
#: then Okabe–Ito vermillion (fails both), sky blue and orange (meets one rule) and
#: bluish green (meets both) — apart under the common colour-vision deficiencies.
COMPLIANCE_COLOURS: dict[Compliance, str] = {
    Compliance.NOT_BUILT: "#E3E3E3",
    Compliance.FAILS_BOTH: "#D55E00",
    Compliance.REVENUE_ONLY: "#56B4E9",
    Compliance.INVESTMENT_ONLY: "#E69F00",
    Compliance.COMPLIES: "#009E73",
}

#: Park colours: the Okabe–Ito palette (colour-blind safe), yellow last because
#: it is hard to read as a line on white.
PARK_COLOURS: tuple[str, ...] = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#D55E00",  # vermillion
    "#F0E442",  # yellow
)
