"""Named random streams: one independent generator per model component.

Every stochastic component draws from its own stream, derived from the
scenario seed, the replication index and the component's name only. Two
designs run with the same seed therefore see the same users, arrivals and
attacks (common random numbers), adding a component never shifts another
component's draws, and a run repeats bit for bit whatever executes it.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator

import numpy as np


def stream_key(name: str) -> int:
    """A stable 32-bit key for a stream name (independent of Python's hash seed)."""
    return zlib.crc32(name.encode("utf-8"))


class Streams:
    """Factory of named generators for one replication.

    Args:
        seed: The scenario's root seed (``run.seed``).
        replication: The replication index.
    """

    def __init__(self, seed: int, replication: int) -> None:
        self.seed = seed
        self.replication = replication

    def get(self, name: str) -> np.random.Generator:
        """A fresh generator for ``name``; the same name always gives the same draws."""
        sequence = np.random.SeedSequence(
            entropy=self.seed, spawn_key=(self.replication, stream_key(name))
        )
        return np.random.Generator(np.random.PCG64(sequence))


def skip_doubles(rng: np.random.Generator, count: int) -> None:
    """Leave ``rng`` as ``rng.random(count)`` would, without drawing: a double takes one
    64-bit output of PCG64, so its state advances by ``count``; the half of a 64-bit
    output kept for a later 32-bit draw, which advancing discards, is kept."""
    bit_generator = rng.bit_generator
    kept = bit_generator.state
    bit_generator.advance(count)
    state = bit_generator.state
    state["has_uint32"], state["uinteger"] = kept["has_uint32"], kept["uinteger"]
    bit_generator.state = state


class DeferredUniforms:
    """``rng.random(count)``, drawn when needed: the stream moves past the draws at once
    (:func:`skip_doubles`) and they are drawn later, in blocks, from the state it had —
    the same values. A column of a request part (the arrivals' own draw) is not held
    from its part's making to its merge: at 100 k users 15 MiB off the generation's
    peak."""

    BLOCK = 1 << 20

    def __init__(self, rng: np.random.Generator, count: int) -> None:
        self.state = rng.bit_generator.state
        self.count = count
        skip_doubles(rng, count)

    def __len__(self) -> int:
        return self.count

    def values(self) -> np.ndarray:
        """All the draws at once."""
        return np.concatenate([np.empty(0), *self.blocks()])

    def blocks(self) -> Iterator[np.ndarray]:
        """The draws, in order, ``BLOCK`` at a time."""
        rng = np.random.Generator(np.random.PCG64())
        rng.bit_generator.state = self.state
        for start in range(0, self.count, self.BLOCK):
            yield rng.random(min(self.BLOCK, self.count - start))


# Counter-based randomness: draws that depend on a key only, not on the order in which
# requests are served (a retry's draws derive from its parent's key).

_MASK64 = (1 << 64) - 1


def mix64(x: int) -> int:
    """SplitMix64's finaliser: a well-mixed 64-bit integer from any integer."""
    x = (x + 0x9E3779B97F4A7C15) & _MASK64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK64
    return x ^ (x >> 31)


def unit(key: int) -> float:
    """A uniform draw in [0, 1) that depends on ``key`` only."""
    return (mix64(key) >> 11) * 2.0**-53


def mix64_many(x: np.ndarray) -> np.ndarray:
    """:func:`mix64` of a uint64 array (wrapping arithmetic gives the same bits)."""
    x = x.astype(np.uint64) + np.uint64(0x9E3779B97F4A7C15)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def unit_many(keys: np.ndarray, salt: int) -> np.ndarray:
    """:func:`unit` of ``key ^ salt`` for a uint64 array of keys."""
    mixed = mix64_many(keys.astype(np.uint64) ^ np.uint64(salt))
    return (mixed >> np.uint64(11)).astype(np.float64) * 2.0**-53
