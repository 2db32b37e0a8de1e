"""Benchmark workloads: the reference DR scenario scaled to a traffic level and a user pool.

The reference workload of issue 6 is ``scenarios/cognito-active-passive.yaml``
(a Cognito pool replicated active-passive us-east-1 → eu-west-1, a 30-minute
outage of the primary at t = 30 min, 2 h simulated) with every legitimate
operation's rate multiplied by one factor so that they add up to ≈ 300
requests/s, plus the scenario's credential-stuffing attacker (2 guesses/s).

The per-region request quotas are multiplied by the same factor. At 300/s the
shipped quotas (token 120/s against 186/s of refreshes) would throttle half of
all requests and the run would measure a retry storm rather than the model;
scaling quotas with traffic keeps every bucket at the reference scenario's
utilisation, which is what "the reference scenario scaled" means here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from drsim.model.operations import QUOTA_CATEGORY
from drsim.model.traffic import followed_rates
from drsim.records import OP_CODE
from drsim.scenario import load_scenario
from drsim.scenario.schema import OPERATIONS, Scenario
from drsim.scenario.sections.regions import PerVcpu

REPO = Path(__file__).resolve().parents[1]
REFERENCE_SCENARIO = REPO / "scenarios" / "cognito-active-passive.yaml"
TARGET_RATE_PER_S = 300.0
"""All legitimate operations together, requests per second (issue 6)."""
QUOTA_NAMES = ("sign_in", "sign_up", "federation", "recovery", "user_read", "user_update", "token")


def legit_rate_per_s(scenario: Scenario) -> float:
    """Expected legitimate first attempts per second: the operations' rates, the requests
    that follow them (``traffic.follow_ups``) and what the sessions their sign-ins start
    make (refreshes, ``sessions.actions``, sign-outs, and their follow-ups).

    Linear in the rates: a session's expected requests do not depend on them (they are
    taken from a fixed-seed sample of sessions), so scaling every rate by a factor scales
    this by exactly that factor.
    """
    return sum(legit_rates(scenario).values())


def legit_rates(scenario: Scenario) -> dict[str, float]:
    """:func:`legit_rate_per_s` by operation (requests per second)."""
    rates = followed_rates(scenario, {op: scenario.traffic.rate_of(op) for op in OPERATIONS})
    sessions = scenario.sessions
    if sessions.active_for is not None:
        starts = rates["sign_in"] + rates["federated_sign_in"]
        refreshes, active_s = _per_session(scenario)
        made = {op: 0.0 for op in OPERATIONS}
        made["refresh"] = starts * refreshes
        made["sign_out"] = starts * sessions.sign_out_at_end
        for op, per_s in sessions.actions.items():
            made[op] += starts * active_s * per_s
        for op, per_s in followed_rates(scenario, made).items():
            rates[op] += per_s
    return rates


def offered_work(scenario: Scenario) -> float:
    """vCPU-seconds of work per second that the legitimate requests (at their expected
    rates, :func:`legit_rates`) and the attackers' guesses bring to one region serving
    them all, at ``regions[0]``'s per-vCPU rates (``regions[].capacity``)."""
    capacity = scenario.regions[0].capacity
    per_vcpu = capacity.per_vcpu if capacity is not None else PerVcpu()
    rates = legit_rates(scenario)
    rates["guess"] = rates.get("guess", 0.0) + sum(
        a.rate for a in scenario.attackers if a.kind != "token_replay")
    return sum(per_s / getattr(per_vcpu, QUOTA_CATEGORY[OP_CODE[op]])
               for op, per_s in rates.items())


CAPACITY_TIMEOUT = "10s"
"""Every client kind's timeout in the capacity workload [assumption: a mobile SDK's]."""


def capacity_overrides(scenario: Scenario, utilisation: float) -> list[str]:
    """``--set`` overrides giving every region the vCPUs that serve all of ``scenario``'s
    traffic at ``utilisation`` (so a region serving everything, before the outage or
    after the failover, is that busy) and every client kind :data:`CAPACITY_TIMEOUT`."""
    vcpus = offered_work(scenario) / utilisation
    return ([f"regions.{r}.capacity.vcpus={vcpus!r}" for r in range(len(scenario.regions))]
            + [f"clients.{k}.timeout={CAPACITY_TIMEOUT}" for k in range(len(scenario.clients))])


def _per_session(scenario: Scenario, sample_size: int = 200_000) -> tuple[float, float]:
    """Mean refreshes and mean active time (s) of one session, from a fixed-seed sample."""
    import numpy as np

    from drsim.model.distributions import sample
    from drsim.model.journeys import refresh_interval

    sessions = scenario.sessions
    rng = np.random.default_rng(0)
    active = sample(sessions.active_for, rng, sample_size)
    lifetime = np.full(sample_size, sessions.access_token + sessions.access_token_spread / 2)
    interval = refresh_interval(scenario, lifetime)
    return float(np.floor(active / interval).mean()), float(active.mean())


def _rate(value: float) -> str:
    return f"{value!r}/s"  # repr round-trips the float exactly


def traffic_overrides(base: Scenario, rate_per_s: float) -> list[str]:
    """``--set`` overrides scaling every legitimate rate and every quota to ``rate_per_s``.

    Args:
        base: The scenario to scale (its rates set the mix of operations).
        rate_per_s: Target total of legitimate requests per second.

    Returns:
        Overrides such as ``"traffic.refresh=185.76/s"``; attackers are untouched.
    """
    factor = rate_per_s / legit_rate_per_s(base)
    sets = [f"traffic.{op}={_rate(base.traffic.rate_of(op) * factor)}"
            for op in OPERATIONS if base.traffic.rate_of(op) > 0]
    for index, region in enumerate(base.regions):
        for name in QUOTA_NAMES:
            value = getattr(region.quotas, name) * factor
            sets.append(f"regions.{index}.quotas.{name}={_rate(value)}")
    return sets


@dataclass(frozen=True)
class Workload:
    """One benchmark workload: the reference scenario at a population and traffic level.

    Attributes:
        name: Short label used in the table.
        users: Initial population (users).
        rate_per_s: Legitimate requests per second in all; None keeps the scenario's rates.
        sets: Further overrides (e.g. a shorter ``run.duration``).
        scenario_path: The base scenario file.
        utilisation: With a value, every region gets a capacity that serves all the
            traffic that busy, and clients time out (:func:`capacity_overrides`).
    """

    name: str
    users: int
    rate_per_s: float | None = TARGET_RATE_PER_S
    sets: tuple[str, ...] = ()
    scenario_path: str = str(REFERENCE_SCENARIO)
    utilisation: float | None = None

    def overrides(self) -> list[str]:
        """Every override applied to the base scenario, in order."""
        base = load_scenario(self.scenario_path)
        sets = [f"users.population={self.users}"]
        if self.rate_per_s is not None:
            sets += traffic_overrides(base, self.rate_per_s)
        sets += list(self.sets)
        if self.utilisation is not None:
            sets += capacity_overrides(load_scenario(self.scenario_path, sets), self.utilisation)
        return sets

    def load(self) -> Scenario:
        """The validated scenario of this workload."""
        return load_scenario(self.scenario_path, self.overrides())


def reference(users: int = 1_000_000) -> Workload:
    """The issue-6 reference workload at ``users`` users (300 req/s, 2 h, 30-min outage)."""
    return Workload(name=f"reference {users:,} users", users=users)


TOY_SETS = ("run.duration=20m", "faults.0.start=5m", "faults.0.duration=5m")
"""A 20-minute run with a 5-minute outage: the harness's own tests."""


def toy(users: int = 2_000, rate_per_s: float = 20.0) -> Workload:
    """A tiny workload with the reference's shape (seconds to run)."""
    return Workload(name=f"toy {users:,} users", users=users, rate_per_s=rate_per_s,
                    sets=TOY_SETS)
