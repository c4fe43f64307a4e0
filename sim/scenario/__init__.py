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

The package: :mod:`~sim.scenario.schema` (the models and value types),
:mod:`~sim.scenario.loading` (reading files with their guards, ``extends``,
:func:`load_scenario`), :mod:`~sim.scenario.messages` (pydantic errors into
problems, unknown-key suggestions) and :mod:`~sim.scenario.parks` (a park's
complete assumptions). It imports :mod:`sim.units`, :mod:`sim.distributions`,
:mod:`sim.metrics` and :mod:`sim.errors` (and :func:`sim.outputs.layer_files` for
:attr:`Scenario.input_files`), never the site or the engine.
"""

from __future__ import annotations

from sim.metrics import Metric
from sim.scenario.loading import MAX_EXTENDS, MAX_NESTING, MAX_SCENARIO_BYTES, load_scenario
from sim.scenario.parks import ParkParams, park_assumption, resolve_park
from sim.scenario.schema import (
    DEFAULT_MIN_PARCEL_AREA_M2,
    MAX_YEARS,
    ApplicantKind,
    Applicants,
    AreaBenchmark,
    Basis,
    Benchmarks,
    Committed,
    Consequence,
    DemandChain,
    Gate,
    Indicators,
    Market,
    MoneyBenchmark,
    MoneyPerAreaBenchmark,
    ParkAssumptions,
    RestOfCity,
    Rules,
    Scenario,
    SiteFiles,
    Target,
)

__all__ = [
    "DEFAULT_MIN_PARCEL_AREA_M2",
    "MAX_EXTENDS",
    "MAX_NESTING",
    "MAX_SCENARIO_BYTES",
    "MAX_YEARS",
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
    "Metric",
    "MoneyBenchmark",
    "MoneyPerAreaBenchmark",
    "ParkAssumptions",
    "ParkParams",
    "RestOfCity",
    "Rules",
    "Scenario",
    "SiteFiles",
    "Target",
    "load_scenario",
    "park_assumption",
    "resolve_park",
]
