"""The ``parksim init`` and ``parksim compare`` commands: arguments and what they do.

:mod:`sim.cli` registers them (:func:`add_init`, :func:`add_compare`) and calls
:func:`run_init` / :func:`run_compare`; errors are :class:`~sim.errors.SimError` and
reach the user through the CLI's one-message convention (exit code 2). Only argparse
is imported here at load time, so that ``parksim --help`` stays quick.
"""

from __future__ import annotations

import argparse
import shlex
from pathlib import Path
from typing import Any

__all__ = ["add_compare", "add_init", "run_compare", "run_init", "status"]

EXIT_OK = 0


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number ≥ 1; found {text}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number ≥ 1; found {text}")
    return value


def _year(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a year such as 2025; found {text}") from None
    if not 1900 <= value <= 2200:
        raise argparse.ArgumentTypeError(f"expected a year 1900–2200; found {text}")
    return value


def add_init(commands: Any) -> None:
    """Register ``parksim init`` on the CLI's subparsers."""
    init = commands.add_parser(
        "init",
        help="make a scenario from your own parcel layer",
        description=(
            "Read a parcel layer (Shapefile incl. GBK-encoded DBF, GeoPackage, GeoJSON, DXF), "
            "reproject it to a projected CRS, repair its geometry (reporting every change) "
            "and write a scenario that `parksim run` accepts, with the layer copied next to "
            "it as a GeoPackage and every default marked REVIEW with its source."
        ),
        epilog=(
            "examples:\n"
            "  parksim init 地块.shp --park-field 园区 --far-field 容积率 --encoding GBK "
            "--out my/plan.toml\n"
            "  parksim init parcels.gpkg --layer parcels --park-field park --id-field dkbh "
            "--out plan.toml\n"
            "  parksim init site.dxf --park-field Layer --crs EPSG:4549 --out plan.toml\n"
            "then: parksim check my/plan.toml && parksim run my/plan.toml"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    init.add_argument("layer", type=Path, help="the parcel layer file")
    init.add_argument(
        "--park-field", required=True, help="field naming each parcel's park (DXF: Layer)"
    )
    init.add_argument("--far-field", help="field with each parcel's plot-ratio cap (容积率)")
    init.add_argument("--id-field", help="field with parcel ids (default: <park>-0001, …)")
    init.add_argument(
        "--crs",
        help="CRS the layer is drawn in, where the file does not say (no .prj, DXF), "
        "e.g. EPSG:4490 or EPSG:4549",
    )
    init.add_argument(
        "--encoding", help="text encoding of a Shapefile's DBF, e.g. GBK (default: detected)"
    )
    init.add_argument("--layer", dest="layer_name", help="layer to read from a multi-layer file")
    init.add_argument(
        "--target-crs",
        help="projected CRS of the scenario (default: the CGCS2000 3° GK zone of the "
        "data's longitude, e.g. EPSG:4549 for 118.5–121.5°E)",
    )
    init.add_argument("--name", help="scenario name (default: the layer's file name)")
    init.add_argument("--base-year", type=_year, help="first simulated year (default: this year)")
    init.add_argument("--horizon", type=_year, help="last simulated year (default: base + 10)")
    init.add_argument(
        "--out",
        required=True,
        help="scenario file to write (.toml); the layer is written beside it as <stem>_site.gpkg",
    )
    init.add_argument(
        "--force",
        action="store_true",
        help="replace an existing scenario or site file (never the layer read)",
    )
    init.add_argument("--quiet", "-q", action="store_true", help="print nothing on success")


def run_init(args: argparse.Namespace, argv: list[str]) -> int:
    """Carry out ``parksim init``."""
    from sim.errors import Problem, SimError
    from sim.outputs import check_output_file, layer_files

    out = Path(args.out)
    problems = []
    if out.suffix.lower() != ".toml":
        problems.append(
            Problem("--out", f"expected a .toml file name; found {out}; e.g. --out plan.toml")
        )
    else:  # refuse before reading the layer; write_scenario checks again
        inputs = layer_files(args.layer)
        check_output_file(args.out, inputs=inputs, force=args.force)
        check_output_file(
            out.with_name(f"{out.stem}_site.gpkg"),
            inputs=inputs,
            force=args.force,
            option="the site layer written beside --out",
        )
    if args.base_year and args.horizon and args.horizon < args.base_year:
        problems.append(
            Problem(
                "--horizon",
                f"expected a year ≥ --base-year {args.base_year}; found {args.horizon}",
            )
        )
    if problems:
        raise SimError("bad options", problems=problems)

    from sim.byo import read_parcels, write_scenario

    with status(args.quiet, f"reading {args.layer.name}"):
        imported = read_parcels(
            args.layer,
            park_field=args.park_field,
            far_field=args.far_field,
            id_field=args.id_field,
            crs=args.crs,
            encoding=args.encoding,
            layer=args.layer_name,
            target_crs=args.target_crs,
        )
        path = write_scenario(
            imported,
            out,
            name=args.name,
            base_year=args.base_year,
            horizon=args.horizon,
            command=shlex.join(argv),
            force=args.force,
        )
    if not args.quiet:
        parks = imported.parcels["park_id"].nunique()
        print(
            f"{path}: {len(imported.parcels)} parcels in {parks} parks, {imported.crs}; "
            f"layer written to {path.with_name(path.stem + '_site.gpkg')}"
        )
        if imported.changes:
            print("changes made to the layer:")
            for change in imported.changes:
                print(f"  - {change}")
        print(
            "review every line marked REVIEW in the scenario, then:\n"
            f"  parksim check {path}\n  parksim run {path}"
        )
    return EXIT_OK


def add_compare(commands: Any) -> None:
    """Register ``parksim compare`` on the CLI's subparsers."""
    compare = commands.add_parser(
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
        "--draws", type=_positive_int, default=1, help="Monte Carlo draws per scenario"
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


def run_compare(args: argparse.Namespace) -> int:
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
            write_csv(comparison_frame(result), staging / "comparison.csv")
            if not args.no_figures:
                import matplotlib.pyplot as plt

                from sim.plot import save_figure

                fig, _ = overlay_chart(result, lang="both")
                save_figure(fig, staging / "floor_overlay.png")
                plt.close(fig)
    if not args.quiet:
        _print_comparison(result, out)
    return EXIT_OK


class _Status:
    def __init__(self, quiet: bool, text: str) -> None:
        self.quiet, self.text = quiet, text
        self.status: Any = None

    def __enter__(self) -> Any:
        if not self.quiet:
            from rich.console import Console

            console = Console(stderr=True)
            if console.is_terminal:
                self.status = console.status(self.text)
                self.status.__enter__()
        return self.update

    def update(self, text: str) -> None:
        if self.status is not None:
            self.status.update(text)

    def __exit__(self, *exc: object) -> None:
        if self.status is not None:
            self.status.__exit__(*exc)


def status(quiet: bool, text: str) -> _Status:
    """Show a spinner with a message on a terminal's stderr (nothing when quiet or piped)."""
    return _Status(quiet, text)


def _print_comparison(result: Any, out: Path) -> None:
    import math

    from rich.console import Console
    from rich.table import Table

    from sim.targets import metric_display

    console = Console()
    labels = list(result.labels)
    horizons = sorted(set(result.horizons))
    floor = Table(title=f"floor completed at the horizon ({', '.join(map(str, horizons))}) (万m²)")
    floor.add_column("park")
    for label in labels:
        floor.add_column(label, justify="right")
    for park, row in result.floor.iterrows():
        cells = ["–" if math.isnan(v) else f"{v / 1e4:,.1f}" for v in row]
        floor.add_row(str(park), *cells, style="bold" if park == "total" else None)
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
            targets.add_row(what, str(park), str(year), f"{target / scale:,.0f}", *cells)
        console.print(targets)

    rules = Table(title="parcels at the horizon (admission rules, idle land)")
    rules.add_column("class")
    for label in labels:
        rules.add_column(label, justify="right")
    for item, row in result.compliance.iterrows():
        rules.add_row(str(item), *[f"{int(v):,}" for v in row])
    console.print(rules)
    console.print(f"outputs: {out}/")
