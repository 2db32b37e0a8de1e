"""One sweep at a time per directory: a second one is refused (exit 2), a stale lock taken over.

The first sweep runs in its own process and is held at its first run (its
``run_one`` waits for a file the test creates), so the second one always meets
it mid-sweep: no timing race.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from drsim.cli.sweep_cmd import sweep_command
from drsim.experiment.errors import SweepError
from drsim.experiment.lock import LOCK_FILE, SweepLock

pytestmark = pytest.mark.skipif(not hasattr(os, "killpg"), reason="needs POSIX locks and groups")

SWEEP = ["--param", "dns.ttl=20s,60s", "--reps", "2", "--jobs", "1", "--no-charts", "--quiet"]
TIMEOUT_S = 120.0

HELD_SWEEP = """
import sys, time
from pathlib import Path
from drsim.experiment import runner
from drsim.cli.sweep_cmd import sweep_command

reached, go = Path(sys.argv[1]), Path(sys.argv[2])
run_one = runner.run_one

def held_run_one(*args, **kwargs):
    reached.touch()
    deadline = time.monotonic() + 120
    while not go.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    return run_one(*args, **kwargs)

runner.run_one = held_run_one
sweep_command(sys.argv[3:])
"""


def _start_held_sweep(tiny_scenario: Path, out: Path, tmp_path: Path) -> tuple[subprocess.Popen,
                                                                                Path]:
    """A sweep into ``out`` in another process, stopped inside its first run; and its go file."""
    reached, go = tmp_path / "reached", tmp_path / "go"
    proc = subprocess.Popen(
        [sys.executable, "-c", HELD_SWEEP, str(reached), str(go), str(tiny_scenario), *SWEEP,
         "-o", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.monotonic() + TIMEOUT_S
    while not reached.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            _stop(proc)
            pytest.fail(f"the first sweep did not reach its first run: {proc.communicate()}")
        time.sleep(0.02)
    return proc, go


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def _sweep_process(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "drsim", "sweep", *args],
                          capture_output=True, text=True, timeout=TIMEOUT_S)


def test_a_second_sweep_on_a_directory_in_use_is_refused(tiny_scenario, tmp_path):
    out = tmp_path / "sweep"
    first, go = _start_held_sweep(tiny_scenario, out, tmp_path)
    try:
        holder = f"PID {first.pid} on host {socket.gethostname()}, started 20"
        for args in ([str(tiny_scenario), *SWEEP, "-o", str(out)],
                     ["--resume", "-o", str(out), "--no-charts", "--quiet"]):
            second = _sweep_process(*args)
            assert second.returncode == 2, second.stderr
            assert second.stderr.startswith(
                f"drsim sweep: -o {out}: another sweep is writing this directory ({holder}")
            assert "Traceback" not in second.stderr and second.stdout == ""
        assert first.poll() is None  # it held the directory all along
        go.touch()
        stdout, stderr = first.communicate(timeout=TIMEOUT_S)
        assert first.returncode == 0, stderr
        assert stdout.startswith("4 runs: 4 done, 0 failed")
    finally:
        _stop(first)
    assert (out / LOCK_FILE).read_text() == ""  # released: no holder named

    resumed = CliRunner().invoke(sweep_command, ["--resume", "-o", str(out), "--no-charts",
                                                 "--quiet"])
    assert resumed.exit_code == 0, resumed.output
    assert resumed.stdout.startswith("4 runs: 0 done, 0 failed, 4 skipped")
    assert "warning" not in resumed.stderr


def test_a_lock_left_by_a_killed_sweep_is_taken_over_with_a_warning(tiny_scenario, tmp_path):
    out = tmp_path / "sweep"
    first, _ = _start_held_sweep(tiny_scenario, out, tmp_path)
    _stop(first)
    assert first.returncode == -signal.SIGKILL
    left = json.loads((out / LOCK_FILE).read_text())
    assert left["pid"] == first.pid

    resumed = CliRunner().invoke(sweep_command, [str(tiny_scenario), *SWEEP, "-o", str(out),
                                                 "--resume"])
    assert resumed.exit_code == 0, resumed.output
    assert resumed.stdout.startswith("4 runs: 4 done, 0 failed, 0 skipped")
    assert (f"drsim sweep: warning: -o {out}: taking over a stale lock: PID {first.pid} on host "
            f"{socket.gethostname()}, started {left['started']} no longer runs") in resumed.stderr
    assert (out / LOCK_FILE).read_text() == ""


def test_the_lock_is_exclusive_within_one_process_too(tmp_path):
    warnings = []
    with SweepLock(tmp_path, warnings.append):
        with pytest.raises(SweepError, match=rf"PID {os.getpid()} on host "), SweepLock(tmp_path):
            pass
    with SweepLock(tmp_path, warnings.append):  # released: free again, nothing stale
        pass
    assert warnings == []


def test_a_lock_left_on_another_host_is_refused(tmp_path):
    (tmp_path / LOCK_FILE).write_text(json.dumps(
        {"pid": 1, "host": "elsewhere.invalid", "started": "2026-01-01T00:00:00Z"}))
    with pytest.raises(SweepError, match=r"names PID 1 on host elsewhere\.invalid, started "
                                         r"2026-01-01T00:00:00Z, which this host cannot check"):
        SweepLock(tmp_path).acquire()
