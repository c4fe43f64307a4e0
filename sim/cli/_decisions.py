"""What ``solve``, ``calibrate`` and ``sensitivity`` share: output options and writing.

Each writes one folder (new, empty or parksim's, :mod:`sim.outputs`) holding its JSON or
CSV record, its figures and, for ``solve`` and ``calibrate``, a variant scenario that
``extends`` the one given; ``parksim run`` runs that variant as any scenario.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from sim.cli._common import add_executor_options

__all__ = ["add_output_options", "executor_from", "output_folder", "write_folder"]


def add_output_options(parser: argparse.ArgumentParser, default: str) -> None:
    """Add ``--out``, ``--force``, ``--no-figures``, ``--quiet`` and the executor options."""
    parser.add_argument(
        "--out",
        default=None,
        help=f"output folder (default: out/<scenario stem>_{default}/); it must be new, "
        "empty or a folder parksim wrote",
    )
    parser.add_argument(
        "--force", action="store_true", help="also replace output files changed since"
    )
    parser.add_argument("--no-figures", action="store_true", help="skip the charts")
    parser.add_argument("--quiet", "-q", action="store_true", help="print nothing on success")
    add_executor_options(parser)


def executor_from(args: argparse.Namespace) -> Any:
    """Make the executor ``--scheduler`` / ``--workers`` ask for."""
    from sim.executor import make_executor

    return make_executor(args.scheduler, args.workers)


def output_folder(args: argparse.Namespace, scenario: Path, suffix: str) -> tuple[Path, list[Path]]:
    """Check the output folder before any run; return it and the run's inputs."""
    from sim.outputs import check_output_folder
    from sim.scenario import load_scenario

    inputs = list(load_scenario(scenario).input_files)
    out = Path(args.out) if args.out is not None else Path("out") / f"{scenario.stem}_{suffix}"
    check_output_folder(out, inputs=inputs, force=args.force)
    return out, inputs


def write_folder(
    out: Path,
    inputs: list[Path],
    *,
    force: bool,
    record: tuple[str, Mapping[str, Any]] | None = None,
    variant: tuple[str, str] | None = None,
    draw: Mapping[str, Callable[[], Any]] | None = None,
    write: Callable[[Path], None] | None = None,
) -> None:
    """Write a decision's folder atomically: its JSON record, variant, figures, tables."""
    from sim.outputs import atomic_folder

    with atomic_folder(out, inputs=inputs, force=force) as staging:
        if record is not None:
            name, data = record
            text = json.dumps(data, indent=1, ensure_ascii=False, default=_plain)
            (staging / name).write_text(text + "\n", encoding="utf-8")
        if variant is not None:
            (staging / variant[0]).write_text(variant[1], encoding="utf-8")
        if write is not None:
            write(staging)
        for name, figure in (draw or {}).items():
            import matplotlib.pyplot as plt

            from sim.plot import save_figure

            fig, _ = figure()
            save_figure(fig, staging / name)
            plt.close(fig)


def _plain(value: object) -> object:
    import numpy as np

    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return str(value)
