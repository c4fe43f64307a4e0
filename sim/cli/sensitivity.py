"""``parksim sensitivity``: rank the scenario's uncertain inputs by their effect.

``SCENARIO [--method tornado|morris|sobol] [--output "METRIC PARK YEAR"]`` →
:func:`sim.decisions.sensitivity` → a table, ``sensitivity.csv`` and ``tornado.png``
or ``sobol.png`` in ``--out``.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from sim.cli._common import EXIT_OK, nonnegative_int, positive_int, status
from sim.cli._decisions import (
    Output,
    add_output_options,
    decision_parser,
    executor_from,
    output_folder,
    write_folder,
)

__all__ = ["add", "run"]

_EPILOG = """examples:
  parksim sensitivity scenarios/qingdao_2012_uncertain.toml
  parksim sensitivity scenarios/qingdao_2012_uncertain.toml --method sobol --samples 256 \\
      --output "floor_completed total 2016"

The inputs are the scenario's distributions; each run sets them (the rest at their point
values) and runs the point model."""


def add(commands: Any) -> argparse.ArgumentParser:
    """Register ``parksim sensitivity``."""
    parser = decision_parser(
        commands,
        "sensitivity",
        help="rank which uncertain inputs matter (tornado, Morris, Sobol)",
        description="Rank the scenario's uncertain inputs by their effect on one output: a "
        "tornado (P10/P90), Morris screening or Sobol indices (SALib).",
        epilog=_EPILOG,
    )
    parser.add_argument("--method", choices=("tornado", "morris", "sobol"), default="tornado")
    parser.add_argument("--output", default=None, help='"METRIC PARK YEAR" (default: first target)')
    parser.add_argument(
        "--samples",
        type=positive_int,
        default=None,
        help="Sobol N (64) or Morris trajectories (10)",
    )
    parser.add_argument("--seed", type=nonnegative_int, default=None, help="seed of the sampling")
    add_output_options(parser, "sensitivity")
    return parser


def run(args: argparse.Namespace, argv: list[str]) -> int:
    """Carry out ``parksim sensitivity``."""
    from sim.decisions import sensitivity
    from sim.plot import sobol_chart, tornado_chart

    output = output_folder(args, "sensitivity")
    with status(args.quiet, f"sensitivity ({args.method})") as update:
        found = sensitivity(
            args.scenario,
            method=args.method,
            output=args.output,
            samples=args.samples,
            seed=args.seed,
            executor=executor_from(args),
        )
        update("writing")
        charts = {"tornado": tornado_chart, "sobol": sobol_chart}
        chart = charts.get(args.method)
        write_folder(
            output,
            figures={} if chart is None else {f"{args.method}.png": lambda: chart(found)},
            write=lambda staging: _write_table(found, staging),
        )
    if not args.quiet:
        _print(found, output)
    return EXIT_OK


def _write_table(found: Any, staging: Path) -> None:
    from sim.export import write_csv

    write_csv(found.table, staging / "sensitivity.csv")


def _print(found: Any, output: Output) -> None:
    from rich.console import Console
    from rich.table import Table

    q = found.output
    table = Table(
        title=f"sensitivity ({found.method}) of {q.series} {q.park} {q.year}; "
        f"point run {found.base:,.6g}; {found.evaluations} runs"
    )
    for column in found.table.columns:
        table.add_column(str(column), justify="left" if column in ("input", "unit") else "right")
    for row in found.table.itertuples(index=False):
        table.add_row(*[f"{v:,.4g}" if isinstance(v, float) else str(v) for v in row])
    Console().print(table)
    Console().print(f"outputs: {output.path}/")
