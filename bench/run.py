"""parksim benchmarks: engine speed and memory, measured side by side in one run.

Run ``make bench`` (or ``.venv/bin/python bench/run.py``). Prints a table and writes
``out/bench/results.json``. Every ratio compares two timings taken in the same run,
so it holds on a noisy machine; absolute seconds are for this machine only. Memory is
the peak resident set of a fresh child process doing just that one job. Goals are
the project's, for the benchmark only — tests never assert wall-clock times.

Figures
-------
engine_vs_numpy_pass_ratio
    Monte Carlo engine time (uncertain Qingdao baseline, 1,000 draws) ÷ one numpy
    reduction pass over an array of the engine's output shape (draws × years ×
    parcels): how close the engine is to the memory bound (goal ≤ 5).
speedup_vs_python_reference
    The plain Python oracle (tests/oracle.py) ÷ the engine on the same sampled inputs
    (uncertain baseline, 200 draws) (goal ≥ 1000); also given for one draw.
baseline_10k_draws_engine_s
    Baseline scenario, 10,000 draws, sampling + engine (goal < 1 s); also for the
    uncertain variant.
two_million_parcels_one_year_s, two_million_parcels_peak_rss_mb
    Synthetic 2,000,000-parcel site, one year, deterministic, per-parcel outputs
    (goals < 1 s and < 1,024 MB).
baseline_rerun_ms
    Deterministic re-run of the baseline with one assumption changed, as a notebook
    slider does: engine + summary table (goal < 50 ms).
large_peak_rss_mb
    100,000 parcels × 30 years × 1,000 draws, Monte Carlo, peak memory (goal < 2,048 MB).
throughput, scaling
    Parcel-year-draws per second; time against parcels and against draws.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from sim.engine import Inputs, prepare, run, run_draws  # noqa: E402
from sim.montecarlo import sample_inputs  # noqa: E402
from sim.scenario import load_scenario  # noqa: E402
from sim.site import load_site  # noqa: E402

BASELINE = ROOT / "scenarios" / "qingdao_2012.toml"
UNCERTAIN = ROOT / "scenarios" / "qingdao_2012_uncertain.toml"
OUT = ROOT / "out" / "bench"


def best_of(func: Callable[[], object], repeat: int = 5) -> float:
    """Fastest of ``repeat`` timings of ``func()`` in seconds (the least disturbed)."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


def load_inputs(path: Path) -> tuple[Any, Inputs]:
    scenario = load_scenario(path)
    site = load_site(scenario.site, scenario.scenario.crs)
    return scenario, prepare(scenario, site)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def child(job: str) -> dict[str, float]:
    """Run one job in a fresh interpreter and return what it printed (JSON)."""
    done = subprocess.run(
        [sys.executable, __file__, "--job", job],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONHASHSEED": "0"},
    )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


# ------------------------------------------------------------------ child jobs


def job_two_million() -> dict[str, float]:
    from synthetic import synthetic_inputs

    inputs = synthetic_inputs(2_000_000, 1, lag=0.0)
    before = peak_rss_mb()
    start = time.perf_counter()
    result = run(inputs)
    seconds = time.perf_counter() - start
    assert result.total("floor_under_construction_m2")[0, 0] > 0  # real work happened
    return {"seconds": seconds, "peak_rss_mb": peak_rss_mb(), "rss_before_run_mb": before}


def job_large() -> dict[str, float]:
    from synthetic import synthetic_inputs

    inputs = synthetic_inputs(100_000, 30, draws=1_000)
    before = peak_rss_mb()
    start = time.perf_counter()
    series = run_draws(inputs)
    seconds = time.perf_counter() - start
    assert series["floor_completed_m2"].shape == (1_000, 30, inputs.park_ids.__len__())
    return {"seconds": seconds, "peak_rss_mb": peak_rss_mb(), "rss_before_run_mb": before}


JOBS = {"two_million": job_two_million, "large": job_large}


# ------------------------------------------------------------------ benchmarks


def bench_numpy_ratio(results: dict[str, Any]) -> None:
    scenario, inputs = load_inputs(UNCERTAIN)
    draws = 1_000
    sampled = sample_inputs(inputs, scenario, draws, np.random.default_rng(1))
    engine = best_of(lambda: run_draws(sampled))
    array = np.ones((draws, inputs.years.size, inputs.parcel_ids.size))
    numpy_pass = best_of(lambda: array.sum(), repeat=20)
    results["engine_vs_numpy_pass_ratio"] = engine / numpy_pass
    results["engine_1000_draws_s"] = engine
    results["numpy_pass_s"] = numpy_pass


def bench_oracle(results: dict[str, Any]) -> None:
    from tests.oracle import oracle

    scenario, inputs = load_inputs(UNCERTAIN)
    sampled = sample_inputs(inputs, scenario, 200, np.random.default_rng(2))
    start = time.perf_counter()
    oracle(sampled)
    python = time.perf_counter() - start
    engine = best_of(lambda: run_draws(sampled))
    results["speedup_vs_python_reference"] = python / engine
    results["python_reference_200_draws_s"] = python
    one = best_of(lambda: oracle(inputs), repeat=3)
    results["speedup_vs_python_reference_one_draw"] = one / best_of(lambda: run(inputs), 20)


def bench_10k(results: dict[str, Any]) -> None:
    for key, path in (("baseline", BASELINE), ("uncertain", UNCERTAIN)):
        scenario, inputs = load_inputs(path)

        def engine(scenario: Any = scenario, inputs: Inputs = inputs) -> object:
            sampled = sample_inputs(inputs, scenario, 10_000, np.random.default_rng(3))
            return run_draws(sampled)

        seconds = best_of(engine, repeat=3)
        results[f"{key}_10k_draws_engine_s"] = seconds
        years, parcels = inputs.years.size, inputs.parcel_ids.size
        results[f"{key}_throughput_parcel_year_draws_per_s"] = 10_000 * years * parcels / seconds


def bench_rerun(results: dict[str, Any]) -> None:
    _, inputs = load_inputs(BASELINE)
    ratio = inputs.park["plot_ratio"]
    changed = [replace(inputs, park={**inputs.park, "plot_ratio": ratio * f}) for f in (0.9, 1.1)]
    results["baseline_rerun_ms"] = (
        1e3 * best_of(lambda: [run(c).summary_frame() for c in changed], repeat=10) / len(changed)
    )


def bench_scaling(results: dict[str, Any]) -> None:
    from synthetic import synthetic_inputs

    by_parcels = {}
    for parcels in (10_000, 100_000, 1_000_000):
        inputs = synthetic_inputs(parcels, 10)
        by_parcels[parcels] = best_of(lambda inputs=inputs: run(inputs), repeat=3)
    scenario, inputs = load_inputs(UNCERTAIN)
    by_draws = {}
    for draws in (100, 1_000, 10_000):
        sampled = sample_inputs(inputs, scenario, draws, np.random.default_rng(4))
        by_draws[draws] = best_of(lambda sampled=sampled: run_draws(sampled), repeat=3)
    results["scaling_seconds_by_parcels_10_years"] = by_parcels
    results["scaling_seconds_by_draws_uncertain_baseline"] = by_draws


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--job":
        print(json.dumps(JOBS[sys.argv[2]]()))
        return
    results: dict[str, Any] = {
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                    "numpy": np.__version__, "platform": platform.platform()},
    }  # fmt: skip
    started = time.perf_counter()
    bench_numpy_ratio(results)
    bench_oracle(results)
    bench_10k(results)
    bench_rerun(results)
    two = child("two_million")
    results["two_million_parcels_one_year_s"] = two["seconds"]
    results["two_million_parcels_peak_rss_mb"] = two["peak_rss_mb"]
    results["two_million_parcels_rss_before_run_mb"] = two["rss_before_run_mb"]
    large = child("large")
    results["large_peak_rss_mb"] = large["peak_rss_mb"]
    results["large_seconds"] = large["seconds"]
    results["large_throughput_parcel_year_draws_per_s"] = 100_000 * 30 * 1_000 / large["seconds"]
    bench_scaling(results)
    results["bench_seconds"] = time.perf_counter() - started
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "results.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    report(results)


GOALS = {
    "engine_vs_numpy_pass_ratio": ("≤", 5),
    "speedup_vs_python_reference": ("≥", 1000),
    "baseline_10k_draws_engine_s": ("<", 1),
    "two_million_parcels_one_year_s": ("<", 1),
    "two_million_parcels_peak_rss_mb": ("<", 1024),
    "baseline_rerun_ms": ("<", 50),
    "large_peak_rss_mb": ("<", 2048),
}


def report(results: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="parksim benchmarks (out/bench/results.json)")
    for column in ("figure", "value", "goal", "met"):
        table.add_column(column, justify="left" if column == "figure" else "right", no_wrap=True)
    for key, value in results.items():
        if key == "machine":
            continue
        if isinstance(value, dict):
            value = ", ".join(f"{k:,}: {v:.3g}" for k, v in value.items())
            table.add_row(key, value, "", "")
            continue
        goal = GOALS.get(key)
        met = ""
        if goal is not None:
            op, limit = goal
            ok = {"≤": value <= limit, "≥": value >= limit, "<": value < limit}[op]
            met = "yes" if ok else "[red]no[/red]"
        table.add_row(key, f"{value:,.3g}", "" if goal is None else f"{goal[0]} {goal[1]:,}", met)
    Console(width=140).print(table)


if __name__ == "__main__":
    main()
