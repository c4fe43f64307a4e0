"""Where evaluations run: one interface for solve, calibrate, sensitivity and sweeps.

``Executor.map(function, items) ──▶ list`` in the order of ``items``. The decision tools
(:mod:`sim.decisions`) and sweeps hand their evaluations to an executor and never care
where they ran; :class:`SerialExecutor` runs them here, one after another, and
:class:`DaskExecutor` spreads them over the workers of a Dask cluster (dask.distributed):
a :class:`~distributed.LocalCluster` sized to this machine, or a running cluster at a
scheduler's address. Results must not depend on the executor: every evaluation
carries its own seed.

Both executors also offer (:class:`Pool`):

- ``share(value)``: send a large value (the site, prepared inputs) to every worker
  once; pass what it returns as a keyword of ``map`` / ``imap_unordered`` and each
  call gets the value itself, ``function(item, **shared)``. A value passed unshared
  is sent once per call of ``map``, never once per task.
- ``imap_unordered(function, items, **shared)``: :class:`Done` records as tasks
  finish (in any order), so a sweep stores each result as it comes.

On Dask, a task whose worker dies is run again on another worker (the scheduler's
``allowed-failures``, 3 by default); an exception the function raises is not retried
(the same inputs would raise again) but reported: ``map`` raises it, and
``imap_unordered`` hands it back in :attr:`Done.error`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

__all__ = [
    "DaskExecutor",
    "Done",
    "Executor",
    "Pool",
    "SerialExecutor",
    "local_cluster_size",
    "make_executor",
]

T = TypeVar("T")
R = TypeVar("R")


class Executor(Protocol):
    """Something that maps a function over items and returns results in order."""

    def map(self, function: Callable[[T], R], items: Iterable[T]) -> list[R]:
        """Apply ``function`` to every item; results in the order of ``items``."""


@dataclass(frozen=True)
class Done(Generic[R]):
    """One finished task of :meth:`Pool.imap_unordered`.

    Attributes
    ----------
    index
        Position of its item in ``items``.
    value
        What the function returned (None when it raised).
    error
        What it raised, else None.
    """

    index: int
    value: R | None
    error: BaseException | None = None


class Pool(Executor, Protocol):
    """An executor that also shares values with its workers and reports tasks as they end."""

    @property
    def workers(self) -> int:
        """Number of workers (1 for :class:`SerialExecutor`)."""

    def share(self, value: T) -> Any:
        """Send ``value`` to every worker once; pass the handle as a keyword of ``map``."""

    def map(  # noqa: D102 - documented on Executor
        self, function: Callable[..., R], items: Iterable[Any], **shared: Any
    ) -> list[R]: ...

    def imap_unordered(
        self, function: Callable[..., R], items: Iterable[Any], **shared: Any
    ) -> Iterator[Done[R]]:
        """Run ``function(item, **shared)`` for every item; yield each as it finishes."""

    def close(self) -> None:
        """Release the workers (a cluster this executor started is stopped)."""

    def __enter__(self) -> Pool: ...

    def __exit__(self, *exc: object) -> None: ...


class SerialExecutor:
    """Run every evaluation in this process, in order.

    Examples
    --------
    >>> SerialExecutor().map(abs, [-1, 2, -3])
    [1, 2, 3]
    >>> [(d.index, d.value) for d in SerialExecutor().imap_unordered(pow, [2, 3], exp=2)]
    [(0, 4), (1, 9)]
    """

    workers = 1

    def share(self, value: T) -> T:
        """Return ``value``: this process is the only worker."""
        return value

    def map(self, function: Callable[..., R], items: Iterable[Any], **shared: Any) -> list[R]:
        """Apply ``function`` to every item, one after another."""
        return [function(item, **shared) for item in items]

    def imap_unordered(
        self, function: Callable[..., R], items: Iterable[Any], **shared: Any
    ) -> Iterator[Done[R]]:
        """Apply ``function`` to every item in order; an exception is handed back."""
        for index, item in enumerate(items):
            try:
                yield Done(index, function(item, **shared))
            except Exception as exc:  # reported to the caller, as on a cluster
                yield Done(index, None, exc)

    def close(self) -> None:
        """Nothing to release."""

    def __enter__(self) -> SerialExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def local_cluster_size(workers: int | None = None) -> tuple[int, int]:
    """Workers and memory limit per worker (bytes) of a local cluster on this machine.

    One single-threaded worker process per core this process may use (or ``workers``),
    sharing 80 % of the machine's memory.

    Examples
    --------
    >>> n, memory = local_cluster_size(2)
    >>> n, memory > 0
    (2, True)
    """
    import psutil

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    n = workers if workers is not None else max(1, cores or 1)
    return n, int(psutil.virtual_memory().total * 0.8 / n)


def _warm_up() -> None:
    """Import the model on a worker before its first task (seconds, once per worker)."""
    import scipy.stats  # noqa: F401 - distributions sample with it; the slowest import

    import sim.engine
    import sim.rules
    import sim.targets  # noqa: F401


class DaskExecutor:
    """Run evaluations on a Dask cluster: one task per item.

    Make one with :meth:`local` (a :class:`~distributed.LocalCluster` of worker
    processes, stopped by :meth:`close`) or :meth:`connect` (a running scheduler,
    left running). Use it as a context manager to close it.

    Parameters
    ----------
    client
        A connected :class:`distributed.Client`.
    cluster
        The cluster this executor started and will stop, if any.
    """

    def __init__(self, client: Any, cluster: Any = None) -> None:
        self.client, self.cluster = client, cluster

    @classmethod
    def local(cls, workers: int | None = None) -> DaskExecutor:
        """Start a local cluster: :func:`local_cluster_size` worker processes, one thread each."""
        import dask
        from distributed import Client, LocalCluster

        n, memory = local_cluster_size(workers)
        # Dask starts workers with MALLOC_TRIM_THRESHOLD_ set, which turns off glibc's
        # dynamic mmap threshold: every large numpy temporary is then mapped and unmapped
        # afresh, and the engine runs about 2.4 times slower (measured). Leave it unset.
        environ = dict(dask.config.get("distributed.nanny.pre-spawn-environ", {}))
        environ.pop("MALLOC_TRIM_THRESHOLD_", None)
        with dask.config.set({"distributed.nanny.pre-spawn-environ": environ}):
            cluster = LocalCluster(  # type: ignore[no-untyped-call]
                n_workers=n,
                threads_per_worker=1,
                processes=True,
                memory_limit=memory,
                dashboard_address=":0",  # any free port: never clash with another cluster
                host="127.0.0.1",
                silence_logs=40,  # logging.ERROR
            )
        client = Client(cluster)  # type: ignore[no-untyped-call]
        client.run(_warm_up)
        return cls(client, cluster)

    @classmethod
    def connect(cls, address: str, *, timeout: float = 30.0) -> DaskExecutor:
        """Connect to a running scheduler, e.g. ``tcp://HOST:8786``.

        Raises
        ------
        SimError
            When no scheduler answers at ``address`` within ``timeout`` seconds.
        """
        from distributed import Client

        from sim.errors import SimError

        try:
            client = Client(address, timeout=timeout)  # type: ignore[no-untyped-call]
        except (OSError, TimeoutError, ValueError) as exc:
            raise SimError(
                f"--scheduler {address}: expected a running Dask scheduler; found none "
                f"({type(exc).__name__}: {exc}); start one with `dask scheduler` and "
                "`dask worker ADDRESS`, or leave out --scheduler for a local cluster"
            ) from None
        client.run(_warm_up)
        return cls(client)

    @property
    def workers(self) -> int:
        """Workers the scheduler knows now."""
        return len(self.client.scheduler_info().get("workers", {}))

    def share(self, value: T) -> Any:
        """Scatter ``value`` to every worker once and return its future."""
        # In a list, so that a dict or list is sent as one value, not item by item.
        return self.client.scatter([value], broadcast=True, hash=False)[0]

    def _shared(self, shared: dict[str, Any]) -> dict[str, Any]:
        from distributed import Future

        return {k: v if isinstance(v, Future) else self.share(v) for k, v in shared.items()}

    def _submit(self, function: Callable[..., R], items: Iterable[Any], shared: Any) -> list[Any]:
        kwargs = self._shared(shared)
        return [self.client.submit(function, item, pure=False, **kwargs) for item in items]

    def map(self, function: Callable[..., R], items: Iterable[Any], **shared: Any) -> list[R]:
        """Run ``function(item, **shared)`` on the workers; results in the order of ``items``."""
        futures = self._submit(function, items, shared)
        try:
            return list(self.client.gather(futures))
        finally:
            for future in futures:
                future.release()

    def imap_unordered(
        self, function: Callable[..., R], items: Iterable[Any], **shared: Any
    ) -> Iterator[Done[R]]:
        """Yield a :class:`Done` for every item as its task finishes (any order)."""
        from distributed import as_completed

        futures = self._submit(function, items, shared)
        index = {future.key: i for i, future in enumerate(futures)}
        try:
            for future in as_completed(futures):  # type: ignore[no-untyped-call]
                i = index[future.key]
                if future.status == "error":
                    yield Done(i, None, future.exception())
                else:
                    yield Done(i, future.result())
                future.release()
        finally:
            for future in futures:
                future.cancel()

    def close(self) -> None:
        """Disconnect; stop the cluster if this executor started it."""
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()

    def __enter__(self) -> DaskExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def make_executor(
    scheduler: str | None = None, workers: int | None = None, *, local: bool = False
) -> Pool:
    """Make the executor a command's ``--scheduler`` / ``--workers`` options ask for.

    Without either: :class:`SerialExecutor`, or with ``local`` a local cluster sized
    to this machine (:func:`local_cluster_size`). With ``scheduler``: a :class:`DaskExecutor`
    on that running cluster (``workers`` is then ignored: the cluster has its own). With
    ``workers`` alone: a local cluster of that many worker processes. Close it when done
    (``with make_executor(...) as executor:``).

    Examples
    --------
    >>> type(make_executor()).__name__
    'SerialExecutor'
    """
    if scheduler is not None:
        return DaskExecutor.connect(scheduler)
    if workers is not None or local:
        return DaskExecutor.local(workers)
    return SerialExecutor()
