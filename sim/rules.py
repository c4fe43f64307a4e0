"""Rules a parcel must keep: admission thresholds, land-use control indicators, idle land.

``(Result, Rules, ParcelRules) ──evaluate_rules──▶ RuleTables``: per-parcel and
per-park tables, computed once with numpy over the ``(draw, year, parcel)`` arrays of
a :class:`~sim.result.Result` (which carries the parcels' areas and the parameters
the run used); :func:`bind_rules` first lays the scenario's ``[rules]`` out over a
site's parcels. The only Python loops are over the handful of land uses and parks,
never over parcels.

**Admission rules** (the scenario's ``[rules]``; Qingdao: investment intensity ≥ 4,000
万元/ha and business revenue ≥ 2 亿元/ha):

- *investment intensity* = (land + construction + fit-out investment) ÷ parcel area,
  in 万元/ha (numerically CNY/m²). At completion: ``area × land_price + capacity ×
  (construction_cost + fitout_cost)`` with the park's parameters; year by year: the
  investment to date, ``investment_before_base_cny`` plus the cumulative sum of the
  ``investment_cny`` series (equal to the completion figure once the last phase is done).
- *revenue density* = yearly business revenue ÷ parcel area, in 亿元/ha (CNY/m² ÷
  10⁴). At maturity: ``capacity × occupancy_ceiling × revenue_per_m2`` **in base-year
  prices** (no revenue growth: the design figure a land contract can be judged on);
  year by year: the ``revenue_cny`` series, which ramps up with occupancy and grows
  with ``revenue_growth``.
- a value meets a rule when it is at least the threshold (relative slack 10⁻⁹, so
  a parcel exactly at the threshold meets it despite rounding); the *margin* is the
  value minus the threshold, in the rule's unit.
- *park averages*, as the policy words the rules ("average over admitted projects"):
  Σ investment to date ÷ Σ area and Σ revenue ÷ Σ area over the parcels admitted —
  started — by each year.

**Control indicators** (工业项目建设用地控制指标, 2008): plot ratio ≥ a minimum per
``land_use``, building coefficient ≥ 30 %, administrative/living facilities ≤ 7 % and
greening ≤ 20 % of the land. A parcel's plot ratio is its capacity ÷ area; its layout
shares come from the parcels layer or, where absent, the scenario's ``[rules]``.

**Idle land** (闲置土地, 闲置土地处置办法 2012): sold land not started is idle from
``idle_after_years`` (1) after its *contracted* start and may be reclaimed from
``reclaim_after_years`` (2) after it. The quarterly engine flags it quarter by quarter
(docs/MODEL.md) and the tables here read its year-end flags (``Result.idle``,
``Result.reclaimable``); :func:`idle_masks` is the yearly rule for a Result without
them (counted from the release year).
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from sim.errors import Problem, ScenarioError
from sim.result import Result, Status, park_year_frame, sum_by_park

if TYPE_CHECKING:
    from sim.scenario import Rules, Scenario
    from sim.site import Site

__all__ = [
    "WILDCARD",
    "Compliance",
    "ParcelRules",
    "RuleTables",
    "admission",
    "bind_rules",
    "compliance_by_year",
    "compliance_classes",
    "control_indicators",
    "evaluate_rules",
    "first_year",
    "idle_by_parcel",
    "idle_land",
    "idle_masks",
    "investment_at_completion",
    "investment_to_date",
    "meets",
    "park_admission_by_year",
    "result_idle_masks",
    "revenue_at_maturity",
    "thresholds",
]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: Key of ``[rules.plot_ratio_min]`` that covers every land use not listed.
WILDCARD = "*"
#: CNY/m² per 亿元/ha (1 亿元/ha = 10⁸ CNY ÷ 10⁴ m²); CNY/m² equals 万元/ha.
CNY_PER_M2_PER_YI_PER_HA = 1e4
#: Relative slack of every threshold comparison: a value exactly at it meets it.
RTOL = 1e-9


class Compliance(enum.IntEnum):
    """A parcel's standing against the two admission rules in one year."""

    NOT_BUILT = 0
    FAILS_BOTH = 1
    REVENUE_ONLY = 2
    INVESTMENT_ONLY = 3
    COMPLIES = 4

    @property
    def label_en(self) -> str:
        """English label for legends."""
        return {
            Compliance.NOT_BUILT: "not yet built",
            Compliance.FAILS_BOTH: "fails both rules",
            Compliance.REVENUE_ONLY: "meets revenue only",
            Compliance.INVESTMENT_ONLY: "meets investment only",
            Compliance.COMPLIES: "meets both rules",
        }[self]

    @property
    def label_zh(self) -> str:
        """Chinese label for legends."""
        return {
            Compliance.NOT_BUILT: "尚未建成",
            Compliance.FAILS_BOTH: "两项均未达标",
            Compliance.REVENUE_ONLY: "仅收入达标",
            Compliance.INVESTMENT_ONLY: "仅投资强度达标",
            Compliance.COMPLIES: "两项均达标",
        }[self]


# --- pure array functions -------------------------------------------------------------


def thresholds(rules: Rules) -> tuple[float, float]:
    """Return the admission thresholds in 万元/ha and 亿元/ha; NaN where not assessed.

    Parameters
    ----------
    rules
        The scenario's ``[rules]``.

    Returns
    -------
    tuple of float
        ``(investment_min, revenue_min)``.

    Examples
    --------
    >>> from sim.scenario import Rules
    >>> thresholds(Rules(investment_intensity_min="4000 万元/ha", revenue_density_min="2 亿元/ha"))
    (4000.0, 2.0)
    >>> thresholds(Rules())
    (nan, nan)
    """
    inv, rev = rules.investment_intensity_min, rules.revenue_density_min
    return (
        math.nan if inv is None else float(inv),
        math.nan if rev is None else float(rev) / CNY_PER_M2_PER_YI_PER_HA,
    )


def _flags(values: FloatArray, threshold: float) -> pd.arrays.BooleanArray:
    """``meets`` as a nullable column: empty where the rule is not assessed (NaN threshold)."""
    flat = np.asarray(values, dtype=float)
    return pd.arrays.BooleanArray(
        meets(flat, threshold).reshape(-1), np.full(flat.size, math.isnan(threshold))
    )


def meets(value: npt.ArrayLike, threshold: float, *, rule: str = "min") -> BoolArray:
    """Whether values meet a threshold, with a relative slack of :data:`RTOL`.

    Parameters
    ----------
    value
        Values in the threshold's unit.
    threshold
        The limit.
    rule
        ``"min"`` (value ≥ threshold) or ``"max"`` (value ≤ threshold).

    Returns
    -------
    numpy.ndarray
        Boolean, False where ``value`` is NaN.

    Examples
    --------
    >>> meets([3999.0, 4000.0, 4000.0 * (1 - 1e-12)], 4000.0).tolist()
    [False, True, True]
    >>> meets([0.07, 0.08], 0.07, rule="max").tolist()
    [True, False]
    """
    values = np.asarray(value, dtype=np.float64)
    slack = RTOL * abs(threshold)
    if rule == "min":
        return np.asarray(values >= threshold - slack)
    if rule == "max":
        return np.asarray(values <= threshold + slack)
    raise ValueError(f"rule must be 'min' or 'max'; got {rule!r}")


def investment_at_completion(
    area_m2: npt.ArrayLike,
    capacity_m2: npt.ArrayLike,
    *,
    land_price: npt.ArrayLike,
    construction_cost: npt.ArrayLike,
    fitout_cost: npt.ArrayLike,
) -> FloatArray:
    """Total investment in a parcel once all its floor is built, in CNY.

    Parameters
    ----------
    area_m2
        Land area.
    capacity_m2
        Floor the parcel holds.
    land_price
        CNY per m² of land.
    construction_cost, fitout_cost
        CNY per m² of floor.

    Returns
    -------
    numpy.ndarray
        ``area × land_price + capacity × (construction_cost + fitout_cost)``.

    Examples
    --------
    >>> float(investment_at_completion(
    ...     1e4, 1.5e4, land_price=500.0, construction_cost=4000.0, fitout_cost=1000.0))
    80000000.0
    """
    area, capacity = np.asarray(area_m2, float), np.asarray(capacity_m2, float)
    cost = np.asarray(construction_cost, float) + np.asarray(fitout_cost, float)
    return np.asarray(area * np.asarray(land_price, float) + capacity * cost, dtype=np.float64)


def revenue_at_maturity(
    capacity_m2: npt.ArrayLike,
    *,
    occupancy_ceiling: npt.ArrayLike,
    revenue_per_m2: npt.ArrayLike,
) -> FloatArray:
    """Yearly business revenue of a full parcel in base-year prices, in CNY.

    Examples
    --------
    >>> float(revenue_at_maturity(1.5e4, occupancy_ceiling=0.8, revenue_per_m2=1e4))
    120000000.0
    """
    capacity = np.asarray(capacity_m2, float)
    per_m2 = np.asarray(occupancy_ceiling, float) * np.asarray(revenue_per_m2, float)
    return np.asarray(capacity * per_m2, dtype=np.float64)


def investment_to_date(result: Result) -> FloatArray:
    """Cumulative investment in each parcel at the end of each year, ``(D, Y, P)`` CNY.

    Spending before the base year (``result.investment_before_base_cny``) plus the
    running sum of the ``investment_cny`` series. Land taken back as idle (``[rules]
    reclaim_idle``) and sold again is a new project: from the year of its latest sale
    the sum restarts, so an earlier holder's land payment (the series counts every
    sale) does not count towards the new one's intensity. Computed once per result.
    """
    return result.derived("investment_to_date_cny", lambda: _investment_to_date(result))


def _investment_to_date(result: Result) -> FloatArray:
    spent = np.cumsum(result.series["investment_cny"], axis=1)
    if result.reclaim_year is not None:
        # An unstarted parcel spends nothing but its land price, and a contract cycle
        # lasts over a year, so everything before the latest sale's year is earlier
        # holders' land.
        years = result.years.astype(float)[None, :, None]
        latest = result.release_year[:, None, :]
        resold = np.isfinite(result.reclaim_year)[:, None, :] & (years >= latest)
        before = np.where(years < latest, result.series["investment_cny"], 0.0).sum(axis=1)
        spent = np.where(resold, spent - before[:, None, :], spent)
    return np.asarray(spent + result.investment_before_base_cny[:, None, :], dtype=np.float64)


def first_year(mask: BoolArray, years: npt.ArrayLike) -> FloatArray:
    """First year in which ``mask`` holds, per draw and parcel; NaN where it never does.

    Parameters
    ----------
    mask
        Boolean ``(D, Y, P)``.
    years
        The year axis ``(Y,)``.

    Returns
    -------
    numpy.ndarray
        ``(D, P)`` float.

    Examples
    --------
    >>> first_year(np.array([[[False, False], [True, False]]]), [2012, 2013]).tolist()
    [[2013.0, nan]]
    """
    year_axis = np.asarray(years, dtype=np.float64)
    hit = mask.any(axis=1)
    return np.where(hit, year_axis[mask.argmax(axis=1)], np.nan)


def idle_masks(
    release_year: FloatArray,
    start_year: FloatArray,
    years: npt.ArrayLike,
    *,
    idle_after_years: int,
    reclaim_after_years: int,
) -> tuple[BoolArray, BoolArray]:
    """Which parcels are idle and which may be reclaimed at the end of each year.

    Parameters
    ----------
    release_year, start_year
        ``(D, P)`` event years, NaN where not reached.
    years
        The year axis ``(Y,)``.
    idle_after_years, reclaim_after_years
        Years after the release year from which an unstarted parcel is idle, and
        from which it may be reclaimed.

    Returns
    -------
    tuple of numpy.ndarray
        ``(idle, reclaimable)``, each boolean ``(D, Y, P)``; reclaimable implies idle
        when ``reclaim_after_years ≥ idle_after_years``.

    Examples
    --------
    >>> idle, reclaim = idle_masks(np.array([[2013.0]]), np.array([[2017.0]]),
    ...                            [2013, 2014, 2015, 2016, 2017],
    ...                            idle_after_years=1, reclaim_after_years=2)
    >>> idle[0, :, 0].tolist(), reclaim[0, :, 0].tolist()
    ([False, True, True, True, False], [False, False, True, True, False])
    """
    t = np.asarray(years, dtype=np.float64)[None, :, None]
    release, start = release_year[:, None, :], start_year[:, None, :]
    held = (release <= t) & ~(start <= t)  # NaN compares False: never released / started
    age = t - release
    return held & (age >= idle_after_years), held & (age >= reclaim_after_years)


# --- binding a scenario's rules to a site ---------------------------------------------


@dataclass(frozen=True)
class ParcelRules:
    """The scenario's ``[rules]`` laid out per parcel of a site.

    Attributes
    ----------
    land_use
        Each parcel's land use ``(P,)`` (``""`` where the layer gives none).
    plot_ratio_min
        Minimum plot ratio of each parcel's land use ``(P,)``.
    building_coefficient, admin_share, green_share
        Layout shares ``(P,)`` from the parcels layer, else the scenario's values;
        NaN where neither gives one (not assessed).
    """

    land_use: npt.NDArray[np.object_]
    plot_ratio_min: FloatArray
    building_coefficient: FloatArray
    admin_share: FloatArray
    green_share: FloatArray


def bind_rules(scenario: Scenario, site: Site) -> ParcelRules:
    """Lay the scenario's control indicators out per parcel.

    Parameters
    ----------
    scenario
        A loaded scenario.
    site
        Its validated site.

    Returns
    -------
    ParcelRules

    Raises
    ------
    ScenarioError
        If a parcel's land use has no minimum plot ratio in ``[rules.plot_ratio_min]``
        (and there is no ``"*"`` entry), naming each such land use and the fix.
    """
    rules = scenario.rules
    parcels = site.parcels
    land_use = parcels["land_use"].astype(str)
    table = rules.plot_ratio_min
    minimum = land_use.map(table).astype(float)
    if WILDCARD in table:
        minimum = minimum.fillna(table[WILDCARD])
    missing = minimum.isna().to_numpy()
    if missing.any():
        problems = []
        ids = parcels["parcel_id"].astype(str).to_numpy()
        listed = ", ".join(repr(k) for k in table) or "none"
        for use in sorted(set(land_use[missing])):
            which = ids[(land_use == use).to_numpy()]
            shown = ", ".join(which[:3]) + (f" and {which.size - 3} more" if which.size > 3 else "")
            what = f"land use {use!r}" if use else "an empty land_use"
            key = use if use.isidentifier() else f'"{use}"'
            fix = (
                f"add {key} = 1.0 to [rules.plot_ratio_min]"
                if use
                else "give the parcels a land_use in the parcels layer"
            )
            problems.append(
                Problem(
                    "rules.plot_ratio_min",
                    f"expected a minimum plot ratio for every land use of the parcels; found "
                    f"none for {what} ({which.size} parcel(s): {shown}; the table lists "
                    f"{listed}); {fix}, or a catch-all '\"*\" = 1.0' (the 2008 national "
                    "control indicators give 1.0 for communications/computer/electronics, "
                    "0.7 for most machinery)",
                )
            )
        raise ScenarioError(
            f"{len(problems)} land use(s) without a plot-ratio rule",
            source=scenario.path,
            problems=problems,
        )

    def share(column: str, default: float | None) -> FloatArray:
        own = parcels[column].to_numpy(dtype=float)
        fill = np.nan if default is None else default
        return np.where(np.isnan(own), fill, own)

    return ParcelRules(
        land_use=land_use.to_numpy(dtype=object),
        plot_ratio_min=minimum.to_numpy(dtype=float),
        building_coefficient=share("building_coefficient", rules.building_coefficient),
        admin_share=share("admin_share", rules.admin_share),
        green_share=share("green_share", rules.green_share),
    )


# --- admission rules ------------------------------------------------------------------


def _densities(result: Result) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Investment to date and revenue, and their densities, all ``(D, Y, P)``."""
    return result.derived("rule_densities", lambda: _compute_densities(result))


def _compute_densities(result: Result) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    invested = investment_to_date(result)
    revenue = result.series["revenue_cny"]
    with np.errstate(divide="ignore", invalid="ignore"):
        intensity = invested / result.area_m2  # CNY/m² = 万元/ha
        density = revenue / result.area_m2 / CNY_PER_M2_PER_YI_PER_HA
    return invested, revenue, intensity, density


def admission(result: Result, rules: Rules, *, draw: int = 0) -> pd.DataFrame:
    """Each parcel against the admission rules: at completion, at maturity and by year.

    Parameters
    ----------
    result
        What came out of the run (its parameters price the parcels).
    rules
        The scenario's ``[rules]``.
    draw
        Which draw to describe.

    Returns
    -------
    pandas.DataFrame
        One row per parcel: ``parcel_id, park_id, area_m2, capacity_m2, investment_cny``
        (at completion), ``revenue_mature_cny`` (yearly, base-year prices),
        ``investment_intensity_wan_per_ha = investment_cny / area_m2``,
        ``revenue_density_yi_per_ha = revenue_mature_cny / area_m2 / 1e4``, their
        margins over the thresholds (``investment_margin_wan_per_ha``,
        ``revenue_margin_yi_per_ha``), ``meets_investment_rule``,
        ``meets_revenue_rule`` (at completion / maturity), ``first_investment_year``,
        ``first_revenue_year`` (first simulated year the yearly figure meets the rule),
        ``first_compliant_year`` (both at once) and ``years_to_comply`` (from the
        release year); years are empty where not reached by the horizon.
    """
    area = result.area_m2
    par = result.parcel_parameters(draw=draw)
    capacity = result.capacity_m2
    investment = investment_at_completion(
        area,
        capacity,
        land_price=par["land_price"],
        construction_cost=par["construction_cost"],
        fitout_cost=par["fitout_cost"],
    )
    revenue = revenue_at_maturity(
        capacity,
        occupancy_ceiling=par["occupancy_ceiling"],
        revenue_per_m2=par["revenue_per_m2"],
    )
    intensity = investment / area
    density = revenue / area / CNY_PER_M2_PER_YI_PER_HA
    inv_min, rev_min = thresholds(rules)

    _, _, yearly_intensity, yearly_density = _densities(result)
    inv_ok = meets(yearly_intensity[draw : draw + 1], inv_min)
    rev_ok = meets(yearly_density[draw : draw + 1], rev_min)
    first_inv = first_year(inv_ok, result.years)[0]
    first_rev = first_year(rev_ok, result.years)[0]
    first_both = first_year(inv_ok & rev_ok, result.years)[0]
    parks = np.array(result.park_ids, dtype=object)[result.parcel_park]
    return pd.DataFrame(
        {
            "parcel_id": result.parcel_ids.astype(object),
            "park_id": parks,
            "area_m2": area,
            "capacity_m2": capacity,
            "investment_cny": investment,
            "revenue_mature_cny": revenue,
            "investment_intensity_wan_per_ha": intensity,
            "revenue_density_yi_per_ha": density,
            "investment_margin_wan_per_ha": intensity - inv_min,
            "revenue_margin_yi_per_ha": density - rev_min,
            "meets_investment_rule": _flags(intensity, inv_min),
            "meets_revenue_rule": _flags(density, rev_min),
            "first_investment_year": _nullable_years(first_inv),
            "first_revenue_year": _nullable_years(first_rev),
            "first_compliant_year": _nullable_years(first_both),
            "years_to_comply": _nullable_years(first_both - result.release_year[draw]),
        }
    )


def compliance_by_year(result: Result, rules: Rules, *, draw: int = 0) -> pd.DataFrame:
    """Every parcel in every simulated year against the admission rules.

    Parameters
    ----------
    result
        What came out of the run.
    rules
        The scenario's ``[rules]``.
    draw
        Which draw to describe.

    Returns
    -------
    pandas.DataFrame
        One row per (parcel, year), parcels in site order and years ascending within
        each: ``parcel_id, park_id, year, status, investment_to_date_cny,
        revenue_cny, investment_intensity_wan_per_ha`` (= investment to date ÷ area),
        ``revenue_density_yi_per_ha`` (= revenue ÷ area ÷ 10⁴),
        ``meets_investment_rule, meets_revenue_rule``.
    """
    invested, revenue, intensity, density = (a[draw] for a in _densities(result))
    n_years, n_parcels = invested.shape
    parks = np.array(result.park_ids, dtype=object)[result.parcel_park]
    status_names = np.array([s.name.lower() for s in Status], dtype=object)

    def flat(values: npt.NDArray[np.generic]) -> npt.NDArray[np.generic]:
        return values.T.reshape(-1)  # (Y, P) → parcel-major rows

    return pd.DataFrame(
        {
            "parcel_id": np.repeat(result.parcel_ids.astype(object), n_years),
            "park_id": np.repeat(parks, n_years),
            "year": np.tile(result.years, n_parcels),
            "status": flat(status_names[result.status[draw]]),
            "investment_to_date_cny": flat(invested),
            "revenue_cny": flat(revenue),
            "investment_intensity_wan_per_ha": flat(intensity),
            "revenue_density_yi_per_ha": flat(density),
            "meets_investment_rule": _flags(
                np.asarray(flat(intensity), dtype=float), thresholds(rules)[0]
            ),
            "meets_revenue_rule": _flags(
                np.asarray(flat(density), dtype=float), thresholds(rules)[1]
            ),
        }
    )


def compliance_classes(
    result: Result, rules: Rules, *, year: int | None = None, draw: int = 0
) -> npt.NDArray[np.int8]:
    """Each parcel's :class:`Compliance` in one year, ``(P,)``.

    A parcel with no completed floor by the end of the year (not released, released,
    or its first phase still under construction) is ``NOT_BUILT``; the
    others are classed by the yearly figures (investment to date, that year's revenue).

    Parameters
    ----------
    result
        What came out of the run.
    rules
        The scenario's ``[rules]``.
    year
        Default the horizon.
    draw
        Which draw.

    Returns
    -------
    numpy.ndarray
        int8 codes of :class:`Compliance`.
    """
    t = result.year_index(int(result.years[-1]) if year is None else year)
    _, _, intensity, density = _densities(result)
    inv_min, rev_min = thresholds(rules)
    # A rule the scenario does not set is not held against the parcel.
    inv_ok = meets(intensity[draw, t], inv_min) | math.isnan(inv_min)
    rev_ok = meets(density[draw, t], rev_min) | math.isnan(rev_min)
    codes = np.where(
        inv_ok & rev_ok,
        Compliance.COMPLIES,
        np.where(
            inv_ok,
            Compliance.INVESTMENT_ONLY,
            np.where(rev_ok, Compliance.REVENUE_ONLY, Compliance.FAILS_BOTH),
        ),
    )
    built = result.series["floor_completed_m2"][draw, t] > 0
    return np.where(built, codes, Compliance.NOT_BUILT).astype(np.int8)


def park_admission_by_year(result: Result, rules: Rules, *, draw: int = 0) -> pd.DataFrame:
    """Park averages over admitted (started) parcels, year by year, as the policy words them.

    Parameters
    ----------
    result
        What came out of the run.
    rules
        The scenario's ``[rules]``.
    draw
        Which draw.

    Returns
    -------
    pandas.DataFrame
        One row per (year, park_id), plus ``park_id = "total"`` rows:
        ``admitted_parcels, admitted_area_ha``, ``investment_intensity_wan_per_ha`` (Σ
        investment to date ÷ Σ area of the parcels started by the end of the year),
        ``revenue_density_yi_per_ha`` (Σ revenue ÷ Σ area, same parcels),
        ``meets_investment_rule, meets_revenue_rule`` (empty while none is admitted).
    """
    area = result.area_m2
    invested, revenue, _, _ = (a[draw] for a in _densities(result))
    years = result.years.astype(float)
    admitted = result.start_year[draw][None, :] <= years[:, None]  # (Y, P)
    n_parks = len(result.park_ids)

    def by_park(values: npt.NDArray[Any]) -> FloatArray:  # (Y, P) → (Y, K + 1)
        return sum_by_park(values, result.parcel_park, n_parks, total=True)

    count = by_park(admitted)
    adm_area = by_park(admitted * area)
    adm_invest = by_park(admitted * invested)
    adm_revenue = by_park(admitted * revenue)
    with np.errstate(divide="ignore", invalid="ignore"):
        intensity = np.where(adm_area > 0, adm_invest / adm_area, np.nan)
        density = np.where(adm_area > 0, adm_revenue / adm_area / CNY_PER_M2_PER_YI_PER_HA, np.nan)
    none = adm_area <= 0

    def flags(values: FloatArray, threshold: float) -> pd.arrays.BooleanArray:
        unassessed = none.reshape(-1) | math.isnan(threshold)
        return pd.arrays.BooleanArray(meets(values, threshold).reshape(-1), unassessed)

    return park_year_frame(
        result.years,
        result.park_ids,
        {
            "admitted_parcels": count.astype(np.int64),
            "admitted_area_ha": adm_area / 1e4,
            "investment_intensity_wan_per_ha": intensity,
            "revenue_density_yi_per_ha": density,
            "meets_investment_rule": flags(intensity, thresholds(rules)[0]),
            "meets_revenue_rule": flags(density, thresholds(rules)[1]),
        },
    )


# --- control indicators ---------------------------------------------------------------


def control_indicators(result: Result, rules: Rules, bound: ParcelRules) -> pd.DataFrame:
    """Each parcel against the national land-use control indicators.

    Parameters
    ----------
    result
        What came out of the run.
    rules
        The scenario's ``[rules]`` (the limits).
    bound
        The rules laid out per parcel of the site (:func:`bind_rules`).

    Returns
    -------
    pandas.DataFrame
        One row per parcel: ``parcel_id, park_id, land_use, far`` (capacity ÷ area),
        ``plot_ratio_min, meets_plot_ratio_rule, building_coefficient,
        meets_building_coefficient_rule, admin_share, meets_admin_share_rule,
        green_share, meets_green_share_rule, meets_control_indicators``. A layout
        flag is empty where the share is unknown or the parcel's land use is not in
        ``[rules] control_land_uses``; ``meets_control_indicators`` is
        False if any indicator fails, True if all four are known and pass, and
        empty otherwise.
    """
    area = result.area_m2
    far = result.capacity_m2 / area
    far_ok = far >= bound.plot_ratio_min * (1 - RTOL)
    layout = {
        "building_coefficient": (bound.building_coefficient, rules.building_coefficient_min, "min"),
        "admin_share": (bound.admin_share, rules.admin_share_max, "max"),
        "green_share": (bound.green_share, rules.green_share_max, "max"),
    }
    all_known = np.ones(area.size, dtype=bool)
    any_fail = ~far_ok
    held = (
        np.ones(area.size, dtype=bool)
        if rules.control_land_uses is None
        else np.isin(bound.land_use.astype(str), list(rules.control_land_uses))
    )
    columns: dict[str, object] = {
        "parcel_id": result.parcel_ids.astype(object),
        "park_id": np.array(result.park_ids, dtype=object)[result.parcel_park],
        "land_use": bound.land_use,
        "far": far,
        "plot_ratio_min": bound.plot_ratio_min,
        "meets_plot_ratio_rule": far_ok,
    }
    for name, (values, limit, kind) in layout.items():
        known = ~np.isnan(values) & held  # a land use not held to it: not assessed
        ok = meets(values, limit, rule=kind)
        all_known &= known
        any_fail |= known & ~ok
        columns[name] = values
        columns[f"meets_{name}_rule"] = pd.arrays.BooleanArray(ok, ~known)
    columns["meets_control_indicators"] = pd.arrays.BooleanArray(~any_fail, ~any_fail & ~all_known)
    return pd.DataFrame(columns)


# --- idle land ------------------------------------------------------------------------


def idle_land(result: Result, rules: Rules, *, draw: int = 0) -> pd.DataFrame:
    """Idle and reclaimable land per park and year.

    Parameters
    ----------
    result
        What came out of the run.
    rules
        The scenario's ``[rules]`` (idle and reclaim ages).
    draw
        Which draw.

    Returns
    -------
    pandas.DataFrame
        One row per (year, park_id), plus ``park_id = "total"`` rows:
        ``idle_parcels, idle_area_ha, reclaimable_parcels, reclaimable_area_ha``
        (stocks at the end of the year) and ``reclaimed_parcels, reclaimed_area_ha``
        (parcels first becoming reclaimable that year — taken back when
        ``[rules] reclaim_idle = true``, else zero).
    """
    area = result.area_m2
    idle, reclaimable = result_idle_masks(result, rules, draw=draw)  # (Y, P)
    if result.reclaimed is not None:  # every taking-back, counted by the engine
        newly = result.reclaimed[draw].astype(bool)
    elif result.reclaim_year is None:
        newly = np.zeros_like(reclaimable)
    else:  # taken back by the engine at the end of the year
        newly = result.reclaim_year[draw][None, :] == result.years[:, None]
    n_parks = len(result.park_ids)
    columns: dict[str, npt.NDArray[Any]] = {}
    for name, mask in (("idle", idle), ("reclaimable", reclaimable), ("reclaimed", newly)):
        count = sum_by_park(mask, result.parcel_park, n_parks, total=True)
        columns[f"{name}_parcels"] = count.astype(np.int64)
        columns[f"{name}_area_ha"] = (
            sum_by_park(mask * area, result.parcel_park, n_parks, total=True) / 1e4
        )
    return park_year_frame(result.years, result.park_ids, columns)


def _nullable_years(values: FloatArray) -> pd.arrays.IntegerArray:
    mask = np.isnan(values)
    return pd.arrays.IntegerArray(np.where(mask, 0, values).astype(np.int64), mask)


def result_idle_masks(
    result: Result, rules: Rules, *, draw: int = 0
) -> tuple[BoolArray, BoolArray]:
    """Idle and reclaimable parcels of one draw, ``(Y, P)`` each, over both spells.

    A parcel whose land was reclaimed (``[rules] reclaim_idle``) is held twice: from its
    first release until the end of the year it was taken back, and again from its
    re-release. Without reclaiming there is one spell from ``release_year``.

    Parameters
    ----------
    result
        The outcome.
    rules
        The scenario's ``[rules]`` (idle and reclaim ages).
    draw
        Which draw.

    Returns
    -------
    tuple of numpy.ndarray
        ``(idle, reclaimable)``.
    """
    key = f"idle_masks/{draw}/{rules.idle_after_years}/{rules.reclaim_after_years}"
    return result.derived(key, lambda: _result_idle_masks(result, rules, draw))


def _result_idle_masks(result: Result, rules: Rules, draw: int) -> tuple[BoolArray, BoolArray]:
    if result.idle is not None and result.reclaimable is not None:
        # The quarterly engine flags idle land itself, from the contracted start (with
        # the scenario's ages, which are the rules passed here).
        return result.idle[draw], result.reclaimable[draw]
    ages = {
        "idle_after_years": rules.idle_after_years,
        "reclaim_after_years": rules.reclaim_after_years,
    }
    start = result.start_year[draw : draw + 1]
    latest = result.release_year[draw : draw + 1]
    if result.reclaim_year is None or result.first_release_year is None:
        idle, reclaimable = idle_masks(latest, start, result.years, **ages)
        return idle[0], reclaimable[0]
    first = result.first_release_year[draw : draw + 1]
    reclaim = result.reclaim_year[draw : draw + 1]
    before = ~(reclaim[:, None, :] <= result.years[None, :, None])  # not yet taken back
    idle, reclaimable = idle_masks(first, start, result.years, **ages)
    again = np.where(np.isfinite(reclaim) & (latest != first), latest, np.nan)
    idle2, reclaimable2 = idle_masks(again, start, result.years, **ages)
    return (idle & before | idle2)[0], (reclaimable & before | reclaimable2)[0]


def idle_by_parcel(result: Result, rules: Rules, *, draw: int = 0) -> pd.DataFrame:
    """Each parcel's idle spell: how many years it was idle and when it became reclaimable.

    Parameters
    ----------
    result
        What came out of the run.
    rules
        The scenario's ``[rules]`` (idle and reclaim ages).
    draw
        Which draw.

    Returns
    -------
    pandas.DataFrame
        One row per parcel: ``parcel_id, idle_years`` (year ends at which it was idle),
        ``first_idle_year`` (the first such year end), ``reclaimable_year`` (the first
        year end at which it was reclaimable or, under ``[rules] reclaim_idle``, the year
        it was taken back if earlier: land taken back in Q1–Q3 is sold again before the
        year ends); empty where never.
    """
    idle, reclaimable = result_idle_masks(result, rules, draw=draw)
    reclaimable_year = first_year(reclaimable[None], result.years)[0]
    if result.reclaim_year is not None:
        # Only the latest taking back is kept by the Result (the first, where a parcel
        # was taken back twice, is lost).
        reclaimable_year = np.fmin(reclaimable_year, result.reclaim_year[draw])
    return pd.DataFrame(
        {
            "parcel_id": result.parcel_ids.astype(object),
            "idle_years": idle.sum(axis=0).astype(np.int64),
            "first_idle_year": _nullable_years(first_year(idle[None], result.years)[0]),
            "reclaimable_year": _nullable_years(reclaimable_year),
        }
    )


# --- all of them, once ----------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class RuleTables:
    """Every rule table of one draw of a run (:func:`evaluate_rules`).

    Attributes
    ----------
    admission
        :func:`admission`, one row per parcel.
    controls
        :func:`control_indicators`, one row per parcel.
    idle
        :func:`idle_by_parcel`, one row per parcel.
    compliance
        :func:`compliance_by_year`, one row per (parcel, year).
    park_admission
        :func:`park_admission_by_year`, one row per (year, park_id).
    idle_land
        :func:`idle_land`, one row per (year, park_id).
    classes
        :func:`compliance_classes` of every year, ``(Y, P)`` int8.
    draw
        The draw described.
    """

    admission: pd.DataFrame
    controls: pd.DataFrame
    idle: pd.DataFrame
    compliance: pd.DataFrame
    park_admission: pd.DataFrame
    idle_land: pd.DataFrame
    classes: npt.NDArray[np.int8]
    draw: int = 0


def evaluate_rules(
    result: Result, rules: Rules, bound: ParcelRules, *, draw: int = 0
) -> RuleTables:
    """Evaluate every rule on one draw of a run, each table computed once.

    Parameters
    ----------
    result
        What came out of the run.
    rules
        The scenario's ``[rules]``.
    bound
        :func:`bind_rules` of the scenario and the run's site.
    draw
        Which draw.

    Returns
    -------
    RuleTables
    """
    classes = np.stack(
        [compliance_classes(result, rules, year=int(y), draw=draw) for y in result.years]
    )
    return RuleTables(
        admission=admission(result, rules, draw=draw),
        controls=control_indicators(result, rules, bound),
        idle=idle_by_parcel(result, rules, draw=draw),
        compliance=compliance_by_year(result, rules, draw=draw),
        park_admission=park_admission_by_year(result, rules, draw=draw),
        idle_land=idle_land(result, rules, draw=draw),
        classes=classes,
        draw=draw,
    )
