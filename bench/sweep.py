"""Sweep benchmark: one sweep on 1 and 2 Dask workers and serially in one process.

Run ``make bench-sweep`` (or ``.venv/bin/python bench/sweep.py [--draws N]``); it is
separate from ``make bench`` so the main benchmark stays quick. It merges its figures
into ``out/bench/results.json`` (keeping what ``bench/run.py`` wrote there). Each
configuration runs the same sweep once, into a fresh store, so every variant is
computed; ratios compare timings taken in the same run.

Figures (``N`` = draws per variant, 1,000 by default; the key says when fewer were run)
-------------------------------------------------------------------------------------
sweep_64xN_serial_s, sweep_64xN_1_worker_s, sweep_64xN_2_workers_s
    64 variants (a Latin hypercube over the communications park's take-up and the
    long-run occupancy ceiling) of the uncertain Qingdao baseline
    (``scenarios/qingdao_2012_uncertain.toml``: the baseline with its distributions, so
    that draws differ), N draws each, wall-clock including storing each result; the
    local cluster's start-up is not counted (``..._cluster_start_s``).
sweep_64xN_speedup_2_vs_1_worker
    1-worker time ÷ 2-worker time (at most 2 on two cores; goal ≥ 1.6).
sweep_64xN_dask_1_worker_vs_serial
    1-worker time ÷ serial time: what Dask costs on one core (goal ≤ 1.1).
sweep_task_overhead_ms
    Round trip of a task that does nothing on the 2-worker cluster, per task, when 256
    are in flight (submit, schedule, run, return, as ``imap_unordered`` sees it).
sweep_identical_results
    True when the three configurations' result tables are equal bit for bit.
sweep_load_average_before, sweep_load_average_after
    The 1-minute load average around the run: on a shared machine, 2 workers speed a
    sweep up only when two cores are free.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sim.executor import DaskExecutor, Pool, SerialExecutor  # noqa: E402
from sim.sweep import SweepRun, load_sweep, run_sweep  # noqa: E402

OUT = ROOT / "out" / "bench"
VARIANTS = 64

SWEEP = """
[sweep]
name = "bench"
scenario = "{scenario}"
draws = {draws}
seed = 20120426

[hypercube]
samples = {variants}
seed = 1
"parks.comm_park.take_up_per_year" = {{ min = 1.5, max = 3.5, unit = "ha" }}
"defaults.occupancy_ceiling" = {{ min = 75, max = 95, unit = "%" }}
"""


def _nothing(item: int) -> int:
    return item


def task_overhead_ms(executor: Pool, tasks: int = 256) -> float:
    start = time.perf_counter()
    for _ in executor.imap_unordered(_nothing, range(tasks)):
        pass
    return (time.perf_counter() - start) / tasks * 1000


def timed_sweep(executor: Pool, sweep: Path, out: Path) -> tuple[float, SweepRun]:
    start = time.perf_counter()
    outcome = run_sweep(load_sweep(sweep), executor, out)
    seconds = time.perf_counter() - start
    assert outcome.computed == VARIANTS, outcome.manifest
    return seconds, outcome


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=1000, help="draws per variant")
    args = parser.parse_args()
    results: dict[str, Any] = {}
    load_before = os.getloadavg()[0]
    prefix = f"sweep_{VARIANTS}x{args.draws}"
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        sweep = work / "bench_sweep.toml"
        scenario = ROOT / "scenarios" / "qingdao_2012_uncertain.toml"
        text = SWEEP.format(scenario=scenario, draws=args.draws, variants=VARIANTS)
        sweep.write_text(text, encoding="utf-8")
        serial_s, serial = timed_sweep(SerialExecutor(), sweep, work / "serial")
        tables = [serial.results]
        for workers in (1, 2):
            start = time.perf_counter()
            with DaskExecutor.local(workers) as executor:
                results[f"sweep_{workers}_worker_cluster_start_s"] = time.perf_counter() - start
                seconds, outcome = timed_sweep(executor, sweep, work / f"dask{workers}")
                name = "1_worker" if workers == 1 else "2_workers"
                results[f"{prefix}_{name}_s"] = seconds
                tables.append(outcome.results)
                if workers == 2:
                    results["sweep_task_overhead_ms"] = task_overhead_ms(executor)
    results[f"{prefix}_serial_s"] = serial_s
    results[f"{prefix}_speedup_2_vs_1_worker"] = (
        results[f"{prefix}_1_worker_s"] / results[f"{prefix}_2_workers_s"]
    )
    results[f"{prefix}_dask_1_worker_vs_serial"] = results[f"{prefix}_1_worker_s"] / serial_s
    results["sweep_identical_results"] = all(t.equals(tables[0]) for t in tables[1:])
    results["sweep_cpus"] = os.cpu_count()
    # The machine is shared: the load says how many cores the workers could really have.
    results["sweep_load_average_before"] = load_before
    results["sweep_load_average_after"] = os.getloadavg()[0]
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / "results.json"
    merged = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    merged.update(results)
    path.write_text(json.dumps(merged, indent=2) + "\n", encoding="utf-8")
    for key, value in results.items():
        print(f"{key:45s} {value:.4g}" if isinstance(value, float) else f"{key:45s} {value}")


if __name__ == "__main__":
    main()
