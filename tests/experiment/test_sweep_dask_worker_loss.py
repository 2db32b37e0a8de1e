"""A Dask worker killed mid-sweep loses no run, and the results equal ``--jobs 1``'s.

The scheduler notices the dead worker and reschedules every task it held on
the other worker (its nanny also starts a replacement); the client's futures
simply complete later. A task lost more than ``distributed.scheduler.allowed-failures``
times would come back as ``KilledWorker``: the batch records it as a failed run,
which ``--resume`` runs again (``tests/experiment/test_sweep_executors.py``).

The cluster is this test's own (2 worker processes on 127.0.0.1), since one of
its workers is killed. The second test shows the fallback when Dask gives up
on a task: no run is lost either, it is recorded as failed and ``--resume``
completes it.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time

import pandas as pd
import pytest

from drsim.experiment.design import SweepDesign, parse_param
from drsim.experiment.sweep import SweepOutcome, SweepRequest, plan_sweep, run_sweep

TIMEOUT_S = 60.0


@pytest.fixture
def start_cluster():
    """Factory of fresh local clusters (two single-threaded worker processes), closed after.

    ``allowed_failures``: how many dead workers a task survives before it fails
    with ``KilledWorker`` (Dask's default: 3).
    """
    distributed = pytest.importorskip("distributed")
    import dask

    clusters = []

    def start(allowed_failures: int | None = None):
        settings = {} if allowed_failures is None else {
            "distributed.scheduler.allowed-failures": allowed_failures}
        with dask.config.set(settings):
            cluster = distributed.LocalCluster(
                n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                dashboard_address=None, silence_logs=logging.CRITICAL,
            )
        clusters.append(cluster)
        return cluster

    try:
        yield start
    finally:
        for cluster in clusters:
            cluster.close()


def _rows(outcome: SweepOutcome) -> pd.DataFrame:
    frame = outcome.summary.drop(columns="wall_s")
    return frame.sort_values(["point", "replication"]).reset_index(drop=True)


def _busy_worker(client, sweep: threading.Thread) -> tuple[str, list[str]]:
    """The first worker seen holding two runs of the sweep, and their keys (polled).

    Two: one running and one waiting behind it (the batch keeps twice as many
    runs in flight as there are worker threads), so the kill surely loses one.
    """
    deadline = time.monotonic() + TIMEOUT_S
    while time.monotonic() < deadline and sweep.is_alive():
        for worker, keys in client.processing().items():
            if len(keys) >= 2:
                return worker, [str(k) for k in keys]
        time.sleep(0.01)
    pytest.fail("the sweep ended before a worker held two of its runs")


def _sweep_killing_a_worker(plan, out, address: str) -> SweepOutcome:
    """Run ``plan`` on the cluster at ``address`` and SIGKILL a worker holding one of its runs."""
    from distributed import Client

    finished: dict[str, object] = {}

    def sweep() -> None:
        try:
            finished["outcome"] = run_sweep(plan, out, scheduler=address)
        except BaseException as exc:  # noqa: BLE001 - reported by the test below
            finished["error"] = exc

    with Client(address, set_as_default=False) as client:
        pids = client.run(os.getpid)  # worker address -> worker process id
        runner = threading.Thread(target=sweep, daemon=True)
        runner.start()
        victim, lost = _busy_worker(client, runner)
        persisted = len(list((out / "runs").glob("*.json")))
        os.kill(pids[victim], signal.SIGKILL)
        runner.join(TIMEOUT_S)
    assert not runner.is_alive(), "the sweep did not finish after a worker was killed"
    assert "error" not in finished, finished.get("error")
    assert lost and persisted < plan.total_runs  # killed mid-sweep, holding a run
    outcome = finished["outcome"]
    assert isinstance(outcome, SweepOutcome)
    return outcome


@pytest.fixture
def plan_and_serial(tiny_scenario, tmp_path):
    """12 runs (4 points × 3 replications) and their ``--jobs 1`` outcome."""
    design = SweepDesign(params=(parse_param("dns.ttl=20s,40s,60s,2m"),))
    plan = plan_sweep(SweepRequest(tiny_scenario, design, replications=3))
    serial = run_sweep(plan, tmp_path / "jobs1", jobs=1)
    assert serial.done == plan.total_runs == 12
    return plan, serial


def test_a_worker_killed_mid_sweep_loses_no_run(plan_and_serial, tmp_path, start_cluster):
    plan, serial = plan_and_serial
    outcome = _sweep_killing_a_worker(plan, tmp_path / "dask",
                                      start_cluster().scheduler_address)
    assert (outcome.done, outcome.failed) == (plan.total_runs, 0)
    pd.testing.assert_frame_equal(_rows(outcome), _rows(serial), check_exact=True)
    pd.testing.assert_frame_equal(outcome.points, serial.points, check_exact=True)


def test_runs_dask_gives_up_on_are_recorded_failed_and_resume_completes_them(
        plan_and_serial, tmp_path, start_cluster):
    """With no retry allowed, the killed worker's runs fail (KilledWorker), are kept as
    failed runs, and ``--resume`` runs them: the same results again."""
    plan, serial = plan_and_serial
    address = start_cluster(allowed_failures=0).scheduler_address
    out = tmp_path / "dask"
    outcome = _sweep_killing_a_worker(plan, out, address)
    assert outcome.failed >= 1 and outcome.done + outcome.failed == plan.total_runs
    errors = outcome.summary.loc[outcome.summary["status"] != "ok", "error"]
    assert errors.str.contains("KilledWorker").all(), errors.tolist()

    resumed = run_sweep(plan, out, scheduler=address, resume=True)
    assert (resumed.done, resumed.failed) == (outcome.failed, 0)
    assert resumed.skipped == outcome.done
    pd.testing.assert_frame_equal(_rows(resumed), _rows(serial), check_exact=True)
    pd.testing.assert_frame_equal(resumed.points, serial.points, check_exact=True)
