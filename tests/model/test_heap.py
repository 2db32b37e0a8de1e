"""A run's big temporaries are reused from the heap, not mapped afresh (drsim.model.heap).

Known answers, in a fresh process: after :func:`keep_heap`, a freed 64 MiB array stays
resident (in the heap, for the next array to reuse); without it, glibc maps each such
array afresh and hands it back when freed.
"""

from __future__ import annotations

import platform
import subprocess
import sys

import pytest

SCRIPT = """
import os, sys
import numpy as np
from drsim.model.heap import keep_heap

def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

kept = keep_heap() if sys.argv[1] == "keep" else False
array = np.ones(8 << 20)  # 64 MiB
held = rss()
del array
print(kept, (held - rss()) / 2**20)
"""


def _freed_mib(mode: str) -> tuple[str, float]:
    """(what keep_heap returned, the MiB that freeing the array handed back)."""
    result = subprocess.run([sys.executable, "-c", SCRIPT, mode], capture_output=True,
                            text=True, check=True)
    kept, freed = result.stdout.split()
    return kept, float(freed)


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's allocator only")
def test_freed_arrays_stay_in_the_heap():
    kept, freed = _freed_mib("keep")
    assert kept == "True"
    assert freed < 1.0  # kept for the next array …
    assert _freed_mib("default")[1] > 60.0  # … where glibc's default hands it back


@pytest.mark.parametrize("enabled", [True, False])
def test_the_collector_is_paused_during_a_run_and_left_as_it_was(monkeypatch, enabled):
    """No cyclic collection during a run (its many small objects would set off walks of
    the whole heap); afterwards the collector is as the caller had it."""
    import gc

    from drsim.model import simulate
    from drsim.model.dataplane import DataPlane
    from drsim.scenario import load_scenario

    seen = []
    run = DataPlane.run

    def observed(plane):
        seen.append(gc.isenabled())
        return run(plane)

    monkeypatch.setattr(DataPlane, "run", observed)
    scenario = load_scenario("cognito-active-passive", ["users.population=1000",
                                                        "run.duration=5m", "faults.0.start=2m"])
    (gc.enable if enabled else gc.disable)()
    try:
        simulate(scenario, 0)
        assert seen == [False] and gc.isenabled() == enabled
    finally:
        gc.enable()
