"""A batch: many runs, keyed by (point, replication), streamed through an executor.

The batch keeps a bounded number of runs in flight, hands each result to a
callback the moment it arrives (so the caller can persist it before anything
else can go wrong), and shows a progress bar with counts and ETA. A run whose
executor fails (a worker process killed, a task that cannot be shipped)
becomes a failed :class:`~drsim.experiment.runner.RunResult` like any other
failure: the batch goes on, and a broken local pool is replaced.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Hashable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

from drsim.experiment import runner
from drsim.experiment.executors import ExecutorHandle
from drsim.experiment.runner import RunResult
from drsim.scenario.schema import Scenario


@dataclass(frozen=True)
class RunTask:
    """One run to execute: its key, its scenario, its replication index, whether to keep records."""

    key: Hashable
    scenario: Scenario
    replication: int
    keep_records: bool = False


def execute_run(scenario: Scenario, replication: int, keep_records: bool = False) -> RunResult:
    """The function shipped to workers: one run, metrics (and, if asked, its record tables).

    Looks :func:`drsim.experiment.runner.run_one` up at call time, so tests can
    replace it for in-process runs. Metric values are made plain floats so
    results pickle and serialise the same from every executor.
    """
    result = runner.run_one(scenario, replication, keep_records=keep_records)
    if not keep_records:
        result.records = None
    result.metrics = {str(k): float(v) for k, v in result.metrics.items()}
    return result


def _failed(task: RunTask, error: str, started: float) -> RunResult:
    return RunResult(
        replication=task.replication,
        status="failed",
        wall_s=time.perf_counter() - started,
        error=error,
    )


@dataclass
class BatchCounts:
    """What a batch did."""

    done: int = 0
    failed: int = 0


class _Batch:
    """The runs in flight of one :func:`run_batch` call, and where their results go."""

    def __init__(self, handle: ExecutorHandle,
                 on_result: Callable[[RunTask, RunResult], None], bar: Any) -> None:
        self.handle = handle
        self.on_result = on_result
        self.bar = bar
        self.counts = BatchCounts()
        self.pending: dict[Future, tuple[RunTask, float, object]] = {}

    def deliver(self, task: RunTask, result: RunResult) -> None:
        """Hand one result to the caller and count it."""
        self.on_result(task, result)
        if result.status == "ok":
            self.counts.done += 1
        else:
            self.counts.failed += 1
        if self.bar is not None:
            self.bar.update(1)
            self.bar.set_postfix(failed=self.counts.failed, refresh=False)

    def submit(self, task: RunTask) -> None:
        """Ship a task; a pool that broke is replaced once, a task that cannot ship fails."""
        started = time.perf_counter()
        for attempt in range(2):
            try:
                future = self.handle.executor.submit(
                    execute_run, task.scenario, task.replication, task.keep_records)
            except BrokenProcessPool:
                if attempt == 0 and self.handle.restart():
                    continue
                self.deliver(task, _failed(task, "the worker pool broke and could not restart",
                                           started))
                return
            except Exception as exc:  # cannot ship the task at all
                self.deliver(task, _failed(task, f"{type(exc).__name__}: {exc}", started))
                return
            self.pending[future] = (task, started, self.handle.executor)
            return

    def collect(self) -> None:
        """Wait for at least one run to finish and deliver every finished one.

        A worker that died fails its run (the pool is replaced); any other
        executor error fails its run too.
        """
        finished, _ = wait(list(self.pending), return_when=FIRST_COMPLETED)
        broken = False
        for future in finished:
            task, started, executor = self.pending.pop(future)
            try:
                result = future.result()
            except BrokenProcessPool as exc:
                broken = broken or executor is self.handle.executor
                result = _failed(task, f"worker process died ({exc}); this run may not be at "
                                 "fault and is retried on resume", started)
            except Exception as exc:
                result = _failed(task, f"executor error: {type(exc).__name__}: {exc}", started)
            self.deliver(task, result)
        if broken:
            self.handle.restart()


def run_batch(
    tasks: Iterable[RunTask],
    handle: ExecutorHandle,
    on_result: Callable[[RunTask, RunResult], None],
    *,
    total: int,
    progress: bool = False,
    description: str = "runs",
) -> BatchCounts:
    """Execute ``tasks`` and pass each result to ``on_result`` as soon as it finishes.

    Args:
        tasks: The runs to execute.
        handle: An open executor (see :func:`~drsim.experiment.executors.open_executor`).
        on_result: Called in this process with ``(task, result)`` for every run,
            in completion order.
        total: Number of tasks (for the progress bar).
        progress: Show a tqdm bar on stderr.
        description: Label of the progress bar.

    Returns:
        Counts of runs that succeeded and failed.
    """
    batch = _Batch(handle, on_result, _progress_bar(total, progress, description))
    queue = iter(tasks)
    exhausted = False
    try:
        while True:
            while not exhausted and len(batch.pending) < handle.window:
                task = next(queue, None)
                if task is None:
                    exhausted = True
                    break
                batch.submit(task)
            if not batch.pending:
                if exhausted:
                    break
                continue
            batch.collect()
    finally:
        for future in batch.pending:
            future.cancel()
        if batch.bar is not None:
            batch.bar.close()
    return batch.counts


def _progress_bar(total: int, enabled: bool, description: str):  # noqa: ANN202 - tqdm or None
    if not enabled or total <= 0:
        return None
    from tqdm import tqdm

    return tqdm(total=total, desc=description, unit="run", file=sys.stderr, dynamic_ncols=True)
