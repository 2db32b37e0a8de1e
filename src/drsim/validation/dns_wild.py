"""DNS in the wild (Flavel, Mani, Maltz, IEEE LANMAN 2014): how fast clients follow a DNS change.

Flavel et al. changed DNS answers for Bing traffic with a 20 s TTL and
measured who followed: 90 % of requests followed the change within 60 s, yet
about 2 % of users still used the old answer after 15 minutes. drsim's
shipped client mix ``internet`` (``drsim.scenario.presets``) is calibrated to
reproduce that, from the behaviours the literature documents:

- resolvers that honour the TTL (the remainder, an assumption);
- browsers whose built-in resolver holds answers at least 60 s (Chromium);
- JVM back ends caching successful lookups 30 s whatever the TTL (Java's
  ``networkaddress.cache.ttl``);
- resolvers that extend TTLs arbitrarily: 8.74 % of measurable open resolvers
  (Bhowmick et al., PAM 2023), by a lognormal extra time (median 2 min, p99 1 h:
  an assumption chosen for the calibration);
- clients that never re-resolve during the run (long-lived connections, JVMs
  under a security manager caching forever).

Two cases. *Flavel* compares drsim with the published figures. *The mix's
closed form* checks drsim's client model against the value the mix implies
on paper: a client that re-resolves every P seconds at a uniformly random
phase still holds the old answer s seconds after the change with probability
``max(0, 1 − s/P)``; P is the TTL (honour), ``max(TTL, min)`` (clamp), the
pinned time (pin), TTL + X with X the extra time (extend), ∞ (pinned forever).

Setup: two regions, the ``internet`` mix, TTL 20 s, health check 10 s × 3
with 16 checkers, automatic failover; ``r1`` fails at 60 s for the rest of the
run; sign-ins at 40/s over 200 000 users. Time is measured from each
replication's DNS flip; only first attempts count (retries follow the same
answer and are not arrivals).
"""

from __future__ import annotations

import functools
import math

import numpy as np
from scipy import integrate, stats

from drsim.metrics import compute_metrics
from drsim.model import simulate
from drsim.scenario.presets import client_preset
from drsim.validation.core import (
    Case,
    Check,
    Estimate,
    Outcome,
    absolute,
    at_least,
    case_seed,
    statistical,
)
from drsim.validation.scenarios import scenario

FAMILY = "3. DNS in the wild (Flavel et al., LANMAN 2014)"
SOURCE = "Flavel, Mani, Maltz, IEEE LANMAN 2014 (Bing, TTL 20 s)"
TTL_S = 20.0
FOLLOW_WINDOW = (55.0, 65.0)  # requests made around 60 s after the flip
USER_WINDOW = (900.0, 960.0)  # the first minute after 15 minutes
CURVE = [(15.0, 25.0), (25.0, 35.0), (55.0, 65.0), (115.0, 125.0), (295.0, 305.0),
         (595.0, 605.0), (900.0, 960.0)]


def _design(seed: int):
    return scenario(
        users={"population": 200_000, "mfa": {"none": "100%", "sms": "0%", "email": "0%",
                                              "totp": "0%"}, "federated": "0%"},
        clients=client_preset("internet"),
        replication={"mode": "async"},
        traffic={"sign_in": "40/s"},
        dns={"ttl": "20s"},
        health_check={"interval": "10s", "failure_threshold": 3},
        faults=[{"kind": "region_outage", "region": "r1", "start": "60s",
                 "duration": "forever"}],
        run={"duration": "1100s", "seed": seed},
    )


@functools.lru_cache(maxsize=2)
def _measure(reps: int, seed: int) -> dict[str, list[int] | list[float]]:
    """Counts pooled over replications (cached: cases 3.1 and 3.2 read the same runs).

    ``new[w]`` / ``total[w]``: first attempts in window w reaching ``r2`` / all;
    ``stuck`` / ``active``: users in :data:`USER_WINDOW` with a first attempt on
    ``r1`` / with any first attempt.
    """
    design = _design(seed)
    new = dict.fromkeys(CURVE, 0)
    total = dict.fromkeys(CURVE, 0)
    stuck = active = 0
    flips, moved = [], []
    for rep in range(reps):
        records = simulate(design, rep)
        moved.append(compute_metrics(records, design)["dns_share_moved_60s"])
        flip = float(records.meta["dns_flip_s"])
        req = records.requests
        first = (req["attempt"].to_numpy() == 0) & ~req["attacker"].to_numpy(dtype=bool)
        t = req["time_s"].to_numpy()[first] - flip
        region = req["region"].astype(str).to_numpy()[first]
        users = req["user"].to_numpy()[first]
        flips.append(flip)
        for window in CURVE:
            inside = (t >= window[0]) & (t < window[1])
            new[window] += int(np.count_nonzero(region[inside] == "r2"))
            total[window] += int(np.count_nonzero(inside))
        inside = (t >= USER_WINDOW[0]) & (t < USER_WINDOW[1])
        active += int(np.unique(users[inside]).size)
        stuck += int(np.unique(users[inside & (region == "r1")]).size)
    return {"new": new, "total": total, "stuck": stuck, "active": active, "flips": flips,
            "moved": moved}


def _share(data, window: tuple[float, float]) -> Estimate:
    return Estimate.proportion(data["new"][window], data["total"][window], "requests")


# --------------------------------------------------------------------------- the mix on paper


def _percent(text: str) -> float:
    return float(str(text).rstrip("%")) / 100.0


def _seconds(text: str) -> float:
    text = str(text)
    for unit, factor in (("ms", 0.001), ("s", 1.0), ("m", 60.0), ("h", 3600.0)):
        if text.endswith(unit) and text[: -len(unit)].replace(".", "", 1).isdigit():
            return float(text[: -len(unit)]) * factor
    raise ValueError(f"not a duration: {text}")


def old_answer_probability(s: float, ttl_s: float = TTL_S) -> float:
    """P(a request s seconds after the change still uses the old answer), from the preset."""
    total = 0.0
    for kind in client_preset("internet"):
        share = _percent(kind["share"])
        dns = kind["dns"]
        if dns["behaviour"] == "honour":
            total += share * max(0.0, 1.0 - s / ttl_s)
        elif dns["behaviour"] == "clamp":
            total += share * max(0.0, 1.0 - s / max(ttl_s, _seconds(dns["min_ttl"])))
        elif dns["behaviour"] == "pin" and dns["keep_for"] == "forever":
            total += share
        elif dns["behaviour"] == "pin":
            assert dns["keep_for"]["distribution"] == "constant"
            total += share * max(0.0, 1.0 - s / _seconds(dns["keep_for"]["value"]))
        elif dns["behaviour"] == "extend":
            extra = dns["extra"]
            assert extra["distribution"] == "lognormal"
            median, p99 = _seconds(extra["median"]), _seconds(extra["p99"])
            sigma = (math.log(p99) - math.log(median)) / float(stats.norm.ppf(0.99))
            # E[max(0, 1 − s/(TTL + X))] with ln X ~ N(ln median, σ²): a dense grid over
            # the normal variable (the integrand has a kink, so no Gauss–Hermite).
            z = np.linspace(-9.0, 9.0, 36_001)
            x = median * np.exp(sigma * z)
            value = float(integrate.trapezoid(
                stats.norm.pdf(z) * np.maximum(0.0, 1.0 - s / (ttl_s + x)), z))
            total += share * value
        else:  # pragma: no cover - the preset has no other behaviour
            raise ValueError(f"unexpected client behaviour {dns}")
    return total


def window_share_new(window: tuple[float, float]) -> float:
    """Expected share of requests in ``window`` (seconds after the change) on the new answer."""
    grid = np.linspace(window[0], window[1], 41)
    return 1.0 - float(np.mean([old_answer_probability(s) for s in grid]))


def _mix_text() -> str:
    parts = []
    for kind in client_preset("internet"):
        dns = kind["dns"]
        detail = {k: v for k, v in dns.items() if k != "behaviour"}
        parts.append(f"`{kind['name']}` {kind['share']} ({dns['behaviour']}"
                     + (f" {detail}" if detail else "") + ")")
    return "; ".join(parts)


# --------------------------------------------------------------------------- cases


def _reps(quick: bool) -> int:
    return 4 if quick else 40


def run_flavel(quick: bool) -> Outcome:
    reps = _reps(quick)
    data = _measure(reps, case_seed("dns-wild"))
    checks = [
        Check("requests on the new answer 60 s after the change", 0.90,
              _share(data, FOLLOW_WINDOW),
              at_least(reason="Flavel et al.: 90 % of requests followed the change within "
                              "60 s — a lower bound; passes unless drsim is significantly "
                              "below it"),
              unit="%", expected_text="≥ 90 %"),
        Check("users still on the old answer after 15 min", 0.02,
              Estimate.proportion(data["stuck"], data["active"], "users"),
              absolute(0.005, "Flavel et al. give ≈ 2 %: a figure of one significant digit, "
                              "read as 2 ± 0.5 percentage points"),
              unit="%", expected_text="≈ 2 %"),
    ]
    setup = (
        f"The shipped `internet` mix: {_mix_text()}. TTL {TTL_S:g} s, {reps} replications "
        f"(DNS flips {min(data['flips']):.1f}–{max(data['flips']):.1f} s). 'Within 60 s' is "
        f"measured as the share of first attempts made {FOLLOW_WINDOW[0]:g}–"
        f"{FOLLOW_WINDOW[1]:g} s after the flip that reach the new region `r2`; 'users after "
        f"15 min' as the share of users active {USER_WINDOW[0]:g}–{USER_WINDOW[1]:g} s after "
        "the flip with a first attempt still reaching the old region `r1`. Requests (and "
        "users) are independent trials — different users, each with its own client kind and "
        "cache phase — so the intervals are binomial, pooled over replications."
    )
    curve = ", ".join(
        f"{(w[0] + w[1]) / 2:g} s: {data['new'][w] / data['total'][w]:.2%}" for w in CURVE)
    notes = [f"drsim's share of first attempts on the new region by time after the flip: "
             f"{curve}. drsim's own run metric `dns_share_moved_60s` (all legitimate attempts, "
             f"retries included, in [flip + 60 s, flip + 70 s)) averages "
             f"{np.mean(data['moved']):.2%}. It reads lower because every request that hits "
             "the dead region is retried (up to twice, after 1 s and 2 s ± 50 %) on the same "
             "stale answer, and those retries are attempts of their own; in Flavel et al.'s "
             "experiment the old servers stayed up, so nothing was retried — first attempts "
             "are the comparable quantity."]
    return Outcome(checks, setup, notes)


def run_mix_theory(quick: bool) -> Outcome:
    reps = _reps(quick)
    data = _measure(reps, case_seed("dns-wild"))
    checks = []
    for window in (FOLLOW_WINDOW, USER_WINDOW):
        expected = window_share_new(window)
        checks.append(Check(f"requests on the new answer {window[0]:g}–{window[1]:g} s after",
                            expected, _share(data, window),
                            statistical(), unit="%"))
    lines = ", ".join(f"{(w[0] + w[1]) / 2:g} s: {window_share_new(w):.2%}" for w in CURVE)
    setup = (
        "Same runs as 3.1 (same seeds). Expected share on the new answer, from the preset's "
        "behaviours and shares alone (window-averaged, the extend behaviour's extra time "
        f"integrated numerically): {lines}."
    )
    return Outcome(checks, setup)


CASES = [
    Case("3.1", "dns-wild-flavel", FAMILY, "Clients following a DNS change (internet mix)",
         SOURCE, run_flavel),
    Case("3.2", "dns-wild-mix-theory", FAMILY, "The internet mix's closed form",
         "Uniform cache phase: P(old after s) = max(0, 1 − s/P)", run_mix_theory),
]
