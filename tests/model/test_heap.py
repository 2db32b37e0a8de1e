"""The heap's free pages go back to the system between a run's steps (drsim.model.heap).

Known answers, in a fresh process whose mmap threshold is fixed at 32 MiB (so that a
16 MiB array comes from the heap, as a run's columns do once glibc has raised its
threshold): freeing the array below a live one leaves its 16 MiB resident; releasing
the heap's free pages gives them back.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys

import pytest

SCRIPT = """
import os
import numpy as np
from drsim.model.heap import release_free_heap

def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

hole = np.ones(2 << 20)  # 16 MiB, from the heap
pin = np.ones(1 << 17)  # 1 MiB above it: the heap's top is not free
held = rss()
del hole
freed = rss()
released = release_free_heap()
print(released, (held - freed) / 2**20, (freed - rss()) / 2**20)
"""


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's allocator only")
def test_free_heap_pages_are_returned():
    env = {**os.environ, "MALLOC_MMAP_THRESHOLD_": str(32 << 20)}
    result = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True,
                            text=True, check=True)
    released, dropped_on_free, dropped_on_release = result.stdout.split()
    assert released == "True"
    assert float(dropped_on_free) < 1.0  # the hole stays resident …
    assert float(dropped_on_release) > 15.0  # … until its pages are released

