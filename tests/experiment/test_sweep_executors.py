"""Executors behind one interface: in-process, local process pool; batches survive failures."""

from __future__ import annotations

import multiprocessing
import operator
import subprocess
import sys
import threading
from concurrent.futures import Executor, Future, as_completed
from concurrent.futures.process import BrokenProcessPool

import pytest

from drsim.experiment import runner
from drsim.experiment.batch import RunTask, run_batch
from drsim.experiment.errors import SweepError
from drsim.experiment.executors import (
    ExecutorHandle,
    InProcessExecutor,
    open_executor,
    pool_context,
)
from drsim.experiment.runner import RunResult


def test_in_process_executor_runs_at_submit_and_captures_errors():
    executor = InProcessExecutor()
    calls = []
    done = executor.submit(lambda x: calls.append(x) or x * 2, 21)
    assert calls == [21] and done.done() and done.result() == 42
    failed = executor.submit(operator.truediv, 1, 0)
    assert isinstance(failed.exception(), ZeroDivisionError)
    executor.shutdown()
    with pytest.raises(RuntimeError):
        executor.submit(abs, 1)


def test_jobs_1_is_in_process_and_a_pool_gives_the_same_answers():
    with open_executor(jobs=1) as handle:
        assert isinstance(handle.executor, InProcessExecutor) and handle.window == 1
        serial = [handle.executor.submit(pow, 3, k).result() for k in range(6)]
    with open_executor(jobs=2) as handle:
        assert handle.workers == 2 and handle.window == 4
        futures = {handle.executor.submit(pow, 3, k): k for k in range(6)}
        parallel = {futures[f]: f.result() for f in as_completed(futures)}
    assert [parallel[k] for k in range(6)] == serial


CAN_FORK = "fork" in multiprocessing.get_all_start_methods() and sys.platform != "darwin"

POOL_IN_A_FRESH_PROCESS = """
import multiprocessing, os, threading
from drsim.experiment.executors import open_executor

with open_executor(jobs=2) as handle:
    started = len(multiprocessing.active_children())
    forked = handle.executor.submit(os.getppid).result() == os.getpid()
    stop = threading.Event()
    threading.Thread(target=stop.wait).start()  # like a progress bar's monitor thread
    handle.restart()
    refork = handle.executor.submit(os.getppid).result() == os.getpid()
    stop.set()
print(handle.description, started, forked, refork)
"""


def test_pool_does_not_fork_while_another_thread_runs():
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert pool_context().get_start_method() in ("forkserver", "spawn")
    finally:
        stop.set()
        thread.join()


@pytest.mark.skipif(not CAN_FORK, reason="fork is not used on this platform")
def test_a_single_threaded_process_forks_every_worker_at_once_and_a_restart_rechecks():
    done = subprocess.run([sys.executable, "-c", POOL_IN_A_FRESH_PROCESS], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    # both workers exist as soon as the pool is open, and are this process's children;
    # the replacement pool, made while a thread runs, comes from the fork server instead
    assert done.stdout.split() == ["2", "local", "processes", "(fork)", "2", "True", "False"]


def test_no_more_workers_than_tasks_and_bad_jobs():
    with open_executor(jobs=8, tasks=1) as handle:
        assert isinstance(handle.executor, InProcessExecutor)
    with pytest.raises(SweepError, match="--jobs must be at least 1"), open_executor(jobs=0):
        pass


def test_missing_scheduler_is_a_clear_error(monkeypatch):
    from drsim.experiment import executors

    monkeypatch.setattr(executors, "CONNECT_TIMEOUT_S", 1.0)
    with pytest.raises(SweepError, match="cannot reach the Dask scheduler"), \
            open_executor(scheduler="tcp://127.0.0.1:9"):
        pass


def _fake_run_one(scenario, replication, keep_records=False):
    if replication == 2:
        return RunResult(replication=replication, status="failed", error="ValueError: bad rep")
    return RunResult(replication=replication, status="ok", metrics={"rep": replication * 1.0})


def test_batch_streams_every_result_and_goes_on_after_a_failure(monkeypatch):
    monkeypatch.setattr(runner, "run_one", _fake_run_one)
    tasks = [RunTask(("p", r), None, r) for r in range(5)]
    seen = []
    with open_executor(jobs=1) as handle:
        counts = run_batch(tasks, handle, lambda t, r: seen.append((t.key, r.status)), total=5)
    assert seen == [(("p", r), "failed" if r == 2 else "ok") for r in range(5)]
    assert (counts.done, counts.failed) == (4, 1)


class _BreaksOnce(Executor):
    """A pool whose first task dies with its worker (BrokenProcessPool)."""

    def __init__(self, log):
        self.log = log

    def submit(self, fn, /, *args, **kwargs):
        future = Future()
        if not self.log:
            future.set_exception(BrokenProcessPool("a worker died"))
        else:
            future.set_result(fn(*args, **kwargs))
        self.log.append(args[1])
        return future


def test_a_dead_worker_fails_its_run_and_the_pool_is_replaced(monkeypatch):
    monkeypatch.setattr(runner, "run_one", _fake_run_one)
    log = []
    made = []

    def factory():
        made.append(1)
        return _BreaksOnce(log)

    handle = ExecutorHandle(factory(), 1, "test pool", factory)
    results = {}
    counts = run_batch([RunTask(r, None, r) for r in (0, 1, 3)], handle,
                       lambda t, r: results.__setitem__(t.key, r), total=3)
    assert results[0].status == "failed" and "worker process died" in results[0].error
    assert results[1].status == "ok" and results[3].status == "ok"
    assert (counts.done, counts.failed) == (2, 1)
    assert len(made) == 2  # replaced once


def test_progress_bar_counts_runs_on_stderr(monkeypatch, capsys):
    monkeypatch.setattr(runner, "run_one", _fake_run_one)
    with open_executor(jobs=1) as handle:
        run_batch([RunTask(r, None, r) for r in range(4)], handle, lambda t, r: None, total=4,
                  progress=True, description="sweep")
    captured = capsys.readouterr()
    assert "sweep: 100%" in captured.err and "4/4" in captured.err and "failed=1" in captured.err
    assert captured.out == ""
