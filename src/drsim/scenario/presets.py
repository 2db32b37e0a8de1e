"""Ready-made client populations: how the clients of an identity service treat DNS.

A DNS failover is only as fast as the slowest cache between the record and the
client. ``clients: honour`` is the textbook world (every resolver re-queries
when the TTL expires); ``clients: internet`` is the world a DR review should
assume, a mix calibrated on published measurements (DOMAIN.md §5):

* Flavel, Mani, Maltz, "Re-evaluating the responsiveness of DNS-based network
  control", IEEE LANMAN 2014 (Bing traffic): with a 20 s TTL, 90 % of requests
  followed a DNS change within 60 s, yet 2 % of users still used the old answer
  after 15 minutes.
* Bhowmick et al., "TTL violation of DNS resolvers in the wild", PAM 2023:
  8.74 % of measurable open resolvers extend TTLs arbitrarily.
* Java (``networkaddress.cache.ttl``): successful lookups cached 30 s by
  default, forever under a security manager.
* Chromium's built-in resolver holds answers at least 60 s.

With these shares and a 20 s TTL, the mix gives ≈ 94 % of clients on the new
answer within 60 s and ≈ 2.1 % still on the old one after 15 minutes
(checked by ``tests/scenario/test_presets.py``).

Lockout presets (Cognito, Keycloak, Microsoft) live beside the lockout section
in :data:`drsim.scenario.schema.LOCKOUT_PRESETS`.
"""

from __future__ import annotations

import copy
from typing import Any

CLIENT_PRESETS: dict[str, tuple[dict[str, Any], ...]] = {
    # Every client's resolver honours the TTL: the best case, and the model
    # behind the textbook estimate "failed sign-ins ≈ rate × (D + TTL/2)".
    "honour": ({"name": "all", "share": "100%", "dns": {"behaviour": "honour"}},),
    "internet": (
        # The remainder honour the TTL [assumption: whatever is not measured to misbehave].
        {"name": "honour", "share": "49.46%", "dns": {"behaviour": "honour"}},
        # Browsers with Chromium's internal resolver hold answers ≥ 60 s [doc: Chromium];
        # share of browser traffic behind it [assumption].
        {
            "name": "browser-clamp-60s",
            "share": "30%",
            "dns": {"behaviour": "clamp", "min_ttl": "60s"},
        },
        # JVM back ends: successful lookups cached 30 s whatever the TTL [doc: Java
        # networkaddress.cache.ttl]; share [assumption].
        {
            "name": "jvm-30s",
            "share": "10%",
            "dns": {"behaviour": "pin", "keep_for": {"distribution": "constant", "value": "30s"}},
        },
        # Resolvers that extend TTLs arbitrarily: 8.74 % [report: Bhowmick et al., PAM 2023].
        # By how much is not published: lognormal, median 2m, p99 1h [assumption, chosen so
        # that the mix reproduces Flavel et al. 2014 — see the module docstring].
        {
            "name": "ttl-extending-resolver",
            "share": "8.74%",
            "dns": {
                "behaviour": "extend",
                "extra": {"distribution": "lognormal", "median": "2m", "p99": "1h"},
            },
        },
        # Clients that never re-resolve while the run lasts: long-lived connections, JVMs
        # under a security manager (cache forever) [doc: Java]. 1.8 % so that, with the
        # extending resolvers' tail, ≈ 2 % of users are on the old answer after 15 minutes
        # [report: Flavel et al., IEEE LANMAN 2014].
        {
            "name": "pinned-forever",
            "share": "1.8%",
            "dns": {"behaviour": "pin", "keep_for": "forever"},
        },
    ),
}
"""Client-mix presets: ``clients: <name>`` in a scenario expands to this list."""


def client_preset(name: str) -> list[dict[str, Any]]:
    """A fresh copy of the client kinds of preset ``name`` (raises KeyError if unknown)."""
    return copy.deepcopy(list(CLIENT_PRESETS[name]))
