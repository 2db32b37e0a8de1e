"""The same sweep gives identical results in-process, on a local pool and on a Dask cluster."""

from __future__ import annotations

import multiprocessing
import subprocess
import sys

import pandas as pd
import pytest
from click.testing import CliRunner

from drsim.cli.sweep_cmd import sweep_command

SWEEP = ["--param", "dns.ttl=20s,2m", "--param", "lockout.scope=region,global", "--reps", "2",
         "--no-charts", "--quiet"]


def _summary(directory) -> pd.DataFrame:
    frame = pd.read_parquet(directory / "summary.parquet").drop(columns="wall_s")
    return frame.sort_values(["point", "replication"]).reset_index(drop=True)


def _run(tiny_scenario, out, *executor):
    result = CliRunner().invoke(sweep_command, [str(tiny_scenario), *SWEEP, "-o", str(out),
                                                *executor])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("8 runs: 8 done, 0 failed")
    return _summary(out)


SWEEP_REPORTING_START_METHOD = """
import sys
from drsim.experiment import executors
from drsim.cli.sweep_cmd import sweep_command

start_pool = executors._local_pool

def reporting_pool(workers):
    pool, method = start_pool(workers)
    print("start method:", method, file=sys.stderr)
    return pool, method

executors._local_pool = reporting_pool
sweep_command(sys.argv[1:])
"""


@pytest.fixture(scope="module")
def dask_cluster():
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
        dashboard_address=None, silence_logs=40,
    )
    try:
        yield cluster.scheduler_address
    finally:
        cluster.close()


def test_jobs_1_jobs_2_and_dask_give_identical_summaries(tiny_scenario, tmp_path, dask_cluster):
    serial = _run(tiny_scenario, tmp_path / "jobs1", "--jobs", "1")
    pool = _run(tiny_scenario, tmp_path / "jobs2", "--jobs", "2")
    assert dask_cluster.startswith("tcp://127.0.0.1:")
    cluster = _run(tiny_scenario, tmp_path / "dask", "--scheduler", dask_cluster)
    assert (serial["status"] == "ok").all() and len(serial) == 8
    pd.testing.assert_frame_equal(serial, pool, check_exact=True)
    pd.testing.assert_frame_equal(serial, cluster, check_exact=True)
    for name in ("points.parquet",):
        a = pd.read_parquet(tmp_path / "jobs1" / name)
        pd.testing.assert_frame_equal(a, pd.read_parquet(tmp_path / "jobs2" / name),
                                      check_exact=True)
        pd.testing.assert_frame_equal(a, pd.read_parquet(tmp_path / "dask" / name),
                                      check_exact=True)


def test_jobs_and_scheduler_are_exclusive(tiny_scenario, tmp_path):
    result = CliRunner().invoke(sweep_command, [str(tiny_scenario), *SWEEP, "--jobs", "2",
                                                "--scheduler", "tcp://127.0.0.1:1"])
    assert result.exit_code == 2 and "either --jobs or --scheduler" in result.stderr


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods()
                    or sys.platform == "darwin", reason="fork is not used on this platform")
def test_a_sweep_in_a_fresh_process_forks_its_workers_and_gives_identical_summaries(
        tiny_scenario, tmp_path):
    # In this test process other tests' threads may linger (then the pool uses the fork
    # server); `drsim sweep` in a fresh process has none, so its pool forks.
    serial = _run(tiny_scenario, tmp_path / "jobs1", "--jobs", "1")
    out = tmp_path / "forked"
    done = subprocess.run([sys.executable, "-c", SWEEP_REPORTING_START_METHOD,
                           str(tiny_scenario), *SWEEP, "-o", str(out), "--jobs", "2"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "start method: fork" in done.stderr
    assert done.stdout.startswith("8 runs: 8 done, 0 failed")
    pd.testing.assert_frame_equal(serial, _summary(out), check_exact=True)
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "jobs1" / "points.parquet"),
                                  pd.read_parquet(out / "points.parquet"), check_exact=True)
