"""Whether each park can hold its targets, and whether its land comes in time.

``(Scenario, Result) ──▶`` the :func:`capacity` table — each park's capacity (Σ area ×
effective plot ratio, ``Result.capacity_m2``, plus its base-year floor) against the
floor its targets need, and the capacity of the land sold by the target year — and the
:func:`land_supply` table of land not sold (held) at each year end and years of supply
left (尚可供地年数) per park and year; :func:`park_years` joins the latter with the rule
tables. A revenue target needs floor only for the part its park's other (non-floor)
revenue does not cover (``Result.by_park("revenue_other_cny")``: Haier's and Hisense's
group revenue is not made on their land). From
these tables come the ``"capacity"`` findings: ``capacity`` and
``capacity_for_revenue`` (:func:`capacity_findings`), ``no_parcels`` for a park of the
parks layer without parcels (:func:`empty_park_findings`) and ``land_supply``
(:func:`supply_findings`). Tables are in SI (m², CNY) with areas of land in ha;
findings in 万m².
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from sim.audit.benchmarks import revenue_per_m2, targets_by
from sim.audit.findings import FLOOR, M2_PER_HA, Finding
from sim.metrics import Metric
from sim.result import TOTAL, park_year_frame, sum_by_park
from sim.scenario import Basis
from sim.units import format_quantity

if TYPE_CHECKING:
    from sim.result import Result
    from sim.rules import RuleTables
    from sim.scenario import Scenario

__all__ = [
    "capacity",
    "capacity_findings",
    "empty_park_findings",
    "land_supply",
    "park_years",
    "supply_findings",
]

FloatArray = npt.NDArray[np.float64]

#: Floor targets whose sum the land must hold in the same year.
_FLOOR_METRICS = (Metric.FLOOR_COMPLETED, Metric.FLOOR_UNDER_CONSTRUCTION)


def capacity(scenario: Scenario, result: Result, *, draw: int = 0) -> pd.DataFrame:
    """Each park's capacity against the floor its targets need.

    Parameters
    ----------
    scenario, result
        What was simulated and what came out.
    draw
        Which draw's release years to use.

    Returns
    -------
    pandas.DataFrame
        One row per (park or ``total``, year, basis): ``basis`` is ``"floor target"``
        (Σ of ``floor_completed`` and ``floor_under_construction`` targets of that
        scope and year, or a ``floor_started`` target if larger), ``"revenue target"``
        (the part of the revenue target that the scope's other revenue in that year
        does not cover, ÷ the benchmark revenue per m² in that year: the occupied floor
        it needs; 0 where other revenue alone meets the target) or ``"no target"``.
        Columns ``park_id, year, basis, land_ha, base_floor_m2`` (base-year floor,
        completed and under construction), ``capacity_m2`` (parcels' capacity + base
        floor), ``target_m2, capacity_gap_m2`` (capacity − target), ``capacity_share``
        (capacity ÷ target), ``holds_target``, ``released_capacity_m2`` (base floor +
        capacity of the parcels whose land is sold — held — at the end of the year),
        ``released_holds_target``, ``revenue_target_cny`` and ``other_revenue_cny``
        (revenue rows: the target and the scope's other revenue that year, in total
        with the rest of the city's).
    """
    area = result.area_m2
    n_parks = len(result.park_ids)
    scopes = [*result.park_ids, TOTAL]
    member = np.zeros((area.size, n_parks + 1), dtype=bool)
    member[np.arange(area.size), result.parcel_park] = True
    member[:, n_parks] = True
    land = area @ member
    base = _base_floor(result, draw)
    base = np.append(base, base.sum())
    cap = result.capacity_m2 @ member + base
    held = result.released_mask(draw=draw)  # (Y, P): land sold and not taken back
    release = result.release_year[draw]
    other = _other_revenue(result, draw)  # (Y, K + 1)

    needs = _needs(scenario)
    with_target = {scope for scope, _, _ in needs}
    for scope in scopes:
        if scope not in with_target:
            needs[(scope, -1, "no target")] = (math.nan, math.nan)
    order = {s: i for i, s in enumerate(scopes)}
    rows: list[dict[str, Any]] = []
    for (scope, year, basis), (need, target) in sorted(
        needs.items(), key=lambda kv: (order.get(kv[0][0], len(scopes)), kv[0][1], kv[0][2])
    ):
        if scope not in order:
            continue  # an unknown park: prepare() reports it
        k = order[scope]
        t = _year_index(result, year)
        # Land held at the end of the year; outside the simulated years, the sale year.
        sold = member[:, k] & (held[t] if t is not None else release <= year)
        released = float(result.capacity_m2[sold].sum()) + base[k] if year >= 0 else math.nan
        other_cny = math.nan
        if basis == "revenue target":
            # Only the part other revenue does not cover is made on floor.
            other_cny = float(other[t, k]) if t is not None else 0.0
            need *= max(0.0, target - other_cny) / target if target > 0 else 1.0
        rows.append(
            {
                "park_id": scope,
                "year": pd.NA if year < 0 else year,
                "basis": basis,
                "land_ha": land[k] / M2_PER_HA,
                "base_floor_m2": base[k],
                "capacity_m2": cap[k],
                "target_m2": need,
                "capacity_gap_m2": cap[k] - need,
                "capacity_share": cap[k] / need if need else math.nan,
                "holds_target": pd.NA if math.isnan(need) else bool(cap[k] >= need),
                "released_capacity_m2": released,
                "released_holds_target": pd.NA if math.isnan(need) else bool(released >= need),
                "revenue_target_cny": target if basis == "revenue target" else math.nan,
                "other_revenue_cny": other_cny,
            }
        )
    frame = pd.DataFrame(rows)
    frame["year"] = frame["year"].astype("Int64")
    for column in ("holds_target", "released_holds_target"):
        frame[column] = frame[column].astype("boolean")
    return frame


def _needs(scenario: Scenario) -> dict[tuple[str, int, str], tuple[float, float]]:
    """Return the floor (m²) each (scope, year, basis) of the targets needs, and the target.

    Enterprise revenue targets (``basis = "enterprise"``) need no floor and are left out.
    Floor targets of the same scope and year add up, unless a ``floor_started`` target
    is larger; a revenue target needs its value ÷ the benchmark revenue per m² (before
    :func:`capacity` takes off the scope's other revenue). The second value is the
    revenue target in CNY (NaN for floor targets).
    """
    targets = targets_by(scenario)
    # Enterprise (group) revenue targets are not driven by floor: not tested against land.
    enterprise: dict[int, set[str]] = {}
    for t in scenario.targets:
        if t.metric is Metric.REVENUE and t.counted is Basis.ENTERPRISE:
            enterprise.setdefault(t.year, set()).add(t.park)
    floors: dict[tuple[str, int, str], float] = {}
    for (metric, year), values in targets.items():
        for scope, value in values.items():
            if metric in _FLOOR_METRICS:
                key = (scope, year, "floor target")
                floors[key] = floors.get(key, 0.0) + value
    needs: dict[tuple[str, int, str], tuple[float, float]] = {}
    for (metric, year), values in targets.items():
        for scope, value in values.items():
            if metric is Metric.FLOOR_STARTED:
                key = (scope, year, "floor target")
                floors[key] = max(floors.get(key, 0.0), value)
            if metric is Metric.REVENUE and scope not in enterprise.get(year, set()):
                bench = revenue_per_m2(scenario, year)
                if bench is not None and bench[0] > 0:
                    needs[(scope, year, "revenue target")] = (value / bench[0], value)
    needs.update({key: (need, math.nan) for key, need in floors.items()})
    return needs


def _base_floor(result: Result, draw: int) -> FloatArray:
    """Each park's base-year floor, completed and under construction, ``(K,)`` m²."""
    total = np.zeros(len(result.park_ids))
    for name in ("base_floor_completed", "base_floor_under_construction"):
        values = result.parameters.get(name)
        if values is not None:
            total += values[min(draw, values.shape[0] - 1)]
    return total


def _other_revenue(result: Result, draw: int) -> FloatArray:
    """Other (non-floor) revenue per park and year, the total with the rest of the city.

    ``(Y, K + 1)`` CNY/yr; zeros for a Result without per-park series.
    """
    n_years, n_parks = result.years.size, len(result.park_ids)
    if result.park_series is None or "revenue_other_cny" not in result.park_series:
        return np.zeros((n_years, n_parks + 1))
    parks = result.by_park("revenue_other_cny")[draw]
    total = parks.sum(axis=1)
    rest = result.rest_of_city
    if rest is not None and "revenue_other_cny" in rest:
        total = total + rest["revenue_other_cny"][draw, :, 0]
    return np.concatenate([parks, total[:, None]], axis=1)


def _year_index(result: Result, year: int) -> int | None:
    hits = np.flatnonzero(result.years == year)
    return int(hits[0]) if hits.size else None


def land_supply(result: Result, *, draw: int = 0) -> pd.DataFrame:
    """Land not sold per park and year end, and the years of supply it leaves.

    Parameters
    ----------
    result
        What came out of the run (with its yearly land supply).
    draw
        Which draw.

    Returns
    -------
    pandas.DataFrame
        One row per (year, park_id), plus ``total`` rows: ``land_ha, released_ha,
        unreleased_ha`` (land sold — 出让 — and held at the end of the year, and the
        rest; land taken back as idle under ``[rules] reclaim_idle = true`` counts as
        unreleased until it is sold again, usually the next quarter: it is serviced),
        ``capacity_unreleased_m2``, ``supply_ha_per_year`` (the year's land-supply
        budget) and ``years_of_supply_left`` = unreleased ÷ supply (inf where supply is
        0 but land is left).
    """
    area = result.area_m2
    years = result.years.astype(float)
    n_parks = len(result.park_ids)

    def by_park(values: npt.NDArray[Any]) -> FloatArray:  # (…, P) → (…, K + 1)
        return sum_by_park(values, result.parcel_park, n_parks, total=True)

    released = result.released_mask(draw=draw)  # (Y, P); reclaimed land is out of it
    land = np.broadcast_to(by_park(area), (years.size, n_parks + 1))
    released_area = by_park(released * area)
    unreleased = by_park(~released * area)
    cap_unreleased = by_park(~released * result.capacity_m2)
    d = min(draw, result.land_supply_m2.shape[0] - 1)
    supply = result.land_supply_m2[d].T  # (Y, K)
    supply = np.concatenate([supply, supply.sum(axis=1, keepdims=True)], axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        years_left = np.where(unreleased <= 1e-6, 0.0, unreleased / supply)
    return park_year_frame(
        result.years,
        result.park_ids,
        {
            "land_ha": land / M2_PER_HA,
            "released_ha": released_area / M2_PER_HA,
            "unreleased_ha": unreleased / M2_PER_HA,
            "capacity_unreleased_m2": cap_unreleased,
            "supply_ha_per_year": supply / M2_PER_HA,
            "years_of_supply_left": years_left,
        },
    )


def park_years(result: Result, tables: RuleTables) -> pd.DataFrame:
    """One table per park and year: admission averages, idle land and land supply.

    The columns of :func:`sim.rules.park_admission_by_year`,
    :func:`sim.rules.idle_land` (both from ``tables``) and :func:`land_supply`, joined
    on ``year, park_id``, for the draw ``tables`` describe.
    """
    keys = ["year", "park_id"]
    table = tables.park_admission.merge(tables.idle_land, on=keys)
    return table.merge(land_supply(result, draw=tables.draw), on=keys)


def capacity_findings(table: pd.DataFrame) -> list[Finding]:
    """Say for each row of a :func:`capacity` table with a target whether it holds."""
    findings = []
    for row in table.to_dict("records"):
        if row["basis"] == "no target":
            continue
        need, cap, released = row["target_m2"], row["capacity_m2"], row["released_capacity_m2"]
        year = int(row["year"])
        scope = str(row["park_id"])
        revenue = row["basis"] == "revenue target"
        other = float(row.get("other_revenue_cny", math.nan)) if revenue else math.nan
        target = float(row.get("revenue_target_cny", math.nan)) if revenue else math.nan
        if revenue and other > 0 and not need > 0:
            findings.append(
                Finding(
                    "capacity",
                    "capacity_for_revenue",
                    scope,
                    year,
                    cap / FLOOR.scale,
                    0.0,
                    FLOOR.unit,
                    True,
                    f"{scope} {year}: its other (non-floor) revenue, {_yi(other)}, alone "
                    f"meets the {_yi(target)} revenue target, so the target needs no floor "
                    "and is not tested against the land's capacity",
                )
            )
            continue
        what = f"{scope} {year}: the {row['basis']} needs {_wan_m2(need)}"
        if revenue:
            what += " of occupied floor at the benchmark revenue per m²"
            if other > 0:
                what += (
                    f" for the {_yi(target - other)} of its {_yi(target)} target that its "
                    f"other (non-floor) revenue, {_yi(other)}, does not cover"
                )
        base = float(row.get("base_floor_m2", 0.0) or 0.0)
        holds = f"its {row['land_ha']:,.1f} ha" + (
            f" and {_wan_m2(base)} of base-year floor" if base > 0 else ""
        )
        share = f" ({cap / need:.0%} of it)" if need > 0 else ""
        what += f"; {holds} hold {_wan_m2(cap)}{share}"
        if cap < need:
            message = f"{what}: the land cannot hold the target, {_wan_m2(need - cap)} short"
        elif released < need:
            message = (
                f"{what}, but the land sold by the end of {year} holds only {_wan_m2(released)}, "
                f"{_wan_m2(need - released)} short at the land-supply rate"
            )
        else:
            message = f"{what}; the land sold by the end of {year} holds {_wan_m2(released)}"
        findings.append(
            Finding(
                "capacity",
                "capacity" if row["basis"] == "floor target" else "capacity_for_revenue",
                scope,
                year,
                cap / FLOOR.scale,
                need / FLOOR.scale,
                FLOOR.unit,
                bool(cap >= need and released >= need),
                message,
            )
        )
    return findings


def _wan_m2(value: float) -> str:
    return format_quantity(value, "万m²")


def _yi(value: float) -> str:
    return format_quantity(value, "亿元")


def empty_park_findings(result: Result) -> list[Finding]:
    """Flag each park of the parks layer without parcels: capacity 0, nothing to build."""
    counts = np.bincount(result.parcel_park, minlength=len(result.park_ids))
    return [
        Finding(
            "capacity",
            "no_parcels",
            park,
            None,
            0.0,
            math.nan,
            "parcels",
            False,
            f"{park}: the parcels layer has no parcel in this park, so its capacity is 0 and "
            "nothing is built there; add its parcels, or check their park_id",
        )
        for park, count in zip(result.park_ids, counts, strict=True)
        if count == 0
    ]


def supply_findings(table: pd.DataFrame) -> list[Finding]:
    """Per park of a :func:`land_supply` table: land left at the horizon, and when it ran out."""
    findings = []
    horizon = int(table["year"].max())
    for scope, rows in table.groupby("park_id", sort=False):
        last = rows.iloc[-1]
        if not last["land_ha"] > 0:
            continue  # a park without parcels: empty_park_findings says so
        left = rows["unreleased_ha"].to_numpy()
        empty = rows["year"].to_numpy()[left <= 1e-9]
        text = (
            f"{scope}: {last['unreleased_ha']:,.1f} of {last['land_ha']:,.1f} ha unsold at "
            f"the end of {horizon}"
        )
        supply = float(last["supply_ha_per_year"])
        years_left = float(last["years_of_supply_left"])
        if empty.size and int(empty[0]) < horizon:
            text += (
                f"; its land ran out in {int(empty[0])}, {horizon - int(empty[0])} year(s) "
                "before the horizon: no new parcel can be sold after that"
            )
        elif math.isfinite(years_left):
            text += f": {years_left:,.1f} years of supply left at {supply:,.1f} ha/yr"
        else:
            text += ": no supply budget, so it is never released"
        findings.append(
            Finding(
                "capacity",
                "land_supply",
                str(scope),
                horizon,
                years_left,
                math.nan,
                "years",
                True,  # running out of land is a fact to plan for; capacity says if it hurts
                text,
            )
        )
    return findings
