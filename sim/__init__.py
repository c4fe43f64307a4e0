"""parksim: a land-use and park-capacity planning simulator.

Load a scenario, read its site, simulate, and look at the result::

    import sim
    scenario = sim.load_scenario("scenarios/qingdao_2012.toml")
    site = sim.load_site(scenario.site, scenario.scenario.crs)
    result = sim.simulate(scenario, site)
    result.summary_frame()
    from sim.outcome import compute
    compute(scenario, site).audit.to_markdown()   # capacity, consistency, rules
    sim.solve(path, "floor_completed total 2016 1000万 m2", ["PATH=LOW:HIGH"])  # what it takes

Names are imported lazily so that the command line starts quickly.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sim.audit import Audit
    from sim.decisions.calibrate import calibrate
    from sim.decisions.sensitivity import sensitivity
    from sim.decisions.solve import solve
    from sim.engine import prepare, run, simulate, simulate_draws
    from sim.errors import ScenarioError, SimError, SiteError, UnitError
    from sim.outcome import Outcome, compute
    from sim.result import Ensemble, Result, Status
    from sim.scenario import Scenario, load_scenario
    from sim.site import Site, load_site
    from sim.targets import evaluate_targets
    from sim.units import format_quantity, parse_quantity

_WHERE = {
    "calibrate": "sim.decisions.calibrate",
    "sensitivity": "sim.decisions.sensitivity",
    "solve": "sim.decisions.solve",
    "Audit": "sim.audit",
    "prepare": "sim.engine",
    "run": "sim.engine",
    "simulate": "sim.engine",
    "simulate_draws": "sim.engine",
    "Ensemble": "sim.result",
    "Outcome": "sim.outcome",
    "compute": "sim.outcome",
    "ScenarioError": "sim.errors",
    "SimError": "sim.errors",
    "SiteError": "sim.errors",
    "UnitError": "sim.errors",
    "Result": "sim.result",
    "Status": "sim.result",
    "Scenario": "sim.scenario",
    "load_scenario": "sim.scenario",
    "Site": "sim.site",
    "load_site": "sim.site",
    "evaluate_targets": "sim.targets",
    "format_quantity": "sim.units",
    "parse_quantity": "sim.units",
}

__all__ = [
    "Audit",
    "Ensemble",
    "Outcome",
    "Result",
    "Scenario",
    "ScenarioError",
    "SimError",
    "Site",
    "SiteError",
    "Status",
    "UnitError",
    "calibrate",
    "compute",
    "evaluate_targets",
    "format_quantity",
    "load_scenario",
    "load_site",
    "parse_quantity",
    "prepare",
    "run",
    "sensitivity",
    "simulate",
    "simulate_draws",
    "solve",
]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'sim' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
