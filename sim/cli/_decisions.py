"""What ``solve``, ``calibrate`` and ``sensitivity`` share: arguments, output folder, writing.

Each takes a scenario file first (:func:`decision_parser`) and the output options last
(:func:`add_output_options`); it checks its folder before any run (:func:`output_folder`:
new, empty or parksim's, :mod:`sim.outputs`) and writes it at once when done
(:func:`write_folder`): its JSON or CSV record, its figures and, for ``solve`` and
``calibrate``, a variant scenario that ``extends`` the one given (:func:`variant_file`);
``parksim run`` runs that variant as any scenario. A run that fails writes nothing.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.cli._common import add_executor_options, new_parser

__all__ = [
    "Output",
    "add_output_options",
    "decision_parser",
    "executor_from",
    "output_folder",
    "variant_file",
    "write_folder",
]


@dataclass(frozen=True)
class Output:
    """A decision command's output folder, checked before the run (:func:`output_folder`).

    Attributes
    ----------
    path
        The folder (``--out``, or ``out/<scenario stem>_<command>``).
    inputs
        The scenario's input files, which the folder may neither be nor hold.
    force
        ``--force``: also replace output files changed since parksim wrote them.
    figures
        Draw the charts (not ``--no-figures``).
    """

    path: Path
    inputs: tuple[Path, ...]
    force: bool
    figures: bool


def decision_parser(
    commands: Any, name: str, *, help: str, description: str, epilog: str
) -> argparse.ArgumentParser:
    """Add a decision command's parser; its first argument is the scenario file."""
    parser: argparse.ArgumentParser = new_parser(
        commands, name, help=help, description=description, epilog=epilog
    )
    parser.add_argument("scenario", type=Path, help="scenario TOML file")
    return parser


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


def output_folder(args: argparse.Namespace, suffix: str) -> Output:
    """Check the output folder of ``args.scenario``'s run before any run; return it."""
    from sim.outputs import check_output_folder
    from sim.scenario import load_scenario

    scenario = Path(args.scenario)
    inputs = tuple(load_scenario(scenario).input_files)
    out = Path(args.out) if args.out is not None else Path("out") / f"{scenario.stem}_{suffix}"
    check_output_folder(out, inputs=list(inputs), force=args.force)
    return Output(path=out, inputs=inputs, force=args.force, figures=not args.no_figures)


def variant_file(output: Output, found: Any, *, name: str, comment: str) -> tuple[str, str]:
    """Write ``found``'s values as a variant of its scenario, to be saved in ``output``.

    Returns
    -------
    tuple
        ``name`` and the TOML text, which ``extends`` ``found.scenario`` by a path
        relative to the output folder and sets only ``found.variant_values()``.
    """
    from sim.decisions import variant_text

    text = variant_text(
        Path(found.scenario),
        found.variant_values(),
        at=output.path.resolve() / name,
        comment=comment,
    )
    return name, text


def write_folder(
    output: Output,
    *,
    record: tuple[str, Mapping[str, Any]] | None = None,
    variant: tuple[str, str] | None = None,
    figures: Mapping[str, Callable[[], Any]] | None = None,
    write: Callable[[Path], None] | None = None,
) -> None:
    """Write a decision's folder atomically: its JSON record, variant, figures, tables.

    ``figures`` (file name → a function drawing it) are drawn only when
    ``output.figures``.
    """
    from sim.outputs import atomic_folder

    with atomic_folder(output.path, inputs=list(output.inputs), force=output.force) as staging:
        if record is not None:
            name, data = record
            text = json.dumps(data, indent=1, ensure_ascii=False, default=_plain)
            (staging / name).write_text(text + "\n", encoding="utf-8")
        if variant is not None:
            (staging / variant[0]).write_text(variant[1], encoding="utf-8")
        if write is not None:
            write(staging)
        for name, figure in (figures or {}).items() if output.figures else ():
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
