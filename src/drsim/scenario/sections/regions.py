"""Regions: the regional deployments, their request quotas, and what a secondary cannot do."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from drsim.scenario import units
from drsim.scenario.sections.base import Model
from drsim.scenario.sections.coldstart import Cache, Reopen, ScaleUp
from drsim.scenario.sections.shedding import DEFERRED, Shedding
from drsim.scenario.sections.vocabulary import NAME_PATTERN
from drsim.scenario.types import Duration, Rate

KEYCLOAK_SIGN_IN_PER_VCPU = "15/s"
"""Password sign-ins one vCPU serves per second [doc: Keycloak multi-site sizing guide]."""
KEYCLOAK_REFRESH_PER_VCPU = "120/s"
"""Token refreshes one vCPU serves per second [doc: Keycloak multi-site sizing guide]."""


class Quotas(Model):
    """Per-region request quotas (token buckets). A failed-over secondary must carry
    all traffic within its own quotas [doc]."""

    sign_in: Rate = Field(units.parse_rate("120/s"), description="User authentication [doc].")
    sign_up: Rate = Field(units.parse_rate("50/s"), description="User creation [doc].")
    federation: Rate = Field(units.parse_rate("25/s"), description="Federated sign-in [doc].")
    recovery: Rate = Field(units.parse_rate("30/s"), description="Password reset/change [doc].")
    user_read: Rate = Field(units.parse_rate("120/s"), description="Profile reads [doc].")
    user_update: Rate = Field(
        units.parse_rate("25/s"), description="Profile updates, sign-out, disable [doc]."
    )
    token: Rate = Field(units.parse_rate("120/s"), description="Token refresh and M2M [doc].")
    burst: Duration = Field(
        1.0,
        gt=0,
        description="Bucket depth as seconds of quota: a bucket holds rate × burst "
        "requests [assumption].",
    )


class PerVcpu(Model):
    """Requests one vCPU serves per second, by quota category: an operation's cost is
    1 / this vCPU-seconds [doc: Keycloak's sizing guide, 15 password sign-ins/s and 120
    refreshes/s per vCPU — a sign-in costs 8× a refresh; the rest are assumptions]."""

    sign_in: Rate = Field(units.parse_rate(KEYCLOAK_SIGN_IN_PER_VCPU),
                          description="Password sign-ins, attackers' guesses and replays "
                          "(a password hash each) [doc: Keycloak].")
    sign_up: Rate = Field(units.parse_rate(KEYCLOAK_SIGN_IN_PER_VCPU),
                          description="Sign-ups (hash a new password) [assumption: as a "
                          "sign-in].")
    federation: Rate = Field(units.parse_rate("60/s"),
                             description="Federated sign-ins (a token exchange and a "
                             "signature) [assumption: 2× a refresh].")
    recovery: Rate = Field(units.parse_rate(KEYCLOAK_SIGN_IN_PER_VCPU),
                           description="Password changes (hash a new password) "
                           "[assumption: as a sign-in].")
    user_read: Rate = Field(units.parse_rate("240/s"),
                            description="Profile reads [assumption: half a refresh].")
    user_update: Rate = Field(units.parse_rate(KEYCLOAK_REFRESH_PER_VCPU),
                              description="Profile updates, sign-outs, disables "
                              "[assumption: as a refresh].")
    token: Rate = Field(units.parse_rate(KEYCLOAK_REFRESH_PER_VCPU),
                        description="Token refreshes and M2M tokens [doc: Keycloak].")


class Capacity(Shedding):
    """A region's service capacity: one FIFO queue served at ``vcpus`` vCPUs, work-
    conserving, each request costing its operation's vCPU-seconds (docs/model.md,
    "Capacity"). A request waits for the work ahead of it; its latency is the wait plus
    its own service time. Absent: unlimited (no queue, the default). The shedding keys
    (``max_wait``, ``admission``, ``discipline``) bound the wait and drop what clients
    no longer wait for (docs/model.md, "Load shedding")."""

    vcpus: float = Field(gt=0, description="vCPUs serving the region's requests "
                         "[assumption: size it from the traffic, e.g. Keycloak's figures].")
    per_vcpu: PerVcpu = Field(default_factory=PerVcpu,
                              description="Requests one vCPU serves per second, by quota "
                              "category.")
    scale_up: ScaleUp | None = Field(None, description="Grow to more vCPUs a delay after a "
                                     "moment; absent: constant.")
    cache: Cache | None = Field(None, description="A cache that restarts empty (cold reads "
                                "cost more); absent: always warm.")
    reopen: Reopen | None = Field(None, description="A ramp of admitted work after recovery "
                                  "or failback; absent: no ramp.")

    @model_validator(mode="after")
    def _grows(self) -> Capacity:
        if self.scale_up is not None and self.scale_up.to <= self.vcpus:
            raise ValueError(f"scale_up.to ({self.scale_up.to:g}) must be more than vcpus "
                             f"({self.vcpus:g}): a scale-up grows the region")
        timed = [k for k in ("scale_up", "cache", "reopen") if getattr(self, k) is not None]
        if self.discipline in DEFERRED and timed:
            raise ValueError(f"discipline {self.discipline} is not built with {', '.join(timed)} "
                             "(a capacity that changes in time): use fifo or drop_expired there")
        return self


class Region(Model):
    """One regional deployment of the identity service."""

    name: str = Field(pattern=NAME_PATTERN, description="Region name, e.g. us-east-1.")
    role: Literal["primary", "secondary", "peer"] = Field(
        description="primary: authoritative for writes; secondary: read-only replica "
        "until failover; peer: writable member of a synchronous multi-site pair."
    )
    quotas: Quotas = Field(default_factory=Quotas, description="Request quotas of this region.")
    capacity: Capacity | None = Field(
        None, description="Service capacity behind the quotas; absent: unlimited (no "
        "queueing).")


class SecondaryLimits(Model):
    """What a secondary region cannot do, whatever DNS says [doc: Cognito replication]."""

    totp_mfa: bool = Field(False, description="TOTP MFA sign-in works in the secondary [doc].")
    sms_email_mfa: bool = Field(
        True,
        description="SMS/email MFA works in the secondary (needs per-region SMS/email "
        "settings, which do not replicate) [assumption: configured].",
    )
    federated_needs_primary_sign_in: bool = Field(
        True,
        description="A federated user can sign in to the secondary only after signing in "
        "to the primary once [doc].",
    )
