"""What every command shares: exit codes, argument types, the spinner, SIGTERM.

Only the standard library is imported at load time, so that ``parksim --help`` stays
quick; each command imports what it needs when it runs.
"""

from __future__ import annotations

import argparse
import signal
import threading
from typing import Any

__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_INTERNAL",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_TERMINATED",
    "Terminated",
    "add_executor_options",
    "handle_sigterm",
    "new_parser",
    "nonnegative_int",
    "positive_int",
    "status",
    "whole",
    "year",
]

EXIT_OK, EXIT_INTERNAL, EXIT_BAD_INPUT = 0, 1, 2
EXIT_INTERRUPTED, EXIT_TERMINATED = 130, 143  # 128 + SIGINT, 128 + SIGTERM


def new_parser(commands: Any, name: str, *, help: str, description: str, epilog: str) -> Any:
    """Add a command's parser with the house formatting (examples kept as written)."""
    return commands.add_parser(
        name,
        help=help,
        description=description,
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def add_executor_options(parser: Any) -> None:
    """Add ``--scheduler`` and ``--workers`` (see :func:`sim.executor.make_executor`)."""
    parser.add_argument(
        "--scheduler", metavar="ADDRESS", help="a running Dask scheduler, e.g. tcp://HOST:8786"
    )
    parser.add_argument(
        "--workers", type=positive_int, metavar="N", help="a local Dask cluster of N workers"
    )


def whole(text: str) -> int:
    """Parse a whole number for argparse."""
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number; found {text}") from None


def positive_int(text: str) -> int:
    """Parse a whole number ≥ 1 for argparse."""
    value = whole(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number ≥ 1; found {text}")
    return value


def nonnegative_int(text: str) -> int:
    """Parse a whole number ≥ 0 (a seed) for argparse."""
    value = whole(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number ≥ 0; found {text}")
    return value


def year(text: str) -> int:
    """Parse a calendar year 1900–2200 for argparse."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a year such as 2025; found {text}") from None
    if not 1900 <= value <= 2200:
        raise argparse.ArgumentTypeError(f"expected a year 1900–2200; found {text}")
    return value


class Terminated(BaseException):
    """Raised in the main thread on SIGTERM, so that writers clean up as on Ctrl-C."""


def _raise_terminated(signum: int, frame: object) -> None:
    raise Terminated


def handle_sigterm() -> Any:
    """Turn SIGTERM into :class:`Terminated`; return the handler to restore (or None)."""
    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGTERM, _raise_terminated)


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
    """Show a spinner with a message on a terminal's stderr (nothing when quiet or piped).

    Used as ``with status(quiet, "running") as update: … update("writing")``.
    """
    return _Status(quiet, text)
