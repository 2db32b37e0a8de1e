"""The health-check vote counts exactly: healthy while MORE than ``h`` of ``n`` checkers pass.

The share is taken as written, not as its float. The only percentage with at
most two decimals where the float product and the exact one disagree for a
legal number of checkers (1–64) is ``58%`` with 50 checkers: ``0.58 * 50`` is
28.999999999999996, so a float vote calls 29 healthy checkers (exactly 58 %,
not more) healthy and the verdict comes one checker late. Found by brute
force (:func:`float_vote_disagreements`).
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from drsim.model.control import healthy_vote_floor, run_control_plane
from drsim.model.streams import Streams
from drsim.scenario.units import parse_percent

from .conftest import build_scenario

MAX_CHECKERS = 64  # the schema's bound on health_check.checkers


def float_vote_disagreements() -> list[tuple[str, int, int]]:
    """``(share, checkers, healthy)`` where ``healthy > h·n`` in float differs from exact.

    Every percentage with two decimals, every legal number of checkers, every count.
    """
    basis_points = np.arange(10_001)
    shares = np.array([parse_percent(f"{bp / 100:.2f}%") for bp in basis_points])
    n = np.arange(1, MAX_CHECKERS + 1)
    products = shares[:, None] * n[None, :]  # IEEE float64, as the float vote computed it
    cases = []
    for k in range(MAX_CHECKERS + 1):
        legal = k <= n[None, :]
        differ = legal & ((k > products) != (k * 10_000 > basis_points[:, None] * n[None, :]))
        for i, j in zip(*np.nonzero(differ), strict=True):
            cases.append((f"{basis_points[i] / 100:.2f}%", int(n[j]), k))
    return cases


def test_the_float_vote_disagrees_only_at_58_percent_of_50():
    assert float_vote_disagreements() == [("58.00%", 50, 29)]


def test_vote_floor_is_the_exact_integer_floor():
    for basis_points in range(10_001):
        share = parse_percent(f"{basis_points / 100:.2f}%")
        for n in (1, 3, 7, 16, 50, MAX_CHECKERS):
            assert healthy_vote_floor(n, share) == basis_points * n // 10_000
    assert healthy_vote_floor(3, parse_percent("66.67%")) == 2


def verdicts(checkers: int, share: str, replication: int) -> list[tuple[str, int]]:
    """``(verdict, healthy checkers)`` for r1 over an outage from 100 s to 400 s."""
    scenario = build_scenario(
        health_check={"interval": "10s", "failure_threshold": 1, "checkers": checkers,
                      "healthy_fraction": share},
        faults=[{"kind": "region_outage", "region": "r1", "start": "100s", "duration": "300s"}],
        run={"duration": "10m", "seed": 3},
    )
    timeline = run_control_plane(scenario, Streams(scenario.run.seed, replication))
    return [(detail, int(value)) for time_s, kind, region, value, detail in timeline.events
            if kind == "health" and region == "r1" and time_s > 0]


@pytest.mark.parametrize(("checkers", "share", "last_healthy"),
                         [(50, "58%", 30), (16, "18%", 3), (10, "70%", 8), (3, "66.67%", 3)])
@pytest.mark.parametrize("replication", [0, 1, 2])
def test_verdict_flips_at_the_exact_checker(checkers, share, last_healthy, replication):
    """Unhealthy as soon as no more than ⌊h·n⌋ pass; healthy again at ⌊h·n⌋ + 1."""
    assert Fraction(last_healthy - 1, checkers) <= Fraction(share[:-1]) / 100
    assert verdicts(checkers, share, replication) == [("unhealthy", last_healthy - 1),
                                                      ("healthy", last_healthy)]
