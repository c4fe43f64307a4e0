"""The engine's inputs: a scenario bound to its site, laid out as arrays.

``sim.engine.prepare`` makes an :class:`Inputs` of one draw from a scenario and its
site; ``sim.montecarlo.sample_inputs`` gives it a leading draw axis of sampled park
parameters; ``sim.engine.run`` and ``run_parks`` turn it into results. It lives apart
from the engine so that sampling can use it without importing the engine.

Park parameters are named as in the scenario (:data:`PARK_FIELDS`, the fields of
``[defaults]`` and ``[parks.<id>]`` that become ``(D, K)`` arrays).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["PARK_FIELDS", "Inputs"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Park parameters that become ``(D, K)`` arrays in :class:`Inputs`, named as the
#: scenario's park assumptions are.
PARK_FIELDS = (
    "plot_ratio",
    "start_lag_years",
    "duration_years",
    "max_floor_per_phase",
    "occupancy_ramp_years",
    "occupancy_ceiling",
    "revenue_per_m2",
    "revenue_growth",
    "land_price",
    "construction_cost",
    "fitout_cost",
    "m2_per_worker",
)


@dataclass(frozen=True)
class Inputs:
    """Everything the engine needs, as arrays.

    Attributes
    ----------
    name
        Scenario name.
    years
        Simulated years ``(Y,)``.
    park_ids
        Park ids, index ``k`` of every park axis.
    parcel_ids, parcel_park, area_m2, far_max
        Per parcel ``(P,)``; ``far_max`` is NaN where a parcel has no cap.
    queue_rank
        Position of each parcel in its park's release queue ``(P,)`` (0 first).
    committed_start, committed_floor, committed_phases
        Per parcel ``(P,)``: start year of a committed project (NaN = not committed),
        its floor (m²) and number of phases.
    park
        Park parameters by name (:data:`PARK_FIELDS`), each ``(D, K)``, or ``(1, K)``
        where a parameter is the same in every draw.
    land_supply_m2, demand_m2
        Yearly park budgets ``(D, K, Y)`` (or ``(1, K, Y)``).
    reclaim_after_years
        When set, idle land is reclaimed this many years after release and rejoins the
        back of its park's queue (``[rules] reclaim_idle``); None leaves it idle.
    """

    name: str
    years: IntArray
    park_ids: tuple[str, ...]
    parcel_ids: npt.NDArray[np.str_]
    parcel_park: IntArray
    area_m2: FloatArray
    far_max: FloatArray
    queue_rank: IntArray
    committed_start: FloatArray
    committed_floor: FloatArray
    committed_phases: IntArray
    park: dict[str, FloatArray]
    land_supply_m2: FloatArray
    demand_m2: FloatArray
    reclaim_after_years: int | None = None

    @property
    def draws(self) -> int:
        """Number of draws: the longest leading axis (parameters that do not vary keep 1)."""
        leading = [v.shape[0] for v in self.park.values()]
        return int(max(self.land_supply_m2.shape[0], self.demand_m2.shape[0], *leading))
