"""One run, computed once: everything a scenario yields, for writers, figures and people.

``path ──load──▶ (Scenario, Site) ──compute──▶ Outcome``

:func:`compute` prepares the engine inputs, simulates the deterministic run (every
distribution at its point value) and, with ``draws > 1``, the Monte Carlo ensemble;
then it evaluates the targets, the rules and the audit — each exactly once. Writers
(:mod:`sim.export`), figures (:mod:`sim.plot`) and every command read an
:class:`Outcome` and compute nothing of their own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    import pandas as pd

    from sim.applicants import Admission
    from sim.audit import Audit
    from sim.engine import Inputs
    from sim.fiscal import Fiscal
    from sim.indicators import IndicatorTables
    from sim.result import Ensemble, Result
    from sim.rules import ParcelRules, RuleTables
    from sim.scenario import Scenario
    from sim.site import Site

__all__ = ["Outcome", "compute", "load"]


@dataclass(frozen=True, eq=False)
class Outcome:
    """Everything one run of a scenario yields.

    Attributes
    ----------
    scenario, site
        What was run.
    inputs
        The engine inputs of the deterministic run (point values).
    result
        The deterministic run, per parcel.
    ensemble
        The Monte Carlo run per park, or None without ``draws > 1``.
    bound
        The scenario's ``[rules]`` laid out per parcel.
    rules
        Every rule table of the deterministic run.
    targets
        :func:`sim.targets.evaluate_targets` (with ``probability_met`` from the
        ensemble, when there is one).
    audit
        Capacity, consistency and rule findings.
    states
        Each parcel's :class:`~sim.states.ParcelState` at the end of every year,
        ``(Y, P)`` int8 (the eight map states).
    probability_by_year
        With an ensemble, P(target met) in every year for each of the scenario's
        targets, ``(T, Y)`` (:func:`sim.targets.probability_by_year`); else None.
    fiscal
        Firms and the fiscal ledger (:func:`sim.fiscal.compute_fiscal`), deterministic
        and over the draws; None when the scenario has no ``[firms]``,
        ``[[incentives]]`` or ``[fiscal]``.
    admission
        With ``[applicants]``, the deterministic run's applicants and their admission
        (:func:`sim.applicants.admit`, one draw of the applicants at the medians' point
        values); else None.
    indicators
        :func:`sim.indicators.indicator_tables` of the deterministic run
        (``parcel_indicators.csv``, ``park_indicators.csv``).
    applicants, applicants_by_year
        :func:`sim.applicants.table` and :func:`sim.applicants.by_park_year` of it
        (``applicants.csv``, ``applicants_by_year.csv``); None without ``[applicants]``.
    """

    scenario: Scenario
    site: Site
    inputs: Inputs
    result: Result
    ensemble: Ensemble | None
    bound: ParcelRules
    rules: RuleTables
    targets: pd.DataFrame
    audit: Audit
    states: npt.NDArray[np.int8]
    probability_by_year: npt.NDArray[np.float64] | None = None
    fiscal: Fiscal | None = None
    indicators: IndicatorTables | None = None
    admission: Admission | None = None
    applicants: pd.DataFrame | None = None
    applicants_by_year: pd.DataFrame | None = None

    @property
    def draws(self) -> int:
        """Monte Carlo draws (1 for a deterministic run)."""
        return 1 if self.ensemble is None else self.ensemble.draws

    @property
    def seed(self) -> int:
        """Seed of the draws (the scenario's unless given)."""
        return self.scenario.scenario.seed if self.ensemble is None else self.ensemble.seed

    def states_in(self, year: int | None = None) -> npt.NDArray[np.int8]:
        """Each parcel's map state at the end of ``year`` (default the horizon), ``(P,)``."""
        t = self.result.year_index(int(self.result.years[-1]) if year is None else year)
        return np.asarray(self.states[t], dtype=np.int8)

    def classes_in(self, year: int | None = None) -> npt.NDArray[np.int8]:
        """Each parcel's :class:`~sim.rules.Compliance` in ``year`` (default the horizon)."""
        t = self.result.year_index(int(self.result.years[-1]) if year is None else year)
        return np.asarray(self.rules.classes[t], dtype=np.int8)


def load(path: str | Path) -> tuple[Scenario, Site]:
    """Load a scenario file and its validated site.

    Parameters
    ----------
    path
        The scenario TOML file.

    Returns
    -------
    tuple
        ``(Scenario, Site)``.

    Raises
    ------
    sim.errors.SimError
        One error naming every problem of the file or its layers.
    """
    from sim.scenario import load_scenario
    from sim.site import load_site

    scenario = load_scenario(path)
    site = load_site(scenario.site, scenario.scenario.crs, source=scenario.path)
    return scenario, site


def compute(
    scenario: Scenario,
    site: Site,
    *,
    draws: int = 1,
    seed: int | None = None,
    chunk_size: int = 2048,
    progress: Callable[[int], None] | None = None,
    inputs: Inputs | None = None,
) -> Outcome:
    """Simulate a scenario and evaluate everything about it, once.

    Parameters
    ----------
    scenario, site
        From :func:`load`.
    draws
        Monte Carlo draws; with 1 (the default) the run is deterministic only.
    seed
        Seed of the draws (default: the scenario's ``seed``).
    chunk_size
        Draws simulated together (memory bound; results do not depend on it).
    progress
        Called with the number of draws done after each chunk.
    inputs
        Engine inputs to simulate instead of ``prepare(scenario, site)``: a what-if
        variant of them (``dataclasses.replace`` of park parameters, land supply or
        demand), made from this scenario and site.

    Returns
    -------
    Outcome

    Raises
    ------
    sim.errors.SimError
        When the scenario cannot be bound to its site (unknown parks or parcels,
        land uses without a rule) or the draws cannot fit in memory.
    """
    from sim.applicants import admit, apply_admission, by_park_year, table
    from sim.audit import audit
    from sim.audit.fiscal import fiscal_findings
    from sim.engine import prepare, run, run_ensemble
    from sim.fiscal import compute_fiscal
    from sim.indicators import indicator_tables
    from sim.rules import bind_rules, evaluate_rules
    from sim.states import parcel_states
    from sim.targets import evaluate_targets, probability_by_year

    inputs = prepare(scenario, site) if inputs is None else inputs
    before_admission = inputs  # Monte Carlo admits each draw's applicants itself
    admission = None
    if scenario.applicants is not None and inputs.parcel_revenue_per_m2 is None:
        admission = admit(scenario, inputs, np.random.default_rng(scenario.scenario.seed))
        inputs = apply_admission(inputs, admission)
    bound = bind_rules(scenario, site)
    result = run(inputs)
    ensemble = chances = None
    if draws > 1:
        ensemble = run_ensemble(
            before_admission,
            scenario,
            draws=draws,
            seed=seed,
            chunk_size=chunk_size,
            progress=progress,
        )
    fiscal = None
    if scenario.firms is not None or scenario.incentives or scenario.fiscal is not None:
        fiscal = compute_fiscal(scenario, result, ensemble)
    counts = fiscal.counts if fiscal is not None else None
    if ensemble is not None:
        spread = fiscal.ensemble_counts if fiscal is not None else None
        chances = np.array(
            [probability_by_year(ensemble, target, spread) for target in scenario.targets],
            dtype=float,
        ).reshape(len(scenario.targets), ensemble.years.size)
    tables = evaluate_rules(result, scenario.rules, bound)
    ceiling = result.parcel_parameters()["occupancy_ceiling"]
    states = np.stack(
        [
            parcel_states(
                result,
                year=int(year),
                idle_after_years=scenario.rules.idle_after_years,
                occupancy_ceiling=ceiling,
            )
            for year in result.years
        ]
    )
    report = audit(scenario, result, tables)
    if fiscal is not None:
        report = replace(report, findings=(*report.findings, *fiscal_findings(scenario, fiscal)))
    return Outcome(
        scenario=scenario,
        site=site,
        inputs=inputs,
        result=result,
        ensemble=ensemble,
        bound=bound,
        rules=tables,
        targets=evaluate_targets(
            result,
            scenario.targets,
            ensemble=ensemble,
            firms=counts,
            firms_ensemble=None if fiscal is None else fiscal.ensemble_counts,
            tolerance=scenario.benchmarks.tolerance,
        ),
        audit=report,
        states=states,
        probability_by_year=chances,
        fiscal=fiscal,
        indicators=indicator_tables(result, inputs, bound, scenario.indicators),
        admission=admission,
        applicants=None if admission is None else table(admission),
        applicants_by_year=None if admission is None else by_park_year(admission),
    )
