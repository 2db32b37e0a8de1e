"""The 'internet' client mix reproduces the published DNS-change measurements.

Flavel et al. (IEEE LANMAN 2014): with a 20 s TTL, ≥ 90 % of requests followed a
DNS change within 60 s, yet ~2 % of users still used the old answer after 15 min.

Each client keeps an answer for a holding time H (honour: TTL; clamp: max(TTL,
min); pin: the pinned time; extend: TTL + extra; forever: ∞). With busy
resolvers the change falls at a uniform phase of the cached answer's life, so
the share still on the old answer t seconds after the change is
E[max(0, 1 − t/H)] — computed here by quadrature, without simulation.
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pytest

from drsim.scenario import parse_scenario
from drsim.scenario.presets import CLIENT_PRESETS
from drsim.scenario.schema import ClampTtl, Constant, ExtendTtl, HonourTtl, Lognormal, PinAnswer

_QUANTILES = np.array(
    [NormalDist().inv_cdf(q) for q in np.linspace(0.5 / 4000, 1 - 0.5 / 4000, 4000)]
)


def _still_old(scenario, t: float) -> float:
    ttl = scenario.dns.ttl
    total = 0.0
    for client in scenario.clients:
        dns = client.dns
        if isinstance(dns, HonourTtl):
            held = np.array([ttl])
        elif isinstance(dns, ClampTtl):
            held = np.array([max(ttl, dns.min_ttl)])
        elif isinstance(dns, PinAnswer) and dns.keep_for == "forever":
            held = np.array([math.inf])
        elif isinstance(dns, PinAnswer) and isinstance(dns.keep_for, Constant):
            held = np.array([dns.keep_for.value])
        elif isinstance(dns, ExtendTtl) and isinstance(dns.extra, Lognormal):
            held = ttl + np.exp(dns.extra.mu + dns.extra.sigma * _QUANTILES)
        else:
            raise AssertionError(f"calibration test does not know {dns!r}")
        total += client.share * float(np.mean(np.clip(1 - t / held, 0, 1)))
    return total


def test_internet_mix_matches_flavel_2014() -> None:
    s = parse_scenario("name: x\nclients: internet\ndns: {ttl: 20s}\n")
    followed_within_60s = 1 - _still_old(s, 60.0)
    old_after_15min = _still_old(s, 900.0)
    assert followed_within_60s >= 0.90
    assert old_after_15min == pytest.approx(0.02, abs=0.005)


def test_internet_mix_includes_the_measured_ttl_extenders() -> None:
    s = parse_scenario("name: x\nclients: internet\n")
    shares = {c.name: c.share for c in s.clients}
    assert shares["ttl-extending-resolver"] == 0.0874  # Bhowmick et al., PAM 2023
    assert sum(shares.values()) == pytest.approx(1.0, abs=1e-12)


def test_honour_mix_moves_everyone_within_one_ttl() -> None:
    s = parse_scenario("name: x\nclients: honour\ndns: {ttl: 20s}\n")
    assert _still_old(s, 20.0) == 0.0
    assert _still_old(s, 10.0) == pytest.approx(0.5)


@pytest.mark.parametrize("name", sorted(CLIENT_PRESETS))
def test_every_client_preset_is_a_valid_population(name: str) -> None:
    s = parse_scenario(f"name: x\nclients: {name}\n")
    assert len(s.clients) == len(CLIENT_PRESETS[name])
