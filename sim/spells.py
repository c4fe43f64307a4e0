"""Status spells: each parcel's run of one map state, from the date it began to the next.

In: a result's years, :class:`~sim.result.Status` codes and event quarters
(``Result.events_q``, one draw) and each parcel's :class:`~sim.states.ParcelState` at every
year end (:attr:`sim.outcome.Outcome.states`). Out: a :class:`Spells` — one row per
parcel per interval in which its (status, state) pair stays the same, with the dates it
began and ended. This is what ``parcel_status_by_year`` in ``parcels.gpkg`` stores for
QGIS's temporal controller: a parcel that is sold in 2013, starts in 2014 and completes
in 2017 is four features, not one per year.

Dating a spell. States are recorded at year ends; the engine also records the quarter
of a parcel's events. A spell whose state a quarterly event brings about begins on the
first day of that event's quarter when the event falls in the year the state is first
recorded:

=====================  =====================
state entered          dated by the quarter of
=====================  =====================
serviced               ``serviced``
sold                   ``sold``
under construction     ``start``
completed, occupied    ``completion``
=====================  =====================

Every other spell (idle, topped out, occupied after a year of filling, a result without
event quarters) begins on 1 January of the year at whose end it is first recorded —
as the yearly layer did. The first spell begins on 1 January of the first simulated
year, the last ends on 1 January after the horizon (end dates are exclusive).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from sim.states import ParcelState

__all__ = ["DATED_BY", "Spells", "status_spells"]

#: The event of ``Result.events_q`` that dates entry into a state (others: 1 January).
DATED_BY: dict[ParcelState, str] = {
    ParcelState.SERVICED: "serviced",
    ParcelState.SOLD: "sold",
    ParcelState.UNDER_CONSTRUCTION: "start",
    ParcelState.COMPLETED: "completion",
    ParcelState.OCCUPIED: "completion",
}


@dataclass(frozen=True)
class Spells:
    """One row per parcel per spell, parcels in site order, spells in time order.

    Attributes
    ----------
    parcel
        Row of the parcel in the result, ``(S,)``.
    first, last
        Index into ``Result.years`` of the first and last year end the spell covers.
    start, end
        First day of the spell and first day after it, ``datetime64[D]``.
    status, state
        The :class:`~sim.result.Status` and :class:`~sim.states.ParcelState` codes.
    dated_by
        The event whose quarter gave ``start`` (a key of ``Result.events_q``), or
        ``"year"`` when it is 1 January of the spell's first year.
    """

    parcel: npt.NDArray[np.intp]
    first: npt.NDArray[np.intp]
    last: npt.NDArray[np.intp]
    start: npt.NDArray[np.datetime64]
    end: npt.NDArray[np.datetime64]
    status: npt.NDArray[np.int8]
    state: npt.NDArray[np.int8]
    dated_by: npt.NDArray[np.object_]


def status_spells(
    years: npt.NDArray[np.integer],
    status: npt.NDArray[np.int8],
    states: npt.NDArray[np.int8],
    events: Mapping[str, npt.NDArray[np.floating]] | None = None,
) -> Spells:
    """Split each parcel's year-end (status, state) sequence into dated spells.

    Parameters
    ----------
    years
        The simulated years, ``(Y,)``; quarter 0 is the first year's Q1.
    status
        :class:`~sim.result.Status` code per year end and parcel, ``(Y, P)``.
    states
        :class:`~sim.states.ParcelState` code per year end and parcel, ``(Y, P)``.
    events
        Event quarter per parcel, ``(P,)``, NaN where not reached (one draw of
        ``Result.events_q``); None dates every spell by its year.

    Returns
    -------
    Spells
        Vectorised over parcels (no loop over parcels or years).

    Examples
    --------
    A parcel sold in 2013's third quarter (quarter 6) and started in 2015's second
    (quarter 13), over 2012–2016:

    >>> from sim.states import ParcelState as S
    >>> codes = np.array([[S.UNSERVICED], [S.SOLD], [S.SOLD], [S.UNDER_CONSTRUCTION],
    ...                   [S.UNDER_CONSTRUCTION]], dtype=np.int8)
    >>> spells = status_spells(np.arange(2012, 2017), np.minimum(codes, 2), codes,
    ...                        {"sold": np.array([6.0]), "start": np.array([13.0])})
    >>> [str(d) for d in spells.start], str(spells.end[-1])
    (['2012-01-01', '2013-07-01', '2015-04-01'], '2017-01-01')
    >>> spells.dated_by.tolist(), spells.last.tolist()
    (['year', 'sold', 'start'], [0, 2, 4])
    """
    years = np.asarray(years)
    codes = np.asarray(states, dtype=np.int8)
    status = np.asarray(status, dtype=np.int8)
    n_years, n_parcels = codes.shape
    changed = np.ones((n_years, n_parcels), dtype=bool)
    changed[1:] = (codes[1:] != codes[:-1]) | (status[1:] != status[:-1])
    # Parcel-major order: the spells of one parcel are consecutive, in time order.
    parcel, first = np.nonzero(changed.T)
    parcel, first = parcel.astype(np.intp), first.astype(np.intp)
    following = np.append(parcel[1:] == parcel[:-1], False)
    last = np.where(following, np.append(first[1:], 0) - 1, n_years - 1)
    state = codes[first, parcel]

    jan = years.astype(np.int64) - 1970  # years since 1970
    start_month = jan[first] * 12  # months since 1970-01
    dated_by = np.full(parcel.size, "year", dtype=object)
    events = events or {}
    later = first > 0  # the first spell starts with the simulation
    for entered, event in DATED_BY.items():
        quarters = events.get(event)
        if quarters is None:
            continue
        q = np.asarray(quarters, dtype=float)[parcel]
        with np.errstate(invalid="ignore"):
            inside = later & (state == entered) & (np.floor(q / 4) == first)
        month = (jan[0] + np.floor(q[inside] / 4)) * 12 + 3 * np.mod(q[inside], 4)
        start_month[inside] = month.astype(np.int64)
        dated_by[inside] = event
    start = (np.datetime64("1970-01", "M") + start_month).astype("datetime64[D]")
    horizon_end = np.datetime64(f"{int(years[-1]) + 1}-01-01", "D")
    end = np.where(following, np.append(start[1:], horizon_end), horizon_end)
    return Spells(
        parcel=parcel,
        first=first,
        last=last,
        start=start,
        end=end.astype("datetime64[D]"),
        status=status[first, parcel],
        state=state,
        dated_by=dated_by,
    )
