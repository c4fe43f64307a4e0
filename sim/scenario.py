"""Scenario files: TOML in, a validated, frozen :class:`Scenario` in SI units out.

A scenario names the site layers, states each park's assumptions, the committed
projects, the targets and the admission rules. Values may carry units as strings
(``"1200 亩"``, ``"4000 万元/ha"``); they are converted once, here, to SI (see
:mod:`sim.units`). ``extends = "base.toml"`` makes a variant that overrides only
what it names (deep merge). Unknown keys are errors. Validation collects every
problem and raises one :class:`~sim.errors.ScenarioError` listing each with its
field path and the file.

Flow: ``path ──load_scenario──▶ Scenario``; :func:`resolve_park` turns the
``[defaults]`` and ``[parks.<id>]`` tables into complete :class:`ParkParams`.
"""

from __future__ import annotations

import enum
import hashlib
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from sim.errors import Problem, ScenarioError
from sim.units import Dimension, quantity_to_si

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

__all__ = [
    "Committed",
    "Metric",
    "ParkAssumptions",
    "ParkParams",
    "Rules",
    "Scenario",
    "SiteFiles",
    "Target",
    "load_scenario",
    "resolve_park",
]


def _quantity(dimension: Dimension) -> BeforeValidator:
    return BeforeValidator(lambda value: quantity_to_si(value, dimension))


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
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class ScenarioMeta(_Model):
    """The ``[scenario]`` table: name, time span, CRS and seed."""

    name: str = Field(min_length=1)
    base_year: int = Field(ge=1900, le=2200)
    horizon: int = Field(ge=1900, le=2200)
    crs: str = "EPSG:4549"
    seed: int = Field(default=0, ge=0)
    description: str = ""

    @model_validator(mode="after")
    def _horizon_after_base(self) -> ScenarioMeta:
        if self.horizon < self.base_year:
            raise ValueError(
                f"horizon {self.horizon} is before base_year {self.base_year}; "
                "set horizon to the last year to simulate"
            )
        return self

    @field_validator("crs")
    @classmethod
    def _known_crs(cls, value: str) -> str:
        from pyproj import CRS
        from pyproj.exceptions import CRSError

        try:
            crs = CRS.from_user_input(value)
        except CRSError:
            raise ValueError(f"unknown CRS {value!r}; use an EPSG code such as 'EPSG:4549'") from None
        if not crs.is_projected:
            raise ValueError(
                f"CRS {value!r} is not projected (areas need metres); "
                "use a projected CRS such as 'EPSG:4549' (CGCS2000 3° GK CM 120°E)"
            )
        return value


class SiteFiles(_Model):
    """The ``[site]`` table: where the layers are (relative to the scenario file)."""

    parks: Path
    parks_layer: str = "parks"
    parcels: Path
    parcels_layer: str = "parcels"
    basemap: Path | None = None
    basemap_layer: str = "land"


def _yearly_area(value: object) -> tuple[float, ...]:
    values = value if isinstance(value, list | tuple) else [value]
    if not values:
        raise ValueError("expected one area or a list of areas (one per year); found []")
    parsed = []
    for i, item in enumerate(values):
        try:
            area = quantity_to_si(item, Dimension.AREA)
        except ValueError as exc:
            raise ValueError(f"item {i}: {exc}" if len(values) > 1 else str(exc)) from None
        if area < 0:
            raise ValueError(f"must not be negative; found {item!r}")
        parsed.append(area)
    return tuple(parsed)


#: One area for every year, or a list with one area per simulated year.
YearlyArea = Annotated[tuple[float, ...], BeforeValidator(_yearly_area)]


class ParkAssumptions(_Model):
    """A park's assumptions as written: every field optional (``[defaults]`` or ``[parks.<id>]``).

    Year-varying fields (land supply, demand) take one value, or a list with one value
    per simulated year.
    """

    name: str | None = None
    land_supply_per_year: YearlyArea | None = None
    demand_per_year: YearlyArea | None = None
    plot_ratio: PositiveRatio | None = None
    start_lag_years: Years | None = None
    duration_years: PositiveYears | None = None
    max_floor_per_phase: PositiveArea | None = None
    occupancy_ramp_years: Years | None = None
    occupancy_ceiling: Share | None = None
    revenue_per_m2: MoneyPerArea | None = None
    revenue_growth: Annotated[Ratio, Field(gt=-1)] | None = None
    land_price: MoneyPerArea | None = None
    construction_cost: MoneyPerArea | None = None
    fitout_cost: MoneyPerArea | None = None
    m2_per_worker: PositiveArea | None = None


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
    start_year: int = Field(ge=1900, le=2200)
    floor: PositiveArea
    phases: int = Field(default=1, ge=1, le=50)
    name: str = ""
    source: str = ""


class Metric(str, enum.Enum):
    """What a target measures (the summary column it is checked against)."""

    FLOOR_COMPLETED = "floor_completed"
    FLOOR_UNDER_CONSTRUCTION = "floor_under_construction"
    FLOOR_STARTED = "floor_started"
    FLOOR_OCCUPIED = "floor_occupied"
    REVENUE = "revenue"
    WORKERS = "workers"

    @property
    def dimension(self) -> Dimension:
        """Dimension of the target value."""
        if self is Metric.REVENUE:
            return Dimension.MONEY
        if self is Metric.WORKERS:
            return Dimension.RATIO
        return Dimension.AREA

    @property
    def column(self) -> str:
        """Name of the projected quantity in outputs (with its unit)."""
        return {
            Metric.FLOOR_COMPLETED: "floor_completed_m2",
            Metric.FLOOR_UNDER_CONSTRUCTION: "floor_under_construction_m2",
            Metric.FLOOR_STARTED: "floor_started_m2",
            Metric.FLOOR_OCCUPIED: "floor_occupied_m2",
            Metric.REVENUE: "revenue_cny",
            Metric.WORKERS: "workers",
        }[self]


class Target(_Model):
    """A target the plan sets (``[[targets]]``): ``metric`` of ``park`` by ``year`` ≥ ``value``."""

    metric: Metric
    park: str = Field(min_length=1)
    year: int = Field(ge=1900, le=2200)
    value: float
    source: str = ""

    @model_validator(mode="before")
    @classmethod
    def _value_in_metric_units(cls, data: Any) -> Any:
        if isinstance(data, Mapping) and "value" in data and "metric" in data:
            try:
                metric = Metric(data["metric"])
            except ValueError:
                return data  # the enum's own error names the choices
            value = quantity_to_si(data["value"], metric.dimension)
            if value < 0:
                raise ValueError(f"value must not be negative; found {data['value']!r}")
            return {**data, "value": value}
        return data


class Rules(_Model):
    """Admission rules (``[rules]``): thresholds a project must reach."""

    investment_intensity_min: MoneyPerArea = Field(default=4000.0)
    revenue_density_min: MoneyPerArea = Field(default=20000.0)


class Scenario(_Model):
    """A validated scenario: everything in SI units, paths absolute.

    Use :func:`load_scenario` to make one from a file.
    """

    path: Path
    sha256: str
    scenario: ScenarioMeta
    site: SiteFiles
    defaults: ParkAssumptions = ParkAssumptions()
    parks: dict[str, ParkAssumptions] = Field(default_factory=dict)
    committed: tuple[Committed, ...] = ()
    targets: tuple[Target, ...] = ()
    rules: Rules = Rules()

    @property
    def name(self) -> str:
        """The scenario's name."""
        return self.scenario.name

    @property
    def years(self) -> range:
        """Simulated years, base year to horizon inclusive."""
        return range(self.scenario.base_year, self.scenario.horizon + 1)

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        problems = []
        seen: set[str] = set()
        for i, item in enumerate(self.committed):
            if item.parcel in seen:
                problems.append(
                    f"committed[{i}].parcel: parcel {item.parcel!r} is committed twice; "
                    "merge the entries into one with several phases"
                )
            seen.add(item.parcel)
            if item.start_year > self.scenario.horizon:
                problems.append(
                    f"committed[{i}].start_year: {item.start_year} is after the horizon "
                    f"{self.scenario.horizon}; drop the entry or extend the horizon"
                )
        for i, target in enumerate(self.targets):
            if not self.scenario.base_year <= target.year <= self.scenario.horizon:
                problems.append(
                    f"targets[{i}].year: {target.year} is outside the simulated years "
                    f"{self.scenario.base_year}–{self.scenario.horizon}; "
                    "move the horizon or the target year"
                )
        if problems:
            raise ValueError("\n".join(problems))
        return self


_REQUIRED = [name for name in ParkAssumptions.model_fields if name != "name"]


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
    own = scenario.parks.get(park_id, ParkAssumptions())
    merged = {**scenario.defaults.model_dump(exclude_none=True), **own.model_dump(exclude_none=True)}
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
    for key in ("land_supply_per_year", "demand_per_year"):
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
                    f"found {len(values)}",
                )
            )
        yearly[key] = values
    if problems:
        raise ScenarioError("incomplete park assumptions", source=scenario.path, problems=problems)
    if max(yearly["demand_per_year"]) < merged["max_floor_per_phase"]:
        raise ScenarioError(
            "no phase could ever start",
            source=scenario.path,
            problems=[
                Problem(
                    f"parks.{park_id}.max_floor_per_phase",
                    f"{merged['max_floor_per_phase']:,.0f} m² is larger than the largest yearly "
                    f"demand ({max(yearly['demand_per_year']):,.0f} m²), so no phase fits the "
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
        units, missing layer files, ``extends`` cycles.
    """
    path = Path(path).resolve()
    raw, digest = _read_with_parents(path, chain=())
    raw.pop("extends", None)
    problems = _check_site_files(raw.get("site"))
    try:
        scenario = Scenario.model_validate({**raw, "path": path, "sha256": digest})
    except ValidationError as exc:
        problems = [*_problems_from(exc), *problems]
        raise ScenarioError(
            f"{len(problems)} problem(s) in the scenario", source=path, problems=problems
        ) from None
    if problems:
        raise ScenarioError(
            f"{len(problems)} problem(s) in the scenario", source=path, problems=problems
        )
    return scenario


def _read_with_parents(path: Path, *, chain: tuple[Path, ...]) -> tuple[dict[str, Any], str]:
    if path in chain:
        cycle = " → ".join(str(p) for p in (*chain, path))
        raise ScenarioError(
            "extends forms a cycle",
            source=chain[0],
            problems=[Problem("extends", f"{cycle}; remove one of the extends lines")],
        )
    where = chain[-1] if chain else None
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ScenarioError(
            "scenario file not found",
            source=where or path,
            problems=[Problem("extends" if where else "file", f"{path} does not exist")],
        ) from None
    except OSError as exc:
        raise ScenarioError(f"cannot read the scenario ({exc.strerror})", source=path) from None
    try:
        raw = tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ScenarioError(
            f"the file is not UTF-8 text (byte {exc.start}); save it as UTF-8", source=path
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(
            f"TOML syntax error: {exc}; see https://toml.io for the syntax", source=path
        ) from None
    _absolute_site_paths(raw, path.parent)
    digest = hashlib.sha256(data)
    parent_ref = raw.get("extends")
    if parent_ref is None:
        return raw, digest.hexdigest()
    if not isinstance(parent_ref, str):
        raise ScenarioError(
            "bad extends",
            source=path,
            problems=[Problem("extends", f"expected a file name; found {parent_ref!r}")],
        )
    parent_path = (path.parent / parent_ref).resolve()
    parent, parent_digest = _read_with_parents(parent_path, chain=(*chain, path))
    digest.update(parent_digest.encode())
    return _deep_merge(parent, raw), digest.hexdigest()


def _absolute_site_paths(raw: dict[str, Any], folder: Path) -> None:
    site = raw.get("site")
    if not isinstance(site, dict):
        return
    for key in ("parks", "parcels", "basemap"):
        value = site.get(key)
        if isinstance(value, str):
            site[key] = str((folder / value).resolve())


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
        if isinstance(value, str) and not Path(value).is_file():
            problems.append(
                Problem(
                    f"site.{key}",
                    f"layer file {value} does not exist; fix the path "
                    "(relative to the scenario file) or rebuild the maps with `make maps`",
                )
            )
    return problems


def _problems_from(exc: ValidationError) -> list[Problem]:
    problems = []
    for error in exc.errors(include_url=False):
        loc = [str(part) for part in error["loc"] if not _is_union_branch(part)]
        where = _dotted(loc) or "scenario"
        kind = error["type"]
        if kind == "extra_forbidden":
            message = f"unknown key {loc[-1]!r}; check the spelling (valid keys: see README)"
        elif kind == "missing":
            message = "required, but missing"
        else:
            message = str(error["msg"]).removeprefix("Value error, ")
            if "input" in error and kind not in ("value_error",):
                message += f"; found {error['input']!r}"
        problems.append(Problem(where, message))
    return _dedupe(problems)


def _is_union_branch(part: object) -> bool:
    text = str(part)
    return text in {"float", "tuple[float, ...]", "function-before[<lambda>(), float]"} or (
        text.startswith(("function-", "tuple["))
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
