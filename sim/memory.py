"""Memory a Monte Carlo run needs, estimated before anything is allocated.

:func:`plan_draws` is called by :func:`sim.engine.simulate_draws` with the prepared
inputs: it refuses a run whose kept results alone cannot fit in the memory this
machine has available (with the figure and the largest number of draws that fits),
and lowers the chunk size where one chunk's working arrays would not fit (results
never depend on the chunk size, so this changes nothing but memory).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from sim.errors import Problem, SimError

__all__ = ["DrawsPlan", "available_bytes", "avoid_huge_page_stalls", "plan_draws"]

#: Bytes per float.
_FLOAT = 8
#: Working bytes per parcel and draw in a chunk: the quarterly engine's per-parcel state
#: (≈ 30 arrays: events, phases, occupancy, queue positions; measured ≈ 300 B, bench/).
_WORK_PER_PARCEL_DRAW = 320
#: Share of the available memory a run may plan to use.
_SHARE = 0.8
#: The kernel's setting for how it finds transparent huge pages.
_THP_DEFRAG = Path("/sys/kernel/mm/transparent_hugepage/defrag")


def avoid_huge_page_stalls(*, defrag: Path = _THP_DEFRAG) -> bool:
    """Stop numpy asking for transparent huge pages where the kernel stalls to make them.

    numpy advises the kernel to back each array of 4 MB or more with huge pages. Where
    the kernel then compacts memory on the spot to find them (``defrag`` set to
    ``always`` or ``madvise``, Debian's default), a fresh process's first touch of its
    arrays waits for it: measured on our 2-core machines, 3.6 s per GB against 0.4 s
    with ordinary pages, and 10,000 draws of the baseline sampled in 7.5 s against
    3.2 s. The command line calls this first; a library user chooses with numpy's own
    ``NUMPY_MADVISE_HUGEPAGE`` (read when numpy is imported), which this never
    overrides. It also sets that variable, so processes started from this one (Dask
    workers) do the same.

    Parameters
    ----------
    defrag
        The kernel's setting (``/sys/kernel/mm/transparent_hugepage/defrag``).

    Returns
    -------
    bool
        Whether numpy's advice was switched off.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     setting = Path(tmp) / "defrag"
    ...     _ = setting.write_text("always defer [defer+madvise] madvise never")
    ...     avoid_huge_page_stalls(defrag=setting)  # the kernel never stalls: keep them
    False
    """
    if "NUMPY_MADVISE_HUGEPAGE" in os.environ:
        return False  # the user's choice
    try:
        chosen = defrag.read_text(encoding="ascii").split("[", 1)[1].split("]", 1)[0]
    except (OSError, IndexError):
        return False  # not Linux, or no transparent huge pages
    if chosen not in ("always", "madvise"):
        return False
    try:
        from numpy._core import multiarray
    except ImportError:  # numpy < 2
        from numpy.core import multiarray  # type: ignore[no-redef]
    switch = getattr(multiarray, "_set_madvise_hugepage", None)
    if switch is None:
        return False
    os.environ["NUMPY_MADVISE_HUGEPAGE"] = "0"
    switch(False)
    return True


def available_bytes() -> int:
    """Return the memory this process may still use, in bytes.

    The smaller of the system's available memory (``MemAvailable``) and a cgroup
    limit, if any.

    Examples
    --------
    >>> available_bytes() > 0
    True
    """
    found: list[int] = []
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                found.append(int(line.split()[1]) * 1024)
    except (OSError, ValueError):
        pass
    for limit in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            text = Path(limit).read_text().strip()
        except OSError:
            continue
        if text.isdigit() and int(text) < 1 << 60:
            found.append(int(text))
    if not found:
        try:
            found.append(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_AVPHYS_PAGES"))
        except (ValueError, OSError, AttributeError):
            found.append(4 << 30)  # unknown: assume a small machine
    return max(1, min(found))


@dataclass(frozen=True)
class DrawsPlan:
    """How a Monte Carlo run will use memory.

    Attributes
    ----------
    draws
        Draws asked for.
    chunk_size
        Draws simulated together (possibly lower than asked).
    needed_bytes
        Estimated peak: kept results and sampled inputs, twice over while chunks are
        joined, plus one chunk's working arrays.
    available_bytes
        What the machine has available.
    """

    draws: int
    chunk_size: int
    needed_bytes: int
    available_bytes: int


def _size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if n < 1000 or unit == "TB":
            return f"{n:,.0f} {unit}"
        n /= 1000
    raise AssertionError  # pragma: no cover


def plan_draws(
    *,
    draws: int,
    chunk_size: int,
    parcels: int,
    parks: int,
    years: int,
    series: int,
    park_fields: int,
    available: int | None = None,
) -> DrawsPlan:
    """Plan a Monte Carlo run's memory, or refuse it with the figure and the fix.

    Parameters
    ----------
    draws, chunk_size
        As asked for.
    parcels, parks, years
        The site's size and the simulated years.
    series
        Per-park series kept for every draw.
    park_fields
        Park parameters sampled per draw.
    available
        Bytes available (default: :func:`available_bytes`).

    Returns
    -------
    DrawsPlan
        With the chunk size to use.

    Raises
    ------
    SimError
        When the kept results of ``draws`` cannot fit.

    Examples
    --------
    >>> plan = plan_draws(draws=10_000, chunk_size=2048, parcels=1200, parks=6, years=9,
    ...                   series=6, park_fields=12, available=8 << 30)
    >>> plan.chunk_size
    2048
    >>> plan_draws(draws=10**12, chunk_size=2048, parcels=1200, parks=6, years=9,
    ...            series=6, park_fields=12, available=8 << 30)
    Traceback (most recent call last):
    ...
    sim.errors.SimError: not enough memory for the draws
      - --draws: --draws 1,000,000,000,000 needs about ...
    """
    available = available_bytes() if available is None else available
    budget = int(available * _SHARE)
    per_draw = _FLOAT * parks * (series * years + park_fields + 2 * years)
    kept = 2 * draws * per_draw  # results (+ sampled inputs), twice while chunks join
    work_per_draw = _WORK_PER_PARCEL_DRAW * max(parcels, 1) + _FLOAT * parks * years * 16
    if kept + work_per_draw > budget:
        most = max(1, (budget - work_per_draw) // (2 * per_draw))
        raise SimError(
            "not enough memory for the draws",
            problems=[
                Problem(
                    "--draws",
                    f"--draws {draws:,} needs about {_size(kept + work_per_draw)} of memory "
                    f"for {parks} parks × {years} years × {series} series per draw; this "
                    f"machine has {_size(available)} available; use at most about "
                    f"--draws {most:,}, or run fewer years or parks",
                )
            ],
        )
    chunk = max(1, min(chunk_size, draws, (budget - kept) // work_per_draw))
    return DrawsPlan(draws, int(chunk), int(kept + chunk * work_per_draw), available)
