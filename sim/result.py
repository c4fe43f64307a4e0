"""The Result of a simulation: arrays over draw × year × parcel, and tidy views of them.

:func:`sim.engine.simulate` fills a :class:`Result`; targets, export and plotting only
read it. Arrays follow one axis order everywhere — ``(draw, year, parcel)`` for
per-parcel series and ``(draw, parcel)`` for per-parcel events — so a deterministic
run is simply ``draws == 1``. All quantities are in SI units: m² of floor, CNY per
year for revenue and investment, persons for workers.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar, cast

import numpy as np
import numpy.typing as npt
import pandas as pd

__all__ = [
    "PARK_SERIES",
    "PERCENTILES",
    "REST_OF_CITY",
    "SERIES",
    "TOTAL",
    "Ensemble",
    "Result",
    "Status",
    "park_year_frame",
    "sum_by_park",
]

#: The ``park_id`` of the rows that add up every park.
TOTAL = "total"

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
_T = TypeVar("_T")

#: The per-parcel yearly series a Result holds, with their units.
SERIES: dict[str, str] = {
    "floor_completed_m2": "m²",
    "floor_under_construction_m2": "m²",
    "floor_occupied_m2": "m²",
    "revenue_cny": "CNY/yr",
    "investment_cny": "CNY/yr",
    "workers_persons": "persons",
    "floor_sold_m2": "m²",
    "floor_started_m2": "m²",
    "floor_topped_out_m2": "m²",
    "floor_vacant_m2": "m²",
}
#: The per-park series: every :data:`SERIES` key over the park's parcels *and* its
#: base-year stock and other revenue, and those that no parcel has.
PARK_SERIES: dict[str, str] = {
    **SERIES,
    "revenue_other_cny": "CNY/yr",
    "workers_other_persons": "persons",
    "base_floor_completed_m2": "m²",
    "base_floor_occupied_m2": "m²",
}
#: The series of the ``rest_of_city`` unit (the city outside the parks).
REST_SERIES = ("revenue_cny", "revenue_other_cny", "workers_persons", "workers_other_persons")
#: The ``park_id`` of the city outside the parks in per-park tables.
REST_OF_CITY = "rest_of_city"


def sum_by_park(
    values: npt.NDArray[Any], parcel_park: IntArray, n_parks: int, *, total: bool = False
) -> FloatArray:
    """Sum per-parcel values (last axis) into parks, optionally with a total column.

    Parameters
    ----------
    values
        ``(..., P)``: anything per parcel (floats or booleans, which count).
    parcel_park
        Park index of each parcel ``(P,)``.
    n_parks
        Number of parks ``K``.
    total
        Append the sum over all parks as column ``K``.

    Returns
    -------
    numpy.ndarray
        ``(..., K)`` or ``(..., K + 1)``. Uses ``bincount`` row by row, so memory stays
        that of the output (no parcels × parks matrix).

    Examples
    --------
    >>> sum_by_park(np.array([[1.0, 2.0, 4.0]]), np.array([0, 1, 0]), 2, total=True)
    array([[5., 2., 7.]])
    """
    values = np.asarray(values)
    rows = values.reshape(-1, values.shape[-1])
    out = np.empty((rows.shape[0], n_parks + int(total)))
    for i, row in enumerate(rows):  # leading axes (draws, years), never parcels
        out[i, :n_parks] = np.bincount(parcel_park, weights=row, minlength=n_parks)
    if total:
        out[:, n_parks] = out[:, :n_parks].sum(axis=1)
    return out.reshape(*values.shape[:-1], out.shape[1])


def park_year_frame(
    years: npt.ArrayLike, park_ids: Sequence[str], columns: Mapping[str, Any]
) -> pd.DataFrame:
    """Tidy table with one row per (year, park_id), the parks then ``total``.

    Parameters
    ----------
    years
        The year axis ``(Y,)``.
    park_ids
        The parks, without ``total``.
    columns
        Name → values ``(Y, K + 1)`` (the last column is the total), or a flat pandas
        extension array (e.g. nullable booleans) of ``Y × (K + 1)`` in that order.

    Returns
    -------
    pandas.DataFrame
        Columns ``year, park_id`` and ``columns``.
    """
    years = np.asarray(years)
    labels = np.array([*park_ids, TOTAL], dtype=object)
    table = {"year": np.repeat(years, labels.size), "park_id": np.tile(labels, years.size)}
    for name, values in columns.items():
        flat = isinstance(values, pd.api.extensions.ExtensionArray)
        table[name] = values if flat else np.asarray(values).reshape(-1)
    return pd.DataFrame(table)


class Status(enum.IntEnum):
    """A parcel's state at the end of a year (the highest stage it has reached)."""

    NOT_RELEASED = 0
    RELEASED = 1
    UNDER_CONSTRUCTION = 2
    PARTLY_COMPLETED = 3
    COMPLETED = 4

    @property
    def label_en(self) -> str:
        """English label for legends."""
        return self.name.replace("_", " ").lower()

    @property
    def label_zh(self) -> str:
        """Chinese label for legends."""
        return {
            Status.NOT_RELEASED: "未供地",
            Status.RELEASED: "已供地未开工",
            Status.UNDER_CONSTRUCTION: "在建",
            Status.PARTLY_COMPLETED: "部分竣工",
            Status.COMPLETED: "已竣工",
        }[self]


#: Each status code's name, for looking a whole array up at once.
_STATUS_NAMES = np.array([m.name.lower() for m in sorted(Status)], dtype=object)


@dataclass(frozen=True, eq=False)
class Result:
    """Outcome of one simulation run.

    Attributes
    ----------
    scenario_name
        Name of the scenario that produced it.
    years
        Simulated years, shape ``(Y,)``: base year … horizon, end-of-year stocks.
    park_ids
        Park identifiers in the order used by ``parcel_park``.
    parcel_ids
        Parcel identifiers, shape ``(P,)``.
    parcel_park
        Index into ``park_ids`` of each parcel's park, shape ``(P,)``.
    capacity_m2
        Floor each parcel can hold (area × plot ratio, or a committed floor), ``(P,)``.
    area_m2
        Land area of each parcel, ``(P,)``.
    parameters
        The park parameters the run used (:data:`sim.inputs.PARK_FIELDS`), each
        ``(D, K)``, or ``(1, K)`` where the same in every draw.
    land_supply_m2
        Each park's yearly land-supply budget, ``(D, K, Y)`` (or ``(1, K, Y)``).
    series
        The yearly series named in :data:`SERIES`, each ``(D, Y, P)``.
    status
        :class:`Status` code per draw, year and parcel, ``(D, Y, P)``, int8.
    release_year, start_year, completion_year
        Year the parcel was released, its first phase started, and its last phase
        completed, ``(D, P)``; NaN where not reached by the horizon.
    investment_before_base_cny
        Investment spent on each parcel before the base year (projects already under
        way), ``(D, P)``; the ``investment_cny`` series covers the simulated years only.
    first_release_year, reclaim_year
        When idle land is reclaimed (``[rules] reclaim_idle``): the first release year
        and the year the parcel was taken back, ``(D, P)``, NaN where not;
        ``release_year`` is then the latest release (the re-release). None when the
        engine did not record them. (In the quarterly model "released" is *sold*.)
    park_series, quarterly
        Per park, by year ``(D, Y, K)`` and by quarter ``(D, 4Y, K)``: the
        :data:`PARK_SERIES`, parcels plus the park's base stock and other revenue.
    idle, reclaimable
        Unstarted sold land idle / reclaimable at each year end ``(D, Y, P)``, counted
        from the contracted start.
    reclaimed
        How often each parcel was taken back in each year ``(D, Y, P)`` (every time, not
        only the latest).
    events_q
        Event quarters per parcel ``(D, P)`` from the base year's Q1 (NaN where not
        reached): ``serviced, sold, first_sold, contract, start, completion, reclaim``.
    rest_of_city, rest_of_city_quarterly
        The city outside the parks (``[rest_of_city]``): :data:`REST_SERIES` by year
        ``(D, Y, 1)`` and quarter ``(D, 4Y, 1)``; None without one.
    """

    scenario_name: str
    years: IntArray
    park_ids: tuple[str, ...]
    parcel_ids: npt.NDArray[np.str_]
    parcel_park: IntArray
    capacity_m2: FloatArray
    area_m2: FloatArray
    parameters: dict[str, FloatArray]
    land_supply_m2: FloatArray
    series: dict[str, FloatArray]
    status: npt.NDArray[np.int8]
    release_year: FloatArray
    start_year: FloatArray
    completion_year: FloatArray
    investment_before_base_cny: FloatArray
    first_release_year: FloatArray | None = None
    reclaim_year: FloatArray | None = None
    park_series: dict[str, FloatArray] | None = None
    quarterly: dict[str, FloatArray] | None = None
    idle: npt.NDArray[np.bool_] | None = None
    reclaimable: npt.NDArray[np.bool_] | None = None
    reclaimed: npt.NDArray[np.int64] | None = None
    events_q: dict[str, FloatArray] | None = None
    rest_of_city: dict[str, FloatArray] | None = None
    rest_of_city_quarterly: dict[str, FloatArray] | None = None
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    def derived(self, key: str, compute: Callable[[], _T]) -> _T:
        """Return a value derived from this result, computing it on first use only.

        A Result is immutable, so anything computed from it (per-park sums, investment
        to date, idle masks) can be kept; ``key`` names it uniquely.
        """
        if key not in self._cache:
            self._cache[key] = compute()
        return cast(_T, self._cache[key])

    @property
    def draws(self) -> int:
        """Number of Monte Carlo draws (1 for a deterministic run)."""
        return int(self.status.shape[0])

    def year_index(self, year: int) -> int:
        """Position of ``year`` on the year axis.

        Raises
        ------
        KeyError
            If the year is outside the simulated range.
        """
        hits = np.flatnonzero(self.years == year)
        if hits.size == 0:
            raise KeyError(
                f"year {year} is outside the simulated range {self.years[0]}–{self.years[-1]}"
            )
        return int(hits[0])

    def parcel_parameters(self, *, draw: int = 0) -> dict[str, FloatArray]:
        """Each parcel's park parameters in one draw, ``(P,)`` per name of :attr:`parameters`.

        Parameters
        ----------
        draw
            Which draw (parameters that do not vary serve every draw).
        """
        return {
            name: values[min(draw, values.shape[0] - 1), self.parcel_park]
            for name, values in self.parameters.items()
        }

    def by_park(self, name: str) -> FloatArray:
        """Return a series per park: its parcels, base stock and other revenue.

        Parameters
        ----------
        name
            A key of :data:`PARK_SERIES` (of :data:`SERIES` for a result without
            per-park series, which then sums the parcels).

        Returns
        -------
        numpy.ndarray
            Shape ``(D, Y, K)`` with ``K = len(park_ids)``.
        """
        if self.park_series is not None and name in self.park_series:
            return self.park_series[name]
        return self.derived(
            f"by_park/{name}",
            lambda: sum_by_park(self.series[name], self.parcel_park, len(self.park_ids)),
        )

    def released_mask(self, *, draw: int = 0) -> npt.NDArray[np.bool_]:
        """Whether each parcel's land is out (released, not taken back) at year end, ``(Y, P)``.

        Parameters
        ----------
        draw
            Which draw.
        """
        if "floor_sold_m2" in self.series:  # land held at the end of each year
            return np.asarray(self.series["floor_sold_m2"][draw] > 0)
        years = self.years.astype(float)[:, None]
        latest = self.release_year[draw][None, :]
        if self.reclaim_year is None or self.first_release_year is None:
            return np.asarray(latest <= years)
        first = self.first_release_year[draw][None, :]
        reclaim = self.reclaim_year[draw][None, :]
        again = np.where(np.isfinite(reclaim) & (latest != first), latest, np.nan)
        return np.asarray(((first <= years) & ~(reclaim <= years)) | (again <= years))

    def total(self, name: str) -> FloatArray:
        """Return a series over every park and the rest of the city, shape ``(D, Y)``."""
        total = self.by_park(name).sum(axis=2)
        if self.rest_of_city is not None and name in self.rest_of_city:
            total = total + self.rest_of_city[name][:, :, 0]
        return np.asarray(total, dtype=np.float64)

    def summary_frame(self, *, draw: int | Literal["mean"] = 0) -> pd.DataFrame:
        """Tidy table: one row per (year, park_id) plus ``park_id == "total"`` rows.

        Parameters
        ----------
        draw
            Which draw to report, or ``"mean"`` for the mean over draws.

        Returns
        -------
        pandas.DataFrame
            Columns ``year, park_id`` and one column per :data:`PARK_SERIES` key; with
            ``[rest_of_city]`` also ``park_id == "rest_of_city"`` rows, and the total is
            parks plus the rest of the city.
        """
        names = PARK_SERIES if self.park_series is not None else SERIES
        return _summary(
            self.years, self.park_ids, names, self.by_park, self.rest_of_city, draw=draw
        )

    def quarterly_frame(self, *, draw: int = 0) -> pd.DataFrame:
        """Like :meth:`summary_frame`, one row per quarter: ``period`` (``2016Q3``) first.

        The Q4 rows of stocks equal the year-end rows of :meth:`summary_frame`; flows are
        the quarter's own (a year's four quarters sum to its row).
        """
        if self.quarterly is None:
            raise ValueError("this result has no quarterly series")
        quarterly = self.quarterly
        periods = np.array([f"{int(y)}Q{q}" for y in self.years for q in range(1, 5)], dtype=object)
        frame = _summary(
            np.arange(periods.size),
            self.park_ids,
            PARK_SERIES,
            lambda name: quarterly[name],
            self.rest_of_city_quarterly,
            draw=draw,
        )
        frame.insert(0, "period", periods[frame.pop("year").to_numpy()])
        return frame

    def parcel_frame(self, *, draw: int = 0) -> pd.DataFrame:
        """Per-parcel outcome at the horizon for one draw.

        Returns
        -------
        pandas.DataFrame
            Columns ``parcel_id, park_id, capacity_m2, release_year, start_year,
            completion_year, floor_m2, status`` (floor completed at the horizon; years
            as nullable integers, empty where not reached).
        """
        parks = np.array(self.park_ids, dtype=object)[self.parcel_park]
        frame = pd.DataFrame(
            {
                "parcel_id": self.parcel_ids.astype(object),
                "park_id": parks,
                "capacity_m2": self.capacity_m2,
                "release_year": pd.array(_nullable_years(self.release_year[draw])),
                "start_year": pd.array(_nullable_years(self.start_year[draw])),
                "completion_year": pd.array(_nullable_years(self.completion_year[draw])),
                "floor_m2": self.series["floor_completed_m2"][draw, -1],
                "status": _STATUS_NAMES[self.status[draw, -1]],
            }
        )
        return frame


def _summary(
    years: npt.NDArray[np.int64],
    park_ids: tuple[str, ...],
    names: Mapping[str, str],
    per_park: Callable[[str], FloatArray],
    rest: dict[str, FloatArray] | None,
    *,
    draw: int | Literal["mean"],
) -> pd.DataFrame:
    """Tabulate per-park series ``(D, Y, K)``, the rest of the city and the total."""
    ids = park_ids if rest is None else (*park_ids, REST_OF_CITY)
    columns = {}
    for name in names:
        values = per_park(name)
        if rest is not None:
            extra = rest.get(name, np.zeros((*values.shape[:2], 1)))
            values = np.concatenate(
                [values, np.broadcast_to(extra, (*values.shape[:2], 1))], axis=2
            )
        values = values.mean(axis=0) if draw == "mean" else values[draw]
        columns[name] = np.concatenate([values, values.sum(axis=1, keepdims=True)], axis=1)
    if "floor_vacant_m2" in columns:
        completed = columns["floor_completed_m2"]
        with np.errstate(divide="ignore", invalid="ignore"):
            columns["vacancy_rate"] = np.where(
                completed > 0, columns["floor_vacant_m2"] / completed, np.nan
            )
    return park_year_frame(years, ids, columns)


def _nullable_years(values: FloatArray) -> pd.arrays.IntegerArray:
    mask = np.isnan(values)
    filled = np.where(mask, 0, values).astype(np.int64)
    return pd.arrays.IntegerArray(filled, mask)


#: Percentiles reported for Monte Carlo runs.
PERCENTILES = (10, 50, 90)


@dataclass(frozen=True, eq=False)
class Ensemble:
    """Per-park outcome of a Monte Carlo run: every draw, no per-parcel detail.

    Attributes
    ----------
    scenario_name
        Name of the scenario.
    years
        Simulated years ``(Y,)``.
    park_ids
        Park ids, index ``k`` of the last axis.
    series
        The :data:`PARK_SERIES` keys, each ``(D, Y, K)``.
    seed
        The seed the draws were sampled with.
    rest_of_city
        :data:`REST_SERIES` of the city outside the parks, each ``(D, Y, 1)``, or None.
    """

    scenario_name: str
    years: IntArray
    park_ids: tuple[str, ...]
    series: dict[str, FloatArray]
    seed: int
    rest_of_city: dict[str, FloatArray] | None = None

    @property
    def draws(self) -> int:
        """Number of draws."""
        return int(next(iter(self.series.values())).shape[0])

    def by_park(self, name: str) -> FloatArray:
        """Return a series per park, ``(D, Y, K)`` (as :meth:`Result.by_park`)."""
        return self.series[name]

    def total(self, name: str) -> FloatArray:
        """Return a series over every park and the rest of the city, ``(D, Y)``."""
        total = self.series[name].sum(axis=2)
        if self.rest_of_city is not None and name in self.rest_of_city:
            total = total + self.rest_of_city[name][:, :, 0]
        return np.asarray(total, dtype=np.float64)

    def percentile_frame(self, percentiles: tuple[int, ...] = PERCENTILES) -> pd.DataFrame:
        """Percentiles over draws per (year, park_id) plus ``total`` rows.

        Parameters
        ----------
        percentiles
            Which percentiles, e.g. ``(10, 50, 90)``.

        Returns
        -------
        pandas.DataFrame
            Columns ``year, park_id`` and ``<series>_p<q>`` for each series and
            percentile, rows in the order of :meth:`Result.summary_frame`.
        """
        rest = self.rest_of_city
        ids = self.park_ids if rest is None else (*self.park_ids, REST_OF_CITY)
        columns = {}
        for name in self.series:
            values = self.series[name]
            if rest is not None:
                # The rest of the city may not vary (a draw axis of 1): broadcast it.
                extra = np.broadcast_to(
                    rest.get(name, np.zeros((1, values.shape[1], 1))), (*values.shape[:2], 1)
                )
                values = np.concatenate([values, extra], axis=2)
            with_total = np.concatenate([values, values.sum(axis=2, keepdims=True)], axis=2)
            levels = np.percentile(with_total, percentiles, axis=0)  # (q, Y, K+1)
            for q, level in zip(percentiles, levels, strict=True):
                columns[f"{name}_p{q}"] = level
        return park_year_frame(self.years, ids, columns)
