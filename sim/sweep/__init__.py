"""Sweeps: many variants of one scenario, each a task, stored as it finishes, resumable.

``SWEEP.toml ──load_sweep──▶ SweepSpec ──run_sweep(executor, out)──▶ SweepRun``

The package: :mod:`~sim.sweep.spec` (the sweep file and its variants: grid, Latin
hypercube, list), :mod:`~sim.sweep.store` (Parquet per variant and a manifest),
:mod:`~sim.sweep.run` (evaluating variants on an executor, :mod:`sim.executor`) and
:mod:`~sim.sweep.results` (the tidy table, scores, the best). Figures are in
:mod:`sim.plot.sweep`; the command is ``parksim sweep`` (:mod:`sim.cli.sweep`).
"""

from __future__ import annotations

from sim.sweep.results import best, score, tidy
from sim.sweep.run import SweepRun, run_sweep, variant_key
from sim.sweep.spec import Objective, SweepSpec, Variant, load_sweep, parse_sweep
from sim.sweep.store import Store

__all__ = [
    "Objective",
    "Store",
    "SweepRun",
    "SweepSpec",
    "Variant",
    "best",
    "load_sweep",
    "parse_sweep",
    "run_sweep",
    "score",
    "tidy",
    "variant_key",
]
