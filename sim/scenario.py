"""Scenario files: TOML in, a validated, frozen :class:`Scenario` in SI units out.

A scenario names the site layers, states each park's assumptions, the committed
projects, the targets and the admission rules. Values may carry units as strings
(``"1200 亩"``, ``"4000 万元/ha"``); they are converted once, here, to SI (see
:mod:`sim.units`). ``extends = "base.toml"`` makes a variant that overrides only
what it names (deep merge). Unknown keys are errors. Validation collects every
problem and raises one :class:`~sim.errors.ScenarioError` listing each with its
field path and the file.

Reading is bounded, because a scenario may come from anyone: only regular files
(a folder, FIFO or device is named as such and never opened), at most
:data:`MAX_SCENARIO_BYTES` over the whole ``extends`` chain of at most
:data:`MAX_EXTENDS` parents, nesting and dotted keys at most :data:`MAX_NESTING`
deep (checked before tomllib sees the text), yearly lists at most :data:`MAX_YEARS`
long, UTF-8 with or without a BOM, and every number finite.

Flow: ``path ──load_scenario──▶ Scenario``; :func:`resolve_park` turns the
``[defaults]`` and ``[parks.<id>]`` tables into complete :class:`ParkParams`.
"""

from __future__ import annotations

import codecs
import difflib
import hashlib
import os
import re
import stat
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

import numpy as np
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from sim.errors import MAX_SHOWN, Problem, ScenarioError
from sim.metrics import Metric
from sim.uncertainty import Distribution, parse_uncertain, point_value
from sim.units import Dimension, quantities_to_si, quantity_to_si

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

__all__ = [
    "DEFAULT_MIN_PARCEL_AREA_M2",
    "MAX_EXTENDS",
    "MAX_NESTING",
    "MAX_SCENARIO_BYTES",
    "MAX_YEARS",
    "AreaBenchmark",
    "Benchmarks",
    "Committed",
    "Market",
    "Metric",
    "MoneyBenchmark",
    "MoneyPerAreaBenchmark",
    "ParkAssumptions",
    "ParkParams",
    "Rules",
    "Scenario",
    "SiteFiles",
    "Target",
    "load_scenario",
    "park_assumption",
    "resolve_park",
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
#: Largest scenario file parksim reads, counting every file of an ``extends`` chain.
MAX_SCENARIO_BYTES = 4 * 1024 * 1024
#: Most files an ``extends`` chain may have above the scenario itself.
MAX_EXTENDS = 16
#: Deepest nesting of ``[ ]`` and ``{ }``, and most parts of one dotted key (``a.b.c``).
MAX_NESTING = 10

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
#: Park assumptions that may be a point or a distribution (see :mod:`sim.uncertainty`).
UPositiveRatio = Annotated[float | Distribution, _uncertain(Dimension.RATIO, gt=0)]
UYears = Annotated[float | Distribution, _uncertain(Dimension.DURATION, ge=0)]
UPositiveYears = Annotated[float | Distribution, _uncertain(Dimension.DURATION, gt=0)]
UPositiveArea = Annotated[float | Distribution, _uncertain(Dimension.AREA, gt=0)]
UShare = Annotated[float | Distribution, _uncertain(Dimension.RATIO, gt=0, le=1)]
UMoneyPerArea = Annotated[float | Distribution, _uncertain(Dimension.MONEY_PER_AREA, ge=0)]
UGrowth = Annotated[float | Distribution, _uncertain(Dimension.RATIO, gt=-1)]


class ParkAssumptions(_Model):
    """A park's assumptions as written: every field optional (``[defaults]`` or ``[parks.<id>]``).

    Year-varying fields (land supply, demand) take one value, or a list with one value
    per simulated year. Any field may instead be a distribution (:mod:`sim.uncertainty`).
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


class ParkParams(_Model):
    """A park's complete assumptions in SI units, year-varying values expanded per year.

    Attributes
    ----------
    land_supply_m2
        Land released per year (m² of land), one value per simulated year.
    demand_m2
        New floor the market absorbs per year (m² of construction starts), per year.
    plot_ratio
        Floor-area ratio developers build to; a parcel's own ``far_max`` caps it.
    start_lag_years
        Years from release to the earliest construction start.
    duration_years
        Construction time of one phase.
    max_floor_per_phase_m2
        Largest floor built in one phase; larger parcels build in equal phases.
    occupancy_ramp_years
        Years from completion to the occupancy ceiling (linear ramp; 0 = at once).
    occupancy_ceiling
        Long-run occupied share of completed floor.
    revenue_per_m2
        Business revenue per occupied m² per year in the base year (CNY/m²/yr).
    revenue_growth
        Yearly growth of revenue per m² (0.05 = 5 %).
    land_price, construction_cost, fitout_cost
        CNY per m² of land, of floor, of floor.
    m2_per_worker
        Occupied floor per worker.
    """

    park_id: str
    name: str
    land_supply_m2: tuple[float, ...]
    demand_m2: tuple[float, ...]
    plot_ratio: float
    start_lag_years: float
    duration_years: float
    max_floor_per_phase_m2: float
    occupancy_ramp_years: float
    occupancy_ceiling: float
    revenue_per_m2: float
    revenue_growth: float
    land_price: float
    construction_cost: float
    fitout_cost: float
    m2_per_worker: float


class Committed(_Model):
    """A known development that bypasses the release queue (``[[committed]]``)."""

    parcel: str = Field(min_length=1)
    start_year: Year
    floor: PositiveArea
    phases: int = Field(default=1, ge=1, le=50, strict=True)
    name: str = ""
    source: str = ""


class Target(_Model):
    """A target the plan sets (``[[targets]]``): ``metric`` of ``park`` by ``year`` ≥ ``value``."""

    metric: Metric
    park: str = Field(min_length=1)
    year: Year
    value: float
    source: str = ""

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
    """The shared market (``[market]``): yearly demand shocks common to all parks.

    Each park's demand in a year is multiplied by ``exp(sd·z − sd²/2)`` (mean one),
    where ``z = √ρ·Z_year + √(1−ρ)·ε_park,year`` with standard normal ``Z`` (one draw
    per year, shared by every park) and ``ε`` (own to the park): parks' log-factors
    correlate with ``ρ = correlation``. Applies to Monte Carlo runs only.
    """

    demand_sd: Annotated[float, BeforeValidator(lambda v: quantity_to_si(v, Dimension.RATIO))] = (
        Field(ge=0, le=2)
    )
    correlation: Annotated[float, BeforeValidator(lambda v: quantity_to_si(v, Dimension.RATIO))] = (
        Field(default=0.8, ge=0, le=1)
    )
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
        revenue per m² of land.
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
    idle_after_years, reclaim_after_years
        A released parcel not started ``idle_after_years`` after its release year is
        idle (闲置); after ``reclaim_after_years`` it may be taken back (2012 national rule).
    reclaim_idle
        Whether reclaimable land is taken back and returned to the park's land pool.
    source
        Where the thresholds come from.
    """

    investment_intensity_min: MoneyPerArea = Field(default=4000.0)
    revenue_density_min: MoneyPerArea = Field(default=20000.0)
    plot_ratio_min: dict[str, PlotRatio] = Field(default_factory=lambda: {"*": 1.0})
    building_coefficient_min: LandShare = 0.30
    admin_share_max: LandShare = 0.07
    green_share_max: LandShare = 0.20
    building_coefficient: LandShare | None = None
    admin_share: LandShare | None = None
    green_share: LandShare | None = None
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
    benchmarks: Benchmarks = Benchmarks()

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
            if item.parcel in seen:
                problems.append(
                    Problem(
                        f"committed[{i}].parcel",
                        f"expected each parcel once; found parcel {item.parcel!r} again "
                        f"(also committed[{seen[item.parcel]}]); merge the entries into one "
                        "with several phases",
                    )
                )
            seen.setdefault(item.parcel, i)
            if item.start_year > last:
                problems.append(
                    Problem(
                        f"committed[{i}].start_year",
                        f"expected a year ≤ the horizon {last}; found {item.start_year}; "
                        "drop the entry or extend the horizon",
                    )
                )
        for i, target in enumerate(self.targets):
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


_REQUIRED = [name for name in ParkAssumptions.model_fields if name != "name"]
_YEARLY = ("land_supply_per_year", "demand_per_year")


def resolve_park(scenario: Scenario, park_id: str, *, park_name: str = "") -> ParkParams:
    """Merge ``[defaults]`` and ``[parks.<park_id>]`` into complete parameters.

    Parameters
    ----------
    scenario
        The loaded scenario.
    park_id
        The park, as named in the parks layer.
    park_name
        Name to use when the scenario gives none.

    Returns
    -------
    ParkParams
        Complete assumptions, year-varying values expanded to one per simulated year.

    Raises
    ------
    ScenarioError
        Listing every assumption that is neither in ``[parks.<park_id>]`` nor in
        ``[defaults]``, and every yearly list of the wrong length.
    """
    own_values = _given(scenario.parks.get(park_id, ParkAssumptions()))
    merged = {**_given(scenario.defaults), **own_values}
    merged = {
        key: value if key in _YEARLY or key == "name" else point_value(value)
        for key, value in merged.items()
    }
    for key in _YEARLY:
        if isinstance(merged.get(key), Distribution):
            merged[key] = (merged[key].point(),)
    problems = [
        Problem(
            f"parks.{park_id}.{key}",
            f"required, but set neither here nor in [defaults]; add e.g. "
            f"'{key} = {_EXAMPLES[key]}' to [parks.{park_id}] or [defaults]",
        )
        for key in _REQUIRED
        if key not in merged
    ]
    n_years = len(scenario.years)
    yearly: dict[str, tuple[float, ...]] = {}
    for key in _YEARLY:
        values = merged.get(key)
        if values is None:
            continue
        if len(values) == 1:
            values = values * n_years
        if len(values) != n_years:
            problems.append(
                Problem(
                    f"parks.{park_id}.{key}",
                    f"expected one value or {n_years} values (one per year "
                    f"{scenario.scenario.base_year}–{scenario.scenario.horizon}); "
                    f"found a list of {len(values)}; give one value for every year or a "
                    "single value for all",
                )
            )
        yearly[key] = values
    if problems:
        raise ScenarioError("incomplete park assumptions", source=scenario.path, problems=problems)
    if max(yearly["demand_per_year"]) < merged["max_floor_per_phase"]:
        inherited = "" if "max_floor_per_phase" in own_values else " (from [defaults])"
        raise ScenarioError(
            "no phase could ever start",
            source=scenario.path,
            problems=[
                Problem(
                    f"parks.{park_id}.max_floor_per_phase",
                    f"expected at most the largest yearly demand "
                    f"({max(yearly['demand_per_year']):,.0f} m²); found "
                    f"{merged['max_floor_per_phase']:,.0f} m²{inherited}, so no phase fits the "
                    "market; lower max_floor_per_phase or raise demand_per_year",
                )
            ],
        )
    return ParkParams(
        park_id=park_id,
        name=merged.get("name") or park_name or park_id,
        land_supply_m2=yearly["land_supply_per_year"],
        demand_m2=yearly["demand_per_year"],
        plot_ratio=merged["plot_ratio"],
        start_lag_years=merged["start_lag_years"],
        duration_years=merged["duration_years"],
        max_floor_per_phase_m2=merged["max_floor_per_phase"],
        occupancy_ramp_years=merged["occupancy_ramp_years"],
        occupancy_ceiling=merged["occupancy_ceiling"],
        revenue_per_m2=merged["revenue_per_m2"],
        revenue_growth=merged["revenue_growth"],
        land_price=merged["land_price"],
        construction_cost=merged["construction_cost"],
        fitout_cost=merged["fitout_cost"],
        m2_per_worker=merged["m2_per_worker"],
    )


def _given(assumptions: ParkAssumptions) -> dict[str, Any]:
    return {
        name: getattr(assumptions, name)
        for name in ParkAssumptions.model_fields
        if getattr(assumptions, name) is not None
    }


def park_assumption(
    scenario: Scenario, park_id: str, name: str
) -> float | tuple[float, ...] | Distribution | str | None:
    """Return one assumption of a park as written (the park's own, else ``[defaults]``).

    Parameters
    ----------
    scenario
        The loaded scenario.
    park_id
        The park.
    name
        A field of :class:`ParkAssumptions`.

    Returns
    -------
    float, tuple, Distribution, str or None
        ``None`` where neither table sets it.
    """
    own = scenario.parks.get(park_id)
    value: float | tuple[float, ...] | Distribution | str | None = (
        getattr(own, name) if own is not None else None
    )
    if value is None:
        value = getattr(scenario.defaults, name)
    return value


_EXAMPLES = {
    "land_supply_per_year": '"20 ha"',
    "demand_per_year": '"30万 m2"',
    "plot_ratio": "2.0",
    "start_lag_years": "1",
    "duration_years": "3",
    "max_floor_per_phase": '"15万 m2"',
    "occupancy_ramp_years": "3",
    "occupancy_ceiling": '"90 %"',
    "revenue_per_m2": '"8000 元/m2"',
    "revenue_growth": '"10 %"',
    "land_price": '"600 元/m2"',
    "construction_cost": '"5600 元/m2"',
    "fitout_cost": '"1000 元/m2"',
    "m2_per_worker": '"38 m2"',
    "source": '"publication, year, page"',
    "value": '"65 万元"',
}


def load_scenario(path: str | Path) -> Scenario:
    """Read, merge (``extends``) and validate a scenario file.

    Parameters
    ----------
    path
        The TOML file.

    Returns
    -------
    Scenario
        Validated and frozen, quantities in SI units, site paths absolute.

    Raises
    ------
    ScenarioError
        One error listing every problem: TOML syntax, unknown keys, wrong types or
        units, numbers that are not finite, missing layer files, ``extends`` cycles;
        or a file that is not a regular UTF-8 file, too large, nested too deeply or
        extended through too many files.
    """
    resolved = _resolve(Path(path))
    if isinstance(resolved, str):
        raise ScenarioError(f"cannot use this scenario path: {resolved}", source=Path(path))
    path = resolved
    raw, digest, sources = _read_with_parents(path)
    raw.pop("extends", None)
    # "path", "sha256" and "sources" are filled in here; in the file they are unknown keys.
    problems = [
        _unknown_key([key], f"{_short(raw.pop(key))}")
        for key in ("path", "sha256", "sources")
        if key in raw
    ]
    problems += _check_site_files(raw.get("site"))
    try:
        filled = {"path": path, "sha256": digest, "sources": tuple(sources)}
        scenario = Scenario.model_validate({**raw, **filled})
    except ValidationError as exc:
        problems = [*_problems_from(exc), *problems]
    if problems:
        raise ScenarioError(
            f"{len(problems)} problem(s) in the scenario", source=path, problems=problems
        )
    return scenario


def _resolve(path: Path) -> Path | str:
    """Resolve ``..`` and links; return why not (a message) for an unusable path."""
    try:
        return path.resolve()
    except ValueError:  # an embedded NUL character
        return "the path contains a NUL character; fix the path"
    except (OSError, RuntimeError) as exc:  # a symbolic-link loop (RuntimeError before 3.13)
        return f"the path cannot be resolved ({exc}); fix the path or the symbolic links"


def _read_with_parents(path: Path) -> tuple[dict[str, Any], str, tuple[Path, ...]]:
    """Read ``path`` and its ``extends`` parents: the merged table, a digest, the files.

    Iterative, so that the chain length is checked rather than the recursion limit.
    The digest of a file covers its bytes and the digest of its parent.
    """
    chain: list[Path] = []
    layers: list[tuple[dict[str, Any], bytes]] = []
    used = 0
    current = path
    while True:
        if current in chain:
            cycle = " → ".join(p.name for p in (*chain, current))
            raise ScenarioError(
                "extends forms a cycle",
                source=chain[0],
                problems=[
                    Problem(
                        "extends",
                        f"expected a chain of files ending in one without extends; found the "
                        f"cycle {cycle}; remove the extends line from the base file",
                    )
                ],
            )
        if len(chain) > MAX_EXTENDS:
            shown = " → ".join([*(p.name for p in chain[:3]), "…", current.name])
            raise ScenarioError(
                "extends chain too long",
                source=chain[0],
                problems=[
                    Problem(
                        "extends",
                        f"expected at most {MAX_EXTENDS} files above the scenario; found a "
                        f"longer chain ({shown} → …); merge some of the files into one",
                    )
                ],
            )
        data = _read_bytes(current, named_by=chain[-1] if chain else None, used=used)
        used += len(data)
        raw = _parse_toml(_decode(data, current), current)
        _absolute_site_paths(raw, current.parent)
        chain.append(current)
        layers.append((raw, data))
        parent_ref = raw.get("extends")
        if parent_ref is None:
            break
        if not isinstance(parent_ref, str):
            raise ScenarioError(
                "bad extends",
                source=current,
                problems=[
                    Problem(
                        "extends",
                        f"expected a file name in quotes; found {_short(parent_ref)}; "
                        'write e.g. extends = "base.toml"',
                    )
                ],
            )
        parent = _resolve(current.parent / parent_ref)
        if isinstance(parent, str):
            raise ScenarioError(
                "bad extends",
                source=current,
                problems=[Problem("extends", f"expected a scenario file path; {parent}")],
            )
        current = parent
    merged, digest = layers[-1][0], hashlib.sha256(layers[-1][1]).hexdigest()
    for raw, data in reversed(layers[:-1]):
        merged = _deep_merge(merged, raw)
        digest = hashlib.sha256(data + digest.encode()).hexdigest()
    return merged, digest, tuple(chain)


def _read_bytes(path: Path, *, named_by: Path | None, used: int) -> bytes:
    """Read a scenario file, refusing what is not a regular file of a sensible size.

    ``os.stat`` comes first, so a folder, FIFO or device is named as such and never
    opened (a FIFO would block, ``/dev/zero`` would never end); the file is opened
    non-blocking and checked again, and at most the limit plus one byte is read.
    """

    def refuse(what: str, fix: str) -> ScenarioError:
        if named_by is None:
            return ScenarioError(f"the scenario is {what}; {fix}", source=path)
        return ScenarioError(
            "extends does not name a readable scenario file",
            source=named_by,
            problems=[
                Problem(
                    "extends", f"expected a scenario file; found {path}, which is {what}; {fix}"
                )
            ],
        )

    limit = MAX_SCENARIO_BYTES - used
    try:
        info = os.stat(path)
        if stat.S_ISREG(info.st_mode) and info.st_size <= limit:
            fd = os.open(
                path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
            )
            with os.fdopen(fd, "rb") as file:
                info = os.fstat(file.fileno())  # the file may have been swapped since stat
                data = file.read(limit + 1) if stat.S_ISREG(info.st_mode) else b""
        else:
            data = b""
    except FileNotFoundError:
        if named_by is None:
            raise ScenarioError(
                "scenario file not found; check the path and the current folder", source=path
            ) from None
        raise ScenarioError(
            "extends names a missing file",
            source=named_by,
            problems=[
                Problem(
                    "extends",
                    f"expected an existing scenario file; found {path}, which does not exist; "
                    f"fix the extends path (relative to {named_by.parent})",
                )
            ],
        ) from None
    except OSError as exc:
        raise refuse(
            f"not readable ({exc.strerror})",
            "expected a readable TOML file; check its permissions",
        ) from None
    if stat.S_ISDIR(info.st_mode):
        raise refuse(
            "a folder, not a file",
            f"name the .toml file in it{_tomls_in(path)}",
        )
    if not stat.S_ISREG(info.st_mode):
        raise refuse(
            f"{_file_kind(info.st_mode)}, not a regular file",
            "parksim reads scenarios only from regular files (a pipe or device could block "
            "or never end); save the scenario as a .toml file and name that",
        )
    size = max(info.st_size, len(data))
    if size > limit:
        others = f", and the files it extends already hold {used:,} bytes" if used else ""
        raise refuse(
            "too large",
            f"expected at most {MAX_SCENARIO_BYTES:,} bytes ({MAX_SCENARIO_BYTES >> 20} MiB) in "
            f"all; found {size:,}{'+' if len(data) > limit else ''} bytes{others}; a scenario "
            "holds assumptions (a few kB): check that this is the right file, and keep long "
            "tables in the site layers",
        )
    return data


def _tomls_in(folder: Path) -> str:
    try:
        names = sorted(p.name for _, p in zip(range(100), folder.glob("*.toml"), strict=False))
    except OSError:
        return ""
    return f", e.g. {folder / names[0]}" if names else ""


def _file_kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a special file"


def _decode(data: bytes, path: Path) -> str:
    """Decode UTF-8 (with or without the BOM Windows editors write), or say how to fix it."""
    fix = (
        "save the file as UTF-8 (in the editor: Save As → Encoding: UTF-8), or convert it, "
        f"e.g. iconv -f {{enc}} -t UTF-8 {path.name} > {path.stem}.utf8.toml"
    )
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise ScenarioError(
            "the file is UTF-16 text; expected UTF-8; " + fix.format(enc="UTF-16"), source=path
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        try:
            data.decode("gb18030")
            guess = " (it reads as GBK/GB18030, which Chinese-language Windows editors write)"
        except UnicodeDecodeError:
            guess = ""
        raise ScenarioError(
            f"the file is not UTF-8 text; expected UTF-8; found byte 0x{data[exc.start]:02X} "
            f"at line {line}, column {column}, which is not UTF-8{guess}; "
            + fix.format(enc="GBK" if guess else "<its encoding>"),
            source=path,
        ) from None


# Strings and comments, so that brackets and dots inside them are not counted. Each
# alternative is anchored at its opening character, so a failed match costs no more
# than the line (or, for an unclosed multi-line string, the rest of the file) once.
_STRING_OR_COMMENT = re.compile(
    r'"""(?s:(?:[^\\]|\\.)*?)""""{0,2}'
    r"|'''(?s:.*?)''''{0,2}"
    r'|"(?:[^"\\\n]|\\.)*"'
    r"|'[^'\n]*'"
    r"|#[^\n]*"
)
# A dotted key of more than MAX_NESTING parts (quoted parts are blanked to "sss").
# The look-behind starts a match only where a part starts, which keeps it linear.
_LONG_KEY = re.compile(
    rf"(?<![A-Za-z0-9_-])(?:[A-Za-z0-9_-]+[ \t]*\.[ \t]*){{{MAX_NESTING}}}[A-Za-z0-9_-]"
)


def _blank(match: re.Match[str]) -> str:
    # Same letter as the fast pass ("s"), so both passes see the same keys.
    return "s" * len(match.group())


def _check_structure(text: str, path: Path) -> None:
    """Refuse nesting tomllib would recurse on or take quadratic time over, before parsing.

    tomllib parses nested arrays and inline tables recursively (a few hundred levels
    raise ``RecursionError``) and spends time quadratic in the number of parts of a
    dotted key (40,000 parts: 20 s). A scenario needs three levels of either.
    """
    # Fast pass with strings and comments collapsed to "s"; only if it finds a problem
    # is the text blanked again, keeping every character's position, to name the line.
    if _structure_problem(_STRING_OR_COMMENT.sub("s", text)) is None:
        return
    found = _structure_problem(_STRING_OR_COMMENT.sub(_blank, text))
    kind, at = found if found is not None else ("nesting", 0)
    line = text.count("\n", 0, at) + 1
    if kind == "nesting":
        raise ScenarioError(
            "values nested too deeply",
            source=path,
            problems=[
                Problem(
                    f"line {line}",
                    f"expected lists [ ] and tables {{ }} nested at most {MAX_NESTING} "
                    "deep (a scenario needs 3, e.g. a distribution's list of values); "
                    "found deeper nesting; flatten the value",
                )
            ],
        )
    raise ScenarioError(
        "key has too many parts",
        source=path,
        problems=[
            Problem(
                f"line {line}",
                f"expected a key of at most {MAX_NESTING} dotted parts (e.g. "
                f"parks.comm_park.plot_ratio has 3); found {_short(text[at : at + 60])}; "
                "shorten the key",
            )
        ],
    )


def _structure_problem(blank: str) -> tuple[str, int] | None:
    """Return ``("nesting" | "key", index)`` of the first excess in blanked text, if any."""
    codes = np.frombuffer(blank.encode("latin-1", "replace"), dtype=np.uint8)
    opens = (codes == ord("[")) | (codes == ord("{"))
    at = np.flatnonzero(opens | (codes == ord("]")) | (codes == ord("}")))
    deep = np.flatnonzero(np.cumsum(np.where(opens[at], 1, -1)) > MAX_NESTING)
    if deep.size:
        return "nesting", int(at[deep[0]])
    long_key = _LONG_KEY.search(blank)
    if long_key is not None:
        return "key", long_key.start()
    return None


def _parse_toml(text: str, path: Path) -> dict[str, Any]:
    _check_structure(text, path)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(
            "TOML syntax error", source=path, problems=[_toml_problem(exc)]
        ) from None
    except ValueError as exc:  # a whole number of more than 4300 digits (int() refuses it)
        long_number = re.search(r"\d{1000,}", text)
        where = (
            f"line {text.count(chr(10), 0, long_number.start()) + 1}" if long_number else "value"
        )
        raise ScenarioError(
            "number too long",
            source=path,
            problems=[
                Problem(
                    where,
                    "expected a number parksim can read; found one it cannot "
                    f"({str(exc).split(';')[0]}); write a shorter number",
                )
            ],
        ) from None
    except RecursionError:  # _check_structure should have caught it; never a traceback
        raise ScenarioError(
            f"values nested too deeply; expected at most {MAX_NESTING} levels; flatten them",
            source=path,
        ) from None


_TOML_WHERE = re.compile(
    r"^(?P<what>.*?)\s*\(at (?P<where>line \d+, column \d+|end of document)\)$"
)


def _toml_problem(exc: tomllib.TOMLDecodeError) -> Problem:
    text = str(exc)
    match = _TOML_WHERE.match(text)
    where, what = (match["where"], match["what"]) if match else ("syntax", text)
    return Problem(
        where,
        f"expected valid TOML; found: {what}; fix the syntax there (quote text values, "
        "close every quote and bracket, write key = value; see https://toml.io)",
    )


def _absolute_site_paths(raw: dict[str, Any], folder: Path) -> None:
    site = raw.get("site")
    if not isinstance(site, dict):
        return
    for key in ("parks", "parcels", "basemap"):
        value = site.get(key)
        if isinstance(value, str):
            resolved = _resolve(folder / value)
            if isinstance(resolved, Path):  # else _check_site_files says what is wrong
                site[key] = str(resolved)


def _deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _check_site_files(site: object) -> list[Problem]:
    if not isinstance(site, dict):
        return []
    problems = []
    for key in ("parks", "parcels", "basemap"):
        value = site.get(key)
        if not isinstance(value, str):
            continue
        try:
            mode: int | None = os.stat(value).st_mode
        except (OSError, ValueError):
            mode = None
        if mode is not None and stat.S_ISREG(mode):
            continue
        if mode is None and "\0" in value:
            what = "which contains a NUL character"
        elif mode is None:
            what = "which does not exist"
        elif stat.S_ISDIR(mode):
            what = "which is a folder"
        else:
            what = f"which is {_file_kind(mode)}, not a file"
        problems.append(
            Problem(
                f"site.{key}",
                f"expected an existing layer file; found {_short(value)}, {what}; "
                "fix the path (relative to the scenario file that names it) or rebuild "
                "the maps with `make maps`",
            )
        )
    return problems


def _problems_from(exc: ValidationError) -> list[Problem]:
    problems = []
    for error in exc.errors(include_url=False):
        loc = [str(part) for part in error["loc"] if not _is_schema_tag(part)]
        found = error.get("input")
        cause = error.get("ctx", {}).get("error")
        if isinstance(cause, _ProblemsError):
            problems += [Problem(_dotted([*loc, p.where]), p.message) for p in cause.problems]
            continue
        if error["type"] == "extra_forbidden":
            # Spelling suggestions cost ~100 µs each; only the first problems are shown.
            suggest = len(problems) < 2 * MAX_SHOWN
            problems.append(_unknown_key(loc, _short(found), suggest=suggest))
            continue
        problems.append(Problem(_dotted(loc) or "scenario", _message(error, loc, found)))
    return _dedupe(problems)


def _message(error: Any, loc: list[str], found: Any) -> str:
    kind = str(error["type"])
    ctx = error.get("ctx", {})
    shown = _short(found)
    if kind == "missing":
        return f"required, but missing; add {_add_hint(loc)}"
    if kind == "value_error":
        return str(error["msg"]).removeprefix("Value error, ")
    if kind.startswith("int_"):
        fix = "write it without quotes" if isinstance(found, str) else "write a whole number"
        return f"expected a whole number; found {shown}; {fix}"
    if kind == "string_type":
        return f"expected text in quotes; found {shown}; put the value in quotes"
    if kind in ("path_type", "path_parsing"):
        return f'expected a file path in quotes; found {shown}; write e.g. "../maps/site.gpkg"'
    bounds = {"greater_than": ">", "greater_than_equal": "≥", "less_than": "<"}
    bounds["less_than_equal"] = "≤"
    if kind in bounds:
        limit = next(iter(ctx.values()), "?")
        share = " (= 100 %)" if kind == "less_than_equal" and limit == 1 else ""
        return (
            f"expected a value {bounds[kind]} {limit}{share}; found {shown}; "
            "change the value to lie in that range"
        )
    if kind == "enum":
        return f"expected one of {ctx.get('expected', '?')}; found {shown}; use one of these"
    if kind in ("tuple_type", "list_type"):
        table = loc[0] if loc else "entry"
        fix = (
            f"write each entry as its own [[{table}]] table"
            if table in ("committed", "targets")
            else "write the values as a list, e.g. [1, 2]"
        )
        return f"expected a list; found {shown}; {fix}"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"expected a table; found {shown}; write it as a [{_dotted(loc)}] table"
    if kind in ("string_too_short",):
        return f"expected non-empty text; found {shown}; fill it in"
    message = str(error["msg"]).replace("Input should be", "expected", 1)
    return f"{message}; found {shown}; see the README for this field"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


#: The table each location holds, for listing valid keys in errors.
_TABLES: dict[str, type[BaseModel]] = {
    "scenario": ScenarioMeta,
    "site": SiteFiles,
    "defaults": ParkAssumptions,
    "committed": Committed,
    "targets": Target,
    "rules": Rules,
    "benchmarks": Benchmarks,
}


def _valid_keys(parents: list[str]) -> list[str]:
    if not parents:
        top = [k for k in Scenario.model_fields if k not in ("path", "sha256", "sources")]
        return [*top, "extends"]
    if parents[0] == "benchmarks" and len(parents) == 2:
        return list(MoneyBenchmark.model_fields)
    model = ParkAssumptions if parents[0] == "parks" else _TABLES.get(parents[0])
    if model is None or (parents[0] == "parks" and len(parents) != 2):
        return []
    return list(model.model_fields)


def _table_name(parents: list[str]) -> str:
    if not parents:
        return "the top level"
    if parents[0] in ("committed", "targets") and len(parents) == 2:
        return f"[[{parents[0]}]] entry {parents[1]}"
    return f"[{'.'.join(parents)}]"


def _unknown_key(loc: list[str], found: str, *, suggest: bool = True) -> Problem:
    key, parents = loc[-1], loc[:-1]
    valid = _valid_keys(parents)
    close = difflib.get_close_matches(key, valid, n=1) if suggest else []
    fix = f"did you mean {close[0]!r}?" if close else "remove it or fix its spelling"
    expected = f"one of {', '.join(valid)}" if valid else "no such key"
    return Problem(
        _dotted(loc),
        f"unknown key {key!r} in {_table_name(parents)} (= {found}); expected {expected}; {fix}",
    )


def _add_hint(loc: list[str]) -> str:
    if len(loc) == 1:
        return f"a [{loc[0]}] table (see scenarios/qingdao_2012.toml)"
    example = _EXAMPLES.get(loc[-1], "…")
    return f"'{loc[-1]} = {example}' to {_table_name(loc[:-1])}"


_SCHEMA_TAG = re.compile(r"^(function-\w+|nullable|lax-or-strict|json-or-python|union|is-instance)")


def _is_schema_tag(part: object) -> bool:
    # pydantic puts validator and union branches ("function-before[<lambda>(), float]",
    # "tuple[float, ...]") in error locations; users never wrote those.
    if isinstance(part, int):
        return False
    text = str(part)
    return (
        bool(_SCHEMA_TAG.match(text))
        or text in {"float", "int", "str", "none"}
        or (text.startswith(("tuple[", "list[", "dict[", "constrained-")))
    )


def _dotted(parts: list[str]) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if part.isdigit() else (f".{part}" if out else part)
    return out


def _dedupe(problems: list[Problem]) -> list[Problem]:
    seen: set[tuple[str, str]] = set()
    unique = []
    for problem in problems:
        key = (problem.where, problem.message)
        if key not in seen:
            seen.add(key)
            unique.append(problem)
    return unique
