"""A sweep killed with SIGKILL and resumed ends with the same rows as an uninterrupted one."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest
from click.testing import CliRunner

from drsim.cli.sweep_cmd import sweep_command

SWEEP = ["--param", "dns.ttl=20s,30s,40s,60s,90s,2m,3m,5m", "--reps", "2", "--jobs", "1",
         "--no-charts", "--quiet"]
TOTAL = 16


def _rows(directory) -> pd.DataFrame:
    frame = pd.read_parquet(directory / "summary.parquet").drop(columns="wall_s")
    return frame.sort_values(["point", "replication"]).reset_index(drop=True)


@pytest.mark.skipif(not hasattr(os, "killpg"), reason="needs POSIX process groups")
def test_sigkill_mid_sweep_then_resume_matches_a_clean_run(tiny_scenario, tmp_path):
    killed = tmp_path / "killed"
    command = [sys.executable, "-m", "drsim.cli.sweep_cmd", str(tiny_scenario), *SWEEP,
               "-o", str(killed)]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    runs = killed / "runs"
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if runs.is_dir() and len(list(runs.glob("*.json"))) >= 2:
                break
            time.sleep(0.02)
        assert proc.poll() is None, proc.communicate()[1].decode()
        os.killpg(proc.pid, signal.SIGKILL)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    persisted = len(list(runs.glob("*.json")))
    assert 2 <= persisted < TOTAL
    assert not (killed / "summary.parquet").exists()  # it died before the end

    resumed = CliRunner().invoke(sweep_command, [str(tiny_scenario), *SWEEP, "-o", str(killed),
                                                 "--resume"])
    assert resumed.exit_code == 0, resumed.output
    assert resumed.stdout.startswith(
        f"{TOTAL} runs: {TOTAL - persisted} done, 0 failed, {persisted} skipped (already done)"
    )
    assert not list(killed.rglob("*.tmp"))

    clean = tmp_path / "clean"
    result = CliRunner().invoke(sweep_command, [str(tiny_scenario), *SWEEP, "-o", str(clean)])
    assert result.exit_code == 0, result.output

    after, reference = _rows(killed), _rows(clean)
    assert len(after) == TOTAL
    assert not after.duplicated(["point", "replication"]).any()
    assert (after["status"] == "ok").all()
    pd.testing.assert_frame_equal(after, reference, check_exact=True)
    assert len(list(runs.glob("*.json"))) == TOTAL
