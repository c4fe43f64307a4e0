"""``parksim compare``: several scenarios run and set side by side.

Each scenario is computed (:func:`sim.compare.compare`); the tables are printed and
``comparison.csv`` and ``floor_overlay.png`` written into ``--out`` atomically, which
must be new, empty or a folder parksim wrote.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from sim.cli._common import EXIT_OK, positive_int, status

__all__ = ["add", "run"]


def add(commands: Any) -> argparse.ArgumentParser:
    """Register ``parksim compare``."""
    compare: argparse.ArgumentParser = commands.add_parser(
        "compare",
        help="run several scenarios and compare them side by side",
        description=(
            "Run each scenario and print floor per park at the horizon, every target's "
            "projection (P(met) with --draws), and parcels per admission-rule class; write "
            "comparison.csv and an overlay chart of cumulative floor completed."
        ),
        epilog=(
            "examples:\n"
            "  parksim compare scenarios/qingdao_2012.toml my_variant.toml\n"
            "  parksim compare a.toml b.toml c.toml --draws 1000 --out out/abc"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    compare.add_argument("scenarios", type=Path, nargs="+", help="two or more scenario files")
    compare.add_argument(
        "--draws", type=positive_int, default=1, help="Monte Carlo draws per scenario"
    )
    compare.add_argument("--seed", type=int, default=None, help="seed of the draws")
    compare.add_argument(
        "--out",
        default=None,
        help="folder (default: out/compare); it must be new, empty or a folder parksim wrote",
    )
    compare.add_argument(
        "--force",
        action="store_true",
        help="also replace output files changed since parksim wrote them",
    )
    compare.add_argument("--no-figures", action="store_true", help="skip the overlay chart")
    compare.add_argument("--quiet", "-q", action="store_true", help="print nothing on success")
    return compare


def run(args: argparse.Namespace, argv: list[str]) -> int:
    """Carry out ``parksim compare``."""
    from sim.errors import Problem, SimError

    if len(args.scenarios) < 2:
        raise SimError(
            "nothing to compare",
            problems=[
                Problem(
                    "SCENARIOS",
                    f"expected two or more scenario files; found {len(args.scenarios)}; name "
                    "another, e.g. parksim compare base.toml variant.toml",
                )
            ],
        )
    from sim.compare import compare, comparison_frame, overlay_chart
    from sim.export import write_csv
    from sim.outputs import atomic_folder, check_output_folder
    from sim.scenario import load_scenario

    out = Path(args.out) if args.out is not None else Path("out") / "compare"
    inputs = [f for path in args.scenarios for f in load_scenario(path).input_files]
    check_output_folder(out if args.out is None else args.out, inputs=inputs, force=args.force)
    with status(args.quiet, "running") as update:
        result = compare(
            args.scenarios,
            draws=args.draws,
            seed=args.seed,
            progress=lambda label: update(f"running {label}"),
        )
        update("writing")
        with atomic_folder(out, inputs=inputs, force=args.force) as staging:
            write_csv(comparison_frame(result), staging / "comparison.csv", names=result.park_names)
            if not args.no_figures:
                import matplotlib.pyplot as plt

                from sim.plot import save_figure

                fig, _ = overlay_chart(result, lang="both")
                save_figure(fig, staging / "floor_overlay.png")
                plt.close(fig)
    if not args.quiet:
        _print_comparison(result, out)
    return EXIT_OK


def _print_comparison(result: Any, out: Path) -> None:
    import math

    from rich.console import Console
    from rich.table import Table

    from sim.targets import metric_display

    console = Console()
    labels = list(result.labels)
    names = dict(
        zip(
            result.park_names.get("park_id", []),
            result.park_names.get("park_name_zh", []),
            strict=True,
        )
    )
    horizons = sorted(set(result.horizons))
    floor = Table(title=f"floor completed at the horizon ({', '.join(map(str, horizons))}) (万m²)")
    floor.add_column("park")
    for label in labels:
        floor.add_column(label, justify="right")
    for park, row in result.floor.iterrows():
        cells = ["–" if math.isnan(v) else f"{v / 1e4:,.1f}" for v in row]
        floor.add_row(
            names.get(str(park), str(park)), *cells, style="bold" if park == "total" else None
        )
    console.print(floor)

    if not result.targets.empty:
        uncertain = result.draws > 1
        how = f" and P(met) over {result.draws:,} draws" if uncertain else " (met ✓ / not ✗)"
        targets = Table(
            title="targets: projected" + how,
            caption="floor in 万m², revenue in 亿元/yr, workers in persons",
        )
        for column in ("metric", "park", "year", "target"):
            targets.add_column(column, justify="right" if column in ("year",) else "left")
        for label in labels:
            targets.add_column(label, justify="right")
        for (metric, park, year), row in result.targets.iterrows():
            what, scale, _ = metric_display(str(metric))
            given = [row[(label, "target")] for label in labels]
            target = next((v for v in given if not math.isnan(v)), math.nan)
            cells = []
            for label in labels:
                projected = row[(label, "projected")]
                if isinstance(projected, float) and math.isnan(projected):
                    cells.append("–")
                    continue
                mark = (
                    f"{row[(label, 'probability_met')]:.0%}"
                    if uncertain
                    else ("✓" if row[(label, "met")] else "[red]✗[/red]")
                )
                cells.append(f"{projected / scale:,.1f} {mark}")
            targets.add_row(
                what, names.get(str(park), str(park)), str(year), f"{target / scale:,.0f}", *cells
            )
        console.print(targets)

    rules = Table(title="parcels at the horizon (admission rules, idle land)")
    rules.add_column("class")
    for label in labels:
        rules.add_column(label, justify="right")
    for item, row in result.compliance.iterrows():
        rules.add_row(str(item), *[f"{int(v):,}" for v in row])
    console.print(rules)
    console.print(f"outputs: {out}/")
