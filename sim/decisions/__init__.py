"""Decisions: work backwards from a target, calibrate to observations, rank what matters.

- :func:`solve` (:mod:`sim.decisions.solve`): the lever values at which a target is met
  with probability P, the least-cost combination of several, or the earliest year;
- :func:`calibrate` (:mod:`sim.decisions.calibrate`): a least-squares fit of scenario
  values to observations, and an ABC-SMC posterior;
- :func:`sensitivity` (:mod:`sim.decisions.sensitivity`): tornado, Morris and Sobol
  rankings of the scenario's uncertain inputs.

All three name scenario values by their TOML paths (:mod:`sim.decisions.levers`), write
variants that ``extends`` the scenario, and hand their runs, as plain
:class:`~sim.decisions.evaluate.Task` data, to one :class:`~sim.executor.Executor`.
"""

from __future__ import annotations

from sim.decisions.calibrate import Calibration, calibrate, read_observations
from sim.decisions.evaluate import Query, Task, evaluate
from sim.decisions.levers import Lever, parse_lever, variant_text
from sim.decisions.sensitivity import Sensitivity, sensitivity
from sim.decisions.solve import Goal, Solution, parse_goal, solve

__all__ = [
    "Calibration",
    "Goal",
    "Lever",
    "Query",
    "Sensitivity",
    "Solution",
    "Task",
    "calibrate",
    "evaluate",
    "parse_goal",
    "parse_lever",
    "read_observations",
    "sensitivity",
    "solve",
    "variant_text",
]
