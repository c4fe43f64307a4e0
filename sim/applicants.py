"""Applicant projects and the admission gate: who gets land, with what pledges.

``(Scenario, Inputs, rng) ──admit──▶ Admission ──apply_admission──▶ Inputs``

Per park and year, applicant projects arrive (``[applicants]``, :class:`~sim.scenario.
Applicants`): as many as fill the park's take-up (the land developers would buy), or a
Poisson count. Each has a land area, a planned plot ratio, a pledged investment
intensity and a pledged revenue density (CNY per m² of land; base-year prices), drawn
jointly log-normal, and a kind. The gate (``[rules]`` thresholds) decides who gets land:

- ``none``: everyone (today's behaviour; the rules are reported only, the engine's
  inputs are left exactly as they were);
- ``per_project``: each pledge meets each threshold;
- ``park_average`` (the seed's 平均): each park and year, applicants in order of merit
  are admitted while the land-weighted average of the year's admitted projects (the
  park's year of land sales) still meets both thresholds; the first that would pull it
  below stops the year's admission.

Merit is ``min(log(inv / inv_median), log(rev / rev_median))`` (the weaker pledge against
the scenario's medians, so the first in line is strong on both), and the order never
depends on the thresholds (raising a threshold never admits more at a
park). A rejected applicant tries the parks of ``fallback[<its park>]`` in order, the
same year, and joins the year's cohort there; rejected by all, it leaves the city
(leakage).

The two seams to the engine (:func:`apply_admission`): the admitted land per park and
year becomes ``Inputs.take_up_m2`` (strict gates slow the sales), and because the
engine sells each park's queue in a fixed order, the k-th admitted applicant takes the
land from ``A_{k-1}`` to ``A_k`` along it, so each parcel's economics are known before
the engine runs: ``Inputs.parcel_revenue_per_m2`` (delivered revenue: pledged ×
shortfall, spread over the parcel's floor at the occupancy ceiling, so a parcel at
达产 yields its delivered revenue density per m² of land; the engine's occupancy ramp
is the ramp to 达产 and its revenue growth makes it nominal) and
``Inputs.parcel_investment_intensity``. A parcel shared by several applicants takes
their land-weighted average. The engine builds at the park's plot ratio; the planned
plot ratio sizes the applicants' planned floor in the report.

At 达产 (admission year + start lag + build time + occupancy ramp, whole years) the
投入产出监管协议 compares delivered with pledged revenue in base-year prices (the
nominal figure is reported beside it) and applies ``consequence``.

Vectorised over draws × applicants; Python loops run over years and fallback hops.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt
import pandas as pd

from sim.distributions import Distribution, point_value
from sim.errors import Problem, ScenarioError
from sim.inputs import Inputs
from sim.scenario import Applicants, Consequence, Gate, Scenario

__all__ = [
    "REASONS",
    "Admission",
    "admit",
    "apply_admission",
    "by_park_year",
    "gate_park_average",
    "gate_per_project",
    "table",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

#: Reason codes of :attr:`Admission.reason`.
REASONS = (
    "admitted",
    "investment_below_threshold",
    "revenue_below_threshold",
    "both_below_threshold",
    "would_lower_park_average",
)
_RTOL = 1e-12  # a pledge equal to its threshold meets it


def gate_per_project(
    investment: FloatArray, revenue: FloatArray, *, investment_min: float, revenue_min: float
) -> BoolArray:
    """Admit each project whose pledges both meet their thresholds.

    Parameters
    ----------
    investment, revenue
        Pledged investment intensity and revenue density (per m² of land).
    investment_min, revenue_min
        The thresholds, same units.

    Returns
    -------
    numpy.ndarray
        Admitted, bool, same shape.

    Examples
    --------
    >>> gate_per_project(np.array([5000.0, 3000.0]), np.array([2.5e4, 3e4]),
    ...                  investment_min=4000, revenue_min=2e4).tolist()
    [True, False]
    """
    inv_ok = investment >= investment_min * (1 - _RTOL)
    rev_ok = revenue >= revenue_min * (1 - _RTOL)
    return np.asarray(inv_ok & rev_ok, dtype=bool)


def gate_park_average(
    investment: FloatArray,
    revenue: FloatArray,
    land: FloatArray,
    merit: FloatArray,
    group: IntArray,
    *,
    investment_min: float,
    revenue_min: float,
    prior: tuple[FloatArray, FloatArray, FloatArray] | None = None,
) -> BoolArray:
    """Admit in order of merit while each group's land-weighted average meets both thresholds.

    Within each group (a park's year), applicants are taken by merit, highest first
    (ties in input order); each is admitted while the average investment and revenue
    per m² of the group's admitted land — its ``prior`` totals plus this one — still
    meet both thresholds. The first that fails stops the group.

    Parameters
    ----------
    investment, revenue
        Pledged intensity and density per m² of land ``(M,)``.
    land
        Land per applicant, m² ``(M,)``.
    merit
        Ranking, higher first ``(M,)``.
    group
        Group index ``(M,)``, 0 … G−1.
    investment_min, revenue_min
        The thresholds.
    prior
        Land, investment and revenue already admitted per group ``(G,)`` each (totals,
        not densities); default none.

    Returns
    -------
    numpy.ndarray
        Admitted, bool ``(M,)``.

    Examples
    --------
    One park, three applicants: the best (6000, 3e4) lifts the average so the weak
    second (3000, 2.5e4) passes on average; the third (2000, 1e4) would pull it below.

    >>> gate_park_average(np.array([6000.0, 3000.0, 2000.0]), np.array([3e4, 2.5e4, 1e4]),
    ...                   np.ones(3), np.array([3.0, 2.0, 1.0]), np.zeros(3, dtype=np.int64),
    ...                   investment_min=4000, revenue_min=2e4).tolist()
    [True, True, False]
    """
    n = investment.size
    if n == 0:
        return np.zeros(0, dtype=bool)
    order = np.lexsort((np.arange(n), -merit, group))
    g = group[order]
    land_s = land[order]
    inv_s = investment[order] * land_s
    rev_s = revenue[order] * land_s
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
    first = np.repeat(starts, np.diff(np.r_[starts, n]))  # each row's group start

    def within(values: FloatArray) -> FloatArray:
        total = np.cumsum(values)
        return total - (total[first] - values[first])

    cum_land, cum_inv, cum_rev = within(land_s), within(inv_s), within(rev_s)
    if prior is not None:
        cum_land = cum_land + prior[0][g]
        cum_inv = cum_inv + prior[1][g]
        cum_rev = cum_rev + prior[2][g]
    ok = (cum_inv >= investment_min * cum_land * (1 - _RTOL)) & (
        cum_rev >= revenue_min * cum_land * (1 - _RTOL)
    )
    failed = within((~ok).astype(float))
    admitted = np.empty(n, dtype=bool)
    admitted[order] = failed == 0
    return admitted


@dataclass(frozen=True)
class Admission:
    """Every applicant of a run, flat ``(M,)`` arrays in (draw, park, year, arrival) order.

    Attributes
    ----------
    park_ids, years, kinds
        Labels of the park, year and kind indices.
    draws
        Number of draws.
    gate
        The gate used.
    investment_min, revenue_min
        Its thresholds (CNY/m² of land; NaN with gate ``none`` and no rule).
    draw, park, year, kind
        Indices per applicant: its draw, home park, year of arrival (index into
        ``years``) and kind.
    land_m2, far, floor_m2
        Land, planned plot ratio, planned floor (land × plot ratio).
    investment_intensity, revenue_density
        Pledges, CNY per m² of land (a year's revenue), base-year prices.
    merit
        Ranking used by the ``park_average`` gate.
    admitted
        Admitted at some park.
    admitted_park
        Where (index), −1 if it left the city.
    hops
        Fallback parks tried after its own (0: admitted or rejected at home only).
    reason
        Index into :data:`REASONS` of the home park's verdict.
    land_start_m2, land_end_m2
        Its land along the admitting park's queue (NaN if not admitted).
    shortfall, delivered_density
        Delivered ÷ pledged revenue, and the delivered revenue density (base-year prices).
    daichan_year
        Year 达产 is due (admitted only; NaN otherwise).
    contract_met
        At 达产, delivered ≥ pledged × (1 − tolerance).
    penalty_cny, bought_back
        The consequence, where due by the horizon and not met.
    nominal_factor
        Price growth from the base year to 达产 (nominal = base-year price × it).
    take_up_m2
        Admitted land per draw, park and year ``(D, K, Y)``.
    """

    park_ids: tuple[str, ...]
    years: IntArray
    kinds: tuple[str, ...]
    draws: int
    gate: Gate
    investment_min: float
    revenue_min: float
    draw: IntArray
    park: IntArray
    year: IntArray
    kind: IntArray
    land_m2: FloatArray
    far: FloatArray
    floor_m2: FloatArray
    investment_intensity: FloatArray
    revenue_density: FloatArray
    merit: FloatArray
    admitted: BoolArray
    admitted_park: IntArray
    hops: IntArray
    reason: IntArray
    land_start_m2: FloatArray
    land_end_m2: FloatArray
    shortfall: FloatArray
    delivered_density: FloatArray
    daichan_year: FloatArray
    contract_met: BoolArray
    penalty_cny: FloatArray
    bought_back: BoolArray
    nominal_factor: FloatArray
    take_up_m2: FloatArray

    def admitted_floor_by(self, year: int) -> FloatArray:
        """Planned floor admitted up to ``year`` per draw ``(D,)``, m².

        Parameters
        ----------
        year
            Last year counted.

        Returns
        -------
        numpy.ndarray
        """
        mask = self.admitted & (self.years[self.year] <= year)
        floor = np.bincount(self.draw[mask], weights=self.floor_m2[mask], minlength=self.draws)
        return np.asarray(floor, dtype=float)


def _medians(
    value: float | Distribution, draws: int, rng: np.random.Generator | None
) -> FloatArray:
    if isinstance(value, Distribution) and rng is not None and draws > 1:
        return np.asarray(value.sample(rng, draws), dtype=float)
    return np.full(draws, point_value(value))


def _correlated(spec: Applicants, z: FloatArray) -> FloatArray:
    """Give standard normals ``(..., 3)`` (FAR, investment, revenue) the scenario's correlations."""
    f, rho = spec.far_correlation, spec.correlation
    corr = np.array([[1.0, f, f], [f, 1.0, rho], [f, rho, 1.0]])
    w, v = np.linalg.eigh(corr)
    root = v * np.sqrt(np.clip(w, 0.0, None))  # corr = root @ root.T, also when singular
    return np.asarray(z @ root.T, dtype=float)


def _budget(inputs: Inputs, draws: int) -> FloatArray:
    """Land the applicants of each draw, park and year fill ``(D, K, Y)``: the take-up."""
    shape = (draws, len(inputs.park_ids), inputs.years.size)
    take_up = np.broadcast_to(inputs.take_up_m2, shape)
    supply = np.broadcast_to(inputs.land_supply_m2, shape)
    budget = np.where(np.isfinite(take_up), take_up, supply)
    if not np.isfinite(budget).all():
        k = int(np.argwhere(~np.isfinite(budget))[0][1])
        raise ScenarioError(
            "applicants cannot be sized to an unlimited take-up",
            problems=[
                Problem(
                    "applicants.arrivals_per_year",
                    f"park {inputs.park_ids[k]!r} has unlimited take-up and land supply, so "
                    "arrivals sized to its take-up are unbounded; give arrivals_per_year or "
                    "a finite take_up_per_year",
                )
            ],
        )
    return np.asarray(budget, dtype=float)


def _arrivals(
    spec: Applicants, budget: FloatArray, rng: np.random.Generator
) -> tuple[IntArray, FloatArray]:
    """Arrivals of every cell of ``budget`` (flat): each one's cell and land, in order.

    With ``arrivals_per_year`` a Poisson count per cell; otherwise applicants arrive one
    position at a time in the cells whose land is not yet taken up, the last clipped to
    what is left, so only the arrivals that count are drawn (a park selling ten plots a
    year draws ten, not as many as the busiest park needs).

    Examples
    --------
    >>> from sim.scenario import Applicants
    >>> spec = Applicants(land_median="100 m2")
    >>> cell, land = _arrivals(spec, np.array([250.0, 0.0, 100.0]), np.random.default_rng(0))
    >>> cell.tolist(), land.tolist()
    ([0, 0, 0, 2], [100.0, 100.0, 50.0, 100.0])
    """
    if spec.arrivals_per_year > 0:
        counts = rng.poisson(spec.arrivals_per_year, budget.size)
        cell = np.repeat(np.arange(budget.size), counts)
        land = spec.land_median * np.exp(spec.land_sd_log * rng.standard_normal(cell.size))
        return cell.astype(np.int64), np.asarray(land, dtype=np.float64)
    taken = np.zeros(budget.size)
    open_ = np.flatnonzero(budget > 0)
    cells, lands = [], []
    while open_.size:  # one arrival position per pass, in the cells still open
        land = spec.land_median * np.exp(spec.land_sd_log * rng.standard_normal(open_.size))
        land = np.minimum(land, budget[open_] - taken[open_])
        taken[open_] += land
        cells.append(open_)
        lands.append(land)
        open_ = open_[taken[open_] < budget[open_] * (1 - 1e-12)]
    cell = np.concatenate(cells) if cells else np.zeros(0, dtype=np.int64)
    order = np.argsort(cell, kind="stable")  # by cell, arrival order kept
    land = np.concatenate(lands)[order] if lands else np.zeros(0)
    return cell[order].astype(np.int64), np.asarray(land, dtype=np.float64)


def _draw(
    spec: Applicants, budget: FloatArray, rng: np.random.Generator, stochastic: bool
) -> tuple[tuple[IntArray, IntArray, IntArray], dict[str, FloatArray]]:
    """Every arrival, flat ``(M,)`` in (draw, park, year, arrival) order, with its indices."""
    draws = budget.shape[0]
    cell, land = _arrivals(spec, budget.ravel(), rng)
    d_idx, k_idx, y_idx = (
        np.asarray(i, dtype=np.int64) for i in np.unravel_index(cell, budget.shape)
    )
    z = rng.standard_normal((cell.size, 4))
    zc = _correlated(spec, z[:, :3])
    names = tuple(spec.kinds) or ("project",)
    shares = np.array([k.share for k in spec.kinds.values()]) if spec.kinds else np.ones(1)
    kind = np.searchsorted(np.cumsum(shares) / shares.sum(), rng.random(cell.size), side="right")
    kind = np.minimum(kind, len(names) - 1)
    factors = {
        attr: np.array([getattr(k, attr) for k in spec.kinds.values()] or [1.0])[kind]
        for attr in ("far_factor", "investment_factor", "revenue_factor")
    }
    med_inv = _medians(spec.investment_intensity_median, draws, rng if stochastic else None)
    med_rev = _medians(spec.revenue_density_median, draws, rng if stochastic else None)
    med_short = _medians(spec.shortfall_median, draws, rng if stochastic else None)
    far = spec.far_median * factors["far_factor"] * np.exp(spec.far_sd_log * zc[:, 0])
    inv_log = spec.investment_intensity_sd_log * zc[:, 1]
    rev_log = spec.revenue_density_sd_log * zc[:, 2]
    inv = med_inv[d_idx] * factors["investment_factor"] * np.exp(inv_log)
    rev = med_rev[d_idx] * factors["revenue_factor"] * np.exp(rev_log)
    shortfall = med_short[d_idx] * np.exp(spec.shortfall_sd_log * z[:, 3])
    # Merit against the scenario's point medians: the same ranking in every draw.
    inv0 = max(point_value(spec.investment_intensity_median), 1e-300)
    rev0 = max(point_value(spec.revenue_density_median), 1e-300)
    merit = np.minimum(
        np.log(np.maximum(inv, 1e-300) / inv0), np.log(np.maximum(rev, 1e-300) / rev0)
    )
    drawn = {"land": land, "far": far, "inv": inv, "rev": rev, "shortfall": shortfall,
             "merit": merit, "kind": kind}  # fmt: skip
    return (d_idx, k_idx, y_idx), drawn


def admit(
    scenario: Scenario,
    inputs: Inputs,
    rng: np.random.Generator,
    *,
    draws: int | None = None,
) -> Admission:
    """Draw the applicants of every park and year and gate them.

    Parameters
    ----------
    scenario
        Its ``[applicants]`` and ``[rules]`` thresholds are used.
    inputs
        Engine inputs before admission (their take-up sizes the arrivals; with a draw
        axis, each draw's own).
    rng
        The generator (made from the seed and passed down).
    draws
        Draws to make (default ``inputs.draws``); with more than one, uncertain medians
        are sampled per draw.

    Returns
    -------
    Admission

    Raises
    ------
    ScenarioError
        If the scenario has no ``[applicants]``, a gate has no thresholds, a fallback
        names an unknown park, or arrivals are sized to an unlimited take-up.
    """
    spec = scenario.applicants
    if spec is None:
        raise ScenarioError(
            "no applicants", problems=[Problem("applicants", "add an [applicants] table")]
        )
    draws = inputs.draws if draws is None else draws
    park_ids = inputs.park_ids
    index = {p: k for k, p in enumerate(park_ids)}
    problems = [
        Problem(f"applicants.fallback.{home}", f"unknown park {p!r}; use one of {list(park_ids)}")
        for home, parks in spec.fallback.items()
        for p in (home, *parks)
        if p not in index
    ]
    rules = scenario.rules
    inv_min = _threshold(rules.investment_intensity_min)
    rev_min = _threshold(rules.revenue_density_min)
    if spec.gate is not Gate.NONE and not (np.isfinite(inv_min) and np.isfinite(rev_min)):
        problems.append(
            Problem(
                "rules.investment_intensity_min",
                f"gate {spec.gate.value!r} needs both thresholds; give [rules] "
                'investment_intensity_min (e.g. "4000 万元/ha") and revenue_density_min',
            )
        )
    if problems:
        raise ScenarioError(
            f"{len(problems)} problem(s) in [applicants]", source=scenario.path, problems=problems
        )
    budget = _budget(inputs, draws)
    (d_idx, k_idx, y_idx), flat = _draw(spec, budget, rng, stochastic=draws > 1)
    land, inv, rev, merit = flat["land"], flat["inv"], flat["rev"], flat["merit"]
    n_parks, n_years = len(park_ids), inputs.years.size
    m = land.size
    at = k_idx.copy()  # the park an applicant is at
    admitted = np.zeros(m, dtype=bool)
    hops = np.zeros(m, dtype=np.int64)
    gated = np.zeros(m, dtype=bool)  # rejected somewhere already (verdict recorded)
    reason = np.zeros(m, dtype=np.int64)
    fallback = np.full((n_parks, max([len(v) for v in spec.fallback.values()] or [0])), -1)
    for home, parks in spec.fallback.items():
        fallback[index[home], : len(parks)] = [index[p] for p in parks]
    if spec.gate is Gate.NONE:
        admitted[:] = True
    else:
        inv_bad = inv < inv_min * (1 - _RTOL)
        rev_bad = rev < rev_min * (1 - _RTOL)
        for y in range(n_years):
            totals = np.zeros((3, draws * n_parks))  # admitted land, investment, revenue
            candidates = y_idx == y
            for hop in range(fallback.shape[1] + 1):
                if not candidates.any():
                    break
                rows = np.flatnonzero(candidates)
                group = d_idx[rows] * n_parks + at[rows]
                ok = _gate(
                    spec.gate,
                    inv[rows],
                    rev[rows],
                    land[rows],
                    merit[rows],
                    group,
                    inv_min,
                    rev_min,
                    totals,
                )
                admitted[rows] = ok
                for t, weight in enumerate((np.ones(rows.size), inv[rows], rev[rows])):
                    totals[t] += np.bincount(
                        group[ok], weights=(land[rows] * weight)[ok], minlength=draws * n_parks
                    )
                first = rows[~ok & ~gated[rows]]
                reason[first] = np.where(
                    inv_bad[first] | rev_bad[first],
                    1 * inv_bad[first] + 2 * rev_bad[first],
                    4,
                )
                gated[rows[~ok]] = True
                if hop == fallback.shape[1]:
                    break
                rejected = rows[~ok]
                nxt = fallback[k_idx[rejected], hop]
                moving = rejected[nxt >= 0]
                at[moving] = nxt[nxt >= 0]
                hops[moving] = hop + 1
                candidates = np.zeros(m, dtype=bool)
                candidates[moving] = True
    return _finish(
        scenario,
        inputs,
        spec,
        flat,
        (d_idx, k_idx, y_idx),
        at,
        admitted,
        hops,
        reason,
        draws,
        inv_min,
        rev_min,
    )


def _threshold(value: float | None) -> float:
    return float("nan") if value is None else float(value)


def _gate(
    gate: Gate,
    inv: FloatArray,
    rev: FloatArray,
    land: FloatArray,
    merit: FloatArray,
    group: IntArray,
    inv_min: float,
    rev_min: float,
    totals: FloatArray,
) -> BoolArray:
    if gate is Gate.PER_PROJECT:
        return gate_per_project(inv, rev, investment_min=inv_min, revenue_min=rev_min)
    return gate_park_average(
        inv,
        rev,
        land,
        merit,
        group,
        investment_min=inv_min,
        revenue_min=rev_min,
        prior=(totals[0], totals[1], totals[2]),
    )


def _finish(
    scenario: Scenario,
    inputs: Inputs,
    spec: Applicants,
    flat: dict[str, FloatArray],
    idx: tuple[IntArray, IntArray, IntArray],
    at: IntArray,
    admitted: BoolArray,
    hops: IntArray,
    reason: IntArray,
    draws: int,
    inv_min: float,
    rev_min: float,
) -> Admission:
    """Queue positions, take-up, the 达产 check; assemble the :class:`Admission`."""
    d_idx, k_idx, y_idx = idx
    land, inv, rev, merit = flat["land"], flat["inv"], flat["rev"], flat["merit"]
    n_parks, n_years = len(inputs.park_ids), inputs.years.size
    final = np.where(admitted, at, -1)
    # Queue order among the admitted: by park, year, hop, merit (the gate's order).
    adm = np.flatnonzero(admitted)
    n_hops = int(hops.max(initial=0)) + 1
    cohort = ((d_idx[adm] * n_parks + final[adm]) * n_years + y_idx[adm]) * n_hops + hops[adm]
    key = np.lexsort((-merit[adm], cohort))
    rows = adm[key]
    group = d_idx[rows] * n_parks + final[rows]
    cum = np.cumsum(land[rows])
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]]) if rows.size else np.zeros(0)
    first = np.repeat(starts, np.diff(np.r_[starts, rows.size])).astype(np.int64)
    end = cum - (cum[first] - land[rows][first]) if rows.size else cum
    land_end = np.full(land.size, np.nan)
    land_end[rows] = end
    land_start = land_end - land
    cells = (d_idx[adm] * n_parks + final[adm]) * n_years + y_idx[adm]
    summed = np.bincount(cells, weights=land[adm], minlength=draws * n_parks * n_years)
    take_up: FloatArray = summed.astype(np.float64).reshape(draws, n_parks, n_years)
    # 达产: admission year + start lag + build time + occupancy ramp, whole years.
    park = {
        name: np.broadcast_to(inputs.park[name], (draws, n_parks))
        for name in ("start_lag_years", "duration_years", "occupancy_ramp_years", "revenue_growth")
    }
    k_at = np.maximum(final, 0)
    to_daichan = np.ceil(
        park["start_lag_years"][d_idx, k_at]
        + park["duration_years"][d_idx, k_at]
        + park["occupancy_ramp_years"][d_idx, k_at]
    )
    daichan = np.where(admitted, inputs.years[y_idx] + to_daichan, np.nan)
    shortfall = flat["shortfall"]
    delivered = rev * shortfall
    met = delivered >= rev * (1.0 - spec.tolerance) * (1 - _RTOL)
    due = admitted & (daichan <= inputs.years[-1])
    failing = due & ~met
    penalty = np.where(
        failing & (spec.consequence is Consequence.PENALTY),
        spec.penalty_share * (rev - delivered) * land,
        0.0,
    )
    growth = park["revenue_growth"][d_idx, k_at]
    nominal = np.where(admitted, (1.0 + growth) ** (daichan - inputs.years[0]), np.nan)
    return Admission(
        park_ids=inputs.park_ids,
        years=inputs.years,
        kinds=tuple(spec.kinds) or ("project",),
        draws=draws,
        gate=spec.gate,
        investment_min=inv_min,
        revenue_min=rev_min,
        draw=d_idx.astype(np.int64),
        park=k_idx.astype(np.int64),
        year=y_idx.astype(np.int64),
        kind=flat["kind"].astype(np.int64),
        land_m2=land,
        far=flat["far"],
        floor_m2=land * flat["far"],
        investment_intensity=inv,
        revenue_density=rev,
        merit=merit,
        admitted=admitted,
        admitted_park=final.astype(np.int64),
        hops=hops,
        reason=reason,
        land_start_m2=land_start,
        land_end_m2=land_end,
        shortfall=shortfall,
        delivered_density=delivered,
        daichan_year=daichan,
        contract_met=met,
        penalty_cny=penalty,
        bought_back=failing & (spec.consequence is Consequence.BUY_BACK),
        nominal_factor=nominal,
        take_up_m2=take_up,
    )


def apply_admission(inputs: Inputs, admission: Admission) -> Inputs:
    """Put the admitted applicants into the engine's inputs (the two seams).

    With gate ``none`` the inputs are returned unchanged. Otherwise the take-up becomes
    the admitted land per park and year, and each queued parcel gets the land-weighted
    economics of the applicants whose land covers it (NaN where none does: a parcel
    past the admitted land, or a committed one).

    Parameters
    ----------
    inputs
        Engine inputs before admission (with the admission's number of draws, or one).
    admission
        :func:`admit` of them.

    Returns
    -------
    Inputs
    """
    if admission.gate is Gate.NONE:
        return inputs
    draws, n_parks = admission.draws, len(inputs.park_ids)
    pk = inputs.parcel_park
    queued = inputs.committed_phases == 0
    order = np.lexsort((inputs.queue_rank, pk))
    order = order[queued[order]]
    cum = np.cumsum(inputs.area_m2[order])
    totals = np.bincount(pk[order], weights=inputs.area_m2[order], minlength=n_parks)
    before = np.r_[0.0, np.cumsum(totals)[:-1]]
    end = np.full(pk.size, np.nan)
    end[order] = cum - before[pk[order]]
    start = end - inputs.area_m2
    adm = admission.admitted
    group = admission.draw[adm] * n_parks + admission.admitted_park[adm]
    covered = np.asarray(
        np.bincount(group, weights=admission.land_m2[adm], minlength=draws * n_parks), dtype=float
    )
    span = 2.0 * max(float(np.nanmax(end, initial=0.0)), float(covered.max(initial=0.0))) + 1.0
    ceiling = np.broadcast_to(inputs.park["occupancy_ceiling"], (draws, n_parks))
    far = np.fmin(
        np.broadcast_to(inputs.park["plot_ratio"], (draws, n_parks))[:, pk], inputs.far_max
    )
    density, intensity = _spread(
        (admission.delivered_density[adm], admission.investment_intensity[adm]),
        admission,
        group,
        start,
        end,
        pk,
        covered,
        span,
        draws,
    )
    return replace(
        inputs,
        take_up_m2=admission.take_up_m2,
        parcel_revenue_per_m2=density / (far * ceiling[:, pk]),
        parcel_investment_intensity=intensity,
    )


def _spread(
    values: tuple[FloatArray, ...],
    admission: Admission,
    group: IntArray,
    start: FloatArray,
    end: FloatArray,
    pk: IntArray,
    covered: FloatArray,
    span: float,
    draws: int,
) -> list[FloatArray]:
    """Land-weighted averages of ``values`` over each parcel's stretch of queue, each ``(D, P)``."""
    adm = admission.admitted
    n_parks = len(admission.park_ids)
    # One axis for every (draw, park): x = (d·K + k)·span + position; F = ∫ value.
    order = np.argsort(group * span + admission.land_end_m2[adm], kind="stable")
    g, x_end = group[order], admission.land_end_m2[adm][order]
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]]) if g.size else np.zeros(0, np.int64)
    first = np.repeat(starts, np.diff(np.r_[starts, g.size])).astype(np.int64)
    groups = np.arange(draws * n_parks)
    knots_x = np.r_[groups * span, g * span + x_end]
    sort = np.argsort(knots_x, kind="stable")
    knots_x = knots_x[sort]
    # Queued parcels in queue order, so every draw's points come in increasing order
    # (numpy.interp is fast on sorted points); the others get NaN.
    cols = np.flatnonzero(np.isfinite(end))
    cols = cols[np.lexsort((end[cols], pk[cols]))]
    knots_f = []
    for value in values:
        weight = value[order] * admission.land_m2[adm][order]
        integral = np.cumsum(weight)
        integral = integral - (integral[first] - weight[first]) if g.size else integral
        knots_f.append(np.r_[np.zeros(groups.size), integral][sort])
    out = [np.full((draws, pk.size), np.nan) for _ in values]
    # Draws a few at a time: the temporaries stay small (and in cache) at any size.
    step = max(1, _CHUNK_ELEMENTS // max(cols.size, 1))
    for lo_d in range(0, draws, step):
        rows = slice(lo_d, min(lo_d + step, draws))
        cell = np.arange(lo_d, rows.stop)[:, None] * n_parks + pk[None, cols]  # (d, p)
        limit = covered[cell]
        inside = end[None, cols] <= limit * (1 + 1e-12) + 1e-6
        lo = np.clip(start[None, cols], 0.0, limit)
        hi = np.clip(end[None, cols], 0.0, limit)
        inside &= hi > lo
        x_hi, x_lo = cell * span + hi, cell * span + lo
        for f, full in zip(knots_f, out, strict=True):
            with np.errstate(invalid="ignore", divide="ignore"):
                mean = (np.interp(x_hi, knots_x, f) - np.interp(x_lo, knots_x, f)) / (hi - lo)
            full[rows, cols] = np.where(inside, mean, np.nan)
    return out


#: Elements per chunk of draws × parcels in :func:`_spread`.
_CHUNK_ELEMENTS = 1 << 18


def table(admission: Admission, *, draw: int = 0) -> pd.DataFrame:
    """One row per applicant of one draw: ``applicants.csv``.

    Parameters
    ----------
    admission
        From :func:`admit`.
    draw
        Which draw.

    Returns
    -------
    pandas.DataFrame
        ``park_id, year, applicant, kind, land_m2, far, floor_planned_m2,
        investment_intensity_wan_per_ha, revenue_density_yi_per_ha, merit, admitted,
        reason, outcome, admitted_park_id, queue_start_m2, queue_end_m2, shortfall,
        delivered_density_yi_per_ha, daichan_year, contract_met, penalty_cny,
        bought_back, delivered_density_nominal_yi_per_ha``; densities in base-year
        prices unless named nominal.
    """
    a = admission
    sel = a.draw == draw
    parks = np.array((*a.park_ids, ""), dtype=object)
    outcome = np.where(
        a.admitted[sel],
        np.where(a.hops[sel] > 0, "admitted_elsewhere", "admitted"),
        "left_city",
    )
    per_yi = 1e4  # CNY/m² per 亿元/ha
    due = a.admitted[sel] & (a.daichan_year[sel] <= a.years[-1])
    frame = pd.DataFrame(
        {
            "park_id": parks[a.park[sel]],
            "year": a.years[a.year[sel]],
            "applicant": np.arange(int(sel.sum())),
            "kind": np.array(a.kinds, dtype=object)[a.kind[sel]],
            "land_m2": a.land_m2[sel],
            "far": a.far[sel],
            "floor_planned_m2": a.floor_m2[sel],
            "investment_intensity_wan_per_ha": a.investment_intensity[sel],
            "revenue_density_yi_per_ha": a.revenue_density[sel] / per_yi,
            "merit": a.merit[sel],
            "admitted": a.admitted[sel],
            "reason": np.array(REASONS, dtype=object)[a.reason[sel]],
            "outcome": outcome,
            "admitted_park_id": parks[a.admitted_park[sel]],
            "queue_start_m2": a.land_start_m2[sel],
            "queue_end_m2": a.land_end_m2[sel],
            "shortfall": a.shortfall[sel],
            "delivered_density_yi_per_ha": a.delivered_density[sel] / per_yi,
            "daichan_year": a.daichan_year[sel],
            "contract_met": np.where(due, a.contract_met[sel], False),
            "contract_due": due,
            "penalty_cny": a.penalty_cny[sel],
            "bought_back": a.bought_back[sel],
            "delivered_density_nominal_yi_per_ha": a.delivered_density[sel]
            * a.nominal_factor[sel]
            / per_yi,
        }
    )
    if a.gate is Gate.NONE:
        frame["reason"] = "not_gated"
    return frame


def by_park_year(admission: Admission, *, draw: int = 0) -> pd.DataFrame:
    """Admitted, rejected and leaked applicants per park and year (one draw).

    Parameters
    ----------
    admission
        From :func:`admit`.
    draw
        Which draw.

    Returns
    -------
    pandas.DataFrame
        ``year, park_id, applicants, admitted, rejected, admitted_from_elsewhere,
        leaked, land_applied_m2, land_admitted_m2, land_rejected_m2, land_leaked_m2,
        floor_planned_admitted_m2, floor_planned_rejected_m2, floor_planned_leaked_m2``:
        ``applicants`` and
        ``rejected`` count the park's own arrivals (rejected at home), ``admitted``
        and the admitted land every project the park took (fallbacks included),
        ``leaked`` its own arrivals that left the city.
    """
    a = admission
    sel = a.draw == draw
    n_parks, n_years = len(a.park_ids), a.years.size
    home = a.year[sel] * n_parks + a.park[sel]
    took = a.admitted[sel]
    where = a.year[sel] * n_parks + np.maximum(a.admitted_park[sel], 0)
    rejected_home = ~took | (a.hops[sel] > 0)
    n = n_parks * n_years

    def count(cells: IntArray, mask: BoolArray, weights: FloatArray | None = None) -> FloatArray:
        w = None if weights is None else weights[mask]
        return np.bincount(cells[mask], weights=w, minlength=n).astype(float)

    land, floor = a.land_m2[sel], a.floor_m2[sel]
    frame = pd.DataFrame(
        {
            "year": np.repeat(a.years, n_parks),
            "park_id": np.tile(np.array(a.park_ids, dtype=object), n_years),
            "applicants": count(home, np.ones(home.size, dtype=bool)).astype(np.int64),
            "admitted": count(where, took).astype(np.int64),
            "rejected": count(home, rejected_home).astype(np.int64),
            "admitted_from_elsewhere": count(where, took & (a.hops[sel] > 0)).astype(np.int64),
            "leaked": count(home, ~took).astype(np.int64),
            "land_applied_m2": count(home, np.ones(home.size, dtype=bool), land),
            "land_admitted_m2": count(where, took, land),
            "land_rejected_m2": count(home, rejected_home, land),
            "land_leaked_m2": count(home, ~took, land),
            "floor_planned_admitted_m2": count(where, took, floor),
            "floor_planned_rejected_m2": count(home, rejected_home, floor),
            "floor_planned_leaked_m2": count(home, ~took, floor),
        }
    )
    return frame
