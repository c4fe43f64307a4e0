"""The quarterly engine behind the oracle's interface, so one set of tests checks both.

:func:`engine` turns the oracle's :class:`~tests.oracle.OracleInputs` into
:class:`sim.inputs.Inputs` (:func:`to_inputs`), runs :func:`sim.buildout.advance` and
returns :class:`~tests.oracle.OracleOutputs`; :func:`from_inputs` goes the
other way, so that the oracle can run what ``sim.engine.prepare`` made of a scenario.
"""

from __future__ import annotations

import numpy as np

from sim.buildout import advance
from sim.inputs import PARK_FIELDS, Allocation, Inputs
from tests.oracle import OracleInputs, OracleOutputs


def to_inputs(inputs: OracleInputs) -> Inputs:
    """The engine's inputs for an oracle case (NaN defaults filled as the oracle does)."""
    park = {name: np.asarray(v, dtype=float) for name, v in inputs.park.items()}
    draws = max(v.shape[0] for v in park.values())
    for name, like in (
        ("contract_lag_years", "start_lag_years"),
        ("topout_years", "duration_years"),
    ):
        value = np.broadcast_to(park[name], (draws, park[name].shape[1]))
        base = np.broadcast_to(park[like], value.shape)
        park[name] = np.where(np.isnan(value), base, value)
    park["vacancy_elasticity"] = np.nan_to_num(park["vacancy_elasticity"])
    engine_park = {name: park[name] for name in PARK_FIELDS}
    return Inputs(
        name="oracle case",
        years=np.asarray(inputs.years, dtype=np.int64),
        park_ids=tuple(inputs.park_ids),
        parcel_ids=np.asarray(inputs.parcel_ids, dtype=str),
        parcel_park=np.asarray(inputs.parcel_park, dtype=np.int64),
        area_m2=np.asarray(inputs.area_m2, dtype=float),
        far_max=np.asarray(inputs.far_max, dtype=float),
        queue_rank=np.asarray(inputs.queue_rank, dtype=np.int64),
        committed_start=np.asarray(inputs.committed_start, dtype=float),
        committed_floor=np.asarray(inputs.committed_floor, dtype=float),
        committed_phases=np.asarray(inputs.committed_phases, dtype=np.int64),
        park=engine_park,
        land_supply_m2=np.asarray(inputs.land_supply_m2, dtype=float),
        take_up_m2=np.asarray(inputs.take_up_m2, dtype=float),
        demand_m2=np.asarray(inputs.demand_m2, dtype=float),
        idle_after_years=float(inputs.idle_after_years),
        reclaim_after_years=(
            2.0 if inputs.reclaim_after_years is None else float(inputs.reclaim_after_years)
        ),
        reclaim_idle=inputs.reclaim_after_years is not None,
        phase_years=(
            None
            if inputs.phase_years is None
            else {k: np.asarray(v, dtype=float) for k, v in inputs.phase_years.items()}
        ),
        allocation=(
            None
            if inputs.pool_m2 is None or inputs.attractiveness is None
            else Allocation(
                pool_m2=np.atleast_2d(np.asarray(inputs.pool_m2, dtype=float)),
                attractiveness=np.asarray(inputs.attractiveness, dtype=float),
                room_weight=float(inputs.room_weight),
            )
        ),
        parcel_revenue_per_m2=inputs.parcel_revenue_per_m2,
    )


def from_inputs(inputs: Inputs) -> OracleInputs:
    """The oracle's inputs for the engine's (``prepare`` or ``sample_inputs``), rest of city aside.

    The engine's inputs have every default filled, so each park field passes as it is,
    but for a revenue per worker of 0 (the scenario's "other revenue brings no workers"),
    which the oracle writes as ∞; reclaiming off is the oracle's
    ``reclaim_after_years = None``.
    """
    park = {name: np.atleast_2d(np.asarray(v, dtype=float)) for name, v in inputs.park.items()}
    per_worker = park["revenue_per_worker"]
    park["revenue_per_worker"] = np.where(per_worker > 0, per_worker, np.inf)
    return OracleInputs(
        years=np.asarray(inputs.years, dtype=np.int64),
        park_ids=tuple(inputs.park_ids),
        parcel_ids=tuple(str(p) for p in inputs.parcel_ids),
        parcel_park=np.asarray(inputs.parcel_park, dtype=np.int64),
        area_m2=np.asarray(inputs.area_m2, dtype=float),
        far_max=np.asarray(inputs.far_max, dtype=float),
        queue_rank=np.asarray(inputs.queue_rank, dtype=np.int64),
        committed_start=np.atleast_2d(np.asarray(inputs.committed_start, dtype=float)),
        committed_floor=np.atleast_2d(np.asarray(inputs.committed_floor, dtype=float)),
        committed_phases=np.asarray(inputs.committed_phases, dtype=np.int64),
        park=park,
        land_supply_m2=np.asarray(inputs.land_supply_m2, dtype=float),
        take_up_m2=np.asarray(inputs.take_up_m2, dtype=float),
        demand_m2=np.asarray(inputs.demand_m2, dtype=float),
        reclaim_after_years=float(inputs.reclaim_after_years) if inputs.reclaim_idle else None,
        idle_after_years=float(inputs.idle_after_years),
        pool_m2=None if inputs.allocation is None else inputs.allocation.pool_m2,
        attractiveness=None if inputs.allocation is None else inputs.allocation.attractiveness,
        room_weight=1.0 if inputs.allocation is None else inputs.allocation.room_weight,
        phase_years=None if inputs.phase_years is None else dict(inputs.phase_years),
        parcel_revenue_per_m2=inputs.parcel_revenue_per_m2,
    )


def engine(inputs: OracleInputs) -> OracleOutputs:
    """Run the vectorised engine on an oracle case."""
    engine_inputs = to_inputs(inputs)
    q = advance(engine_inputs, record=True)
    draws, parks = engine_inputs.draws, len(engine_inputs.park_ids)
    m2pw = np.broadcast_to(engine_inputs.park["m2_per_worker"], (draws, parks))
    occupied = np.asarray(q.parcel["floor_occupied_m2"], dtype=float)
    return OracleOutputs(
        floor_sold_m2=np.asarray(q.parcel["floor_sold_m2"], dtype=float),
        floor_started_m2=np.asarray(q.parcel["floor_started_m2"], dtype=float),
        floor_topped_out_m2=np.asarray(q.parcel["floor_topped_out_m2"], dtype=float),
        floor_completed_m2=np.asarray(q.parcel["floor_completed_m2"], dtype=float),
        floor_occupied_m2=occupied,
        revenue_cny=np.asarray(q.parcel["revenue_cny"], dtype=float),
        investment_cny=np.asarray(q.parcel["investment_cny"], dtype=float),
        workers_persons=occupied / m2pw[:, None, engine_inputs.parcel_park],
        base_completed_m2=q.park["base_completed_m2"],
        base_occupied_m2=q.park["base_occupied_m2"],
        base_revenue_cny=q.park["base_revenue_cny"],
        base_workers_persons=q.park["base_occupied_m2"] / m2pw[:, None, :],
        backlog_m2=q.park["backlog_m2"],
        other_revenue_cny=q.park["revenue_other_cny"],
        other_workers_persons=q.park["workers_other_persons"],
        take_up_factor=q.park["take_up_factor"],
        pool_backlog_m2=q.city["pool_backlog_m2"],
        serviced_q=q.events["serviced"],
        sold_q=q.events["sold"],
        first_sold_q=q.events["first_sold"],
        contract_q=q.events["contract"],
        start_q=q.events["start"],
        completion_q=q.events["completion"],
        reclaim_q=q.events["reclaim"],
    )
