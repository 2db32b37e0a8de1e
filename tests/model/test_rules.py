"""Each outcome rule's one-at-a-time and vectorised forms agree, element by element.

The batch path decides requests with the ``*_many`` forms of :mod:`drsim.model.rules`
and the reference with the scalar forms; batch-vs-reference equivalence catches a
drift between the two, but only as "requests differ". Here each pair meets random
directory states and requests on its own, so a drift names the rule.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from drsim.model.control import DEGRADED, DOWN, UP, Epoch
from drsim.model.directory import NO_HASH, Directory, view
from drsim.model.operations import (
    M2M,
    OK,
    OP_CODE,
    READ_ONLY,
    REFRESH,
    SIGN_IN,
    SIGN_UP,
    STALE_CRED,
)
from drsim.model.rules import Rules, refuse, settle
from drsim.model.streams import Streams

from .conftest import build_scenario

N_USERS = 400
N_REQUESTS = 3000
REGIONS = [{"name": "r1", "role": "primary"}, {"name": "r2", "role": "secondary"},
           {"name": "r3", "role": "secondary"}]


def _rules(seed: int, limits: dict, cross_region_tokens: bool) -> Rules:
    """Rules over a directory whose every column holds random state."""
    scenario = build_scenario(
        regions=REGIONS, users={"population": N_USERS,
                                "mfa": {"none": "40%", "sms": "20%", "email": "10%",
                                        "totp": "30%"}},
        secondary_limits=limits,
        sessions={"cross_region_tokens": cross_region_tokens, "issuer_pinning": "30%",
                  "refresh_token": "1h"},
        deep={"run": {"seed": seed}})
    d = Directory(scenario, Streams(seed, 0), N_USERS)
    rng = np.random.default_rng(seed)
    for r in range(len(REGIONS)):
        view(d.exists[r])[:] = rng.random(N_USERS) < 0.8
        view(d.cred[r])[:] = rng.integers(NO_HASH, 3, N_USERS)
        view(d.profile[r])[:] = rng.integers(0, 3, N_USERS)
        view(d.revoked_at[r])[:] = np.where(rng.random(N_USERS) < 0.5, -np.inf,
                                            rng.uniform(0, 100, N_USERS))
        view(d.disabled[r])[:] = rng.random(N_USERS) < 0.2
    view(d.newest_cred)[:] = rng.integers(0, 3, N_USERS)
    view(d.newest_profile)[:] = rng.integers(0, 3, N_USERS)
    view(d.fed_seen)[:] = rng.random(N_USERS) < 0.5
    view(d.session_region)[:] = rng.integers(0, len(REGIONS), N_USERS)
    view(d.session_issued)[:] = rng.uniform(-3700, 100, N_USERS)  # some expire in 0-200 s
    # Some users never wrote: every replica holds them in the start state. They may be
    # marked varied or not; the others must be (the vectorised rules read the replicas
    # of varied users only).
    start = rng.random(N_USERS) < 0.4
    for r in range(len(REGIONS)):
        for column, value in ((d.exists, 1), (d.disabled, 0), (d.cred, 0), (d.profile, 0),
                              (d.revoked_at, -np.inf)):
            view(column[r])[start] = value
    view(d.newest_cred)[start] = 0
    view(d.newest_profile)[start] = 0
    view(d.varied)[:] = ~start | (rng.random(N_USERS) < 0.3)
    # A fifth of the others signed out: no session (a sign-out is a write: they are marked).
    view(d.session_issued)[~start & (rng.random(N_USERS) < 0.2)] = -np.inf
    return Rules(scenario, d)


def _epoch(rng: np.random.Generator) -> Epoch:
    n = len(REGIONS)
    return Epoch(
        start_s=0.0,
        status=tuple(int(s) for s in rng.choice([UP, DOWN, DEGRADED], n)),
        error_rate=tuple(float(e) for e in rng.uniform(0, 1, n)),
        added_latency_s=(0.0,) * n,
        kms_down=tuple(bool(k) for k in rng.random(n) < 0.3),
        writable=tuple(bool(w) for w in rng.random(n) < 0.5),
        in_sync=(True,) * n,
        links_up=((True,) * n,) * n,
        idp_down=bool(rng.random() < 0.3),
        dns_down=False,
        serve_stale=0.0,
        stall=False,
    )


SETTINGS = {  # seed, secondary_limits, sessions.cross_region_tokens
    "defaults": (1, {}, False),
    "other-limits": (2, {"totp_mfa": True, "sms_email_mfa": False,
                         "federated_needs_primary_sign_in": False}, True),
    "no-mfa": (3, {"totp_mfa": False, "sms_email_mfa": False}, False),
}


@pytest.fixture(params=list(SETTINGS.values()), ids=list(SETTINGS))
def case(request):
    seed, limits, cross = request.param
    rules = _rules(seed, limits, cross)
    rng = np.random.default_rng(seed + 100)
    region = rng.integers(0, len(REGIONS), N_REQUESTS)
    user = rng.integers(0, N_USERS, N_REQUESTS)
    t = rng.uniform(0, 200, N_REQUESTS)
    return rules, rng, region, user, t


def _pairs(region, user, t=None):
    if t is None:
        return zip(region.tolist(), user.tolist(), strict=True)
    return zip(region.tolist(), user.tolist(), t.tolist(), strict=True)


def test_endpoint(case):
    rules, rng, region, _, _ = case
    seen = set()
    for _ in range(20):
        epoch = _epoch(rng)
        region_or_none = np.where(rng.random(N_REQUESTS) < 0.1, -1, region)
        op = rng.choice([SIGN_IN, M2M, REFRESH], N_REQUESTS)
        u = rng.random(N_REQUESTS)
        expected = [rules.endpoint(epoch, r, o, x)
                    for r, o, x in zip(region_or_none.tolist(), op.tolist(), u.tolist(),
                                       strict=True)]
        assert rules.endpoint_many(epoch, region_or_none, op, u).tolist() == expected
        seen.update(expected)
    assert len(seen) == 5  # DNS, down, error, KMS and OK all occur


def test_write(case):
    rules, rng, region, _, _ = case
    epoch = _epoch(rng)
    assert rules.write_many(epoch, region).tolist() == [rules.write(epoch, r)
                                                        for r in region.tolist()]


def test_sign_up_is_the_endpoint_then_the_write(case):
    """A sign-up as the reference decides it (``DataPlane._serve``, no quota): the
    endpoint's refusal, else the write's, else OK — what a batch predicts for newcomers."""
    rules, rng, region, _, _ = case
    seen = set()
    for _ in range(20):
        epoch = _epoch(rng)
        region_or_none = np.where(rng.random(N_REQUESTS) < 0.1, -1, region)
        u = rng.random(N_REQUESTS)
        expected = [rules.endpoint(epoch, r, SIGN_UP, x) or rules.write(epoch, r)
                    for r, x in zip(region_or_none.tolist(), u.tolist(), strict=True)]
        assert rules.sign_up_many(epoch, region_or_none, u).tolist() == expected
        seen.update(expected)
    assert {OK, READ_ONLY} <= seen and len(seen) >= 5


@pytest.mark.parametrize("name", ["missing", "disabled", "pinned_elsewhere", "ends_session"])
def test_user_state(case, name):
    rules, _, region, user, _ = case
    expected = [getattr(rules, name)(r, u) for r, u in _pairs(region, user)]
    assert getattr(rules, f"{name}_many")(region, user).tolist() == expected
    assert 0 < sum(expected) < len(expected)


@pytest.mark.parametrize("name", ["credential", "second_factor", "refresh"])
def test_outcome_rules(case, name):
    rules, _, region, user, _ = case
    expected = [getattr(rules, name)(r, u) for r, u in _pairs(region, user)]
    assert getattr(rules, f"{name}_many")(region, user).tolist() == expected
    assert len(set(expected)) > 1


def test_superseded_is_what_the_credential_rule_calls_stale(case):
    rules, _, region, user, _ = case
    d = rules.directory
    hashed = np.array([d.cred[r][u] != NO_HASH for r, u in _pairs(region, user)])
    stale = rules.credential_many(region, user) == STALE_CRED
    assert stale.any()
    assert (rules.superseded_many(region, user) & hashed).tolist() == stale.tolist()


def test_federated(case):
    rules, rng, region, user, _ = case
    for _ in range(4):
        epoch = _epoch(rng)
        expected = [rules.federated(epoch, r, u) for r, u in _pairs(region, user)]
        assert rules.federated_many(epoch, region, user).tolist() == expected


def test_misconfigured_and_federated_in_a_misconfigured_epoch(case):
    """A corruption fault's bad configuration: the region refuses sign-ins, before any
    other federated check."""
    rules, rng, region, user, _ = case
    for _ in range(4):
        flags = tuple(bool(f) for f in rng.random(len(REGIONS)) < 0.5)
        epoch = replace(_epoch(rng), misconfigured=flags)
        expected = [rules.misconfigured(epoch, r) for r in region.tolist()]
        assert rules.misconfigured_many(epoch, region).tolist() == expected
        expected = [rules.federated(epoch, r, u) for r, u in _pairs(region, user)]
        assert rules.federated_many(epoch, region, user).tolist() == expected
    assert not rules.misconfigured_many(_epoch(rng), region).any()  # no corruption: ()


def test_sessions(case):
    rules, rng, _, user, t = case
    op = rng.choice([SIGN_IN, REFRESH, OP_CODE["profile_read"]], N_REQUESTS).astype(np.int8)
    expected = [rules.has_session(x, u) for u, x in zip(user.tolist(), t.tolist(), strict=True)]
    assert rules.has_session_many(t, user).tolist() == expected
    held = np.array(expected)
    live = np.isfinite(view(rules.directory.session_issued)[user])
    assert held.any() and (live & ~held).any()  # some live sessions have expired
    assert rules.served_as_many(op, t, user).tolist() == [
        rules.served_as(o, x, u)
        for o, x, u in zip(op.tolist(), t.tolist(), user.tolist(), strict=True)]


def test_stale_versions(case):
    rules, _, region, user, _ = case
    stale, version = rules.stale_versions_many(region, user)
    expected = [rules.stale_version(r, u) for r, u in _pairs(region, user)]
    assert stale.tolist() == [v is not None for v in expected]
    assert version[stale].tolist() == [v for v in expected if v is not None]


def test_first_refusal_wins():
    """``refuse`` and ``settle`` keep an earlier refusal: checks keep their order."""
    out = np.array([OK, 7, OK, OK])
    refuse(out, np.array([True, True, False, True]), 3)
    assert out.tolist() == [3, 7, OK, 3]
    settle(out, np.array([5, 5, 5, OK]))
    assert out.tolist() == [3, 7, 5, 3]
