"""Indicators Chinese practice reports, per parcel and per park, with the 亩均效益 score.

``(Result, Inputs, ParcelRules, [indicators]) ──indicator_tables──▶ IndicatorTables``

Per parcel (one year, the deterministic run): 投资强度 in 万元/ha and 万元/亩 — the
admitted applicant's pledge where there is one (``Inputs.parcel_investment_intensity``)
and the modelled investment at completion (land + construction + fit-out) — 地均/亩均
营业收入 (the year's revenue, nominal, per ha and per 亩), 亩均税收 (revenue × the
scenario's ``tax_to_revenue`` until the fiscal ledger supplies tax), 亩均增加值 (revenue ×
``value_added_ratio``), 容积率 (planned floor ÷ land), 建筑系数, 行政办公及生活服务设施
用地比例, 绿地率 (the layer's or the scenario's layout) and 就业密度 (workers per ha), and
the 亩均效益 score: ``100 × Σ weight × min(value / benchmark, cap)`` over the scenario's
indicators, classes A–D at its cut-offs (the practice of 浙政发〔2018〕5号; weights and
benchmarks are the scenario's). A parcel without completed floor is not scored.

Per park (开发区土地集约利用评价): 土地供应率 (land sold ÷ land serviced), 土地建成率 (land
with completed floor ÷ land sold), 综合容积率 (completed floor ÷ built land), 建筑密度
(footprint ÷ built land), 固定资产投入强度 (investment to date ÷ land sold, 万元/ha),
综合地均税收 (tax ÷ built land, 万元/ha), 闲置土地处置率 (idle land taken back ÷ land
ever idle) and 空置率 (vacant ÷ completed floor, base stock included), with the
land-weighted score and its class. Ratios with nothing to divide are NaN (not assessed).

1 ha = 15 亩; CNY per m² = 万元 per ha.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from sim.inputs import Inputs
from sim.result import Result
from sim.rules import ParcelRules, investment_at_completion
from sim.scenario import Indicators

__all__ = ["MU_PER_HA", "IndicatorTables", "indicator_tables", "score", "score_class"]

FloatArray = npt.NDArray[np.float64]

#: 亩 in a hectare.
MU_PER_HA = 15.0


@dataclass(frozen=True)
class IndicatorTables:
    """The indicator tables of one run (``parcel_indicators.csv``, ``park_indicators.csv``).

    Attributes
    ----------
    year
        The year they read.
    parcels
        One row per parcel.
    parks
        One row per park.
    """

    year: int
    parcels: pd.DataFrame
    parks: pd.DataFrame


def score(values: dict[str, FloatArray], spec: Indicators) -> FloatArray:
    """Score each unit by 亩均效益: ``100 × Σ weight × min(value / benchmark, cap)``.

    Parameters
    ----------
    values
        Each scored indicator's values, by the names of ``spec.score``.
    spec
        The scenario's ``[indicators]``.

    Returns
    -------
    numpy.ndarray
        Scores; NaN where an indicator is NaN, or without a score table.

    Examples
    --------
    >>> from sim.scenario import Indicators
    >>> spec = Indicators.model_validate({"score": {
    ...     "tax_per_mu": {"weight": 0.5, "benchmark": 20},
    ...     "revenue_per_mu": {"weight": 0.5, "benchmark": 500}}})
    >>> score({"tax_per_mu": np.array([10.0, 40.0]),
    ...        "revenue_per_mu": np.array([500.0, 2000.0])}, spec).tolist()
    [75.0, 150.0]
    """
    if not spec.score:
        size = len(next(iter(values.values()))) if values else 0
        return np.full(size, np.nan)
    total: FloatArray | None = None
    for name, item in spec.score.items():
        part = item.weight * np.minimum(values[name] / item.benchmark, spec.score_cap)
        total = part if total is None else total + part
    assert total is not None
    return np.asarray(100.0 * total, dtype=float)


def score_class(scores: FloatArray, spec: Indicators) -> npt.NDArray[np.object_]:
    """Class A–D of each score at the scenario's cut-offs (``""`` where not scored).

    Parameters
    ----------
    scores
        From :func:`score`.
    spec
        The scenario's ``[indicators]``.

    Returns
    -------
    numpy.ndarray
        ``"A"``, ``"B"``, ``"C"``, ``"D"`` or ``""``.

    Examples
    --------
    >>> from sim.scenario import Indicators
    >>> score_class(np.array([95.0, 60.0, 45.0, 10.0, np.nan]), Indicators()).tolist()
    ['A', 'B', 'C', 'D', '']
    """
    a, b, c = spec.classes
    with np.errstate(invalid="ignore"):
        out = np.select([scores >= a, scores >= b, scores >= c], ["A", "B", "C"], "D")
    return np.where(np.isnan(scores), "", out).astype(object)


def indicator_tables(
    result: Result,
    inputs: Inputs,
    bound: ParcelRules,
    spec: Indicators,
    *,
    draw: int = 0,
) -> IndicatorTables:
    """Per-parcel and per-park indicators in ``spec.year`` (default the horizon).

    Parameters
    ----------
    result
        The run (per parcel).
    inputs
        Its engine inputs (for the applicants' pledged investment).
    bound
        The scenario's ``[rules]`` per parcel (layout shares).
    spec
        The scenario's ``[indicators]``.
    draw
        Which draw.

    Returns
    -------
    IndicatorTables
    """
    year = int(result.years[-1]) if spec.year is None else int(spec.year)
    t = result.year_index(year)
    area = result.area_m2
    ha = area / 1e4
    par = result.parcel_parameters(draw=draw)
    capacity = result.capacity_m2
    s = {name: values[draw] for name, values in result.series.items()}
    modelled = (
        investment_at_completion(
            area,
            capacity,
            land_price=par["land_price"],
            construction_cost=par["construction_cost"],
            fitout_cost=par["fitout_cost"],
        )
        / area
    )
    pledged = np.full(area.size, np.nan)
    if inputs.parcel_investment_intensity is not None:
        own = inputs.parcel_investment_intensity
        pledged = np.asarray(own[min(draw, own.shape[0] - 1)], dtype=float)
    revenue = s["revenue_cny"][t]
    tax_ratio = np.nan if spec.tax_to_revenue is None else spec.tax_to_revenue
    va_ratio = np.nan if spec.value_added_ratio is None else spec.value_added_ratio
    revenue_per_ha = revenue / area  # CNY/m² = 万元/ha
    workers = s["workers_persons"][t]
    completed = s["floor_completed_m2"][t]
    built = completed > 0
    values = {
        "tax_per_mu": revenue_per_ha * tax_ratio / MU_PER_HA,
        "value_added_per_mu": revenue_per_ha * va_ratio / MU_PER_HA,
        "revenue_per_mu": revenue_per_ha / MU_PER_HA,
        "employment_density": workers / ha,
    }
    scores = np.where(built, score(values, spec), np.nan)
    parks = np.array(result.park_ids, dtype=object)[result.parcel_park]
    parcels = pd.DataFrame(
        {
            "parcel_id": result.parcel_ids.astype(object),
            "park_id": parks,
            "land_use": bound.land_use,
            "year": year,
            "area_ha": ha,
            "area_mu": ha * MU_PER_HA,
            "investment_intensity_pledged_wan_per_ha": pledged,
            "investment_intensity_pledged_wan_per_mu": pledged / MU_PER_HA,
            "investment_intensity_wan_per_ha": modelled,
            "investment_intensity_wan_per_mu": modelled / MU_PER_HA,
            "revenue_wan_per_ha": revenue_per_ha,
            "revenue_wan_per_mu": values["revenue_per_mu"],
            "tax_wan_per_mu": values["tax_per_mu"],
            "value_added_wan_per_mu": values["value_added_per_mu"],
            "plot_ratio": capacity / area,
            "building_coefficient": bound.building_coefficient,
            "admin_share": bound.admin_share,
            "green_share": bound.green_share,
            "employment_density_persons_per_ha": values["employment_density"],
            "score": scores,
            "score_class": score_class(scores, spec),
        }
    )
    return IndicatorTables(
        year=year,
        parcels=parcels,
        parks=_parks(result, bound, spec, t, values, scores, tax_ratio, draw),
    )


def _parks(
    result: Result,
    bound: ParcelRules,
    spec: Indicators,
    t: int,
    values: dict[str, FloatArray],
    scores: FloatArray,
    tax_ratio: float,
    draw: int,
) -> pd.DataFrame:
    area = result.area_m2
    k = len(result.park_ids)
    pk = result.parcel_park
    s = {name: v[draw] for name, v in result.series.items()}
    base = float(result.years[0])
    serviced_q = (result.events_q or {}).get("serviced")
    serviced_year = (
        np.full(area.size, np.nan) if serviced_q is None else base + np.floor(serviced_q[draw] / 4)
    )
    sold = s["floor_sold_m2"][t] > 0
    with np.errstate(invalid="ignore"):
        serviced = (serviced_year <= result.years[t]) | sold
    completed = s["floor_completed_m2"][t]
    built = completed > 0
    invested = s["investment_cny"][: t + 1].sum(axis=0) + result.investment_before_base_cny[draw]
    ever_idle = np.zeros(area.size, dtype=bool)
    taken = np.zeros(area.size, dtype=bool)
    if result.idle is not None:
        ever_idle = np.asarray(result.idle[draw, : t + 1].any(axis=0), dtype=bool)
    if result.reclaimed is not None:
        taken = np.asarray(result.reclaimed[draw, : t + 1].sum(axis=0) > 0, dtype=bool)
    coefficient = bound.building_coefficient
    footprint = np.nan_to_num(coefficient) * area  # NaN where no layout is given

    def per_park(weights: FloatArray, mask: npt.NDArray[np.bool_] | None = None) -> FloatArray:
        w = weights if mask is None else np.where(mask, weights, 0.0)
        return np.asarray(np.bincount(pk, weights=w, minlength=k), dtype=float)

    def ratio(num: FloatArray, den: FloatArray) -> FloatArray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(den > 0, num / den, np.nan)

    land_serviced = per_park(area, serviced)
    land_sold = per_park(area, sold)
    land_built = per_park(area, built)
    tax = per_park(s["revenue_cny"][t] * tax_ratio, built)
    park_completed = result.by_park("floor_completed_m2")[draw, t]
    park_vacant = result.by_park("floor_vacant_m2")[draw, t]
    scored = np.isfinite(scores)
    park_score = ratio(per_park(np.nan_to_num(scores) * area, scored), per_park(area, scored))
    del values
    return pd.DataFrame(
        {
            "park_id": np.array(result.park_ids, dtype=object),
            "year": int(result.years[t]),
            "land_ha": per_park(area) / 1e4,
            "land_serviced_ha": land_serviced / 1e4,
            "land_sold_ha": land_sold / 1e4,
            "land_built_ha": land_built / 1e4,
            "land_supply_rate": ratio(land_sold, land_serviced),
            "land_built_rate": ratio(land_built, land_sold),
            "composite_plot_ratio": ratio(per_park(completed), land_built),
            "building_density": ratio(
                per_park(footprint, built), per_park(area, built & np.isfinite(coefficient))
            ),
            "fixed_asset_intensity_wan_per_ha": ratio(per_park(invested, sold), land_sold),
            "tax_wan_per_ha": ratio(tax, land_built),
            "idle_land_ha": per_park(area, ever_idle) / 1e4,
            "idle_disposal_rate": ratio(per_park(area, taken), per_park(area, ever_idle)),
            "vacancy_rate": ratio(park_vacant, park_completed),
            "score": park_score,
            "score_class": score_class(park_score, spec),
        }
    )
