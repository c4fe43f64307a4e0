"""Error classes: every problem parksim reports to a user is one of these.

A message names the file, the field or parcel, what was expected, what was found
and how to fix it. The CLI prints ``str(error)`` and exits with status 2; nothing
else is shown to the user, so the message must stand on its own.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "MAX_SHOWN",
    "OutputError",
    "Problem",
    "ScenarioError",
    "SimError",
    "SiteError",
    "UnitError",
]

#: Most problems one error message lists (the rest are counted).
MAX_SHOWN = 50


@dataclass(frozen=True)
class Problem:
    """One problem found while validating an input.

    Parameters
    ----------
    where
        Field path (``parks.comm_park.plot_ratio``) or feature (``parcel SC-0012``).
    message
        What was expected, what was found and how to fix it.
    """

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


class SimError(Exception):
    """Base class of every error parksim reports to a user (bad input, not a bug).

    Parameters
    ----------
    message
        Summary line.
    source
        File the problem is in, if any.
    problems
        Individual problems; each is printed on its own line.
    """

    def __init__(
        self,
        message: str,
        *,
        source: str | Path | None = None,
        problems: Iterable[Problem] = (),
    ) -> None:
        self.summary = message
        self.source = None if source is None else Path(source)
        self.problems = tuple(problems)
        super().__init__(self._render())

    def _render(self) -> str:
        head = self.summary if self.source is None else f"{self.source}: {self.summary}"
        if not self.problems:
            return head
        # A hostile file can hold a problem per line; the first screenful tells the fix.
        lines = [head] + [f"  - {p}" for p in self.problems[:MAX_SHOWN]]
        if len(self.problems) > MAX_SHOWN:
            lines.append(
                f"  - … and {len(self.problems) - MAX_SHOWN:,} more problem(s); fix these "
                "and run again"
            )
        return "\n".join(lines)


class UnitError(SimError, ValueError):
    """A quantity could not be parsed or has the wrong dimension."""


class ScenarioError(SimError, ValueError):
    """A scenario file is malformed: syntax, unknown keys, wrong types or units."""


class SiteError(SimError, ValueError):
    """A site layer is unusable: missing file, no CRS, invalid or overlapping geometry."""


class OutputError(SimError, ValueError):
    """An output path parksim may not write: not its own, an input, or not writable."""
