"""``parksim sweep``: many variants of a scenario on a Dask cluster, stored, resumable.

Reads ``SWEEP.toml`` (:mod:`sim.sweep.spec`), runs every variant not yet stored in
``--out`` (default ``out/sweeps/<name>``) on the executor (:mod:`sim.executor`: a local
cluster sized to this machine, ``--workers N`` of them, a running cluster with
``--scheduler``, or ``--serial`` in this process), storing each as it finishes. Then it
writes ``results.csv``/``results.parquet`` (every target's projection and P(met) per
variant), ``best.csv`` (the best variants by the sweep's objective) and
``figures/sweep.png``, and prints the best. Run it again to resume a killed sweep.

Exit codes: 0 every variant finished; 3 some variants failed (each with its message
in ``manifest.parquet`` and on stderr), the others are stored; 2 bad input for the
whole sweep (the sweep file, the base scenario, ``--out``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from sim.cli._common import EXIT_OK, add_executor_options, new_parser

__all__ = ["EXIT_SOME_FAILED", "add", "run"]

#: Exit code when some variants failed and the rest finished.
EXIT_SOME_FAILED = 3


def add(commands: Any) -> argparse.ArgumentParser:
    """Register ``parksim sweep``."""
    sweep: argparse.ArgumentParser = new_parser(
        commands,
        "sweep",
        help="run many variants of a scenario (grid, Latin hypercube, list) on Dask",
        description=(
            "Run every variant a sweep file names, each a task on a Dask cluster, storing\n"
            "each result as it finishes (run again to resume); write a table of every\n"
            "target's projection and P(met) per variant, the best variants and a chart.\n"
            "Exit code 3 when some variants failed (see manifest.parquet), 2 on bad input."
        ),
        epilog=(
            "examples:\n"
            "  parksim sweep sweeps/qingdao_land_supply.toml                # local cluster\n"
            "  parksim sweep sweep.toml --workers 2 --out out/my_sweep\n"
            "  parksim sweep sweep.toml --scheduler tcp://HOST:8786      # a running cluster"
        ),
    )
    sweep.add_argument("sweep", type=Path, metavar="SWEEP.toml", help="the sweep file")
    add_executor_options(sweep)
    sweep.add_argument(
        "--serial", action="store_true", help="run the variants in this process, one by one"
    )
    sweep.add_argument(
        "--out", default=None, help="the sweep's folder (default: out/sweeps/<name>)"
    )
    sweep.add_argument("--quiet", action="store_true", help="no progress bar")
    return sweep


def _progress(quiet: bool) -> Any:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    console = Console(stderr=True)
    return Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        disable=quiet or not console.is_terminal,
    )


def run(args: argparse.Namespace, argv: list[str]) -> int:
    """Carry out ``parksim sweep``."""
    from sim.errors import SimError
    from sim.executor import Pool, SerialExecutor, make_executor
    from sim.sweep import load_sweep, run_sweep

    spec = load_sweep(args.sweep)
    if args.serial and (args.scheduler or args.workers):
        raise SimError("--serial runs in this process; leave out --scheduler and --workers")
    out = Path(args.out) if args.out is not None else Path("out") / "sweeps" / spec.name
    with _progress(args.quiet) as bar:
        task = bar.add_task(spec.name, total=len(spec.variants))

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        executor: Pool = (
            SerialExecutor()
            if args.serial
            else make_executor(args.scheduler, args.workers, local=True)
        )
        with executor:
            outcome = run_sweep(spec, executor, out, progress=progress)
    _write(outcome, spec, out)
    print(
        f"{spec.name}: {len(spec.variants)} variant(s): {outcome.computed} computed, "
        f"{outcome.reused} already stored, {outcome.failed} failed; results in {out}"
    )
    print(f"best by {spec.objective.describe()}:")
    print(outcome.best.to_string(index=False) if len(outcome.best) else "  (none finished)")
    failed = outcome.manifest[outcome.manifest["status"] == "failed"]
    for row in failed.itertuples():
        print(f"parksim: variant {row.variant} failed: {row.message}", file=sys.stderr)
    return EXIT_SOME_FAILED if len(failed) else EXIT_OK


def _write(outcome: Any, spec: Any, out: Path) -> None:
    """Write the results, the best and the chart into the sweep's folder."""
    from sim.outputs import atomic_file
    from sim.plot.figure import save_figure
    from sim.sweep import score

    def mine(path: Path) -> bool:
        return True  # the sweep's own folder (Store.open checked it)

    for name, table in (("results.csv", outcome.results), ("best.csv", outcome.best)):
        with atomic_file(out / name, made_by_parksim=mine) as temporary:
            table.to_csv(temporary, index=False)
    with atomic_file(out / "results.parquet", made_by_parksim=mine) as temporary:
        outcome.results.to_parquet(temporary, engine="pyarrow", index=False)
    if len(outcome.results):
        import matplotlib.pyplot as plt

        from sim.plot.sweep import sweep_chart

        scores = score(outcome.results, spec.objective).rename("objective").reset_index()
        first = outcome.results.drop_duplicates("variant")[["variant", *spec.levers]]
        table = first.merge(scores, on="variant")
        levers = [lever for lever in spec.levers if (table[lever] != "").any()]
        if levers:
            fig, _ = sweep_chart(table, levers, title=spec.objective.describe())
            save_figure(fig, out / "figures" / "sweep.png", dpi=150)
            plt.close(fig)
