"""The eight states a parcel is mapped in: from land not yet serviced to floor occupied.

In: a :class:`~sim.result.Result` — its :class:`~sim.result.Status` codes, the stage
series (``floor_started_m2``, ``floor_topped_out_m2``, ``floor_completed_m2``,
``floor_occupied_m2``), the ``idle`` flags and the servicing quarter of ``events_q`` —
and, optionally, each parcel's occupancy ceiling. Out: one :class:`ParcelState` code
per parcel for a year and draw. Pure numpy over parcels; nothing is drawn here and
nothing of the model is recomputed: every state is read from what the engine recorded.

The engine's :class:`~sim.result.Status` says how far construction has gone. A map for
a planning report asks more — is land ready for sale, is sold land lying idle, is the
structure up, is finished floor in use — so the map states refine it (``docs/MODEL.md``
gives the stages):

state                 a parcel at the end of the year …
====================  ===========================================================
not released          … has not been sold (``Status.NOT_RELEASED``)
released              … is sold (出让), not started, and not (yet) idle
idle (闲置)           … is sold and still not started ``idle_after_years`` after its
                      contracted start (the engine's ``Result.idle``; for a Result
                      without it, after its release year: :func:`sim.rules.idle_masks`)
under construction    … has a phase under construction (``UNDER_CONSTRUCTION``, and
                      ``PARTLY_COMPLETED``: some phases done, the rest building)
completed             … has every phase completed and its floor still filling
occupied              … has every phase completed and its occupied floor at the
                      occupancy ceiling: the ramp of :mod:`sim.engine` is done
====================  ===========================================================
=======
=====================  ===========================================================
state                  a parcel at the end of the year …
=====================  ===========================================================
unserviced             … is not serviced (未具备供地条件): the park's land budget
                       has not reached it in its queue
serviced               … is serviced but not sold (已供地未出让), or was sold and
                       taken back as idle land
sold                   … is sold and not started, its contracted start not yet
                       ``idle_after_years`` past (已出让未开工)
idle (闲置)            … is sold and still not started ``idle_after_years`` after
                       its contracted start (the engine's ``idle`` flag)
under construction     … has a phase rising (``UNDER_CONSTRUCTION``, and
                       ``PARTLY_COMPLETED`` while a later phase still rises)
topped out             … has every phase topped out (封顶), not every one completed
completed              … has every phase completed and its floor still filling
occupied               … has every phase completed and its occupied floor at the
                       occupancy ceiling (稳定入驻)
=====================  ===========================================================

A result that lacks some of these records degrades to the coarser states: without
``events_q`` no land reads as serviced before it is sold; without a topped-out series
no parcel reads as topped out; without ``idle`` flags idle land is dated from the sale
year (:func:`sim.rules.idle_masks`).
"""

from __future__ import annotations

import enum

import numpy as np
import numpy.typing as npt

from sim.result import Result, Status
from sim.rules import idle_masks

__all__ = ["ParcelState", "parcel_states"]

#: Relative slack when comparing occupied floor with ceiling × completed floor.
_RTOL = 1e-6


class ParcelState(enum.IntEnum):
    """What a parcel looks like on a status map, in build-out order (idle beside sold)."""

    UNSERVICED = 0
    SERVICED = 1
    SOLD = 2
    IDLE = 3
    UNDER_CONSTRUCTION = 4
    TOPPED_OUT = 5
    COMPLETED = 6
    OCCUPIED = 7

    @property
    def label_zh(self) -> str:
        """Chinese label for legends."""
        return _LABELS[self][0]

    @property
    def label_en(self) -> str:
        """English label for legends."""
        return _LABELS[self][1]


_LABELS: dict[ParcelState, tuple[str, str]] = {
    ParcelState.UNSERVICED: ("未具备供地条件", "not serviced"),
    ParcelState.SERVICED: ("已供地未出让", "serviced, not sold"),
    ParcelState.SOLD: ("已出让未开工", "sold, not started"),
    ParcelState.IDLE: ("闲置土地", "idle land"),
    ParcelState.UNDER_CONSTRUCTION: ("在建", "under construction"),
    ParcelState.TOPPED_OUT: ("已封顶", "topped out"),
    ParcelState.COMPLETED: ("已竣工·招商中", "completed, filling"),
    ParcelState.OCCUPIED: ("稳定入驻", "occupied at ceiling"),
}


def parcel_states(
    result: Result,
    *,
    year: int | None = None,
    draw: int = 0,
    idle_after_years: int = 1,
    occupancy_ceiling: float | npt.ArrayLike | None = None,
) -> npt.NDArray[np.int8]:
    """Each parcel's :class:`ParcelState` at the end of one year.

    Parameters
    ----------
    result
        The simulation outcome.
    year
        Year to classify; default the horizon.
    draw
        Monte Carlo draw.
    idle_after_years
        Only for a result without ``idle`` flags: years after its sale year from which
        an unstarted parcel is idle (the scenario's ``[rules] idle_after_years``; 1
        under the 2012 national rule). The engine's flags count from the contracted
        start and take precedence.
    occupancy_ceiling
        Each parcel's occupancy ceiling (a share, scalar or ``(P,)``). A completed
        parcel is *occupied* once its occupied floor reaches ceiling × completed
        floor. Without it, the ceiling is read from the result itself: a completed
        parcel is occupied once its occupied share stopped rising over the year
        (one year later than with the ceiling when the ramp ends exactly then).

    Returns
    -------
    numpy.ndarray
        int8 codes of :class:`ParcelState`, shape ``(P,)``.

    Raises
    ------
    ValueError
        If ``draw`` is out of range.
    KeyError
        If ``year`` is outside the simulated years.

    Examples
    --------
    A parcel sold in 2012 and never started is idle from 2013 (here, without the
    engine's flags, counted from the sale year):

    >>> import numpy as np
    >>> from sim.result import SERIES, Result
    >>> nan = np.full((1, 1), np.nan)
    >>> result = Result("demo", np.array([2012, 2013]), ("A",), np.array(["p"]),
    ...     np.array([0]), np.array([1.0]), np.array([1.0]), {}, np.zeros((1, 1, 2)),
    ...     {k: np.zeros((1, 2, 1)) for k in SERIES},
    ...     np.ones((1, 2, 1), dtype=np.int8), np.array([[2012.0]]), nan, nan, nan)
    >>> [ParcelState(s).name for s in parcel_states(result, year=2012)]
    ['SOLD']
    >>> [ParcelState(s).name for s in parcel_states(result, year=2013)]
    ['IDLE']
    """
    if not 0 <= draw < result.draws:
        raise ValueError(f"draw must be in 0…{result.draws - 1}; got {draw}")
    t = result.year_index(int(result.years[-1]) if year is None else year)
    status = result.status[draw, t]
    series = result.series
    states = np.full(status.shape, ParcelState.UNSERVICED, dtype=np.int8)

    unsold = status == Status.NOT_RELEASED
    serviced_q = (result.events_q or {}).get("serviced")
    if unsold.any() and serviced_q is not None:
        # Serviced by the end of the year's Q4; reclaimed land stays serviced.
        serviced = serviced_q[min(draw, serviced_q.shape[0] - 1)] <= 4 * t + 3
        states[unsold & serviced] = ParcelState.SERVICED

    sold = status == Status.RELEASED
    states[sold] = ParcelState.SOLD
    if sold.any():
        states[sold & _idle(result, draw, t, idle_after_years)] = ParcelState.IDLE

    building = (status == Status.UNDER_CONSTRUCTION) | (status == Status.PARTLY_COMPLETED)
    states[building] = ParcelState.UNDER_CONSTRUCTION
    if building.any() and "floor_topped_out_m2" in series and "floor_started_m2" in series:
        # A crew moves on when a phase tops out, so topped-out floor catches up with
        # started floor only once the last phase is up: then nothing is rising.
        started = series["floor_started_m2"][draw, t]
        topped = series["floor_topped_out_m2"][draw, t]
        up = (started > 0) & (topped >= started * (1 - _RTOL))
        states[building & up] = ParcelState.TOPPED_OUT

    done = status == Status.COMPLETED
    if done.any():
        states[done] = ParcelState.COMPLETED
        states[done & _at_ceiling(result, draw, t, occupancy_ceiling)] = ParcelState.OCCUPIED
    return states


def _idle(result: Result, draw: int, t: int, idle_after_years: int) -> npt.NDArray[np.bool_]:
    """Whether each parcel is idle at the end of year ``t`` (meaningful for unstarted sold land)."""
    if result.idle is not None:
        # The quarterly engine flags idle land from the contracted start.
        return np.asarray(result.idle[draw, t], dtype=bool)
    # With idle land reclaimed and sold again, the spell running in year t began at
    # the first sale until the parcel was taken back.
    release = result.release_year[draw]
    if result.reclaim_year is not None and result.first_release_year is not None:
        before = ~(result.reclaim_year[draw] < result.years[t])
        release = np.where(before, result.first_release_year[draw], release)
    idle, _ = idle_masks(
        release[None, :],
        result.start_year[draw : draw + 1],
        result.years[t : t + 1],
        idle_after_years=idle_after_years,
        reclaim_after_years=idle_after_years,
    )
    return np.asarray(idle[0, 0], dtype=bool)


def _at_ceiling(
    result: Result, draw: int, t: int, occupancy_ceiling: float | npt.ArrayLike | None
) -> npt.NDArray[np.bool_]:
    """Whether each parcel's occupied floor is at its ceiling at the end of year ``t``."""
    completed = result.series["floor_completed_m2"][draw]
    occupied = result.series["floor_occupied_m2"][draw]
    shape = completed.shape[1:]
    if occupancy_ceiling is not None:
        ceiling = np.broadcast_to(np.asarray(occupancy_ceiling, dtype=float), shape)
        full = occupied[t] >= ceiling * completed[t] * (1 - _RTOL)
    elif t == 0:
        full = np.zeros(shape, dtype=bool)
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            share_now = occupied[t] / completed[t]
            share_before = occupied[t - 1] / completed[t - 1]
        was_done = result.status[draw, t - 1] == Status.COMPLETED
        full = was_done & (share_now > 0) & (share_now <= share_before * (1 + _RTOL))
    return np.asarray(full & (completed[t] > 0), dtype=bool)
