"""The process's heap: a run's big temporaries reused from it instead of mapped afresh.

With glibc, an array above the allocator's mmap threshold (128 KiB at first, raised to
the size of any mapped block freed, up to 32 MiB) gets a mapping of its own, handed back
to the system when freed; and the heap's free top is handed back above the trim
threshold. A run makes and frees many arrays of a few to hundreds of MiB: each new one
is faulted in again page by page (≈ 50 k minor faults at 1 M users, 5–8 µs each on a
VM), which cost the reference run about a fifth of its CPU time.

:func:`keep_heap` raises both thresholds to 1 GiB once per process, so that big
arrays come from the heap and a freed block is reused, already resident, by the next
one. The process's resident size then stays near its peak between runs (the heap is not
handed back), and the peak holds what the run's steps held at once plus the holes
between them (``benchmarks/RESULTS.md``). Results do not change. Elsewhere than glibc
it does nothing.

:func:`collector_paused` keeps Python's cyclic garbage collector off during a run: what
the run frees, reference counting frees (the data plane is not held by a cycle), and
the collector's walks of every object cost about 3 % of the run.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import functools
import gc
import sys
from collections.abc import Iterator

M_TRIM_THRESHOLD = -1  # glibc's mallopt parameters (malloc.h)
M_MMAP_THRESHOLD = -3
KEEP_BELOW_BYTES = 1 << 30  # arrays below 1 GiB come from the heap, which keeps them


@functools.cache
def keep_heap() -> bool:
    """Let the heap serve and keep arrays below 1 GiB (once per process); False where
    the allocator is not glibc's."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (e.g. musl)
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    mapped = mallopt(M_MMAP_THRESHOLD, KEEP_BELOW_BYTES)
    trimmed = mallopt(M_TRIM_THRESHOLD, KEEP_BELOW_BYTES)
    return bool(mapped and trimmed)


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off for the duration, then as it was.

    A run makes few reference cycles but many small objects (agenda entries, tuples): the
    collector, set off by their number, would walk every object the process holds again
    and again (at 1 M users 136 collections, 63 ms: about 3 % of a reference run's CPU
    time). The cycles a run leaves are collected afterwards, as usual."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
