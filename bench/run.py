"""parksim benchmarks: engine speed and memory, measured side by side in one run.

Run ``make bench`` (or ``.venv/bin/python bench/run.py``). Prints a table and writes
``out/bench/results.json``. Every ratio compares two timings taken in the same run,
so it holds on a noisy machine; absolute seconds are for this machine only. Memory is
the peak resident set (``VmHWM``) of a fresh child process doing just that one job. The
run sets numpy's huge pages as parksim's command line does (``avoid_huge_page_stalls``;
``machine`` in the results says how). Goals are the project's, for the benchmark only —
tests never assert wall-clock times.

The engine is the quarterly model (``sim.buildout.advance``, docs/MODEL.md): it does
four steps a year where the old annual engine did one, and each step runs the whole
pipeline (servicing, sale, start, phases, occupancy, money). Sizes the quarterly engine
cannot reach in a benchmark run are measured smaller and say so in their key.

Figures
-------
engine_vs_numpy_pass_ratio
    Monte Carlo engine time (uncertain Qingdao baseline, 200 draws) ÷ one numpy
    reduction pass over an array of draws × years × parcels (goal ≤ 5). The goal was
    set for the per-parcel engine, whose output had that shape; the quarterly engine
    works per park, in one compiled loop over draws × 36 quarters × parks
    (sim/quarterly.py), draws split over the CPUs, and its time grows with draws
    (``engine_vs_numpy_pass_ratio_by_draws``). Both are the fastest of 20, the engine
    after a warm-up run, the numpy pass back to back: where the array (17 MB) fits in
    the CPU's last-level cache, that pass reads it from cache, several times faster
    than from memory. ``engine_vs_numpy_pass_ratio_in_turns`` times them in turns
    instead (A B A B), so the numpy pass reads its array from memory (no goal).
speedup_vs_python_reference
    The plain Python oracle (tests/oracle.py) ÷ the engine on the same
    sampled inputs (uncertain baseline, 200 draws, as the goal was set; the ratio
    grows with draws, ≈ 500 at 50) (goal ≥ 1000); also given for one draw.
baseline_10k_draws_engine_s, baseline_10k_draws_sampling_s
    Baseline scenario, 10,000 draws in the default chunks: the engine (goal < 1 s) and,
    apart, sampling them (every distribution, the market, and with ``[applicants]`` the
    applicants and their admission, per draw); measured, no longer extrapolated from
    1,000 draws (the quarterly loop works per park, so its fixed cost per chunk does not
    scale with draws). Also for the uncertain variant.
two_million_parcels_one_year_s, two_million_parcels_peak_rss_mb
    Synthetic 2,000,000-parcel site, one year (4 quarters), deterministic, per-parcel
    outputs (``run``: every parcel's year-end series, events and status) (goals < 1 s
    and < 1,024 MB): the fastest of three fresh processes, and the highest peak.
baseline_rerun_ms
    Deterministic re-run of the baseline with one assumption changed, as a notebook
    slider does: engine + summary table (goal < 50 ms).
large_8_draws_peak_rss_mb
    100,000 parcels × 30 years, Monte Carlo, peak memory (goal < 2,048 MB), measured at
    8 draws in one chunk: 1,000 draws would take about an hour at this throughput, and
    memory is set by the chunk (draws × parcels), not by the draws; also the working
    bytes per parcel-draw of a chunk.
urbansim_*
    UrbanSim 3.3's one-year developer step (``SqFtProForma.lookup`` for office +
    ``Developer.pick``; ../shared/peers/urbansim_developer_bench.py in its own venv
    ``.venv-peers``) at 2,000,000 parcels, alternating A B A B with parksim's
    2,000,000 parcels × 1 year (4 quarters) per-park run (``run_parks``), each in a
    fresh process: ``urbansim_speedup`` (UrbanSim feasibility + pick ÷ parksim
    ``run_parks``, best of each; goal ≥ 10) and ``urbansim_leaner`` (UrbanSim peak
    RSS ÷ parksim's, lowest of each; goal ≥ 4). UrbanSim's step makes buildings
    appear at once; ours runs sale → start → phases → completion → occupancy.
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

from sim.engine import Inputs, prepare, run, run_draws, run_parks  # noqa: E402
from sim.memory import avoid_huge_page_stalls  # noqa: E402
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


def best_of_both(
    first: Callable[[], object], second: Callable[[], object], rounds: int
) -> tuple[float, float]:
    """Fastest timings of ``first()`` and ``second()``, taken in turns, after one of each.

    Taking them in turns (A B A B) puts both through the same moments of a noisy
    machine, so their ratio holds; the call before timing is each one's warm-up (its
    arrays' first touch, the helper threads' start).
    """
    first(), second()
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(rounds):
        for func, out in zip((first, second), times, strict=True):
            start = time.perf_counter()
            func()
            out.append(time.perf_counter() - start)
    return min(times[0]), min(times[1])


def load_inputs(path: Path) -> tuple[Any, Inputs]:
    scenario = load_scenario(path)
    site = load_site(scenario.site, scenario.scenario.crs)
    return scenario, prepare(scenario, site)


def peak_rss_mb() -> float:
    """Peak resident set of this process, in MiB.

    ``VmHWM`` of /proc, not ``ru_maxrss``: Linux carries ``ru_maxrss`` over from the
    parent at fork, so a child of this (large) process would report the parent's size.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024  # KiB
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def rss_now_mb() -> float:
    """Resident set now (not the peak), from /proc."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


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


def load_kernel() -> None:
    """Load the compiled quarterly loop (sim/quarterly.py) before timing, as imports are.

    A fresh process loads it from numba's cache on its first run (about half a second);
    the timings are of the engine, not of loading it.
    """
    from synthetic import synthetic_inputs

    run(synthetic_inputs(100, 1, lag=0.0))


def job_two_million_parks() -> dict[str, float]:
    """Run parksim's side of the UrbanSim comparison: 2M parcels × 4 quarters, per park."""
    from synthetic import synthetic_inputs

    load_kernel()
    inputs = synthetic_inputs(2_000_000, 1, lag=0.0)
    before = peak_rss_mb()
    start = time.perf_counter()
    series = run_parks(inputs)
    seconds = time.perf_counter() - start
    assert series["floor_started_m2"].sum() > 0  # real work happened
    return {"seconds": seconds, "peak_rss_mb": peak_rss_mb(), "rss_before_run_mb": before}


def job_two_million() -> dict[str, float]:
    from synthetic import synthetic_inputs

    load_kernel()
    inputs = synthetic_inputs(2_000_000, 1, lag=0.0)
    before = peak_rss_mb()
    start = time.perf_counter()
    result = run(inputs)
    seconds = time.perf_counter() - start
    assert result.total("floor_under_construction_m2")[0, 0] > 0  # real work happened
    return {"seconds": seconds, "peak_rss_mb": peak_rss_mb(), "rss_before_run_mb": before}


def job_large() -> dict[str, float]:
    from synthetic import synthetic_inputs

    load_kernel()
    inputs = synthetic_inputs(100_000, 30, draws=LARGE_DRAWS)
    before = rss_now_mb()  # the peak so far may be a transient of building the inputs
    start = time.perf_counter()
    series = run_draws(inputs)
    seconds = time.perf_counter() - start
    assert series["floor_completed_m2"].shape == (LARGE_DRAWS, 30, len(inputs.park_ids))
    return {"seconds": seconds, "peak_rss_mb": peak_rss_mb(), "rss_before_run_mb": before}


LARGE_DRAWS = 8
TWO_MILLION_ROUNDS = 3
JOBS = {"two_million": job_two_million, "two_million_parks": job_two_million_parks,
        "large": job_large}  # fmt: skip


# ------------------------------------------------------------------ benchmarks


def bench_numpy_ratio(results: dict[str, Any]) -> None:
    scenario, inputs = load_inputs(UNCERTAIN)
    draws = 200
    sampled = sample_inputs(inputs, scenario, draws, np.random.default_rng(1))
    array = np.ones((draws, inputs.years.size, inputs.parcel_ids.size))
    run_draws(sampled)  # warm-up: the arrays' first touch, the helper threads' start
    engine = best_of(lambda: run_draws(sampled), repeat=20)
    numpy_pass = best_of(lambda: array.sum(), repeat=20)  # back to back: the array stays
    results["engine_vs_numpy_pass_ratio"] = engine / numpy_pass  # in cache if it fits
    # Timed in turns, the numpy pass reads its array from memory, as after any real work.
    in_turns = best_of_both(lambda: run_draws(sampled), lambda: array.sum(), 20)
    results["engine_vs_numpy_pass_ratio_in_turns"] = in_turns[0] / in_turns[1]
    # (Keys of their own: bench_oracle times the engine on 200 other draws.)
    results["engine_vs_numpy_engine_s"] = engine
    results["engine_vs_numpy_numpy_pass_s"] = numpy_pass
    by_draws = {}
    for more in (1_000, 5_000):
        sampled = sample_inputs(inputs, scenario, more, np.random.default_rng(1))
        big = np.ones((more, inputs.years.size, inputs.parcel_ids.size))
        run_draws(sampled)  # warm-up
        engine = best_of(lambda sampled=sampled: run_draws(sampled), repeat=3)
        by_draws[more] = engine / best_of(lambda big=big: big.sum(), repeat=5)
        del big
    results["engine_vs_numpy_pass_ratio_by_draws"] = by_draws


def oracle_inputs(inputs: Inputs) -> Any:
    """Lay engine inputs out as the oracle's :class:`~tests.oracle.OracleInputs`."""
    from tests.oracle import OracleInputs

    return OracleInputs(
        years=inputs.years,
        park_ids=inputs.park_ids,
        parcel_ids=tuple(inputs.parcel_ids),
        parcel_park=inputs.parcel_park,
        area_m2=inputs.area_m2,
        far_max=inputs.far_max,
        queue_rank=inputs.queue_rank,
        committed_start=np.atleast_2d(inputs.committed_start),
        committed_floor=np.atleast_2d(inputs.committed_floor),
        committed_phases=inputs.committed_phases,
        park=dict(inputs.park),
        land_supply_m2=inputs.land_supply_m2,
        take_up_m2=inputs.take_up_m2,
        demand_m2=inputs.demand_m2,
        reclaim_after_years=inputs.reclaim_after_years if inputs.reclaim_idle else None,
        idle_after_years=inputs.idle_after_years,
        pool_m2=None if inputs.allocation is None else inputs.allocation.pool_m2,
        attractiveness=None if inputs.allocation is None else inputs.allocation.attractiveness,
        room_weight=1.0 if inputs.allocation is None else inputs.allocation.room_weight,
        phase_years=inputs.phase_years,
    )


#: Draws of the oracle comparison: the goal's own (the engine's fixed cost per quarter
#: and park is spread over the draws, the oracle's is not, so the ratio grows with them:
#: ≈ 500 at 50 draws).
ORACLE_DRAWS = 200


def bench_oracle(results: dict[str, Any]) -> None:
    from tests.oracle import oracle

    scenario, inputs = load_inputs(UNCERTAIN)
    sampled = sample_inputs(inputs, scenario, ORACLE_DRAWS, np.random.default_rng(2))
    start = time.perf_counter()
    oracle(oracle_inputs(sampled))  # the same model: tests/test_buildout.py
    python = time.perf_counter() - start
    engine = best_of(lambda: run_draws(sampled), repeat=3)
    results["speedup_vs_python_reference"] = python / engine
    results[f"python_reference_{ORACLE_DRAWS}_draws_s"] = python
    results[f"engine_{ORACLE_DRAWS}_draws_s"] = engine
    one = best_of(lambda: oracle(oracle_inputs(inputs)), repeat=3)
    results["speedup_vs_python_reference_one_draw"] = one / best_of(lambda: run(inputs), 20)


def bench_10k(results: dict[str, Any]) -> None:
    for key, path in (("baseline", BASELINE), ("uncertain", UNCERTAIN)):
        scenario, inputs = load_inputs(path)
        start = time.perf_counter()
        sampled = sample_inputs(inputs, scenario, 10_000, np.random.default_rng(3))
        sampling = time.perf_counter() - start
        seconds = best_of(lambda sampled=sampled: run_draws(sampled), repeat=2)
        results[f"{key}_10k_draws_engine_s"] = seconds
        results[f"{key}_10k_draws_sampling_s"] = sampling
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
        by_parcels[parcels] = best_of(lambda inputs=inputs: run_parks(inputs), repeat=1)
    scenario, inputs = load_inputs(UNCERTAIN)
    by_draws = {}
    for draws in (10, 100, 1_000):
        sampled = sample_inputs(inputs, scenario, draws, np.random.default_rng(4))
        by_draws[draws] = best_of(lambda sampled=sampled: run_draws(sampled), repeat=1)
    results["scaling_seconds_by_parcels_10_years_run_parks"] = by_parcels
    results["scaling_seconds_by_draws_uncertain_baseline"] = by_draws


PEERS = Path(os.environ.get("PARKSIM_PEERS", ROOT.parent / "shared" / "peers"))
PEERS_VENV = ROOT / ".venv-peers"
URBANSIM_PARCELS = 2_000_000
URBANSIM_ROUNDS = 2


def urbansim_child() -> dict[str, float]:
    """UrbanSim's one-year developer step at 2M parcels, in a fresh process."""
    script = str(PEERS / "urbansim_developer_bench.py")
    out = OUT / "urbansim.json"
    done = subprocess.run(
        [str(PEERS_VENV / "bin" / "python"), script, "--sizes", str(URBANSIM_PARCELS),
         "--repeats", "1", "--json", str(out)],
        capture_output=True, text=True, check=True, timeout=1800,
    )  # fmt: skip
    rows = json.loads(out.read_text(encoding="utf-8"))
    if "error" in rows[0]:
        raise RuntimeError(f"UrbanSim peer failed: {rows[0]['error']}\n{done.stderr}")
    return dict(rows[0])


def bench_urbansim(results: dict[str, Any]) -> None:
    """UrbanSim developer step vs parksim run_parks, 2M parcels, alternating A B A B."""
    script = str(PEERS / "urbansim_developer_bench.py")
    OUT.mkdir(parents=True, exist_ok=True)
    # Make (or refresh) the peers' venv: pip-installs urbansim 3.3 from PyPI there; a tiny
    # run checks it works and warms the caches.
    subprocess.run(
        [sys.executable, script, "--bootstrap", str(PEERS_VENV), "--sizes", "1000",
         "--repeats", "1"],
        capture_output=True, text=True, check=True, timeout=1800,
    )  # fmt: skip
    peer, ours = [], []
    for _ in range(URBANSIM_ROUNDS):
        peer.append(urbansim_child())
        ours.append(child("two_million_parks"))
    peer_s = [r["feas_s"] + r["pick_s"] for r in peer]
    peer_mb = [r["peak_rss_mib"] for r in peer]
    our_s = [r["seconds"] for r in ours]
    our_mb = [r["peak_rss_mb"] for r in ours]
    results["urbansim_speedup"] = min(peer_s) / min(our_s)
    results["urbansim_leaner"] = min(peer_mb) / min(our_mb)
    results["urbansim_2m_developer_step_s"] = min(peer_s)
    results["urbansim_2m_feasibility_s"] = min(r["feas_s"] for r in peer)
    results["urbansim_2m_pick_s"] = min(r["pick_s"] for r in peer)
    results["urbansim_2m_peak_rss_mb"] = min(peer_mb)
    results["parksim_2m_one_year_run_parks_s"] = min(our_s)
    results["parksim_2m_one_year_run_parks_peak_rss_mb"] = min(our_mb)
    results["parksim_2m_rss_before_run_mb"] = min(r["rss_before_run_mb"] for r in ours)
    results["urbansim_rounds"] = {
        "urbansim_s": [round(x, 3) for x in peer_s], "urbansim_mb": [round(x) for x in peer_mb],
        "parksim_s": [round(x, 3) for x in our_s], "parksim_mb": [round(x) for x in our_mb],
    }  # fmt: skip
    results["urbansim_versions"] = peer[0]["versions"]


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--job":
        print(json.dumps(JOBS[sys.argv[2]]()))
        return
    # As parksim's command line runs (sim.memory.avoid_huge_page_stalls); the children,
    # UrbanSim's included, inherit the setting through the environment.
    pages = avoid_huge_page_stalls()
    results: dict[str, Any] = {
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                    "numpy": np.__version__, "platform": platform.platform(),
                    "numpy_huge_pages": os.environ.get("NUMPY_MADVISE_HUGEPAGE", "numpy's default"),
                    "huge_page_advice_switched_off": pages},
    }  # fmt: skip
    started = time.perf_counter()
    bench_numpy_ratio(results)
    bench_oracle(results)
    bench_10k(results)
    bench_rerun(results)
    # Best of three fresh processes, as every timing here is the least disturbed: a fresh
    # process's first touch of its memory is at the kernel's mercy (transparent huge
    # pages compacted on demand: one run in three here takes 3 s instead of 0.9).
    twos = [child("two_million") for _ in range(TWO_MILLION_ROUNDS)]
    results["two_million_parcels_one_year_s"] = min(r["seconds"] for r in twos)
    results["two_million_parcels_one_year_rounds_s"] = [r["seconds"] for r in twos]
    results["two_million_parcels_peak_rss_mb"] = max(r["peak_rss_mb"] for r in twos)
    results["two_million_parcels_rss_before_run_mb"] = twos[0]["rss_before_run_mb"]
    large = child("large")
    results[f"large_{LARGE_DRAWS}_draws_peak_rss_mb"] = large["peak_rss_mb"]
    results[f"large_{LARGE_DRAWS}_draws_seconds"] = large["seconds"]
    results["large_working_bytes_per_parcel_draw"] = (
        (large["peak_rss_mb"] - large["rss_before_run_mb"]) * 2**20 / (100_000 * LARGE_DRAWS)
    )
    results["large_throughput_parcel_year_draws_per_s"] = (
        100_000 * 30 * LARGE_DRAWS / large["seconds"]
    )
    bench_scaling(results)
    bench_urbansim(results)
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
    f"large_{LARGE_DRAWS}_draws_peak_rss_mb": ("<", 2048),
    "urbansim_speedup": ("≥", 10),
    "urbansim_leaner": ("≥", 4),
}


def _short(value: Any) -> str:
    if isinstance(value, list):
        return "/".join(f"{v:.3g}" for v in value)
    return f"{value:.3g}"


def report(results: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="parksim benchmarks (out/bench/results.json)")
    for column in ("figure", "value", "goal", "met"):
        table.add_column(column, justify="left" if column == "figure" else "right", no_wrap=True)
    for key, value in results.items():
        if key in ("machine", "urbansim_versions"):
            continue
        if isinstance(value, list):
            table.add_row(key, _short(value), "", "")
            continue
        if isinstance(value, dict):
            value = "; ".join(f"{k}: {_short(v)}" for k, v in value.items())
            table.add_row(key, value, "", "")
            continue
        goal = GOALS.get(key)
        met = ""
        if goal is not None:
            op, limit = goal
            ok = {"≤": value <= limit, "≥": value >= limit, "<": value < limit}[op]
            met = "yes" if ok else "[red]no[/red]"
        table.add_row(key, f"{value:,.3g}", "" if goal is None else f"{goal[0]} {goal[1]:,}", met)
    Console(width=200).print(table)


if __name__ == "__main__":
    main()
