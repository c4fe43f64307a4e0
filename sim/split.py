"""Split one Monte Carlo run's draws across an executor's workers and join them exactly.

``(Inputs, Scenario, draws, seed, Pool) ──run_ensemble_split──▶ Ensemble``, bit for bit
the :class:`~sim.result.Ensemble` of :func:`sim.engine.run_ensemble` with the same seed:
every draw is sampled here, on the client, from the one generator the seed makes
(:func:`sim.montecarlo.sample_inputs`, in its fixed order), then the draws are cut into
contiguous slices, each slice runs on a worker (:func:`sim.engine.run_draws`) and the
slices are joined in draw order. The engine treats draws independently, so where a
draw runs cannot change it. The prepared inputs go to the workers once
(:meth:`~sim.executor.Pool.share`); each task carries only its slice of the sampled
park parameters and yearly budgets.
"""

from __future__ import annotations

import itertools
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from sim.engine import _drawn_fields, _ensemble, _plan_and_sample, run_draws

if TYPE_CHECKING:
    from sim.engine import Inputs
    from sim.executor import Pool
    from sim.result import Ensemble
    from sim.scenario import Scenario

__all__ = ["draw_slices", "run_ensemble_split"]

FloatArray = npt.NDArray[np.float64]


def draw_slices(draws: int, parts: int) -> list[tuple[int, int]]:
    """Cut ``range(draws)`` into at most ``parts`` contiguous ``(start, stop)`` slices.

    Examples
    --------
    >>> draw_slices(10, 3)
    [(0, 4), (4, 7), (7, 10)]
    >>> draw_slices(2, 5)
    [(0, 1), (1, 2)]
    """
    parts = max(1, min(parts, draws))
    edges = np.array([0, *(int(-(-draws * i // parts)) for i in range(1, parts + 1))])
    return [(int(a), int(b)) for a, b in itertools.pairwise(edges) if b > a]


def _run_slice(fields: dict[str, Any], *, base: Inputs, chunk_size: int) -> dict[str, FloatArray]:
    """On a worker: the prepared inputs with one slice's draws, run."""
    return run_draws(replace(base, **fields), chunk_size=chunk_size)


def run_ensemble_split(
    inputs: Inputs,
    scenario: Scenario,
    executor: Pool,
    *,
    draws: int,
    seed: int | None = None,
    parts: int | None = None,
    chunk_size: int = 2048,
) -> Ensemble:
    """Run a Monte Carlo build-out with its draws spread over ``executor``'s workers.

    Parameters
    ----------
    inputs
        :func:`sim.engine.prepare` of ``scenario`` and its site.
    scenario
        The scenario whose distributions and ``[market]`` are sampled.
    executor
        Where the slices run (:func:`sim.executor.make_executor`).
    draws, seed, chunk_size
        As for :func:`sim.engine.run_ensemble` (seed default: the scenario's).
    parts
        Number of slices (default: the executor's workers).

    Returns
    -------
    Ensemble
        Identical to ``run_ensemble(inputs, scenario, draws=draws, seed=seed)``.
    """
    seed = scenario.scenario.seed if seed is None else seed
    sampled, chunk_size = _plan_and_sample(
        inputs, scenario, draws=draws, seed=seed, chunk_size=chunk_size
    )
    slices = draw_slices(draws, parts or max(1, executor.workers))
    parts_out = executor.map(
        _run_slice,
        [_drawn_fields(sampled, a, b, sampled.draws) for a, b in slices],
        base=executor.share(inputs),
        chunk_size=chunk_size,
    )
    series = {name: np.concatenate([p[name] for p in parts_out], axis=0) for name in parts_out[0]}
    return _ensemble(series, inputs, scenario, seed=seed)
