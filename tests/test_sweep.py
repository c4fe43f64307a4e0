"""Sweeps on Dask: overrides, sweep files, the store, resuming after SIGKILL, bit-identity
across executors and split draws, worker death, a real `dask scheduler` + 2 workers.

One LocalCluster of two worker processes serves the module (starting one costs seconds).
"""

from __future__ import annotations

import itertools
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.cli import main
from sim.engine import prepare, run_ensemble
from sim.errors import ScenarioError
from sim.executor import DaskExecutor, SerialExecutor, make_executor
from sim.scenario import load_scenario
from sim.scenario.overrides import apply_overrides, parse_path
from sim.site import load_site
from sim.split import draw_slices, run_ensemble_split
from sim.sweep import load_sweep, run_sweep
from tests.conftest import TINY_TOML, write_tiny_site

UNCERTAIN = """
extends = "tiny.toml"
[defaults]
start_lag_years = { dist = "triangular", min = 0.5, mode = 1, max = 1.5 }
occupancy_ceiling = { dist = "normal", mean = "80 %", sd = "5 %", min = "70 %", max = "90 %" }
[market]
demand_sd = 0.2
correlation = 0.5
"""

SWEEP = """
[sweep]
name = "tiny_sweep"
scenario = "uncertain.toml"
draws = 40
seed = 11

[grid]
"defaults.plot_ratio" = [1.0, 1.5, 2.0]
"defaults.land_supply_per_year" = ["1 ha", "2 ha"]

[[variants]]
name = "bad"
set = { "defaults.plot_ratio" = "lots" }
"""


@pytest.fixture(scope="module")
def cluster() -> Iterator[DaskExecutor]:
    with DaskExecutor.local(2) as executor:
        yield executor


@pytest.fixture
def sweep_dir(tmp_path: Path) -> Path:
    write_tiny_site(tmp_path / "site.gpkg")
    (tmp_path / "tiny.toml").write_text(TINY_TOML, encoding="utf-8")
    (tmp_path / "uncertain.toml").write_text(UNCERTAIN, encoding="utf-8")
    (tmp_path / "sweep.toml").write_text(SWEEP, encoding="utf-8")
    return tmp_path


# --- overrides ------------------------------------------------------------------------


def test_parse_path_reads_tables_and_indices() -> None:
    assert parse_path("committed[2].start_year") == ("committed", 2, "start_year")
    with pytest.raises(ValueError, match="scenario path"):
        parse_path("defaults..plot_ratio")


def test_apply_overrides_sets_creates_tables_and_refuses_bad_paths() -> None:
    raw = {"defaults": {"plot_ratio": 1.5}, "targets": [{"value": 1}]}
    out = apply_overrides(raw, {"parks.X.plot_ratio": 2, "targets[0].value": 3})
    assert out["parks"] == {"X": {"plot_ratio": 2}} and out["targets"][0]["value"] == 3
    assert raw == {"defaults": {"plot_ratio": 1.5}, "targets": [{"value": 1}]}
    with pytest.raises(ScenarioError) as err:
        apply_overrides(raw, {"targets[4].value": 1, "defaults.plot_ratio.x": 2})
    assert [p.where for p in err.value.problems] == ["targets[4].value", "defaults.plot_ratio.x"]
    assert "index below 1" in str(err.value) and "expected a table" in str(err.value)


def test_load_scenario_with_overrides_is_a_validated_variant(sweep_dir: Path) -> None:
    base = load_scenario(sweep_dir / "uncertain.toml")
    variant = load_scenario(
        sweep_dir / "uncertain.toml",
        overrides={"defaults.plot_ratio": 2.5, "targets[1].value": "5万 m2"},
    )
    assert variant.defaults.plot_ratio == 2.5 and variant.targets[1].value == 50_000
    assert variant.sha256 != base.sha256 and variant.market == base.market
    with pytest.raises(ScenarioError, match=r"defaults\.plot_ratio"):
        load_scenario(sweep_dir / "uncertain.toml", overrides={"defaults.plot_ratio": "lots"})


# --- sweep files ----------------------------------------------------------------------


def test_sweep_file_grid_hypercube_and_list(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text(
        SWEEP.replace("draws = 40", "draws = 40\nbest = 2")
        + '\n[hypercube]\nsamples = 4\nseed = 3\n"defaults.take_up_per_year" = '
        '{ min = 1, max = 3, unit = "ha" }\n',
        encoding="utf-8",
    )
    spec = load_sweep(path)
    assert [v.name for v in spec.variants][:7] == [f"g{i:04d}" for i in range(6)] + ["h0000"]
    cube = [
        float(v.overrides["defaults.take_up_per_year"].split()[0])
        for v in spec.variants
        if v.name.startswith("h")
    ]
    # A Latin hypercube: one sample in each quarter of the range.
    assert sorted(int((x - 1) // 0.5) for x in cube) == [0, 1, 2, 3]
    assert spec.variants[-1].name == "bad" and spec.best == 2 and spec.seed == 11
    assert spec.scenario == (tmp_path / "uncertain.toml").resolve()


def test_the_shipped_sweep_loads_and_every_variant_validates() -> None:
    from tests.conftest import ROOT

    spec = load_sweep(ROOT / "sweeps" / "qingdao_land_supply.toml")
    assert len(spec.variants) == 9 and spec.objective.column == "share"
    for variant in spec.variants:
        scenario = load_scenario(spec.scenario, overrides=variant.overrides)
        park, value = next(iter(variant.overrides.items()))
        assert scenario.parks[park.split(".")[1]].land_supply_per_year == (
            float(value.split()[0]) * 10_000,
        )


def test_sweep_file_problems_are_named(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text('[sweep]\nname = "x"\nscenario = "a.toml"\ndraws = 1\nspeed = 3\n')
    with pytest.raises(ScenarioError) as err:
        load_sweep(path)
    text = str(err.value)
    assert str(path) in text and "sweep.draws" in text and "sweep.speed" in text


# --- executors ------------------------------------------------------------------------


def _square(x: int, *, offset: int = 0) -> int:
    return x * x + offset


def _fail_on_three(x: int) -> int:
    if x == 3:
        raise ValueError("three")
    return x


def test_dask_executor_maps_in_order_and_shares(cluster: DaskExecutor) -> None:
    assert cluster.workers == 2
    assert cluster.map(_square, range(6), offset=cluster.share(1)) == [1, 2, 5, 10, 17, 26]
    done = sorted((d.index, d.value, d.error) for d in cluster.imap_unordered(_square, [3, 4]))
    assert done == [(0, 9, None), (1, 16, None)]
    errors = {d.index: d.error for d in cluster.imap_unordered(_fail_on_three, [1, 3])}
    assert errors[0] is None and isinstance(errors[1], ValueError)


def _die_once(marker: str) -> int:
    """Kill this worker's process the first time (no Python cleanup), then succeed."""
    path = Path(marker)
    if not path.exists():
        path.write_text(str(os.getpid()))
        os._exit(1)
    return os.getpid()


def test_a_task_whose_worker_dies_is_retried_elsewhere(
    cluster: DaskExecutor, tmp_path: Path
) -> None:
    marker = tmp_path / "died"
    (pid,) = cluster.map(_die_once, [str(marker)])
    assert marker.exists() and int(marker.read_text()) != pid


def test_make_executor_default_is_serial() -> None:
    assert isinstance(make_executor(), SerialExecutor)


# --- bit-identity ---------------------------------------------------------------------


def test_split_draws_are_bit_identical_to_one_process(
    cluster: DaskExecutor, sweep_dir: Path
) -> None:
    scenario = load_scenario(sweep_dir / "uncertain.toml")
    site = load_site(scenario.site, scenario.scenario.crs)
    inputs = prepare(scenario, site)
    whole = run_ensemble(inputs, scenario, draws=37, seed=5)
    for executor, parts in ((cluster, 2), (cluster, 5), (SerialExecutor(), 3)):
        split = run_ensemble_split(inputs, scenario, executor, draws=37, seed=5, parts=parts)
        assert split.series.keys() == whole.series.keys()
        for name, values in whole.series.items():
            assert np.array_equal(split.series[name], values), name
    assert draw_slices(37, 5)[-1] == (30, 37)


@pytest.mark.parametrize("name", ["qingdao_2012_uncertain.toml", "qingdao_2012.toml"])
def test_split_draws_carry_every_sampled_input(name: str) -> None:
    """The Qingdao scenarios sample applicants (each parcel's own revenue per draw) and a
    per-phase market: a split run equals the whole, revenue included."""
    from tests.conftest import ROOT

    scenario = load_scenario(ROOT / "scenarios" / name)
    inputs = prepare(scenario, load_site(scenario.site, scenario.scenario.crs))
    whole = run_ensemble(inputs, scenario, draws=23, seed=7)
    split = run_ensemble_split(inputs, scenario, SerialExecutor(), draws=23, seed=7, parts=3)
    assert split.series.keys() == whole.series.keys()
    for key, values in whole.series.items():
        assert np.array_equal(split.series[key], values), key


def test_sweep_results_are_identical_with_one_and_two_workers_and_serially(
    cluster: DaskExecutor, sweep_dir: Path
) -> None:
    spec = load_sweep(sweep_dir / "sweep.toml")
    two = run_sweep(spec, cluster, sweep_dir / "two")
    serial = run_sweep(spec, SerialExecutor(), sweep_dir / "serial")
    with DaskExecutor.local(1) as one_worker:
        one = run_sweep(spec, one_worker, sweep_dir / "one")
    assert two.computed == 6 and two.failed == 1 and len(two.results) == 6 * 2
    pd.testing.assert_frame_equal(two.results, serial.results, check_exact=True)
    pd.testing.assert_frame_equal(two.results, one.results, check_exact=True)
    # The variant is the scenario: the same P(met) as computing it directly.
    from sim.outcome import compute

    scenario = load_scenario(sweep_dir / "uncertain.toml", overrides=spec.variants[5].overrides)
    site = load_site(scenario.site, scenario.scenario.crs)
    direct = compute(scenario, site, draws=40, seed=11).targets
    row = two.results[two.results["variant"] == "g0005"]
    assert row["probability_met"].tolist() == direct["probability_met"].tolist()
    assert row["projected"].tolist() == direct["projected"].tolist()
    failed = two.manifest[two.manifest["status"] == "failed"]
    assert failed["variant"].tolist() == ["bad"] and "defaults.plot_ratio" in failed.iloc[0, 3]


def test_a_finished_sweep_recomputes_nothing(cluster: DaskExecutor, sweep_dir: Path) -> None:
    spec = load_sweep(sweep_dir / "sweep.toml")
    first = run_sweep(spec, SerialExecutor(), sweep_dir / "out")
    again = run_sweep(spec, SerialExecutor(), sweep_dir / "out")
    assert (again.computed, again.reused) == (0, 6)
    pd.testing.assert_frame_equal(first.results, again.results, check_exact=True)
    ok = again.manifest[again.manifest["status"] == "ok"]
    assert set(ok["session"]) == set(first.manifest["session"])


# --- the command ----------------------------------------------------------------------


def test_cli_sweep_writes_results_and_says_some_failed(
    sweep_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = sweep_dir / "cli"
    code = main(["sweep", str(sweep_dir / "sweep.toml"), "--serial", "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 3
    assert "variant bad failed" in captured.err and "6 computed" in captured.out
    results = pd.read_csv(out / "results.csv")
    assert len(results) == 12 and {"probability_met", "defaults.plot_ratio"} <= set(results)
    best = pd.read_csv(out / "best.csv")
    assert best["objective"].is_monotonic_decreasing and len(best) == 5
    assert (out / "figures" / "sweep.png").stat().st_size > 0
    assert len(list((out / "variants").glob("*.parquet"))) == 6


def test_cli_sweep_refuses_a_folder_it_did_not_write(sweep_dir: Path) -> None:
    out = sweep_dir / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep")
    code = main(["sweep", str(sweep_dir / "sweep.toml"), "--serial", "--out", str(out)])
    assert code == 2 and (out / "notes.txt").read_text() == "keep"


def _sweep_cmd(sweep: Path, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "sim", "sweep", str(sweep), "--out", str(out), *extra]


def _stored(out: Path) -> dict[str, int]:
    """Finished variants' files and their modification times (not a killed write's temporary)."""
    files = (out / "variants").glob("*.parquet")
    return {p.name: p.stat().st_mtime_ns for p in files if not p.name.startswith(".")}


def test_a_sweep_killed_by_sigkill_resumes_without_recomputing(sweep_dir: Path) -> None:
    # N variants of tens of ms each, run serially in a child process that is SIGKILLed
    # once three are stored (the rest leave it a second or more to be killed in).
    n = 40
    grid = '"defaults.plot_ratio" = [' + ", ".join(f"{1 + i / n:.3f}" for i in range(n)) + "]"
    text = SWEEP.split("[grid]")[0] + "[grid]\n" + grid + "\n"
    (sweep_dir / "long.toml").write_text(text.replace("draws = 40", "draws = 1000"))
    out = sweep_dir / "killed"
    child = subprocess.Popen(
        _sweep_cmd(sweep_dir / "long.toml", out, "--serial", "--quiet"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and child.poll() is None:
            if (out / "variants").is_dir() and len(_stored(out)) >= 3:
                break
            time.sleep(0.01)
        assert child.poll() is None, "the sweep ended before it could be killed"
        child.send_signal(signal.SIGKILL)
    finally:
        child.kill()
        child.wait()
    before = _stored(out)
    assert 3 <= len(before) < n
    spec = load_sweep(sweep_dir / "long.toml")
    resumed = run_sweep(spec, SerialExecutor(), out)
    assert (resumed.computed, resumed.reused, resumed.failed) == (n - len(before), len(before), 0)
    after = _stored(out)
    assert len(after) == n and all(after[name] == t for name, t in before.items())
    sessions = resumed.manifest.groupby("session").size()
    assert sorted(sessions.tolist()) == sorted([len(before), n - len(before)])
    fresh = run_sweep(spec, SerialExecutor(), sweep_dir / "fresh")
    pd.testing.assert_frame_equal(resumed.results, fresh.results, check_exact=True)


# --- a real cluster -------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in reversed(processes):
        if process.poll() is None:
            process.terminate()
    for process in reversed(processes):
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_sweep_on_a_real_dask_scheduler_and_two_workers(sweep_dir: Path) -> None:
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    dask = [sys.executable, "-m", "distributed.cli.dask_scheduler"]
    worker = [sys.executable, "-m", "distributed.cli.dask_worker"]
    log = (sweep_dir / "dask.log").open("wb")
    processes: list[subprocess.Popen[bytes]] = []
    try:
        processes.append(
            subprocess.Popen(
                [
                    *dask,
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--dashboard-address",
                    ":0",
                    "--no-show",
                ],
                stdout=log,
                stderr=log,
            )
        )
        for _ in range(2):
            processes.append(
                subprocess.Popen(
                    [
                        *worker,
                        address,
                        "--nthreads",
                        "1",
                        "--host",
                        "127.0.0.1",
                        "--no-dashboard",
                        "--memory-limit",
                        "1GiB",
                    ],
                    stdout=log,
                    stderr=log,
                )
            )
        with DaskExecutor.connect(address) as executor:
            executor.client.wait_for_workers(2, timeout=60)
            assert executor.workers == 2 and executor.cluster is None
        out = sweep_dir / "remote"
        done = subprocess.run(
            _sweep_cmd(sweep_dir / "sweep.toml", out, "--scheduler", address, "--quiet"),
            capture_output=True,
            text=True,
            timeout=240,
        )
        assert done.returncode == 3, done.stderr
        assert "6 computed" in done.stdout
        spec = load_sweep(sweep_dir / "sweep.toml")
        here = run_sweep(spec, SerialExecutor(), sweep_dir / "here")
        remote = pd.read_parquet(out / "results.parquet")
        pd.testing.assert_frame_equal(remote, here.results, check_exact=True)
    finally:
        _stop(processes)
        log.close()
    assert all(p.poll() is not None for p in processes)


def test_scheduler_address_without_a_scheduler_is_bad_input() -> None:
    from sim.errors import SimError

    address = f"tcp://127.0.0.1:{_free_port()}"
    with pytest.raises(SimError, match="expected a running Dask scheduler"):
        DaskExecutor.connect(address, timeout=2)


# --- invariants and figures -----------------------------------------------------------


@given(st.integers(1, 5000), st.integers(1, 64))
def test_draw_slices_cover_every_draw_once_in_order(draws: int, parts: int) -> None:
    slices = draw_slices(draws, parts)
    assert slices[0][0] == 0 and slices[-1][1] == draws and len(slices) == min(draws, parts)
    assert all(a < b for a, b in slices)
    assert all(prev[1] == nxt[0] for prev, nxt in itertools.pairwise(slices))


@given(
    st.dictionaries(
        st.from_regex(r"[a-z]{1,6}(\.[a-z]{1,6}){0,2}", fullmatch=True), st.integers(), max_size=4
    )
)
def test_an_override_reads_back_where_no_later_one_overwrites_it(
    overrides: dict[str, int],
) -> None:
    try:
        table = apply_overrides({}, overrides)
    except ScenarioError:
        return  # a later path went through an earlier value: refused, named (tested above)
    paths = list(overrides)
    for i, (path, value) in enumerate(overrides.items()):
        node: object = table
        for step in parse_path(path):
            node = node[step] if isinstance(node, dict) else None  # type: ignore[index]
        # Overwritten: by a later value inside it, or by a later value of a table above it.
        inside = [p for p in paths if p != path and p.startswith(path + ".")]
        above = [p for p in paths[i + 1 :] if path.startswith(p + ".")]
        if not inside and not above:
            assert node == value


@pytest.mark.usefixtures("agg")
def test_sweep_charts_heat_map_scatter_and_parallel_coordinates() -> None:
    from sim.plot.sweep import MAX_CELLS, heat_map, parallel_coordinates

    grid = pd.DataFrame(
        {"a": ["1 ha", "2 ha", "1 ha", "2 ha"], "b": ["x", "x", "y", "y"],
         "objective": [0.1, 0.2, 0.3, 0.4]}
    )  # fmt: skip
    _, ax = heat_map(grid, "a", "b", title="t")
    cells = ax.images[0].get_array()
    assert cells.tolist() == [[0.1, 0.2], [0.3, 0.4]]
    cube = pd.DataFrame(
        {"a": [str(i) for i in range(MAX_CELLS + 1)], "b": ["1"] * (MAX_CELLS + 1),
         "objective": np.linspace(0, 1, MAX_CELLS + 1)}
    )  # fmt: skip
    _, ax = heat_map(cube, "a", "b", title="t")
    assert not ax.images and len(ax.collections[0].get_offsets()) == MAX_CELLS + 1
    _, ax = parallel_coordinates(grid.assign(c=["3", "4", "5", "6"]), ["a", "b", "c"], title="t")
    assert len(ax.lines) == 4 + 4  # a line per variant, an axis line per lever and objective


def test_a_local_cluster_is_sized_to_the_machine() -> None:
    from sim.executor import local_cluster_size

    workers, memory = local_cluster_size()
    assert workers == len(os.sched_getaffinity(0))
    import psutil

    assert workers * memory <= psutil.virtual_memory().total
