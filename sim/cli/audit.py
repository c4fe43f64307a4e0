"""``parksim audit``: capacity, the plan's own numbers and the land rules; writes nothing."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from sim.cli._common import EXIT_OK, new_parser

__all__ = ["add", "run"]


def add(commands: Any) -> argparse.ArgumentParser:
    """Register ``parksim audit``."""
    parser: argparse.ArgumentParser = new_parser(
        commands,
        "audit",
        help="check capacity, the plan's own numbers and the land rules; write nothing",
        description=(
            "Simulate in memory and report: can each park hold its targets, do the plan's "
            "targets add up against each other and the [benchmarks], which parcels meet the "
            "admission rules and control indicators, and how much land lies idle. Exits 0 "
            "when the audit ran, whatever it found."
        ),
        epilog="example:\n  parksim audit scenarios/qingdao_2012.toml --json > audit.json",
    )
    parser.add_argument("scenario", type=Path, help="scenario TOML file")
    parser.add_argument("--json", action="store_true", help="print the audit as JSON")
    return parser


def run(args: argparse.Namespace, argv: list[str]) -> int:
    """Carry out ``parksim audit``."""
    import json

    from sim.outcome import compute, load

    report = compute(*load(args.scenario)).audit
    if args.json:
        print(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    else:
        print(report.to_markdown(), end="")
    return EXIT_OK
