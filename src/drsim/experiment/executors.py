"""Executors: where the runs of an experiment execute — this process, local cores, or a cluster.

Every executor is a :class:`concurrent.futures.Executor`, so the code that
streams results to disk does not care which one runs the work:

* **in-process** (``--jobs 1``): runs each task when it is submitted; best for
  debugging and for tiny experiments;
* **local process pool** (``--jobs N``, default all usable cores): a
  :class:`~concurrent.futures.ProcessPoolExecutor`; see :func:`pool_context`
  for how its workers are started;
* **Dask** (``--scheduler tcp://host:port``): the executor of a
  ``distributed.Client`` connected to a running scheduler. ``distributed`` is
  imported only then (install it with the ``drsim[cluster]`` extra); workers
  need the same drsim version installed. A worker that dies mid-sweep loses
  no run: the scheduler gives its tasks to other workers (up to
  ``distributed.scheduler.allowed-failures`` deaths per task, default 3);
  a task it gives up on comes back as ``KilledWorker``, which the batch
  records as a failed run and ``--resume`` runs again.

Results are identical whichever executor runs them: a run's random streams
derive from the scenario seed and the replication index inside the model,
never from which worker ran it or when.

**How local workers start.** The start method is chosen each time a pool is
created (also when a broken pool is replaced), by one rule:

* ``fork`` when it is safe: on POSIX except macOS, while this process runs a
  single Python thread (``threading.active_count() == 1``). A thread can hold
  a lock at the instant of ``fork()`` and the child would inherit it locked
  forever; with no other thread, nothing can. All workers are forked at once,
  when the pool is created, before the pool starts its own manager thread
  (see :func:`_local_pool`). They inherit the already-imported drsim, numpy
  and pandas, so they start in milliseconds. Native threads of numerical
  libraries (OpenBLAS, Arrow) are not Python threads and are not counted:
  those libraries re-initialise their thread pools in a forked child (on
  Python ≥ 3.12 the fork still emits a ``DeprecationWarning``, hidden by
  default). macOS is excluded because its system libraries are not fork-safe,
  which is why CPython stopped forking there by default;
* ``forkserver`` otherwise (a progress bar's monitor thread, a Dask client or
  a caller's threads are running): workers fork from a server process that
  never has threads; it preloads :data:`WORKER_PRELOAD`, but starting it
  costs seconds once per Python process;
* ``spawn`` where neither exists (Windows).

With ``forkserver`` and ``spawn`` the workers import the main module, so a
script must start sweeps under ``if __name__ == "__main__":``.
"""

from __future__ import annotations

import importlib
import multiprocessing
import os
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from drsim.experiment.errors import SweepError


class InProcessExecutor(Executor):
    """Runs each task in the calling process, at submit time; the future is already done."""

    def __init__(self) -> None:
        self._shutdown = False

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        if self._shutdown:
            raise RuntimeError("cannot schedule new futures after shutdown")
        future: Future = Future()
        future.set_running_or_notify_cancel()
        try:
            result = fn(*args, **kwargs)
        except BaseException as exc:  # a KeyboardInterrupt must still stop the sweep
            if not isinstance(exc, Exception):
                raise
            future.set_exception(exc)
        else:
            future.set_result(result)
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._shutdown = True


def usable_cores() -> int:
    """Cores this process may run on (the CPU affinity mask where the OS has one)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


WORKER_PRELOAD = ("drsim.experiment.batch", "drsim.model", "drsim.metrics")
"""Modules a worker needs: imported before workers start (in this process before a
``fork``, in the fork server otherwise), so each worker starts with them loaded
instead of importing numpy, pandas and the model itself (seconds per worker)."""


def pool_context() -> multiprocessing.context.BaseContext:
    """The start method for a new local pool, by the rule in the module docstring.

    ``fork`` on POSIX except macOS while this process runs one Python thread,
    else ``forkserver`` (preloading :data:`WORKER_PRELOAD` and the main
    module), else ``spawn``. Call it right before starting the workers: the
    answer holds only as long as no thread starts in between.
    """
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and sys.platform != "darwin" and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    if "forkserver" not in methods:
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["__main__", *WORKER_PRELOAD])
    return context


def _local_pool(workers: int) -> tuple[ProcessPoolExecutor, str]:
    """A started local pool of ``workers`` processes, and its start method.

    With ``fork``, :data:`WORKER_PRELOAD` is imported here first, and one
    no-op task is submitted at once: a fork pool forks all its workers at its
    first submit, before it starts its manager thread (checked in CPython 3.11–3.13,
    ``ProcessPoolExecutor._launch_processes``; it never forks once a thread
    runs). So every fork happens now, while this process is still
    single-threaded, whatever threads the caller starts afterwards (a progress bar).
    """
    context = pool_context()
    method = context.get_start_method()
    if method == "fork":
        for module in WORKER_PRELOAD:
            importlib.import_module(module)
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=context)
    if method == "fork":
        pool.submit(int)
    return pool, method


@dataclass
class ExecutorHandle:
    """An open executor, how many tasks it runs at once, and how to replace a broken one."""

    executor: Executor
    workers: int
    description: str
    _factory: Callable[[], Executor] | None = field(default=None, repr=False)

    @property
    def window(self) -> int:
        """Tasks to keep in flight: enough to keep every worker busy, few enough that
        results reach the disk soon after they finish."""
        return 1 if isinstance(self.executor, InProcessExecutor) else max(2, 2 * self.workers)

    def restart(self) -> bool:
        """Replace a broken executor (a worker process died); False if it cannot be replaced."""
        if self._factory is None:
            return False
        try:
            self.executor.shutdown(wait=False, cancel_futures=True)
        except Exception:  # noqa: BLE001 - a broken pool may fail to shut down cleanly
            pass
        self.executor = self._factory()
        return True


@contextmanager
def open_executor(
    jobs: int | None = None, scheduler: str | None = None, *, tasks: int | None = None
) -> Iterator[ExecutorHandle]:
    """Open the executor an experiment asked for, and close it afterwards.

    Args:
        jobs: Local worker processes; ``1`` runs in this process; ``None`` uses
            every usable core. Ignored when ``scheduler`` is given.
        scheduler: Address of a Dask scheduler (``tcp://host:port``).
        tasks: Number of runs to execute, if known; no more local workers
            than that are started.

    Yields:
        An :class:`ExecutorHandle`.

    Raises:
        SweepError: ``jobs`` < 1, ``distributed`` missing, or the scheduler unreachable.
    """
    if scheduler is not None:
        with _dask_executor(scheduler) as handle:
            yield handle
        return
    if jobs is not None and jobs < 1:
        raise SweepError(f"--jobs must be at least 1, got {jobs}")
    workers = usable_cores() if jobs is None else jobs
    if tasks is not None:
        workers = max(1, min(workers, tasks))
    if workers == 1:
        handle = ExecutorHandle(InProcessExecutor(), 1, "in-process")
        try:
            yield handle
        finally:
            handle.executor.shutdown()
        return

    def factory() -> Executor:  # the start method is chosen anew for a replacement pool
        return _local_pool(workers)[0]

    pool, method = _local_pool(workers)
    handle = ExecutorHandle(pool, workers, f"{workers} local processes ({method})", factory)
    try:
        yield handle
    except BaseException:  # Ctrl-C or an error: drop queued runs, do not wait for them
        handle.executor.shutdown(wait=False, cancel_futures=True)
        raise
    handle.executor.shutdown(wait=True, cancel_futures=True)


CONNECT_TIMEOUT_S = 10.0
"""How long to try reaching a Dask scheduler before giving up (s)."""


@contextmanager
def _dask_executor(address: str) -> Iterator[ExecutorHandle]:
    try:
        from distributed import Client
    except ImportError:
        raise SweepError(
            "--scheduler needs Dask's 'distributed' package: pip install 'drsim[cluster]'"
        ) from None
    try:
        client = Client(address, timeout=f"{CONNECT_TIMEOUT_S}s", set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise SweepError(f"--scheduler {address}: cannot reach the Dask scheduler ({exc})") from None
    try:
        info = client.scheduler_info()
        threads = sum(int(w.get("nthreads", 1)) for w in info.get("workers", {}).values())
        executor = client.get_executor(pure=False)
        handle = ExecutorHandle(
            executor, max(1, threads), f"Dask scheduler {address} ({threads} worker threads)"
        )
        try:
            yield handle
        except BaseException:  # Ctrl-C or an error: cancel what the cluster still holds
            executor.shutdown(wait=False)
            raise
        executor.shutdown(wait=True)
    finally:
        client.close()
