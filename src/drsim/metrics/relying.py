"""Relying parties (issue #18): API calls rejected although the token was valid, and for how long.

Reported only when the scenario has a ``relying_parties`` section, so that other
scenarios keep their metric names. The rejections are computed by
:func:`drsim.model.relying.relying_party_outcome` from the ``requests`` table and the
fault schedule (its own random stream, from the run's seed and replication).

- ``relying_party_rejections``: calls with a valid token rejected, all causes;
  ``relying_party_rejections.<cause>`` by cause (``unknown_key``: the cached key set
  lacks a valid signing key; ``issuer``: the relying party does not accept the issuing
  region's issuer; ``clock_skew``: the issuing region's clock put issued-at or expiry
  beyond the leeway).
- ``relying_party_rejection_s``: per relying party, the time it spends rejecting a valid
  signing key (whatever calls it gets), averaged over relying parties;
  ``relying_party_rejection_max_s`` the longest of them (the incident's tail). Issuer and
  clock-skew rejections depend on the token, not on the time, and are not in them.
- ``relying_party_rejected_share``: rejected calls ÷ expected calls with a live token;
  NaN without a token in the run.
"""

from __future__ import annotations

import math

from drsim.model.relying import CAUSES, relying_party_outcome
from drsim.records import RunRecords
from drsim.scenario.schema import Scenario


def relying_party_metrics(records: RunRecords, scenario: Scenario) -> dict[str, float]:
    """The relying-party metrics of one replication ({} without relying parties)."""
    replication = int((records.meta or {}).get("replication", 0))
    outcome = relying_party_outcome(scenario, records.requests, replication)
    if outcome is None:
        return {}
    total = sum(outcome.rejections.values())
    out: dict[str, float] = {"relying_party_rejections": float(total)}
    for cause in CAUSES:
        out[f"relying_party_rejections.{cause}"] = float(outcome.rejections[cause])
    out["relying_party_rejection_s"] = float(outcome.rejecting_s.mean())
    out["relying_party_rejection_max_s"] = float(outcome.rejecting_s.max())
    out["relying_party_rejected_share"] = (min(total / outcome.calls, 1.0) if outcome.calls > 0
                                           else math.nan)
    return out
