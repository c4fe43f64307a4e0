"""``parksim solve``: the lever values at which a target is met with probability P.

``SCENARIO --target "METRIC PARK YEAR VALUE" --lever PATH[=LOW:HIGH] …`` →
:func:`sim.decisions.solve` → a table, ``solve.json``, ``probability_curve.png`` and
``<scenario>_solved.toml`` (``extends`` the scenario, sets only the levers) in ``--out``.
"""

from __future__ import annotations

import argparse
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
  parksim solve scenarios/qingdao_2012_uncertain.toml \\
      --target "floor_completed total 2016 1000万 m2" \\
      --lever "parks.software_city.land_supply_per_year+\\
parks.software_city.take_up_per_year=63:900" \\
      --probability 0.8 --draws 200
  parksim solve plan.toml --target "floor_completed A 2018 4.5万 m2" \\
      --lever defaults.plot_ratio=1:3 --lever parks.A.land_supply_per_year=1:6 \\
      --cost defaults.plot_ratio=100 --cost parks.A.land_supply_per_year=10
  parksim solve plan.toml --target "floor_completed total 2016 5万 m2"   # earliest year

A lever is a numeric path of the scenario's TOML; PATH1+PATH2 moves several together; a
distribution moves its central value and keeps its spread. Bounds are in the unit the
scenario writes the value in. The answer is the least value (or greatest, when P(met)
falls as the lever rises) met with P(met) ≥ P over the draws of one seed, to within
--tolerance × (HIGH − LOW)."""


def add(commands: Any) -> argparse.ArgumentParser:
    """Register ``parksim solve``."""
    parser = decision_parser(
        commands,
        "solve",
        help="find the lever values that meet a target with probability P",
        description="Work backwards from a target: the least (or greatest) value of a lever, "
        "or the least-cost combination of several, at which P(target met) ≥ P; without a "
        "lever, the earliest year the target is met at P.",
        epilog=_EPILOG,
    )
    parser.add_argument("--target", required=True, help='"METRIC PARK YEAR VALUE"')
    parser.add_argument("--lever", action="append", default=[], help="PATH[=LOW:HIGH]")
    parser.add_argument("--cost", action="append", default=[], help="PATH=COST per unit")
    parser.add_argument("--probability", type=float, default=0.8, help="P to reach (0.8)")
    parser.add_argument("--draws", type=positive_int, default=200, help="draws per run (200)")
    parser.add_argument("--seed", type=nonnegative_int, default=None, help="seed of the draws")
    parser.add_argument(
        "--tolerance", type=float, default=1e-3, help="share of the bracket to stop at (0.001)"
    )
    add_output_options(parser, "solve")
    return parser


def _costs(items: list[str]) -> dict[str, float]:
    from sim.errors import Problem, SimError

    costs = {}
    for item in items:
        path, _, value = item.rpartition("=")
        try:
            costs[path.strip()] = float(value)
        except ValueError:
            raise SimError(
                "bad cost", problems=[Problem("--cost", f"expected PATH=NUMBER; found {item!r}")]
            ) from None
    return costs


def run(args: argparse.Namespace, argv: list[str]) -> int:
    """Carry out ``parksim solve``."""
    from sim.decisions import solve
    from sim.plot import probability_curve_chart

    output = output_folder(args, "solve")
    with status(args.quiet, "solving") as update:
        found = solve(
            args.scenario,
            args.target,
            args.lever,
            probability=args.probability,
            draws=args.draws,
            seed=args.seed,
            costs=_costs(args.cost),
            executor=executor_from(args),
            tolerance=args.tolerance,
            parallel=args.workers or 1,
        )
        update("writing")
        variant = None
        if found.answer is not None:
            comment = (
                f"parksim solve: {found.goal.text} at P ≥ {found.probability} "
                f"({found.draws} draws, seed {found.seed}); run with --draws {found.draws} "
                f"--seed {found.seed} to reproduce P(met) = {found.achieved}"
            )
            name = f"{args.scenario.stem}_solved.toml"
            variant = variant_file(output, found, name=name, comment=comment)
        write_folder(
            output,
            record=("solve.json", found.to_json()),
            variant=variant,
            figures={"probability_curve.png": lambda: probability_curve_chart(found)},
        )
    if not args.quiet:
        _print(found, output, variant)
    return EXIT_OK


def _print(found: Any, output: Output, variant: tuple[str, str] | None) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    table = Table(
        title=f"solve: {found.goal.text}, P ≥ {found.probability:.0%} "
        f"({found.draws} draws, seed {found.seed}) — {found.status}"
    )
    if found.levers:
        for column in ("lever", "unit", "current", "bracket", "answer"):
            table.add_column(column)
        for lever in found.levers:
            answer = "–" if found.answer is None else f"{found.answer[lever.path]:,.6g}"
            table.add_row(
                lever.path,
                lever.unit,
                f"{lever.current:,.6g}",
                f"{lever.low:,.6g} … {lever.high:,.6g}",
                answer,
            )
    else:
        table.add_column("year")
        table.add_column("P(met)", justify="right")
        for year, p in zip(found.years, found.by_year, strict=True):
            table.add_row(str(year), f"{p:.0%}")
    console.print(table)
    if found.achieved is not None:
        console.print(f"P(met) at the answer: {found.achieved:.1%}")
    if found.short is not None:
        console.print(f"P(met) 5 % of the bracket short of it: {found.short:.1%}")
    if found.cost is not None:
        console.print(f"cost of the change: {found.cost:,.6g}")
    if found.earliest_year is not None:
        console.print(f"earliest year met at P: {found.earliest_year}")
    if variant is not None:
        console.print(f"variant: {output.path}/{variant[0]}")
    console.print(f"outputs: {output.path}/")
