"""Replication: how writes reach the other regions, how late, and which data classes travel."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from drsim.scenario.sections.base import Model
from drsim.scenario.sections.distributions import Distribution, Lognormal
from drsim.scenario.types import Duration, Rate


class DataClasses(Model):
    """Which data classes the replication channel carries."""

    users: bool = Field(True, description="User records (existence, sign-ups) [doc].")
    credentials: bool = Field(True, description="Password hashes / credential changes [doc].")
    profiles: bool = Field(True, description="Profile attributes [doc].")
    configuration: bool = Field(
        True,
        description="Pool configuration [doc]. Recorded only: the model has no configuration "
        "changes to replicate.",
    )
    revocations: bool = Field(
        True, description="Refresh-token revocations and user disables [guess]."
    )
    totp_secrets: bool = Field(
        False,
        description="TOTP secrets [doc: not supported]. Recorded only: whether TOTP users can "
        "sign in to the secondary is secondary_limits.totp_mfa.",
    )
    lockout_counters: bool = Field(
        False,
        description="Lockout counters [doc: per region]. Recorded only: counters shared across "
        "regions are lockout.scope: global.",
    )


class Replication(Model):
    """How writes reach the other regions."""

    mode: Literal["async", "sync", "periodic_export", "migrate_on_sign_in", "none"] = Field(
        "async",
        description="async: change records apply after a lag; sync: a write is acknowledged "
        "only when every other reachable region has it; periodic_export: a snapshot every "
        "export_interval, without password hashes; migrate_on_sign_in: a user is copied on "
        "first sign-in while the source is reachable; none: no replica.",
    )
    lag: Distribution = Field(
        default_factory=lambda: Lognormal(distribution="lognormal", median="1s", p99="10s"),
        description="Replication lag of one change record [guess: lognormal, median 1s, p99 10s].",
    )
    throughput: Rate | None = Field(
        None, gt=0, description="Cap on records applied per second; bursts build a backlog."
    )
    export_interval: Duration = Field(
        86400.0, gt=0, description="Snapshot interval of periodic_export [report: daily]."
    )
    sync_latency: Duration = Field(
        0.01,
        ge=0,
        description="Extra latency of a synchronous write (one inter-site round trip) "
        "[doc: Keycloak < 10 ms].",
    )
    data: DataClasses = Field(default_factory=DataClasses, description="What replicates.")
