"""Running a sweep: resolve every variant, evaluate what is not stored yet, collect.

``SweepSpec ──resolve──▶ tasks ──Pool.imap_unordered──▶ Store ──▶ SweepRun``

Each variant is the base scenario loaded with its overrides
(:func:`sim.scenario.load_scenario`), a real, validated scenario; one whose overrides
do not validate is recorded as failed with its message, and the sweep goes on. Its key
(:func:`variant_key`) is the SHA-256 of its resolved scenario (the bytes of its file
chain and its overrides), its site's layer files, the seed and the draws: a variant
whose key is stored is not computed again. Each remaining variant is one task on the
executor (:func:`evaluate`): the deterministic run and the ensemble with the sweep's
draws and seed, keeping its target table (projection and P(met) of every target), the
same as :func:`sim.outcome.compute` gives. Sites are loaded once here and
shared with the workers once. Every variant uses the same seed, so its results do not
depend on the number of workers or the order tasks finish.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from sim.errors import SimError
from sim.sweep.results import best, tidy
from sim.sweep.spec import SweepSpec
from sim.sweep.store import Store

if TYPE_CHECKING:
    from sim.executor import Pool
    from sim.scenario import Scenario
    from sim.site import Site

__all__ = ["SweepRun", "Task", "evaluate", "run_sweep", "variant_key"]


@dataclass(frozen=True)
class Task:
    """One variant to evaluate on a worker."""

    key: str
    name: str
    scenario: Scenario
    site: str
    draws: int
    seed: int


@dataclass(frozen=True)
class Evaluation:
    """What a task returns: the target table, or the message of the bad input."""

    key: str
    table: pd.DataFrame | None
    error: str | None
    seconds: float


@dataclass(frozen=True)
class SweepRun:
    """The outcome of :func:`run_sweep`.

    Attributes
    ----------
    results
        Tidy table: a row per finished variant and target (:func:`sim.sweep.results.tidy`).
    best
        The best variants by the sweep's objective.
    manifest
        Every variant's status (``ok`` / ``failed`` and message).
    computed, reused, failed
        Variants evaluated now, found in the store, and failed.
    """

    results: pd.DataFrame
    best: pd.DataFrame
    manifest: pd.DataFrame
    computed: int
    reused: int
    failed: int


def _layer_digest(scenario: Scenario, cache: dict[Path, str]) -> str:
    from sim.outputs import file_sha256, layer_files

    site = scenario.site
    parts = [site.parks_layer or "", site.parcels_layer or "", scenario.scenario.crs]
    for layer in (site.parks, site.parcels):
        for path in layer_files(layer):
            if path not in cache:
                cache[path] = file_sha256(path) if path.is_file() else "missing"
            parts.append(cache[path])
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def variant_key(scenario: Scenario, *, seed: int, draws: int, layers: str) -> str:
    """Hash a variant's resolved scenario, site layers, seed and draws into its store key.

    Examples
    --------
    >>> class S:  # anything with a sha256
    ...     sha256 = "ab"
    >>> key = variant_key(S(), seed=1, draws=10, layers="cd")
    >>> len(key), key == variant_key(S(), seed=2, draws=10, layers="cd")
    (32, False)
    """
    from sim import __version__

    text = json.dumps(
        {"scenario": scenario.sha256, "layers": layers, "seed": seed, "draws": draws,
         "parksim": __version__},
        sort_keys=True,
    )  # fmt: skip
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def evaluate(task: Task, *, sites: dict[str, Site]) -> Evaluation:
    """Compute one variant (on a worker): its target table, or its bad input's message.

    The table is :attr:`sim.outcome.Outcome.targets` of ``compute(scenario, site,
    draws=..., seed=...)``, made the same way (the deterministic run's projection,
    the ensemble's P(met)) without the audit and rule tables a sweep does not keep;
    the rules are still bound, so a variant ``parksim run`` would refuse fails here too.
    """
    from sim.engine import prepare, run, run_ensemble
    from sim.rules import bind_rules
    from sim.targets import evaluate_targets

    start = time.perf_counter()
    scenario, site = task.scenario, sites[task.site]
    try:
        inputs = prepare(scenario, site)
        bind_rules(scenario, site)
        ensemble = run_ensemble(inputs, scenario, draws=task.draws, seed=task.seed)
        table = evaluate_targets(run(inputs), scenario.targets, ensemble=ensemble)
    except SimError as exc:
        return Evaluation(task.key, None, str(exc), time.perf_counter() - start)
    return Evaluation(task.key, table, None, time.perf_counter() - start)


def _site_id(scenario: Scenario) -> str:
    site = scenario.site
    return json.dumps(
        [str(site.parks), site.parks_layer, str(site.parcels), site.parcels_layer,
         scenario.scenario.crs]
    )  # fmt: skip


def run_sweep(
    spec: SweepSpec,
    executor: Pool,
    out: str | Path,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> SweepRun:
    """Run every variant of a sweep not yet in the store at ``out``, then collect.

    Parameters
    ----------
    spec
        From :func:`sim.sweep.load_sweep`.
    executor
        Where tasks run (:func:`sim.executor.make_executor`).
    out
        The sweep's folder (:class:`~sim.sweep.store.Store`): created, or resumed.
    progress
        Called with ``(finished, total)`` as variants finish (stored ones count at once).

    Returns
    -------
    SweepRun

    Raises
    ------
    SimError
        When the base scenario itself cannot be loaded, or ``out`` may not be written.
    """
    from sim.scenario import load_scenario
    from sim.site import load_site

    base = load_scenario(spec.scenario)  # a bad base is bad input for the whole sweep
    seed = base.scenario.seed if spec.seed is None else spec.seed
    store = Store.open(out, sweep=spec.path, inputs=(spec.path, *base.input_files))
    session = uuid.uuid4().hex[:12]
    digests: dict[Path, str] = {}
    sites: dict[str, Site] = {}
    tasks: list[Task] = []
    keys: dict[str, str] = {}
    failed: dict[str, str] = {}
    for variant in spec.variants:
        try:
            scenario = load_scenario(spec.scenario, overrides=variant.overrides)
            site_id = _site_id(scenario)
            if site_id not in sites:
                sites[site_id] = load_site(
                    scenario.site, scenario.scenario.crs, source=scenario.path
                )
        except SimError as exc:
            key = hashlib.sha256(f"{base.sha256}{variant.overrides!r}".encode()).hexdigest()[:32]
            keys[variant.name] = key
            failed[variant.name] = str(exc)
            store.fail(key, variant.name, str(exc), seconds=0.0, session=session)
            continue
        key = variant_key(
            scenario, seed=seed, draws=spec.draws, layers=_layer_digest(scenario, digests)
        )
        keys[variant.name] = key
        tasks.append(Task(key, variant.name, scenario, site_id, spec.draws, seed))
    done = store.done()
    todo = [task for task in tasks if task.key not in done]
    total, finished, computed = len(spec.variants), len(spec.variants) - len(todo), 0
    if progress is not None:
        progress(finished, total)
    try:
        for item in executor.imap_unordered(evaluate, todo, sites=executor.share(sites)):
            task = todo[item.index]
            result = item.value
            if item.error is not None or result is None or result.table is None:
                message = (
                    result.error
                    if result is not None and result.error
                    else f"{type(item.error).__name__}: {item.error}"
                )
                failed[task.name] = message
                seconds = 0.0 if result is None else result.seconds
                store.fail(task.key, task.name, message, seconds=seconds, session=session)
            else:
                store.put(
                    task.key, task.name, result.table, seconds=result.seconds, session=session
                )
                computed += 1
            finished += 1
            if progress is not None:
                progress(finished, total)
    finally:  # also on Ctrl-C: the manifest says what finished
        store.flush()
    done = store.done()
    tables = {v.name: store.read(keys[v.name]) for v in spec.variants if keys[v.name] in done}
    results = tidy(tables, spec.variants, spec.levers)
    ranked = best(results, spec.objective, spec.levers, spec.best) if len(results) else results
    manifest = store.manifest()
    manifest = manifest[manifest["key"].isin(set(keys.values()))].reset_index(drop=True)
    return SweepRun(
        results=results,
        best=ranked,
        manifest=manifest,
        computed=computed,
        reused=len(tasks) - len(todo),
        failed=len(failed),
    )
