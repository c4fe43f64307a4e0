"""The ``parksim`` command line: ``parksim run | check | audit | init | compare``.

Exit codes: 0 ok, 2 bad input (one message, no traceback), 1 internal error.
Heavy libraries are imported inside the commands so that ``parksim --help`` is quick.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sim.outcome import Outcome
    from sim.scenario import Scenario
    from sim.site import Site

__all__ = ["main"]

EXIT_OK, EXIT_INTERNAL, EXIT_BAD_INPUT = 0, 1, 2

_EPILOG = """examples:
  parksim run scenarios/qingdao_2012.toml                 # outputs in out/qingdao_2012/
  parksim run scenarios/qingdao_2012.toml --out /tmp/qd   # somewhere else
  parksim check scenarios/qingdao_2012.toml               # validate only
  parksim audit scenarios/qingdao_2012.toml               # capacity, consistency, rules
  parksim init 地块.shp --park-field 园区 --out plan.toml  # a scenario from your parcels
  parksim compare scenarios/qingdao_2012.toml plan.toml   # scenarios side by side
  parksim map scenarios/qingdao_2012.toml --kind status --year 2016 --out status.pdf
"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="parksim",
        description="Land-use and park-capacity planning simulator.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser(
        "run",
        help="simulate a scenario and write its outputs",
        description="Simulate a scenario year by year and write tables, layers and figures.",
        epilog="example:\n  parksim run scenarios/qingdao_2012.toml --out out/qingdao_2012",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument("scenario", type=Path, help="scenario TOML file")
    run.add_argument(
        "--out",
        default=None,
        help="output folder (default: out/<scenario stem>/); it must be new, empty or a "
        "folder parksim wrote, and neither hold nor lie inside an input",
    )
    run.add_argument(
        "--force",
        action="store_true",
        help="also replace output files changed since parksim wrote them (never files "
        "parksim did not write, nor inputs)",
    )
    run.add_argument(
        "--draws",
        type=_positive_int,
        default=1,
        help="Monte Carlo draws (default 1: deterministic). With N > 1 the outputs gain "
        "P10/P50/P90 columns, P(target met) and fan charts",
    )
    run.add_argument(
        "--seed", type=_seed, default=None, help="seed of the draws (default: the scenario's)"
    )
    run.add_argument(
        "--chunk-size",
        type=_positive_int,
        default=2048,
        help="draws simulated together (memory bound; results do not depend on it)",
    )
    run.add_argument(
        "--lang",
        choices=("zh", "en", "both"),
        default="zh",
        help="language of the figures' labels (default zh)",
    )
    run.add_argument("--no-figures", action="store_true", help="skip drawing the figures")
    run.add_argument("--quiet", "-q", action="store_true", help="print nothing on success")

    check = commands.add_parser(
        "check",
        help="validate a scenario and its site layers without running",
        description="Validate a scenario file and its site layers; print what was found.",
        epilog="example:\n  parksim check scenarios/qingdao_2012.toml",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    check.add_argument("scenario", type=Path, help="scenario TOML file")

    audit = commands.add_parser(
        "audit",
        help="check capacity, the plan's own numbers and the land rules; write nothing",
        description=(
            "Simulate in memory and report: can each park hold its targets, do the plan's "
            "targets add up against each other and the [benchmarks], which parcels meet the "
            "admission rules and control indicators, and how much land lies idle. Exits 0 "
            "when the audit ran, whatever it found."
        ),
        epilog="example:\n  parksim audit scenarios/qingdao_2012.toml --json > audit.json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    audit.add_argument("scenario", type=Path, help="scenario TOML file")
    audit.add_argument("--json", action="store_true", help="print the audit as JSON")

    from sim.commands import add_compare, add_init

    add_init(commands)
    add_compare(commands)
    from sim.map_command import add_map

    add_map(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line.

    Parameters
    ----------
    argv
        Arguments without the program name (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        The exit code.
    """
    args = _parser().parse_args(argv)
    from sim.errors import SimError

    previous = _handle_sigterm()
    try:
        if args.command == "run":
            return _run(args, list(sys.argv if argv is None else ["parksim", *argv]))
        if args.command == "audit":
            return _audit(args)
        if args.command == "map":
            from sim.map_command import run_map

            return run_map(args)
        if args.command in ("init", "compare"):
            from sim.commands import run_compare, run_init

            if args.command == "init":
                return run_init(args, list(sys.argv if argv is None else ["parksim", *argv]))
            return run_compare(args)
        return _check(args)
    except SimError as exc:
        print(f"parksim: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("parksim: interrupted; earlier outputs are untouched", file=sys.stderr)
        return 130
    except Terminated:
        print("parksim: terminated; earlier outputs are untouched", file=sys.stderr)
        return 143
    except Exception as exc:
        if args.debug:
            traceback.print_exc()
        print(
            f"parksim: internal error: {type(exc).__name__}: {exc}\n"
            "This is a bug in parksim, not in your input; rerun with --debug for details.",
            file=sys.stderr,
        )
        return EXIT_INTERNAL
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


class Terminated(BaseException):
    """Raised in the main thread on SIGTERM, so that writers clean up as on Ctrl-C."""


def _raise_terminated(signum: int, frame: object) -> None:
    raise Terminated


def _handle_sigterm() -> Any:
    """Turn SIGTERM into :class:`Terminated`; return the handler to restore (or None)."""
    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGTERM, _raise_terminated)


def _check(args: argparse.Namespace) -> int:
    from sim.engine import prepare
    from sim.outcome import load
    from sim.rules import bind_rules

    scenario, site = load(args.scenario)
    prepare(scenario, site)  # binds parks, parcels and committed projects
    bind_rules(scenario, site)  # every land use has a plot-ratio rule
    print(
        f"{args.scenario}: ok — {len(site.parks)} parks, {len(site.parcels)} parcels, "
        f"{len(scenario.committed)} committed projects, {len(scenario.targets)} targets, "
        f"years {scenario.scenario.base_year}–{scenario.scenario.horizon}"
    )
    return EXIT_OK


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number ≥ 1; found {text}")
    return value


def _seed(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number ≥ 0; found {text}")
    return value


def _run(args: argparse.Namespace, argv: list[str]) -> int:
    from sim.commands import status
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


def _audit(args: argparse.Namespace) -> int:
    import json

    from sim.outcome import compute, load

    report = compute(*load(args.scenario)).audit
    if args.json:
        print(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    else:
        print(report.to_markdown(), end="")
    return EXIT_OK


def _print_report(outcome: Outcome, out: Path) -> None:
    from rich.console import Console
    from rich.table import Table

    from sim.targets import metric_display

    scenario, result, targets, draws = (
        outcome.scenario,
        outcome.result,
        outcome.targets,
        outcome.draws,
    )

    console = Console()
    horizon = int(result.years[-1])
    table = Table(title=f"{scenario.name}: floor at the end of {horizon} (万m²)")
    for column in ("park", "completed", "under construction", "capacity"):
        table.add_column(column, justify="left" if column == "park" else "right")
    completed = result.by_park("floor_completed_m2")[0, -1]
    building = result.by_park("floor_under_construction_m2")[0, -1]
    capacity = [result.capacity_m2[result.parcel_park == k].sum() for k in range(len(completed))]
    for k, park in enumerate(result.park_ids):
        table.add_row(park, f"{completed[k] / 1e4:,.1f}", f"{building[k] / 1e4:,.1f}",
                      f"{capacity[k] / 1e4:,.1f}")  # fmt: skip
    table.add_row("total", f"{completed.sum() / 1e4:,.1f}", f"{building.sum() / 1e4:,.1f}",
                  f"{sum(capacity) / 1e4:,.1f}", style="bold")  # fmt: skip
    console.print(table)

    if len(targets):
        checks = Table(
            title="targets" + (f" (P(met) over {draws:,} draws)" if draws > 1 else ""),
            caption="projected and gap in the target's unit",
        )
        columns = ["what", "park", "year", "target", "projected", "gap", "met"]
        if draws > 1:
            columns.append("P(met)")
        for column in columns:
            checks.add_column(column, justify="left" if column in ("what", "park") else "right")
        for row in targets.to_dict("records"):
            name, scale, unit = metric_display(str(row["metric"]))
            target, projected = float(row["target"]), float(row["projected"])
            cells = [
                name,
                str(row["park_id"]),
                str(row["year"]),
                f"{target / scale:,.0f} {unit}",
                f"{projected / scale:,.1f}",
                f"{(projected - target) / scale:+,.1f}",
                "yes" if row["met"] else "[red]no[/red]",
            ]
            if draws > 1:
                cells.append(f"{float(row['probability_met']):.0%}")
            checks.add_row(*cells)
        console.print(checks)
    console.print(f"outputs: {out}/")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
