"""Array helpers the model's rooms share.

numpy's comparison sorts cost ≈ 40 ns per element here, its radix sort of 16-bit keys
a few ns: ids (non-negative integers below 2**32) are ordered by two radix passes, and
small codes (regions, categories) are told apart by counting.
"""

from __future__ import annotations

import numpy as np

_RADIX_MIN = 512  # fewer elements: a comparison sort is as fast


def _id_range(values: np.ndarray) -> int | None:
    """The largest of ``values`` if they are integer ids (≥ 0, < 2**32) worth a radix
    sort, else None."""
    if values.dtype.kind not in "iu" or len(values) < _RADIX_MIN:
        return None
    top = int(values.max())
    return top if top < 1 << 32 and int(values.min()) >= 0 else None


def id_order(values: np.ndarray) -> np.ndarray:
    """``np.argsort(values, kind="stable")``; by 16-bit radix passes for ids."""
    top = _id_range(values)
    if top is None:
        return np.argsort(values, kind="stable")
    if top < 1 << 16:
        return np.argsort(values.astype(np.uint16), kind="stable")
    order = np.argsort((values & 0xFFFF).astype(np.uint16), kind="stable")
    return order[np.argsort((values[order] >> 16).astype(np.uint16), kind="stable")]


def sorted_ids(values: np.ndarray) -> np.ndarray:
    """``np.sort(values)``; by 16-bit radix passes for ids."""
    top = _id_range(values)
    if top is None:
        return np.sort(values)
    if top < 1 << 16:
        return np.sort(values.astype(np.uint16), kind="stable").astype(values.dtype)
    return values[id_order(values)]


def distinct(values: np.ndarray) -> np.ndarray:
    """The sorted distinct values of a 1-D array: ``np.unique(values)``, by one sort (numpy's
    ``unique`` hashes instead, several times slower on the model's ids), or by counting
    when they are small codes."""
    if values.dtype.kind in "iu" and len(values) and 0 <= values.min() and (
            values.max() < 64 + 2 * len(values)):
        return np.flatnonzero(np.bincount(values)).astype(values.dtype)
    ordered = sorted_ids(values)
    if len(ordered) < 2:
        return ordered
    first = np.empty(len(ordered), dtype=np.bool_)
    first[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=first[1:])
    return ordered[first]


def repeated(values: np.ndarray) -> np.ndarray:
    """The sorted distinct values that occur more than once in a 1-D array."""
    ordered = sorted_ids(values)
    return distinct(ordered[1:][ordered[1:] == ordered[:-1]])

