"""A plain, per-parcel, per-quarter Python implementation of docs/MODEL.md.

The oracle for the quarterly engine: written for clarity, not speed, with loops over
draws, quarters, parks and parcels, straight from the rules in ``docs/MODEL.md``. It
takes its own :class:`OracleInputs` (a mirror of the spec's ``Inputs`` table) so that
tests can build tiny cases by hand, and returns :class:`OracleOutputs`, the arrays the
spec says the engine returns (plus a few extras, marked as such).

Where the spec leaves a choice open, the choice is written beside the code as
``CHOICE:``; ``docs/MODEL.md`` and the engine align on them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

__all__ = [
    "PARK_DEFAULTS",
    "PARK_FIELDS",
    "SLACK",
    "OracleInputs",
    "OracleOutputs",
    "make_inputs",
    "oracle",
    "q_build",
    "q_lag",
    "yearly",
]

FloatArray = npt.NDArray[np.float64]

#: Cumulative areas are compared with this slack (m²).
SLACK = 1e-6

#: Park parameters, each ``(D, K)`` (or ``(1, K)`` where it does not vary by draw).
PARK_FIELDS = (
    "plot_ratio",
    "start_lag_years",
    "contract_lag_years",  # NaN = start_lag_years
    "topout_years",  # NaN = duration_years
    "duration_years",
    "max_floor_per_phase",  # inf = one phase
    "occupancy_ramp_years",  # 0 = no ramp limit
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
    "vacancy_elasticity",  # 0 or NaN = no feedback
)


@dataclass(frozen=True)
class OracleInputs:
    """The spec's ``Inputs`` table, as plain arrays (SI units: m², CNY, years).

    Any array with a leading draw axis may have length 1 there: it is then the same in
    every draw. ``D`` is the longest such axis.
    """

    years: npt.NDArray[np.int64]  # (Y,)
    park_ids: tuple[str, ...]  # K
    parcel_ids: tuple[str, ...]  # P
    parcel_park: npt.NDArray[np.int64]  # (P,)
    area_m2: FloatArray  # (P,)
    far_max: FloatArray  # (P,), NaN = no cap
    queue_rank: npt.NDArray[np.int64]  # (P,)
    committed_start: FloatArray  # (D, P) fractional year, NaN = queued parcel
    committed_floor: FloatArray  # (D, P) this parcel's share of its project's floor
    committed_phases: npt.NDArray[np.int64]  # (P,) 0 for queued parcels
    park: dict[str, FloatArray]  # name → (D, K), see PARK_FIELDS
    land_supply_m2: FloatArray  # (D, K, Y)
    take_up_m2: FloatArray  # (D, K, Y), inf = no limit
    demand_m2: FloatArray  # (D, K, Y)
    reclaim_after_years: float | None = None
    # CHOICE: only the map's "idle" state uses it; no output of the oracle depends on it.
    idle_after_years: float = 1.0
    # The city's demand shared out by a logit (docs/MODEL.md, "Allocation"): net
    # absorption per year (D, Y); each park's attractiveness (K,), NaN = not in the logit;
    # the weight of a park's room in its utility.
    pool_m2: FloatArray | None = None
    attractiveness: FloatArray | None = None
    room_weight: float = 1.0
    # Build times per phase (docs/MODEL.md, "Per-phase build times"): "duration_years" and
    # "topout_years" (NaN: the duration), each (D, K, J) for phases 0 … J − 1.
    phase_years: dict[str, FloatArray] | None = None
    # applicants: a parcel's own revenue per m² (D, P), NaN = the park's; None = none
    parcel_revenue_per_m2: FloatArray | None = None

    @property
    def draws(self) -> int:
        """Number of draws: the longest leading axis."""
        leading = [v.shape[0] for v in self.park.values()]
        leading += [a.shape[0] for a in (self.land_supply_m2, self.take_up_m2, self.demand_m2)]
        leading.append(self.committed_start.shape[0])
        if self.pool_m2 is not None:
            leading.append(self.pool_m2.shape[0])
        if self.phase_years is not None:
            leading += [v.shape[0] for v in self.phase_years.values()]
        return int(max(leading))


@dataclass
class OracleOutputs:
    """What the engine returns: quarterly stocks (end of quarter) and flows (sum over it).

    ``T = 4·Y`` quarters, quarter ``t`` is year ``years[0] + t // 4``. Event quarters are
    quarter indices as floats, NaN where not reached by the horizon.
    """

    # Per parcel (D, T, P).
    floor_sold_m2: FloatArray
    floor_started_m2: FloatArray
    floor_topped_out_m2: FloatArray
    floor_completed_m2: FloatArray
    floor_occupied_m2: FloatArray
    revenue_cny: FloatArray
    investment_cny: FloatArray
    workers_persons: FloatArray  # extra: floor-driven workers O / m2_per_worker
    # Per park (D, T, K).
    base_completed_m2: FloatArray
    base_occupied_m2: FloatArray
    base_revenue_cny: FloatArray
    base_workers_persons: FloatArray  # extra
    backlog_m2: FloatArray
    other_revenue_cny: FloatArray
    other_workers_persons: FloatArray
    take_up_factor: FloatArray  # extra: the vacancy feedback g_k(t)
    pool_backlog_m2: FloatArray  # extra (D, T): the city's demand not yet placed
    # Per parcel (D, P).
    serviced_q: FloatArray
    sold_q: FloatArray
    first_sold_q: FloatArray
    contract_q: FloatArray
    start_q: FloatArray
    completion_q: FloatArray
    reclaim_q: FloatArray


def q_lag(years: float) -> int:
    """A lag in years as whole quarters: ``floor(4·d + 0.5)``; 0 is allowed."""
    return math.floor(4.0 * years + 0.5)


def q_build(years: float) -> int:
    """A build time in years as whole quarters, at least one."""
    return max(1, math.floor(4.0 * years + 0.5))


def yearly(quarterly: FloatArray, *, flow: bool) -> FloatArray:
    """Year values ``(D, Y, …)`` of quarterly ``(D, T, …)``: sum of 4 flows, or Q4 stock."""
    n_draws, n_quarters = quarterly.shape[:2]
    out = np.zeros((n_draws, n_quarters // 4, *quarterly.shape[2:]))
    for d in range(n_draws):
        for t in range(n_quarters):
            if flow:
                out[d, t // 4] += quarterly[d, t]
            elif t % 4 == 3:
                out[d, t // 4] = quarterly[d, t]
    return out


# ----------------------------------------------------------------------------------------
# Per-draw state


def _at(values: np.ndarray, d: int) -> np.ndarray:
    return values[d if values.shape[0] > 1 else 0]


@dataclass
class _Park:
    """A park's parameters in one draw, with its durations in quarters."""

    values: dict[str, float]
    contract_lag_q: int
    start_lag_q: int
    taus: list[int]  # top-out time of phase 0, 1, … (the last one for later phases)
    deltas: list[int]  # completion time of each phase
    base_done_q: int  # quarter the base floor under construction completes

    def __getitem__(self, name: str) -> float:
        return self.values[name]

    def tau(self, phase: int) -> int:
        """Quarters phase ``phase`` takes to top out."""
        return self.taus[min(phase, len(self.taus) - 1)]

    def delta(self, phase: int) -> int:
        """Quarters phase ``phase`` takes to complete."""
        return self.deltas[min(phase, len(self.deltas) - 1)]

    def begin(self, phase: int) -> int:
        """Quarters from a project's start to phase ``phase``'s: the crew moves on at
        each top-out."""
        return sum(self.tau(i) for i in range(phase))


@dataclass
class _Parcel:
    """One parcel's plan and history in one draw."""

    index: int
    park: int
    area: float
    capacity: float
    n_phases: int
    phase_floor: float
    committed: bool
    serviced: int | None = None
    sales: list[int] = field(default_factory=list)
    reclaims: list[int] = field(default_factory=list)
    held: bool = False  # sold and not taken back since
    contract: int | None = None  # of the latest sale
    start: int | None = None  # of the latest sale
    occupied_phases: dict[int, float] = field(default_factory=dict)  # phase → occupied

    @property
    def occupied(self) -> float:
        """Occupied floor over the parcel's phases."""
        return sum(self.occupied_phases.values())


@dataclass
class _Entry:
    """A place in a park's sale queue: a parcel at a cumulative queue position."""

    parcel: _Parcel
    position: float
    available_from: int  # first quarter it can be sold (reclaimed parcels: after rejoining)
    original: bool
    sold: bool = False


@dataclass
class _ParkState:
    queue: list[_Entry]
    queue_total: float  # cumulative area of the original queue
    reclaimed_total: float = 0.0
    serviced_cum: float = 0.0
    sold_cum: float = 0.0  # W_k
    backlog: float = 0.0
    base_occupied: float = 0.0
    vacancy: float = 0.0  # v_k(t − 1)


def _park_values(inputs: OracleInputs, d: int, k: int) -> _Park:
    values = {name: float(_at(inputs.park[name], d)[k]) for name in PARK_FIELDS}
    # CHOICE: NaN contract lag / top-out time mean "defaults to" start lag / duration.
    if math.isnan(values["contract_lag_years"]):
        values["contract_lag_years"] = values["start_lag_years"]
    if math.isnan(values["topout_years"]):
        values["topout_years"] = values["duration_years"]
    taus = [q_build(values["topout_years"])]
    deltas = [max(taus[0], q_build(values["duration_years"]))]
    if inputs.phase_years is not None:
        # CHOICE: per-phase build times, when given, replace the park's for every phase;
        # a NaN top-out time is the phase's duration; phases past the last given take it.
        durations = _at(inputs.phase_years["duration_years"], d)[k]
        topouts = _at(inputs.phase_years["topout_years"], d)[k]
        taus, deltas = [], []
        for duration, topout in zip(durations, topouts, strict=True):
            tau = q_build(duration if math.isnan(topout) else topout)
            taus.append(tau)
            deltas.append(max(tau, q_build(duration)))
    # CHOICE: the base floor under construction behaves like a phase started in quarter 0:
    # it is in the completed stock from quarter q_build(base_completion_years) on (so 1 year
    # → t = 4, Q1 of the second year), the same index arithmetic as "a phase started at a
    # completes at a + δ". With no floor under construction the date is irrelevant.
    if values["base_floor_under_construction"] > 0:
        base_done_q = q_build(values["base_completion_years"])
    else:
        base_done_q = 0
    return _Park(
        values=values,
        contract_lag_q=q_lag(values["contract_lag_years"]),
        start_lag_q=q_lag(values["start_lag_years"]),
        taus=taus,
        deltas=deltas,
        base_done_q=base_done_q,
    )


def _make_parcels(inputs: OracleInputs, d: int, parks: list[_Park]) -> list[_Parcel]:
    base_year = int(inputs.years[0])
    committed_start = _at(inputs.committed_start, d)
    committed_floor = _at(inputs.committed_floor, d)
    parcels = []
    for p in range(len(inputs.parcel_ids)):
        k = int(inputs.parcel_park[p])
        park = parks[k]
        area = float(inputs.area_m2[p])
        if math.isfinite(committed_start[p]):
            capacity = float(committed_floor[p])
            # CHOICE: a committed parcel has at least one phase.
            n_phases = max(1, int(inputs.committed_phases[p]))
            parcel = _Parcel(p, k, area, capacity, n_phases, capacity / n_phases, True)
            # CHOICE: a fractional start year becomes a quarter with the lag rounding,
            # floor(4·(start − base) + 0.5); it may be negative (started before the base
            # year), and then the phases already under way are counted from there.
            start = math.floor(4.0 * (float(committed_start[p]) - base_year) + 0.5)
            sold = max(0, start - park.start_lag_q)
            parcel.sales.append(sold)
            # CHOICE: a committed parcel's contracted start is its start, and it is
            # serviced when sold; it is never reclaimed (it is in no queue to rejoin).
            parcel.serviced = sold
            parcel.contract = start
            parcel.start = start
        else:
            far = float(inputs.far_max[p])
            ratio = park["plot_ratio"] if math.isnan(far) else min(park["plot_ratio"], far)
            capacity = area * ratio
            # CHOICE: the spec literally, ceil(cap / max_floor_per_phase), no tolerance.
            n_phases = max(1, math.ceil(capacity / park["max_floor_per_phase"]))
            parcel = _Parcel(p, k, area, capacity, n_phases, capacity / n_phases, False)
        parcels.append(parcel)
    return parcels


def _make_queues(inputs: OracleInputs, parcels: list[_Parcel], n_parks: int) -> list[_ParkState]:
    states = []
    for k in range(n_parks):
        members = [p for p in parcels if p.park == k and not p.committed]
        # CHOICE: ties in queue_rank fall back to the parcel index.
        members.sort(key=lambda p: (int(inputs.queue_rank[p.index]), p.index))
        queue, position = [], 0.0
        for p in members:
            position += p.area
            queue.append(_Entry(p, position, 0, original=True))
        states.append(_ParkState(queue=queue, queue_total=position))
    return states


def _started(t: int, parcel: _Parcel, park: _Park) -> int:
    """Phases started by the end of ``t``: phase i starts at ``s + begin(i)``."""
    if parcel.start is None:
        return 0
    return sum(parcel.start + park.begin(i) <= t for i in range(parcel.n_phases))


def _topped(t: int, parcel: _Parcel, park: _Park) -> int:
    """Phases topped out by the end of ``t``: phase i at ``s + begin(i) + τ_i``."""
    if parcel.start is None:
        return 0
    return sum(parcel.start + park.begin(i) + park.tau(i) <= t for i in range(parcel.n_phases))


# ----------------------------------------------------------------------------------------
# One quarter of one park


def _supply(inputs: OracleInputs, d: int, t: int, k: int, park: _Park, state: _ParkState) -> None:
    """Servicing and sale (steps 1 and 2; steps 3 and 4 follow from the sale quarter)."""
    year = t // 4
    # 1. Servicing: cumulative budget against cumulative queue area, in queue order.
    state.serviced_cum += float(_at(inputs.land_supply_m2, d)[k, year]) / 4.0
    for entry in state.queue:
        if not entry.original or entry.parcel.serviced is not None:
            continue
        if state.serviced_cum >= entry.position - SLACK:
            entry.parcel.serviced = t
        else:
            break
    # S_k(t): the cumulative position of the longest serviced prefix of the queue.
    # CHOICE: a reclaimed parcel (still serviced) counts in S_k from the quarter after
    # its reclaim, but only once every entry ahead of it is serviced too: S_k is a prefix,
    # so no sale ever jumps an unserviced parcel.
    serviced_to = 0.0
    for entry in state.queue:
        ready = entry.parcel.serviced is not None if entry.original else True
        if not ready or entry.available_from > t:
            break
        serviced_to = entry.position
    # 2. Sale at the take-up rate, scaled by the vacancy feedback of the last quarter.
    g = _feedback(park, state.vacancy)
    take_up = float(_at(inputs.take_up_m2, d)[k, year]) / 4.0
    # CHOICE: inf × 0 is 0: with no take-up limit, a feedback of 0 still stops sales.
    u = 0.0 if g == 0.0 else take_up * g
    state.sold_cum = min(state.sold_cum + u, serviced_to)
    for entry in state.queue:
        if entry.sold:
            continue
        if entry.available_from > t or state.sold_cum < entry.position - SLACK:
            break
        entry.sold = True
        parcel = entry.parcel
        parcel.sales.append(t)
        parcel.held = True
        # 3. Contracted and actual start.
        parcel.contract = t + park.contract_lag_q
        parcel.start = t + park.start_lag_q


def _feedback(park: _Park, vacancy: float) -> float:
    """``g = clip(1 − e·(v − v*), 0, 1)``; 1 without feedback."""
    e = park["vacancy_elasticity"]
    if math.isnan(e) or e == 0.0:
        return 1.0
    return min(1.0, max(0.0, 1.0 - e * (vacancy - park["vacancy_target"])))


def _reclaim(inputs: OracleInputs, t: int, state: _ParkState) -> None:
    """Step 5: at the end of quarter t, take back land that became reclaimable unstarted."""
    if inputs.reclaim_after_years is None:
        return
    # CHOICE: "c + 4·reclaim_after_years" is rounded like a lag, c + q(reclaim_after).
    after = q_lag(inputs.reclaim_after_years)
    # CHOICE: parcels reclaimed in the same quarter rejoin in the order they were sold
    # (first in, first out): by the place in the queue of the entry each was sold from,
    # its latest.
    latest: dict[int, _Entry] = {}
    for entry in state.queue:
        latest[entry.parcel.index] = entry
    for entry in sorted(latest.values(), key=lambda e: e.position):
        parcel = entry.parcel
        if not parcel.held:
            continue
        assert parcel.contract is not None and parcel.start is not None
        if t >= parcel.contract + after and parcel.start > t:
            parcel.held = False
            parcel.reclaims.append(t)
            parcel.contract = None
            parcel.start = None
            state.reclaimed_total += parcel.area
            position = state.queue_total + state.reclaimed_total
            state.queue.append(_Entry(parcel, position, t + 1, original=False))


# ----------------------------------------------------------------------------------------
# The simulation


def oracle(inputs: OracleInputs) -> OracleOutputs:
    """Simulate ``inputs`` parcel by parcel and quarter by quarter."""
    n_draws = inputs.draws
    n_quarters = 4 * len(inputs.years)
    n_parks, n_parcels = len(inputs.park_ids), len(inputs.parcel_ids)

    def zeros(width: int) -> FloatArray:
        return np.zeros((n_draws, n_quarters, width))

    def nans() -> FloatArray:
        return np.full((n_draws, n_parcels), np.nan)

    out = OracleOutputs(
        floor_sold_m2=zeros(n_parcels),
        floor_started_m2=zeros(n_parcels),
        floor_topped_out_m2=zeros(n_parcels),
        floor_completed_m2=zeros(n_parcels),
        floor_occupied_m2=zeros(n_parcels),
        revenue_cny=zeros(n_parcels),
        investment_cny=zeros(n_parcels),
        workers_persons=zeros(n_parcels),
        base_completed_m2=zeros(n_parks),
        base_occupied_m2=zeros(n_parks),
        base_revenue_cny=zeros(n_parks),
        base_workers_persons=zeros(n_parks),
        backlog_m2=zeros(n_parks),
        other_revenue_cny=zeros(n_parks),
        other_workers_persons=zeros(n_parks),
        take_up_factor=zeros(n_parks),
        pool_backlog_m2=np.zeros((n_draws, n_quarters)),
        serviced_q=nans(),
        sold_q=nans(),
        first_sold_q=nans(),
        contract_q=nans(),
        start_q=nans(),
        completion_q=nans(),
        reclaim_q=nans(),
    )
    for d in range(n_draws):
        _one_draw(inputs, d, out)
    return out


def _one_draw(inputs: OracleInputs, d: int, out: OracleOutputs) -> None:
    n_quarters = 4 * len(inputs.years)
    n_parks = len(inputs.park_ids)
    parks = [_park_values(inputs, d, k) for k in range(n_parks)]
    parcels = _make_parcels(inputs, d, parks)
    states = _make_queues(inputs, parcels, n_parks)
    for k in range(n_parks):
        states[k].base_occupied = parks[k]["base_floor_occupied"]
        # CHOICE: v_k(−1) is the stock before the first quarter (base stock and any committed floor
        # completed before the base year, none of it occupied).
        completed = _base_completed(parks[k], -1) + sum(
            _completed(p, parks[k], -1) for p in parcels if p.park == k
        )
        states[k].vacancy = _vacancy(completed, states[k].base_occupied)

    pool_backlog = 0.0
    for t in range(n_quarters):
        rooms = []
        for k in range(n_parks):
            park, state = parks[k], states[k]
            out.take_up_factor[d, t, k] = _feedback(park, state.vacancy)
            _supply(inputs, d, t, k, park, state)
            _reclaim(inputs, t, state)
            members = [p for p in parcels if p.park == k]
            rooms.append(_rooms(t, park, state, members))
        pool_waiting = pool_backlog
        if inputs.pool_m2 is not None:
            pool_waiting += float(_at(inputs.pool_m2, d)[t // 4]) / 4.0
        offered = _allocate(inputs, pool_waiting, [room[2] for room in rooms])
        for k in range(n_parks):
            park, state = parks[k], states[k]
            members = [p for p in parcels if p.park == k]
            pool_waiting -= _demand(
                inputs, d, t, k, park, state, members, rooms[k], offered[k], out
            )
            _record(inputs, d, t, park, members, out)
            completed = out.base_completed_m2[d, t, k] + sum(
                out.floor_completed_m2[d, t, p.index] for p in members
            )
            occupied = out.base_occupied_m2[d, t, k] + sum(
                out.floor_occupied_m2[d, t, p.index] for p in members
            )
            state.vacancy = _vacancy(completed, occupied)
            _other(d, t, k, park, out)
        pool_backlog = pool_waiting
        out.pool_backlog_m2[d, t] = pool_backlog
    _events(d, n_quarters, parks, parcels, out)


def _vacancy(completed: float, occupied: float) -> float:
    """``v = (completed − occupied) / completed``, 0 while nothing is completed."""
    return (completed - occupied) / completed if completed > 0 else 0.0


def _base_completed(park: _Park, t: int) -> float:
    done = park["base_floor_completed"]
    if park["base_floor_under_construction"] > 0 and t >= park.base_done_q:
        done += park["base_floor_under_construction"]
    return done


def _completed_phases(parcel: _Parcel, park: _Park, t: int) -> list[int]:
    """Phases complete by the end of ``t``: phase i at ``s + begin(i) + δ_i``.

    With per-phase build times a later phase may complete before an earlier one.
    """
    if parcel.start is None:
        return []
    start = parcel.start
    return [i for i in range(parcel.n_phases) if start + park.begin(i) + park.delta(i) <= t]


def _completed(parcel: _Parcel, park: _Park, t: int) -> float:
    return len(_completed_phases(parcel, park, t)) * parcel.phase_floor


_Rooms = tuple[dict[tuple[int, int], float], float, float]


def _rooms(t: int, park: _Park, state: _ParkState, members: list[_Parcel]) -> _Rooms:
    """Room of each completed phase, of the base stock, and their total."""
    ceiling = park["occupancy_ceiling"]
    ramp_years = park["occupancy_ramp_years"]
    # Each phase is a building: it has room from the quarter it completes, and fills by
    # at most ceiling × its floor / (4 × ramp years) a quarter.
    rooms: dict[tuple[int, int], float] = {}
    for p in members:
        for phase in _completed_phases(p, park, t):
            occupiable = ceiling * p.phase_floor
            ramp = occupiable / (4.0 * ramp_years) if ramp_years > 0 else math.inf
            held = p.occupied_phases.get(phase, 0.0)
            rooms[p.index, phase] = max(0.0, min(occupiable - held, ramp))
    base_room = max(0.0, ceiling * _base_completed(park, t) - state.base_occupied)
    return rooms, base_room, base_room + sum(rooms.values())


def _allocate(inputs: OracleInputs, waiting: float, rooms: list[float]) -> list[float]:
    """The city's waiting demand offered to each park: a logit on attractiveness and room."""
    if inputs.attractiveness is None or waiting <= 0.0:
        return [0.0] * len(rooms)
    # CHOICE: a park's weight is exp(a_k) × room_k ** room_weight; parks outside the logit
    # (NaN) or without room this quarter get nothing, so demand goes where there is space.
    a = [float(x) for x in inputs.attractiveness]
    top = max((x for x, r in zip(a, rooms, strict=True) if r > 0 and not math.isnan(x)),
              default=0.0)  # fmt: skip
    weights = [
        math.exp(x - top) * r**inputs.room_weight if r > 0 and not math.isnan(x) else 0.0
        for x, r in zip(a, rooms, strict=True)
    ]
    total = sum(weights)
    return [waiting * w / total if total > 0 else 0.0 for w in weights]


def _demand(
    inputs: OracleInputs,
    d: int,
    t: int,
    k: int,
    park: _Park,
    state: _ParkState,
    members: list[_Parcel],
    room: _Rooms,
    offered: float,
    out: OracleOutputs,
) -> float:
    """Occupancy: proportional take of the park's own and offered demand; backlog.

    Returns the offered demand placed.
    """
    rooms, base_room, total_room = room
    waiting = state.backlog + float(_at(inputs.demand_m2, d)[k, t // 4]) / 4.0
    # CHOICE: negative waiting demand (net absorption below zero) places nothing and stays
    # in the backlog, to offset later demand: occupied floor never falls. The park's own
    # demand is placed before the city's offer; the offer not placed returns to the city.
    takes = min(total_room, max(0.0, waiting) + offered)
    phi = takes / total_room if total_room > 0 else 0.0
    own = min(max(0.0, waiting), takes)
    by_index = {p.index: p for p in members}
    for (index, phase), r in rooms.items():
        phases = by_index[index].occupied_phases
        phases[phase] = phases.get(phase, 0.0) + phi * r
    state.base_occupied += phi * base_room
    state.backlog = waiting - own
    out.backlog_m2[d, t, k] = state.backlog
    out.base_completed_m2[d, t, k] = _base_completed(park, t)
    out.base_occupied_m2[d, t, k] = state.base_occupied
    growth = (1.0 + park["revenue_growth"]) ** (t / 4.0)
    out.base_revenue_cny[d, t, k] = state.base_occupied * park["revenue_per_m2"] * growth / 4.0
    out.base_workers_persons[d, t, k] = state.base_occupied / park["m2_per_worker"]
    return takes - own


def _record(
    inputs: OracleInputs,
    d: int,
    t: int,
    park: _Park,
    members: list[_Parcel],
    out: OracleOutputs,
) -> None:
    """Stage floors, occupancy, revenue and investment of each parcel at the end of t."""
    own = None if inputs.parcel_revenue_per_m2 is None else _at(inputs.parcel_revenue_per_m2, d)
    growth = (1.0 + park["revenue_growth"]) ** (t / 4.0)
    for p in members:
        i = p.index
        held = t >= p.sales[0] if p.committed else p.held
        f = p.phase_floor
        # CHOICE: floor sold is land held at the end of t: a reclaimed parcel drops out
        # from its reclaim quarter until it is sold again.
        out.floor_sold_m2[d, t, i] = p.capacity if held else 0.0
        out.floor_started_m2[d, t, i] = _started(t, p, park) * f
        out.floor_topped_out_m2[d, t, i] = _topped(t, p, park) * f
        out.floor_completed_m2[d, t, i] = _completed(p, park, t)
        out.floor_occupied_m2[d, t, i] = p.occupied
        rate = park["revenue_per_m2"]
        if own is not None and not np.isnan(own[i]):  # applicants: the parcel's own rate
            rate = float(own[i])
        out.revenue_cny[d, t, i] = p.occupied * rate * growth / 4.0
        out.workers_persons[d, t, i] = p.occupied / park["m2_per_worker"]
        invest = 0.0
        # Land: in each quarter of sale (a resold parcel pays again).
        invest += sum(p.area * park["land_price"] for sale in p.sales if sale == t)
        if p.start is not None:
            for phase in range(p.n_phases):
                begun, delta = p.start + park.begin(phase), park.delta(phase)
                # CHOICE: construction is spent in the δ quarters begun … begun + δ − 1,
                # those at whose end the phase is under construction; fit-out in the
                # quarter it completes, begun + δ.
                if begun <= t < begun + delta:
                    invest += f * park["construction_cost"] / delta
                if t == begun + delta:
                    invest += f * park["fitout_cost"]
        out.investment_cny[d, t, i] = invest


def _other(d: int, t: int, k: int, park: _Park, out: OracleOutputs) -> None:
    """Revenue and workers that no floor drives."""
    # CHOICE: other revenue grows like floor revenue, (1 + g)^(t/4), and is a quarter of
    # the yearly figure each quarter; its workers are the yearly rate at t over a
    # constant revenue per worker (none where there is no other revenue).
    yearly_now = park["other_revenue"] * (1.0 + park["other_revenue_growth"]) ** (t / 4.0)
    out.other_revenue_cny[d, t, k] = yearly_now / 4.0
    if yearly_now != 0.0:
        out.other_workers_persons[d, t, k] = yearly_now / park["revenue_per_worker"]


def _events(
    d: int, n_quarters: int, parks: list[_Park], parcels: list[_Parcel], out: OracleOutputs
) -> None:
    """Event quarters, NaN where not reached by the horizon."""

    def put(array: FloatArray, i: int, q: int | None) -> None:
        if q is not None and q < n_quarters:
            array[d, i] = float(q)

    for p in parcels:
        park = parks[p.park]
        put(out.serviced_q, p.index, p.serviced)
        if p.sales:
            put(out.first_sold_q, p.index, p.sales[0])
            put(out.sold_q, p.index, p.sales[-1])
        if p.reclaims:
            # CHOICE: reclaim_q is the latest reclaim; with sold_q it tells whether the
            # parcel is out again (sold_q > reclaim_q) or waiting to be resold.
            put(out.reclaim_q, p.index, p.reclaims[-1])
        # CHOICE: contract_q and start_q belong to the latest sale; a parcel taken back and not
        # sold again keeps its last contract quarter and has no start.
        if p.contract is not None:
            put(out.contract_q, p.index, p.contract)
        elif p.sales and p.reclaims:
            last_contract = p.sales[-1] + park.contract_lag_q
            put(out.contract_q, p.index, last_contract)
        if p.start is not None:
            put(out.start_q, p.index, p.start)
            done = p.start + max(park.begin(i) + park.delta(i) for i in range(p.n_phases))
            put(out.completion_q, p.index, done)


# ----------------------------------------------------------------------------------------
# Building inputs by hand

#: What a park parameter is when a test does not say.
PARK_DEFAULTS: dict[str, float] = {
    "plot_ratio": 1.0,
    "start_lag_years": 0.0,
    "contract_lag_years": math.nan,
    "topout_years": math.nan,
    "duration_years": 1.0,
    "max_floor_per_phase": math.inf,
    "occupancy_ramp_years": 0.0,
    "occupancy_ceiling": 1.0,
    "revenue_per_m2": 0.0,
    "revenue_growth": 0.0,
    "land_price": 0.0,
    "construction_cost": 0.0,
    "fitout_cost": 0.0,
    "m2_per_worker": 25.0,
    "base_floor_completed": 0.0,
    "base_floor_occupied": 0.0,
    "base_floor_under_construction": 0.0,
    "base_completion_years": 0.0,
    "other_revenue": 0.0,
    "other_revenue_growth": 0.0,
    "revenue_per_worker": 1e6,
    "vacancy_target": 0.0,
    "vacancy_elasticity": 0.0,
}


def _budget(value: object, n_parks: int, n_years: int) -> FloatArray:
    """A yearly budget from a scalar, ``(K,)``, ``(K, Y)`` or ``(D, K, Y)``."""
    array = np.asarray(value, dtype=float)
    if array.ndim == 0:
        array = np.full((n_parks,), float(array))
    if array.ndim == 1:
        array = np.repeat(array[:, None], n_years, axis=1)
    if array.ndim == 2:
        array = array[None]
    return np.array(array, dtype=float)


def make_inputs(
    *,
    n_years: int,
    area_m2: list[float],
    parcel_park: list[int] | None = None,
    far_max: list[float] | None = None,
    queue_rank: list[int] | None = None,
    park: dict[str, object] | None = None,
    land_supply: object = math.inf,
    take_up: object = math.inf,
    demand: object = 0.0,
    committed_start: object = None,
    committed_floor: object = None,
    committed_phases: list[int] | None = None,
    reclaim_after_years: float | None = None,
    n_parks: int | None = None,
    base_year: int = 2012,
) -> OracleInputs:
    """Inputs for a hand-made case; park values are scalars, ``(K,)`` or ``(D, K)``."""
    n_parcels = len(area_m2)
    parcel_park = parcel_park if parcel_park is not None else [0] * n_parcels
    n_parks = n_parks if n_parks is not None else max(parcel_park, default=0) + 1
    values = {**PARK_DEFAULTS, **(park or {})}
    park_arrays = {}
    for name, value in values.items():
        array = np.asarray(value, dtype=float)
        if array.ndim == 0:
            array = np.full((n_parks,), float(array))
        park_arrays[name] = np.array(np.atleast_2d(array), dtype=float)
    nan_row = np.full((1, n_parcels), np.nan)
    return OracleInputs(
        years=np.arange(base_year, base_year + n_years),
        park_ids=tuple(f"park{k}" for k in range(n_parks)),
        parcel_ids=tuple(f"p{p}" for p in range(n_parcels)),
        parcel_park=np.asarray(parcel_park, dtype=np.int64),
        area_m2=np.asarray(area_m2, dtype=float),
        far_max=np.asarray(far_max if far_max is not None else [math.nan] * n_parcels, float),
        queue_rank=np.asarray(
            queue_rank if queue_rank is not None else list(range(n_parcels)), dtype=np.int64
        ),
        committed_start=np.atleast_2d(
            np.asarray(committed_start, float) if committed_start is not None else nan_row
        ),
        committed_floor=np.atleast_2d(
            np.asarray(committed_floor, float) if committed_floor is not None else nan_row
        ),
        committed_phases=np.asarray(
            committed_phases if committed_phases is not None else [0] * n_parcels, np.int64
        ),
        park=park_arrays,
        land_supply_m2=_budget(land_supply, n_parks, n_years),
        take_up_m2=_budget(take_up, n_parks, n_years),
        demand_m2=_budget(demand, n_parks, n_years),
        reclaim_after_years=reclaim_after_years,
    )
