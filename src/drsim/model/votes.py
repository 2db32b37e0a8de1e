"""Two rules of the control plane's routing: the health checkers' vote, and which DNS
record homes a design's per-operation endpoints add (:mod:`drsim.model.control`)."""

from __future__ import annotations

import math

from drsim.scenario import units
from drsim.scenario.schema import Scenario


def healthy_vote_floor(checkers: int, healthy_fraction: float) -> int:
    """The most healthy checkers that still make an unhealthy verdict: ``⌊h·n⌋``, exactly.

    The endpoint is healthy while *more* than the share ``h`` of its ``n``
    checkers say so, i.e. while more than ``⌊h·n⌋`` do. The product is taken on
    the share as written (``58%`` is 29/50, see
    :func:`~drsim.scenario.units.percent_share`), not on its float: with 50
    checkers at 58 %, ``0.58 * 50`` is 28.999999999999996 and a float vote would
    still call 29 healthy checkers healthy, one checker late.

    Args:
        checkers: The number of checkers ``n``.
        healthy_fraction: The share ``h`` as the scenario holds it.

    Returns:
        ``⌊h·n⌋``: the endpoint is healthy while more checkers than this say so.
    """
    return math.floor(units.percent_share(healthy_fraction) * checkers)


def alternate_record_homes(scenario: Scenario) -> int:
    """Homes of the DNS record kind that ``dns.endpoints`` uses besides ``dns.routing``: the
    regions (a per-home latency record beside a failover one), 1 (a failover record beside
    latency or weighted routing), or 0 (none)."""
    kinds = set(scenario.dns.endpoints.values())
    if scenario.dns.routing == "failover":
        return len(scenario.regions) if "latency" in kinds else 0
    return 1 if "failover" in kinds else 0
