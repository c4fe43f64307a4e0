"""A park's complete assumptions: ``[defaults]`` and ``[parks.<id>]`` merged.

``(Scenario, park_id) ──resolve_park──▶ ParkParams``: the park's own values over the
defaults, distributions replaced by their point values, yearly values expanded to one
per simulated year, every missing assumption reported at once. :func:`park_assumption`
returns one value as written (a point or a :class:`~sim.distributions.Distribution`),
which Monte Carlo sampling (:mod:`sim.montecarlo`) reads. The engine's
:func:`~sim.engine.prepare` calls :func:`resolve_park` for every park of the site.
"""

from __future__ import annotations

import math
from typing import Any

from pydantic import ConfigDict

from sim.distributions import Distribution, point_value
from sim.errors import Problem, ScenarioError
from sim.scenario.messages import EXAMPLES
from sim.scenario.schema import _YEARLY, OPTIONAL_DEFAULTS, ParkAssumptions, Scenario, _Model

__all__ = ["ParkParams", "park_assumption", "resolve_park"]


class ParkParams(_Model):
    """A park's complete assumptions in SI units, year-varying values expanded per year.

    Attributes
    ----------
    land_supply_m2
        Land released per year (m² of land), one value per simulated year.
    demand_m2
        New floor the market absorbs per year (m² of construction starts), per year.
    plot_ratio
        Floor-area ratio developers build to; a parcel's own ``far_max`` caps it.
    start_lag_years
        Years from release to the earliest construction start.
    duration_years
        Construction time of one phase.
    max_floor_per_phase
        Largest floor built in one phase; larger parcels build in equal phases.
    occupancy_ramp_years
        Years from completion to the occupancy ceiling (linear ramp; 0 = at once).
    occupancy_ceiling
        Long-run occupied share of completed floor.
    revenue_per_m2
        Business revenue per occupied m² per year in the base year (CNY/m²/yr).
    revenue_growth
        Yearly growth of revenue per m² (0.05 = 5 %).
    land_price, construction_cost, fitout_cost
        CNY per m² of land, of floor, of floor.
    m2_per_worker
        Occupied floor per worker.
    take_up_m2
        Serviced land developers buy per year (``inf``: all at once), per year.
    contract_lag_years, topout_years
        Contracted sale-to-start lag; a phase's start to its top-out.
    base_floor_completed, base_floor_occupied, base_floor_under_construction
        The park's floor at the start of the base year.
    base_completion_years
        Years until that floor under construction completes.
    other_revenue, other_revenue_growth, revenue_per_worker
        Revenue no floor of the park drives (CNY/yr in the base year), its growth, and
        the revenue per worker that gives its workers.
    vacancy_target, vacancy_elasticity
        Take-up slows by ``elasticity × (vacancy − target)`` above the target.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=True)  # take-up ∞

    park_id: str
    name: str
    land_supply_m2: tuple[float, ...]
    demand_m2: tuple[float, ...]
    plot_ratio: float
    start_lag_years: float
    duration_years: float
    max_floor_per_phase: float
    occupancy_ramp_years: float
    occupancy_ceiling: float
    revenue_per_m2: float
    revenue_growth: float
    land_price: float
    construction_cost: float
    fitout_cost: float
    m2_per_worker: float
    take_up_m2: tuple[float, ...]
    contract_lag_years: float
    topout_years: float
    base_floor_completed: float
    base_floor_occupied: float
    base_floor_under_construction: float
    base_completion_years: float
    other_revenue: float
    other_revenue_growth: float
    revenue_per_worker: float
    vacancy_target: float
    vacancy_elasticity: float


_REQUIRED = [
    name
    for name in ParkAssumptions.model_fields
    if name != "name" and name not in OPTIONAL_DEFAULTS
]
#: With ``[demand]`` the parks' demand comes from the economy, not from the parks.
_FROM_CHAIN = ("demand_per_year",)


def resolve_park(scenario: Scenario, park_id: str, *, park_name: str = "") -> ParkParams:
    """Merge ``[defaults]`` and ``[parks.<park_id>]`` into complete parameters.

    Parameters
    ----------
    scenario
        The loaded scenario.
    park_id
        The park, as named in the parks layer.
    park_name
        Name to use when the scenario gives none.

    Returns
    -------
    ParkParams
        Complete assumptions, year-varying values expanded to one per simulated year.

    Raises
    ------
    ScenarioError
        Listing every assumption that is neither in ``[parks.<park_id>]`` nor in
        ``[defaults]``, and every yearly list of the wrong length.
    """
    own_values = _given(scenario.parks.get(park_id, ParkAssumptions()))
    merged = {**_given(scenario.defaults), **own_values}
    merged = {
        key: value if key in _YEARLY or key == "name" else point_value(value)
        for key, value in merged.items()
    }
    for key in _YEARLY:
        if isinstance(merged.get(key), Distribution):
            merged[key] = (merged[key].point(),)
    problems = [
        Problem(
            f"parks.{park_id}.{key}",
            f"required, but set neither here nor in [defaults]; add e.g. "
            f"'{key} = {EXAMPLES[key]}' to [parks.{park_id}] or [defaults]",
        )
        for key in _REQUIRED
        if key not in merged and not (scenario.demand is not None and key in _FROM_CHAIN)
    ]
    n_years = len(scenario.years)
    yearly: dict[str, tuple[float, ...]] = {}
    for key in _YEARLY:
        values = merged.get(key)
        if values is None:
            continue
        if len(values) == 1:
            values = values * n_years
        if len(values) != n_years:
            problems.append(
                Problem(
                    f"parks.{park_id}.{key}",
                    f"expected one value or {n_years} values (one per year "
                    f"{scenario.scenario.base_year}–{scenario.scenario.horizon}); "
                    f"found a list of {len(values)}; give one value for every year or a "
                    "single value for all",
                )
            )
        yearly[key] = values
    if problems:
        raise ScenarioError("incomplete park assumptions", source=scenario.path, problems=problems)
    return ParkParams(
        park_id=park_id,
        name=merged.get("name") or park_name or park_id,
        land_supply_m2=yearly["land_supply_per_year"],
        demand_m2=yearly.get("demand_per_year", (0.0,) * n_years),
        plot_ratio=merged["plot_ratio"],
        start_lag_years=merged["start_lag_years"],
        duration_years=merged["duration_years"],
        max_floor_per_phase=merged["max_floor_per_phase"],
        occupancy_ramp_years=merged["occupancy_ramp_years"],
        occupancy_ceiling=merged["occupancy_ceiling"],
        revenue_per_m2=merged["revenue_per_m2"],
        revenue_growth=merged["revenue_growth"],
        land_price=merged["land_price"],
        construction_cost=merged["construction_cost"],
        fitout_cost=merged["fitout_cost"],
        m2_per_worker=merged["m2_per_worker"],
        take_up_m2=yearly.get("take_up_per_year", (math.inf,) * len(scenario.years)),
        contract_lag_years=merged.get("contract_lag_years", merged["start_lag_years"]),
        topout_years=merged.get("topout_years", merged["duration_years"]),
        **{
            name: merged.get(name, default)
            for name, default in OPTIONAL_DEFAULTS.items()
            if default is not None
        },
    )


def _given(assumptions: ParkAssumptions) -> dict[str, Any]:
    return {
        name: getattr(assumptions, name)
        for name in ParkAssumptions.model_fields
        if getattr(assumptions, name) is not None
    }


def park_assumption(
    scenario: Scenario, park_id: str, name: str
) -> float | tuple[float, ...] | Distribution | str | None:
    """Return one assumption of a park as written (the park's own, else ``[defaults]``).

    Parameters
    ----------
    scenario
        The loaded scenario.
    park_id
        The park.
    name
        A field of :class:`ParkAssumptions`.

    Returns
    -------
    float, tuple, Distribution, str or None
        ``None`` where neither table sets it.
    """
    own = scenario.parks.get(park_id)
    value: float | tuple[float, ...] | Distribution | str | None = (
        getattr(own, name) if own is not None else None
    )
    if value is None:
        value = getattr(scenario.defaults, name)
    return value
