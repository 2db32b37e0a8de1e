"""The process's heap between a run's big steps.

With glibc, an array below the allocator's mmap threshold comes from the heap, and a freed
block inside the heap stays resident until the heap's top is free. The threshold rises to
the size of any mapped block freed (up to 32 MiB): after the first big temporary is freed,
a run's columns of a few MiB (the arrivals' sources, the sessions' parts, the record
columns) come from the heap, and the holes they leave keep the process's resident size
well above what the run holds (≈ 50 MiB at 100 k users, ``benchmarks/RESULTS.md``).

:func:`release_free_heap` hands the free pages inside the heap back to the system
(``malloc_trim``) where a step has freed its temporaries and the next step allocates
afresh: as the arrivals' merged columns are built and after the arrivals are made (not
after the data plane, where faulting the large heap back in costs more than it saves:
docs/model.md, "Exactness and speed"). What the run holds, and its
results, do not change. Elsewhere than glibc it does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import sys


@functools.cache
def _malloc_trim():  # noqa: ANN202 - a ctypes function, or None
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim = libc.malloc_trim
    except (OSError, AttributeError):  # not glibc (e.g. musl)
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim


def release_free_heap() -> bool:
    """Return the heap's free pages to the system; False where that is not possible."""
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True
