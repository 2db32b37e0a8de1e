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
(:mod:`drsim.scenario.consistency`) so that the loader can point at the
offending line.
"""

from __future__ import annotations

from pydantic import Field, field_validator

from drsim.scenario.consistency import Inconsistency, consistency_problems
from drsim.scenario.sections.attackers import Attacker
from drsim.scenario.sections.backups import Backups
from drsim.scenario.sections.base import Model
from drsim.scenario.sections.clients import (
    RETRY_ON_DEFAULT,
    CircuitBreaker,
    ClampTtl,
    ClientKind,
    DnsBehaviour,
    ExtendTtl,
    HonourTtl,
    PinAnswer,
    RetryPolicy,
)
from drsim.scenario.sections.dependencies import DEPENDENCY_KINDS, Dependency
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
    RELYING_PARTY_FAULTS,
    ClockSkew,
    Corruption,
    DependencyOutage,
    DnsOutage,
    Fault,
    GrayFailure,
    IdpOutage,
    KmsOutage,
    ObserverPartition,
    Partition,
    RegionOutage,
    ReplicationStall,
    SigningKeyRemoved,
    SigningKeyRotated,
)
from drsim.scenario.sections.lockout import LOCKOUT_PRESETS, Lockout, LockoutField
from drsim.scenario.sections.pricing import Pricing
from drsim.scenario.sections.regions import Quotas, Region, SecondaryLimits
from drsim.scenario.sections.relying import JwksCache, RelyingParties
from drsim.scenario.sections.replication import DataClasses, Replication
from drsim.scenario.sections.run import RunSettings
from drsim.scenario.sections.sessions import Sessions
from drsim.scenario.sections.traffic import Burst, Traffic
from drsim.scenario.sections.users import LognormalActivity, MfaMix, Users
from drsim.scenario.sections.vocabulary import NAME_PATTERN, OPERATIONS, OUTCOME_CAUSES

__all__ = [
    "DEPENDENCY_KINDS",
    "LOCKOUT_PRESETS",
    "NAME_PATTERN",
    "OPERATIONS",
    "OUTCOME_CAUSES",
    "RELYING_PARTY_FAULTS",
    "RETRY_ON_DEFAULT",
    "Attacker",
    "Burst",
    "ClampTtl",
    "ClientKind",
    "Backups",
    "ClockSkew",
    "Corruption",
    "Constant",
    "DataClasses",
    "Dependency",
    "DependencyOutage",
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
    "JwksCache",
    "Inconsistency",
    "KmsOutage",
    "Lockout",
    "LockoutField",
    "Lognormal",
    "LognormalActivity",
    "ManualProcedure",
    "MfaMix",
    "Model",
    "ObserverPartition",
    "Partition",
    "PinAnswer",
    "Pricing",
    "Quotas",
    "Region",
    "RegionOutage",
    "RelyingParties",
    "Replication",
    "ReplicationStall",
    "RetryPolicy",
    "CircuitBreaker",
    "RunSettings",
    "Scenario",
    "SecondaryLimits",
    "SigningKeyRemoved",
    "SigningKeyRotated",
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
    relying_parties: RelyingParties | None = Field(
        None, description="APIs that validate the tokens (JWKS caches, issuers, leeway); "
        "None: not modelled.")
    dependencies: tuple[Dependency, ...] = Field(
        (), description="Per-region services requests or the failover need (SMS/email "
        "senders, triggers, a control plane), each with its own faults and capacity; "
        "empty: none.")
    faults: tuple[Fault, ...] = Field(
        (), description="Fault schedule (a fault with repeat stands for its windows)."
    )
    backups: Backups | None = Field(
        None, description="Point-in-time backups and the restore after a corruption fault; "
        "None: no backup, a corruption is never restored.")
    pricing: Pricing = Field(default_factory=Pricing, description="Cost model.")
    run: RunSettings = Field(default_factory=RunSettings, description="Run settings.")

    @field_validator("faults", mode="after")
    @classmethod
    def _expand_repeats(cls, faults: tuple) -> tuple:
        """Each repeated fault becomes its plain windows, so every reader of the schedule
        (control plane, incidents, reports) sees ordinary faults."""
        windows = []
        for fault in faults:
            for repetition, window in enumerate(fault.windows()):
                if repetition:
                    window._repetition = repetition
                windows.append(window)
        return tuple(windows)

    @property
    def region_names(self) -> tuple[str, ...]:
        return tuple(r.name for r in self.regions)

    def region_index(self, name: str) -> int:
        return self.region_names.index(name)
