"""``parksim run``: simulate a scenario, write its outputs, print the headline.

``SCENARIO ──load──▶ (Scenario, Site) ──compute──▶ Outcome ──write_outputs──▶ --out``;
``--out`` is checked (:func:`sim.outputs.check_output_folder`) before anything is
computed, so a refused folder costs nothing.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.cli._common import EXIT_OK, new_parser, nonnegative_int, positive_int, status

if TYPE_CHECKING:
    from sim.outcome import Outcome
    from sim.scenario import Scenario
    from sim.site import Site

__all__ = ["add", "run"]


def add(commands: Any) -> argparse.ArgumentParser:
    """Register ``parksim run``."""
    parser: argparse.ArgumentParser = new_parser(
        commands,
        "run",
        help="simulate a scenario and write its outputs",
        description="Simulate a scenario year by year and write tables, layers and figures.",
        epilog="example:\n  parksim run scenarios/qingdao_2012.toml --out out/qingdao_2012",
    )
    parser.add_argument("scenario", type=Path, help="scenario TOML file")
    parser.add_argument(
        "--out",
        default=None,
        help="output folder (default: out/<scenario stem>/); it must be new, empty or a "
        "folder parksim wrote, and neither hold nor lie inside an input",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="also replace output files changed since parksim wrote them (never files "
        "parksim did not write, nor inputs)",
    )
    parser.add_argument(
        "--draws",
        type=positive_int,
        default=1,
        help="Monte Carlo draws (default 1: deterministic). With N > 1 the outputs gain "
        "P10/P50/P90 columns, P(target met) and fan charts",
    )
    parser.add_argument(
        "--seed",
        type=nonnegative_int,
        default=None,
        help="seed of the draws (default: the scenario's)",
    )
    parser.add_argument(
        "--chunk-size",
        type=positive_int,
        default=2048,
        help="draws simulated together (memory bound; results do not depend on it)",
    )
    parser.add_argument(
        "--lang",
        choices=("zh", "en", "both"),
        default="zh",
        help="language of the figures' labels (default zh)",
    )
    parser.add_argument("--no-figures", action="store_true", help="skip drawing the figures")
    parser.add_argument("--quiet", "-q", action="store_true", help="print nothing on success")
    return parser


def run(args: argparse.Namespace, argv: list[str]) -> int:
    """Carry out ``parksim run``."""
    from sim.export import write_outputs
    from sim.outcome import load
    from sim.outputs import check_output_folder

    scenario, site = load(args.scenario)
    out = Path(args.out) if args.out is not None else Path("out") / args.scenario.stem
    # Refuse a folder parksim may not replace before spending time on the run.
    check_output_folder(
        out if args.out is None else args.out, inputs=scenario.input_files, force=args.force
    )
    outcome = _compute(scenario, site, args)
    with status(args.quiet, f"writing {out}/"):  # a spinner on a terminal
        write_outputs(
            outcome, out, argv=argv, figures=not args.no_figures, lang=args.lang, force=args.force
        )
    if not args.quiet:
        _print_report(outcome, out)
    return EXIT_OK


def _compute(scenario: Scenario, site: Site, args: argparse.Namespace) -> Outcome:
    """Compute the run, with a progress bar for Monte Carlo runs of several chunks."""
    from sim.outcome import compute

    options = {"draws": args.draws, "seed": args.seed, "chunk_size": args.chunk_size}
    if args.quiet or args.draws <= args.chunk_size:
        return compute(scenario, site, **options)
    from rich.progress import Progress

    with Progress(transient=True) as bar:
        task = bar.add_task(f"simulating {args.draws:,} draws", total=args.draws)
        return compute(
            scenario, site, progress=lambda done: bar.update(task, completed=done), **options
        )


def _print_report(outcome: Outcome, out: Path, *, width: int | None = None) -> None:
    """Print each park's floor by stage at the horizon and every target against it.

    Parks are named as in the parks layer; the tables fit 80 columns.
    """
    from rich import box
    from rich.console import Console
    from rich.table import Table

    from sim.targets import metric_display

    scenario, result, targets, draws = (
        outcome.scenario,
        outcome.result,
        outcome.targets,
        outcome.draws,
    )
    console = Console(width=width)
    parks = outcome.site.parks.set_index("park_id")
    names = {str(k): str(v) for k, v in parks["name_zh"].items()}

    def name(park: str) -> str:
        return {"total": "合计 total", "rest_of_city": "全市其余 rest of city"}.get(
            park, names.get(park, park)
        )

    horizon = int(result.years[-1])
    table = Table(
        title=f"{scenario.name}: floor at the end of {horizon} (万m²)",
        box=box.SIMPLE_HEAD,
        caption="sold: planned floor on sold land; vacancy: share of completed floor",
    )
    stages = (
        ("sold", "floor_sold_m2"),
        ("started", "floor_started_m2"),
        ("completed", "floor_completed_m2"),
        ("occupied", "floor_occupied_m2"),
    )
    table.add_column("park", overflow="fold", max_width=24)
    for label, _ in stages:
        table.add_column(label, justify="right")
    table.add_column("vacancy", justify="right")
    values = {column: result.by_park(column)[0, -1] for _, column in stages}
    for k, park in enumerate([*result.park_ids, "total"]):
        floors = [float(v[k]) if park != "total" else float(v.sum()) for v in values.values()]
        completed, occupied = floors[2], floors[3]
        vacancy = f"{1 - occupied / completed:.0%}" if completed > 0 else "–"
        table.add_row(
            name(park),
            *(f"{v / 1e4:,.1f}" for v in floors),
            vacancy,
            style="bold" if park == "total" else None,
        )
    console.print(table)

    if len(targets):
        checks = Table(
            title="targets" + (f" (P(met) over {draws:,} draws)" if draws > 1 else ""),
            box=box.SIMPLE_HEAD,
            caption="projected and gap in the target's unit",
        )
        columns = ["what", "park", "year", "target", "projected", "gap", "met"]
        if draws > 1:
            columns.append("P(met)")
        for column in columns:
            checks.add_column(
                column,
                justify="left" if column in ("what", "park") else "right",
                overflow="fold",
                max_width=16 if column == "park" else None,
            )
        for row in targets.to_dict("records"):
            what, scale, unit = metric_display(str(row["metric"]))
            threshold = row.get("threshold_cny")
            if threshold is not None and threshold == threshold and threshold > 0:
                what = f"{what} ≥{threshold / 1e8:,.0f}亿"  # firms above a revenue level
            target, projected = float(row["target"]), float(row["projected"])
            digits = 0 if scale == 1.0 else 1  # persons are whole
            cells = [
                what,
                name(str(row["park_id"])),
                str(row["year"]),
                f"{target / scale:,.0f} {unit}",
                f"{projected / scale:,.{digits}f}",
                f"{(projected - target) / scale:+,.{digits}f}",
                "yes"
                if row["met"]
                else (
                    f"[yellow]near ({(projected - target) / target:+.1%})[/yellow]"
                    if row.get("near") and target
                    else "[red]no[/red]"
                ),
            ]
            if draws > 1:
                cells.append(f"{float(row['probability_met']):.0%}")
            checks.add_row(*cells)
        console.print(checks)
    console.print(f"outputs: {out}/")
