"""Known answers of the relying parties (issue #18), reproduced through the scenario language.

Each scenario below is what a YAML file would say; the model runs it and the
relying-party pass (:mod:`drsim.model.relying`) reads its records:

1. a key rotation that retires the old key at once, with every relying party
   fetching the key set every C from a uniform phase: each one rejects the new key
   for a time uniform on [0, C] (mean C/2, Kolmogorov–Smirnov); with sign-ins at
   rate r issuing the new key's tokens and calls at λ per token holder, the rejected
   calls are λ · r · E[U²]/2 = λ r C²/6 (a token issued x after the rotation is
   used x later than it; ∫₀ᵁ r x dx = r U²/2);
2. refresh_on_unknown_key: no rejection at all; a second rotation within
   refetch_interval of the first is rejected until the rate limit allows a fetch
   (≤ refetch_interval − the gap) or the TTL fetch comes;
3. a region's clock ahead by Δ: nothing rejected for Δ ≤ leeway; beyond it, each
   token it issued is rejected for its first Δ − leeway (λ · tokens · (Δ − leeway)
   calls); behind by Δ, for the last Δ − leeway of its life;
4. an issuer not accepted: every call with the secondary's tokens is rejected;
5. a key missing from the key set for W = 2 C: every relying party rejects it for
   exactly W (from its first fetch in the window to its first after); forever: never.

Counts are Poisson: tolerances are 4 standard errors (deterministic seeds).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from drsim.metrics.compute import compute_metrics
from drsim.model import simulate
from drsim.model.relying import relying_party_outcome

from .conftest import build_scenario

Z = 4.0
SIGN_INS_ONLY = {"sign_in": "10/s"}
PASSWORD_USERS = {"population": 1_000_000,
                  "mfa": {"none": "100%", "sms": "0%", "email": "0%", "totp": "0%"},
                  "federated": "0%"}


def _relying(**extra):
    return {"count": 2000, "calls": "1/min", "jwks_caches": [{"share": "100%", "ttl": "10m"}],
            **extra}


def _run(faults, relying, traffic=SIGN_INS_ONLY, duration="30m", **sections):
    scenario = build_scenario(users=PASSWORD_USERS, traffic=traffic, relying_parties=relying,
                              faults=faults, run={"duration": duration, "seed": 3}, **sections)
    records = simulate(scenario, 0)
    return scenario, records, relying_party_outcome(scenario, records.requests, 0)


ROTATE_AT_ONCE = [{"kind": "signing_key_rotated", "start": "5m", "duration": "1s"}]


def test_rotation_rejects_each_relying_party_uniformly_on_zero_to_the_ttl():
    _, _, outcome = _run(ROTATE_AT_ONCE, _relying())
    c = 600.0
    times = outcome.rejecting_s
    assert times.min() >= 0 and times.max() <= c
    assert abs(times.mean() - c / 2) < Z * c / math.sqrt(12 * len(times))
    assert stats.kstest(times / c, "uniform").pvalue > 1e-3


def test_rotation_rejects_lambda_r_c_squared_over_six_calls():
    scenario, records, outcome = _run(ROTATE_AT_ONCE, _relying())
    lam, r, c = 1 / 60, 10.0, 600.0
    expected = lam * r * c**2 / 6  # 10 000
    got = outcome.rejections["unknown_key"]
    # Poisson noise, the sign-ins' own, and the mean of U²/2 over 2000 relying parties
    # (relative sd 0.89/√2000 = 2 %).
    sd = math.sqrt(expected + (expected * 0.9 / math.sqrt(2000)) ** 2 + expected**2 / (r * c))
    assert abs(got - expected) < Z * sd, (got, expected)
    assert outcome.rejections["issuer"] == outcome.rejections["clock_skew"] == 0
    metrics = compute_metrics(records, scenario)
    assert metrics["relying_party_rejections"] == got
    assert metrics["relying_party_rejection_s"] == outcome.rejecting_s.mean()


def test_refresh_on_unknown_key_rejects_nothing_after_a_rotation():
    _, _, outcome = _run(ROTATE_AT_ONCE, _relying(refresh_on_unknown_key=True))
    assert outcome.rejecting_s.max() == 0
    assert outcome.rejections["unknown_key"] == 0


def test_refresh_on_unknown_key_is_bounded_by_the_refetch_rate_limit():
    """Two rotations 60 s apart, refetch_interval 5 min, TTL 1 h: the first unknown key
    is fetched at once, the second waits for the rate limit: rejected for 240 s."""
    faults = [*ROTATE_AT_ONCE,
              {"kind": "signing_key_rotated", "start": "6m", "duration": "1s"}]
    relying = _relying(refresh_on_unknown_key=True, refetch_interval="5m",
                       jwks_caches=[{"share": "100%", "ttl": "1h"}])
    _, _, outcome = _run(faults, relying)
    # A relying party whose TTL fetch falls in [6 min, 10 min) stops rejecting sooner.
    assert outcome.rejecting_s.max() <= 240.0 + 1e-9
    share_full = np.mean(np.isclose(outcome.rejecting_s, 240.0))
    assert abs(share_full - (1 - 240 / 3600)) < Z * math.sqrt(0.07 * 0.93 / 2000)


def _skew(offset, direction="ahead"):
    return [{"kind": "clock_skew", "region": "r1", "start": "0s", "duration": "20m",
             "offset": offset, "direction": direction}]


def _tokens_in_skew(records):
    req = records.requests
    ok = (req["op"] == "sign_in") & (req["outcome"] == "ok") & (req["time_s"] < 1200)
    return int(ok.sum())


def test_clock_skew_within_the_leeway_rejects_nothing():
    _, _, outcome = _run(_skew("4m"), _relying(leeway="5m"), duration="90m")
    assert outcome.rejections["clock_skew"] == 0


def test_clock_skew_beyond_the_leeway_rejects_the_first_minutes_of_each_token():
    _, records, outcome = _run(_skew("15m"), _relying(leeway="5m"), duration="90m")
    expected = (1 / 60) * _tokens_in_skew(records) * 600.0
    got = outcome.rejections["clock_skew"]
    assert abs(got - expected) < Z * math.sqrt(expected), (got, expected)
    assert outcome.rejections["unknown_key"] == 0


def _tokens_living_out(records, life):
    """Tokens issued in the skew window whose user does not sign in again within ``life``
    (a new sign-in replaces the token: 1M users, 10/s, so ≈ 3.6 % are replaced)."""
    req = records.requests
    ok = req[(req["op"] == "sign_in") & (req["outcome"] == "ok")].sort_values(["user", "time_s"])
    t, user = ok["time_s"].to_numpy(), ok["user"].to_numpy()
    nxt = np.where(np.append(user[1:] == user[:-1], False), np.append(t[1:], np.inf), np.inf)
    return int(np.sum((t < 1200) & (nxt >= t + life)))


def test_a_clock_behind_rejects_the_last_minutes_of_each_token():
    """A replaced token is not used in its last minutes: count the tokens that live out
    their hour (the few replaced within its last 10 min are left out: ≤ 0.3 % bias)."""
    _, records, outcome = _run(_skew("15m", "behind"), _relying(leeway="5m"), duration="90m")
    expected = (1 / 60) * _tokens_living_out(records, 3600.0) * 600.0
    got = outcome.rejections["clock_skew"]
    assert abs(got - expected) < Z * math.sqrt(expected), (got, expected)


def test_an_issuer_not_accepted_rejects_every_call_with_the_secondarys_tokens():
    """The primary is down for the whole run and DNS sends everyone to the secondary:
    every token is the secondary's, and no relying party accepts its issuer."""
    faults = [{"kind": "region_outage", "region": "r1", "start": "0s", "duration": "forever"}]
    _, records, outcome = _run(faults, _relying(accept_secondary_issuer="0%"))
    req = records.requests
    ok = req[(req["op"] == "sign_in") & (req["outcome"] == "ok")]
    assert (ok["region"] == "r2").all() and len(ok) > 0
    expected = (1 / 60) * float(np.sum(1800.0 - ok["time_s"].to_numpy()))
    got = outcome.rejections["issuer"]
    assert abs(got - expected) < Z * math.sqrt(expected), (got, expected)
    accepted = _run(faults, _relying())[2]
    assert accepted.rejections["issuer"] == 0


def test_a_removed_key_is_rejected_from_the_first_fetch_in_the_window_to_the_first_after():
    """The key missing for W = 2 C: each relying party fetches at T + U (U uniform on
    [0, C)) and again at T + U + C, both in the window, and next at T + U + 2C, when the
    key is back: exactly W of rejecting, shifted by U. A forever cache never notices."""
    faults = [{"kind": "signing_key_removed", "start": "5m", "duration": "20m"}]
    _, _, outcome = _run(faults, _relying(), duration="40m")
    assert np.allclose(outcome.rejecting_s, 1200.0)
    never = _relying(jwks_caches=[{"share": "100%", "ttl": "forever"}])
    assert _run(faults, never, duration="40m")[2].rejecting_s.max() == 0
