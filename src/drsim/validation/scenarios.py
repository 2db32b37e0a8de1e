"""Minimal scenarios for validation cases, written as a scenario file would be.

A validation case needs a design in which only the mechanism under test can
act: two regions (``r1`` primary, ``r2`` secondary), no traffic unless the case
sets it, every user without MFA or federation, clients that honour the TTL and
never retry, quotas high enough never to throttle. ``scenario(**sections)``
returns that design with the given top-level sections replaced (``deep``
merges into them instead); values carry units exactly as in YAML.
"""

from __future__ import annotations

import copy
import math
from fractions import Fraction
from typing import Any

from drsim.scenario.schema import OPERATIONS, Scenario, consistency_problems

QUOTA_KEYS = ("sign_in", "sign_up", "federation", "recovery", "user_read", "user_update", "token")
UNLIMITED = {key: "1000000/s" for key in QUOTA_KEYS}
"""Quotas no validation traffic reaches (the quota case sets its own)."""

NO_TRAFFIC = {operation: "0/s" for operation in OPERATIONS}
HONOUR_NO_RETRY = [
    {"name": "app", "share": "100%", "dns": {"behaviour": "honour"}, "retry": {"attempts": 1}}
]
PASSWORD_ONLY_USERS = {
    "mfa": {"none": "100%", "sms": "0%", "email": "0%", "totp": "0%"},
    "federated": "0%",
}


def merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """Deep merge: mappings key by key, everything else replaced."""
    out = copy.deepcopy(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def scenario_dict(**sections: Any) -> dict[str, Any]:
    """The validation base scenario as a plain dict, with sections replaced or merged."""
    deep = sections.pop("deep", {})
    base: dict[str, Any] = {
        "name": "validation",
        "regions": [
            {"name": "r1", "role": "primary", "quotas": dict(UNLIMITED)},
            {"name": "r2", "role": "secondary", "quotas": dict(UNLIMITED)},
        ],
        "users": {"population": 1000, **PASSWORD_ONLY_USERS},
        "clients": copy.deepcopy(HONOUR_NO_RETRY),
        "traffic": dict(NO_TRAFFIC),
        "run": {"duration": "10m", "seed": 1, "replications": 1},
    }
    base.update(copy.deepcopy(sections))
    base["traffic"] = {**NO_TRAFFIC, **base["traffic"]}
    return merge(base, deep)


def build(data: dict[str, Any]) -> Scenario:
    """Validate a scenario dict (schema and cross-field consistency).

    Raises:
        ValueError: the dict is not a consistent scenario (a bug in the case).
    """
    scenario = Scenario.model_validate(data)
    problems = consistency_problems(scenario)
    if problems:
        raise ValueError(f"inconsistent validation scenario: {problems}")
    return scenario


def scenario(**sections: Any) -> Scenario:
    """:func:`scenario_dict` validated into a :class:`Scenario`."""
    return build(scenario_dict(**sections))


def seconds(value: float) -> str:
    """A duration in seconds written for the scenario language (exact round trip)."""
    return f"{float(value)!r}s"


def unhealthy_at_most(checkers: int, share: str) -> int:
    """⌊h·n⌋ in exact arithmetic on the percentage as written (``"58%"`` → 29/50).

    The endpoint is healthy while more than the share ``h`` of its ``n``
    checkers say so, so the unhealthy verdict holds while at most ``⌊h·n⌋`` do.
    Computed from the text, independently of the model's own arithmetic: a
    float product (``0.58 * 50 = 28.999999999999996``) is one checker off at
    exact boundaries.

    Args:
        checkers: ``n``.
        share: ``h`` written as a percentage, e.g. ``"18%"``.
    """
    return math.floor(Fraction(share.strip().rstrip("%")) / 100 * checkers)


def deciding_checker(checkers: int, share: str) -> int:
    """``m = n − ⌊h·n⌋``: the checker whose flip turns the verdict unhealthy (exactly)."""
    return checkers - unhealthy_at_most(checkers, share)
