"""Demand from the economy: the policy's own chain from city revenue to occupied floor.

``[demand]`` (:class:`~sim.scenario.schema.DemandChain`) ──chain_demand──▶ each park's
net absorption per year ``(D, K, Y)``, used instead of the parks' ``demand_per_year``::

    floor demanded(y) = parks_share × m2_per_worker ×
        city_revenue × (1 + g)^(y − base + 1) × (1 − non_floor_share)
        ÷ (revenue_per_worker × (1 + g_w)^(y − base + 1))

read at the end of year ``y`` (the base year's revenue is the rate at its start); a
park's absorption in a year is its share of the growth of that floor over the year,
never below zero (occupied floor does not fall).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from sim.distributions import point_value
from sim.inputs import Allocation

if TYPE_CHECKING:
    from sim.scenario import DemandChain

__all__ = ["chain_allocation", "chain_demand", "floor_demanded"]

FloatArray = npt.NDArray[np.float64]


def floor_demanded(
    *,
    city_revenue: float,
    city_revenue_growth: npt.ArrayLike,
    non_floor_share: float,
    revenue_per_worker: float,
    revenue_per_worker_growth: float,
    m2_per_worker: float,
    parks_share: float,
    years_after: npt.ArrayLike,
) -> FloatArray:
    """Compute the parks' occupied floor the economy needs ``years_after`` on, ``(D, T)``.

    Parameters
    ----------
    city_revenue, city_revenue_growth
        The city's revenue (CNY/yr) at the start of the base year and its yearly growth
        ``(D,)`` (one value or one per draw).
    non_floor_share
        Share of revenue no floor drives (embedded software of manufacturers).
    revenue_per_worker, revenue_per_worker_growth
        Revenue per worker at the start of the base year and its yearly growth.
    m2_per_worker
        Occupied floor per worker.
    parks_share
        Share of the city's floor-driven firms in the parks.
    years_after
        Years after the start of the base year ``(T,)``.

    Examples
    --------
    395亿 growing 40 %, half of it embedded, 65万 per worker growing 8.6 %, 38 m² a
    worker, all in the parks — at the end of the base year:

    >>> floor_demanded(city_revenue=395e8, city_revenue_growth=0.4, non_floor_share=0.5,
    ...     revenue_per_worker=65e4, revenue_per_worker_growth=0.086, m2_per_worker=38.0,
    ...     parks_share=1.0, years_after=[1.0]).round(-3).tolist()
    [[1488000.0]]
    """
    growth = np.atleast_1d(np.asarray(city_revenue_growth, dtype=float))[:, None]
    t = np.asarray(years_after, dtype=float)[None, :]
    revenue = city_revenue * (1.0 + growth) ** t * (1.0 - non_floor_share)
    workers = revenue / (revenue_per_worker * (1.0 + revenue_per_worker_growth) ** t)
    return np.asarray(parks_share * m2_per_worker * workers, dtype=np.float64)


def _absorption(chain: DemandChain, n_years: int, growth: npt.ArrayLike | None) -> FloatArray:
    """Compute the parks' net absorption per year ``(D, Y)``, never below zero."""
    g = point_value(chain.city_revenue_growth) if growth is None else growth
    floor = floor_demanded(
        city_revenue=chain.city_revenue,
        city_revenue_growth=g,
        non_floor_share=chain.non_floor_share,
        revenue_per_worker=chain.revenue_per_worker,
        revenue_per_worker_growth=chain.revenue_per_worker_growth,
        m2_per_worker=chain.m2_per_worker,
        parks_share=chain.parks_share,
        years_after=np.arange(n_years + 1, dtype=float),
    )  # (D, Y + 1): at the start of the base year and at each year end
    return np.asarray(np.maximum(np.diff(floor, axis=1), 0.0), dtype=np.float64)


def chain_allocation(
    chain: DemandChain,
    park_ids: Sequence[str],
    n_years: int,
    *,
    growth: npt.ArrayLike | None = None,
) -> Allocation | None:
    """Lay out the chain's demand to share out by a logit (``allocation = "logit"``).

    Parameters
    ----------
    chain, park_ids, n_years, growth
        As for :func:`chain_demand`.

    Returns
    -------
    Allocation or None
        None with fixed shares; else the parks' yearly absorption ``(D, Y)``, each
        park's attractiveness (NaN for a park left out: one the table does not name
        when it names some) and the room weight.
    """
    if chain.allocation != "logit":
        return None
    named = chain.attractiveness
    attractiveness = np.array(
        [float(named.get(p, np.nan if named else 0.0)) for p in park_ids], dtype=float
    )
    return Allocation(
        pool_m2=_absorption(chain, n_years, growth),
        attractiveness=attractiveness,
        room_weight=float(chain.room_weight),
    )


def chain_demand(
    chain: DemandChain,
    park_ids: Sequence[str],
    n_years: int,
    *,
    growth: npt.ArrayLike | None = None,
) -> FloatArray:
    """Each park's net absorption per year from a ``[demand]`` chain, ``(D, K, Y)``.

    Parameters
    ----------
    chain
        The scenario's :class:`~sim.scenario.schema.DemandChain`.
    park_ids
        The parks, in the order of the inputs.
    n_years
        Simulated years.
    growth
        The city's revenue growth per draw ``(D,)``; default the chain's point value.
    """
    if chain.allocation == "logit":  # the parks' demand is the city's, shared out by a logit
        return np.zeros((1, len(park_ids), n_years))
    absorption = _absorption(chain, n_years, growth)
    shares = np.array([float(chain.shares.get(p, 0.0)) for p in park_ids])
    return np.asarray(absorption[:, None, :] * shares[None, :, None], dtype=np.float64)
