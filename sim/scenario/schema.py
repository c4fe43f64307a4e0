"""The scenario schema: pydantic models and value types, quantities in SI units.

Raw TOML tables (units as strings, ``"1200 亩"``, ``"4000 万元/ha"``) flow in; validated,
frozen models flow out: :class:`Scenario` and its tables (:class:`ScenarioMeta`,
:class:`SiteFiles`, :class:`ParkAssumptions`, :class:`Committed`, :class:`Target`,
:class:`Rules`, :class:`Market`, :class:`Benchmarks`). Every quantity is converted once,
here, by :mod:`sim.units`; a park assumption may be a distribution
(:mod:`sim.distributions`). Unknown keys are errors; a validator that finds several
problems raises :class:`_ProblemsError` so that each is reported at its own field path
(:mod:`sim.scenario.messages` turns them into :class:`~sim.errors.Problem` items).

The schema knows nothing of files: :mod:`sim.scenario.loading` reads them, and
:mod:`sim.scenario.parks` resolves a park's complete parameters.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    ValidationInfo,
    field_validator,
    model_validator,
)

from sim.distributions import Distribution, parse_uncertain, point_value
from sim.errors import Problem
from sim.metrics import Metric
from sim.scenario.fiscal import FirmsSpec, FiscalSpec, Incentive
from sim.units import Dimension, quantities_to_si, quantity_to_si

__all__ = [
    "DEFAULT_MIN_PARCEL_AREA_M2",
    "MAX_YEARS",
    "OPTIONAL_DEFAULTS",
    "ApplicantKind",
    "Applicants",
    "AreaBenchmark",
    "Basis",
    "Benchmarks",
    "Committed",
    "Consequence",
    "DemandChain",
    "Gate",
    "Indicators",
    "Market",
    "MoneyBenchmark",
    "MoneyPerAreaBenchmark",
    "ParkAssumptions",
    "RestOfCity",
    "Rules",
    "Scenario",
    "ScenarioMeta",
    "ScoreIndicator",
    "SiteFiles",
    "Target",
]


def _quantity(dimension: Dimension) -> BeforeValidator:
    return BeforeValidator(lambda value: quantity_to_si(value, dimension))


class _ProblemsError(ValueError):
    """Problems a model validator found, each with a field path relative to its model.

    Raised inside validators so that :func:`load_scenario` can report each problem at its
    own field path (pydantic would otherwise attach all of them to the model itself).
    """

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))


_FIRST_YEAR, _LAST_YEAR = 1900, 2200
#: Most values a yearly list may hold: one per year of the longest span a scenario allows.
MAX_YEARS = _LAST_YEAR - _FIRST_YEAR + 1


#: Whole numbers must be written as such: ``base_year = "2012"`` is an error, not 2012.
Year = Annotated[int, Field(ge=_FIRST_YEAR, le=_LAST_YEAR, strict=True)]
Area = Annotated[float, _quantity(Dimension.AREA), Field(ge=0)]
PositiveArea = Annotated[float, _quantity(Dimension.AREA), Field(gt=0)]
Money = Annotated[float, _quantity(Dimension.MONEY), Field(ge=0)]
MoneyPerArea = Annotated[float, _quantity(Dimension.MONEY_PER_AREA), Field(ge=0)]
Years = Annotated[float, _quantity(Dimension.DURATION), Field(ge=0)]
PositiveYears = Annotated[float, _quantity(Dimension.DURATION), Field(gt=0)]
Ratio = Annotated[float, _quantity(Dimension.RATIO)]
Share = Annotated[float, _quantity(Dimension.RATIO), Field(gt=0, le=1)]
PositiveRatio = Annotated[float, _quantity(Dimension.RATIO), Field(gt=0)]


class _Model(BaseModel):
    # Every float field is also parsed by sim.units, which refuses inf and nan with a
    # message naming the value; allow_inf_nan=False keeps any field that is not so.
    model_config = ConfigDict(
        extra="forbid", frozen=True, str_strip_whitespace=True, allow_inf_nan=False
    )


class ScenarioMeta(_Model):
    """The ``[scenario]`` table: name, time span, CRS and seed."""

    name: str = Field(min_length=1)
    base_year: Year
    horizon: Year
    crs: str = "EPSG:4549"
    seed: int = Field(default=0, ge=0, strict=True)
    description: str = ""

    @field_validator("horizon")
    @classmethod
    def _horizon_after_base(cls, value: int, info: ValidationInfo) -> int:
        base_year = info.data.get("base_year")
        if base_year is not None and value < base_year:
            raise ValueError(
                f"expected a year ≥ base_year {base_year}; found {value}, which is before it; "
                "set horizon to the last year to simulate"
            )
        return value

    @field_validator("crs")
    @classmethod
    def _known_crs(cls, value: str) -> str:
        from pyproj import CRS
        from pyproj.exceptions import CRSError

        try:
            crs = CRS.from_user_input(value)
        except CRSError:
            raise ValueError(
                f"expected a projected CRS such as 'EPSG:4549'; found {value!r}, which is not "
                "a CRS pyproj knows; use an EPSG code, e.g. 'EPSG:4549' (CGCS2000 3° GK CM 120°E)"
            ) from None
        if not crs.is_projected:
            raise ValueError(
                f"expected a projected CRS (areas need metres); found {value!r}, which is "
                f"{'geographic (degrees)' if crs.is_geographic else 'not projected'}; use a "
                "projected CRS such as 'EPSG:4549' (CGCS2000 3° GK CM 120°E)"
            )
        return value


#: Smallest parcel accepted by default, m² (``[site] min_parcel_area``; see :mod:`sim.site`).
DEFAULT_MIN_PARCEL_AREA_M2 = 100.0


class SiteFiles(_Model):
    """The ``[site]`` table: where the layers are (relative to the scenario file).

    ``min_parcel_area`` (m², default 100 m²): a parcel smaller than this is an error
    naming it (see :mod:`sim.site`).
    """

    parks: Path
    parks_layer: str = "parks"
    parcels: Path
    parcels_layer: str = "parcels"
    basemap: Path | None = None
    basemap_layer: str = "land"
    min_parcel_area: Area = DEFAULT_MIN_PARCEL_AREA_M2


def _yearly_area(value: object) -> tuple[float, ...]:
    values = value if isinstance(value, list | tuple) else [value]
    if not values:
        raise ValueError(
            'expected one area or a list of areas (one per year); found []; write e.g. "20 ha"'
        )
    if len(values) > MAX_YEARS:
        # Refused before any item is read: a scenario spans at most MAX_YEARS years.
        raise ValueError(
            f"expected one area or one per simulated year (base_year to horizon, at most "
            f"{MAX_YEARS} years); found a list of {len(values):,}; give one value for every "
            "year or a single value for all"
        )
    if len(values) == 1:
        areas = np.array([quantity_to_si(values[0], Dimension.AREA)])
    else:
        areas = quantities_to_si(values, Dimension.AREA)
    negative = np.flatnonzero(areas < 0)
    if negative.size:
        i = int(negative[0])
        raise ValueError(
            f"expected an area ≥ 0; found {_short(values[i])}; use 0 or a positive area"
            + (f" (item {i})" if len(values) > 1 else "")
        )
    return tuple(areas.tolist())


def _yearly_area_or_distribution(value: object) -> tuple[float, ...] | Distribution:
    if isinstance(value, Mapping | Distribution):
        return parse_uncertain(value, Dimension.AREA, ge=0)  # type: ignore[return-value]
    return _yearly_area(value)


def _uncertain(
    dimension: Dimension,
    *,
    gt: float | None = None,
    ge: float | None = None,
    le: float | None = None,
) -> PlainValidator:
    return PlainValidator(lambda value: parse_uncertain(value, dimension, gt=gt, ge=ge, le=le))


#: One area for every year, a list with one area per simulated year, or a distribution
#: of the level (every year scaled alike).
YearlyArea = Annotated[
    tuple[float, ...] | Distribution, PlainValidator(_yearly_area_or_distribution)
]
#: Park assumptions that may be a point or a distribution (see :mod:`sim.distributions`).
UPositiveRatio = Annotated[float | Distribution, _uncertain(Dimension.RATIO, gt=0)]
UYears = Annotated[float | Distribution, _uncertain(Dimension.DURATION, ge=0)]
UPositiveYears = Annotated[float | Distribution, _uncertain(Dimension.DURATION, gt=0)]
UPositiveArea = Annotated[float | Distribution, _uncertain(Dimension.AREA, gt=0)]
UShare = Annotated[float | Distribution, _uncertain(Dimension.RATIO, gt=0, le=1)]
UMoneyPerArea = Annotated[float | Distribution, _uncertain(Dimension.MONEY_PER_AREA, ge=0)]
UGrowth = Annotated[float | Distribution, _uncertain(Dimension.RATIO, gt=-1)]
UArea = Annotated[float | Distribution, _uncertain(Dimension.AREA, ge=0)]
UMoney = Annotated[float | Distribution, _uncertain(Dimension.MONEY, ge=0)]
UNonNegative = Annotated[float | Distribution, _uncertain(Dimension.RATIO, ge=0)]
UShareOrZero = Annotated[float | Distribution, _uncertain(Dimension.RATIO, ge=0, le=1)]


class ParkAssumptions(_Model):
    """A park's assumptions as written: every field optional (``[defaults]`` or ``[parks.<id>]``).

    Year-varying fields (land supply, take-up, demand) take one value, or a list with one
    value per simulated year. Any field may instead be a distribution
    (:mod:`sim.distributions`). The fields after ``m2_per_worker`` may be left out:
    :data:`OPTIONAL_DEFAULTS` gives their values (docs/MODEL.md explains each).
    """

    name: str | None = None
    land_supply_per_year: YearlyArea | None = None
    demand_per_year: YearlyArea | None = None
    plot_ratio: UPositiveRatio | None = None
    start_lag_years: UYears | None = None
    duration_years: UPositiveYears | None = None
    max_floor_per_phase: UPositiveArea | None = None
    occupancy_ramp_years: UYears | None = None
    occupancy_ceiling: UShare | None = None
    revenue_per_m2: UMoneyPerArea | None = None
    revenue_growth: UGrowth | None = None
    land_price: UMoneyPerArea | None = None
    construction_cost: UMoneyPerArea | None = None
    fitout_cost: UMoneyPerArea | None = None
    m2_per_worker: UPositiveArea | None = None
    take_up_per_year: YearlyArea | None = None
    contract_lag_years: UYears | None = None
    topout_years: UPositiveYears | None = None
    base_floor_completed: UArea | None = None
    base_floor_occupied: UArea | None = None
    base_floor_under_construction: UArea | None = None
    base_completion_years: UPositiveYears | None = None
    other_revenue: UMoney | None = None
    other_revenue_growth: UGrowth | None = None
    revenue_per_worker: UMoney | None = None
    vacancy_target: UShareOrZero | None = None
    vacancy_elasticity: UNonNegative | None = None


#: Park assumptions a scenario may leave out, and their values then; ``None`` means
#: "as another field" (the contract lag as the start lag, top-out as the build time,
#: take-up unlimited: serviced land sells at once).
OPTIONAL_DEFAULTS: dict[str, float | None] = {
    "take_up_per_year": None,
    "contract_lag_years": None,
    "topout_years": None,
    "base_floor_completed": 0.0,
    "base_floor_occupied": 0.0,
    "base_floor_under_construction": 0.0,
    "base_completion_years": 1.0,
    "other_revenue": 0.0,
    "other_revenue_growth": 0.0,
    "revenue_per_worker": 0.0,  # 0: other revenue brings no workers
    "vacancy_target": 0.0,
    "vacancy_elasticity": 0.0,  # 0: no feedback, construction purely supply-led
}


class RestOfCity(_Model):
    """The city outside the parks (``[rest_of_city]``).

    City-wide targets (``park = "total"``) compare parks plus the rest: its revenue in
    the base year, growing, and the revenue per worker that gives its workers.
    """

    revenue: Money
    revenue_growth: Annotated[
        float, BeforeValidator(lambda v: quantity_to_si(v, Dimension.RATIO))
    ] = Field(default=0.0, gt=-1)
    revenue_per_worker: Money = 0.0
    source: str = ""


class DemandChain(_Model):
    """Demand derived from the economy (``[demand]``), instead of ``demand_per_year``.

    The city's revenue (``city_revenue`` in the base year, growing at
    ``city_revenue_growth``) less the share no floor drives (``non_floor_share``:
    embedded software of manufacturers) gives floor-driven revenue; ÷ revenue per
    worker (growing) gives workers; × ``m2_per_worker`` the occupied floor the city's
    floor-driven firms need; × ``parks_share`` the part in the parks (the rest of the
    city holds the rest), split between parks by ``shares``. A park's net absorption in
    a year is the growth of its part over the year (never below zero).
    ``city_revenue_growth`` may be a distribution (Monte Carlo draws the level of
    growth once per draw).

    With ``allocation = "logit"`` the parks' demand is not split by fixed shares but
    offered each quarter to the parks by a logit: park ``k``'s weight is
    ``exp(attractiveness_k) × room_k ** room_weight``, its ready room (vacant
    occupiable floor) that quarter, so demand goes where there is space. The parks named
    in ``attractiveness`` take part (every park, at 0, when it names none). Demand no
    park places waits for the next quarter.
    """

    city_revenue: Money
    city_revenue_growth: UGrowth
    non_floor_share: Annotated[
        float, BeforeValidator(lambda v: quantity_to_si(v, Dimension.RATIO))
    ] = Field(default=0.0, ge=0, lt=1)
    revenue_per_worker: Money
    revenue_per_worker_growth: Annotated[
        float, BeforeValidator(lambda v: quantity_to_si(v, Dimension.RATIO))
    ] = Field(default=0.0, gt=-1)
    m2_per_worker: PositiveArea
    parks_share: Share
    shares: dict[str, Ratio] = Field(default_factory=dict)
    allocation: Literal["shares", "logit"] = "shares"
    attractiveness: dict[str, float] = Field(default_factory=dict)
    room_weight: float = Field(default=1.0, ge=0, le=10)
    source: str = ""

    @model_validator(mode="after")
    def _shares(self) -> DemandChain:
        if self.allocation == "logit":
            return self
        total = sum(self.shares.values())
        if not self.shares or abs(total - 1.0) > 1e-6 or min(self.shares.values()) < 0:
            raise _ProblemsError(
                [
                    Problem(
                        "demand.shares",
                        f"expected each park's share of the parks' demand, ≥ 0 and summing "
                        f"to 1; found {dict(self.shares)} (sum {total:g}); fix the shares",
                    )
                ]
            )
        return self


#: A start as a (fractional) calendar year, or a distribution of it: 2013.25 is Q2 2013.
UStartYear = Annotated[
    float | Distribution, _uncertain(Dimension.RATIO, ge=_FIRST_YEAR, le=_LAST_YEAR)
]


class Committed(_Model):
    """A known development that bypasses the queue (``[[committed]]``).

    ``parcel`` names one parcel or a list of them; the project's ``floor`` is split over
    them in proportion to their area. ``start_year`` (a fractional year gives the
    quarter) and ``floor`` may be distributions.
    """

    parcel: str | tuple[str, ...] = Field(min_length=1)
    start_year: UStartYear
    floor: UPositiveArea
    phases: int = Field(default=1, ge=1, le=50, strict=True)
    name: str = ""
    source: str = ""

    @property
    def parcels(self) -> tuple[str, ...]:
        """The project's parcels, in the order given."""
        return (self.parcel,) if isinstance(self.parcel, str) else tuple(self.parcel)


class Basis(str, enum.Enum):
    """What a target counts: the parks' floor, a group's revenue, or the whole city."""

    FLOOR = "floor"  # driven by the floor of the park(s): capacity can be checked
    ENTERPRISE = "enterprise"  # a group's revenue (embedded software), not floor-driven
    CITY = "city"  # city-wide: every park plus the rest of the city


class Target(_Model):
    """A target the plan sets (``[[targets]]``): ``metric`` of ``park`` by ``year`` ≥ ``value``.

    ``basis`` says what it counts (:class:`Basis`); by default ``city`` for ``park =
    "total"`` and ``floor`` for a park.
    """

    metric: Metric
    park: str = Field(min_length=1)
    year: Year
    value: float
    source: str = ""
    basis: Basis | None = None
    #: For ``metric = "firms"``: count only firms with yearly revenue ≥ this (CNY).
    threshold: Money | None = None

    @property
    def counted(self) -> Basis:
        """The target's basis, its default filled in."""
        if self.basis is not None:
            return self.basis
        return Basis.CITY if self.park == "total" else Basis.FLOOR

    @model_validator(mode="before")
    @classmethod
    def _value_in_metric_units(cls, data: Any) -> Any:
        if isinstance(data, Mapping) and "value" in data and "metric" in data:
            try:
                metric = Metric(data["metric"])
            except ValueError:
                # The enum's own error names the choices; the value cannot be judged
                # without a metric, so keep it out of the report.
                return {**data, "value": 0.0}
            try:
                value = quantity_to_si(data["value"], metric.dimension)
            except ValueError as exc:
                raise _ProblemsError([Problem("value", f"{exc} (metric {metric.value})")]) from None
            if value < 0:
                raise _ProblemsError(
                    [
                        Problem(
                            "value",
                            f"expected a target ≥ 0; found {data['value']!r}; "
                            "write the target as a positive amount",
                        )
                    ]
                )
            return {**data, "value": value}
        return data


class Market(_Model):
    """The shared market (``[market]``): uncertainty common to all parks (Monte Carlo only).

    - ``demand_sd``: yearly demand shocks. Each park's demand in a year is multiplied
      by ``exp(sd·z − sd²/2)`` (mean one), where ``z = √ρ·Z_year + √(1−ρ)·ε_park,year``
      with standard normal ``Z`` (one per year, shared by every park) and ``ε`` (own to
      the park): parks' log-factors correlate with ``ρ = correlation``.
    - ``demand_level_sd``: a city-wide demand level, one factor per draw for the whole
      horizon (``z = √ρ·Z + √(1−ρ)·ε_park``, same form): a boom or a bust lasts.
    - ``build_speed_sd``: a city-wide construction speed, one factor ``f`` per draw
      (mean one, log-normal) shared by every park: every start lag, top-out time and
      build time is divided by ``f`` before it is rounded to quarters.
    - ``per_phase_build_times``: each phase draws its own build time (and top-out time)
      from the park's distributions — phase 1 of a park's projects may take longer than
      phase 0 — instead of one draw for all of a park's phases.
    """

    demand_sd: Annotated[float, BeforeValidator(lambda v: quantity_to_si(v, Dimension.RATIO))] = (
        Field(default=0.0, ge=0, le=2)
    )
    demand_level_sd: Annotated[
        float, BeforeValidator(lambda v: quantity_to_si(v, Dimension.RATIO))
    ] = Field(default=0.0, ge=0, le=2)
    build_speed_sd: Annotated[
        float, BeforeValidator(lambda v: quantity_to_si(v, Dimension.RATIO))
    ] = Field(default=0.0, ge=0, le=2)
    correlation: Annotated[float, BeforeValidator(lambda v: quantity_to_si(v, Dimension.RATIO))] = (
        Field(default=0.8, ge=0, le=1)
    )
    per_phase_build_times: bool = False
    source: str = ""


#: A share of a parcel's land, 0–1 (``"30 %"`` or 0.3).
LandShare = Annotated[float, _quantity(Dimension.RATIO), Field(ge=0, le=1)]
#: A plot ratio that may be zero (no minimum).
PlotRatio = Annotated[float, _quantity(Dimension.RATIO), Field(ge=0)]


class Rules(_Model):
    """Admission rules, land-use control indicators and the idle-land rule (``[rules]``).

    Attributes
    ----------
    investment_intensity_min, revenue_density_min
        Admission thresholds in CNY/m² (1 CNY/m² = 1 万元/ha; 2 亿元/ha = 20,000 CNY/m²):
        investment (land + construction + fit-out) per m² of land, and yearly business
        revenue per m² of land. ``None`` (default): not assessed — thresholds are the
        scenario's (Qingdao 2012: 4,000 万元/ha and 2 亿元/ha), never the code's.
    plot_ratio_min
        Minimum plot ratio per parcel ``land_use``; the key ``"*"`` covers every land
        use not listed. Default ``{"*": 1.0}``: the 2008 national control indicators
        (国土资发〔2008〕24号) give 1.0 for communications, computer and electronics.
    building_coefficient_min, admin_share_max, green_share_max
        National control indicators: building coefficient (footprint ÷ land) ≥ 30 %,
        administrative and living facilities ≤ 7 % and greening ≤ 20 % of the land.
    building_coefficient, admin_share, green_share
        Values assumed for parcels whose layer lacks the attribute (``None``: not
        assessed).
    control_land_uses
        Parcel land uses held to the layout indicators (building coefficient,
        administrative and green shares) of the industrial-project standard; others are
        not assessed against them (R&D/office land, which the 2023 revision leaves out).
        ``None`` (default): every land use.
    idle_after_years, reclaim_after_years
        A released parcel not started ``idle_after_years`` after its release year is
        idle (闲置); after ``reclaim_after_years`` it may be taken back (2012 national rule).
    reclaim_idle
        Whether reclaimable land is taken back and returned to the park's land pool.
    source
        Where the thresholds come from.
    """

    investment_intensity_min: MoneyPerArea | None = None
    revenue_density_min: MoneyPerArea | None = None
    plot_ratio_min: dict[str, PlotRatio] = Field(default_factory=lambda: {"*": 1.0})
    building_coefficient_min: LandShare = 0.30
    admin_share_max: LandShare = 0.07
    green_share_max: LandShare = 0.20
    building_coefficient: LandShare | None = None
    admin_share: LandShare | None = None
    green_share: LandShare | None = None
    control_land_uses: tuple[str, ...] | None = None
    idle_after_years: int = Field(default=1, ge=1, le=50, strict=True)
    reclaim_after_years: int = Field(default=2, ge=1, le=50, strict=True)
    reclaim_idle: bool = Field(default=False, strict=True)
    source: str = ""

    @model_validator(mode="after")
    def _consistent(self) -> Rules:
        problems = []
        if self.reclaim_after_years < self.idle_after_years:
            problems.append(
                Problem(
                    "reclaim_after_years",
                    f"expected at least idle_after_years ({self.idle_after_years}); found "
                    f"{self.reclaim_after_years}; land is reclaimed only after it has been idle, "
                    "so raise reclaim_after_years (the 2012 rule: idle 1, reclaim 2)",
                )
            )
        if (
            self.building_coefficient is not None
            and self.green_share is not None
            and self.building_coefficient + self.green_share > 1 + 1e-9
        ):
            problems.append(
                Problem(
                    "green_share",
                    f"expected building_coefficient + green_share ≤ 100 % of the land; found "
                    f"{self.building_coefficient:.0%} + {self.green_share:.0%} = "
                    f"{self.building_coefficient + self.green_share:.0%}; buildings and green "
                    "space cannot cover more than the parcel, lower one of them",
                )
            )
        if problems:
            raise _ProblemsError(problems)
        return self


class Gate(str, enum.Enum):
    """How applicants are admitted (``[applicants] gate``)."""

    NONE = "none"  #: every applicant admitted; the rules are reported only (default)
    PER_PROJECT = "per_project"  #: each pledge meets each threshold
    PARK_AVERAGE = "park_average"  #: 平均: in order of merit while the park average meets them


class Consequence(str, enum.Enum):
    """What the 投入产出监管协议 does at 达产 to a project below its pledge."""

    NONE = "none"
    PENALTY = "penalty"  #: a penalty of ``penalty_share`` × the revenue shortfall of a year
    BUY_BACK = "buy_back"  #: the land is bought back (reported; not returned to the queue)


class ApplicantKind(_Model):
    """A kind of applicant project (``[applicants.kinds.<name>]``).

    ``share`` of the arrivals; its medians are the table's times the factors.
    """

    share: Annotated[Ratio, Field(gt=0, le=1)]
    investment_factor: PositiveRatio = 1.0
    revenue_factor: PositiveRatio = 1.0
    far_factor: PositiveRatio = 1.0
    source: str = ""


class Applicants(_Model):
    """Applicant projects and the admission gate (``[applicants]``; :mod:`sim.applicants`).

    Each applicant has a land area, a planned plot ratio, a pledged investment intensity
    (CNY/m² of land) and a pledged revenue density (yearly CNY/m² of land), drawn
    log-normal: ``median × exp(sd_log · z)``; the logs of FAR, investment and revenue
    are jointly normal with correlations ``far_correlation`` (FAR with each pledge) and
    ``correlation`` (investment with revenue). Medians of the pledges and the shortfall
    may be distributions (one level per Monte Carlo draw). Prices are base-year prices.

    Attributes
    ----------
    gate
        :class:`Gate`; thresholds are ``[rules] investment_intensity_min`` and
        ``revenue_density_min`` (required unless ``gate = "none"``).
    arrivals_per_year
        Mean number of applicants per park and year (Poisson); 0 (default): arrivals
        are sized to the park's take-up (the land developers would buy).
    land_median, land_sd_log, far_median, far_sd_log
        Land per applicant and planned plot ratio.
    investment_intensity_median, investment_intensity_sd_log, revenue_density_median,
    revenue_density_sd_log
        The pledges.
    correlation, far_correlation
        Correlations of the logs (see above).
    shortfall_median, shortfall_sd_log
        Delivered revenue = pledged × shortfall (per applicant, log-normal).
    consequence, penalty_share, tolerance
        The 达产 check: a project delivering less than pledged × (1 − tolerance) meets
        :class:`Consequence`.
    fallback
        Per park, the parks a rejected applicant tries next, in order; an applicant
        rejected by all of them leaves the city.
    kinds
        Kinds of project (shares sum to 1); none: one kind, ``"project"``.
    source
        Where the distributions come from.
    """

    gate: Gate = Gate.NONE
    arrivals_per_year: Annotated[float, Field(ge=0, le=10_000)] = 0.0
    land_median: PositiveArea = 30_000.0
    land_sd_log: Annotated[float, Field(ge=0, le=3)] = 0.0
    far_median: PositiveRatio = 2.0
    far_sd_log: Annotated[float, Field(ge=0, le=3)] = 0.0
    investment_intensity_median: UMoneyPerArea = 0.0
    investment_intensity_sd_log: Annotated[float, Field(ge=0, le=3)] = 0.0
    revenue_density_median: UMoneyPerArea = 0.0
    revenue_density_sd_log: Annotated[float, Field(ge=0, le=3)] = 0.0
    correlation: Annotated[float, Field(ge=-1, le=1)] = 0.0
    far_correlation: Annotated[float, Field(ge=-1, le=1)] = 0.0
    shortfall_median: UPositiveRatio = 1.0
    shortfall_sd_log: Annotated[float, Field(ge=0, le=3)] = 0.0
    consequence: Consequence = Consequence.NONE
    penalty_share: Annotated[Ratio, Field(ge=0, le=10)] = 0.0
    tolerance: Annotated[Ratio, Field(ge=0, lt=1)] = 0.0
    fallback: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    kinds: dict[str, ApplicantKind] = Field(default_factory=dict)
    source: str = ""

    @model_validator(mode="after")
    def _consistent(self) -> Applicants:
        problems = []
        rho, f = self.correlation, self.far_correlation
        corr = np.array([[1.0, f, f], [f, 1.0, rho], [f, rho, 1.0]])
        if np.linalg.eigvalsh(corr).min() < -1e-12:
            problems.append(
                Problem(
                    "far_correlation",
                    f"expected a valid correlation matrix; far_correlation {f:g} with "
                    f"correlation {rho:g} is not positive semi-definite; lower |far_correlation| "
                    "below √((1 + correlation)/2)",
                )
            )
        if self.kinds and abs(sum(k.share for k in self.kinds.values()) - 1.0) > 1e-6:
            total = sum(k.share for k in self.kinds.values())
            problems.append(
                Problem(
                    "kinds",
                    f"expected kinds' shares to sum to 100 %; found {total:.1%}; scale them",
                )
            )
        if self.gate is not Gate.NONE:
            for name in ("investment_intensity_median", "revenue_density_median"):
                if point_value(getattr(self, name)) <= 0:
                    problems.append(
                        Problem(
                            name,
                            f"required (> 0) with gate = {self.gate.value!r}: the pledges are "
                            'drawn around it; give one, e.g. "4812 万元/ha"',
                        )
                    )
        if problems:
            raise _ProblemsError(problems)
        return self


class ScoreIndicator(_Model):
    """One indicator of the 亩均效益 score (``[indicators.score.<name>]``): weight, benchmark.

    The benchmark is in the indicator's own unit: 万元/亩 for the per-亩 figures, persons
    per ha for employment density.
    """

    weight: Annotated[float, Field(gt=0, le=1)]
    benchmark: Annotated[float, Field(gt=0)]
    source: str = ""


class Indicators(_Model):
    """Indicators Chinese practice reports (``[indicators]``; :mod:`sim.indicators`).

    Attributes
    ----------
    year
        Year the tables read (default the horizon).
    tax_to_revenue
        Local tax per yuan of business revenue (亩均税收; NaN columns without it).
    value_added_ratio
        Value added per yuan of business revenue (亩均增加值).
    score
        The 亩均效益 score (浙政发〔2018〕5号 practice): per indicator (``tax_per_mu``,
        ``value_added_per_mu``, ``revenue_per_mu``, ``employment_density``) a weight and
        a benchmark; a parcel scores ``100 × Σ weight × min(value / benchmark, cap)``.
    score_cap
        The most one indicator may score, in benchmarks (default 1.5).
    classes
        Scores at or above which a parcel is class A, B and C (else D).
    source
        Where the ratios, weights and benchmarks come from.
    """

    year: Year | None = None
    tax_to_revenue: Annotated[Ratio, Field(ge=0, le=1)] | None = None
    value_added_ratio: Annotated[Ratio, Field(ge=0, le=1)] | None = None
    score: dict[str, ScoreIndicator] = Field(default_factory=dict)
    score_cap: Annotated[float, Field(gt=0, le=10)] = 1.5
    classes: tuple[float, float, float] = (90.0, 60.0, 30.0)
    source: str = ""

    @model_validator(mode="after")
    def _consistent(self) -> Indicators:
        problems = []
        known = ("tax_per_mu", "value_added_per_mu", "revenue_per_mu", "employment_density")
        problems += [
            Problem(f"score.{name}", f"unknown indicator {name!r}; use one of {list(known)}")
            for name in self.score
            if name not in known
        ]
        if self.score and abs(sum(i.weight for i in self.score.values()) - 1.0) > 1e-6:
            problems.append(
                Problem("score", "expected weights summing to 1; scale them so they do")
            )
        a, b, c = self.classes
        if not a >= b >= c:
            problems.append(
                Problem("classes", f"expected A ≥ B ≥ C; found {list(self.classes)}; sort them")
            )
        if problems:
            raise _ProblemsError(problems)
        return self


class _Benchmark(_Model):
    """A published figure the plan's numbers are compared with: value, year, growth, source."""

    year: Year | None = None
    growth: Annotated[Ratio, Field(gt=-1)] | None = None
    source: str = Field(min_length=1)

    @model_validator(mode="after")
    def _growth_needs_year(self) -> _Benchmark:
        if self.growth is not None and self.year is None:
            raise _ProblemsError(
                [
                    Problem(
                        "year",
                        "required with growth: growth projects the value from its year to "
                        "the target year; add the year the value was measured, e.g. year = 2013",
                    )
                ]
            )
        return self


class MoneyBenchmark(_Benchmark):
    """A benchmark amount of money (``value = "65 万元"``)."""

    value: Money


class AreaBenchmark(_Benchmark):
    """A benchmark area (``value = "38 m2"``)."""

    value: PositiveArea


class MoneyPerAreaBenchmark(_Benchmark):
    """A benchmark money per area (``value = "4812 万元/ha"``)."""

    value: MoneyPerArea


class Benchmarks(_Model):
    """Published figures the plan's own numbers are checked against (``[benchmarks]``).

    Each is a table ``[benchmarks.<name>]`` with ``value`` (with its unit), optional
    ``year`` and ``growth`` (a yearly rate that projects the value to a target year)
    and a required ``source``. All optional; a check whose benchmark is missing is
    skipped.

    Attributes
    ----------
    tolerance
        Relative difference up to which a figure counts as consistent with its benchmark.
    base_revenue
        Revenue of the whole sector in ``year`` (e.g. 395 亿元 in 2011) and the growth
        the plan states (``growth``, e.g. 40 %/yr).
    revenue_per_worker
        Yearly revenue per worker (CNY).
    m2_per_worker
        Floor per worker.
    revenue_per_m2
        Yearly revenue per m² of floor; derived from the two above when absent.
    investment_intensity, output_density
        Investment and output per m² of land of comparable zones, set against the
        admission rules.
    """

    tolerance: Annotated[Ratio, Field(ge=0)] = 0.10
    base_revenue: MoneyBenchmark | None = None
    revenue_per_worker: MoneyBenchmark | None = None
    m2_per_worker: AreaBenchmark | None = None
    revenue_per_m2: MoneyPerAreaBenchmark | None = None
    investment_intensity: MoneyPerAreaBenchmark | None = None
    output_density: MoneyPerAreaBenchmark | None = None


class Scenario(_Model):
    """A validated scenario: everything in SI units, paths absolute.

    Use :func:`load_scenario` to make one from a file.
    """

    path: Path
    sha256: str
    sources: tuple[Path, ...] = ()
    scenario: ScenarioMeta
    site: SiteFiles
    defaults: ParkAssumptions = ParkAssumptions()
    parks: dict[str, ParkAssumptions] = Field(default_factory=dict)
    committed: tuple[Committed, ...] = ()
    targets: tuple[Target, ...] = ()
    rules: Rules = Rules()
    market: Market | None = None
    rest_of_city: RestOfCity | None = None
    demand: DemandChain | None = None
    benchmarks: Benchmarks = Benchmarks()
    firms: FirmsSpec | None = None
    incentives: tuple[Incentive, ...] = ()
    fiscal: FiscalSpec | None = None
    applicants: Applicants | None = None
    indicators: Indicators = Indicators()

    @property
    def name(self) -> str:
        """The scenario's name."""
        return self.scenario.name

    @property
    def years(self) -> range:
        """Simulated years, base year to horizon inclusive."""
        return range(self.scenario.base_year, self.scenario.horizon + 1)

    @property
    def input_files(self) -> tuple[Path, ...]:
        """Every file a run of this scenario reads.

        The scenario, its ``extends`` parents and the site layers (a Shapefile with
        its sidecar files).
        """
        from sim.outputs import layer_files

        layers = [self.site.parks, self.site.parcels]
        if self.site.basemap is not None:
            layers.append(self.site.basemap)
        files = [*(self.sources or (self.path,))]
        for layer in layers:
            files += layer_files(layer)
        return tuple(dict.fromkeys(files))

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        first, last = self.scenario.base_year, self.scenario.horizon
        problems = []
        seen: dict[str, int] = {}
        for i, item in enumerate(self.committed):
            for parcel in item.parcels:
                if parcel in seen:
                    problems.append(
                        Problem(
                            f"committed[{i}].parcel",
                            f"expected each parcel once; found parcel {parcel!r} again "
                            f"(also committed[{seen[parcel]}]); merge the entries into one "
                            "with several phases",
                        )
                    )
                seen.setdefault(parcel, i)
            if point_value(item.start_year) > last + 1:
                problems.append(
                    Problem(
                        f"committed[{i}].start_year",
                        f"expected a year ≤ the horizon {last}; found "
                        f"{point_value(item.start_year):g}; "
                        "drop the entry or extend the horizon",
                    )
                )
        for i, target in enumerate(self.targets):
            if target.threshold is not None and target.metric is not Metric.FIRMS:
                problems.append(
                    Problem(
                        f"targets[{i}].threshold",
                        f'expected a threshold only with metric = "firms"; found it with '
                        f"{target.metric.value!r}; drop threshold",
                    )
                )
            if target.metric is Metric.FIRMS and self.firms is None:
                problems.append(
                    Problem(
                        f"targets[{i}].metric",
                        "expected a [firms] table for a firms target; found none; add [firms] "
                        "(base firms, m2_per_firm, sizes, growth, exits) or drop the target",
                    )
                )
            if not first <= target.year <= last:
                problems.append(
                    Problem(
                        f"targets[{i}].year",
                        f"expected a simulated year {first}–{last}; found {target.year}; "
                        "move the target year or the horizon",
                    )
                )
        n_years = last - first + 1
        tables = [("defaults", self.defaults), *((f"parks.{k}", v) for k, v in self.parks.items())]
        for table, assumptions in tables:
            for key in _YEARLY:
                values = getattr(assumptions, key)
                if isinstance(values, tuple) and len(values) not in (1, n_years):
                    problems.append(
                        Problem(
                            f"{table}.{key}",
                            f"expected one value or {n_years} values (one per year "
                            f"{first}–{last}); found a list of {len(values)}; give one value "
                            f"for every year or a single value for all",
                        )
                    )
        if problems:
            raise _ProblemsError(problems)
        return self


_YEARLY = ("land_supply_per_year", "demand_per_year", "take_up_per_year")


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
