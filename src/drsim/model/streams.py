"""Named random streams: one independent generator per model component.

Every stochastic component draws from its own stream, derived from the
scenario seed, the replication index and the component's name only. Two
designs run with the same seed therefore see the same users, arrivals and
attacks (common random numbers), adding a component never shifts another
component's draws, and a run repeats bit for bit whatever executes it.
"""

from __future__ import annotations

import zlib

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
