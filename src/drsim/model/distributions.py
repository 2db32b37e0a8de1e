"""Sampling the scenario's duration distributions (lag, delays, TTL extensions)."""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np

from drsim.scenario.schema import Constant, Empirical, Exponential, Lognormal, Uniform


def sample(spec: object, rng: np.random.Generator, size: int) -> np.ndarray:
    """Draw ``size`` values (seconds) from a distribution spec of the scenario language."""
    if isinstance(spec, Constant):
        return np.full(size, spec.value, dtype=np.float64)
    if isinstance(spec, Exponential):
        return rng.exponential(spec.mean, size)
    if isinstance(spec, Lognormal):
        return rng.lognormal(spec.mu, spec.sigma, size)
    if isinstance(spec, Uniform):
        return rng.uniform(spec.low, spec.high, size)
    if isinstance(spec, Empirical):
        samples = np.asarray(spec.samples, dtype=np.float64)
        return samples[rng.integers(0, len(samples), size)]
    if spec == "forever":
        return np.full(size, math.inf)
    raise TypeError(f"not a distribution: {spec!r}")


def sample_one(spec: object, rng: np.random.Generator) -> float:
    """Draw one value (seconds)."""
    return float(sample(spec, rng, 1)[0])


def upper_quantile(spec: object, tail: float) -> float:
    """The value (seconds) that a draw of ``spec`` exceeds with probability ``tail``
    (at most; the largest value of a bounded distribution)."""
    if isinstance(spec, Constant):
        return float(spec.value)
    if isinstance(spec, Exponential):
        return spec.mean * math.log(1.0 / tail)
    if isinstance(spec, Lognormal):
        return math.exp(spec.mu + spec.sigma * NormalDist().inv_cdf(1.0 - tail))
    if isinstance(spec, Uniform):
        return float(spec.high)
    if isinstance(spec, Empirical):
        return float(max(spec.samples))
    if spec == "forever":
        return math.inf
    raise TypeError(f"not a distribution: {spec!r}")
