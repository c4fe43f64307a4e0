"""The firm population of each park: base-year firms, entrants, Gibrat growth, exits.

``(park series of a run, [firms]) ──simulate_firms──▶ FirmPopulation``. Everything is
vectorised over draws × firms: each park holds fixed-size arrays ``(D, Y, F)`` with an
alive mask, and an entrant takes the slot of a firm that has left.

The rules, year by year (``t`` = 0 is the base year):

1. **Base firms.** ``base[park]`` firms are alive in the base year; the first
   ``anchors[park]`` of them hold the park's other revenue (group revenue) and never
   exit. Log sizes are normal with sd ``size_sigma`` (sizes log-normal, median 1).
2. **Growth** (Gibrat's law). Each year every alive firm's log size grows by
   ``growth_drift + growth_sd·ε``, independent of its size.
3. **Exit.** Each non-anchor firm leaves with probability ``exit_rate``.
4. **Entry** (:func:`entrants_from_floor`). The park holds ``base`` firms plus one per
   ``m2_per_firm`` of occupied floor gained since the base year; entrants (new log
   sizes as in 1) fill the gap between that and the firms alive. Issue 12's admitted
   projects will supply tenants through this one function.
5. **Revenue.** The non-anchor firms share the park's floor-driven revenue (revenue less
   other revenue) in proportion to their sizes, so their revenues sum to it exactly
   each year; the anchors share the other revenue equally. (A park whose floor earns
   revenue but holds no tenant firm — base floor without base firms — leaves that
   revenue to no firm; so does other revenue without anchors.)

Randomness comes from one generator per park made from the seed and the park's index,
so the same seed gives the same firms. A leaf over numpy: it reads arrays, not the
engine.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from sim.scenario.fiscal import FirmsSpec

__all__ = [
    "BASE_BORN",
    "FirmCounts",
    "FirmPopulation",
    "ParkFirms",
    "entrants_from_floor",
    "simulate_firms",
    "simulate_park_firms",
]

FloatArray = npt.NDArray[np.float64]
#: ``born`` of a base-year firm: it entered before the simulation (never "new").
BASE_BORN = -1000


@dataclass(frozen=True)
class ParkFirms:
    """One park's firms, every draw and year.

    Attributes
    ----------
    alive
        ``(D, Y, F)``: whether slot ``f`` holds a firm at the end of year ``t``.
    born
        ``(D, Y, F)`` int16: year index the firm in the slot entered (:data:`BASE_BORN`
        for base-year firms).
    revenue
        ``(D, Y, F)``: the firm's revenue in the year, CNY (0 where no firm).
    anchor
        ``(F,)``: whether the slot is an anchor (holds the park's other revenue).
    """

    alive: npt.NDArray[np.bool_]
    born: npt.NDArray[np.int16]
    revenue: FloatArray
    anchor: npt.NDArray[np.bool_]

    def count(self, threshold: float = 0.0) -> FloatArray:
        """Firms alive with revenue ≥ ``threshold`` (any revenue when 0), ``(D, Y)``."""
        above = self.alive if threshold <= 0 else self.alive & (self.revenue >= threshold)
        return np.asarray(above.sum(axis=2), dtype=np.float64)

    def new(self) -> npt.NDArray[np.bool_]:
        """Whether each slot holds a firm that entered in that very year, ``(D, Y, F)``."""
        years = np.arange(self.born.shape[1], dtype=np.int16)[None, :, None]
        return np.asarray(self.alive & (self.born == years))


@dataclass(frozen=True)
class FirmPopulation:
    """Every park's firms: :class:`ParkFirms` in the order of ``park_ids``."""

    years: npt.NDArray[np.int64]
    park_ids: tuple[str, ...]
    parks: tuple[ParkFirms, ...]

    @property
    def draws(self) -> int:
        """Number of draws."""
        return int(self.parks[0].alive.shape[0]) if self.parks else 0

    def counts(self, thresholds: Sequence[float]) -> FirmCounts:
        """Firm counts above each threshold, per park (:class:`FirmCounts`)."""
        values = {
            float(t): np.stack([park.count(t) for park in self.parks], axis=2) for t in thresholds
        }
        return FirmCounts(years=self.years, park_ids=self.park_ids, values=values)


@dataclass(frozen=True)
class FirmCounts:
    """Firms with revenue at or above each threshold, per draw, year and park.

    ``values[threshold]`` is ``(D, Y, K)``; threshold 0 counts every firm.
    """

    years: npt.NDArray[np.int64]
    park_ids: tuple[str, ...]
    values: Mapping[float, FloatArray]

    def by_park(self, threshold: float | None) -> FloatArray:
        """Return the counts per park, ``(D, Y, K)``."""
        return self.values[float(threshold or 0.0)]

    def total(self, threshold: float | None) -> FloatArray:
        """Return the counts over every park, ``(D, Y)``."""
        return np.asarray(self.by_park(threshold).sum(axis=2), dtype=np.float64)


def entrants_from_floor(
    occupied_m2: FloatArray, *, base_firms: int, m2_per_firm: float
) -> npt.NDArray[np.int64]:
    """Firms a park holds each year: base firms plus one per ``m2_per_firm`` gained.

    Parameters
    ----------
    occupied_m2
        The park's occupied floor, ``(D, Y)``; year 0 is the base year.
    base_firms
        Firms in the base year.
    m2_per_firm
        Occupied floor per tenant firm.

    Returns
    -------
    numpy.ndarray
        ``(D, Y)`` whole numbers of firms: ``base_firms`` + floor gained ÷
        ``m2_per_firm`` rounded half up, at least one more than ``base_firms`` where any
        floor was gained (so its revenue has a tenant); floor lost below the base year's
        removes no base firm.

    Examples
    --------
    >>> occupied = np.array([[1000.0, 2600.0, 900.0, 1100.0]])
    >>> entrants_from_floor(occupied, base_firms=3, m2_per_firm=800.0)
    array([[3, 5, 3, 4]])
    """
    gained = np.maximum(occupied_m2 - occupied_m2[:, :1], 0.0)
    tenants = np.floor(gained / m2_per_firm + 0.5)
    tenants = np.where(gained > 0, np.maximum(tenants, 1.0), tenants)
    return np.asarray(base_firms + tenants, dtype=np.int64)


def simulate_park_firms(
    occupied_m2: FloatArray,
    floor_revenue: FloatArray,
    other_revenue: FloatArray,
    spec: FirmsSpec,
    *,
    base_firms: int,
    anchors: int,
    rng: np.random.Generator,
) -> ParkFirms:
    """Simulate one park's firms in every draw (the rules of the module docstring).

    Parameters
    ----------
    occupied_m2, floor_revenue, other_revenue
        The park's occupied floor, floor-driven revenue and other revenue, ``(D, Y)``.
    spec
        The ``[firms]`` table (sizes, growth, exits, floor per firm).
    base_firms, anchors
        The park's firms in the base year, and how many of them are anchors.
    rng
        The park's generator.

    Returns
    -------
    ParkFirms

    Examples
    --------
    >>> from sim.scenario.fiscal import FirmsSpec
    >>> spec = FirmsSpec(m2_per_firm="1000 m2", size_sigma=0.5, exit_rate=0.1, source="s")
    >>> occ = np.array([[0.0, 3000.0, 5000.0]])
    >>> firms = simulate_park_firms(occ, np.array([[0.0, 3e6, 5e6]]), np.zeros((1, 3)), spec,
    ...                             base_firms=2, anchors=0, rng=np.random.default_rng(1))
    >>> firms.count().tolist()
    [[2.0, 5.0, 7.0]]
    >>> bool(np.allclose(firms.revenue.sum(axis=2), [[0.0, 3e6, 5e6]]))
    True
    """
    n_draws, n_years = occupied_m2.shape
    wanted = entrants_from_floor(occupied_m2, base_firms=base_firms, m2_per_firm=spec.m2_per_firm)
    n_slots = max(int(wanted.max(initial=0)), base_firms, 1)
    anchor = np.arange(n_slots) < anchors
    log_size = rng.normal(0.0, spec.size_sigma, size=(n_draws, n_slots))
    alive_now = np.broadcast_to(np.arange(n_slots) < base_firms, (n_draws, n_slots)).copy()
    born_now = np.full((n_draws, n_slots), BASE_BORN, dtype=np.int16)
    alive = np.zeros((n_draws, n_years, n_slots), dtype=bool)
    born = np.full((n_draws, n_years, n_slots), BASE_BORN, dtype=np.int16)
    sizes = np.zeros((n_draws, n_years, n_slots))
    for t in range(n_years):  # years, never draws or firms
        if t > 0:
            shocks = rng.normal(size=(n_draws, n_slots))
            log_size += spec.growth_drift + spec.growth_sd * shocks
            leaves = (rng.random((n_draws, n_slots)) < spec.exit_rate) & ~anchor
            alive_now &= ~leaves
            gap = np.maximum(wanted[:, t] - alive_now.sum(axis=1), 0)
            free = ~alive_now
            enter = free & (np.cumsum(free, axis=1) <= gap[:, None])
            fresh = rng.normal(0.0, spec.size_sigma, size=(n_draws, n_slots))
            log_size = np.where(enter, fresh, log_size)
            born_now = np.where(enter, np.int16(t), born_now).astype(np.int16)
            alive_now |= enter
        alive[:, t] = alive_now
        born[:, t] = born_now
        sizes[:, t] = np.where(alive_now, np.exp(log_size), 0.0)
    return ParkFirms(
        alive=alive,
        born=born,
        revenue=_revenues(sizes, anchor, alive, floor_revenue, other_revenue),
        anchor=anchor,
    )


def _revenues(
    sizes: FloatArray,
    anchor: npt.NDArray[np.bool_],
    alive: npt.NDArray[np.bool_],
    floor_revenue: FloatArray,
    other_revenue: FloatArray,
) -> FloatArray:
    """Floor revenue by size among tenants; other revenue equally among anchors."""
    tenants = np.where(anchor, 0.0, sizes)
    weight = tenants.sum(axis=2, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(weight > 0, tenants / weight, 0.0)
    n_anchors = int(anchor.sum())
    out = share * floor_revenue[:, :, None]
    if n_anchors:
        out = out + np.where(anchor & alive, other_revenue[:, :, None] / n_anchors, 0.0)
    return np.asarray(out, dtype=np.float64)


def simulate_firms(
    years: npt.NDArray[np.int64],
    park_ids: Sequence[str],
    *,
    occupied_m2: FloatArray,
    revenue: FloatArray,
    other_revenue: FloatArray,
    spec: FirmsSpec,
    seed: int,
) -> FirmPopulation:
    """Simulate every park's firms from a run's park series.

    Parameters
    ----------
    years, park_ids
        The run's year axis and parks.
    occupied_m2, revenue, other_revenue
        Per park ``(D, Y, K)``: occupied floor, revenue (floor-driven plus other) and
        other revenue (:data:`sim.result.PARK_SERIES`).
    spec
        The ``[firms]`` table.
    seed
        Seed of the firms' generators (one per park, from ``[seed, k]``).

    Returns
    -------
    FirmPopulation
    """
    parks = []
    for k, park in enumerate(park_ids):  # parks, never parcels
        parks.append(
            simulate_park_firms(
                occupied_m2[:, :, k],
                np.maximum(revenue[:, :, k] - other_revenue[:, :, k], 0.0),
                other_revenue[:, :, k],
                spec,
                base_firms=spec.base.get(park, 0),
                anchors=spec.anchors.get(park, 0),
                rng=np.random.default_rng([seed, k]),
            )
        )
    return FirmPopulation(years=np.asarray(years), park_ids=tuple(park_ids), parks=tuple(parks))
