"""The scenario language: a frozen, validated description of one DR design under one fault story.

A :class:`Scenario` says which regions exist and which one is authoritative,
how the user directory replicates, who uses the service and how, how DNS and
health checks steer clients, how failover and failback are run, what the
lockout and session policies are, which attackers are active, which faults
happen when, and what it all costs. Every number a person writes carries a
unit (see :mod:`drsim.scenario.units`); every default is the DOMAIN.md value,
tagged in its description as documented, reported or an assumption.

Each section lives in its own module under :mod:`drsim.scenario.sections`;
this module puts them together and re-exports every name, so
``from drsim.scenario.schema import …`` reaches the whole language.

Cross-field consistency (a fault naming a region that does not exist, two
primaries, shares that do not add up) is checked by :func:`consistency_problems`
so that the loader can point at the offending line.
"""

from __future__ import annotations

from pydantic import Field

from drsim.scenario import units
from drsim.scenario.sections.attackers import Attacker
from drsim.scenario.sections.base import Model
from drsim.scenario.sections.clients import (
    RETRY_ON_DEFAULT,
    ClampTtl,
    ClientKind,
    DnsBehaviour,
    ExtendTtl,
    HonourTtl,
    PinAnswer,
    RetryPolicy,
)
from drsim.scenario.sections.distributions import (
    Constant,
    Distribution,
    Empirical,
    Exponential,
    Lognormal,
    Uniform,
)
from drsim.scenario.sections.failover import Dns, Failback, Failover, HealthCheck, ManualProcedure
from drsim.scenario.sections.faults import (
    DnsOutage,
    Fault,
    GrayFailure,
    IdpOutage,
    KmsOutage,
    Partition,
    RegionOutage,
    ReplicationStall,
)
from drsim.scenario.sections.lockout import LOCKOUT_PRESETS, Lockout, LockoutField
from drsim.scenario.sections.pricing import Pricing
from drsim.scenario.sections.regions import Quotas, Region, SecondaryLimits
from drsim.scenario.sections.replication import DataClasses, Replication
from drsim.scenario.sections.run import RunSettings
from drsim.scenario.sections.sessions import Sessions
from drsim.scenario.sections.traffic import Burst, Traffic
from drsim.scenario.sections.users import MfaMix, Users
from drsim.scenario.sections.vocabulary import NAME_PATTERN, OPERATIONS, OUTCOME_CAUSES

__all__ = [
    "LOCKOUT_PRESETS",
    "NAME_PATTERN",
    "OPERATIONS",
    "OUTCOME_CAUSES",
    "RETRY_ON_DEFAULT",
    "Attacker",
    "Burst",
    "ClampTtl",
    "ClientKind",
    "Constant",
    "DataClasses",
    "Distribution",
    "Dns",
    "DnsBehaviour",
    "DnsOutage",
    "Empirical",
    "Exponential",
    "ExtendTtl",
    "Failback",
    "Failover",
    "Fault",
    "GrayFailure",
    "HealthCheck",
    "HonourTtl",
    "IdpOutage",
    "KmsOutage",
    "Lockout",
    "LockoutField",
    "Lognormal",
    "ManualProcedure",
    "MfaMix",
    "Model",
    "Partition",
    "PinAnswer",
    "Pricing",
    "Quotas",
    "Region",
    "RegionOutage",
    "Replication",
    "ReplicationStall",
    "RetryPolicy",
    "RunSettings",
    "Scenario",
    "SecondaryLimits",
    "Sessions",
    "Traffic",
    "Uniform",
    "Users",
    "consistency_problems",
]


class Scenario(Model):
    """One DR design under one fault story."""

    name: str = Field(pattern=NAME_PATTERN, description="Scenario name.")
    description: str = Field("", description="The question this scenario answers.")
    regions: tuple[Region, ...] = Field(
        default_factory=lambda: (
            Region(name="us-east-1", role="primary"),
            Region(name="eu-west-1", role="secondary"),
        ),
        min_length=1,
        description="Regional deployments; exactly one primary (or two peers).",
    )
    secondary_limits: SecondaryLimits = Field(
        default_factory=SecondaryLimits, description="What the secondary cannot do."
    )
    replication: Replication = Field(default_factory=Replication, description="Replication.")
    users: Users = Field(default_factory=Users, description="User population.")
    clients: tuple[ClientKind, ...] = Field(
        default_factory=lambda: (
            ClientKind(name="all", share="100%", dns=HonourTtl(behaviour="honour")),
        ),
        min_length=1,
        description="Client populations (or a preset name such as 'internet').",
    )
    traffic: Traffic = Field(default_factory=Traffic, description="Legitimate traffic.")
    attackers: tuple[Attacker, ...] = Field((), description="Attackers.")
    dns: Dns = Field(default_factory=Dns, description="DNS record.")
    health_check: HealthCheck = Field(default_factory=HealthCheck, description="Health checks.")
    failover: Failover = Field(default_factory=Failover, description="Failover procedure.")
    sessions: Sessions = Field(default_factory=Sessions, description="Tokens and sessions.")
    lockout: LockoutField = Field(default_factory=Lockout, description="Lockout policy.")
    faults: tuple[Fault, ...] = Field((), description="Fault schedule.")
    pricing: Pricing = Field(default_factory=Pricing, description="Cost model.")
    run: RunSettings = Field(default_factory=RunSettings, description="Run settings.")

    @property
    def region_names(self) -> tuple[str, ...]:
        return tuple(r.name for r in self.regions)

    def region_index(self, name: str) -> int:
        return self.region_names.index(name)


def consistency_problems(scenario: Scenario) -> list[tuple[tuple[str | int, ...], str]]:
    """Cross-field checks. Returns ``(key path, message)`` pairs; empty when consistent."""
    problems: list[tuple[tuple[str | int, ...], str]] = []
    names = scenario.region_names
    known = ", ".join(repr(n) for n in names)

    seen: set[str] = set()
    for i, region in enumerate(scenario.regions):
        if region.name in seen:
            problems.append((("regions", i, "name"), f"region {region.name!r} is listed twice"))
        seen.add(region.name)
    roles = [r.role for r in scenario.regions]
    if "peer" in roles:
        if any(role != "peer" for role in roles) or len(roles) < 2:
            problems.append(
                (("regions",), "peers form a multi-site group: use role 'peer' for all regions "
                 "(at least two), or one 'primary' and 'secondary' replicas")
            )
    elif roles.count("primary") != 1:
        where = ("regions", roles.index("primary", roles.index("primary") + 1), "role") if (
            roles.count("primary") > 1
        ) else ("regions",)
        problems.append(
            (where, f"expected exactly one region with role 'primary', found {roles.count('primary')}")
        )
    if "peer" in roles and scenario.replication.mode != "sync":
        problems.append(
            (("replication", "mode"), "peer regions need replication mode 'sync'")
        )

    def check_region(path: tuple[str | int, ...], name: str) -> None:
        if name not in names:
            problems.append((path, f"no region named {name!r} (regions: {known})"))

    for i, fault in enumerate(scenario.faults):
        if isinstance(fault, RegionOutage | GrayFailure):
            check_region(("faults", i, "region"), fault.region)
        elif isinstance(fault, Partition):
            for j, name in enumerate(fault.regions):
                check_region(("faults", i, "regions", j), name)
            if fault.regions[0] == fault.regions[1]:
                problems.append((("faults", i, "regions"), "a partition needs two different regions"))
        elif isinstance(fault, KmsOutage) and fault.regions != "all":
            for j, name in enumerate(fault.regions):
                check_region(("faults", i, "regions", j), name)

    for i, attacker in enumerate(scenario.attackers):
        if attacker.regions != "all":
            for j, name in enumerate(attacker.regions):
                check_region(("attackers", i, "regions", j), name)
        if attacker.targets > scenario.users.population:
            problems.append(
                (("attackers", i, "targets"),
                 f"{attacker.targets} targets but only {scenario.users.population} users")
            )

    for i, client in enumerate(scenario.clients):
        if client.home is not None:
            check_region(("clients", i, "home"), client.home)
        for j, cause in enumerate(client.retry.retry_on):
            if cause not in OUTCOME_CAUSES:
                problems.append(
                    (("clients", i, "retry", "retry_on", j),
                     f"unknown outcome cause {cause!r} (causes: {', '.join(OUTCOME_CAUSES)})")
                )
    shares = sum(c.share for c in scenario.clients)
    if abs(shares - 1.0) > 1e-9:
        problems.append((("clients",), f"client shares must add up to 100%, they add up to "
                         f"{units.format_percent(round(shares, 12))}"))
    mfa = scenario.users.mfa
    total = mfa.none + mfa.sms + mfa.email + mfa.totp
    if abs(total - 1.0) > 1e-9:
        problems.append((("users", "mfa"), f"MFA shares must add up to 100%, they add up to "
                         f"{units.format_percent(round(total, 12))}"))
    if scenario.dns.routing == "weighted":
        if not scenario.dns.weights:
            problems.append((("dns", "weights"), "weighted routing needs weights per region"))
        else:
            for name in scenario.dns.weights:
                check_region(("dns", "weights", name), name)
    if scenario.dns.routing == "latency" and all(c.home is None for c in scenario.clients):
        problems.append((("clients",), "latency routing needs a 'home' region on client kinds"))
    for i, burst in enumerate(scenario.traffic.bursts):
        if burst.start >= scenario.run.duration:
            problems.append((("traffic", "bursts", i, "start"), "burst starts after the run ends"))
    for i, fault in enumerate(scenario.faults):
        if fault.start >= scenario.run.duration:
            problems.append((("faults", i, "start"), "fault starts after the run ends "
                             f"(run.duration is {units.format_duration(scenario.run.duration)})"))
    return problems
