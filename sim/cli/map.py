"""``parksim map``: one map figure of a scenario, to PNG, PDF or SVG.

Every bad
input — an unknown kind, park or file suffix, a year outside the simulated years —
is one :class:`~sim.errors.SimError` (exit code 2) saying what was expected, what was
found and how to fix it; the cheap checks run before the scenario is simulated, and
nothing is written unless the figure is. Only argparse is imported at load time, so
``parksim --help`` stays quick.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from sim.cli._common import EXIT_OK, whole

__all__ = ["KINDS", "LANGS", "SIZES", "SUFFIXES", "add", "run"]

#: Kinds and file suffixes, repeated here so that ``--help`` needs no matplotlib;
#: a test checks them against :data:`sim.plot.render.MAP_KINDS` and ``FIGURE_FORMATS``.
KINDS = ("status", "completion", "compliance", "overview", "status-years")
SUFFIXES = (".png", ".pdf", ".svg")
LANGS = ("zh", "en", "both")
SIZES = ("A4", "A3")


def add(commands: Any) -> argparse.ArgumentParser:
    """Register ``parksim map``."""
    parser: argparse.ArgumentParser = commands.add_parser(
        "map",
        help="draw one map of a scenario (status, completion, compliance, overview, …)",
        description=(
            "Simulate a scenario and draw one print-ready map: Chinese and/or English "
            "labels, legend, north arrow, scale bar, locator or detail insets, source line. "
            "Kinds: status (parcel states in a year, idle land hatched), completion "
            "(year each parcel was completed), compliance (admission rules), overview "
            "(every park with floor completed against its target), status-years (one "
            "small status map per year). The suffix of --out picks PNG (300 dpi), PDF "
            "(fonts embedded) or SVG."
        ),
        epilog=(
            "examples:\n"
            "  parksim map scenarios/qingdao_2012.toml --kind status --year 2016 --lang zh "
            "--out status.pdf\n"
            "  parksim map scenarios/qingdao_2012.toml --kind status --park comm_park "
            "--lang both --out comm.png\n"
            "  parksim map scenarios/qingdao_2012_uncertain.toml --kind overview --year 2016 "
            "--draws 1000 --out overview.svg"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("scenario", type=Path, help="scenario TOML file")
    parser.add_argument(
        "--kind",
        default="status",
        metavar="KIND",
        help=f"one of {', '.join(KINDS)} (default status)",
    )
    parser.add_argument(
        "--year",
        type=whole,
        default=None,
        help="year shown (status-years: the last); default the horizon",
    )
    parser.add_argument("--park", default=None, help="zoom to one park (its park_id)")
    parser.add_argument("--lang", default="zh", metavar="LANG", help="zh, en or both (default zh)")
    parser.add_argument("--size", default="A4", metavar="SIZE", help="A4 or A3 page (default A4)")
    parser.add_argument(
        "--draws",
        type=whole,
        default=1,
        help="Monte Carlo draws (overview: P10–P90 of floor completed); default 1",
    )
    parser.add_argument("--seed", type=whole, default=None, help="seed of the draws")
    parser.add_argument(
        "--out",
        required=True,
        help="figure file: .png (300 dpi), .pdf or .svg; an existing file is replaced only "
        "when parksim drew it (or with --force); an input never",
    )
    parser.add_argument(
        "--force", action="store_true", help="replace an existing file parksim did not draw"
    )
    parser.add_argument("--quiet", "-q", action="store_true", help="print nothing on success")
    return parser


def _choice(option: str, value: str, choices: tuple[str, ...], fix: str) -> None:
    from sim.errors import SimError

    if value not in choices:
        raise SimError(f"{option}: expected one of {', '.join(choices)}; found {value!r}; {fix}")


def run(args: argparse.Namespace, argv: list[str]) -> int:
    """Carry out ``parksim map``."""
    from sim.errors import SimError

    _choice("--kind", args.kind, KINDS, "e.g. --kind status")
    _choice("--lang", args.lang, LANGS, "e.g. --lang zh")
    _choice("--size", args.size, SIZES, "e.g. --size A4")
    out = Path(args.out)
    if out.suffix.lower() not in SUFFIXES:
        raise SimError(
            f"--out: expected a file ending in {', '.join(SUFFIXES)}; found {str(out)!r}; "
            f"e.g. --out {out.with_suffix('.png').name}"
        )
    if args.draws < 1:
        raise SimError(f"--draws: expected a whole number ≥ 1; found {args.draws}")
    if args.draws > 1 and args.kind != "overview":
        raise SimError(
            f"--draws: only the overview shows Monte Carlo spread; found --draws {args.draws} "
            f"with --kind {args.kind}; leave out --draws or use --kind overview"
        )
    if args.park is not None and args.kind == "overview":
        raise SimError(
            f"--park: the overview shows every park; found --park {args.park}; leave out "
            "--park, or use --kind status (or completion, compliance, status-years) to zoom"
        )

    from sim.outcome import compute, load
    from sim.outputs import check_output_file, figure_made_by_parksim

    scenario, site = load(args.scenario)
    out = check_output_file(
        args.out,
        inputs=scenario.input_files,
        force=args.force,
        made_by_parksim=figure_made_by_parksim,
    )
    parks = [str(p) for p in site.parks["park_id"]]
    if args.park is not None and args.park not in parks:
        raise SimError(
            f"--park: expected a park of {scenario.path}: {', '.join(parks)}; "
            f"found {args.park!r}; name one of them, e.g. --park {parks[0]}"
        )
    first, last = scenario.scenario.base_year, scenario.scenario.horizon
    if args.year is not None and not first <= args.year <= last:
        raise SimError(
            f"--year: expected a year the scenario simulates, {first}–{last}; found "
            f"{args.year}; pick one in range or change [scenario] horizon"
        )

    outcome = compute(scenario, site, draws=args.draws, seed=args.seed)

    import matplotlib.pyplot as plt

    from sim.plot.figure import save_figure
    from sim.plot.render import map_figure

    fig = map_figure(
        args.kind,
        outcome,
        year=args.year,
        park=args.park,
        lang=args.lang,
        size=args.size,
    )
    try:
        written = save_figure(fig, out)
    finally:
        plt.close(fig)
    if not args.quiet:
        print(f"{written}", file=sys.stdout)
    return EXIT_OK
