"""The engine's inputs: a scenario bound to its site, laid out as arrays.

``sim.engine.prepare`` makes an :class:`Inputs` of one draw from a scenario and its
site; ``sim.montecarlo.sample_inputs`` gives it a leading draw axis of sampled park
parameters; :func:`sim.buildout.advance` (through ``sim.engine.run`` and ``run_parks``)
turns it into results. It lives apart from the engine so that sampling can use it
without importing the engine. docs/MODEL.md describes every field.

Park parameters are named as in the scenario (:data:`PARK_FIELDS`, the fields of
``[defaults]`` and ``[parks.<id>]`` that become ``(D, K)`` arrays).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import numpy.typing as npt

__all__ = ["PARK_FIELDS", "Allocation", "Inputs"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Park parameters that become ``(D, K)`` arrays in :class:`Inputs`, named as the
#: scenario's park assumptions are.
PARK_FIELDS = (
    "plot_ratio",
    "start_lag_years",
    "contract_lag_years",
    "topout_years",
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
    "base_floor_completed",
    "base_floor_occupied",
    "base_floor_under_construction",
    "base_completion_years",
    "other_revenue",
    "other_revenue_growth",
    "revenue_per_worker",
    "vacancy_target",
    "vacancy_elasticity",
)


@dataclass(frozen=True)
class Allocation:
    """The city's demand, shared out between parks each quarter by a logit (docs/MODEL.md).

    Attributes
    ----------
    pool_m2
        The city's net absorption of park floor per year ``(D, Y)`` (or ``(1, Y)``).
    attractiveness
        Each park's utility term ``(K,)``; NaN for a park outside the logit.
    room_weight
        Exponent of a park's ready room in its weight ``exp(a) × room ** weight``.
    """

    pool_m2: FloatArray
    attractiveness: FloatArray
    room_weight: float = 1.0


@dataclass(frozen=True)
class Inputs:
    """Everything the quarterly model needs, as arrays (SI units; docs/MODEL.md).

    A leading draw axis ``D`` may be 1 where a value does not vary.

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
        Position of each parcel in its park's queue ``(P,)`` (0 first): phase, then
        distance to the park's start area, then id.
    committed_start, committed_floor
        ``(D, P)`` (or ``(1, P)``): a committed project's start as a fractional year
        (NaN for queued parcels) and this parcel's share of its floor.
    committed_phases
        ``(P,)``: the project's phases, 0 for queued parcels.
    park
        Park parameters by name (:data:`PARK_FIELDS`), each ``(D, K)``, or ``(1, K)``
        where a parameter is the same in every draw.
    land_supply_m2, take_up_m2, demand_m2
        Yearly park budgets ``(D, K, Y)`` (or ``(1, K, Y)``): land serviced, serviced
        land developers buy (``inf``: all of it at once), net absorption of floor.
    idle_after_years, reclaim_after_years
        Years from the contracted start to idle and to reclaimable land (``[rules]``).
    reclaim_idle
        Take reclaimable land back and queue it for sale again (``[rules]``).
    parcel_revenue_per_m2, parcel_investment_intensity
        Admitted applicants' economics per parcel (:mod:`sim.applicants`), ``(D, P)``
        (or ``(1, P)``), base-year prices; NaN where the park's value holds; None without
        an admission gate. Revenue per occupied m² a year (delivered: pledged ×
        shortfall) and pledged investment per m² of land.
    rest_of_city
        The city outside the parks (``[rest_of_city]``): ``revenue`` (CNY/yr in the base
        year), ``revenue_growth`` and ``revenue_per_worker``, each ``(D,)``; empty when
        the scenario has none.
    allocation
        The city's demand shared out between parks by a logit (``[demand] allocation =
        "logit"``), on top of each park's own ``demand_m2``; None without.
    phase_years
        Build times drawn per phase (``[market] per_phase_build_times``):
        ``duration_years`` and ``topout_years`` (NaN: the duration), each ``(D, K, J)``
        for phases 0 … J − 1 (later phases take the last); None: every phase takes the
        park's.
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
    take_up_m2: FloatArray
    demand_m2: FloatArray
    idle_after_years: float = 1.0
    reclaim_after_years: float = 2.0
    reclaim_idle: bool = False
    rest_of_city: dict[str, FloatArray] | None = None
    allocation: Allocation | None = None
    phase_years: dict[str, FloatArray] | None = None
    parcel_revenue_per_m2: FloatArray | None = None
    parcel_investment_intensity: FloatArray | None = None

    @cached_property  # (asked several times a run; the fields are not changed in place)
    def draws(self) -> int:
        """Number of draws: the longest leading axis (parameters that do not vary keep 1)."""
        arrays = [*self.park.values(), self.land_supply_m2, self.take_up_m2, self.demand_m2,
                  self.committed_start, self.committed_floor]  # fmt: skip
        if self.rest_of_city:
            arrays += list(self.rest_of_city.values())
        if self.allocation is not None:
            arrays.append(self.allocation.pool_m2)
        if self.phase_years is not None:
            arrays += list(self.phase_years.values())
        if self.parcel_revenue_per_m2 is not None:
            arrays.append(self.parcel_revenue_per_m2)
        # (np.atleast_2d(a).shape[0], without its cost: this is asked on every run)
        return max(a.shape[0] if a.ndim > 1 else 1 for a in map(np.asarray, arrays))
