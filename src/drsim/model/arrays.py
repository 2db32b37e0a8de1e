"""Array helpers the model's rooms share."""

from __future__ import annotations

import mmap

import numpy as np


def distinct(values: np.ndarray) -> np.ndarray:
    """The sorted distinct values of a 1-D array: ``np.unique(values)``, by one sort (numpy's
    ``unique`` hashes instead, several times slower on the model's ids)."""
    ordered = np.sort(values)
    if len(ordered) < 2:
        return ordered
    first = np.empty(len(ordered), dtype=np.bool_)
    first[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=first[1:])
    return ordered[first]


def repeated(values: np.ndarray) -> np.ndarray:
    """The sorted distinct values that occur more than once in a 1-D array."""
    ordered = np.sort(values)
    return distinct(ordered[1:][ordered[1:] == ordered[:-1]])


MAPPED_MIN_BYTES = 1 << 20
"""From this size :func:`mapped_empty` maps an array of its own."""


def mapped_empty(n: int, dtype: np.dtype | type) -> np.ndarray:
    """An uninitialised 1-D array in an anonymous memory mapping of its own (from
    :data:`MAPPED_MIN_BYTES`), unmapped when the array is freed: a long-lived column
    never sits in the heap between short-lived ones, whose freed blocks stay resident
    (:mod:`drsim.model.heap`)."""
    dtype = np.dtype(dtype)
    size = n * dtype.itemsize
    if size < MAPPED_MIN_BYTES:
        return np.empty(n, dtype=dtype)
    populate = getattr(mmap, "MAP_POPULATE", 0)  # Linux: all pages at once, not a fault each
    memory = (mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | populate)
              if populate else mmap.mmap(-1, size))
    return np.frombuffer(memory, dtype=dtype)
