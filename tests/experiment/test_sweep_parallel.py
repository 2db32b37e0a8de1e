"""The same sweep gives identical results in-process, on a local pool and on a Dask cluster."""

from __future__ import annotations

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
