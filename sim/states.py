"""The six states a parcel is mapped in: from not released to occupied, with idle land apart.

In: a :class:`~sim.result.Result` (its :class:`~sim.result.Status` codes, event years
and floor series) and, optionally, the scenario's idle-land age and each parcel's
occupancy ceiling. Out: one :class:`ParcelState` code per parcel for a year and draw.
Pure numpy over parcels; nothing is drawn here.

The engine's :class:`~sim.result.Status` says how far construction has gone. A map for
a planning report asks two more questions — is released land lying idle, and is
finished floor in use — so the map states refine it:

====================  ===========================================================
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
    """What a parcel looks like on a status map, in build-out order (idle beside released)."""

    NOT_RELEASED = 0
    RELEASED = 1
    IDLE = 2
    UNDER_CONSTRUCTION = 3
    COMPLETED = 4
    OCCUPIED = 5

    @property
    def label_zh(self) -> str:
        """Chinese label for legends."""
        return _LABELS[self][0]

    @property
    def label_en(self) -> str:
        """English label for legends."""
        return _LABELS[self][1]


_LABELS: dict[ParcelState, tuple[str, str]] = {
    ParcelState.NOT_RELEASED: ("未供地", "not released"),
    ParcelState.RELEASED: ("已供地未开工", "released, not started"),
    ParcelState.IDLE: ("闲置土地", "idle land"),
    ParcelState.UNDER_CONSTRUCTION: ("在建（含部分竣工）", "under construction"),
    ParcelState.COMPLETED: ("已竣工，招商中", "completed, filling"),
    ParcelState.OCCUPIED: ("已竣工，稳定入驻", "completed, occupied"),
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
        Years after its release year from which an unstarted parcel is idle (the
        scenario's ``[rules] idle_after_years``; 1 under the 2012 national rule), for a
        Result without the engine's idle flags (the quarterly engine's ``Result.idle``
        counts from the contracted start with the scenario's own ages).
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
    A parcel released in 2012 and never started is idle from 2013:

    >>> import numpy as np
    >>> from sim.result import SERIES, Result
    >>> nan = np.full((1, 1), np.nan)
    >>> result = Result("demo", np.array([2012, 2013]), ("A",), np.array(["p"]),
    ...     np.array([0]), np.array([1.0]), np.array([1.0]), {}, np.zeros((1, 1, 2)),
    ...     {k: np.zeros((1, 2, 1)) for k in SERIES},
    ...     np.ones((1, 2, 1), dtype=np.int8), np.array([[2012.0]]), nan, nan, nan)
    >>> [ParcelState(s).name for s in parcel_states(result, year=2012)]
    ['RELEASED']
    >>> [ParcelState(s).name for s in parcel_states(result, year=2013)]
    ['IDLE']
    """
    if not 0 <= draw < result.draws:
        raise ValueError(f"draw must be in 0…{result.draws - 1}; got {draw}")
    t = result.year_index(int(result.years[-1]) if year is None else year)
    status = result.status[draw, t]
    states = np.full(status.shape, ParcelState.NOT_RELEASED, dtype=np.int8)
    states[status == Status.RELEASED] = ParcelState.RELEASED
    building = (status == Status.UNDER_CONSTRUCTION) | (status == Status.PARTLY_COMPLETED)
    states[building] = ParcelState.UNDER_CONSTRUCTION

    released = status == Status.RELEASED
    if released.any() and result.idle is not None:
        # The quarterly engine flags idle land from the contracted start.
        states[released & result.idle[draw, t]] = ParcelState.IDLE
    elif released.any():
        # With idle land reclaimed and released again, the spell running in year t
        # began at the first release until the parcel was taken back.
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
        states[released & idle[0, 0]] = ParcelState.IDLE

    done = status == Status.COMPLETED
    if done.any():
        states[done] = ParcelState.COMPLETED
        completed = result.series["floor_completed_m2"][draw]
        occupied = result.series["floor_occupied_m2"][draw]
        if occupancy_ceiling is not None:
            ceiling = np.broadcast_to(np.asarray(occupancy_ceiling, dtype=float), status.shape)
            full = occupied[t] >= ceiling * completed[t] * (1 - _RTOL)
        elif t == 0:
            full = np.zeros(status.shape, dtype=bool)
        else:
            with np.errstate(divide="ignore", invalid="ignore"):
                share_now = occupied[t] / completed[t]
                share_before = occupied[t - 1] / completed[t - 1]
            was_done = result.status[draw, t - 1] == Status.COMPLETED
            full = was_done & (share_now > 0) & (share_now <= share_before * (1 + _RTOL))
        states[done & full & (completed[t] > 0)] = ParcelState.OCCUPIED
    return states
