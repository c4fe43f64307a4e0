"""``parksim calibrate``: fit scenario values to observed build-out.

``SCENARIO --observed OBS.csv --fit PATH[=LOW:HIGH] … [--posterior]`` →
:func:`sim.decisions.calibrate` → a table, ``calibration.json``,
``calibration.png`` and ``<scenario>_calibrated.toml`` in ``--out``.
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
    variant_file,
    write_folder,
)

__all__ = ["add", "run"]

_EPILOG = """examples:
  parksim calibrate plan.toml --observed observed.csv \\
      --fit defaults.plot_ratio=1:3 --fit defaults.occupancy_ceiling=50:95
  parksim calibrate plan.toml --observed observed.csv --fit defaults.duration_years=1:4 \\
      --posterior --particles 200

observed.csv columns: date (2016, 2016Q3 or 2016-09-30), park_id (or total), metric
(floor_completed, … or any summary series such as floor_occupied_m2), value (SI units:
m2, CNY/yr, persons) and optionally sd (default 5 % of the value)."""


def add(commands: Any) -> argparse.ArgumentParser:
    """Register ``parksim calibrate``."""
    parser = decision_parser(
        commands,
        "calibrate",
        help="fit scenario values to observations (least squares, ABC-SMC posterior)",
        description="Fit numeric scenario values so the model reproduces what was observed: "
        "a weighted least-squares point fit with intervals, and with --posterior an "
        "ABC-SMC posterior over the Monte Carlo engine.",
        epilog=_EPILOG,
    )
    parser.add_argument("--observed", type=Path, required=True, help="observations CSV")
    parser.add_argument("--fit", action="append", required=True, help="PATH[=LOW:HIGH]")
    parser.add_argument("--posterior", action="store_true", help="also run ABC-SMC")
    parser.add_argument("--particles", type=positive_int, default=200, help="ABC population")
    parser.add_argument("--generations", type=positive_int, default=6, help="ABC generations")
    parser.add_argument("--seed", type=nonnegative_int, default=None, help="seed of ABC-SMC")
    add_output_options(parser, "calibrate")
    return parser


def run(args: argparse.Namespace, argv: list[str]) -> int:
    """Carry out ``parksim calibrate``."""
    from sim.decisions import calibrate
    from sim.plot import calibration_chart

    output = output_folder(args, "calibrate")
    with status(args.quiet, "calibrating") as update:
        found = calibrate(
            args.scenario,
            args.observed,
            args.fit,
            posterior=args.posterior,
            particles=args.particles,
            generations=args.generations,
            seed=args.seed,
            executor=executor_from(args),
        )
        update("writing")
        how = "ABC-SMC posterior" if args.posterior else "least-squares point estimates"
        variant = variant_file(
            output,
            found,
            name=f"{args.scenario.stem}_calibrated.toml",
            comment=f"parksim calibrate: {how} from {args.observed.name}",
        )
        write_folder(
            output,
            record=("calibration.json", found.to_json()),
            variant=variant,
            figures={"calibration.png": lambda: calibration_chart(found)},
        )
    if not args.quiet:
        _print(found, output, variant[0])
    return EXIT_OK


def _print(found: Any, output: Output, name: str) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    table = Table(title="calibration")
    for column in (
        "value",
        "unit",
        "estimate",
        "95 % interval",
        "posterior mean",
        "posterior 95 %",
    ):
        table.add_column(column)
    for lever in found.levers:
        low, high = found.interval[lever.path]
        post = found.posterior
        mean = "–" if post is None else f"{post['mean'][lever.path]:,.4g}"
        band = "–" if post is None else "{:,.4g} … {:,.4g}".format(*post["interval"][lever.path])
        table.add_row(
            lever.path,
            lever.unit,
            f"{found.estimate[lever.path]:,.4g}",
            f"{low:,.4g} … {high:,.4g}",
            mean,
            band,
        )
    console.print(table)
    d = found.diagnostics
    console.print(
        f"χ² = {d['chi2']:,.2f} on {d['dof']} degrees of freedom; "
        f"{d['evaluations']} runs; {d['message']}"
    )
    console.print(f"variant: {output.path}/{name}\noutputs: {output.path}/")
