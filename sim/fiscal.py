"""The fiscal ledger: what the policy costs and what comes back, per year and park.

``(Scenario, Result, Ensemble) ──compute_fiscal──▶ Fiscal`` — a layer over a run's
results (it reads per-park series and per-parcel sales, never the engine):

- the firms of each park (:mod:`sim.firms`), from occupied floor and revenue;
- **outlays**, one item per ``[[incentives]]`` entry (:func:`incentive_claims` gives
  what it would pay, :func:`apply_caps` what its caps let through);
- **local tax**, one item per tax name of ``[[fiscal.tax]]`` (:func:`tax_items`): the
  revenue taxed × the line's burden × its local share × the share of each year inside
  its dates (:func:`year_fraction`), so a regime change mid-year splits the year pro
  rata;
- **land**: 出让金 (land sold × the park's land price) less the development cost of the
  land sold (``[fiscal.land]``); a ``land_concession`` incentive books the revenue
  forgone on land sold below its market price.

Every value is CNY from the city's budget, signed: revenue positive, outlays and costs
negative, so a year's items sum to its net. The :class:`Ledger` holds them as
``(D, Y, K, I)`` and derives outlays, tax, land, net, cumulative net, the payback year
and the subsidy per job created and per m² of floor occupied since the base year; with
an ensemble the same ledger is computed for every draw (P10/P50/P90).
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import pandas as pd

from sim.firms import FirmCounts, FirmPopulation, ParkFirms, simulate_firms
from sim.metrics import Metric
from sim.result import PERCENTILES, TOTAL, sum_by_park
from sim.scenario.fiscal import (
    EquityInjection,
    InterestSubsidy,
    LandConcession,
    MilestoneAward,
    OneOffAward,
    Procurement,
    ProjectGrant,
    RentSubsidy,
    TraineeGrant,
)

if TYPE_CHECKING:
    from sim.result import Ensemble, Result
    from sim.scenario import Scenario
    from sim.scenario.fiscal import FiscalSpec, Incentive, TaxLine

__all__ = [
    "Fiscal",
    "Ledger",
    "LedgerInputs",
    "LedgerItem",
    "apply_caps",
    "compute_fiscal",
    "fiscal_ledger",
    "incentive_claims",
    "land_sold_from_result",
    "milestone_crossings",
    "payback_year",
    "tax_items",
    "year_fraction",
]

FloatArray = npt.NDArray[np.float64]
#: Draws whose firms are simulated together in an ensemble (fixed, so results do not
#: depend on the run's chunk size).
_FIRM_CHUNK = 256
#: Groups of ledger items, in the order they are tabulated.
GROUPS = ("outlay", "tax", "land")


@dataclass(frozen=True)
class LedgerItem:
    """One line of the ledger.

    Attributes
    ----------
    name
        The incentive's name, the tax's name, ``land_sale`` or ``land_development``.
    kind
        The incentive kind (``milestone_award`` …), ``tax`` or ``land``.
    group
        ``outlay``, ``tax`` or ``land``.
    basis
        ``cash`` (money paid or received) or ``forgone`` (revenue not collected).
    section, source
        Where it comes from (the policy's section, the citation).
    """

    name: str
    kind: str
    group: str
    basis: str
    section: str = ""
    source: str = ""


@dataclass(frozen=True)
class Ledger:
    """The fiscal ledger of a run, every draw.

    Attributes
    ----------
    years, park_ids
        Year axis ``(Y,)`` and parks ``K``.
    items
        The ledger's lines, index ``i`` of the last axis of ``values``.
    values
        ``(D, Y, K, I)`` CNY, signed from the city's budget (revenue +, outlays −).
    jobs_created, occupied_gained
        ``(D, Y, K)``: workers and occupied floor (m²) above the base year's.
    """

    years: npt.NDArray[np.int64]
    park_ids: tuple[str, ...]
    items: tuple[LedgerItem, ...]
    values: FloatArray
    jobs_created: FloatArray
    occupied_gained: FloatArray

    @property
    def draws(self) -> int:
        """Number of draws."""
        return int(self.values.shape[0])

    def group(self, name: str) -> FloatArray:
        """Sum a group's items, with a total column, ``(D, Y, K + 1)``."""
        mask = np.array([item.group == name for item in self.items], dtype=bool)
        summed = self.values[..., mask].sum(axis=3)
        return _with_total(summed)

    def item(self, index: int) -> FloatArray:
        """One item, with a total column, ``(D, Y, K + 1)``."""
        return _with_total(self.values[..., index])

    def outlays(self) -> FloatArray:
        """Outlays as a positive cost, ``(D, Y, K + 1)``."""
        return -self.group("outlay")

    def net(self) -> FloatArray:
        """Tax + land − outlays, ``(D, Y, K + 1)`` (every item summed)."""
        return _with_total(self.values.sum(axis=3))

    def cumulative_net(self) -> FloatArray:
        """Net summed from the base year, ``(D, Y, K + 1)``."""
        return np.cumsum(self.net(), axis=1)

    def payback(self) -> FloatArray:
        """Payback year per draw and park (NaN: not by the horizon), ``(D, K + 1)``."""
        return payback_year(self.cumulative_net(), self.years)

    def subsidy_per_job(self) -> FloatArray:
        """Cumulative outlays ÷ jobs created since the base year, ``(D, Y, K + 1)``.

        NaN where fewer than one job was created.
        """
        return _ratio(np.cumsum(self.outlays(), axis=1), _with_total(self.jobs_created))

    def subsidy_per_m2(self) -> FloatArray:
        """Cumulative outlays ÷ floor occupied since the base year, ``(D, Y, K + 1)``."""
        return _ratio(np.cumsum(self.outlays(), axis=1), _with_total(self.occupied_gained))

    def frame(self, *, draw: int = 0) -> pd.DataFrame:
        """Tidy table of one draw: ``year, park_id, item, kind, value_cny, basis``.

        Item rows first (every item, every park and ``total``), then summary rows of
        kind ``summary``: ``outlays, tax, land, net, cumulative_net`` (CNY, basis
        ``cash``), ``subsidy_per_job`` (basis ``CNY/job``) and
        ``subsidy_per_m2_occupied`` (basis ``CNY/m2``). The item rows of a (year, park)
        sum to its ``net``.
        """
        return _tidy(self, lambda values: values[draw])

    def percentile_frame(self, percentiles: tuple[int, ...] = PERCENTILES) -> pd.DataFrame:
        """Like :meth:`frame` with ``value_cny_p<q>`` columns over the draws."""
        out = _tidy(self, lambda values: values[0]).drop(columns=["value_cny", "basis"])
        basis = _tidy(self, lambda values: values[0])["basis"]
        for q in percentiles:
            level = _tidy(self, lambda values, q=q: _nan_percentile(values, q))["value_cny"]
            out[f"value_cny_p{q}"] = level.to_numpy()
        out["basis"] = basis.to_numpy()
        return out

    def payback_frame(self) -> pd.DataFrame:
        """Tabulate the payback year per park and ``total``.

        The first draw's year and, with more draws, P10/P50/P90 and the share of draws
        paid back by the horizon.

        Columns ``park_id, payback_year`` and, with draws, ``payback_year_p10/_p50/_p90,
        probability_paid_back``; a draw not paid back counts as after the horizon
        (percentiles there are empty); percentiles of years are the nearest draw's.
        """
        years = self.payback()
        ids = [*self.park_ids, TOTAL]
        out = pd.DataFrame({"park_id": ids, "payback_year": pd.array(_int_or_na(years[0]))})
        if self.draws > 1:
            late = np.where(np.isnan(years), np.inf, years)
            for q in PERCENTILES:
                level = np.percentile(late, q, axis=0, method="nearest")
                out[f"payback_year_p{q}"] = pd.array(
                    _int_or_na(np.where(np.isinf(level), np.nan, level))
                )
            out["probability_paid_back"] = np.isfinite(late).mean(axis=0)
        return out


@dataclass(frozen=True)
class Fiscal:
    """The fiscal side of a run.

    Attributes
    ----------
    ledger
        The deterministic run's ledger (one draw).
    firms
        The deterministic run's firms (None without ``[firms]``).
    counts
        Its firm counts above every threshold the targets and awards name.
    ensemble
        The ledger of every Monte Carlo draw, or None.
    ensemble_counts
        The firm counts of every draw, or None.
    table
        ``fiscal.csv``: :meth:`Ledger.frame` of the deterministic run, with
        ``value_cny_p10/_p50/_p90`` over the draws after ``basis`` when there are draws.
    payback
        ``fiscal_payback.csv``: :meth:`Ledger.payback_frame` (of the draws when there are
        any, the deterministic ``payback_year`` first).
    """

    ledger: Ledger
    firms: FirmPopulation | None
    counts: FirmCounts | None
    ensemble: Ledger | None = None
    ensemble_counts: FirmCounts | None = None
    table: pd.DataFrame | None = None
    payback: pd.DataFrame | None = None


def _with_total(values: FloatArray) -> FloatArray:
    return np.concatenate([values, values.sum(axis=2, keepdims=True)], axis=2)


def _ratio(top: FloatArray, bottom: FloatArray) -> FloatArray:
    """``top ÷ bottom`` where at least one job or m² was gained, else NaN."""
    out = np.full(np.broadcast_shapes(top.shape, bottom.shape), np.nan)
    np.divide(top, bottom, out=out, where=bottom >= 1.0)
    return out


def _nan_percentile(values: FloatArray, q: int) -> FloatArray:
    """Percentile over draws, ignoring NaN (an all-NaN cell stays NaN, quietly)."""
    if np.isfinite(values).all():
        return np.asarray(np.percentile(values, q, axis=0), dtype=np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.asarray(np.nanpercentile(values, q, axis=0), dtype=np.float64)


def _int_or_na(values: FloatArray) -> pd.arrays.IntegerArray:
    mask = np.isnan(values)
    return pd.arrays.IntegerArray(np.where(mask, 0, values).astype(np.int64), mask)


def year_fraction(
    years: npt.ArrayLike, start: dt.date | None = None, end: dt.date | None = None
) -> FloatArray:
    """Share of each calendar year inside ``[start, end)`` (by days).

    Parameters
    ----------
    years
        Calendar years ``(Y,)``.
    start, end
        First day in force and first day no longer in force (None: open).

    Returns
    -------
    numpy.ndarray
        ``(Y,)`` in [0, 1].

    Examples
    --------
    >>> year_fraction([2012, 2013, 2014], dt.date(2013, 8, 1)).round(4).tolist()
    [0.0, 0.4192, 1.0]
    >>> year_fraction([2013], end=dt.date(2013, 8, 1)).round(4).tolist()
    [0.5808]
    """
    out = []
    for year in np.asarray(years, dtype=np.int64).tolist():  # years, a handful
        first, last = dt.date(year, 1, 1), dt.date(year + 1, 1, 1)
        lo = max(first, start) if start is not None else first
        hi = min(last, end) if end is not None else last
        out.append(max((hi - lo).days, 0) / (last - first).days)
    return np.array(out, dtype=np.float64)


def apply_caps(
    claims: FloatArray,
    *,
    cap_per_year: float | None = None,
    cap_per_park: float | None = None,
    cap_total: float | None = None,
) -> FloatArray:
    """Return what caps let through of yearly claims ``(D, Y, K)``.

    In order: each park's payment in a year is at most ``cap_per_year``; a park's
    cumulative payments at most ``cap_per_park``; all parks' cumulative payments at
    most ``cap_total``, the parks sharing a year's room in proportion to their claims.

    Examples
    --------
    >>> claims = np.array([[[3.0, 1.0], [3.0, 1.0], [3.0, 1.0]]])
    >>> apply_caps(claims, cap_per_year=2.0, cap_per_park=5.0)[0].tolist()
    [[2.0, 1.0], [2.0, 1.0], [1.0, 1.0]]
    >>> apply_caps(claims, cap_total=6.0)[0].tolist()
    [[3.0, 1.0], [1.5, 0.5], [0.0, 0.0]]
    """
    paid = np.asarray(claims, dtype=np.float64)
    if cap_per_year is not None:
        paid = np.minimum(paid, cap_per_year)
    if cap_per_park is not None:
        cumulative = np.minimum(np.cumsum(paid, axis=1), cap_per_park)
        paid = np.diff(cumulative, axis=1, prepend=0.0)
    if cap_total is not None:
        yearly = paid.sum(axis=2)
        room = np.diff(np.minimum(np.cumsum(yearly, axis=1), cap_total), axis=1, prepend=0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = np.where(yearly > 0, room / yearly, 0.0)
        paid = paid * scale[:, :, None]
    return np.asarray(paid, dtype=np.float64)


def payback_year(cumulative_net: FloatArray, years: npt.ArrayLike) -> FloatArray:
    """First year from which the cumulative net stays ≥ 0 to the horizon.

    Parameters
    ----------
    cumulative_net
        ``(D, Y, K)``.
    years
        ``(Y,)``.

    Returns
    -------
    numpy.ndarray
        ``(D, K)``: the year, or NaN where the cumulative net is negative at the
        horizon. A ledger never in deficit pays back in its first year.

    Examples
    --------
    >>> cum = np.cumsum(np.array([[-5.0, -3.0, 2.0, 4.0, 3.0]]), axis=1)[:, :, None]
    >>> payback_year(cum, [2012, 2013, 2014, 2015, 2016]).tolist()
    [[2016.0]]
    """
    years = np.asarray(years, dtype=np.float64)
    negative = cumulative_net < 0
    # The last year in deficit: payback is the year after it.
    any_negative = negative.any(axis=1)
    last_negative = negative.shape[1] - 1 - np.argmax(negative[:, ::-1, :], axis=1)
    after = np.minimum(last_negative + 1, years.size - 1)
    out = np.where(any_negative, years[after], years[0])
    return np.asarray(np.where(negative[:, -1, :], np.nan, out), dtype=np.float64)


def milestone_crossings(firms: ParkFirms, thresholds: Sequence[float]) -> FloatArray:
    """Firms reaching each revenue threshold for the first time, per year.

    A firm crosses a threshold in a year when its revenue reaches it and no earlier
    year of the same firm did; base-year revenue is where firms start (the base year
    has no crossings). A firm crossing two thresholds in one year counts for both.

    Returns
    -------
    numpy.ndarray
        ``(D, Y, J)`` counts for the ``J`` thresholds.

    Examples
    --------
    >>> from sim.firms import ParkFirms
    >>> firms = ParkFirms(alive=np.ones((1, 3, 1), bool), born=np.full((1, 3, 1), -1000, np.int16),
    ...                   revenue=np.array([[[1.0], [12.0], [12.0]]]), anchor=np.zeros(1, bool))
    >>> milestone_crossings(firms, [5.0, 10.0, 20.0])[0].tolist()
    [[0.0, 0.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 0.0]]
    """
    n_draws, n_years = firms.revenue.shape[:2]
    out = np.zeros((n_draws, n_years, len(thresholds)))
    best = np.where(firms.alive[:, 0], firms.revenue[:, 0], 0.0)
    levels = np.asarray(thresholds, dtype=np.float64)
    for t in range(1, n_years):  # years, never firms or draws
        revenue = np.where(firms.alive[:, t], firms.revenue[:, t], 0.0)
        prior = np.where(firms.born[:, t] == t, 0.0, best)
        crossed = (revenue[:, :, None] >= levels) & (prior[:, :, None] < levels)
        out[:, t] = crossed.sum(axis=1)
        best = np.maximum(prior, revenue)
    return out


def _split(amount: FloatArray, weights: FloatArray, eligible: npt.NDArray[np.bool_]) -> FloatArray:
    """Share a city-wide yearly amount ``(Y,)`` between eligible parks by ``weights``."""
    w = np.where(eligible[None, None, :], np.maximum(weights, 0.0), 0.0)
    total = w.sum(axis=2, keepdims=True)
    n = max(int(eligible.sum()), 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(total > 0, w / total, np.where(eligible, 1.0 / n, 0.0)[None, None, :])
    return np.asarray(amount[None, :, None] * share, dtype=np.float64)


@dataclass(frozen=True)
class LedgerInputs:
    """What the ledger reads of a run, per park ``(D, Y, K)``.

    Made from a Result or an Ensemble by :func:`compute_fiscal` (or by hand in tests):
    revenue (floor-driven plus other), other revenue, occupied floor, workers and other
    workers, land sold (m² of land), and the land price ``(D or 1, K)`` (CNY/m²).
    """

    years: npt.NDArray[np.int64]
    park_ids: tuple[str, ...]
    revenue: FloatArray
    other_revenue: FloatArray
    occupied: FloatArray
    workers: FloatArray
    workers_other: FloatArray
    land_sold_m2: FloatArray
    land_price: FloatArray  # (D or 1, K)


def incentive_claims(
    incentive: Incentive,
    run: LedgerInputs,
    firms: FirmPopulation | None,
    m2_per_firm: float,
) -> FloatArray:
    """Return what an incentive would pay each year and park before its caps, ``(D, Y, K)``.

    - ``milestone_award``: Σ amount × firms first reaching each threshold, in any year
      the incentive touches; ``rent_subsidy``: rate × ``m2_per_firm`` × alive entrants in
      their first ``years``; ``interest_subsidy``: loan × rate × share a year;
      ``equity_injection``: the amount in the year of ``start``; ``land_concession``:
      land sold × share × (market price − land price);
    - city-wide programmes (``one_off_award``, ``project_grant``, ``trainee_grant``,
      ``procurement``): the yearly amount (per project or institution capped), split
      between the eligible parks by their revenue that year (equally without revenue).

    Yearly amounts are paid for the share of each year in ``[start, end)``. The caps
    every incentive may have are :func:`apply_caps`'s.

    Raises
    ------
    ValueError
        For an award or rent subsidy without firms.
    """
    shape = run.revenue.shape
    active = year_fraction(run.years, incentive.start, incentive.end)
    eligible = np.array(
        [not incentive.parks or p in incentive.parks for p in run.park_ids], dtype=bool
    )
    claims: FloatArray
    if isinstance(incentive, MilestoneAward | RentSubsidy):
        if firms is None:
            raise ValueError(
                f"incentive {incentive.name!r} ({incentive.kind}) needs a [firms] table"
            )
        claims = _firm_claims(incentive, firms, m2_per_firm, active)
    elif isinstance(incentive, InterestSubsidy):
        per_park = incentive.loan * incentive.rate * incentive.share
        claims = np.broadcast_to(per_park * active[None, :, None], shape)
    elif isinstance(incentive, EquityInjection):
        start = incentive.start.year if incentive.start is not None else int(run.years[0])
        once = (run.years == start).astype(np.float64)[None, :, None] * incentive.amount
        claims = np.broadcast_to(once, shape)
    elif isinstance(incentive, LandConcession):
        gap = np.maximum(incentive.market_price - run.land_price, 0.0)[:, None, :]
        claims = run.land_sold_m2 * incentive.share * gap * active[None, :, None]
    else:
        claims = _split(_city_amount(incentive) * active, run.revenue, eligible)
    return np.asarray(np.where(eligible[None, None, :], claims, 0.0), dtype=np.float64)


def _firm_claims(
    incentive: MilestoneAward | RentSubsidy,
    firms: FirmPopulation,
    m2_per_firm: float,
    active: FloatArray,
) -> FloatArray:
    """Awards on crossing revenue thresholds, or rent support of young entrants."""
    if isinstance(incentive, MilestoneAward):
        counts = np.stack(
            [milestone_crossings(park, incentive.thresholds) for park in firms.parks], axis=2
        )  # (D, Y, K, J)
        awards = (counts * np.asarray(incentive.amounts)).sum(axis=3)
        return np.asarray(awards * (active > 0)[None, :, None], dtype=np.float64)
    young = [
        (park.alive & (park.born >= 0) & (_ages(park) < incentive.years)).sum(axis=2)
        for park in firms.parks
    ]
    rent = np.stack(young, axis=2) * m2_per_firm * incentive.rate * active[None, :, None]
    return np.asarray(rent, dtype=np.float64)


def _city_amount(
    incentive: OneOffAward | ProjectGrant | TraineeGrant | Procurement,
) -> float:
    """Return the yearly amount of a city-wide programme (awards, grants, procurement)."""
    if isinstance(incentive, OneOffAward):
        return incentive.amount * incentive.recipients_per_year
    if isinstance(incentive, ProjectGrant):
        each = incentive.share * incentive.project_cost
        if incentive.cap_per_project is not None:
            each = min(each, incentive.cap_per_project)
        return each * incentive.projects_per_year
    if isinstance(incentive, TraineeGrant):
        each = incentive.per_trainee * incentive.trainees_per_institution
        if incentive.cap_per_institution is not None:
            each = min(each, incentive.cap_per_institution)
        return each * incentive.institutions
    return incentive.contract_value_per_year * incentive.share


def _ages(park: ParkFirms) -> npt.NDArray[np.int64]:
    years = np.arange(park.born.shape[1], dtype=np.int64)[None, :, None]
    return np.asarray(years - park.born.astype(np.int64))


def tax_items(
    lines: Sequence[TaxLine],
    run: LedgerInputs,
    firms: FirmPopulation | None,
    *,
    tax_base: str,
    tax_other_revenue: bool,
) -> dict[str, FloatArray]:
    """Local tax per tax name, ``(D, Y, K)`` CNY (lines of one name add up).

    Revenue taxed: each park's revenue (less its other revenue unless
    ``tax_other_revenue``), above the base year's with ``tax_base = "increment"``.
    A line's tax = revenue taxed × ``revenue_share`` × min(``rate × base_share``,
    ``max_burden``) × ``local_share`` × its share of the year; a profit tax with a
    ``holiday`` is reduced by ``holiday_share`` of new firms' revenue times ``1 −``
    the holiday multiplier of their age (firms need ``[firms]``; without, no holiday).
    """
    taxed = run.revenue if tax_other_revenue else run.revenue - run.other_revenue
    if tax_base == "increment":
        taxed = np.maximum(taxed - taxed[:, :1], 0.0)
    out: dict[str, FloatArray] = {}
    for line in lines:
        burden = line.rate * line.base_share
        if line.max_burden is not None:
            burden = min(burden, line.max_burden)
        scale = line.revenue_share * burden * line.local_share
        active = year_fraction(run.years, line.start, line.end)[None, :, None]
        tax = taxed * scale * active
        if line.holiday and line.holiday_share > 0 and firms is not None:
            relief = np.stack([_holiday_revenue(park, line.holiday) for park in firms.parks], 2)
            tax = np.maximum(tax - relief * scale * line.holiday_share * active, 0.0)
        out[line.name] = out.get(line.name, 0.0) + tax
    return out


def _holiday_revenue(park: ParkFirms, holiday: Sequence[float]) -> FloatArray:
    """Sum new firms' revenue × (1 − holiday multiplier at their age), ``(D, Y)``."""
    ages = _ages(park)
    table = np.asarray([*holiday, 1.0], dtype=np.float64)
    index = np.clip(ages, 0, len(holiday))
    relief = np.where(park.alive & (park.born >= 0), 1.0 - table[index], 0.0)
    return np.asarray((relief * park.revenue).sum(axis=2), dtype=np.float64)


def fiscal_ledger(scenario: Scenario, run: LedgerInputs, firms: FirmPopulation | None) -> Ledger:
    """Book a run's outlays, local tax and land in a ledger, ``(D, Y, K, I)``.

    Parameters
    ----------
    scenario
        Its ``[[incentives]]``, ``[fiscal]`` and ``[firms]``.
    run
        The run's per-park series.
    firms
        The run's firms (None without ``[firms]``).

    Returns
    -------
    Ledger
    """
    items: list[LedgerItem] = []
    columns: list[FloatArray] = []
    m2_per_firm = scenario.firms.m2_per_firm if scenario.firms is not None else 1.0
    for incentive in scenario.incentives:
        paid = apply_caps(
            incentive_claims(incentive, run, firms, m2_per_firm),
            cap_per_year=incentive.cap_per_year,
            cap_per_park=incentive.cap_per_park,
            cap_total=incentive.cap_total,
        )
        basis = "forgone" if incentive.kind == "land_concession" else "cash"
        items.append(
            LedgerItem(incentive.name, incentive.kind, "outlay", basis, incentive.section,
                       incentive.source)
        )  # fmt: skip
        columns.append(-paid)
    spec: FiscalSpec | None = scenario.fiscal
    if spec is not None:
        sources = {line.name: line.source for line in spec.tax}
        taxes = tax_items(
            spec.tax, run, firms, tax_base=spec.tax_base, tax_other_revenue=spec.tax_other_revenue
        )
        for name, values in taxes.items():
            items.append(LedgerItem(name, "tax", "tax", "cash", "", sources[name]))
            columns.append(values)
        if spec.land is not None:
            sale = run.land_sold_m2 * run.land_price[:, None, :]
            cost = run.land_sold_m2 * spec.land.development_cost
            items.append(LedgerItem("land_sale", "land", "land", "cash", "", spec.land.source))
            items.append(
                LedgerItem("land_development", "land", "land", "cash", "", spec.land.source)
            )
            columns += [np.broadcast_to(sale, run.revenue.shape), -cost]
    shape = run.revenue.shape
    values = (
        np.stack([np.broadcast_to(c, shape) for c in columns], axis=3)
        if columns
        else np.zeros((*shape, 0))
    )
    own = (
        run.workers
        if scenario.fiscal is None or scenario.fiscal.tax_other_revenue
        else (run.workers - run.workers_other)
    )
    return Ledger(
        years=run.years,
        park_ids=run.park_ids,
        items=tuple(items),
        values=np.asarray(values, dtype=np.float64),
        jobs_created=own - own[:, :1],
        occupied_gained=run.occupied - run.occupied[:, :1],
    )


def land_sold_from_result(result: Result) -> FloatArray:
    """Land sold in each year per park, m² of land, ``(D, Y, K)``.

    A parcel is sold in the year its land is first held at a year end (``floor_sold_m2
    > 0``); land taken back and sold again is sold (and paid for) again.
    """

    def compute() -> FloatArray:
        held = result.series["floor_sold_m2"] > 0
        new = held & ~np.concatenate([np.zeros_like(held[:, :1]), held[:, :-1]], axis=1)
        return sum_by_park(new * result.area_m2, result.parcel_park, len(result.park_ids))

    return result.derived("fiscal/land_sold_m2", compute)


def _land_per_floor(result: Result) -> FloatArray:
    """m² of land per m² of floor newly sold, per year and park, deterministic run, ``(Y, K)``.

    Years in which a park sold nothing take the park's ratio over all its sales (or, with
    none, its parcels' area ÷ capacity).
    """
    n_parks = len(result.park_ids)
    land = land_sold_from_result(result)[0]  # (Y, K)
    floor = np.maximum(np.diff(result.by_park("floor_sold_m2")[0], axis=0, prepend=0.0), 0.0)
    area = np.asarray(
        np.bincount(result.parcel_park, weights=result.area_m2, minlength=n_parks), np.float64
    )
    capacity = np.asarray(
        np.bincount(result.parcel_park, weights=result.capacity_m2, minlength=n_parks),
        np.float64,
    )
    overall = _ratio(land.sum(axis=0), floor.sum(axis=0))
    fallback = np.where(np.isnan(overall), _ratio(area, capacity), overall)
    yearly = _ratio(land, floor)
    return np.asarray(
        np.where(np.isnan(yearly), np.nan_to_num(fallback)[None, :], yearly), dtype=np.float64
    )


def _run_from(
    source: Result | Ensemble | _Slice, land_sold_m2: FloatArray, land_price: FloatArray
) -> LedgerInputs:
    return LedgerInputs(
        years=np.asarray(source.years),
        park_ids=tuple(source.park_ids),
        revenue=source.by_park("revenue_cny"),
        other_revenue=source.by_park("revenue_other_cny"),
        occupied=source.by_park("floor_occupied_m2"),
        workers=source.by_park("workers_persons"),
        workers_other=source.by_park("workers_other_persons"),
        land_sold_m2=land_sold_m2,
        land_price=land_price,
    )


def _thresholds(scenario: Scenario) -> list[float]:
    levels = {0.0}
    for target in scenario.targets:
        if target.metric is Metric.FIRMS:
            levels.add(float(target.threshold or 0.0))
    return sorted(levels)


def _firms_of(scenario: Scenario, run: LedgerInputs, seed: int) -> FirmPopulation | None:
    if scenario.firms is None:
        return None
    return simulate_firms(
        run.years,
        run.park_ids,
        occupied_m2=run.occupied,
        revenue=run.revenue,
        other_revenue=run.other_revenue,
        spec=scenario.firms,
        seed=seed,
    )


def compute_fiscal(scenario: Scenario, result: Result, ensemble: Ensemble | None = None) -> Fiscal:
    """Firms and the fiscal ledger of a run, deterministic and over the draws.

    Parameters
    ----------
    scenario
        The scenario (``[firms]``, ``[[incentives]]``, ``[fiscal]``).
    result
        The deterministic run.
    ensemble
        The Monte Carlo run, or None. Its land sold is its floor newly sold × the
        deterministic run's land per floor newly sold in the same park and year (an
        ensemble keeps no parcels); its land prices are the deterministic ones. Firms
        are simulated in fixed chunks of draws from the ensemble's seed.

    Returns
    -------
    Fiscal
    """
    land_price = result.parameters["land_price"][:1]
    run = _run_from(result, land_sold_from_result(result), land_price)
    seed = scenario.scenario.seed
    firms = _firms_of(scenario, run, seed)
    ledger = fiscal_ledger(scenario, run, firms)
    thresholds = _thresholds(scenario)
    counts = firms.counts(thresholds) if firms is not None else None
    if ensemble is None:
        return Fiscal(
            ledger=ledger,
            firms=firms,
            counts=counts,
            table=ledger.frame(),
            payback=ledger.payback_frame(),
        )
    sold = ensemble.by_park("floor_sold_m2")
    land = np.maximum(np.diff(sold, axis=1, prepend=0.0), 0.0) * _land_per_floor(result)
    ledgers, chunk_counts = [], []
    for start in range(0, ensemble.draws, _FIRM_CHUNK):  # chunks of draws, for memory
        stop = min(start + _FIRM_CHUNK, ensemble.draws)
        part = _run_from(_Slice(ensemble, start, stop), land[start:stop], land_price)
        part_firms = _firms_of(scenario, part, ensemble.seed + start)
        ledgers.append(fiscal_ledger(scenario, part, part_firms))
        if part_firms is not None:
            chunk_counts.append(part_firms.counts(thresholds))
    joined = Ledger(
        years=ledger.years,
        park_ids=ledger.park_ids,
        items=ledger.items,
        values=np.concatenate([p.values for p in ledgers], axis=0),
        jobs_created=np.concatenate([p.jobs_created for p in ledgers], axis=0),
        occupied_gained=np.concatenate([p.occupied_gained for p in ledgers], axis=0),
    )
    ens_counts = None
    if chunk_counts:
        ens_counts = FirmCounts(
            years=ledger.years,
            park_ids=ledger.park_ids,
            values={
                t: np.concatenate([c.values[t] for c in chunk_counts], axis=0) for t in thresholds
            },
        )
    table = ledger.frame()
    spread = joined.percentile_frame()
    for q in PERCENTILES:
        table[f"value_cny_p{q}"] = spread[f"value_cny_p{q}"].to_numpy()
    payback = joined.payback_frame()
    payback["payback_year"] = ledger.payback_frame()["payback_year"].array
    return Fiscal(
        ledger=ledger,
        firms=firms,
        counts=counts,
        ensemble=joined,
        ensemble_counts=ens_counts,
        table=table,
        payback=payback,
    )


@dataclass(frozen=True)
class _Slice:
    """Draws ``start:stop`` of an ensemble, read as a run."""

    ensemble: Ensemble
    start: int
    stop: int

    @property
    def years(self) -> npt.NDArray[np.int64]:
        return self.ensemble.years

    @property
    def park_ids(self) -> tuple[str, ...]:
        return self.ensemble.park_ids

    def by_park(self, name: str) -> FloatArray:
        return self.ensemble.by_park(name)[self.start : self.stop]


def _tidy(ledger: Ledger, pick: object) -> pd.DataFrame:
    """Rows of the ledger's items and summaries, values reduced over draws by ``pick``."""
    reduce = pick  # a callable (D, Y, K+1) → (Y, K+1)
    assert callable(reduce)
    ids = [*ledger.park_ids, TOTAL]
    n_years, n_ids = ledger.years.size, len(ids)
    blocks: list[pd.DataFrame] = []

    def block(item: str, kind: str, basis: str, values: FloatArray) -> None:
        blocks.append(
            pd.DataFrame(
                {
                    "year": np.repeat(ledger.years, n_ids),
                    "park_id": np.tile(np.array(ids, dtype=object), n_years),
                    "item": item,
                    "kind": kind,
                    "value_cny": np.asarray(reduce(values)).reshape(-1),
                    "basis": basis,
                }
            )
        )

    for i, item in enumerate(ledger.items):
        block(item.name, item.kind, item.basis, ledger.item(i))
    block("outlays", "summary", "cash", -ledger.outlays())
    for group in ("tax", "land"):
        block(group, "summary", "cash", ledger.group(group))
    block("net", "summary", "cash", ledger.net())
    block("cumulative_net", "summary", "cash", ledger.cumulative_net())
    block("subsidy_per_job", "summary", "CNY/job", ledger.subsidy_per_job())
    block("subsidy_per_m2_occupied", "summary", "CNY/m2", ledger.subsidy_per_m2())
    return pd.concat(blocks, ignore_index=True)
