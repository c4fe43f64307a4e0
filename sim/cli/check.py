"""``parksim check``: validate a scenario and its site layers without running."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from sim.cli._common import EXIT_OK, new_parser

__all__ = ["add", "run"]


def add(commands: Any) -> argparse.ArgumentParser:
    """Register ``parksim check``."""
    parser: argparse.ArgumentParser = new_parser(
        commands,
        "check",
        help="validate a scenario and its site layers without running",
        description="Validate a scenario file and its site layers; print what was found.",
        epilog="example:\n  parksim check scenarios/qingdao_2012.toml",
    )
    parser.add_argument("scenario", type=Path, help="scenario TOML file")
    return parser


def run(args: argparse.Namespace, argv: list[str]) -> int:
    """Carry out ``parksim check``: load, bind to the site, bind the rules; print a summary."""
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
