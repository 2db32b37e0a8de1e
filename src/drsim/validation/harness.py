"""Read-after-write through a real DNS flip: a user writes in the primary, reads the replica Δ later.

In drsim every request of a user follows the user's cached DNS answer, so a
read reaches the replica only when the answer has changed since the write.
This harness makes that happen with the model's own mechanisms and nothing
else:

- ``r1`` (primary) gets a *gray failure* that fails every health probe and no
  request (error rate 0 %): the health check (one checker, threshold 1) flips
  the failover record to ``r2`` at an instant ``F`` — read from the run's
  records — while ``r1`` keeps serving and keeps shipping replication records;
- automatic failover with an automation delay far beyond the run: ``r2`` is
  never promoted, so no in-flight write is cut off;
- every client honours a 1 ms TTL (the model's shortest caching period).

A user's profile update at ``w < F`` therefore reaches ``r1``, and the user's
read at ``w + Δ ≥ F + 1 ms`` reaches ``r2``: it is stale exactly when the
replication lag of that write exceeds Δ. Write instants are drawn uniformly
in ``[F + 1 ms − Δ, F)``, so Δ must exceed 1 ms. The script is built after a
first run of the same replication without requests has given ``F`` (the
control plane does not depend on traffic). Every write and read is checked to
have reached the intended region and to have succeeded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from drsim.metrics.staleness import stale_read_metrics
from drsim.model import simulate
from drsim.validation.scenarios import scenario, seconds

TTL_S = 0.001  # the client's caching period: the model's floor
MARGIN_S = 1e-6  # keeps writes strictly before the flip and reads strictly after the refresh


class HarnessError(RuntimeError):
    """The harness did not produce the intended request routing (a model or case bug)."""


@dataclass
class ReadAfterWrite:
    """Stale reads per delay, pooled over replications."""

    delays_s: list[float]
    stale: list[int]
    reads: list[int]
    flips_s: list[float]
    age_error_s: list[float]  # largest |staleness age − Δ| among stale reads (0 if none)

    def fraction(self, index: int) -> float:
        return self.stale[index] / self.reads[index]


def read_after_write(lag: dict[str, Any], delays_s: Sequence[float], pairs: int,
                     replications: int, seed: int) -> ReadAfterWrite:
    """Run ``pairs`` write-then-read users per delay in each replication.

    Args:
        lag: The replication lag distribution, as in a scenario file.
        delays_s: Read delays Δ after the write (seconds, each > 1 ms).
        pairs: Users (write + read) per delay and replication.
        replications: Replications (seeds 0..n−1 of the scenario's root seed).
        seed: Root seed of the scenario and of the write instants.

    Returns:
        Stale-read counts and successful reads per delay (drsim's stale-read
        metric on each delay's users), and the DNS flip instant of each replication.
    """
    delays = [float(d) for d in delays_s]
    if min(delays) <= TTL_S + 2 * MARGIN_S:
        raise ValueError(f"read delays must exceed {TTL_S * 1000:g} ms, got {min(delays)} s")
    fault_s = max(delays) + 5.0
    design = scenario(
        users={"population": pairs * len(delays), "mfa": {"none": "100%", "sms": "0%",
                                                          "email": "0%", "totp": "0%"},
               "federated": "0%"},
        replication={"mode": "async", "lag": lag},
        dns={"ttl": seconds(TTL_S)},
        health_check={"interval": "1s", "failure_threshold": 1, "checkers": 1},
        failover={"mode": "automatic", "automation_delay": "1000h"},
        faults=[{"kind": "gray_failure", "region": "r1", "start": seconds(fault_s),
                 "duration": "forever", "error_rate": "0%", "probe_error_rate": "100%"}],
        run={"duration": seconds(fault_s + 1.0 + max(delays) + 5.0), "seed": seed},
    )
    stale = [0] * len(delays)
    reads = [0] * len(delays)
    age_error = [0.0] * len(delays)
    flips = []
    for rep in range(replications):
        flip = simulate(design, rep, script=[]).meta["dns_flip_s"]
        if flip is None:
            raise HarnessError("the health check never flipped the DNS record")
        flips.append(flip)
        rng = np.random.default_rng([seed, rep, 17])
        script: list[tuple[float, str, int]] = []
        for i, delay in enumerate(delays):
            writes = rng.uniform(flip + TTL_S + MARGIN_S - delay, flip - MARGIN_S, pairs)
            for k, w in enumerate(writes.tolist()):
                user = i * pairs + k
                script.append((w, "profile_update", user))
                script.append((w + delay, "profile_read", user))
        records = simulate(design, rep, script=script)
        requests = records.requests
        _check_routing(requests)
        users = requests["user"].to_numpy()
        for i in range(len(delays)):
            mine = (users >= i * pairs) & (users < (i + 1) * pairs)
            metrics = stale_read_metrics(requests[mine])
            stale[i] += int(metrics["stale_reads"])
            reads[i] += int(metrics["profile_reads_ok"])
            ages = requests["staleness_s"].to_numpy(dtype=np.float64)[
                mine & requests["stale"].to_numpy(dtype=bool)]
            if ages.size:
                age_error[i] = max(age_error[i], float(np.abs(ages - delays[i]).max()))
    return ReadAfterWrite(delays, stale, reads, flips, age_error)


def _check_routing(requests) -> None:
    ops = requests["op"].astype(str).to_numpy()
    region = requests["region"].astype(str).to_numpy()
    outcome = requests["outcome"].astype(str).to_numpy()
    updates = ops == "profile_update"
    reads = ops == "profile_read"
    if not (np.all(region[updates] == "r1") and np.all(region[reads] == "r2")):
        raise HarnessError("a write did not reach r1 or a read did not reach r2")
    if not np.all(outcome[updates | reads] == "ok"):
        bad = sorted(set(outcome[(updates | reads) & (outcome != "ok")]))
        raise HarnessError(f"writes and reads must all succeed, got {bad}")
