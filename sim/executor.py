"""Where evaluations run: one interface for solve, calibrate, sensitivity and sweeps.

``Executor.map(function, items) ──▶ list`` in the order of ``items``. The decision tools
(:mod:`sim.decisions`) and sweeps hand their evaluations to an executor and never care
where they ran; :class:`SerialExecutor` runs them here, one after another, and a Dask
executor spreads them over workers. Results must not depend on the executor: every
evaluation carries its own seed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Protocol, TypeVar

__all__ = ["Executor", "SerialExecutor", "make_executor"]

T = TypeVar("T")
R = TypeVar("R")


class Executor(Protocol):
    """Something that maps a function over items and returns results in order."""

    def map(self, function: Callable[[T], R], items: Iterable[T]) -> list[R]:
        """Apply ``function`` to every item; results in the order of ``items``."""
        ...


class SerialExecutor:
    """Run every evaluation in this process, in order.

    Examples
    --------
    >>> SerialExecutor().map(abs, [-1, 2, -3])
    [1, 2, 3]
    """

    def map(self, function: Callable[[T], R], items: Iterable[T]) -> list[R]:
        """Apply ``function`` to every item, one after another."""
        return [function(item) for item in items]


def make_executor(scheduler: str | None = None, workers: int | None = None) -> Executor:
    """Make the executor a command's ``--scheduler`` / ``--workers`` options ask for.

    Without either: :class:`SerialExecutor`. (The Dask executor, for either option,
    lands with the sweeps issue; until then asking for it is an error.)

    Examples
    --------
    >>> type(make_executor()).__name__
    'SerialExecutor'
    """
    if scheduler is None and workers is None:
        return SerialExecutor()
    from sim.errors import SimError

    raise SimError("--scheduler and --workers need the Dask executor, which is not built yet")
